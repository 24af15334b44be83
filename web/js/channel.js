// channel.js — the WebSocket to /ws (docs/protocol.md): one JSON object per
// frame, and reconnection with back-off when the connection drops without
// the server having meant it.
//
// The page gives onOpen (send join/hello there: it runs on every
// reconnection), onMessage and onState ('connecting', 'open',
// 'reconnecting', 'closed').  Codes after which the server closes on
// purpose stop the reconnection: reconnecting would only repeat them.
//
// While the server's database is away (a restart, a fail-over) the socket
// stays up but join/hello are answered db_unavailable or busy: until the
// first answer that is not an error, those repeat the opening message with
// the same back-off (the page sees 'reconnecting', then 'open'), so a page
// gets back in by itself when the database does.  A server that drains
// before a restart answers a join that would start a new meeting
// `draining`: the page opens a new socket with the same back-off, so that
// the load balancer gives it to another node, or to the restarted server.
//
// Several nodes (docs/protocol.md, "Several nodes"): `moved` names the node
// that hosts the meeting; the channel reconnects at once with /ws?node=NAME,
// which the load balancer routes there, and repeats its opening message.
// `moving` (that node is out of reach and its hold on the meeting has not
// run out yet) repeats the opening message after the `retry_ms` it gives.
// A page opened with ?node=NAME in its address starts with that node.  If
// the balancer cannot reach that node (the socket fails before it opens:
// the node died), the next socket says ?gone=NAME instead, and the node it
// reaches takes the meeting over once the dead node's lease has run out.

const FINAL_CODES = new Set(['replaced', 'not_logged_in', 'bad_message']);
const RETRY_CODES = new Set(['db_unavailable', 'busy', 'moving']);
const NODE_NAME = /^[A-Za-z0-9._:-]{1,64}$/;
const MOVES_AT_ONCE = 3;   // moves in a row that reconnect without delay
const DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15000];

export class Channel {
  #ws = null;
  #attempt = 0;
  #timer = 0;
  #stopped = false;
  #welcomed = false;   // an answer other than an error came since open
  #retries = 0;        // opening messages repeated since the last welcome
  #retryTimer = 0;
  #node = null;        // the node to ask the load balancer for
  #gone = null;        // a node the balancer could not reach
  #moves = 0;          // `moved` in a row

  constructor({ onOpen, onMessage, onState }) {
    this.onOpen = onOpen;
    this.onMessage = onMessage;
    this.onState = onState || (() => {});
    const asked = new URLSearchParams(location.search).get('node');
    if (asked && NODE_NAME.test(asked)) this.#node = asked;
  }

  open() {
    this.#stopped = false;
    this.#connect();
  }

  // Close for good (logout, meeting ended, replaced).
  close() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#retryTimer);
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
    url.search = '';
    if (this.#node) url.searchParams.set('node', this.#node);
    else if (this.#gone) url.searchParams.set('gone', this.#gone);
    let opened = false;
    this.onState(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(url, 'kontor.v1');
    this.#ws = ws;
    ws.addEventListener('open', () => {
      opened = true;
      this.#attempt = 0;
      this.#welcomed = false;
      this.onState('open');
      this.onOpen();
    });
    ws.addEventListener('message', (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (!this.#welcomed && msg?.type === 'error' && RETRY_CODES.has(msg.code)) {
        this.#repeatOpening(ws, msg.code === 'moving' ? msg.retry_ms : undefined);
        return;
      }
      if (msg?.type === 'moved' && NODE_NAME.test(msg.node ?? '')) {
        this.onMessage(msg);
        this.#moveTo(ws, msg.node);
        return;
      }
      if (!this.#welcomed && msg?.type === 'error' && msg.code === 'draining') {
        // Not this node: a new socket, which the balancer gives elsewhere.
        this.#node = null;
        ws.close(1000);
        return;
      }
      if (msg?.type !== 'error' && !this.#welcomed) {
        this.#welcomed = true;
        this.#moves = 0;
        this.#gone = null;
        if (this.#retries) { this.#retries = 0; this.onState('open'); }
      }
      if (msg?.type === 'error' && FINAL_CODES.has(msg.code)) this.#stopped = true;
      this.onMessage(msg);
    });
    ws.addEventListener('close', () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      if (this.#stopped) { this.onState('closed'); return; }
      if (!opened && this.#node) {
        // The balancer could not reach that node: ask another, at once.
        this.#gone = this.#node;
        this.#node = null;
        this.#timer = setTimeout(() => this.#connect(), 0);
        return;
      }
      const delay = DELAYS_MS[Math.min(this.#attempt, DELAYS_MS.length - 1)];
      this.#attempt++;
      this.onState('reconnecting');
      this.#timer = setTimeout(() => this.#connect(), delay);
    });
  }

  // To the node that hosts the meeting: at once, unless moves go round.
  #moveTo(ws, node) {
    this.#node = node;
    this.#gone = null;
    this.#moves++;
    if (this.#moves <= MOVES_AT_ONCE) this.#attempt = 0;
    if (this.#ws !== ws) return;
    this.#ws = null;
    ws.close(1000);
    const delay = this.#moves <= MOVES_AT_ONCE ? 0 : DELAYS_MS[Math.min(this.#attempt++, DELAYS_MS.length - 1)];
    this.onState('reconnecting');
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  #repeatOpening(ws, retryMs) {
    const delay = retryMs > 0 ? Math.min(retryMs, 5000) : DELAYS_MS[Math.min(this.#retries, DELAYS_MS.length - 1)];
    this.#retries++;
    this.onState('reconnecting');
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      if (this.#ws === ws && ws.readyState === WebSocket.OPEN) this.onOpen();
    }, delay);
  }
}
