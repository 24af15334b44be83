// early.test.mjs — a job seeker who opens the link before the join window:
// the page says when the room opens, counts down, and lets them in by
// itself when it opens.
//
// The demo booking starts within minutes, so its window is already open on
// the main server.  This test starts a second kontor whose clock is set
// back to 25 s before the window opens, and sets the page's clock the same
// way (as a person's computer agrees with the server's time).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, openPage, screenshot, until, pageState } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';

const JOIN_BEFORE_S = 600;     // the default join window (docs/protocol.md)
const LEAD_S = 25;

let browser;
let server;
let offsetS;

before(async () => {
  const startsAt = Date.parse(env.demo.booking_starts_at);
  offsetS = Math.round((startsAt - JOIN_BEFORE_S * 1000 - LEAD_S * 1000 - Date.now()) / 1000);
  server = await startServer({ name: 'kontor-early', port: 8081, icePortMin: 41200, icePortMax: 41210,
    clockOffsetS: offsetS });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('too early: the countdown runs and lets the job seeker in by itself', async () => {
  const page = await openPage(browser, 'early', { width: 360, height: 740 });
  await page.clock.install({ time: Date.now() + offsetS * 1000 });
  await page.goto(`${server.base}/join.html#t=${env.demo.booking_token}`);
  await until('the device check', async () => (await pageState(page)) === 'check');
  await page.getByRole('button', { name: /^Go to the waiting room/ }).click();
  await until('the too-early page', async () => (await pageState(page)) === 'early');
  await page.getByRole('heading', { name: 'You are early' }).waitFor();
  const first = await page.locator('#countdown').textContent();
  assert.match(first, /^0:[0-2]\d$/, `countdown shows ${first}`);
  await screenshot(page, 'early-countdown');
  await new Promise((r) => setTimeout(r, 2000));
  const later = await page.locator('#countdown').textContent();
  assert.ok(later < first, `countdown did not move: ${first} then ${later}`);
  await until('the waiting room, without a click', async () => (await pageState(page)) === 'waiting',
    { timeout: (LEAD_S + 20) * 1000, interval: 250 });
  await screenshot(page, 'early-then-waiting');
  await page.context().close();
});
