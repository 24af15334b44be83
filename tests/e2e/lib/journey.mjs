// journey.mjs — the meeting journey in a few calls, for tests that need a
// meeting to run but test something around it (TLS, TURN): a fresh demo
// booking, the caseworker's log-in, the job seeker's way to the waiting
// room, the admit, and checks that media flows.  meeting.test.mjs tests
// the journey itself, step by step.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { env, mediaStats, until, pageState } from './harness.mjs';

// A booking of its own that starts within minutes (kontor demo, run again:
// the demo caseworker gets a new password, an older demo booking in the
// way is cancelled).
export function freshDemo() {
  const out = execFileSync(env.binary, ['demo', '--json', '--starts-in', '120'], {
    env: { ...process.env, KONTOR_DATABASE: env.database },
  });
  return JSON.parse(String(out));
}

export async function caseworkerLogsIn(page, base, demo) {
  await page.goto(`${base}/caseworker.html`);
  await page.getByLabel('E-mail').fill(demo.caseworker_email);
  await page.getByLabel('Password').fill(demo.caseworker_password);
  await page.getByRole('button', { name: 'Log in' }).click();
  return until('the booking in the queue', () => page.evaluate(
    (ref) => window.kontor?.queue?.bookings.find((b) => b.reference === ref)?.id, demo.booking_reference));
}

export async function seekerWaits(page, base, demo) {
  await page.goto(`${base}/join.html#t=${demo.booking_token}`);
  await until('the device check', async () => (await pageState(page)) === 'check', { timeout: 20000 });
  await page.getByRole('button', { name: /^Go to the waiting room/ }).click();
  await until('the waiting room', async () => (await pageState(page)) === 'waiting');
}

export async function admit(caseworker, bookingId) {
  const row = caseworker.locator(`tr[data-booking-id="${bookingId}"]`);
  await row.and(caseworker.locator('[data-status="waiting"][data-present="true"]')).waitFor({ timeout: 10000 });
  await caseworker.getByRole('button', { name: /^Admit next: / }).click();
}

export async function firstFrame(page, timeout = 20000) {
  return until('a decoded video frame', async () => (await mediaStats(page))?.framesDecoded > 0,
    { timeout, interval: 50 });
}

// Decoded frames rise over three samples in a row.
export async function steady(page, timeout = 20000) {
  let previous = (await mediaStats(page))?.framesDecoded ?? 0;
  let rising = 0;
  return until('video decoding steadily', async () => {
    const now = (await mediaStats(page))?.framesDecoded ?? 0;
    rising = now > previous ? rising + 1 : 0;
    previous = now;
    return rising >= 3;
  }, { timeout, interval: 250 });
}

// Second by second for `seconds`, decoded video frames and received audio
// packets both go up.
export async function assertMediaFlows(page, who, seconds = 4) {
  const samples = [await mediaStats(page)];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(await mediaStats(page));
  }
  const line = samples.map((s) => `${s?.framesDecoded}/${s?.audioPackets}`).join(' ');
  console.log(`${who}: frames/audio packets each second: ${line}`);
  for (let i = 1; i < samples.length; i++) {
    assert.ok(samples[i] && samples[i - 1], `${who}: no peer connection at second ${i}`);
    assert.ok(samples[i].framesDecoded > samples[i - 1].framesDecoded,
      `${who}: video framesDecoded did not rise in second ${i}: ${line}`);
    assert.ok(samples[i].audioPackets > samples[i - 1].audioPackets,
      `${who}: audio packetsReceived did not rise in second ${i}: ${line}`);
  }
  return samples[samples.length - 1];
}

// The selected candidate pair, once there is one.
export async function selectedPair(page, who) {
  const s = await until(`${who}'s selected candidate pair`, async () => {
    const st = await mediaStats(page);
    return st?.pair?.remote && st.pair.local ? st : null;
  });
  const { local, remote } = s.pair;
  console.log(`${who}: selected pair ${local.type} ${local.address}:${local.port} -> ${remote.type} ${remote.address}:${remote.port} (${remote.protocol})`);
  return s.pair;
}

export async function endMeeting(caseworker, seeker) {
  await caseworker.getByRole('button', { name: 'End meeting' }).click();
  await until('the job seeker\'s end page', async () => (await pageState(seeker)) === 'ended');
}

// Every WebSocket a page opens, and whether it closed: a test that must not
// drop connections checks that none closed.
export function watchSockets(page) {
  const sockets = [];
  page.on('websocket', (ws) => {
    const entry = { url: ws.url(), closed: false };
    sockets.push(entry);
    ws.on('close', () => { entry.closed = true; });
  });
  return sockets;
}
