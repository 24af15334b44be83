// chromium-check.mjs — two headless Chromium pages (fake camera and
// microphone) meet through kontor-stdio-relay: checks that Chromium accepts
// the relay's answers and decodes what the relay forwards, including after
// one page leaves and rejoins.  A manual check, not a meson test (the media
// suite runs without a browser).  Run as root:
//   tests/media/run-in-netns.sh node tests/media/chromium-check.mjs \
//       build-x/tests/media/kontor-stdio-relay
// Needs playwright-core from tests/e2e/node_modules and /usr/bin/chromium.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../e2e/package.json'));
const { chromium } = require('playwright-core');

const relayPath = process.argv[2];
const printSdp = !!process.env.KONTOR_TEST_PRINT_SDP;
const deadline = Date.now() + 90_000;

const page_html = `<!doctype html><title>km</title><script>
let pc;
window.start = async () => {
  pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  pc.onicecandidate = (e) => window.toRelay({ op: 'ice',
    mline: e.candidate ? e.candidate.sdpMLineIndex : 0,
    candidate: e.candidate ? e.candidate.candidate : null });
  const s = await navigator.mediaDevices.getUserMedia({ audio: true,
    video: { width: 640, height: 480 } });
  for (const t of s.getTracks()) pc.addTrack(t, s);
  return window.offer(0, 0);
};
window.restart = async () => {
  pc.restartIce();
  const o = await pc.createOffer({ iceRestart: true });
  await pc.setLocalDescription(o);
  return o.sdp;
};
window.offer = async (audio, video) => {
  const have = (k) => pc.getTransceivers().filter(t =>
      (t.receiver.track.kind === k) && t.currentDirection !== 'stopped').length;
  for (let n = have('audio'); n < audio; n++) pc.addTransceiver('audio', { direction: 'recvonly' });
  for (let n = have('video'); n < video; n++) pc.addTransceiver('video', { direction: 'recvonly' });
  const o = await pc.createOffer();
  await pc.setLocalDescription(o);
  return o.sdp;
};
window.answer = (sdp) => pc.setRemoteDescription({ type: 'answer', sdp });
window.ice = (c, m) => pc.addIceCandidate(c ? { candidate: c, sdpMLineIndex: m } : null);
window.stats = async () => {
  let frames = 0, audio = 0, streams = 0;
  (await pc.getStats()).forEach(r => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') { frames += r.framesDecoded || 0; if (r.framesDecoded) streams++; }
    if (r.type === 'inbound-rtp' && r.kind === 'audio') audio += r.packetsReceived || 0;
  });
  return { frames, audio, streams, state: pc.connectionState };
};
</script>`;

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(page_html);
});
await new Promise(r => server.listen(0, '127.0.0.1', r));
const url = `http://localhost:${server.address().port}/`;

const relay = spawn(relayPath, [], { stdio: ['pipe', 'pipe', 'inherit'],
  env: { ...process.env, KONTOR_ICE_PORTS: '41000-41999' } });
const waiters = [];
const pages = new Map();           // id → page
const busy = new Set(), pending = new Map();
async function reoffer(id, page, want) {
  busy.add(id);
  const sdp = await page.evaluate(([a, v]) => window.offer(a, v), [want.audio, want.video]);
  if (printSdp) console.log(`---- offer from ${id}\n${sdp}`);
  send({ op: 'offer', id, sdp });
}
function send(obj) { relay.stdin.write(JSON.stringify(obj) + '\n'); }
createInterface({ input: relay.stdout }).on('line', async (line) => {
  const ev = JSON.parse(line);
  for (const w of waiters.splice(0)) w(ev);
  const page = pages.get(ev.id);
  if (ev.ev === 'answer' && page) {
    if (printSdp) console.log(`---- answer for ${ev.id}\n${ev.sdp}`);
    await page.evaluate(s => window.answer(s), ev.sdp);
    // One negotiation at a time, as a page must: a request that came in
    // meanwhile is served now.
    const want = pending.get(ev.id);
    if (want) { pending.delete(ev.id); await reoffer(ev.id, page, want); }
    else busy.delete(ev.id);
  } else if (ev.ev === 'ice' && page) {
    await page.evaluate(([c, m]) => window.ice(c, m), [ev.candidate, ev.mline]);
  } else if (ev.ev === 'renegotiate' && page) {
    console.log(`renegotiate ${ev.id}: ${ev.audio} audio, ${ev.video} video`);
    if (busy.has(ev.id)) pending.set(ev.id, ev);
    else await reoffer(ev.id, page, ev);
  } else if (ev.ev === 'error' || ev.ev === 'failed') {
    console.log('relay:', line);
  }
});
function next(pred) {
  return new Promise(r => { const f = (ev) => pred(ev) ? r(ev) : waiters.push(f); waiters.push(f); });
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--autoplay-policy=no-user-gesture-required'] });

async function join(label) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(url);
  const joined = next(ev => ev.ev === 'joined');
  send({ op: 'join', label });
  const { id } = await joined;
  pages.set(id, page);
  await page.exposeFunction('toRelay', (m) => send({ ...m, id }));
  const t0 = Date.now();
  const sdp = await page.evaluate(() => window.start());
  if (printSdp) console.log(`---- offer from ${id}\n${sdp}`);
  busy.add(id);
  send({ op: 'offer', id, sdp });
  return { id, page, ctx, t0, label };
}

async function waitFrames(p, min, what) {
  while (Date.now() < deadline) {
    const s = await p.page.evaluate(() => window.stats());
    if (s.frames >= min) return s;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`${what}: ${p.label} decoded no video`);
}

let failed = false;
try {
  const a = await join('seeker');
  const b = await join('caseworker');
  for (const p of [a, b]) {
    await waitFrames(p, 1, '1:1');
    console.log(`first decoded frame: ${p.label} ${Date.now() - p.t0} ms after offer`);
  }
  const s0 = [await a.page.evaluate(() => window.stats()), await b.page.evaluate(() => window.stats())];
  await new Promise(r => setTimeout(r, 5000));
  const s1 = [await a.page.evaluate(() => window.stats()), await b.page.evaluate(() => window.stats())];
  for (const i of [0, 1])
    console.log(`${i ? 'caseworker' : 'seeker'}: +${s1[i].frames - s0[i].frames} frames, +${s1[i].audio - s0[i].audio} audio packets in 5 s`);
  if (s1.some((s, i) => s.frames - s0[i].frames < 50 || s.audio - s0[i].audio < 100))
    throw new Error('media did not keep flowing');

  if (process.env.KONTOR_CHECK_RESTART) {
    // The seeker's page restarts ICE, as it does after a network change.
    busy.add(a.id);
    const sdp = await a.page.evaluate(() => window.restart());
    send({ op: 'offer', id: a.id, sdp });
    await new Promise(r => setTimeout(r, 1500));
    const r0 = [await a.page.evaluate(() => window.stats()), await b.page.evaluate(() => window.stats())];
    await new Promise(r => setTimeout(r, 3000));
    const r1 = [await a.page.evaluate(() => window.stats()), await b.page.evaluate(() => window.stats())];
    console.log(`after ICE restart: seeker +${r1[0].frames - r0[0].frames} frames (${r1[0].state}), caseworker +${r1[1].frames - r0[1].frames} frames`);
    if (r1.some((s, i) => s.frames - r0[i].frames < 20)) throw new Error('ICE restart broke the call');
  }
  // the caseworker reloads
  send({ op: 'leave', id: b.id });
  await b.ctx.close();
  pages.delete(b.id);
  const before = (await a.page.evaluate(() => window.stats())).frames;
  const b2 = await join('caseworker');
  await waitFrames(b2, 1, 'rejoin');
  await waitFrames(a, before + 1, 'rejoin (other side)');
  console.log(`rejoin: both decode again ${Date.now() - b2.t0} ms after the new offer`);
  if (process.env.KONTOR_CHECK_THIRD) {
    const c = await join('interpreter');
    await waitFrames(c, 1, 'third');
    const t = Date.now();
    while (Date.now() < deadline) {
      const ss = await Promise.all([a, b2, c].map(p => p.page.evaluate(() => window.stats())));
      if (ss.every(s => s.streams >= 2)) break;
      await new Promise(r => setTimeout(r, 100));
    }
    const ss = await Promise.all([a, b2, c].map(p => p.page.evaluate(() => window.stats())));
    console.log(`three: video streams decoded per page ${ss.map(s => s.streams).join(', ')} (${Date.now() - t} ms)`);
    if (ss.some(s => s.streams < 2)) throw new Error('three: not everyone sees both others');
  }
  console.log('ok');
} catch (e) {
  console.log('FAIL:', e.message);
  failed = true;
}
await browser.close();
relay.stdin.end();
server.close();
process.exit(failed ? 1 : 0);
