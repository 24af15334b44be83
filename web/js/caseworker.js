// caseworker.js — the caseworker's day: log in, watch the live queue, admit,
// meet, end.
import { t, errorText } from './i18n.js';
import { api } from './api.js';
import { Channel } from './channel.js';
import { Meeting, getLocalMedia, play } from './meeting.js';
import { startPage, showState, notice } from './page.js';
import { clock, span, date } from './time.js';

// Survives a reload of this tab (not a new tab): which meeting to go back to.
const RESUME_KEY = 'kontor.meeting';

const kontor = { state: 'loading', me: null, queue: null, booking: null, meeting: null, error: null,
  get pc() { return this.meeting?.pc ?? null; } };
window.kontor = kontor;

let channel = null;
let localStream = null;
let mediaPromise = null;

function setState(state, opts) {
  kontor.state = state;
  showState(state, opts);
}

// ---- login ----------------------------------------------------------------

async function start() {
  startPage();
  document.getElementById('login-form').addEventListener('submit', login);
  document.getElementById('logout').addEventListener('click', logout);
  document.getElementById('end').addEventListener('click', endMeeting);
  document.addEventListener('kontor:language', () => { renderQueue(); renderWho(); });
  try {
    const { caseworker } = await api('me');
    loggedIn(caseworker);
  } catch (e) {
    setState('login');
    if (e.code !== 'not_logged_in') notice(errorText(e.code));
  }
}

async function login(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const error = document.getElementById('login-error');
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
  channel?.close();
  sessionStorage.removeItem(RESUME_KEY);
  try { await api('logout', {}); } catch { /* logged out anyway */ }
  kontor.me = null;
  renderWho();
  setState('login');
}

function renderWho() {
  const me = kontor.me;
  document.getElementById('who').textContent = me ? `${me.name} · ${me.office}` : '';
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

function statusText(b) {
  if (b.status === 'waiting' && b.checked_in_at)
    return t('cw.queue.waiting_since', { time: clock(b.checked_in_at, b.time_zone) });
  return t(`status.${b.status}`);
}

function renderQueue() {
  const q = kontor.queue;
  if (!q) return;
  const body = document.getElementById('queue-body');
  document.getElementById('queue-caption').textContent = t('cw.queue.caption', { date: date(q.date) });
  document.getElementById('queue-empty').hidden = q.bookings.length > 0;
  document.getElementById('queue-table').hidden = q.bookings.length === 0;
  body.replaceChildren(...q.bookings.map((b) => {
    const tr = document.createElement('tr');
    tr.dataset.bookingId = b.id;
    tr.dataset.status = b.status;
    tr.dataset.present = b.present ? 'true' : 'false';
    const cells = [
      span(b.starts_at, b.ends_at, b.time_zone),
      b.seeker_name || b.reference,
      b.service,
    ];
    for (const text of cells) {
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
    if (b.status === 'waiting' || b.status === 'in_meeting') {
      const presence = document.createElement('span');
      presence.className = `presence ${b.present ? 'on' : 'off'}`;
      presence.textContent = t(b.present ? 'cw.queue.present' : 'cw.queue.absent');
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
      button.setAttribute('aria-label', b.status === 'waiting'
        ? t('cw.admit_label', { name: b.seeker_name || b.reference })
        : `${t('cw.return')}: ${b.seeker_name || b.reference}`);
      button.disabled = !!kontor.booking;
      button.addEventListener('click', () => admit(b.id));
      action.append(button);
    }
    tr.append(action);
    return tr;
  }));
}

// ---- meeting --------------------------------------------------------------

function admit(bookingId) {
  // Start the camera with the click so the admitted meeting is not held up
  // by it (and the click counts as the gesture that allows sound).
  mediaPromise ??= getLocalMedia();
  kontor.error = null;
  kontor.admitClickedAt = performance.now();
  channel.send({ type: 'admit', booking_id: bookingId });
}

async function enterMeeting(msg) {
  leaveMeeting({ keepResume: true });
  kontor.booking = msg.booking;
  sessionStorage.setItem(RESUME_KEY, String(msg.booking.id));
  document.getElementById('meeting-heading').textContent =
    t('cw.meeting.heading', { name: msg.booking.seeker_name || msg.booking.reference });
  setState('meeting');
  renderQueue();
  mediaPromise ??= getLocalMedia();
  const { stream, error } = await mediaPromise;
  localStream = stream;
  if (error) notice(t('error.media'));
  if (kontor.booking?.id !== msg.booking.id) return; // ended meanwhile
  if (localStream) play(document.getElementById('local-video'), localStream);
  const remote = document.getElementById('remote-video');
  const mediaState = document.getElementById('media-state');
  kontor.meeting = new Meeting({
    iceServers: msg.ice_servers,
    localStream,
    send: (m) => channel.send(m),
    onState: (s) => {
      mediaState.textContent = s === 'reconnecting' ? t('cw.reconnecting')
        : s === 'failed' ? errorText('bad_sdp') : '';
    },
    onRemoteStream: (s) => play(remote, s),
  });
}

// Leaves the meeting view (the meeting itself may go on).
function leaveMeeting({ keepResume = false } = {}) {
  kontor.meeting?.close();
  kontor.meeting = null;
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

// ---- messages -------------------------------------------------------------

function onMessage(msg) {
  if (kontor.meeting?.handle(msg)) return;
  switch (msg.type) {
    case 'queue': {
      kontor.queue = msg;
      renderQueue();
      // Back from a reload (or a dropped socket) in the middle of a meeting.
      const resume = Number(sessionStorage.getItem(RESUME_KEY));
      if (resume && !kontor.booking) {
        const b = msg.bookings.find((x) => x.id === resume);
        if (b?.status === 'in_meeting') channel.send({ type: 'admit', booking_id: resume });
        else sessionStorage.removeItem(RESUME_KEY);
      }
      break;
    }
    case 'admitted':
      enterMeeting(msg);
      break;
    case 'peer':
      if (msg.role === 'seeker') notice(t(msg.present ? 'cw.peer.back' : 'cw.peer.left'));
      break;
    case 'ended': {
      const name = msg.booking?.seeker_name || msg.booking?.reference || '';
      leaveMeeting();
      stopCamera();
      notice(t('cw.ended', { name }));
      renderQueue();
      break;
    }
    case 'error':
      kontor.error = { code: msg.code, status: msg.status };
      if (msg.code === 'bad_sdp') kontor.meeting?.offerRefused();
      if (msg.code === 'not_logged_in') { kontor.me = null; renderWho(); setState('login'); }
      if (msg.code === 'not_waiting' || msg.code === 'forbidden') stopCameraIfIdle();
      notice(errorText(msg.code));
      break;
    default:
      break;
  }
}

function stopCameraIfIdle() {
  if (!kontor.booking) stopCamera();
}

start();
