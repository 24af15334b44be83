// texts.test.mjs — the pages' words (web/js/texts.js) are complete in every
// language, and the English written into the markup as a fallback (for a
// page whose scripts failed) says what English says.
//
//   node --test tests/unit/texts.test.mjs
//
// Plain node, no packages: the markup is read with regular expressions,
// which is enough for web/*.html (a data-i18n element holds only text; the
// test fails if one ever holds an element, which translate() would wipe).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

// web/ has no package.json saying its .js files are modules, so texts.js
// is imported from its source (it imports nothing).
const source = readFileSync(join(web, 'js', 'texts.js'), 'utf8');
const { texts } = await import(`data:text/javascript,${encodeURIComponent(source)}`);

const LANGUAGES = ['nb', 'sv', 'da', 'en'];

test('the four languages, and only they', () => {
  assert.deepEqual(Object.keys(texts).sort(), [...LANGUAGES].sort());
});

for (const lang of LANGUAGES.filter((l) => l !== 'en')) {
  test(`${lang} has exactly the keys English has`, () => {
    const have = new Set(Object.keys(texts[lang]));
    const want = new Set(Object.keys(texts.en));
    const missing = [...want].filter((k) => !have.has(k));
    const extra = [...have].filter((k) => !want.has(k));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
  });
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
const decode = (s) => s.replace(/&(#x?[0-9a-f]+|\w+);/gi, (m, e) => {
  if (e[0] !== '#') return ENTITIES[e] ?? m;
  return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
});

// [file, key, fallback text, whether the element holds an element]
function fallbacks() {
  const found = [];
  for (const file of readdirSync(web).filter((f) => f.endsWith('.html')).sort()) {
    const html = readFileSync(join(web, file), 'utf8');
    const element = /<([a-z][a-z0-9]*)\b[^>]*?\sdata-i18n="([^"]+)"[^>]*>([\s\S]*?)<\/\1>/g;
    for (const [, , key, inner] of html.matchAll(element))
      found.push([file, key, decode(inner).replace(/\s+/g, ' ').trim(), inner.includes('<')]);
  }
  return found;
}

test('the markup has fallback texts to check', () => {
  assert.ok(fallbacks().length > 100, `only ${fallbacks().length} data-i18n elements found in ${web}`);
});

test('every data-i18n key in the markup exists, and its fallback is the English text', () => {
  const wrong = [];
  for (const [file, key, text, nested] of fallbacks()) {
    if (nested) wrong.push(`${file}: ${key} holds an element; translate() sets only text`);
    else if (!(key in texts.en)) wrong.push(`${file}: ${key} is not in texts.js`);
    else if (text !== texts.en[key]) wrong.push(`${file}: ${key} says "${text}", English says "${texts.en[key]}"`);
  }
  assert.deepEqual(wrong, []);
});
