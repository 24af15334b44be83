// page.js — small helpers every page uses: show one section per state,
// announce notices, and describe a booking.
import { t, translate, languagePicker } from './i18n.js';
import { clock, day, span } from './time.js';

export function startPage() {
  translate(document);
  const picker = document.getElementById('lang');
  if (picker) languagePicker(picker);
}

// Shows the sections whose data-when lists state and hides the others;
// moves focus to the new section's heading so screen readers follow.
export function showState(state, { focus = true } = {}) {
  if (document.body.dataset.state === state) return;
  document.body.dataset.state = state;
  let first = null;
  for (const el of document.querySelectorAll('[data-when]')) {
    const on = el.dataset.when.split(' ').includes(state);
    el.hidden = !on;
    if (on && !first) first = el;
  }
  if (focus && first) {
    const heading = first.querySelector('h1, h2');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }
}

export function notice(text) {
  const el = document.getElementById('notice');
  if (el) el.textContent = text || '';
}

// Fills a <dl> with the facts of a booking object (docs/protocol.md).
export function describeBooking(dl, booking) {
  const rows = [
    ['common.time', `${day(booking.starts_at, booking.time_zone)}, ${span(booking.starts_at, booking.ends_at, booking.time_zone)}`],
    ['common.service', booking.service],
    ['common.office', booking.office],
    ['common.reference', booking.reference],
  ];
  // Someone abroad (or a browser with a wrong zone) also sees their own time.
  const here = span(booking.starts_at, booking.ends_at);
  if (here !== span(booking.starts_at, booking.ends_at, booking.time_zone))
    rows.splice(1, 0, ['common.your_time', here]);
  dl.replaceChildren();
  for (const [key, value] of rows) {
    if (!value) continue;
    const dt = document.createElement('dt');
    dt.textContent = t(key);
    const dd = document.createElement('dd');
    dd.textContent = value;
    dl.append(dt, dd);
  }
}

export { clock };
