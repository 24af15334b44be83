// join.js — the job seeker's page: open the secret link, check camera and
// microphone, wait (or count down when early), meet, leave or be ended.
//
// The token comes from the URL fragment (#t=…) so that it never reaches a
// server log; it travels only in request bodies and the WebSocket `join`.
//
// The same page is the service-office kiosk (join.html?kiosk, where
// /kiosk.html sends terminals): entry by booking reference and kiosk code,
// no device check (the terminal's devices are fixed), no screen sharing,
// nothing remembered, and the page starts afresh after each visit.  What
// only one mode shows is marked data-for="kiosk" or "link" in join.html.
//
// An interpreter's link (#i=…, made by the caseworker in a meeting) skips
// the booking look-up and the device check and goes straight in.
import { t, errorText } from './i18n.js';
import { api } from './api.js';
import { Channel } from './channel.js';
import { getLocalMedia } from './meeting.js';
import { MeetingView } from './meetingview.js';
import { DeviceCheck } from './devices.js';
import { startPage, showState, notice, describeBooking } from './page.js';
import { clock, dateTime, span, day, countdown } from './time.js';

const REFUSALS = new Set(['no_booking', 'cancelled', 'too_early', 'too_late', 'completed', 'not_started']);
// Statuses after which entering is pointless, and what the page says then.
const FINAL_STATUS = { cancelled: 'cancelled', completed: 'completed', no_show: 'too_late', not_admitted: 'too_late' };
const EARLY_RETRY_MS = 3000;

// What tests (and curious developers) may look at; nothing reads it back.
// The meeting and its parts (meeting, pc, chat, …) come from the view.
const kontor = { state: 'loading', error: null, booking: null, check: null };
window.kontor = kontor;

const $ = (id) => document.getElementById(id);
const kiosk = new URLSearchParams(location.search).has('kiosk');
const fragment = new URLSearchParams(location.hash.slice(1));
const invite = kiosk ? null : fragment.get('i');
const token = kiosk || invite ? null : fragment.get('t');
let kioskEntry = null;         // { reference, kiosk_code } typed at the kiosk
const KIOSK_RESET_MS = 15000;
const KIOSK_IDLE_MS = 120000;

function joinMessage() {
  if (invite) return { type: 'join', invite };
  return kiosk ? { type: 'join', ...kioskEntry } : { type: 'join', token };
}
let booking = null;
let localStream = null;
let channel = null;
let serverOffsetMs = 0;      // server clock minus ours, when the server tells
let earlyTimer = 0;
let tickTimer = 0;
let peerGone = false;
let view = null;

function setState(state) {
  kontor.state = state;
  showState(state);
}

// Remembered for this tab only: a reload mid-meeting skips the check.
const session = {
  key: () => `kontor.join.${token}`,
  // A kiosk keeps nothing of the person who used it.
  get() { if (kiosk || invite) return {}; try { return JSON.parse(sessionStorage.getItem(this.key())) || {}; } catch { return {}; } },
  set(v) { if (kiosk || invite) return; try { sessionStorage.setItem(this.key(), JSON.stringify({ ...this.get(), ...v })); } catch { /* private mode */ } },
};

// ---- refusals ---------------------------------------------------------------

const HELP = {
  no_booking: 'join.help.no_booking',
  no_token: 'join.help.no_booking',
  cancelled: 'join.help.too_late',   // no booking page yet to point to
  too_late: 'join.help.too_late',
  completed: 'join.help.completed',
  replaced: 'join.help.replaced',
  not_started: 'join.help.not_started',
};

function refuse(code) {
  kontor.error = { code };
  stopMedia();
  $('refused-heading').textContent = t(code === 'completed' ? 'join.ended.heading' : 'join.refused.heading');
  // An interpreter's link is no booking: say what to do about the link.
  const inviteCode = invite && (code === 'no_booking' || code === 'not_started');
  $('refused-text').textContent = inviteCode ? t(`join.invite.${code}`) : errorText(code);
  $('refused-help').textContent = inviteCode ? t('join.invite.help') : HELP[code] ? t(HELP[code]) : '';
  setState('refused');
  kioskResetSoon();
}

// ---- too early: count down, then join by ourselves ----------------------------

function early(opensAt) {
  kontor.error = { code: 'too_early', opens_at: opensAt };
  const opens = Date.parse(opensAt);
  $('early-text').textContent = errorText('too_early', {
    time: booking ? clock(opensAt, booking.time_zone) : dateTime(opensAt),
  });
  const first = kontor.state !== 'early';
  setState('early');
  clearInterval(tickTimer);
  let lastMinute = null;
  const tick = () => {
    const left = Math.max(0, opens - (Date.now() + serverOffsetMs));
    $('countdown').textContent = countdown(left);
    // Screen readers hear the minutes, not every second.
    const minutes = Math.ceil(left / 60000);
    if (minutes !== lastMinute) {
      lastMinute = minutes;
      $('early-live').textContent = t('join.early.left', { minutes });
    }
  };
  tick();
  tickTimer = setInterval(tick, 1000);
  clearTimeout(earlyTimer);
  const wait = opens - (Date.now() + serverOffsetMs);
  // Our clock may be behind the server's: after the countdown, ask again
  // every few seconds until the server agrees.
  earlyTimer = setTimeout(() => channel.send(joinMessage()),
    first ? Math.max(wait, 0) + 500 : Math.max(wait, EARLY_RETRY_MS));
}

function stopEarly() {
  clearTimeout(earlyTimer);
  clearInterval(tickTimer);
}

// ---- device check -------------------------------------------------------------

async function deviceCheck() {
  setState('check');
  if (booking)
    $('check-booking').textContent = t('check.booking', {
      time: `${day(booking.starts_at, booking.time_zone)} ${span(booking.starts_at, booking.ends_at, booking.time_zone)}`,
    });
  const check = new DeviceCheck({
    preview: $('preview'), level: $('mic-level'),
    camera: $('camera'), microphone: $('microphone'), speaker: $('speaker'), speakerRow: $('speaker-row'),
  }, { onChange: () => showCheck(check) });
  kontor.check = check;
  $('test-sound').addEventListener('click', () => check.testSound());
  $('check-retry').addEventListener('click', () => check.start());
  $('enter').addEventListener('click', () => {
    check.stop({ stopTracks: false });
    localStream = check.stream;
    session.set({ checked: true, camera: check.cameraId, microphone: check.microphoneId, speaker: check.speakerId });
    kontor.check = null;
    connect();
  });
  await check.start();
}

function showCheck(check) {
  const problem = check.problem;
  $('check-problem').textContent = problem ? t(`check.problem.${problem}`) : '';
  $('check-retry').hidden = !problem;
  $('preview-off').hidden = !!check.stream?.getVideoTracks().length;
  $('enter').textContent = t(!check.stream ? 'check.enter_without'
    : !check.stream.getVideoTracks().length ? 'check.enter_audio' : 'check.enter');
}

// ---- the socket ---------------------------------------------------------------

function connect() {
  setState('connecting');
  channel = new Channel({
    onOpen: () => channel.send(joinMessage()),
    onMessage,
    onState: (s) => {
      if (s === 'reconnecting') {
        // The relay drops us with the socket; rejoining brings a new connection.
        endMeeting();
        reconnecting(true);
      } else if (s === 'open') {
        reconnecting(false);
      }
    },
  });
  channel.open();
}

function reconnecting(on) {
  document.body.classList.toggle('reconnecting', on);
  if (kontor.state === 'meeting') view.status(on ? 'join.reconnecting' : null);
  else notice(on ? t('join.reconnecting') : '');
}

function onMessage(msg) {
  if (view.handle(msg)) return;
  switch (msg.type) {
    case 'waiting':
      stopEarly();
      endMeeting();
      booking = msg.booking;
      kontor.booking = booking;
      describeBooking($('waiting-booking'), booking);
      setState('waiting');
      break;
    case 'admitted':
      stopEarly();
      enterMeeting(msg);
      break;
    case 'peer':
      // "Back" only after "gone": arriving together is no news.
      if (msg.role === 'caseworker' && !invite && (!msg.present || peerGone))
        notice(t(msg.present ? 'join.peer.back' : 'join.peer.left'));
      if (msg.role === 'caseworker') peerGone = !msg.present;
      if (msg.role === 'interpreter' && !invite) notice(t(msg.present ? 'meeting.interpreter_in' : 'meeting.interpreter_out'));
      break;
    case 'ended':
      endMeeting();
      stopMedia();
      channel.close();
      session.set({ checked: false });
      notice('');
      setState('ended');
      kioskResetSoon();
      break;
    case 'error':
      onError(msg);
      break;
    default:
      break;
  }
}

function onError(msg) {
  if (kiosk && (msg.code === 'no_booking' || msg.code === 'rate_limited')) {
    // A mistyped reference or code: back to the form, say what went wrong.
    channel.close();
    setState('kiosk');
    $('kiosk-error').textContent = t(msg.code === 'no_booking' ? 'kiosk.no_booking' : 'error.rate_limited');
    kioskResetSoon(KIOSK_IDLE_MS);
    return;
  }
  if (msg.code === 'too_early' && msg.opens_at) { early(msg.opens_at); return; }
  if (REFUSALS.has(msg.code)) { stopEarly(); channel.close(); refuse(msg.code); return; }
  if (msg.code === 'bad_sdp') { view.meeting?.offerRefused(); return; }
  if (msg.code === 'unsupported_codec') view.meeting?.offerRefused();
  if (msg.code === 'replaced') { endMeeting(); refuse('replaced'); return; }
  kontor.error = { code: msg.code };
  notice(errorText(msg.code));
}

// ---- the meeting --------------------------------------------------------------

async function enterMeeting(msg) {
  endMeeting();
  booking = msg.booking || booking;
  kontor.booking = booking;
  notice('');
  setState('meeting');
  if (!localStream || localStream.getTracks().every((tr) => tr.readyState === 'ended')) {
    view.status('join.starting_media');
    const saved = session.get();
    const { stream, error } = await getLocalMedia({
      video: saved.camera ? { deviceId: { exact: saved.camera } } : undefined,
      audio: saved.microphone ? { deviceId: { exact: saved.microphone } } : undefined,
    });
    localStream = stream;
    if (error) notice(t('error.media'));
    // The caseworker may have ended the meeting while the camera started.
    if (kontor.state !== 'meeting') return;
  }
  view.start({ iceServers: msg.ice_servers, localStream, speaker: session.get().speaker });
}

function endMeeting() {
  view.stop();
}

function stopMedia() {
  for (const track of localStream?.getTracks() ?? []) track.stop();
  localStream = null;
  kontor.check?.stop();
}

function leave() {
  channel.send({ type: 'leave' });
  endMeeting();
  stopMedia();
  // A socket joins once: going back in takes a new one.
  channel.close();
  setState('left');
  kioskResetSoon();
}

// ---- start --------------------------------------------------------------------

async function lookUp() {
  try {
    const config = await api('config');
    if (config?.now) serverOffsetMs = Date.parse(config.now) - Date.now();
  } catch { /* the countdown uses our clock */ }
  try {
    return (await api('booking', { token })).booking;
  } catch (e) {
    if (e.code === 'no_booking') throw e;
    return null; // the socket will say what is wrong
  }
}

// ---- the kiosk ----------------------------------------------------------------

// Starting afresh by reloading leaves nothing in memory; the language goes
// back to the terminal's own.
function kioskReset() {
  try { localStorage.clear(); sessionStorage.clear(); } catch { /* nothing kept anyway */ }
  location.reload();
}

let kioskTimer = 0;
function kioskResetSoon(ms = KIOSK_RESET_MS) {
  if (!kiosk) return;
  clearTimeout(kioskTimer);
  kioskTimer = setTimeout(kioskReset, ms);
  kontor.resetAt = Date.now() + ms;
}

function kioskStart() {
  setState('kiosk');
  const form = $('kiosk-form');
  // Someone who typed half a reference and walked away leaves nothing behind.
  const idle = () => kioskResetSoon(KIOSK_IDLE_MS);
  form.addEventListener('input', idle);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const reference = form.reference.value.trim().toUpperCase();
    const code = form.code.value.replace(/\s+/g, '');
    $('kiosk-error').textContent = '';
    if (!reference || !/^\d{6}$/.test(code)) {
      $('kiosk-error').textContent = t('kiosk.incomplete');
      return;
    }
    clearTimeout(kioskTimer);
    kioskEntry = { reference, kiosk_code: code };
    form.reset();
    connect();
  });
  $('kiosk-done').addEventListener('click', kioskReset);
}

// The parts of the page that belong to the other mode go; the title is
// the mode's own.
function chooseMode() {
  const mode = kiosk ? 'kiosk' : 'link';
  for (const el of document.querySelectorAll('[data-for]'))
    if (el.dataset.for !== mode) el.remove();
  if (kiosk) document.querySelector('title').dataset.i18n = 'kiosk.title';
}

async function main() {
  chooseMode();
  // The interpreter's main picture is the caseworker's too; the job seeker
  // gets a tile named after them.
  view = new MeetingView($('meeting'), {
    level: 1, hideTitle: true, title: () => t('join.meeting.heading'),
    remote: { role: 'caseworker', label: invite ? 'role.caseworker' : 'join.remote' },
    share: !kiosk,   // a shared terminal has no screen of the person's
    send: (m) => channel?.send(m) ?? false,
  });
  view.exposeTo(kontor);
  startPage();
  $('leave').addEventListener('click', leave);
  document.addEventListener('kontor:language', () => {
    if (kontor.check) showCheck(kontor.check);
    if (booking && kontor.state === 'waiting') describeBooking($('waiting-booking'), booking);
  });
  if (kiosk) { kioskStart(); return; }
  // Another link pasted into this tab is another booking: start afresh.
  window.addEventListener('hashchange', () => location.reload());
  $('rejoin').addEventListener('click', connect);
  if (invite) { connect(); return; }
  if (!token) { refuse('no_token'); return; }
  try {
    booking = await lookUp();
  } catch (e) {
    refuse(e.code);
    return;
  }
  kontor.booking = booking;
  if (booking && FINAL_STATUS[booking.status]) { refuse(FINAL_STATUS[booking.status]); return; }
  if (session.get().checked) connect();
  else deviceCheck();
}

main();
