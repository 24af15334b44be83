// manage.test.mjs — a job seeker manages a booking by its link: sees it,
// takes the calendar file, cancels it; the link then shows the cancelled
// booking, and the meeting link says it is cancelled.  A job seeker who
// comes after the late-entry window sees the too-late page.
//
// The booking is made through the API (the booking UI waits on a
// catalogue of offices and services from the server): the first free slot
// of the demo service in the coming week.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { env, launch, openPage, screenshot, until, pageState, sameOfficeDay } from './lib/harness.mjs';
import { checkA11y } from './lib/axe.mjs';
import { startServer } from './lib/server.mjs';

let browser;
let booked;
let second;       // a booking the caseworker cancels
let server;       // a kontor whose clock is on second's day
let lateToken;    // the link secret of a booking whose time to enter has passed

async function post(path, body) {
  const r = await fetch(`${env.base}/api/v1/${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

before(async () => {
  browser = await launch();
  const from = new Date().toISOString().slice(0, 10);
  const to = new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10);
  const slots = await (await fetch(`${env.base}/api/v1/slots?service=1&from=${from}&to=${to}`)).json();
  // A second server below runs half an hour before the second booking,
  // and its queue shows that day: in the demo office's zone that half hour
  // must fall on the second booking's own date (not so at 00:00-00:29).
  // Its sweep must not see the first booking as over either, so the two
  // follow each other.
  const nextAfter = (s) => slots.slots?.find((t) => Date.parse(t.starts_at) >= Date.parse(s.ends_at));
  const slot = slots.slots?.find((s) => {
    const next = nextAfter(s);
    return Date.parse(s.starts_at) > Date.now() + 3600000 && next && sameOfficeDay(next.starts_at, 1800000);
  });
  assert.ok(slot, `no free slot in the coming week: ${JSON.stringify(slots)}`);
  const r = await post('bookings', {
    service_id: 1, office_id: slot.office_id, starts_at: slot.starts_at,
    name: 'Ola Testmann', contact: 'ola@example.org', language: 'nb', interpreter: false,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  booked = r.body;
  const later = nextAfter(slot);
  assert.ok(later, 'no second free slot');
  const r2 = await post('bookings', {
    service_id: 1, office_id: later.office_id, starts_at: later.starts_at,
    name: 'Per Avlyst', contact: 'per@example.org', language: 'nb', interpreter: false,
  });
  assert.equal(r2.status, 201, JSON.stringify(r2.body));
  second = r2.body;

  // The queue is the caseworker's day: set this server's clock to half an
  // hour before the second booking, so it is today there.
  server = await startServer({ name: 'kontor-manage', port: 8083, icePortMin: 41400, icePortMax: 41410,
    clockOffsetS: Math.round((Date.parse(later.starts_at) - 1800000 - Date.now()) / 1000) });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the caseworker cancels a booking from the queue, with a reason', async () => {
  const cw = await openPage(browser, 'manage-caseworker', { width: 1280, height: 800, bypassCSP: true });
  await cw.goto(`${server.base}/caseworker.html`);
  await cw.getByLabel('E-mail').fill(env.demo.caseworker_email);
  await cw.getByLabel('Password').fill(env.demo.caseworker_password);
  await cw.getByRole('button', { name: 'Log in' }).click();
  const row = cw.locator(`tr[data-booking-id="${second.booking.id}"]`);
  await row.and(cw.locator('[data-status="booked"]')).waitFor({ timeout: 15000 });
  await row.getByRole('button', { name: /^Cancel/ }).click();
  const dialog = cw.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Cancel the booking' }).click();
  await dialog.getByText('Write a reason.').waitFor();
  await checkA11y(cw, 'cancel dialog (1280px)');
  await dialog.getByLabel(/^Reason/).fill('The caseworker is ill.');
  await screenshot(cw, 'caseworker-cancel-dialog');
  await dialog.getByRole('button', { name: 'Cancel the booking' }).click();
  await row.and(cw.locator('[data-status="cancelled"]')).waitFor({ timeout: 10000 });
  await cw.getByText('The booking of Per Avlyst is cancelled.').waitFor();
  await screenshot(cw, 'caseworker-cancelled');
  await cw.context().close();
});

test('manage by link: see, download the calendar file, cancel', async () => {
  const token = new URL(booked.manage_url).hash.replace(/^#t=/, '');
  const page = await openPage(browser, 'manage', { width: 360, height: 740, bypassCSP: true });
  await page.goto(`${env.base}/booking.html#t=${token}`);
  await until('the booking', async () => (await pageState(page)) === 'booking');
  await page.getByText(booked.booking.reference).waitFor();
  assert.equal(await page.locator('#booking-status').textContent(), 'Booked');
  await screenshot(page, 'booking');
  await checkA11y(page, 'booking with cancel (360px)');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Add to calendar (.ics)' }).click(),
  ]);
  const ics = readFileSync(await download.path(), 'utf8');
  assert.match(ics, /BEGIN:VCALENDAR/);
  assert.match(download.suggestedFilename(), /\.ics$/);

  await page.getByRole('button', { name: 'Cancel the booking' }).click();
  await page.getByRole('alertdialog').waitFor();
  await checkA11y(page, 'cancel confirmation (360px)');
  await screenshot(page, 'cancel-confirm');
  await page.getByRole('button', { name: 'Yes, cancel it' }).click();
  await until('the cancelled status', async () =>
    (await page.locator('#booking-status').textContent()) === 'Cancelled');
  assert.equal(await page.getByRole('button', { name: 'Cancel the booking' }).isVisible(), false);
  await screenshot(page, 'cancelled');

  await page.goto(`${env.base}/join.html#t=${token}`);
  await until('the refusal', async () => (await pageState(page)) === 'refused');
  assert.equal(await page.evaluate(() => window.kontor.error.code), 'cancelled');
  await page.getByText('This booking has been cancelled.').waitFor();
  await screenshot(page, 'join-cancelled');
  await page.context().close();
});

test('a job seeker who comes too late sees the too-late page', async () => {
  // A booking that began three hours ago, made a day before that, written
  // with plain SQL as it stands by now: the sweep closed it as no_show when
  // its late-entry window ended.
  lateToken = randomBytes(32).toString('base64url');
  const hash = createHash('sha256').update(lateToken).digest('hex');
  const startUs = (Date.now() - 3 * 3600000) * 1000;
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', env.database, '-c',
    `INSERT INTO bookings (reference, token_hash, seeker_name, service_id, caseworker_id,
                           during, blocked, created_at, status_changed_at, status)
     SELECT 'TAR-D47', '\\x${hash}'::bytea, 'Liv Sent', s.id, ${booked.booking.caseworker_id},
            tstzrange(kb_ts(${startUs}), kb_ts(${startUs}) + make_interval(mins => s.duration_min)),
            tstzrange(kb_ts(${startUs}), kb_ts(${startUs}) + make_interval(mins => s.duration_min + s.buffer_min)),
            kb_ts(${startUs}) - interval '1 day', kb_ts(${startUs}) - interval '1 day', 'no_show'
       FROM services s WHERE s.id = 1`]);
  const page = await openPage(browser, 'late', { width: 360, height: 740, bypassCSP: true });
  await page.goto(`${env.base}/join.html#t=${lateToken}`);
  await until('the refusal', async () => (await pageState(page)) === 'refused');
  assert.equal(await page.evaluate(() => window.kontor.error.code), 'too_late');
  await checkA11y(page, 'too late (360px)');
  await screenshot(page, 'join-too-late');
  await page.context().close();
});
