// join.js — the job seeker's meeting page: join by the secret link, wait,
// meet.  The token comes from the URL fragment (#t=…) so it never reaches
// a server log; it is sent only inside the WebSocket `join`.
import { t, errorText } from './i18n.js';
import { Channel } from './channel.js';
import { Meeting, getLocalMedia, play } from './meeting.js';
import { startPage, showState, notice, describeBooking } from './page.js';
import { dateTime } from './time.js';

const REFUSALS = new Set(['no_booking', 'cancelled', 'too_early', 'too_late', 'completed']);

// What tests (and curious developers) may look at; nothing reads it back.
const kontor = { state: 'connecting', error: null, booking: null, meeting: null,
  get pc() { return this.meeting?.pc ?? null; } };
window.kontor = kontor;

const token = new URLSearchParams(location.hash.slice(1)).get('t');
let localStream = null;
let lastBooking = null;
let channel = null;

function setState(state) {
  kontor.state = state;
  showState(state);
}

function refuse(code, extra = {}) {
  kontor.error = { code, ...extra };
  const params = {};
  if (code === 'too_early' && extra.opens_at)
    params.time = dateTime(extra.opens_at, lastBooking?.time_zone);
  document.getElementById('refused-heading').textContent =
    t(code === 'too_early' ? 'join.early.heading' : 'join.refused.heading');
  document.getElementById('refused-text').textContent = errorText(code, params);
  setState('refused');
}

function endMeeting() {
  kontor.meeting?.close();
  kontor.meeting = null;
}

async function enterMeeting(msg) {
  endMeeting();
  lastBooking = msg.booking || lastBooking;
  kontor.booking = lastBooking;
  setState('meeting');
  const mediaState = document.getElementById('media-state');
  if (!localStream) {
    mediaState.textContent = t('join.starting_media');
    const { stream, error } = await getLocalMedia();
    localStream = stream;
    if (error) notice(t('error.media'));
    // The caseworker may have ended the meeting while we waited for the camera.
    if (kontor.state !== 'meeting') return;
  }
  mediaState.textContent = '';
  const local = document.getElementById('local-video');
  if (localStream) play(local, localStream);
  const remote = document.getElementById('remote-video');
  kontor.meeting = new Meeting({
    iceServers: msg.ice_servers,
    localStream,
    send: (m) => channel.send(m),
    onState: (s) => {
      mediaState.textContent = s === 'reconnecting' ? t('join.reconnecting')
        : s === 'failed' ? errorText('bad_sdp') : '';
    },
    onRemoteStream: async (stream) => {
      const playing = await play(remote, stream);
      document.getElementById('play').hidden = playing;
    },
  });
}

function onMessage(msg) {
  if (kontor.meeting?.handle(msg)) return;
  switch (msg.type) {
    case 'waiting':
      endMeeting();
      lastBooking = msg.booking;
      kontor.booking = msg.booking;
      describeBooking(document.getElementById('waiting-booking'), msg.booking);
      setState('waiting');
      break;
    case 'admitted':
      enterMeeting(msg);
      break;
    case 'peer':
      if (msg.role === 'caseworker')
        notice(t(msg.present ? 'join.peer.back' : 'join.peer.left'));
      break;
    case 'ended':
      endMeeting();
      for (const track of localStream?.getTracks() ?? []) track.stop();
      localStream = null;
      channel.close();
      setState('ended');
      break;
    case 'error':
      onError(msg);
      break;
    default:
      break;
  }
}

function onError(msg) {
  if (REFUSALS.has(msg.code)) {
    refuse(msg.code, msg.opens_at ? { opens_at: msg.opens_at } : {});
    return;
  }
  if (msg.code === 'bad_sdp') {
    kontor.meeting?.offerRefused();
    notice(errorText('bad_sdp'));
    return;
  }
  if (msg.code === 'replaced') {
    endMeeting();
    refuse('replaced');
    return;
  }
  kontor.error = { code: msg.code };
  notice(errorText(msg.code));
}

function main() {
  startPage();
  document.getElementById('play').addEventListener('click', async (ev) => {
    ev.currentTarget.hidden = await play(document.getElementById('remote-video'),
      kontor.meeting?.remoteStream);
  });
  if (!token) { refuse('no_token'); return; }
  channel = new Channel({
    onOpen: () => channel.send({ type: 'join', token }),
    onMessage,
    onState: (s) => {
      if (s === 'reconnecting') {
        // The relay drops us with the socket; the rejoin brings a new connection.
        endMeeting();
        notice(t('join.reconnecting'));
      } else if (s === 'open') {
        notice('');
      }
    },
  });
  channel.open();
}

main();
