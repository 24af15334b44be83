// channel.js — the WebSocket to /ws (docs/protocol.md): one JSON object per
// frame, and reconnection with back-off when the connection drops without
// the server having meant it.
//
// The page gives onOpen (send join/hello there: it runs on every
// reconnection), onMessage and onState ('connecting', 'open',
// 'reconnecting', 'closed').  Codes after which the server closes on
// purpose stop the reconnection: reconnecting would only repeat them.

const FINAL_CODES = new Set(['replaced', 'not_logged_in', 'bad_message']);
const DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15000];

export class Channel {
  #ws = null;
  #attempt = 0;
  #timer = 0;
  #stopped = false;

  constructor({ onOpen, onMessage, onState }) {
    this.onOpen = onOpen;
    this.onMessage = onMessage;
    this.onState = onState || (() => {});
  }

  open() {
    this.#stopped = false;
    this.#connect();
  }

  // Close for good (logout, meeting ended, replaced).
  close() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#ws) this.#ws.close(1000);
    this.#ws = null;
    this.onState('closed');
  }

  send(msg) {
    if (this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify(msg));
    return true;
  }

  get connected() { return this.#ws?.readyState === WebSocket.OPEN; }

  #connect() {
    const url = new URL('/ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.onState(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(url, 'kontor.v1');
    this.#ws = ws;
    ws.addEventListener('open', () => {
      this.#attempt = 0;
      this.onState('open');
      this.onOpen();
    });
    ws.addEventListener('message', (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (msg?.type === 'error' && FINAL_CODES.has(msg.code)) this.#stopped = true;
      this.onMessage(msg);
    });
    ws.addEventListener('close', () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (this.#stopped) { this.onState('closed'); return; }
      const delay = DELAYS_MS[Math.min(this.#attempt, DELAYS_MS.length - 1)];
      this.#attempt++;
      this.onState('reconnecting');
      this.#timer = setTimeout(() => this.#connect(), delay);
    });
  }
}
