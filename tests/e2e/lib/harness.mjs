// harness.mjs — what every e2e test file shares: the settings run-e2e.sh
// passes, a Chromium launched the way WebRTC needs it, screenshots, and
// reading a page's WebRTC statistics.
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { mkdirSync, appendFileSync, writeFileSync, chmodSync, openSync } from 'node:fs';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the e2e tests through run-e2e.sh`);
  return value;
}

export const env = {
  get base() { return need('KONTOR_E2E_BASE_URL'); },
  get demo() { return JSON.parse(need('KONTOR_E2E_DEMO')); },
  get iceMin() { return Number(need('KONTOR_E2E_ICE_MIN')); },
  get iceMax() { return Number(need('KONTOR_E2E_ICE_MAX')); },
  get shots() { return process.env.KONTOR_E2E_SCREENSHOTS || 'e2e-screenshots'; },
  // For tests that start a kontor of their own (lib/server.mjs).
  get binary() { return need('KONTOR_E2E_BINARY'); },
  get database() { return need('KONTOR_E2E_DATABASE'); },
  get webRoot() { return need('KONTOR_E2E_WEB_ROOT'); },
};

// Flags measured to work for WebRTC in a namespace (shared/WEBRTCBIN.md,
// "Browsers in tests").  Never downloads a browser: Debian's Chromium only.
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  // getDisplayMedia: the fake device flag gives a synthetic screen, and
  // this picks it without a chooser.
  '--auto-select-desktop-capture-source=Entire screen',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

// executablePath: a wrapper that starts /usr/bin/chromium elsewhere (in
// another network namespace: turn.test.mjs).
export async function launch(extraArgs = [], { executablePath = '/usr/bin/chromium' } = {}) {
  return chromium.launch({
    executablePath,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: 30000,
  });
}

// Chromium in the job seeker's own namespace (run-e2e.sh with
// KONTOR_E2E_SEEKER_NET=1), started through a wrapper written into dir.
export async function launchInSeekerNet(dir, extraArgs = []) {
  const wrapper = join(dir, 'chromium-in-seeker-net');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec '${process.env.KONTOR_E2E_NS}-seeker' /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  return launch(extraArgs, { executablePath: wrapper });
}

// Steps that run in order, as a person goes through them: after one
// fails, the rest are skipped, not piled on.  check() is a step whose
// failure does not make the later ones meaningless.
export function inOrder() {
  let broken = false;
  const step = (name, fn) => test(name, async (t) => {
    if (broken) { t.skip('an earlier step failed'); return; }
    try {
      await fn(t);
    } catch (e) {
      broken = true;
      throw e;
    }
  });
  const check = (name, fn) => test(name, async (t) => {
    if (broken) { t.skip('an earlier step failed'); return; }
    await fn(t);
  });
  return { step, check };
}

// A page in its own context (own cookies), its console kept in a log file
// beside the screenshots, for the post-mortem of a failed run.
export async function openPage(browser, name, { width = 1280, height = 800, locale = 'en-GB', bypassCSP = false } = {}) {
  // bypassCSP only for pages that get axe-core injected.
  const context = await browser.newContext({ viewport: { width, height }, locale, bypassCSP });
  const page = await context.newPage();
  mkdirSync(env.shots, { recursive: true });
  const logFile = join(env.shots, `${name}-console.log`);
  const log = (line) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  page.on('console', (m) => log(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log(`pageerror: ${e.message}`));
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => log(`ws> ${String(f.payload).slice(0, 300)}`));
    ws.on('framereceived', (f) => log(`ws< ${String(f.payload).slice(0, 300)}`));
    ws.on('close', () => log('ws closed'));
  });
  return page;
}

// Named after the test file (each runs in its own process) and numbered in
// the order taken: meeting-03-seeker-waiting.png.
const filePrefix = basename(process.argv[1] || 'e2e').replace(/\.test\.mjs$/, '');
let shotNumber = 0;
export async function screenshot(page, name) {
  mkdirSync(env.shots, { recursive: true });
  shotNumber++;
  const file = join(env.shots, `${filePrefix}-${String(shotNumber).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// A token no booking has: 32 random bytes as unpadded base64url, like real ones.
export function randomToken() {
  return randomBytes(32).toString('base64url');
}

// What a page's RTCPeerConnection reports: decoded video frames, received
// audio packets (summed over inbound streams) and the selected candidate pair.
export async function mediaStats(page) {
  return page.evaluate(async () => {
    const pc = window.kontor?.pc;
    if (!pc || pc.connectionState === 'closed') return null;
    const report = await pc.getStats();
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    let framesDecoded = 0;
    let audioPackets = 0;
    let pair = null;
    for (const s of byId.values()) {
      if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded || 0;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') audioPackets += s.packetsReceived || 0;
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId);
    }
    const cand = (id) => {
      const c = id && byId.get(id);
      return c ? { address: c.address, port: c.port, protocol: c.protocol, type: c.candidateType } : null;
    };
    return {
      connectionState: pc.connectionState,
      framesDecoded,
      audioPackets,
      pair: pair ? { state: pair.state, local: cand(pair.localCandidateId), remote: cand(pair.remoteCandidateId) } : null,
    };
  });
}

// A server a test needs beside kontor (coturn, Janus), its output in
// LOGNAME beside the screenshots: up once listening() says so; stop() ends
// it by its PID (SIGTERM, then SIGKILL after 5 s).
export async function startDaemon(what, command, args, logName, listening, timeout = 10000) {
  const log = openSync(join(env.shots, logName), 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log] });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await until(`${what} listening`, () => {
    if (child.exitCode !== null) throw new Error(`${what} exited at start-up (see ${logName})`);
    return listening();
  }, { timeout });
  return { pid: child.pid, stop };
}

// Polls until fn() returns something truthy; throws with what it last saw.
export async function until(what, fn, { timeout = 15000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try { last = await fn(); } catch (e) { last = e; }
    if (last && !(last instanceof Error)) return last;
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

// Whether a clock leadMs before the time iso shows the same date as at iso
// in the demo office's zone: a server started that long before a booking
// then lists it in that day's caseworker queue.
export function sameOfficeDay(iso, leadMs) {
  const day = (ms) => new Date(ms).toLocaleDateString('sv-SE', { timeZone: 'Europe/Oslo' });
  return day(Date.parse(iso) - leadMs) === day(Date.parse(iso));
}

export function pageState(page) {
  return page.evaluate(() => window.kontor?.state);
}
