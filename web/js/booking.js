// booking.js — "my booking" by its secret link (#t=…): what is booked,
// the way into the meeting, a calendar file, moving and cancelling.
import { t, errorText } from './i18n.js';
import { api } from './api.js';
import { startPage, showState, describeBooking, notice } from './page.js';
import { fetchSlots, renderSlots, chosenSlot, addDays } from './slots.js';

const kontor = { state: 'loading', booking: null, error: null };
window.kontor = kontor;

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.hash.slice(1)).get('t');
const LIVE = new Set(['booked', 'waiting', 'in_meeting']);
const CHANGEABLE = new Set(['booked', 'waiting']);

function setState(state) {
  kontor.state = state;
  showState(state, { focus: false });
}

function render() {
  const b = kontor.booking;
  if (!b) return;
  const dl = $('booking');
  describeBooking(dl, b);
  const dt = document.createElement('dt');
  dt.textContent = t('common.status');
  const dd = document.createElement('dd');
  dd.id = 'booking-status';
  dd.textContent = t(`booking.status.${b.status}`);
  dl.append(dt, dd);
  $('live').hidden = !LIVE.has(b.status);
  $('manage').hidden = !CHANGEABLE.has(b.status);
}

// The .ics comes from a POST (the token stays out of URLs), so the page
// hands it to the browser as a file itself.
async function downloadCalendar() {
  try {
    const response = await fetch('/api/v1/booking/calendar', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    if (!response.ok) throw new Error(String(response.status));
    const url = URL.createObjectURL(new Blob([await response.text()], { type: 'text/calendar' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `kontor-${kontor.booking?.reference || 'booking'}.ics`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch {
    notice(errorText('internal'));
  }
}

async function cancel() {
  try {
    const result = await api('booking/cancel', { token });
    kontor.booking = result.booking;
    render();
    $('confirm').hidden = true;
    notice(t('booking.cancelled'));
  } catch (e) {
    notice(errorText(e.code));
  }
}

// Moving keeps the caseworker and the service (docs/api.md), so only
// their free times in the next two weeks are offered.
async function openMove() {
  const open = $('move-panel').hidden;
  $('move-panel').hidden = !open;
  $('move').setAttribute('aria-expanded', String(open));
  if (!open) return;
  $('move-problem').textContent = '';
  const b = kontor.booking;
  $('move-slots').replaceChildren(t('common.loading'));
  try {
    const config = await api('config');
    const today = (config.now || new Date().toISOString()).slice(0, 10);
    const slots = await fetchSlots({ service: b.service_id, office: b.office_id,
      caseworker: b.caseworker_id, from: today, to: addDays(today, 13) });
    const offices = new Map([[b.office_id, { id: b.office_id, name: b.office, time_zone: b.time_zone }]]);
    kontor.moveSlots = slots;
    renderSlots($('move-slots'), slots, offices, { name: 'move-slot', skip: b.starts_at });
    $('move-slots').querySelector('input')?.focus();
  } catch (e) {
    $('move-problem').textContent = errorText(e.code);
  }
}

async function move(event) {
  event.preventDefault();
  const slot = chosenSlot($('move-slots'));
  if (!slot) { $('move-problem').textContent = t('book.need_slot'); return; }
  $('move-yes').disabled = true;
  try {
    const result = await api('booking/move', { token, starts_at: slot.starts_at });
    kontor.booking = result.booking;
    render();
    $('move-panel').hidden = true;
    $('move').setAttribute('aria-expanded', 'false');
    notice(t('booking.moved'));
  } catch (e) {
    $('move-problem').textContent = errorText(e.code);
  } finally {
    $('move-yes').disabled = false;
  }
}

// "I lost my link" (docs/api.md): the answer is the same whether or not
// the two match, so the page can only say what happens if they do.
async function sendLost(event) {
  event.preventDefault();
  $('lost-send').disabled = true;
  $('lost-answer').textContent = '';
  try {
    await api('booking/resend-link', { reference: $('lost-reference').value.trim(),
      contact: $('lost-contact').value.trim() });
    $('lost-answer').textContent = t('booking.lost_sent');
  } catch (e) {
    $('lost-answer').textContent = errorText(e.code);
  } finally {
    $('lost-send').disabled = false;
  }
}

async function main() {
  startPage();
  $('lost').addEventListener('submit', sendLost);
  window.addEventListener('hashchange', () => location.reload());
  document.addEventListener('kontor:language', render);
  if (!token) {
    kontor.error = { code: 'no_token' };
    $('problem').textContent = location.hash === '#lost' ? '' : errorText('no_token');
    setState('refused');
    return;
  }
  $('join-link').href = `join.html#t=${encodeURIComponent(token)}`;
  $('calendar').addEventListener('click', downloadCalendar);
  $('cancel').addEventListener('click', () => {
    $('confirm').hidden = false;
    $('cancel-no').focus();
  });
  $('cancel-no').addEventListener('click', () => { $('confirm').hidden = true; $('cancel').focus(); });
  $('cancel-yes').addEventListener('click', cancel);
  $('move').addEventListener('click', openMove);
  $('move-panel').addEventListener('submit', move);
  $('move-no').addEventListener('click', () => {
    $('move-panel').hidden = true;
    $('move').setAttribute('aria-expanded', 'false');
    $('move').focus();
  });
  try {
    const { booking } = await api('booking', { token });
    kontor.booking = booking;
    render();
    setState('booking');
  } catch (e) {
    kontor.error = { code: e.code };
    $('problem').textContent = errorText(e.code);
    setState('refused');
  }
}

main();
