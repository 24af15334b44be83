// nodes.test.mjs — two kontor nodes behind HAProxy on one PostgreSQL
// (run-nodes.sh starts them): the job seeker arrives through node kontor1,
// the caseworker through node kontor2; the caseworker's queue on kontor2
// shows the arrival on kontor1; the admit sends the caseworker's page to
// kontor1, where they meet, with video both ways.  Then kontor1 is killed
// (SIGKILL) mid-meeting: both pages reconnect by themselves, kontor2 takes
// the meeting over once kontor1's lease has run out, and video is back on
// both pages within 15 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { env, launch, openPage, screenshot, mediaStats, until, pageState } from './lib/harness.mjs';

let browser;
let seeker;
let caseworker;
let bookingId;

// The node a page's socket is on, from the HAProxy-routed WebSocket URL it
// last opened and the database's record of the meeting.
function host() {
  return execFileSync('psql', [process.env.KONTOR_E2E_DATABASE, '-qAtX', '-c',
    `SELECT node FROM meeting_hosts WHERE booking_id = ${bookingId}`]).toString().trim();
}

// Video decoding goes on: framesDecoded rises three times in a row.
async function decoding(page, what, timeout) {
  let previous = -1;
  let rising = 0;
  return until(what, async () => {
    const now = (await mediaStats(page))?.framesDecoded ?? 0;
    rising = now > previous && previous >= 0 ? rising + 1 : 0;
    previous = now;
    return rising >= 3;
  }, { timeout, interval: 200 });
}

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the job seeker arrives through kontor1, the caseworker through kontor2: they meet', async () => {
  const { caseworker_email: email, caseworker_password: password, booking_token: token, booking_reference: reference } = env.demo;
  caseworker = await openPage(browser, 'nodes-caseworker');
  await caseworker.goto(`${env.base}/caseworker.html?node=kontor2`);
  await caseworker.getByLabel('E-mail').fill(email);
  await caseworker.getByLabel('Password').fill(password);
  await caseworker.getByRole('button', { name: 'Log in' }).click();
  bookingId = await until('the booking in the queue', () => caseworker.evaluate(
    (ref) => window.kontor?.queue?.bookings.find((b) => b.reference === ref)?.id, reference));

  seeker = await openPage(browser, 'nodes-seeker', { width: 360, height: 740 });
  await seeker.goto(`${env.base}/join.html?node=kontor1#t=${token}`);
  await until('the device check', async () => (await pageState(seeker)) === 'check');
  await seeker.locator('#enter').click();
  await until('the waiting room', async () => (await pageState(seeker)) === 'waiting');
  assert.equal(host(), 'kontor1', 'the meeting is hosted where the job seeker arrived');

  // The queue on kontor2 hears of the arrival on kontor1 (LISTEN/NOTIFY).
  const row = caseworker.locator(`tr[data-booking-id="${bookingId}"]`);
  await row.and(caseworker.locator('[data-present="true"]')).waitFor({ timeout: 10000 });
  await screenshot(caseworker, 'queue-on-kontor2-shows-arrival');

  await caseworker.getByRole('button', { name: /^Admit next: / }).click();
  await until('the caseworker in the meeting', async () => (await pageState(caseworker)) === 'meeting', { timeout: 20000 });
  await Promise.all([
    decoding(seeker, 'video on the job seeker\'s page', 30000),
    decoding(caseworker, 'video on the caseworker\'s page', 30000),
  ]);
  assert.equal(host(), 'kontor1');
  await screenshot(caseworker, 'meeting-on-kontor1');
});

test('kontor1 is killed mid-meeting: video is back on both pages within 15 s, on kontor2', async () => {
  const killedAt = Date.now();
  process.kill(Number(process.env.KONTOR_E2E_NODE1_PID), 'SIGKILL');
  // The old connections stop; wait until each page has a fresh one that decodes.
  const back = (page, who) => decoding(page, `video back on the ${who}'s page`, 20000)
    .then(() => Date.now() - killedAt);
  // First let the pages notice the loss, so old frames do not count.
  await until('the pages noticing', async () => {
    const a = await mediaStats(seeker);
    const b = await mediaStats(caseworker);
    return (!a || a.connectionState !== 'connected') && (!b || b.connectionState !== 'connected');
  }, { timeout: 10000, interval: 100 });
  const [s, c] = await Promise.all([back(seeker, 'job seeker'), back(caseworker, 'caseworker')]);
  console.log(`SIGKILL → video again: job seeker ${s} ms, caseworker ${c} ms`);
  assert.ok(Math.max(s, c) < 15000, `video came back after ${Math.max(s, c)} ms`);
  assert.equal(host(), 'kontor2', 'kontor2 hosts the meeting now');
  await screenshot(seeker, 'seeker-after-failover');
  await screenshot(caseworker, 'caseworker-after-failover');
});
