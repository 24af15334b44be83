// caseworker.js — the caseworker's day: log in, watch the live queue (with
// a cue when someone arrives), admit, meet, end; the next booking always
// in sight.
import { t, errorText } from './i18n.js';
import { api } from './api.js';
import { Channel } from './channel.js';
import { getLocalMedia } from './meeting.js';
import { MeetingView } from './meetingview.js';
import { startPage, showState, notice } from './page.js';
import { clock, span, date } from './time.js';

// Survives a reload of this tab (not a new tab): which meeting to go back to.
const RESUME_KEY = 'kontor.meeting';
const SOUND_KEY = 'kontor.sound';
const TITLE = document.title;

// What tests (and curious developers) may look at; nothing reads it back.
// The meeting and its parts (meeting, pc, chat, …) come from the view.
const kontor = { state: 'loading', me: null, queue: null, booking: null, error: null, cues: 0 };
window.kontor = kontor;

const $ = (id) => document.getElementById(id);
let channel = null;
let localStream = null;
let mediaPromise = null;
let peerGone = false;         // the job seeker's socket went away mid-meeting
let arrivedSeen = null;       // booking ids seen waiting and present (null: no queue yet)
let view = null;

function setState(state, opts) {
  kontor.state = state;
  showState(state, opts);
}

// ---- login ----------------------------------------------------------------

async function start() {
  view = new MeetingView($('meeting'), {
    level: 2,
    title: () => (kontor.booking ? t('cw.meeting.heading', { name: name(kontor.booking) }) : ''),
    remote: { role: 'seeker', label: 'cw.remote' },
    send: (m) => channel?.send(m) ?? false,
  });
  view.exposeTo(kontor);
  startPage();
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  $('feed-new').addEventListener('click', () => calendarFeed(false));
  $('feed-revoke').addEventListener('click', () => calendarFeed(true));
  $('end').addEventListener('click', endMeeting);
  $('admit-next').addEventListener('click', admitNext);
  $('cancel-form').addEventListener('submit', confirmCancel);
  $('cancel-back').addEventListener('click', () => $('cancel-dialog').close());
  $('cancel-reason').addEventListener('input', () => { $('cancel-error').textContent = ''; });
  const sound = $('sound');
  sound.checked = localStorage.getItem(SOUND_KEY) !== 'off';
  sound.addEventListener('change', () => localStorage.setItem(SOUND_KEY, sound.checked ? 'on' : 'off'));
  document.addEventListener('kontor:language', () => { renderQueue(); renderWho(); });
  $('invite').addEventListener('click', () => {
    if (kontor.booking) channel.send({ type: 'invite', booking_id: kontor.booking.id });
  });
  $('copy-invitation').addEventListener('click', copyInvitation);
  // The old link stops working: for a link sent to the wrong person.
  $('renew-invitation').addEventListener('click', () => {
    if (kontor.booking) channel.send({ type: 'invite', booking_id: kontor.booking.id, new: true });
  });
  // Relative times ("in 5 min") move on without any message.
  setInterval(renderNext, 15000);
  try {
    const { caseworker } = await api('me');
    loggedIn(caseworker);
  } catch (e) {
    setState('login');
    if (e.code !== 'not_logged_in') notice(errorText(e.code));
  }
}

// The calendar feed (docs/api.md "Calendar feed"): the address is shown
// once, when made; only its hash is kept, so a lost one is made anew.
async function calendarFeed(revoke) {
  try {
    const feed = await api('calendar-feed', revoke ? { revoke: true } : {});
    $('feed-url').hidden = $('feed-open').hidden = !feed.url;
    $('feed-url').value = feed.url || '';
    if (feed.webcal_url) $('feed-open').href = feed.webcal_url;
    if (revoke) notice(t('cw.feed_revoked'));
  } catch (e) {
    notice(errorText(e.code));
  }
}

async function login(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const error = $('login-error');
  error.textContent = '';
  try {
    const { caseworker } = await api('login', {
      email: form.email.value.trim(),
      password: form.password.value,
    });
    form.password.value = '';
    loggedIn(caseworker);
  } catch (e) {
    error.textContent = errorText(e.code);
    form.password.focus();
  }
}

async function logout() {
  leaveMeeting();
  stopCamera();
  channel?.close();
  sessionStorage.removeItem(RESUME_KEY);
  try { await api('logout', {}); } catch { /* logged out anyway */ }
  kontor.me = null;
  kontor.queue = null;
  arrivedSeen = null;
  renderWho();
  setState('login');
}

function renderWho() {
  const me = kontor.me;
  $('who').textContent = me ? `${me.name} · ${me.office}` : '';
  $('admin-link').hidden = !me?.is_admin;
}

function loggedIn(caseworker) {
  kontor.me = caseworker;
  renderWho();
  setState('queue');
  channel = new Channel({
    onOpen: () => channel.send({ type: 'hello' }),
    onMessage,
    onState: (s) => {
      if (s === 'reconnecting') {
        leaveMeeting({ keepResume: true });
        notice(t('cw.reconnecting'));
      } else if (s === 'open') {
        notice('');
      }
    },
  });
  channel.open();
}

// ---- queue ----------------------------------------------------------------

const name = (b) => b?.seeker_name || b?.reference || '';

function statusText(b) {
  if (b.status === 'waiting' && b.checked_in_at) {
    const since = t('cw.queue.waiting_since', { time: clock(b.checked_in_at, b.time_zone) });
    const min = Math.round((Date.parse(b.checked_in_at) - Date.parse(b.starts_at)) / 60000);
    if (min <= -1) return `${since} (${t('cw.queue.early', { min: -min })})`;
    if (min >= 1) return `${since} (${t('cw.queue.late', { min })})`;
    return since;
  }
  return t(`status.${b.status}`);
}

// Who may be admitted now: waiting and actually here, earliest booking first.
function nextToAdmit() {
  return kontor.queue?.bookings
    .filter((b) => b.status === 'waiting' && b.present)
    .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at))[0] ?? null;
}

// The next booking that has not happened yet, after the current meeting.
function nextBooking() {
  const now = Date.now();
  return kontor.queue?.bookings
    .filter((b) => (b.status === 'booked' || b.status === 'waiting') && b.id !== kontor.booking?.id
      && Date.parse(b.ends_at) > now)
    .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at))[0] ?? null;
}

function renderNext() {
  const el = $('next');
  const b = nextBooking();
  if (!b) { el.textContent = ''; return; }
  const min = Math.round((Date.parse(b.starts_at) - Date.now()) / 60000);
  const when = min > 0 ? t('cw.next.in', { min }) : min < 0 ? t('cw.next.ago', { min: -min }) : t('cw.next.now');
  el.textContent = t('cw.next', { time: clock(b.starts_at, b.time_zone), name: name(b), when });
}

function renderQueue() {
  const q = kontor.queue;
  if (!q) return;
  const body = $('queue-body');
  $('queue-caption').textContent = t('cw.queue.caption', { date: date(q.date) });
  $('queue-empty').hidden = q.bookings.length > 0;
  $('queue-table').hidden = q.bookings.length === 0;
  const next = nextToAdmit();
  const adm = $('admit-next');
  adm.disabled = !next || !!kontor.booking;
  adm.textContent = next ? t('cw.admit_next_name', { name: name(next) }) : t('cw.admit_next');
  body.replaceChildren(...q.bookings.map((b) => {
    const tr = document.createElement('tr');
    tr.dataset.bookingId = b.id;
    tr.dataset.status = b.status;
    tr.dataset.present = b.present ? 'true' : 'false';
    if (recentlyArrived.has(b.id)) tr.classList.add('arrived');
    const needs = [b.service, b.language, b.interpreter ? t('cw.queue.interpreter') : null];
    for (const text of [span(b.starts_at, b.ends_at, b.time_zone), name(b), needs.filter(Boolean).join(' · ')]) {
      const td = document.createElement('td');
      td.textContent = text ?? '';
      tr.append(td);
    }
    const status = document.createElement('td');
    status.className = 'status';
    const label = document.createElement('span');
    label.className = `badge badge-${b.status}`;
    label.textContent = statusText(b);
    status.append(label);
    if (b.kiosk_locked && (b.status === 'booked' || b.status === 'waiting')) {
      const locked = document.createElement('span');
      locked.className = 'badge badge-locked';
      locked.textContent = t('cw.kiosk.locked');
      status.append(' ', locked);
    }
    if (b.status === 'waiting' || b.status === 'in_meeting') {
      const presence = document.createElement('span');
      presence.className = `presence ${b.present ? 'on' : 'off'}`;
      presence.textContent = t(!b.present ? 'cw.queue.absent'
        : b.status === 'waiting' ? 'cw.queue.present' : 'cw.queue.connected');
      status.append(' ', presence);
    }
    tr.append(status);
    const action = document.createElement('td');
    const inThis = kontor.booking?.id === b.id;
    if (b.status === 'waiting' || (b.status === 'in_meeting' && !inThis)) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'admit';
      button.textContent = t(b.status === 'waiting' ? 'cw.admit' : 'cw.return');
      // The visible words first, so speech input ("click Admit") finds it.
      button.setAttribute('aria-label', `${button.textContent}: ${name(b)}`);
      button.disabled = !!kontor.booking;
      button.addEventListener('click', () => admit(b.id));
      action.append(button);
    }
    // Only once the time to enter has passed with nobody checked in: the
    // server refuses anything earlier (a no-show can cost a person their
    // benefits), so the page does not offer it either.
    if (b.status === 'booked' && b.join_closes_at && Date.now() >= Date.parse(b.join_closes_at)) {
      const noShow = document.createElement('button');
      noShow.type = 'button';
      noShow.className = 'secondary no-show';
      noShow.textContent = t('cw.no_show');
      noShow.setAttribute('aria-label', `${noShow.textContent}: ${name(b)}`);
      noShow.addEventListener('click', () => channel.send({ type: 'no_show', booking_id: b.id }));
      action.append(noShow, ' ');
    }
    if (b.kiosk_locked && (b.status === 'booked' || b.status === 'waiting')) {
      const renew = document.createElement('button');
      renew.type = 'button';
      renew.className = 'secondary kiosk-code';
      renew.textContent = t('cw.kiosk.new');
      renew.setAttribute('aria-label', `${renew.textContent}: ${name(b)}`);
      renew.addEventListener('click', () => newKioskCode(b));
      action.append(' ', renew);
    }
    if (b.status === 'booked' || b.status === 'waiting') {
      const cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.className = 'secondary cancel';
      cancel.textContent = t('cw.cancel');
      cancel.setAttribute('aria-label', `${cancel.textContent}: ${name(b)}`);
      cancel.addEventListener('click', () => askCancel(b));
      action.append(' ', cancel);
    }
    tr.append(action);
    return tr;
  }));
  renderNext();
  const waiting = q.bookings.filter((b) => b.status === 'waiting' && b.present).length;
  document.title = waiting ? `(${waiting}) ${t('cw.title_waiting')} — ${TITLE}` : TITLE;
}

// ---- a new kiosk code (POST /api/v1/queue/kiosk-code) ------------------------
// After ten wrong codes at a terminal a booking's code is locked; the
// caseworker gives out a new one, shown here once, to pass on by phone.

async function newKioskCode(b) {
  try {
    const r = await api('queue/kiosk-code', { booking_id: b.id });
    notice(t('cw.kiosk.done', { name: name(b), code: r.kiosk_code }));
    try { const q = await api('queue'); kontor.queue = { ...kontor.queue, ...q }; renderQueue(); } catch { /* the socket will */ }
  } catch (e) {
    notice(errorText(e.code));
  }
}

// ---- cancelling from the queue (POST /api/v1/queue/cancel) ------------------

let cancelling = null;

function askCancel(b) {
  cancelling = b;
  $('cancel-heading').textContent = t('cw.cancel.heading', { name: name(b), time: clock(b.starts_at, b.time_zone) });
  $('cancel-reason').value = '';
  $('cancel-error').textContent = '';
  $('cancel-dialog').showModal();
  $('cancel-reason').focus();
}

async function confirmCancel(ev) {
  ev.preventDefault();
  const reason = $('cancel-reason').value.trim();
  if (!reason) { $('cancel-error').textContent = t('cw.cancel.need_reason'); return; }
  try {
    await api('queue/cancel', { booking_id: cancelling.id, reason });
    $('cancel-dialog').close();
    notice(t('cw.cancel.done', { name: name(cancelling) }));
    // The queue message that follows shows the new status; ask for it too
    // in case this socket is not told.
    try { const q = await api('queue'); kontor.queue = { ...kontor.queue, ...q }; renderQueue(); } catch { /* the socket will */ }
  } catch (e) {
    $('cancel-error').textContent = errorText(e.code);
  }
}

// ---- the arrival cue --------------------------------------------------------

const recentlyArrived = new Set();
let audio = null;

function chime() {
  if (!$('sound').checked) return;
  try {
    audio ??= new AudioContext();
    audio.resume().catch(() => {});
    const gain = audio.createGain();
    gain.gain.setValueAtTime(0.0001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.9);
    gain.connect(audio.destination);
    for (const [freq, at] of [[784, 0], [1047, 0.18]]) {
      const osc = audio.createOscillator();
      osc.frequency.value = freq;
      osc.connect(gain);
      osc.start(audio.currentTime + at);
      osc.stop(audio.currentTime + 0.9);
    }
  } catch { /* no sound, the row still flashes */ }
}

// Compares the new queue with what we saw: anyone newly waiting and here
// gets a chime, a flashing row and a spoken notice.
function cueArrivals(bookings) {
  const here = bookings.filter((b) => b.status === 'waiting' && b.present);
  const first = arrivedSeen === null;
  const seen = arrivedSeen ?? new Set();
  const arrived = here.filter((b) => !seen.has(b.id));
  arrivedSeen = new Set(here.map((b) => b.id));
  if (first || arrived.length === 0) return;
  kontor.cues += arrived.length;
  for (const b of arrived) {
    recentlyArrived.add(b.id);
    setTimeout(() => { recentlyArrived.delete(b.id); document.querySelector(`tr[data-booking-id="${b.id}"]`)?.classList.remove('arrived'); }, 4000);
  }
  notice(t('cw.arrived', { name: arrived.map(name).join(', ') }));
  chime();
}

// ---- meeting --------------------------------------------------------------

function admit(bookingId) {
  // Start the camera with the click so the admitted meeting is not held up
  // by it (and the click counts as the gesture that allows sound).
  mediaPromise ??= getLocalMedia();
  kontor.error = null;
  kontor.admitting = bookingId;
  channel.send({ type: 'admit', booking_id: bookingId });
}

function admitNext() {
  const b = nextToAdmit();
  if (b) admit(b.id);
}

async function enterMeeting(msg) {
  leaveMeeting({ keepResume: true });
  kontor.booking = msg.booking;
  notice('');   // "X is waiting" is old news once X is here
  sessionStorage.setItem(RESUME_KEY, String(msg.booking.id));
  view.render();   // the heading names the job seeker
  setState('meeting');
  renderQueue();
  mediaPromise ??= getLocalMedia();
  const { stream, error } = await mediaPromise;
  localStream = stream;
  if (error) notice(t('error.media'));
  if (kontor.booking?.id !== msg.booking.id) return; // ended meanwhile
  view.start({ iceServers: msg.ice_servers, localStream });
}

// Leaves the meeting view (the meeting itself may go on).
function leaveMeeting({ keepResume = false } = {}) {
  view.stop();
  view.chat.clear();   // the next meeting is with someone else
  $('invitation').hidden = true;
  $('invitation-url').value = '';
  kontor.invitation = null;
  kontor.booking = null;
  if (!keepResume) sessionStorage.removeItem(RESUME_KEY);
  if (kontor.state === 'meeting') setState('queue');
}

function endMeeting() {
  if (kontor.booking) channel.send({ type: 'end', booking_id: kontor.booking.id });
}

function stopCamera() {
  const pending = mediaPromise;
  mediaPromise = null;
  for (const track of localStream?.getTracks() ?? []) track.stop();
  localStream = null;
  // A camera still starting is stopped as soon as it has started.
  pending?.then(({ stream }) => {
    if (stream && stream !== localStream) for (const track of stream.getTracks()) track.stop();
  });
}

async function copyInvitation() {
  const input = $('invitation-url');
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    // No clipboard permission: the text is selected for Ctrl+C instead.
    input.focus();
    input.select();
    $('copy-state').textContent = t('cw.copy_manual');
    return;
  }
  $('copy-state').textContent = t('cw.copied');
}

// ---- messages -------------------------------------------------------------

function onMessage(msg) {
  if (view.handle(msg)) return;
  switch (msg.type) {
    case 'queue': {
      kontor.queue = msg;
      cueArrivals(msg.bookings);
      renderQueue();
      // Back from a reload (or a dropped socket) in the middle of a meeting.
      const resume = Number(sessionStorage.getItem(RESUME_KEY));
      if (resume && !kontor.booking) {
        const b = msg.bookings.find((x) => x.id === resume);
        if (b?.status === 'in_meeting') { kontor.admitting = resume; channel.send({ type: 'admit', booking_id: resume }); }
        else sessionStorage.removeItem(RESUME_KEY);
      }
      break;
    }
    case 'admitted':
      kontor.admitting = null;
      enterMeeting(msg);
      break;
    case 'peer':
      if (msg.role === 'seeker' && kontor.booking && (!msg.present || peerGone))
        notice(t(msg.present ? 'cw.peer.back' : 'cw.peer.left'));
      if (msg.role === 'seeker') peerGone = !msg.present;
      if (msg.role === 'interpreter' && kontor.booking)
        notice(t(msg.present ? 'meeting.interpreter_in' : 'meeting.interpreter_out'));
      // An interpreter who leaves takes the link along: it no longer works.
      if (msg.role === 'interpreter' && !msg.present) {
        $('invitation').hidden = true;
        $('invitation-url').value = '';
        kontor.invitation = null;
      }
      break;
    case 'invitation':
      if (kontor.booking?.id !== msg.booking_id) break;
      kontor.invitation = msg.url;
      $('invitation-url').value = msg.url;
      $('copy-state').textContent = '';
      $('invitation').hidden = false;
      $('invitation-url').focus();
      $('invitation-url').select();
      break;
    case 'ended': {
      leaveMeeting();
      stopCamera();
      notice(t('cw.ended', { name: name(msg.booking) }));
      renderQueue();
      break;
    }
    case 'moved':
      // The meeting runs on another node: the channel goes there, and the
      // queue it gets there brings the caseworker back in (as after a reload).
      sessionStorage.setItem(RESUME_KEY, String(msg.booking_id));
      break;
    case 'error':
      kontor.error = { code: msg.code, status: msg.status };
      if (msg.code === 'moving' && kontor.admitting && !kontor.booking) {
        // The meeting's node is out of reach; ask again, as the server says.
        const id = kontor.admitting;
        setTimeout(() => { if (!kontor.booking && kontor.admitting === id) admit(id); }, msg.retry_ms || 1000);
      }
      if (msg.code === 'bad_sdp') { view.meeting?.offerRefused(); break; }
      if (msg.code === 'unsupported_codec') view.meeting?.offerRefused();
      if (msg.code === 'not_logged_in') { kontor.me = null; renderWho(); setState('login'); }
      if (!kontor.booking) stopCamera();
      notice(errorText(msg.code));
      break;
    default:
      break;
  }
}

start();
