// admin.js — an administrator sets up offices: time zone, weekly hours
// with several intervals a day, closures and special days, services,
// caseworkers and their absences; decides on bookings the changes rule
// out; and reads the statistics as a chart, a table and a CSV file.
//
// The week editor and the special days start from what the server has
// saved (admin/hours, admin/special-days); saving replaces the whole week.
import { t, errorText, language } from './i18n.js';
import { api } from './api.js';
import { startPage, showState, notice } from './page.js';
import { clock, day, date } from './time.js';
import { addDays, localDate } from './slots.js';

const LANGS = ['nb', 'sv', 'da', 'en'];
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];
const kontor = { state: 'loading', me: null, offices: [], services: [], caseworkers: [], absences: [],
  conflicts: null, stats: null, special: [] };
window.kontor = kontor;

const $ = (id) => document.getElementById(id);
let today = new Date().toISOString().slice(0, 10);

function setState(state) {
  kontor.state = state;
  showState(state, { focus: false });
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k in e && typeof e[k] !== 'function' && !k.startsWith('aria')) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function languageName(code) {
  try { return new Intl.DisplayNames([language()], { type: 'language' }).of(code) || code; } catch { return code; }
}

// Checkboxes of the languages inside a fieldset; read back with checkedLangs.
function langBoxes(fieldset, prefix, chosen = []) {
  for (const old of fieldset.querySelectorAll('label')) old.remove();
  for (const code of LANGS) {
    const box = el('input', { type: 'checkbox', id: `${prefix}-${code}`, value: code });
    box.checked = chosen.includes(code);
    fieldset.append(el('label', { className: 'check-label', for: `${prefix}-${code}` }, box, el('span', { text: languageName(code) })));
  }
}
const checkedLangs = (fieldset) => [...fieldset.querySelectorAll('input:checked')].map((b) => b.value);

function office() {
  return kontor.offices.find((o) => o.id === Number($('office-pick').value)) || null;
}

async function run(problemId, fn) {
  $(problemId).textContent = '';
  try {
    return await fn();
  } catch (e) {
    $(problemId).textContent = adminErrorText(e.code);
    return undefined;
  }
}

// A wall-clock time in a zone ("2026-11-27T09:00") as RFC 3339 UTC.
function zonedToUtc(local, timeZone) {
  const guess = Date.parse(`${local}:00Z`);
  const offset = (ms) => {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
    return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - ms;
  };
  let utc = guess - offset(guess);
  utc = guess - offset(utc);
  return new Date(utc).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---- offices -------------------------------------------------------------

async function loadOffices(selectId) {
  const { offices } = await api('offices');
  kontor.offices = offices;
  const pick = $('office-pick');
  const keep = selectId ?? Number(pick.value);
  pick.replaceChildren(...offices.map((o) => el('option', { value: String(o.id), text: `${o.name} (${o.time_zone})` })));
  if (offices.some((o) => o.id === keep)) pick.value = String(keep);
}

function fillOfficeForm(o) {
  kontor.editingOffice = o?.id ?? null;
  $('office-name').value = o?.name ?? '';
  $('office-zone').value = o?.time_zone ?? '';
  $('office-address').value = o?.address ?? '';
  langBoxes($('office-langs'), 'office-lang', o?.languages ?? ['nb']);
  $('office-heading').textContent = o ? t('admin.office.edit', { name: o.name }) : t('admin.office.new');
}

async function saveOffice(ev) {
  ev.preventDefault();
  const name = $('office-name').value.trim();
  const zone = $('office-zone').value.trim();
  if (!name || !zone) { $('office-problem').textContent = t('admin.need_fields'); return; }
  const body = { name, time_zone: zone, languages: checkedLangs($('office-langs')) };
  const address = $('office-address').value.trim();
  if (address) body.address = address;
  if (kontor.editingOffice) body.id = kontor.editingOffice;
  const r = await run('office-problem', () => api('admin/offices', body));
  if (!r) return;
  await loadOffices(r.id);
  await officeChanged();
  notice(t('admin.office.saved', { name }));
}

async function officeChanged() {
  const o = office();
  fillOfficeForm(o);
  renderHours([]);
  kontor.special = [];
  renderSpecial();
  await Promise.all([loadHours(o), loadCaseworkers(), loadConflicts(), loadMessages(), loadStats()]);
}

// ---- weekly hours --------------------------------------------------------

async function loadHours(o) {
  if (!o) return;
  try {
    const [week, special] = await Promise.all([
      api(`admin/hours?office=${o.id}`), api(`admin/special-days?office=${o.id}`)]);
    if (office()?.id !== o.id) return;   // another office was chosen meanwhile
    renderHours(week.hours);
    kontor.special = special.special_days.map((d) => ({ ...d, hours: d.hours.length ? d.hours : undefined }));
    renderSpecial();
  } catch (e) {
    notice(adminErrorText(e.code));
  }
}

function weekdayName(d) {
  // 2024-01-01 was a Monday.
  return new Intl.DateTimeFormat(language(), { weekday: 'long', timeZone: 'UTC' })
    .format(new Date(Date.UTC(2024, 0, d)));
}

function intervalRow(d, n, opens = '', closes = '') {
  const id = `h-${d}-${n}`;
  const row = el('div', { className: 'interval' },
    el('label', { for: `${id}-o`, text: t('admin.opens') }),
    el('input', { type: 'time', id: `${id}-o`, value: opens, className: 'opens' }),
    el('label', { for: `${id}-c`, text: t('admin.closes') }),
    el('input', { type: 'time', id: `${id}-c`, value: closes, className: 'closes' }));
  const remove = el('button', { type: 'button', className: 'secondary small', text: t('admin.hours.remove'),
    'aria-label': t('admin.hours.remove_label', { day: weekdayName(d), n: n + 1 }) });
  remove.addEventListener('click', () => { row.remove(); });
  row.append(remove);
  return row;
}

let intervalSerial = 0;
function renderHours(hours) {
  const box = $('hours-days');
  box.replaceChildren(...WEEKDAYS.map((d) => {
    const list = el('div', { className: 'intervals' });
    for (const h of hours.filter((x) => x.weekday === d)) list.append(intervalRow(d, intervalSerial++, h.opens, h.closes));
    const add = el('button', { type: 'button', className: 'secondary small', text: t('admin.hours.add'),
      'aria-label': t('admin.hours.add_label', { day: weekdayName(d) }) });
    add.addEventListener('click', () => {
      const row = intervalRow(d, intervalSerial++, list.children.length ? '13:00' : '09:00', list.children.length ? '15:00' : '12:00');
      list.append(row);
      row.querySelector('input').focus();
    });
    const legend = el('legend', { text: weekdayName(d) });
    return el('fieldset', { className: 'weekday', 'data-weekday': String(d) }, legend, list, add);
  }));
}

function readHours() {
  const out = [];
  for (const fs of $('hours-days').querySelectorAll('fieldset.weekday')) {
    const weekday = Number(fs.dataset.weekday);
    for (const row of fs.querySelectorAll('.interval')) {
      const opens = row.querySelector('.opens').value;
      const closes = row.querySelector('.closes').value;
      if (!opens && !closes) continue;
      out.push({ weekday, opens, closes });
    }
  }
  return out;
}

async function saveHours(ev) {
  ev.preventDefault();
  const hours = readHours();
  if (hours.some((h) => !h.opens || !h.closes || h.opens >= h.closes)) {
    $('hours-problem').textContent = t('admin.hours.bad');
    return;
  }
  const r = await run('hours-problem', () => api('admin/hours', { office_id: office().id, hours }));
  if (!r) return;
  notice(r.id > 0 ? t('admin.hours.saved_conflicts', { n: r.id }) : t('admin.hours.saved'));
  await loadConflicts();
}

// ---- closures and special days ------------------------------------------------

function renderSpecial() {
  $('special-table').hidden = kontor.special.length === 0;
  $('special-body').replaceChildren(...kontor.special.map((s) => {
    const del = el('button', { type: 'button', className: 'secondary small', text: t('admin.delete'),
      'aria-label': `${t('admin.delete')}: ${date(s.first_date)}` });
    del.addEventListener('click', async () => {
      const r = await run('special-problem', () => api('admin/special-days/delete', { id: s.id }));
      if (!r) return;
      kontor.special = kontor.special.filter((x) => x !== s);
      renderSpecial();
      notice(t('admin.special.deleted'));
    });
    return el('tr', {},
      el('td', { text: s.first_date === s.last_date ? date(s.first_date) : `${date(s.first_date)} – ${date(s.last_date)}` }),
      el('td', { text: s.reason || '' }),
      el('td', { text: s.hours ? s.hours.map((h) => `${h.opens}–${h.closes}`).join(', ') : t('admin.special.closed') }),
      el('td', {}, del));
  }));
}

async function addSpecial(ev) {
  ev.preventDefault();
  const first = $('special-first').value;
  const last = $('special-last').value || first;
  if (!first) { $('special-problem').textContent = t('admin.need_fields'); return; }
  const body = { office_id: office().id, first_date: first, last_date: last };
  const reason = $('special-reason').value.trim();
  if (reason) body.reason = reason;
  if ($('special-open').checked) body.hours = [{ opens: $('special-opens').value, closes: $('special-closes').value }];
  const r = await run('special-problem', () => api('admin/special-days', body));
  if (!r) return;
  kontor.special.push({ id: r.id, ...body });
  renderSpecial();
  notice(t('admin.special.saved'));
  await loadConflicts();
}

// ---- services --------------------------------------------------------------

async function loadServices(selectId) {
  const { services } = await api('services');
  kontor.services = services;
  const pick = $('service-pick');
  const keep = selectId ?? (pick.value === 'new' ? 'new' : Number(pick.value));
  pick.replaceChildren(...services.map((s) => el('option', { value: String(s.id), text: s.name })),
    el('option', { value: 'new', text: t('admin.services.new') }));
  if (keep === 'new' || services.some((s) => s.id === keep)) pick.value = String(keep);
  fillService();
}

function fillService() {
  const s = kontor.services.find((x) => x.id === Number($('service-pick').value));
  $('service-name').value = s?.name ?? '';
  $('service-duration').value = s?.duration_min ?? 30;
  $('service-buffer').value = s?.buffer_min ?? 10;
  $('service-notice').value = s?.notice_min ?? 60;
  $('service-horizon').value = s?.horizon_days ?? 30;
  $('service-before').value = s?.join_before_min ?? 10;
  $('service-after').value = s?.join_after_min ?? 15;
  $('service-interpreter').checked = s?.interpreter_allowed ?? true;
  langBoxes($('service-langs'), 'service-lang', s?.languages ?? LANGS);
}

async function saveService(ev) {
  ev.preventDefault();
  const name = $('service-name').value.trim();
  if (!name) { $('service-problem').textContent = t('admin.need_fields'); return; }
  const num = (id) => Number($(id).value);
  const body = {
    name, duration_min: num('service-duration'), buffer_min: num('service-buffer'),
    notice_min: num('service-notice'), horizon_days: num('service-horizon'),
    join_before_min: num('service-before'), join_after_min: num('service-after'),
    languages: checkedLangs($('service-langs')), interpreter_allowed: $('service-interpreter').checked,
  };
  const id = Number($('service-pick').value);
  if (id) body.id = id;
  const r = await run('service-problem', () => api('admin/services', body));
  if (!r) return;
  await loadServices(r.id);
  notice(t('admin.services.saved', { name }));
}

// ---- caseworkers and absences -----------------------------------------------------

async function loadCaseworkers() {
  const o = office();
  if (!o) return;
  const [{ caseworkers }, { absences }] = await Promise.all([
    api(`admin/caseworkers?office=${o.id}`), api(`admin/absences?office=${o.id}`)]);
  kontor.caseworkers = caseworkers;
  kontor.absences = absences;
  renderCaseworkers();
}

function renderCaseworkers() {
  const o = office();
  $('cw-caption').textContent = t('admin.cw.caption', { office: o?.name ?? '' });
  $('cw-body').replaceChildren(...kontor.caseworkers.map((c) => {
    const toggle = el('button', { type: 'button', className: c.active ? 'secondary small' : 'small',
      text: t(c.active ? 'admin.cw.deactivate' : 'admin.cw.activate') });
    toggle.setAttribute('aria-label', `${toggle.textContent}: ${c.name}`);
    toggle.addEventListener('click', async () => {
      const r = await run('cw-problem', () => api('admin/caseworkers/active', { caseworker_id: c.id, active: !c.active }));
      if (!r) return;
      notice(t(c.active ? 'admin.cw.deactivated' : 'admin.cw.activated', { name: c.name }));
      await Promise.all([loadCaseworkers(), loadConflicts()]);
    });
    return el('tr', { 'data-caseworker-id': String(c.id), 'data-active': String(c.active) },
      el('td', { text: c.name + (c.is_admin ? ` (${t('admin.cw.is_admin')})` : '') }),
      el('td', { text: c.email }),
      el('td', { text: (c.languages || []).map(languageName).join(', ') }),
      el('td', { text: t(c.active ? 'admin.cw.active' : 'admin.cw.inactive') }),
      el('td', {}, toggle));
  }));
  const keep = $('absence-who').value;
  $('absence-who').replaceChildren(...kontor.caseworkers.filter((c) => c.active)
    .map((c) => el('option', { value: String(c.id), text: c.name })));
  if (kontor.caseworkers.some((c) => c.active && String(c.id) === keep)) $('absence-who').value = keep;
  const editKeep = $('cw-edit-who').value;
  $('cw-edit-who').replaceChildren(...kontor.caseworkers.map((c) => el('option', { value: String(c.id), text: c.name })));
  renderAuditPeople();
  if (kontor.caseworkers.some((c) => String(c.id) === editKeep)) $('cw-edit-who').value = editKeep;
  fillCaseworkerEdit();
  const names = new Map(kontor.caseworkers.map((c) => [c.id, c.name]));
  const zone = o?.time_zone;
  $('absence-body').replaceChildren(...kontor.absences.map((a) => {
    const del = el('button', { type: 'button', className: 'secondary small', text: t('admin.delete') });
    del.setAttribute('aria-label', `${t('admin.delete')}: ${names.get(a.caseworker_id) ?? ''} ${day(a.from, zone)}`);
    del.addEventListener('click', async () => {
      const r = await run('absence-problem', () => api('admin/absences/delete', { id: a.id }));
      if (r) { notice(t('admin.absence.deleted')); await Promise.all([loadCaseworkers(), loadConflicts()]); }
    });
    return el('tr', {},
      el('td', { text: names.get(a.caseworker_id) ?? String(a.caseworker_id) }),
      el('td', { text: `${day(a.from, zone)} ${clock(a.from, zone)} – ${day(a.to, zone)} ${clock(a.to, zone)}` }),
      el('td', { text: a.reason || '' }),
      el('td', {}, del));
  }));
}

async function createCaseworker(ev) {
  ev.preventDefault();
  const name = $('cw-name').value.trim();
  const email = $('cw-email').value.trim();
  const password = $('cw-password').value;
  if (!name || !email) { $('cw-problem').textContent = t('admin.need_fields'); return; }
  if (password.length < 12) { $('cw-problem').textContent = errorText('weak_password'); return; }
  const r = await run('cw-problem', () => api('admin/caseworkers', {
    office_id: office().id, name, email, password,
    is_admin: $('cw-admin').checked, languages: checkedLangs($('cw-langs')),
  }));
  if (!r) return;
  $('cw-form').reset();
  langBoxes($('cw-langs'), 'cw-lang', ['nb']);
  notice(t('admin.cw.created', { name }));
  await loadCaseworkers();
}

function fillCaseworkerEdit() {
  const c = kontor.caseworkers.find((x) => String(x.id) === $('cw-edit-who').value);
  langBoxes($('cw-edit-langs'), 'cw-edit-lang', c?.languages ?? []);
  $('cw-edit-password').value = '';
}

// Languages through caseworkers/update (which takes the whole record),
// a new password through caseworkers/password (it ends their sessions).
async function editCaseworker(ev) {
  ev.preventDefault();
  const c = kontor.caseworkers.find((x) => String(x.id) === $('cw-edit-who').value);
  if (!c) return;
  const password = $('cw-edit-password').value;
  if (password && password.length < 12) { $('cw-edit-problem').textContent = errorText('weak_password'); return; }
  const ok = await run('cw-edit-problem', async () => {
    await api('admin/caseworkers/update', { caseworker_id: c.id, office_id: office().id, name: c.name,
      is_admin: !!c.is_admin, languages: checkedLangs($('cw-edit-langs')) });
    if (password) await api('admin/caseworkers/password', { caseworker_id: c.id, password });
    return true;
  });
  if (!ok) return;
  notice(t(password ? 'admin.cw.changed_password' : 'admin.cw.changed', { name: c.name }));
  await loadCaseworkers();
}

async function addAbsence(ev) {
  ev.preventDefault();
  const zone = office().time_zone;
  const from = $('absence-from').value;
  const to = $('absence-to').value;
  if (!from || !to || !$('absence-who').value) { $('absence-problem').textContent = t('admin.need_fields'); return; }
  const body = { caseworker_id: Number($('absence-who').value), from: zonedToUtc(from, zone), to: zonedToUtc(to, zone) };
  const reason = $('absence-reason').value.trim();
  if (reason) body.reason = reason;
  const r = await run('absence-problem', () => api('admin/absences', body));
  if (!r) return;
  notice(t('admin.absence.saved'));
  await Promise.all([loadCaseworkers(), loadConflicts()]);
}

// ---- conflicts -----------------------------------------------------------------

async function loadConflicts() {
  const o = office();
  if (!o) return;
  try {
    const { conflicts } = await api(`admin/conflicts?office=${o.id}`);
    kontor.conflicts = conflicts;
  } catch (e) {
    kontor.conflicts = [];
    notice(adminErrorText(e.code));
  }
  renderConflicts();
}

// An administrator's words where a code is shared with the booking pages:
// here slot_taken is an overlap and no_booking a row someone removed, not
// a job seeker's lost time or link.
function adminErrorText(code) {
  const key = `admin.error.${code}`;
  const text = t(key);
  return text === key ? errorText(code) : text;
}

function problemText(code) {
  const key = `error.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

function renderConflicts() {
  const list = kontor.conflicts || [];
  $('conflicts-empty').hidden = list.length > 0;
  $('conflicts-table').hidden = list.length === 0;
  $('conflicts-body').replaceChildren(...list.map((b) => {
    const who = `${b.seeker_name} (${b.reference})`;
    const reassign = el('button', { type: 'button', className: 'small', text: t('admin.conflicts.reassign') });
    reassign.setAttribute('aria-label', `${reassign.textContent}: ${who}`);
    reassign.addEventListener('click', async () => {
      try {
        const r = await api('admin/reassign', { booking_id: b.id });
        notice(t('admin.conflicts.reassigned', { name: b.seeker_name, to: r.booking?.caseworker_name ?? '' }));
      } catch (e) {
        // slot_taken here means nobody else is free at that time.
        notice(e.code === 'slot_taken' || e.code === 'no_caseworker' ? t('admin.conflicts.nobody_free') : adminErrorText(e.code));
      }
      await loadConflicts();
    });
    const reasonId = `reason-${b.id}`;
    const reason = el('input', { id: reasonId, className: 'reason' });
    const cancel = el('button', { type: 'button', className: 'danger small', text: t('admin.conflicts.cancel') });
    cancel.setAttribute('aria-label', `${cancel.textContent}: ${who}`);
    cancel.addEventListener('click', async () => {
      const text = reason.value.trim();
      if (!text) { notice(t('cw.cancel.need_reason')); reason.focus(); return; }
      try {
        await api('queue/cancel', { booking_id: b.id, reason: text });
        notice(t('cw.cancel.done', { name: b.seeker_name }));
      } catch (e) {
        kontor.error = { code: e.code, status: e.status };
        notice(e.code === 'forbidden' ? t('admin.conflicts.cancel_forbidden') : adminErrorText(e.code));
      }
      await loadConflicts();
    });
    return el('tr', { 'data-booking-id': String(b.id) },
      el('td', { text: `${day(b.starts_at, b.time_zone)} ${clock(b.starts_at, b.time_zone)}` }),
      el('td', { text: who }),
      el('td', { text: problemText(b.problem) }),
      el('td', { className: 'actions' }, reassign, ' ',
        el('label', { for: reasonId, className: 'visually-hidden', text: t('admin.conflicts.reason_for', { name: b.seeker_name }) }),
        reason, ' ', cancel));
  }));
}

// ---- messages that could not be sent (docs/api.md) ------------------------------

async function loadMessages() {
  const o = office();
  if (!o) return;
  let list = [];
  try {
    ({ messages: list } = await api(`admin/messages?office=${o.id}`));
  } catch (e) {
    notice(adminErrorText(e.code));
  }
  $('messages-empty').hidden = list.length > 0;
  $('messages-table').hidden = list.length === 0;
  $('messages-body').replaceChildren(...list.map((m) => {
    const cells = [
      el('td', { text: `${day(m.created_at, o.time_zone)} ${clock(m.created_at, o.time_zone)}` }),
      el('td', { text: m.reference }),
      el('td', { text: `${m.kind} (${m.channel}), ${m.status}` }),
      el('td', { text: `${m.attempts}: ${m.last_error ?? ''}` }),
    ];
    const actions = el('td', { className: 'actions' });
    if (m.status === 'failed') {
      actions.append(el('button', { type: 'button', className: 'small', text: t('admin.messages_resend'),
        onclick: async () => {
          try {
            await api('admin/messages/resend', { id: m.id });
            notice(t('admin.messages_resent'));
          } catch (e) {
            notice(e.code === 'not_changeable' ? t('admin.messages_not_again') : adminErrorText(e.code));
          }
          await loadMessages();
        } }));
    }
    return el('tr', { 'data-message-id': String(m.id) }, ...cells, actions);
  }));
}

// ---- statistics ----------------------------------------------------------------

const SERIES = [
  ['booked', '#0b5394'], ['completed', '#1d6b2e'], ['cancelled', '#a4161a'], ['no_show', '#8a5a00'],
];

async function loadStats(ev) {
  ev?.preventDefault();
  const o = office();
  if (!o) return;
  const from = $('stats-from').value;
  const to = $('stats-to').value;
  const r = await run('stats-problem', () => api(`admin/stats?office=${o.id}&from=${from}&to=${to}`));
  kontor.stats = r || null;
  renderStats();
}

function minutes(s) {
  return s == null ? '—' : t('admin.stats.minutes', { n: (s / 60).toFixed(1) });
}

function renderStats() {
  const days = kontor.stats?.days || [];
  const o = office();
  $('stats-caption').textContent = t('admin.stats.caption', { office: o?.name ?? '' });
  $('stats-body').replaceChildren(...days.map((d) => el('tr', { 'data-date': d.date },
    el('th', { scope: 'row', text: date(d.date) }),
    el('td', { text: String(d.booked), 'data-key': 'booked' }),
    el('td', { text: String(d.completed), 'data-key': 'completed' }),
    el('td', { text: String(d.cancelled), 'data-key': 'cancelled' }),
    el('td', { text: String(d.no_show), 'data-key': 'no_show' }),
    el('td', { text: String(d.not_admitted), 'data-key': 'not_admitted' }),
    el('td', { text: minutes(d.wait_median_s) }),
    el('td', { text: minutes(d.wait_p90_s) }))));
  $('stats-chart').replaceChildren(chart(days));
  $('stats-legend').replaceChildren(...SERIES.map(([key, color]) =>
    el('span', { className: 'key' }, el('span', { className: 'swatch', style: `background:${color}` }), t(`admin.stats.${key}`))));
}

// Grouped bars per day, drawn as inline SVG; the table below carries the
// same numbers for screen readers, so the picture is one labelled image.
function chart(days) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  const W = Math.max(320, days.length * 56 + 40);
  const H = 200;
  const base = H - 30;
  const max = Math.max(1, ...days.flatMap((d) => SERIES.map(([k]) => d[k] || 0)));
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('admin.stats.chart', {
    office: office()?.name ?? '',
    summary: SERIES.map(([k]) => `${t(`admin.stats.${k}`)} ${days.reduce((a, d) => a + (d[k] || 0), 0)}`).join(', '),
  }));
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text != null) e.textContent = text;
    svg.append(e);
    return e;
  };
  add('line', { x1: 30, y1: base, x2: W - 5, y2: base, stroke: '#4a5360' });
  add('text', { x: 4, y: 18, 'font-size': 11, fill: '#4a5360' }, String(max));
  add('text', { x: 4, y: base, 'font-size': 11, fill: '#4a5360' }, '0');
  days.forEach((d, i) => {
    const x0 = 36 + i * 56;
    SERIES.forEach(([key, color], j) => {
      const v = d[key] || 0;
      const h = Math.round((v / max) * (base - 20));
      add('rect', { x: x0 + j * 11, y: base - h, width: 10, height: Math.max(h, v ? 1 : 0), fill: color, 'data-key': key, 'data-value': v });
    });
    add('text', { x: x0, y: base + 16, 'font-size': 11, fill: '#1b1f24' }, d.date.slice(5));
  });
  return svg;
}

// ---- the audit log (GET /api/v1/admin/audit) ---------------------------------

function auditQuery() {
  const who = $('audit-who').value;
  return `office=${office().id}&from=${$('audit-from').value}&to=${$('audit-to').value}${who ? `&caseworker=${who}` : ''}`;
}

async function loadAudit(ev) {
  ev?.preventDefault();
  if (!office()) return;
  const r = await run('audit-problem', () => api(`admin/audit?${auditQuery()}`));
  const rows = r?.entries || [];
  const o = office();
  $('audit-caption').textContent = t(r?.truncated ? 'admin.audit.caption_cut' : 'admin.audit.caption',
    { office: o?.name ?? '', n: rows.length });
  $('audit-body').replaceChildren(...rows.map((e) => el('tr', { 'data-action': e.action },
    el('td', { text: `${day(e.at, o?.time_zone)} ${clock(e.at, o?.time_zone)}` }),
    el('td', { text: e.caseworker ?? t('admin.audit.system') }),
    el('td', { text: e.action }),
    el('td', { text: e.booking_id == null ? '' : String(e.booking_id) }),
    el('td', { text: Object.keys(e.details || {}).length ? JSON.stringify(e.details) : '' }))));
}

function renderAuditPeople() {
  const keep = $('audit-who').value;
  $('audit-who').replaceChildren(el('option', { value: '', text: t('admin.audit.everyone') }),
    ...kontor.caseworkers.map((c) => el('option', { value: String(c.id), text: c.name })));
  if (kontor.caseworkers.some((c) => String(c.id) === keep)) $('audit-who').value = keep;
}

function downloadStatsCsv() {
  const o = office();
  downloadCsv(`/api/v1/admin/stats?office=${o.id}&from=${$('stats-from').value}&to=${$('stats-to').value}&format=csv`,
    `kontor-stats-${o.id}-${$('stats-from').value}-${$('stats-to').value}.csv`, 'stats-problem');
}

function downloadAuditCsv() {
  const o = office();
  downloadCsv(`/api/v1/admin/audit?${auditQuery()}&format=csv`,
    `kontor-audit-${o.id}-${$('audit-from').value}-${$('audit-to').value}.csv`, 'audit-problem');
}

async function downloadCsv(url, name, problem) {
  try {
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) throw new Error(String(response.status));
    const blob = new Blob([await response.text()], { type: 'text/csv' });
    const href = URL.createObjectURL(blob);
    const a = el('a', { href, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10000);
  } catch {
    $(problem).textContent = errorText('internal');
  }
}

// ---- start -----------------------------------------------------------------------

async function main() {
  startPage();
  try {
    const { caseworker } = await api('me');
    kontor.me = caseworker;
    $('who').textContent = `${caseworker.name}`;
    if (!caseworker.is_admin) throw Object.assign(new Error('forbidden'), { code: 'forbidden_admin' });
    const config = await api('config');
    const zones = Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : [];
    $('zones').replaceChildren(...zones.map((z) => el('option', { value: z })));
    await Promise.all([loadOffices(caseworker.office_id), loadServices()]);
    // Statistics and special days count office days: "today" is the date
    // at the administrator's own office, not in UTC, which in a Nordic
    // night is still yesterday (and would leave today out of the table).
    const own = kontor.offices.find((o) => o.id === caseworker.office_id);
    today = localDate(config.now || new Date().toISOString(), own?.time_zone);
    $('stats-from').value = addDays(today, -13);
    $('stats-to').value = today;
    $('audit-from').value = addDays(today, -6);
    $('audit-to').value = today;
    $('special-first').value = addDays(today, 7);
    $('special-last').value = addDays(today, 7);
  } catch (e) {
    $('problem').textContent = e.code === 'forbidden_admin' ? t('admin.not_admin') : adminErrorText(e.code);
    setState('refused');
    return;
  }
  langBoxes($('cw-langs'), 'cw-lang', ['nb']);
  $('office-pick').addEventListener('change', officeChanged);
  $('office-form').addEventListener('submit', saveOffice);
  $('office-new').addEventListener('click', () => { fillOfficeForm(null); $('office-name').focus(); });
  $('hours-form').addEventListener('submit', saveHours);
  $('special-form').addEventListener('submit', addSpecial);
  $('special-open').addEventListener('change', () => { $('special-hours').hidden = !$('special-open').checked; });
  $('service-pick').addEventListener('change', fillService);
  $('service-form').addEventListener('submit', saveService);
  $('cw-form').addEventListener('submit', createCaseworker);
  $('absence-form').addEventListener('submit', addAbsence);
  $('cw-edit-who').addEventListener('change', fillCaseworkerEdit);
  $('cw-edit-form').addEventListener('submit', editCaseworker);
  $('stats-form').addEventListener('submit', loadStats);
  $('stats-csv').addEventListener('click', downloadStatsCsv);
  $('audit-form').addEventListener('submit', loadAudit);
  $('audit-csv').addEventListener('click', downloadAuditCsv);
  document.addEventListener('kontor:language', () => {
    const hours = readHours();
    fillOfficeForm(office()?.id === kontor.editingOffice ? office() : null);
    renderHours(hours);
    renderSpecial();
    loadServices();
    renderCaseworkers();
    renderConflicts();
    renderStats();
  });
  await officeChanged();
  setState('admin');
}

main();
