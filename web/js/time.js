// time.js — shows RFC 3339 UTC times from the server in the office's zone,
// in the reader's language.  A wall-clock time that the zone passes twice
// (the repeated hour of an autumn DST change) says which pass it is.
import { language, t } from './i18n.js';

const locales = { nb: 'nb-NO', sv: 'sv-SE', da: 'da-DK', en: 'en-GB' };

function locale() { return locales[language()] || 'en-GB'; }

// Date and time of day of an instant (ms) in a zone, to the minute, and
// its UTC offset in minutes.
function wall(ms, timeZone) {
  const parts = {};
  for (const p of new Intl.DateTimeFormat('en-CA', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    hourCycle: 'h23', timeZone: timeZone || undefined,
  }).formatToParts(new Date(ms))) parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute);
  return { key: asUtc, offset: Math.round((asUtc - Math.floor(ms / 60000) * 60000) / 60000) };
}

// 'summer' or 'winter' when the zone shows the same wall-clock time at
// another instant near this one (a DST change sets clocks back by 30, 60
// or 120 minutes): the pass with the larger offset is summer time.  null
// for every ordinary time.
export function repeatedPass(iso, timeZone) {
  const ms = Date.parse(iso);
  const here = wall(ms, timeZone);
  for (const minutes of [30, 60, 120]) {
    for (const other of [ms - minutes * 60000, ms + minutes * 60000]) {
      const there = wall(other, timeZone);
      if (there.key === here.key) return here.offset > there.offset ? 'summer' : 'winter';
    }
  }
  return null;
}

// The formatted time, with the pass named when the time is a repeated one:
// "02:30 winter time".
function withPass(time, iso, timeZone) {
  const pass = repeatedPass(iso, timeZone);
  return pass ? t(`time.${pass}`, { time }) : time;
}

export function clock(iso, timeZone) {
  if (!iso) return '';
  const time = new Intl.DateTimeFormat(locale(), {
    hour: '2-digit', minute: '2-digit', timeZone: timeZone || undefined,
  }).format(new Date(iso));
  return withPass(time, iso, timeZone);
}

export function dateTime(iso, timeZone) {
  if (!iso) return '';
  const time = new Intl.DateTimeFormat(locale(), {
    weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit',
    timeZone: timeZone || undefined,
  }).format(new Date(iso));
  return withPass(time, iso, timeZone);
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
