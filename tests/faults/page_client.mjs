// page_client.mjs — the pages' own WebSocket code (web/js/channel.js) run
// outside a browser against a real kontor, so the faults suite can see a
// page reconnect by itself after the server or its database went away.
//
//   node page_client.mjs PORT OPENING_JSON [COOKIE] [LIFETIME_S]
//
// OPENING_JSON is what the page sends on every (re)connection (join or
// hello); COOKIE, if given, goes with each handshake as a browser's cookie
// jar would send it.  Prints one JSON line per event: {"state": …} from
// Channel's onState, {"message": …} for each message the page receives.
// Each JSON line on stdin is sent as the page would send it (admit, chat,
// end…; dropped while disconnected, as the pages' channel.send does).
// Exits after LIFETIME_S (default 120) or when its stdin closes, so a test
// that dies never leaves it behind.
//
// Only what channel.js uses of a browser is provided: location, and a
// WebSocket (RFC 6455 client: handshake, masked text frames out, text,
// ping and close frames in) on node's net module.  Traffic goes to
// 127.0.0.1 only.
import net from 'node:net';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [port, openingJson, cookie = '', lifetime = '120'] = process.argv.slice(2);
const opening = JSON.parse(openingJson);
const here = path.dirname(fileURLToPath(import.meta.url));
const webJs = process.env.KONTOR_WEB_JS || path.join(here, '..', '..', 'web', 'js');

class NodeWebSocket extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;

  constructor(url, protocol) {
    super();
    const u = new URL(url);
    this.readyState = NodeWebSocket.CONNECTING;
    this.buffer = Buffer.alloc(0);
    this.upgraded = false;
    this.sock = net.connect({ host: '127.0.0.1', port: Number(u.port) });
    this.sock.on('connect', () => {
      const key = crypto.randomBytes(16).toString('base64');
      const lines = [`GET ${u.pathname} HTTP/1.1`, `Host: ${u.host}`, 'Upgrade: websocket',
        'Connection: Upgrade', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Protocol: ${protocol}`, `Origin: http://${u.host}`];
      if (cookie) lines.push(`Cookie: ${cookie}`);
      this.sock.write(lines.join('\r\n') + '\r\n\r\n');
    });
    this.sock.on('data', (chunk) => this.#receive(chunk));
    this.sock.on('error', () => {});
    this.sock.on('close', () => this.#closed());
  }

  send(text) {
    if (this.readyState !== NodeWebSocket.OPEN) return;
    this.#frame(1, Buffer.from(text));
  }

  close() {
    if (this.readyState === NodeWebSocket.OPEN) this.#frame(8, Buffer.from([0x03, 0xe8]));
    this.readyState = NodeWebSocket.CLOSING;
    this.sock.end();
  }

  #frame(opcode, payload) {
    const mask = crypto.randomBytes(4);
    const n = payload.length;
    const head = n < 126 ? Buffer.from([0x80 | opcode, 0x80 | n])
      : Buffer.from([0x80 | opcode, 0x80 | 126, n >> 8, n & 0xff]);
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
    this.sock.write(Buffer.concat([head, mask, body]));
  }

  #receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (!this.upgraded) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = Number(this.buffer.subarray(0, end).toString().split(' ')[1]);
      this.buffer = this.buffer.subarray(end + 4);
      if (status !== 101) { this.sock.destroy(); return; }
      this.upgraded = true;
      this.readyState = NodeWebSocket.OPEN;
      this.dispatchEvent(new Event('open'));
    }
    for (;;) {
      if (this.buffer.length < 2) return;
      const opcode = this.buffer[0] & 0x0f;
      let n = this.buffer[1] & 0x7f;
      let at = 2;
      if (n === 126) { if (this.buffer.length < 4) return; n = this.buffer.readUInt16BE(2); at = 4; }
      else if (n === 127) { if (this.buffer.length < 10) return; n = Number(this.buffer.readBigUInt64BE(2)); at = 10; }
      if (this.buffer.length < at + n) return;
      const payload = this.buffer.subarray(at, at + n);
      this.buffer = this.buffer.subarray(at + n);
      if (opcode === 1) {
        const ev = new Event('message');
        ev.data = payload.toString();
        this.dispatchEvent(ev);
      } else if (opcode === 9) {
        this.#frame(10, payload);
      } else if (opcode === 8) {
        this.sock.end();
      }
    }
  }

  #closed() {
    if (this.readyState === NodeWebSocket.CLOSED) return;
    this.readyState = NodeWebSocket.CLOSED;
    this.dispatchEvent(new Event('close'));
  }
}

globalThis.WebSocket = NodeWebSocket;
globalThis.location = new URL(`http://127.0.0.1:${port}/join.html`);
const { Channel } = await import(pathToFileURL(path.join(webJs, 'channel.js')).href);

const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const channel = new Channel({
  onOpen: () => channel.send(opening),
  onMessage: (message) => print({ message }),
  onState: (state) => print({ state }),
});
channel.open();

setTimeout(() => process.exit(0), Number(lifetime) * 1000);
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  pending += text;
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl).trim();
    pending = pending.slice(nl + 1);
    if (line) print({ sent: channel.send(JSON.parse(line)) });
  }
});
process.stdin.on('end', () => process.exit(0));
