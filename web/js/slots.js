// slots.js — free slots (GET /api/v1/slots) as a keyboard-friendly picker:
// one group of radio buttons per day, times in the office's zone and, when
// the browser's zone differs, in the reader's own as well.
import { t } from './i18n.js';
import { api } from './api.js';
import { clock, date } from './time.js';

// A date (YYYY-MM-DD) n days after ymd, by the calendar, not by hours.
export function addDays(ymd, n) {
  const d = new Date(`${ymd}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// The calendar date of an instant in a zone.
export function localDate(iso, timeZone) {
  return new Intl.DateTimeFormat('en-CA', {
    year: 'numeric', month: '2-digit', day: '2-digit', timeZone,
  }).format(new Date(iso));
}

// The meeting languages someone holds meetings in: at one office, or at
// any when office is null.  null when the server does not say (then every
// language counts as spoken).
export function spokenLanguages(offices, office) {
  const from = office ? [office] : [...offices.values()];
  if (from.some((o) => !Array.isArray(o.caseworker_languages))) return null;
  return [...new Set(from.flatMap((o) => o.caseworker_languages))];
}

// Which of the offered languages (list) to choose: the first of wanted
// (e.g. the page's language) that a caseworker speaks, else the first
// offered one someone speaks, so that a newcomer sees free times at once;
// only when nobody speaks any, the first wanted, else the first offered.
export function firstLanguage(list, spoken, wanted) {
  const speaks = (l) => !spoken || spoken.includes(l);
  return [...wanted, ...list].find((l) => list.includes(l) && speaks(l))
    ?? wanted.find((l) => list.includes(l)) ?? list[0] ?? '';
}

export async function fetchSlots({ service, office, caseworker, language, from, to }) {
  const q = new URLSearchParams({ service: String(service), from, to });
  if (office && office !== 'any') q.set('office', String(office));
  if (caseworker) q.set('caseworker', String(caseworker));
  if (language) q.set('language', language);
  const { slots } = await api(`slots?${q}`);
  return slots || [];
}

// Fills container with the slots; offices maps id → office.  The chosen
// slot is read back with chosenSlot().  Returns the number of slots shown.
// empty: the text when there are none (default: no free times).
export function renderSlots(container, slots, offices,
  { name = 'slot', showOffice = false, skip = null, empty = null } = {}) {
  container.replaceChildren();
  container._slots = slots;
  const hereZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const days = new Map();
  slots.forEach((slot, i) => {
    if (skip && slot.starts_at === skip) return;
    const zone = offices.get(slot.office_id)?.time_zone;
    const key = localDate(slot.starts_at, zone);
    if (!days.has(key)) days.set(key, []);
    days.get(key).push([slot, i, zone]);
  });
  if (days.size === 0) {
    const p = document.createElement('p');
    p.className = 'empty';
    p.textContent = empty || t('book.no_slots');
    container.append(p);
    return 0;
  }
  for (const [ymd, entries] of [...days].sort()) {
    const fieldset = document.createElement('fieldset');
    fieldset.className = 'day';
    const legend = document.createElement('legend');
    legend.textContent = date(ymd);
    fieldset.append(legend);
    const list = document.createElement('div');
    list.className = 'times';
    for (const [slot, i, zone] of entries) {
      const label = document.createElement('label');
      label.className = 'time';
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = name;
      input.value = String(i);
      const text = document.createElement('span');
      text.textContent = clock(slot.starts_at, zone);
      label.append(input, text);
      if (zone && zone !== hereZone && clock(slot.starts_at, zone) !== clock(slot.starts_at)) {
        const mine = document.createElement('small');
        mine.textContent = t('book.your_time', { time: clock(slot.starts_at) });
        label.append(mine);
      }
      if (showOffice) {
        const office = document.createElement('small');
        office.textContent = offices.get(slot.office_id)?.name || '';
        label.append(office);
      }
      list.append(label);
    }
    fieldset.append(list);
    container.append(fieldset);
  }
  return slots.length;
}

export function chosenSlot(container) {
  const input = container.querySelector('input[type=radio]:checked');
  return input ? container._slots[Number(input.value)] : null;
}
