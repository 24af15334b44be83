// book.js — a job seeker books a meeting: office (or any), service,
// language, interpreter; a free time from the calendar; name and contact;
// then the confirmation with the personal link, kiosk code and .ics.
import { t, errorText, language } from './i18n.js';
import { api } from './api.js';
import { startPage, showState, describeBooking, notice } from './page.js';
import { fetchSlots, renderSlots, chosenSlot, addDays, spokenLanguages, firstLanguage } from './slots.js';

// A phone shows fewer days at a time so the list of times stays short.
const DAYS = matchMedia('(max-width: 40rem)').matches ? 3 : 7;
const ALL_LANGUAGES = ['nb', 'sv', 'da', 'en'];
const kontor = { state: 'loading', slots: null, result: null, error: null };
window.kontor = kontor;

const $ = (id) => document.getElementById(id);
let offices = new Map();
let services = new Map();
let today = new Date().toISOString().slice(0, 10);
let from = today;
let loadSerial = 0;
let languageChosen = false;   // the job seeker picked the meeting language

function setState(state) {
  kontor.state = state;
  showState(state, { focus: state !== 'form' });
}

function languageName(code) {
  try {
    return new Intl.DisplayNames([language()], { type: 'language' }).of(code) || code;
  } catch { return code; }
}

function option(value, text) {
  const o = document.createElement('option');
  o.value = String(value);
  o.textContent = text;
  return o;
}

function fillOffices() {
  const keep = $('office').value;
  $('office').replaceChildren(option('any', t('book.any_office')),
    ...[...offices.values()].map((o) => option(o.id, o.name)));
  if (keep) $('office').value = keep;
}

function fillServices() {
  const keep = $('service').value;
  $('service').replaceChildren(...[...services.values()].map((s) =>
    option(s.id, t('book.service_option', { name: s.name, minutes: s.duration_min }))));
  if (keep) $('service').value = keep;
}

// The meeting languages the service offers (and the office, when chosen).
// Until the job seeker picks one, the choice follows the caseworkers: the
// page's language if one of them speaks it, else one they speak.  Returns
// whether the choice changed.
function fillLanguages() {
  const service = services.get(Number($('service').value));
  const office = offices.get(Number($('office').value));
  let list = service?.languages?.length ? service.languages : ALL_LANGUAGES;
  if (office?.languages?.length) list = list.filter((l) => office.languages.includes(l));
  const before = $('language').value;
  const pick = languageChosen && list.includes(before)
    ? before
    : firstLanguage(list, spokenLanguages(offices, office), [language(), before].filter(Boolean));
  $('language').replaceChildren(...list.map((l) => option(l, languageName(l))));
  $('language').value = pick;
  const allowed = service ? service.interpreter_allowed !== false : true;
  $('interpreter').disabled = !allowed;
  if (!allowed) $('interpreter').checked = false;
  return pick !== before;
}

// The slots as found; with none, and nobody who speaks the language, that
// is what the page says (not "no free times": later days will not help).
function showSlots() {
  const office = offices.get(Number($('office').value));
  const spoken = spokenLanguages(offices, office);
  const lang = $('language').value;
  const empty = spoken && lang && !spoken.includes(lang)
    ? t(office ? 'book.no_language_office' : 'book.no_language', { language: languageName(lang) })
    : null;
  renderSlots($('slots'), kontor.slots, offices, { showOffice: $('office').value === 'any', empty });
}

async function loadSlots() {
  const serial = ++loadSerial;
  const to = addDays(from, DAYS - 1);
  $('range').textContent = t('book.range', { from: formatDay(from), to: formatDay(to) });
  $('earlier').disabled = from <= today;
  $('slots').setAttribute('aria-busy', 'true');
  try {
    const slots = await fetchSlots({
      service: $('service').value, office: $('office').value,
      language: $('language').value, from, to,
    });
    if (serial !== loadSerial) return;
    kontor.slots = slots;
    showSlots();
  } catch (e) {
    if (serial !== loadSerial) return;
    kontor.slots = [];
    $('slots').replaceChildren();
    notice(errorText(e.code));
  } finally {
    if (serial === loadSerial) $('slots').removeAttribute('aria-busy');
  }
}

function formatDay(ymd) {
  return new Intl.DateTimeFormat(language(), { day: 'numeric', month: 'long', timeZone: 'UTC' })
    .format(new Date(`${ymd}T12:00:00Z`));
}

function zoneNote() {
  const office = offices.get(Number($('office').value));
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zone = office?.time_zone;
  $('zone-note').hidden = false;
  $('zone-note').textContent = zone && zone !== here
    ? t('book.zone_differs', { zone, here })
    : t('book.zone_office');
}

function problem(id, text) {
  $(id).textContent = text || '';
  const input = { 'name-problem': 'name', 'contact-problem': 'contact' }[id];
  if (input) $(input).setAttribute('aria-invalid', text ? 'true' : 'false');
}

async function submit(event) {
  event.preventDefault();
  problem('form-problem', '');
  const slot = chosenSlot($('slots'));
  const name = $('name').value.trim();
  const contact = $('contact').value.trim();
  problem('name-problem', name ? '' : t('book.need_name'));
  // Empty is allowed (then no messages come); anything else must be an
  // e-mail address or a phone number (the server has the last word).
  problem('contact-problem', !contact || /^\S+@\S+\.\S+$|^\+?[0-9 ().-]{8,}$/.test(contact) ? '' : t('book.need_contact'));
  if (!slot) problem('form-problem', t('book.need_slot'));
  if (!name) { $('name').focus(); return; }
  if ($('contact-problem').textContent) { $('contact').focus(); return; }
  if (!slot) { $('slots').querySelector('input')?.focus(); return; }
  $('submit').disabled = true;
  try {
    const body = {
      service_id: Number($('service').value), office_id: slot.office_id,
      starts_at: slot.starts_at, name, contact,
      language: $('language').value, interpreter: $('interpreter').checked,
    };
    kontor.result = await api('bookings', body);
    showDone();
  } catch (e) {
    kontor.error = { code: e.code };
    problem('form-problem', errorText(e.code));
    if (e.code === 'slot_taken' || e.code === 'not_a_slot') loadSlots();
  } finally {
    $('submit').disabled = false;
  }
}

function showDone() {
  const r = kontor.result;
  describeBooking($('booking'), r.booking);
  const path = new URL(r.manage_url, location.href);
  // The link the server made may name another host (behind a proxy);
  // the page opens the one on this origin.
  $('manage-link').href = `booking.html${path.hash}`;
  $('manage-url').value = r.manage_url;
  $('kiosk-code').textContent = r.kiosk_code;
  const none = !$('contact').value.trim();
  $('no-messages').hidden = !none;
  $('messages-sent').hidden = none;
  setState('done');
}

function downloadCalendar() {
  const r = kontor.result;
  const url = URL.createObjectURL(new Blob([r.ics], { type: 'text/calendar' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `kontor-${r.booking.reference}.ics`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function main() {
  startPage();
  try {
    const [config, o, s] = await Promise.all([api('config'), api('offices'), api('services')]);
    if (config.now) today = config.now.slice(0, 10);
    from = today;
    offices = new Map(o.offices.map((x) => [x.id, x]));
    services = new Map(s.services.map((x) => [x.id, x]));
  } catch (e) {
    $('problem').textContent = errorText(e.code);
    setState('refused');
    return;
  }
  const wanted = new URLSearchParams(location.search);
  fillOffices();
  fillServices();
  if (wanted.get('office')) $('office').value = wanted.get('office');
  if (wanted.get('service')) $('service').value = wanted.get('service');
  fillLanguages();
  zoneNote();
  const refill = () => { fillLanguages(); zoneNote(); loadSlots(); };
  $('office').addEventListener('change', refill);
  $('service').addEventListener('change', refill);
  $('language').addEventListener('change', () => { languageChosen = true; loadSlots(); });
  $('earlier').addEventListener('click', () => { from = addDays(from, -DAYS); if (from < today) from = today; loadSlots(); });
  $('later').addEventListener('click', () => { from = addDays(from, DAYS); loadSlots(); });
  $('book').addEventListener('submit', submit);
  $('calendar').addEventListener('click', downloadCalendar);
  document.addEventListener('kontor:language', () => {
    fillOffices(); fillServices(); zoneNote();
    if (fillLanguages()) loadSlots();
    else if (kontor.slots) showSlots();
    if (kontor.result) describeBooking($('booking'), kontor.result.booking);
  });
  await loadSlots();
  setState('form');
}

main();
