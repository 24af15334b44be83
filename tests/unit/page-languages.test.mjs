// page-languages.test.mjs — which meeting language the booking page
// (web/js/book.js, through web/js/slots.js) chooses first, in Node: the
// page's own language when a caseworker speaks it, else one a caseworker
// speaks, so that a newcomer sees free times; and what the page says when
// nobody speaks the chosen one.
import { test } from 'node:test';
import assert from 'node:assert/strict';

// i18n.js picks the language from the browser's; Node 20 has no navigator.
globalThis.navigator ??= { languages: ['en-GB'] };
const { spokenLanguages, firstLanguage } = await import('../../web/js/slots.js');
const { texts } = await import('../../web/js/texts.js');

const ALL = ['nb', 'sv', 'da', 'en'];
const demo = { id: 1, languages: ['nb', 'en'], caseworker_languages: ['en', 'nb'] };
const malmo = { id: 2, languages: ['sv'], caseworker_languages: ['sv'] };
const offices = new Map([[1, demo], [2, malmo]]);

test('the languages spoken at one office, or at any', () => {
  assert.deepEqual(spokenLanguages(offices, demo), ['en', 'nb']);
  assert.deepEqual(spokenLanguages(offices, null).sort(), ['en', 'nb', 'sv']);
  // A server that does not say: unknown, every language counts.
  assert.equal(spokenLanguages(new Map([[3, { id: 3 }]]), null), null);
});

test('an English page at the demo office starts in English', () => {
  assert.equal(firstLanguage(ALL, spokenLanguages(offices, demo), ['en']), 'en');
});

test('a Danish page starts in a language a caseworker speaks, not Danish', () => {
  assert.equal(firstLanguage(['nb', 'en'], spokenLanguages(offices, demo), ['da']), 'nb');
  assert.equal(firstLanguage(ALL, spokenLanguages(offices, null), ['da']), 'nb');
});

test('the earlier choice counts after the page language', () => {
  assert.equal(firstLanguage(ALL, ['sv', 'en'], ['da', 'en']), 'en');
});

test('nobody speaks any offered language: the page language, else the first', () => {
  assert.equal(firstLanguage(['nb', 'da'], [], ['da']), 'da');
  assert.equal(firstLanguage(['nb', 'da'], [], ['en']), 'nb');
  assert.equal(firstLanguage([], [], ['en']), '');
  // unknown (old server): the page language, as before
  assert.equal(firstLanguage(ALL, null, ['sv']), 'sv');
});

test('every language says when nobody speaks the chosen one', () => {
  for (const [lang, words] of Object.entries(texts))
    for (const key of ['book.no_language_office', 'book.no_language'])
      assert.match(words[key] ?? '', /\{language\}/, `${lang} ${key}`);
});
