// meetingview.js — the meeting as every role sees it (job seeker, kiosk,
// interpreter, caseworker): the other person large and oneself small, the
// controls, further pictures and the chat.  The markup is built here, into
// the page's <section id="meeting">, and wired here: the connection to the
// relay (meeting.js), mute and camera off, sound the browser held back,
// sharing the screen, tiles and chat (inmeeting.js), and the texts of all
// of them again when the language changes.
//
// What only one page has stays in that page's markup, inside the section:
// its <button>s join the controls before the quality line (the job
// seeker's "Leave", the caseworker's "Invite interpreter" and "End
// meeting"), anything else comes below the controls (the caseworker's
// invitation link).  The page gets the local stream, says when a meeting
// starts (start) and stops (stop), and gives the view the messages first
// (handle).
import { t, translate } from './i18n.js';
import { Meeting, play } from './meeting.js';
import { Chat, RemoteTiles, ScreenShare, mainLabel, showQuality } from './inmeeting.js';
import { notice } from './page.js';

// Only constants go into the markup: keys, tags, ids.  Elements whose text
// changes with the state (mute, camera, share, quality, media state) get
// it from render(); the rest from data-i18n.
function markup({ level, remote }) {
  const sub = `h${level + 1}`;
  return `
    <h${level} id="meeting-heading"></h${level}>
    <div class="stage">
      <figure class="remote">
        <video id="remote-video" autoplay playsinline data-i18n-attr="aria-label:${remote.label}"></video>
        <figcaption id="remote-caption" data-i18n="${remote.label}"></figcaption>
      </figure>
      <figure class="self">
        <video id="local-video" autoplay playsinline muted data-i18n-attr="aria-label:common.you"></video>
        <figcaption data-i18n="common.you"></figcaption>
      </figure>
      <p id="media-state" class="media-state" role="status" aria-live="polite"></p>
    </div>
    <div class="controls" role="group" data-i18n-attr="aria-label:meeting.controls">
      <button id="mute" type="button" class="secondary" aria-pressed="false"></button>
      <button id="camera-off" type="button" class="secondary" aria-pressed="false"></button>
      <button id="play" type="button" hidden data-i18n="join.play"></button>
      <button id="share" type="button" class="secondary" aria-pressed="false"></button>
      <p id="quality" class="quality"></p>
    </div>
    <div id="more-videos" class="tiles"></div>
    <div id="remote-audio" hidden></div>
    <section class="chat" aria-labelledby="chat-heading">
      <${sub} id="chat-heading" data-i18n="chat.heading"></${sub}>
      <div class="chat-log" role="log" aria-labelledby="chat-heading"><ol id="chat-log"></ol></div>
      <form id="chat-form" class="chat-form">
        <label for="chat-input" data-i18n="chat.label"></label>
        <input id="chat-input" maxlength="2000" autocomplete="off">
        <button type="submit" data-i18n="chat.send"></button>
      </form>
      <p id="chat-problem" class="problem" role="alert"></p>
    </section>`;
}

export class MeetingView {
  meeting = null;       // the Meeting (one RTCPeerConnection) while in one
  quality = null;       // the relay's last quality report
  localStream = null;
  // Mute and camera off keep the tracks (and the negotiated connection)
  // and only stop sending: turning them back on is instant.  They hold
  // from one meeting to the next.
  toggles = { mute: false, cameraOff: false };

  #els;                 // the view's elements by name
  #send;
  #title;
  #status = null;       // the key shown over the picture, or null

  // section: the page's <section id="meeting">.
  // level: its heading's level (the chat's is one below); title() gives
  //   the heading's text; hideTitle: a heading for screen readers only.
  // remote: { role, label }: whom the big picture is for, and the key that
  //   names them there ("Your caseworker").
  // share: false where there is no screen of the person's to share (kiosk).
  // send(msg): to the server; false when the socket is down.
  constructor(section, { level = 1, title = () => '', hideTitle = false, remote, share = true, send }) {
    this.#send = send;
    this.#title = title;
    const template = document.createElement('template');
    template.innerHTML = markup({ level, remote });
    const view = template.content;
    const el = (id) => view.getElementById(id);
    for (const own of [...section.children]) {
      if (own.tagName === 'BUTTON') el('quality').before(own);
      else el('more-videos').before(own);
    }
    el('meeting-heading').classList.toggle('visually-hidden', hideTitle);
    el('share').hidden = !share;
    translate(view);
    const els = {
      heading: el('meeting-heading'), status: el('media-state'), quality: el('quality'),
      mute: el('mute'), camera: el('camera-off'), play: el('play'),
      remote: el('remote-video'), local: el('local-video'),
    };
    this.#els = els;

    this.chat = new Chat({ log: el('chat-log'), form: el('chat-form'), input: el('chat-input'),
      problem: el('chat-problem'), send: (m) => (this.meeting ? this.#send(m) : false) });
    this.tiles = new RemoteTiles({
      main: els.remote, caption: el('remote-caption'), more: el('more-videos'), audio: el('remote-audio'),
      prefer: remote.role,
      mainLabel: (who) => mainLabel(who, remote.role, remote.label),
      getPc: () => this.meeting?.pc,
      onBlocked: () => { els.play.hidden = false; },
    });
    this.share = new ScreenShare({ button: el('share'), getMeeting: () => this.meeting,
      onChange: (what) => { if (what === 'failed') notice(t('meeting.share_failed')); } });

    els.mute.addEventListener('click', () => { this.toggles.mute = !this.toggles.mute; this.render(); });
    els.camera.addEventListener('click', () => { this.toggles.cameraOff = !this.toggles.cameraOff; this.render(); });
    els.play.addEventListener('click', async () => {
      els.play.hidden = await play(els.remote, els.remote.srcObject);
    });
    document.addEventListener('kontor:language', () => {
      this.render();
      this.chat.render();
      this.tiles.relabel();
      this.share.render();
    });
    section.replaceChildren(view);
    this.render();
  }

  // What tests (and curious developers) read on window.kontor.
  exposeTo(state) {
    const read = (get) => ({ get, enumerable: true });
    Object.defineProperties(state, {
      meeting: read(() => this.meeting),
      pc: read(() => this.meeting?.pc ?? null),
      chat: read(() => this.chat),
      tiles: read(() => this.tiles),
      share: read(() => this.share),
      quality: read(() => this.quality),
    });
  }

  // Starts a meeting with what `admitted` brought; localStream may be null
  // or lack a kind (the relay still sends both).  speaker: an output
  // device id from the device check.
  start({ iceServers, localStream, speaker }) {
    this.stop();
    this.localStream = localStream;
    this.status(null);
    this.render();
    if (localStream?.getVideoTracks().length) play(this.#els.local, localStream);
    const remote = this.#els.remote;
    if (speaker && remote.setSinkId) remote.setSinkId(speaker).catch(() => {});
    this.meeting = new Meeting({
      iceServers,
      localStream,
      send: (m) => this.#send(m),
      onState: (s) => {
        document.body.classList.toggle('reconnecting', s === 'reconnecting');
        this.status(s === 'reconnecting' ? 'join.reconnecting' : s === 'failed' ? 'error.bad_sdp' : null);
      },
      onRemoteStream: (stream) => this.tiles.show(stream),
    });
  }

  // The connection is gone (left, ended, dropped); the chat stays.
  stop() {
    this.share.reset();
    this.tiles.clear();
    this.quality = null;
    showQuality(this.#els.quality, null);
    this.meeting?.close();
    this.meeting = null;
    this.localStream = null;
  }

  // A message from the server; true when it was the meeting's: the
  // negotiation (answer, ice, renegotiate), chat lines, whose stream a
  // slot carries (track) and the relay's quality report.
  handle(msg) {
    if (this.meeting?.handle(msg)) return true;
    switch (msg.type) {
      case 'chat': this.chat.receive(msg); return true;
      case 'track': this.tiles.setTrack(msg); return true;
      case 'quality':
        this.quality = msg;
        showQuality(this.#els.quality, msg);
        return true;
      default: return false;
    }
  }

  // The line over the picture ("Reconnecting…"): a text key, or null.
  status(key) {
    this.#status = key;
    this.#els.status.textContent = key ? t(key) : '';
  }

  // The texts that depend on the state; also after a language change.
  render() {
    const stream = this.localStream;
    const { mute, cameraOff } = this.toggles;
    for (const tr of stream?.getAudioTracks() ?? []) tr.enabled = !mute;
    for (const tr of stream?.getVideoTracks() ?? []) tr.enabled = !cameraOff;
    const muteButton = this.#els.mute;
    muteButton.hidden = !stream?.getAudioTracks().length;
    muteButton.setAttribute('aria-pressed', String(mute));
    muteButton.textContent = t(mute ? 'meeting.unmute' : 'meeting.mute');
    const camera = this.#els.camera;
    camera.hidden = !stream?.getVideoTracks().length;
    camera.setAttribute('aria-pressed', String(cameraOff));
    camera.textContent = t(cameraOff ? 'meeting.camera_on' : 'meeting.camera_off');
    this.#els.heading.textContent = this.#title();
    this.#els.status.textContent = this.#status ? t(this.#status) : '';
    if (this.meeting) showQuality(this.#els.quality, this.quality);
  }
}
