// page-time.test.mjs — the pages' clock (web/js/time.js) in Node: on the
// night the clocks go back, the two passes through the repeated hour read
// differently ("02:00 summer time", "02:00 winter time"), in every
// language; every other time reads as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';

// i18n.js picks the language from the browser's; Node 20 has no navigator.
globalThis.navigator ??= { languages: ['en-GB'] };
const { clock, span, repeatedPass } = await import('../../web/js/time.js');
const { texts } = await import('../../web/js/texts.js');

const OSLO = 'Europe/Oslo';

test('the two 02:00 slots of the autumn night in Oslo are told apart', () => {
  // 00:00Z is 02:00 summer time, 01:00Z is 02:00 winter time.
  assert.equal(clock('2026-10-25T00:00:00Z', OSLO), '02:00 summer time');
  assert.equal(clock('2026-10-25T01:00:00Z', OSLO), '02:00 winter time');
  assert.equal(clock('2026-10-25T00:30:00Z', OSLO), '02:30 summer time');
  assert.equal(clock('2026-10-25T01:30:00Z', OSLO), '02:30 winter time');
  // A meeting that starts in one pass and ends in the other says both.
  assert.equal(span('2026-10-25T00:30:00Z', '2026-10-25T01:10:00Z', OSLO),
    '02:30 summer time–02:10 winter time');
});

test('times that occur once are unmarked', () => {
  for (const iso of ['2026-10-24T23:59:00Z', '2026-10-25T02:00:00Z', '2026-10-25T07:00:00Z',
    '2026-03-29T00:30:00Z', '2026-03-29T01:00:00Z', '2026-06-01T08:00:00Z'])
    assert.equal(repeatedPass(iso, OSLO), null, iso);
  assert.equal(clock('2026-10-25T02:00:00Z', OSLO), '03:00');
  assert.equal(repeatedPass('2026-10-25T00:30:00Z', 'Asia/Tokyo'), null);
  assert.equal(repeatedPass('2026-10-25T00:30:00Z', 'UTC'), null);
});

test('a half-hour change is found too (Lord Howe Island)', () => {
  // 2026-04-05 02:00 +11 → 01:30 +10:30: 01:45 local happens twice.
  assert.equal(repeatedPass('2026-04-04T14:45:00Z', 'Australia/Lord_Howe'), 'summer');
  assert.equal(repeatedPass('2026-04-04T15:15:00Z', 'Australia/Lord_Howe'), 'winter');
});

test('every language names both passes', () => {
  for (const [lang, words] of Object.entries(texts))
    for (const key of ['time.summer', 'time.winter'])
      assert.match(words[key] ?? '', /\{time\}/, `${lang} ${key}`);
});
