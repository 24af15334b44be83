// book.test.mjs — a job seeker books a meeting in the page: office,
// service, language, a free time from the calendar, name and contact; the
// confirmation gives the reference, personal link, kiosk code and a .ics
// file.  Then the personal link moves the booking to another free time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { env, launch, openPage, screenshot, until, pageState } from './lib/harness.mjs';
import { checkA11y } from './lib/axe.mjs';

let browser;
let manageUrl;
let booked;       // { reference, starts_at }

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function bookingByToken(token) {
  const r = await fetch(`${env.base}/api/v1/booking`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }),
  });
  assert.equal(r.status, 200);
  return (await r.json()).booking;
}

// The first look of someone who has never been here: the page in their
// browser's language (English) shows free times without a choice made, and
// a meeting language no caseworker speaks says so instead of "no free
// times".
test('a newcomer sees free times at once; a language nobody speaks says so', async () => {
  const page = await openPage(browser, 'book-newcomer', { bypassCSP: true });
  await page.goto(`${env.base}/book.html`);
  await until('the booking form', async () => (await pageState(page)) === 'form');
  await until('free times without any choice', () => page.evaluate(() =>
    document.querySelectorAll('#slots input[type=radio]').length > 0 && !document.querySelector('#slots[aria-busy]')));
  assert.equal(await page.getByLabel('Language of the meeting').inputValue(), 'en');

  const { offices } = await (await fetch(`${env.base}/api/v1/offices`)).json();
  const spoken = new Set(offices.flatMap((o) => o.caseworker_languages));
  const nobody = ['sv', 'da'].find((l) => !spoken.has(l));
  assert.ok(nobody, `every language is spoken: ${[...spoken]}`);
  const name = new Intl.DisplayNames(['en'], { type: 'language' }).of(nobody);
  await page.getByLabel('Language of the meeting').selectOption(nobody);
  await page.getByText(`No caseworker speaks ${name}. Choose another language.`).waitFor();
  await screenshot(page, 'no-caseworker-language');
  await page.context().close();
});

test('book a free time in the page and get the personal link', async () => {
  const page = await openPage(browser, 'book', { width: 360, height: 740, bypassCSP: true });
  await page.goto(`${env.base}/index.html`);
  await page.getByRole('link', { name: 'Book a video meeting' }).click();
  await until('the booking form', async () => (await pageState(page)) === 'form');
  const { offices } = await (await fetch(`${env.base}/api/v1/offices`)).json();
  // The demo office by name, through its label, as a person would.
  await page.getByLabel('Office').selectOption({ label: offices[0].name });
  await page.getByLabel('Language of the meeting').selectOption('nb');
  await until('free times', () => page.evaluate(() =>
    document.querySelectorAll('#slots input[type=radio]').length > 0 && !document.querySelector('#slots[aria-busy]')));
  await screenshot(page, 'form');
  await checkA11y(page, 'booking form (360px)');

  // Submitting without a time or name says what is missing.
  await page.getByRole('button', { name: 'Book this time' }).click();
  await page.getByText('Write your name.').waitFor();

  // The third free time of the first day with any (the first may be near
  // the notice limit by the time the request arrives).
  const radios = page.locator('#slots input[type=radio]');
  const pick = Math.min(2, (await radios.count()) - 1);
  await radios.nth(pick).check();
  const chosen = await page.evaluate((i) => window.kontor.slots[i], pick);
  await page.getByLabel('Name').fill('Bo Bokar');
  await page.getByLabel('E-mail or phone').fill('bo@example.org');
  await screenshot(page, 'chosen');
  await page.getByRole('button', { name: 'Book this time' }).click();
  await until('the confirmation', async () => (await pageState(page)) === 'done');
  const result = await page.evaluate(() => window.kontor.result);
  assert.equal(result.booking.starts_at, chosen.starts_at);
  assert.equal(result.booking.seeker_name, 'Bo Bokar');
  assert.equal(result.booking.language, 'nb');
  await page.getByText(result.booking.reference).waitFor();
  assert.match(await page.locator('#kiosk-code').textContent(), /^\d{6}$/);
  manageUrl = await page.locator('#manage-url').inputValue();
  assert.match(manageUrl, /booking\.html#t=[A-Za-z0-9_-]{43}$/);
  booked = { reference: result.booking.reference, starts_at: result.booking.starts_at };
  await screenshot(page, 'confirmation');
  await checkA11y(page, 'booking confirmation (360px)');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Add to calendar (.ics)' }).click(),
  ]);
  const ics = readFileSync(await download.path(), 'utf8');
  assert.match(ics, /BEGIN:VCALENDAR/);
  assert.equal(download.suggestedFilename(), `kontor-${booked.reference}.ics`);

  // The link on the page opens the booking.
  await page.getByRole('link', { name: 'Open my booking' }).click();
  await until('the booking page', async () => (await pageState(page)) === 'booking');
  await page.getByText(booked.reference).waitFor();
  await page.context().close();
});

test('move the booking by its link to another free time', async () => {
  assert.ok(manageUrl, 'the booking test made no booking');
  const token = new URL(manageUrl).hash.replace(/^#t=/, '');
  const page = await openPage(browser, 'book-move', { width: 1280, height: 800, bypassCSP: true });
  await page.goto(`${env.base}/booking.html#t=${token}`);
  await until('the booking', async () => (await pageState(page)) === 'booking');
  await page.getByRole('button', { name: 'Move to another time' }).click();
  await until('free times to move to', () => page.evaluate(() =>
    document.querySelectorAll('#move-slots input[type=radio]').length > 0));
  await checkA11y(page, 'move (1280px)');
  await screenshot(page, 'move-choices');
  // Keyboard: the first time has focus; arrow to the next and confirm.
  await page.keyboard.press('ArrowRight');
  const target = await page.evaluate(() => {
    const input = document.querySelector('#move-slots input:checked');
    return window.kontor.moveSlots[Number(input.value)].starts_at;
  });
  assert.notEqual(target, booked.starts_at);
  await page.getByRole('button', { name: 'Move to this time' }).click();
  await page.getByText('The booking is moved.', { exact: false }).waitFor();
  await screenshot(page, 'moved');
  const now = await bookingByToken(token);
  assert.equal(now.starts_at, target);
  assert.equal(now.reference, booked.reference);
  assert.equal(now.status, 'booked');
  await page.context().close();
});
