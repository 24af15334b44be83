// weak.test.mjs — a job seeker on a poor mobile link (issue 17): their
// leg is held to 300 kbit/s by a tbf queue, first only toward them, then
// both ways, then let go.  What must hold on that link: audio unbroken,
// video still decoding at what the link carries, and the caseworker's
// side not dragged down.  Figures for both legs are printed each phase
// (frame rate, received bitrate, audio concealed, round trip and jitter
// buffer delay), for docs/performance.md.
//
// The job seeker's browser runs in a namespace of its own (10.232.0.2,
// run-e2e.sh with KONTOR_E2E_SEEKER_NET=1), so that its veth pair is its
// link: tbf on sk0 (kontor's side) shapes what the job seeker receives,
// tbf on sk1 (their side) what they send.  The pages come over HTTPS: a
// page from another namespace is not on localhost, and only a secure
// context may use the camera.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launch, launchInSeekerNet, openPage, screenshot, inOrder } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';
import { certDir, makeCert, removeDir } from './lib/certs.mjs';
import {
  freshDemo, caseworkerLogsIn, seekerWaits, admit, firstFrame, steady, endMeeting,
} from './lib/journey.mjs';

const PORT = 8445;
const ICE_MIN = 41500;
const ICE_MAX = 41510;
const HOST = '10.232.0.1';           // kontor as the job seeker's namespace reaches it
const RATE = '300kbit';
const SETTLE_S = 15;                 // the senders find the new rate
const WINDOW_S = 30;                 // then this is measured

const ns = process.env.KONTOR_E2E_NS;
let dir;
let server;
let browser;
let seekerBrowser;
let caseworker;
let seeker;
const { step } = inOrder();

// tbf on one end of the job seeker's veth pair: a 300 kbit/s link whose
// queue holds at most 100 ms, as a mobile network's might.
function limit(where, on) {
  const inNs = where === 'down' ? ns : `${ns}-seeker`;
  const dev = where === 'down' ? 'sk0' : 'sk1';
  const args = on ? ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', RATE, 'burst', '4kb', 'latency', '100ms']
    : ['qdisc', 'del', 'dev', dev, 'root'];
  execFileSync('ip', ['netns', 'exec', inNs, 'tc', ...args], { stdio: ['ignore', 'ignore', on ? 'inherit' : 'ignore'] });
}

function qdiscDrops(where) {
  const inNs = where === 'down' ? ns : `${ns}-seeker`;
  const dev = where === 'down' ? 'sk0' : 'sk1';
  const out = execFileSync('ip', ['netns', 'exec', inNs, 'tc', '-s', 'qdisc', 'show', 'dev', dev]).toString();
  return Number(out.match(/dropped (\d+)/)?.[1] ?? 0);
}

// One sample of what a page receives and sends, summed over its streams.
function sample(page) {
  return page.evaluate(async () => {
    const pc = window.kontor?.pc;
    if (!pc || pc.connectionState === 'closed') return null;
    const s = { at: performance.now(), frames: 0, videoBytes: 0, height: 0, concealed: 0, samples: 0,
      audioPackets: 0, jbDelay: 0, jbEmitted: 0, sentVideoBytes: 0, rtt: null, limitation: null };
    const byId = new Map();
    (await pc.getStats()).forEach((r) => byId.set(r.id, r));
    for (const r of byId.values()) {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        s.frames += r.framesDecoded || 0;
        s.videoBytes += r.bytesReceived || 0;
        s.height = Math.max(s.height, r.frameHeight || 0);
      }
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        s.concealed += r.concealedSamples || 0;
        s.samples += r.totalSamplesReceived || 0;
        s.audioPackets += r.packetsReceived || 0;
        s.jbDelay += r.jitterBufferDelay || 0;
        s.jbEmitted += r.jitterBufferEmittedCount || 0;
      }
      if (r.type === 'outbound-rtp' && r.kind === 'video') {
        s.sentVideoBytes += r.bytesSent || 0;
        s.limitation = r.qualityLimitationReason || s.limitation;
      }
      if (r.type === 'transport' && r.selectedCandidatePairId) {
        const pair = byId.get(r.selectedCandidatePairId);
        if (pair && pair.currentRoundTripTime !== undefined) s.rtt = pair.currentRoundTripTime;
      }
    }
    return s;
  });
}

// A leg's figures over `seconds`, sampled every second: frame rate, the
// slowest second, received and sent video bitrate, audio concealed (% of
// samples; seconds with any), the audio jitter buffer's delay and the
// round trip at the end.
async function measure(page, seconds) {
  const samples = [await sample(page)];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(await sample(page));
  }
  assert.ok(samples.every(Boolean), 'the peer connection went away while measuring');
  const first = samples[0];
  const last = samples[samples.length - 1];
  const span = (last.at - first.at) / 1000;
  let slowest = Infinity;
  let gapSeconds = 0;
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i].at - samples[i - 1].at) / 1000;
    slowest = Math.min(slowest, (samples[i].frames - samples[i - 1].frames) / dt);
    if (samples[i].concealed - samples[i - 1].concealed > 480) gapSeconds++;  // > 10 ms at 48 kHz
  }
  const audio = last.samples - first.samples;
  const emitted = last.jbEmitted - first.jbEmitted;
  return {
    fps: (last.frames - first.frames) / span,
    slowestFps: slowest,
    height: last.height,
    kbitIn: ((last.videoBytes - first.videoBytes) * 8) / span / 1000,
    kbitOut: ((last.sentVideoBytes - first.sentVideoBytes) * 8) / span / 1000,
    concealedPct: audio > 0 ? (100 * (last.concealed - first.concealed)) / audio : 100,
    audioGapSeconds: gapSeconds,
    audioPacketsPerS: (last.audioPackets - first.audioPackets) / span,
    jitterBufferMs: emitted > 0 ? (1000 * (last.jbDelay - first.jbDelay)) / emitted : null,
    rttMs: last.rtt === null ? null : last.rtt * 1000,
    limitation: last.limitation,
  };
}

function show(phase, who, m) {
  const f = (v, d = 1) => (v === null || v === undefined ? '-' : Number(v).toFixed(d));
  console.log(`${phase} ${who}: video ${f(m.fps)} fps (slowest second ${f(m.slowestFps)}, ${m.height} px high), `
    + `video in ${f(m.kbitIn, 0)} kbit/s, out ${f(m.kbitOut, 0)} kbit/s (${m.limitation}), `
    + `audio concealed ${f(m.concealedPct, 2)} % (${m.audioGapSeconds} s with a gap), `
    + `audio jitter buffer ${f(m.jitterBufferMs, 0)} ms, round trip ${f(m.rttMs, 0)} ms`);
}

async function both(phase) {
  const [s, c] = await Promise.all([measure(seeker, WINDOW_S), measure(caseworker, WINDOW_S)]);
  show(phase, 'job seeker', s);
  show(phase, 'caseworker', c);
  return { s, c };
}

before(async () => {
  dir = certDir();
  const cert = makeCert(dir, 'weak', { dns: ['localhost'], ip: [HOST] });
  server = await startServer({ name: 'kontor-weak', port: PORT, icePortMin: ICE_MIN, icePortMax: ICE_MAX,
    host: HOST, tls: { cert: cert.cert, key: cert.key, ca: cert.pem } });
  const trust = `--ignore-certificate-errors-spki-list=${cert.spki}`;
  browser = await launch([trust]);
  seekerBrowser = await launchInSeekerNet(dir, [trust]);
});

after(async () => {
  for (const where of ['down', 'up']) {
    try { limit(where, false); } catch { /* let go already */ }
  }
  await seekerBrowser?.close();
  await browser?.close();
  await server?.stop();
  if (dir) removeDir(dir);
});

let open;

step('the meeting starts on a good link', async () => {
  const demo = freshDemo();
  caseworker = await openPage(browser, 'weak-caseworker');
  seeker = await openPage(seekerBrowser, 'weak-seeker', { width: 360, height: 740 });
  const bookingId = await caseworkerLogsIn(caseworker, server.base, demo);
  await seekerWaits(seeker, server.base, demo);
  await admit(caseworker, bookingId);
  await Promise.all([firstFrame(seeker, 30000), firstFrame(caseworker, 30000)]);
  await Promise.all([steady(seeker), steady(caseworker)]);
  await new Promise((r) => setTimeout(r, 8000));  // the senders ramp up
  const feedback = await seeker.evaluate(() => [...new Set(
    (window.kontor.pc.remoteDescription?.sdp || '').split('\r\n')
      .filter((l) => l.startsWith('a=rtcp-fb:')).map((l) => l.replace(/^a=rtcp-fb:\d+ /, '')))]);
  console.log(`feedback the relay's answer allows: ${feedback.join(', ')}`);
  open = await both('open link');
  assert.ok(open.s.kbitIn > 250, `the job seeker receives only ${open.s.kbitIn.toFixed(0)} kbit/s on an open link`);
});

step(`only the job seeker's downlink at ${RATE}: audio unbroken, video at a lower rate, the caseworker unharmed`, async () => {
  limit('down', true);
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const dropsBefore = qdiscDrops('down');
  const { s, c } = await both('downlink limited');
  console.log(`packets tbf dropped toward the job seeker while measuring: ${qdiscDrops('down') - dropsBefore}`);
  await screenshot(seeker, 'seeker-on-a-weak-downlink');
  assert.ok(s.concealedPct < 3, `the job seeker's audio was concealed ${s.concealedPct.toFixed(2)} % of the time`);
  assert.ok(s.fps >= 5 && s.slowestFps >= 1, `the job seeker's video: ${s.fps.toFixed(1)} fps, slowest second ${s.slowestFps.toFixed(1)}`);
  assert.ok(s.kbitIn < 300, `the job seeker receives ${s.kbitIn.toFixed(0)} kbit/s of video through a 300 kbit/s link`);
  // The caseworker's own reception does not depend on the job seeker's downlink.
  assert.ok(c.fps >= 0.7 * open.c.fps, `the caseworker's video fell from ${open.c.fps.toFixed(1)} to ${c.fps.toFixed(1)} fps`);
  assert.ok(c.concealedPct < 1, `the caseworker's audio was concealed ${c.concealedPct.toFixed(2)} %`);
});

step(`both ways at ${RATE}: both keep audio and video`, async () => {
  limit('up', true);
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const { s, c } = await both('both ways limited');
  assert.ok(s.concealedPct < 3, `the job seeker's audio was concealed ${s.concealedPct.toFixed(2)} %`);
  assert.ok(c.concealedPct < 3, `the caseworker's audio was concealed ${c.concealedPct.toFixed(2)} %`);
  assert.ok(s.fps >= 5, `the job seeker's video: ${s.fps.toFixed(1)} fps`);
  assert.ok(c.fps >= 5, `the caseworker's video: ${c.fps.toFixed(1)} fps`);
});

step('the link is let go: video comes back up', async () => {
  limit('down', false);
  limit('up', false);
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const { s } = await both('link let go');
  assert.ok(s.kbitIn > 250, `the job seeker still receives only ${s.kbitIn.toFixed(0)} kbit/s after the link is let go`);
  await endMeeting(caseworker, seeker);
});
