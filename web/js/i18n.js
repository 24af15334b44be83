// i18n.js — picks the language, looks texts up and fills the page.
//
// Markup carries data-i18n="key" (text content) and data-i18n-attr="attr:key,…"
// (attributes such as aria-label); the English in the markup is only a
// fallback for a page that failed to load its scripts.
import { texts } from './texts.js';

const STORAGE_KEY = 'kontor.lang';
export const languages = Object.keys(texts);
let current = pick();

function pick() {
  const wanted = [];
  try { wanted.push(localStorage.getItem(STORAGE_KEY)); } catch { /* private mode */ }
  wanted.push(...(navigator.languages || [navigator.language]));
  for (const tag of wanted) {
    if (!tag) continue;
    const base = tag.toLowerCase().split('-')[0];
    // Norwegian comes as nb, no or nn; bokmål is what we have.
    const lang = (base === 'no' || base === 'nn') ? 'nb' : base;
    if (texts[lang]) return lang;
  }
  return 'en';
}

export function language() { return current; }

export function setLanguage(lang) {
  if (!texts[lang]) return;
  current = lang;
  try { localStorage.setItem(STORAGE_KEY, lang); } catch { /* private mode */ }
  translate(document);
  document.dispatchEvent(new CustomEvent('kontor:language', { detail: lang }));
}

export function t(key, params = {}) {
  const text = texts[current]?.[key] ?? texts.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

// The text for a server error code, with a generic fallback.
export function errorText(code, params = {}) {
  const key = `error.${code}`;
  return (texts[current]?.[key] ?? texts.en[key]) ? t(key, params) : t('error.unknown', { code });
}

export function translate(root) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]'))
    el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(',')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      el.setAttribute(attr, t(key));
    }
  }
}

// Fills a <select> with the languages and keeps it in step.
export function languagePicker(select) {
  select.replaceChildren(...languages.map((lang) => {
    const opt = document.createElement('option');
    opt.value = lang;
    opt.lang = lang;
    opt.textContent = texts[lang]['lang.name'];
    return opt;
  }));
  select.value = current;
  select.addEventListener('change', () => setLanguage(select.value));
}
