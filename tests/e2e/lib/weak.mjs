// weak.mjs — a job seeker's weak link, shared by weak.test.mjs (kontor)
// and weak-janus.test.mjs (the same through Janus, a benchmark): the
// link held by tbf on the job seeker's veth pair (run-e2e.sh with
// KONTOR_E2E_SEEKER_NET=1), and what each leg receives, measured from
// the page's RTCPeerConnection (window.kontor.pc) every second.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

export const RATE = '300kbit';

const ns = () => process.env.KONTOR_E2E_NS;

// tbf on one end of the job seeker's veth pair: a 300 kbit/s link whose
// queue holds at most 100 ms, as a mobile network's might.
export function limit(where, on) {
  const inNs = where === 'down' ? ns() : `${ns()}-seeker`;
  const dev = where === 'down' ? 'sk0' : 'sk1';
  const args = on ? ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', RATE, 'burst', '4kb', 'latency', '100ms']
    : ['qdisc', 'del', 'dev', dev, 'root'];
  execFileSync('ip', ['netns', 'exec', inNs, 'tc', ...args], { stdio: ['ignore', 'ignore', on ? 'inherit' : 'ignore'] });
}

// Both ends unlimited, whatever was set (after a test, failed or not).
export function letGo() {
  for (const where of ['down', 'up']) {
    try { limit(where, false); } catch { /* not limited */ }
  }
}

export function qdiscDrops(where) {
  const inNs = where === 'down' ? ns() : `${ns()}-seeker`;
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
export async function measure(page, seconds) {
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
  let stillSeconds = 0;
  let gapSeconds = 0;
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i].at - samples[i - 1].at) / 1000;
    slowest = Math.min(slowest, (samples[i].frames - samples[i - 1].frames) / dt);
    if (samples[i].frames === samples[i - 1].frames) stillSeconds++;
    if (samples[i].concealed - samples[i - 1].concealed > 480) gapSeconds++;  // > 10 ms at 48 kHz
  }
  const audio = last.samples - first.samples;
  const emitted = last.jbEmitted - first.jbEmitted;
  return {
    fps: (last.frames - first.frames) / span,
    slowestFps: slowest,
    stillSeconds,
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

export function show(phase, who, m) {
  const f = (v, d = 1) => (v === null || v === undefined ? '-' : Number(v).toFixed(d));
  console.log(`${phase} ${who}: video ${f(m.fps)} fps (slowest second ${f(m.slowestFps)}, ${m.stillSeconds} s without a frame, ${m.height} px high), `
    + `video in ${f(m.kbitIn, 0)} kbit/s, out ${f(m.kbitOut, 0)} kbit/s (${m.limitation}), `
    + `audio concealed ${f(m.concealedPct, 2)} % (${m.audioGapSeconds} s with a gap), `
    + `audio jitter buffer ${f(m.jitterBufferMs, 0)} ms, round trip ${f(m.rttMs, 0)} ms`);
}

// Both legs over the same seconds, printed as `PHASE WHO: …`.
export async function measureBoth(phase, seeker, caseworker, seconds) {
  const [s, c] = await Promise.all([measure(seeker, seconds), measure(caseworker, seconds)]);
  show(phase, 'job seeker', s);
  show(phase, 'caseworker', c);
  return { s, c };
}
