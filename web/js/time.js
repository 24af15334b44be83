// time.js — shows RFC 3339 UTC times from the server in the office's zone,
// in the reader's language.
import { language } from './i18n.js';

const locales = { nb: 'nb-NO', sv: 'sv-SE', da: 'da-DK', en: 'en-GB' };

function locale() { return locales[language()] || 'en-GB'; }

export function clock(iso, timeZone) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), {
    hour: '2-digit', minute: '2-digit', timeZone: timeZone || undefined,
  }).format(new Date(iso));
}

export function dateTime(iso, timeZone) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), {
    weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit',
    timeZone: timeZone || undefined,
  }).format(new Date(iso));
}

export function date(ymd) {
  // A local calendar date (YYYY-MM-DD) with no zone: format it as noon UTC
  // so no zone can move it to the day before or after.
  if (!ymd) return '';
  return new Intl.DateTimeFormat(locale(), {
    weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC',
  }).format(new Date(`${ymd}T12:00:00Z`));
}

// "13:00–13:30" in the office zone.
export function span(startIso, endIso, timeZone) {
  return `${clock(startIso, timeZone)}–${clock(endIso, timeZone)}`;
}

// "Wednesday 25 November" of an instant, in the office zone.
export function day(iso, timeZone) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), {
    weekday: 'long', day: 'numeric', month: 'long', timeZone: timeZone || undefined,
  }).format(new Date(iso));
}

// Milliseconds left as "m:ss", or "h:mm:ss" from an hour on.
export function countdown(ms) {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
