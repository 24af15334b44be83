// weak-janus.test.mjs — the weak link of weak.test.mjs through Janus
// (Debian's janus 1.1.2, its videocall plugin) instead of kontor: the
// same two Chromiums, the same tbf phases, the same figures, so that the
// two can be compared (issue 17).  A benchmark, not a test: it asserts
// only that the call starts, and runs from `tests/bench/run weak`, not in
// CI.  Skips when Janus is not installed.
//
// Janus serves its API over secure WebSockets with the certificate the
// test makes; the pages are kontor's front page over HTTPS, only so that
// they are a secure context (camera) from the job seeker's namespace, with
// their Content-Security-Policy bypassed (it allows kontor's socket only).
// The client below speaks Janus' JSON API by hand (create, attach,
// register, call/accept, trickle, keepalive): no janus.js.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, launchInSeekerNet, openPage, until, inOrder, startDaemon } from './lib/harness.mjs';
import { RATE, limit, letGo, qdiscDrops, measureBoth } from './lib/weak.mjs';
import { startServer } from './lib/server.mjs';
import { certDir, makeCert, removeDir } from './lib/certs.mjs';

const PORT = 8446;                   // kontor, for the pages only
const HOST = '10.232.0.1';
const JANUS_PORT = 8989;
const JANUS_LIB = '/usr/lib/x86_64-linux-gnu/janus';
const SETTLE_S = 15;
const WINDOW_S = 30;

let dir;
let server;
let janus;
let browser;
let seekerBrowser;
let caseworker;
let seeker;
const { step } = inOrder();
const both = (phase) => measureBoth(`janus: ${phase}`, seeker, caseworker, WINDOW_S);

function haveJanus() {
  try { execFileSync('sh', ['-c', 'command -v janus']); return true; } catch { return false; }
}

async function startJanus(cert) {
  const jdir = join(dir, 'janus');
  for (const sub of ['plugins', 'transports', 'events', 'loggers']) mkdirSync(join(jdir, sub), { recursive: true });
  symlinkSync(join(JANUS_LIB, 'plugins/libjanus_videocall.so'), join(jdir, 'plugins/libjanus_videocall.so'));
  symlinkSync(join(JANUS_LIB, 'transports/libjanus_websockets.so'), join(jdir, 'transports/libjanus_websockets.so'));
  writeFileSync(join(jdir, 'janus.jcfg'), `general: {
  configs_folder = "${jdir}"
  plugins_folder = "${jdir}/plugins"
  transports_folder = "${jdir}/transports"
  events_folder = "${jdir}/events"
  loggers_folder = "${jdir}/loggers"
  debug_level = 4
}
media: { rtp_port_range = "43000-43999", ipv6 = false }
`);
  writeFileSync(join(jdir, 'janus.transport.websockets.jcfg'), `general: {
  json = "compact"
  ws = false
  wss = true
  wss_port = ${JANUS_PORT}
  wss_ip = "${HOST}"
}
admin: { admin_ws = false, admin_wss = false }
certificates: { cert_pem = "${cert.cert}", cert_key = "${cert.key}" }
`);
  writeFileSync(join(jdir, 'janus.plugin.videocall.jcfg'), 'general: { }\n');
  return startDaemon('Janus', 'janus', ['-F', jdir, '-C', join(jdir, 'janus.jcfg')], 'janus.log',
    () => execFileSync('ss', ['-Hltn', `sport = :${JANUS_PORT}`]).toString().includes(HOST), 15000);
}

// Runs in the page: registers `name` with the videocall plugin and, with
// `peer`, calls it (else waits to be called and accepts).  The peer
// connection is window.kontor.pc, where lib/weak.mjs reads its figures.
function janusClient({ url, name, peer }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'janus-protocol');
    const pending = new Map();
    let seq = 0;
    let session;
    let handle;
    let pc;
    const send = (msg) => new Promise((res) => {
      const transaction = `t${++seq}`;
      pending.set(transaction, res);
      ws.send(JSON.stringify({ ...msg, transaction }));
    });
    const message = (body, jsep) => send({ janus: 'message', session_id: session, handle_id: handle, body, ...(jsep ? { jsep } : {}) });
    const onEvent = async (m) => {
      const result = m.plugindata?.data?.result;
      if (!result) return;
      if (result.event === 'incomingcall' && m.jsep) {
        await pc.setRemoteDescription(m.jsep);
        await pc.setLocalDescription(await pc.createAnswer());
        message({ request: 'accept' }, { type: 'answer', sdp: pc.localDescription.sdp });
        resolve('accepted');
      } else if (result.event === 'accepted' && m.jsep) {
        await pc.setRemoteDescription(m.jsep);
        resolve('called');
      }
    };
    ws.onerror = () => reject(new Error(`WebSocket to ${url} failed`));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.janus === 'ack') return;
      if (m.transaction && pending.has(m.transaction)) {
        const res = pending.get(m.transaction);
        pending.delete(m.transaction);
        res(m);
      }
      if (m.janus === 'event') onEvent(m).catch(reject);
      if (m.janus === 'hangup') window.janusHangup = m.reason;
    };
    ws.onopen = async () => {
      try {
        session = (await send({ janus: 'create' })).data.id;
        handle = (await send({ janus: 'attach', session_id: session, plugin: 'janus.plugin.videocall' })).data.id;
        setInterval(() => ws.send(JSON.stringify({ janus: 'keepalive', session_id: session, transaction: 'k' })), 20000);
        pc = new RTCPeerConnection();
        window.kontor = { pc };
        // Played, as kontor's pages play them: audio unplayed is never
        // counted as received samples.
        pc.ontrack = (e) => {
          const el = document.createElement(e.track.kind);
          el.autoplay = true;
          el.muted = e.track.kind === 'video';
          el.srcObject = new MediaStream([e.track]);
          document.body.append(el);
        };
        pc.onicecandidate = (e) => ws.send(JSON.stringify({
          janus: 'trickle', session_id: session, handle_id: handle, transaction: `c${++seq}`,
          candidate: e.candidate ? { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex } : { completed: true },
        }));
        const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 } } });
        for (const track of media.getTracks()) pc.addTrack(track, media);
        const registered = await message({ request: 'register', username: name });
        if (registered.plugindata?.data?.result?.event !== 'registered') throw new Error(`register: ${JSON.stringify(registered)}`);
        if (peer) {
          await pc.setLocalDescription(await pc.createOffer());
          await message({ request: 'call', username: peer }, { type: 'offer', sdp: pc.localDescription.sdp });
        }
      } catch (e) {
        reject(e);
      }
    };
  });
}

async function decoding(page) {
  return until('decoded video', () => page.evaluate(async () => {
    let frames = 0;
    (await window.kontor?.pc?.getStats())?.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded || 0;
    });
    return frames > 10;
  }), { timeout: 30000, interval: 250 });
}

before(async () => {
  if (!haveJanus()) return;
  dir = certDir();
  const cert = makeCert(dir, 'weak-janus', { dns: ['localhost'], ip: [HOST] });
  server = await startServer({ name: 'kontor-weak-janus', port: PORT, icePortMin: 41520, icePortMax: 41530,
    host: HOST, tls: { cert: cert.cert, key: cert.key, ca: cert.pem } });
  janus = await startJanus(cert);
  const trust = `--ignore-certificate-errors-spki-list=${cert.spki}`;
  browser = await launch([trust]);
  seekerBrowser = await launchInSeekerNet(dir, [trust]);
});

after(async () => {
  letGo();
  await seekerBrowser?.close();
  await browser?.close();
  await janus?.stop();
  await server?.stop();
  if (dir) removeDir(dir);
});

let open;

step('janus: the call starts on a good link', async (t) => {
  if (!haveJanus()) { t.skip('janus is not installed'); return; }
  caseworker = await openPage(browser, 'janus-caseworker', { bypassCSP: true });
  seeker = await openPage(seekerBrowser, 'janus-seeker', { width: 360, height: 740, bypassCSP: true });
  await Promise.all([caseworker.goto(server.base), seeker.goto(server.base)]);
  const url = `wss://${HOST}:${JANUS_PORT}`;
  const answered = seeker.evaluate(janusClient, { url, name: 'seeker' });
  await new Promise((r) => setTimeout(r, 1500));  // registered before the call
  const called = caseworker.evaluate(janusClient, { url, name: 'caseworker', peer: 'seeker' });
  assert.deepEqual(await Promise.all([answered, called]), ['accepted', 'called']);
  await Promise.all([decoding(seeker), decoding(caseworker)]);
  await new Promise((r) => setTimeout(r, 8000));
  open = await both('open link');
});

step(`janus: only the job seeker's downlink at ${RATE}`, async (t) => {
  if (!open) { t.skip('no call'); return; }
  limit('down', true);
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const dropsBefore = qdiscDrops('down');
  await both('downlink limited');
  console.log(`janus: packets tbf dropped toward the job seeker while measuring: ${qdiscDrops('down') - dropsBefore}`);
});

step(`janus: both ways at ${RATE}`, async (t) => {
  if (!open) { t.skip('no call'); return; }
  limit('up', true);
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  await both('both ways limited');
});

step('janus: the link is let go', async (t) => {
  if (!open) { t.skip('no call'); return; }
  limit('down', false);
  limit('up', false);
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  await both('link let go');
});
