// a11y.test.mjs — axe-core on every page state a visitor reaches without a
// meeting, in each language and at phone (360 px) and desktop (1280 px)
// width: no serious or critical violation.  The waiting room and the
// meeting are checked inside meeting.test.mjs, where they happen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, launch, openPage, screenshot, randomToken, until, pageState } from './lib/harness.mjs';
import { checkA11y } from './lib/axe.mjs';

const LANGUAGES = { en: 'en-GB', nb: 'nb-NO', sv: 'sv-SE', da: 'da-DK' };
const WIDTHS = [360, 1280];
// A heading per language proves the page really switched.
const LOGIN = { en: 'Log in', nb: 'Logg inn', sv: 'Logga in', da: 'Log ind' };

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const [lang, locale] of Object.entries(LANGUAGES)) {
  for (const width of WIDTHS) {
    test(`axe: every page in ${lang} at ${width} px`, async () => {
      const page = await openPage(browser, `a11y-${lang}-${width}`, { width, height: 800, locale, bypassCSP: true });
      const where = `${lang} ${width}px`;
      const shoot = width === 360 || lang === 'en';
      const visit = async (state, url, expected) => {
        // From join.html#t=… to join.html#i=… only the hash changes: goto
        // returns at once, the page reloads itself on hashchange, and the
        // state checked below could still be the old page's.  A blank page
        // in between makes every visit a whole load.
        await page.goto('about:blank');
        await page.goto(`${env.base}/${url}`);
        if (expected) await until(`${state} (${where})`, async () => (await pageState(page)) === expected);
        assert.equal(await page.evaluate(() => document.documentElement.lang), lang, `${state}: <html lang>`);
        await checkA11y(page, `${state} (${where})`);
        if (shoot) await screenshot(page, `a11y-${lang}-${width}-${state}`);
      };

      await visit('index', 'index.html');
      await visit('book', 'book.html', 'form');
      await visit('booking', `booking.html#t=${env.demo.booking_token}`, 'booking');
      await visit('wrong-link', `join.html#t=${randomToken()}`, 'refused');
      await visit('wrong-invite', `join.html#i=${randomToken()}`, 'refused');
      assert.equal(await page.evaluate(() => window.kontor.error.code), 'no_booking');
      await visit('device-check', `join.html#t=${env.demo.booking_token}`, 'check');
      await visit('login', 'caseworker.html', 'login');
      await page.getByRole('button', { name: LOGIN[lang] }).click();
      await checkA11y(page, `login with an empty form (${where})`);
      await page.locator('#email').fill(env.demo.caseworker_email);
      await page.locator('#password').fill(env.demo.caseworker_password);
      await page.getByRole('button', { name: LOGIN[lang] }).click();
      await until(`the queue (${where})`, () => page.evaluate(() => window.kontor.queue !== null));
      await checkA11y(page, `queue (${where})`);
      if (shoot) await screenshot(page, `a11y-${lang}-${width}-queue`);
      await visit('admin', 'admin.html', 'admin');
      await page.context().close();
    });
  }
}
