// kiosk.test.mjs — a service-office terminal: the job seeker types the
// booking reference and kiosk code, waits, meets the caseworker, and when
// the meeting ends the terminal starts afresh with nothing of them left.
//
// The booking comes from the API (it returns the kiosk code once).  Its
// slot lies in the future, so this test starts a kontor whose clock is set
// to a minute before that slot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, openPage, screenshot, until, pageState, mediaStats, sameOfficeDay } from './lib/harness.mjs';
import { checkA11y } from './lib/axe.mjs';
import { startServer } from './lib/server.mjs';

let browser;
let server;
let booked;

before(async () => {
  const from = new Date().toISOString().slice(0, 10);
  const to = new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10);
  const slots = await (await fetch(`${env.base}/api/v1/slots?service=1&from=${from}&to=${to}`)).json();
  // The server below runs a minute before the slot, and the caseworker's
  // queue shows that day: in the demo office's zone the minute before must
  // fall on the slot's own date (not so at 00:00).
  const slot = slots.slots?.find((s) => Date.parse(s.starts_at) > Date.now() + 3600000
    && sameOfficeDay(s.starts_at, 60000));
  assert.ok(slot, `no free slot in the coming week: ${JSON.stringify(slots)}`);
  const r = await fetch(`${env.base}/api/v1/bookings`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ service_id: 1, office_id: slot.office_id, starts_at: slot.starts_at,
      name: 'Kari Kiosk', contact: 'kari.kiosk@example.org', language: 'nb', interpreter: false }),
  });
  booked = await r.json();
  assert.equal(r.status, 201, JSON.stringify(booked));
  assert.match(booked.kiosk_code, /^\d{6}$/);
  const offsetS = Math.round((Date.parse(slot.starts_at) - 60000 - Date.now()) / 1000);
  server = await startServer({ name: 'kontor-kiosk', port: 8082, icePortMin: 41300, icePortMax: 41340,
    clockOffsetS: offsetS });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('kiosk: reference and code, a meeting, then a fresh screen', async () => {
  const kiosk = await openPage(browser, 'kiosk', { width: 1280, height: 800, bypassCSP: true });
  await kiosk.goto(`${server.base}/kiosk.html`);
  await until('the kiosk form', async () => (await pageState(kiosk)) === 'kiosk');
  // The terminals' address leads to the join page in its kiosk mode.
  assert.equal(new URL(kiosk.url()).pathname + new URL(kiosk.url()).search, '/join.html?kiosk');
  await checkA11y(kiosk, 'kiosk form (1280px)');
  await kiosk.setViewportSize({ width: 360, height: 740 });
  await checkA11y(kiosk, 'kiosk form (360px)');
  await kiosk.setViewportSize({ width: 1280, height: 800 });

  const wrong = booked.kiosk_code === '000000' ? '111111' : '000000';
  await kiosk.getByLabel('Booking reference').fill(booked.booking.reference);
  await kiosk.getByLabel('Kiosk code (6 digits)').fill(wrong);
  await kiosk.getByRole('button', { name: 'Go to the waiting room' }).click();
  await kiosk.getByText('The reference or the code is wrong', { exact: false }).waitFor();
  assert.equal(await pageState(kiosk), 'kiosk');
  await screenshot(kiosk, 'wrong-code');

  await kiosk.getByLabel('Booking reference').fill(booked.booking.reference.toLowerCase());
  await kiosk.getByLabel('Kiosk code (6 digits)').fill(booked.kiosk_code);
  await kiosk.getByRole('button', { name: 'Go to the waiting room' }).click();
  await until('the waiting room', async () => (await pageState(kiosk)) === 'waiting');
  await screenshot(kiosk, 'waiting');

  const cw = await openPage(browser, 'kiosk-caseworker', { width: 1280, height: 800 });
  await cw.goto(`${server.base}/caseworker.html`);
  await cw.getByLabel('E-mail').fill(env.demo.caseworker_email);
  await cw.getByLabel('Password').fill(env.demo.caseworker_password);
  await cw.getByRole('button', { name: 'Log in' }).click();
  const row = cw.locator(`tr[data-booking-id="${booked.booking.id}"][data-status="waiting"]`);
  await row.waitFor({ timeout: 15000 });
  await row.getByRole('button', { name: /^Admit/ }).click();
  await until('video on the kiosk', async () => (await mediaStats(kiosk))?.framesDecoded > 0, { timeout: 20000 });
  await until('video for the caseworker', async () => (await mediaStats(cw))?.framesDecoded > 0, { timeout: 20000 });
  await screenshot(kiosk, 'meeting');

  await cw.getByRole('button', { name: 'End meeting' }).click();
  await until('the end page', async () => (await pageState(kiosk)) === 'ended');
  const resetIn = await kiosk.evaluate(() => window.kontor.resetAt - Date.now());
  assert.ok(resetIn > 0 && resetIn <= 15000, `the kiosk resets by itself (in ${resetIn} ms)`);
  await screenshot(kiosk, 'ended');
  await kiosk.getByRole('button', { name: 'Start afresh now' }).click();
  await until('a fresh kiosk form', async () => (await pageState(kiosk)) === 'kiosk');
  const left = await kiosk.evaluate(() => ({
    local: localStorage.length, session: sessionStorage.length,
    reference: document.getElementById('reference').value, code: document.getElementById('code').value,
    booking: window.kontor.booking,
  }));
  assert.deepEqual(left, { local: 0, session: 0, reference: '', code: '', booking: null });
  await screenshot(kiosk, 'fresh');
  await cw.context().close();
  await kiosk.context().close();
});
