// inmeeting.js — the parts the meeting view (meetingview.js) puts around
// the call: chat, the relay's quality report, a picture for every remote
// video (a second participant such as an interpreter, or a shared screen)
// and sharing one's own screen.
import { t } from './i18n.js';
import { clock } from './time.js';
import { play } from './meeting.js';

const QUIET_CHECK_MS = 1500;

// ---- chat -----------------------------------------------------------------

export class Chat {
  lines = [];       // { from, text, at, mine } for tests and re-rendering

  constructor({ log, form, input, problem, send }) {
    this.log = log;
    this.input = input;
    this.problem = problem;
    this.send = send;
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      if (!this.send({ type: 'chat', text: text.slice(0, 2000) })) {
        problem.textContent = t('chat.not_sent');
        return;
      }
      problem.textContent = '';
      input.value = '';
      this.#add({ from: 'self', text, at: new Date().toISOString(), mine: true });
    });
  }

  receive(msg) {
    this.#add({ from: msg.from, text: msg.text, at: msg.at, mine: false });
  }

  clear() {
    this.lines = [];
    this.log.replaceChildren();
  }

  render() {
    this.log.replaceChildren(...this.lines.map((l) => this.#item(l)));
  }

  #add(line) {
    this.lines.push(line);
    this.log.append(this.#item(line));
    const box = this.log.parentElement;
    box.scrollTop = box.scrollHeight;
  }

  #item(line) {
    const li = document.createElement('li');
    li.className = line.mine ? 'mine' : 'theirs';
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = `${line.mine ? t('common.you') : t(`role.${line.from}`)} ${clock(line.at)}`;
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = line.text;
    li.append(who, text);
    return li;
  }
}

// ---- quality --------------------------------------------------------------

export function showQuality(el, msg) {
  const level = ['good', 'fair', 'poor'].includes(msg?.level) ? msg.level : null;
  el.dataset.level = level || '';
  el.textContent = level ? t(`quality.${level}`) : '';
  // rtt_ms is -1 while the relay has no measurement yet.
  el.title = '';
  if (level && msg.rtt_ms != null && msg.rtt_ms >= 0)
    el.title = t('quality.detail', { rtt: Math.round(msg.rtt_ms), loss: Math.round((msg.loss || 0) * 100) });
}

// ---- remote pictures ------------------------------------------------------

// The first remote video (and audio) plays in the page's main <video>;
// each further video track gets a tile of its own in `more`, and each
// further audio track a hidden <audio>.  The relay says whose stream each
// receive slot carries (a `track` message: mid → role, screen), so the
// main picture is the `prefer` role's camera when it is there and tiles
// are named after the person ("Interpreter", "Screen: Caseworker"); until
// it has said so, tiles are numbered.  A stopped share is not announced
// by the relay (its transceiver goes quiet), so tiles that stop decoding
// are hidden until frames come again.
// What a page calls whoever is in its big picture: its own phrase for the
// person it expects there (`mine`, e.g. "Your caseworker"), else the role;
// a shared screen as such.
export function mainLabel(who, expected, mine) {
  const role = t(`role.${who.role}`);
  if (who.screen) return t('meeting.screen_of', { who: role });
  return who.role === expected && mine ? t(mine) : role;
}

export class RemoteTiles {
  // mainLabel(who) names the big picture once the relay has said whose it
  // is (null: keep the page's own caption); caption is its <figcaption>,
  // if the page shows one.
  constructor({ main, caption, mainLabel, more, audio, prefer, getPc, onBlocked }) {
    this.main = main;
    this.caption = caption || null;
    this.mainLabel = mainLabel || (() => null);
    this.more = more;
    this.audio = audio;
    this.prefer = prefer;
    this.getPc = getPc;
    this.onBlocked = onBlocked || (() => {});
    this.frames = new Map();   // track id → last framesDecoded
    this.slots = new Map();    // mid → { role, screen } from `track`
    this.stream = null;        // the stream shown
    this.latest = null;        // the stream last asked for (maybe not yet shown)
    this.showing = Promise.resolve();
    this.timer = setInterval(() => this.#hideQuiet(), QUIET_CHECK_MS);
  }

  // A `track` message from the relay.
  async setTrack({ mid, role, screen }) {
    if (typeof mid !== 'string' || typeof role !== 'string') return;
    this.slots.set(mid, { role, screen: !!screen });
    // The newest stream, not the one shown: a show() still queued behind
    // this one would otherwise be undone by it, and a track that came in
    // meanwhile would vanish from the page (main picture or tile).
    if (this.latest) await this.show(this.latest);
    else this.relabel();
  }

  #who(track) {
    const tr = this.getPc()?.getTransceivers().find((x) => x.receiver.track === track);
    return tr?.mid != null ? this.slots.get(tr.mid) : undefined;
  }

  #label(track, n) {
    const who = this.#who(track);
    if (!who) return t('meeting.other', { n: n + 1 });
    const role = t(`role.${who.role}`);
    return who.screen ? t('meeting.screen_of', { who: role }) : role;
  }

  // One at a time: track messages and new tracks may come together.
  show(stream) {
    this.latest = stream;
    this.showing = this.showing.then(() => this.#show(), () => this.#show());
    return this.showing;
  }

  async #show() {
    const stream = this.latest;
    if (!stream) return;
    this.stream = stream;
    let videos = stream.getVideoTracks();
    const main = videos.find((tr) => {
      const who = this.#who(tr);
      return who && who.role === this.prefer && !who.screen;
    });
    if (main) videos = [main, ...videos.filter((tr) => tr !== main)];
    const audios = stream.getAudioTracks();
    const first = new MediaStream([...videos.slice(0, 1), ...audios.slice(0, 1)]);
    const keep = (el, tracks) => {
      const now = el.srcObject?.getTracks() || [];
      return now.length === tracks.length && tracks.every((tr) => now.includes(tr));
    };
    if (!keep(this.main, first.getTracks())) {
      const ok = await play(this.main, first);
      if (!ok) this.onBlocked();
    }
    this.#sync(this.more, videos.slice(1), 'video');
    this.#sync(this.audio, audios.slice(1), 'audio');
    this.relabel();
  }

  clear() {
    this.more.replaceChildren();
    this.audio.replaceChildren();
    this.frames.clear();
    this.slots.clear();
    this.stream = null;
    this.latest = null;
  }

  stop() {
    clearInterval(this.timer);
    this.clear();
  }

  relabel() {
    const mainTrack = this.main.srcObject?.getVideoTracks?.()[0];
    const who = mainTrack && this.#who(mainTrack);
    const text = who ? this.mainLabel(who) : null;
    if (text) {
      // Ours from now on, not the page's translated default.
      if (this.caption) {
        delete this.caption.dataset.i18n;
        this.caption.textContent = text;
      }
      delete this.main.dataset.i18nAttr;
      this.main.setAttribute('aria-label', text);
    }
    const tracks = this.stream?.getVideoTracks() || [];
    this.more.querySelectorAll('figure').forEach((f, i) => {
      const track = tracks.find((tr) => tr.id === f.dataset.track);
      const text = this.#label(track, i + 1);
      f.querySelector('figcaption').textContent = text;
      f.querySelector('video').setAttribute('aria-label', text);
    });
  }

  #sync(container, tracks, kind) {
    const ids = new Set(tracks.map((tr) => tr.id));
    for (const el of [...container.children])
      if (!ids.has(el.dataset.track)) el.remove();
    tracks.forEach((track, i) => {
      if (container.querySelector(`[data-track="${CSS.escape(track.id)}"]`)) return;
      const media = document.createElement(kind);
      media.autoplay = true;
      if (kind === 'video') {
        media.playsInline = true;
        media.muted = true;     // its sound, if any, plays through an <audio>
        const figure = document.createElement('figure');
        figure.className = 'tile';
        figure.dataset.track = track.id;
        figure.hidden = true;   // until it decodes
        const caption = document.createElement('figcaption');
        const text = this.#label(track, i + 1);
        caption.textContent = text;
        media.setAttribute('aria-label', text);
        figure.append(media, caption);
        container.append(figure);
      } else {
        media.dataset.track = track.id;
        container.append(media);
      }
      play(media, new MediaStream([track]));
    });
  }

  async #hideQuiet() {
    const pc = this.getPc();
    if (!pc || pc.connectionState === 'closed') return;
    for (const figure of this.more.querySelectorAll('figure')) {
      const receiver = pc.getReceivers().find((r) => r.track?.id === figure.dataset.track);
      if (!receiver) continue;
      let frames = 0;
      try {
        (await receiver.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp') frames += s.framesDecoded || 0;
        });
      } catch { continue; }
      const before = this.frames.get(figure.dataset.track) ?? 0;
      this.frames.set(figure.dataset.track, frames);
      figure.hidden = frames === before;
    }
  }
}

// ---- screen share ---------------------------------------------------------

// Shares the screen as an extra video track of this connection (the relay
// forwards it; docs/protocol.md "Negotiation").  Stopping turns the track's
// transceiver inactive and keeps it for the next share.
export class ScreenShare {
  transceiver = null;
  track = null;

  constructor({ button, getMeeting, onChange }) {
    this.button = button;
    this.getMeeting = getMeeting;
    this.onChange = onChange || (() => {});
    // A shared terminal (kiosk) has no screen of the person's to share.
    this.disabled = button.hidden || !navigator.mediaDevices?.getDisplayMedia;
    button.hidden = this.disabled;
    button.addEventListener('click', () => (this.track ? this.stop() : this.start()));
    this.render();
  }

  get on() { return !!this.track; }

  async start() {
    const meeting = this.getMeeting();
    if (!meeting) return;
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (e) {
      this.onChange(e.name === 'NotAllowedError' ? null : 'failed');
      return;
    }
    const track = stream.getVideoTracks()[0];
    if (!track || this.getMeeting() !== meeting) { stream.getTracks().forEach((tr) => tr.stop()); return; }
    track.contentHint = 'detail';
    // The browser's own "Stop sharing" bar ends the track.
    track.addEventListener('ended', () => { if (this.track === track) this.stop(); });
    const pc = meeting.pc;
    if (this.transceiver && pc.getTransceivers().includes(this.transceiver) && !this.transceiver.stopped) {
      await this.transceiver.sender.replaceTrack(track);
      this.transceiver.direction = 'sendonly';
    } else {
      this.transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    }
    this.track = track;
    this.render();
    this.onChange('on');
  }

  async stop() {
    const track = this.track;
    this.track = null;
    track?.stop();
    const tr = this.transceiver;
    if (tr && !tr.stopped && this.getMeeting()?.pc.getTransceivers().includes(tr)) {
      tr.direction = 'inactive';
      await tr.sender.replaceTrack(null).catch(() => {});
    }
    this.render();
    this.onChange('off');
  }

  // The meeting's connection is gone (left, ended, reconnected): a new
  // one starts without a share.
  reset() {
    this.track?.stop();
    this.track = null;
    this.transceiver = null;
    this.render();
  }

  render() {
    this.button.setAttribute('aria-pressed', String(this.on));
    this.button.textContent = t(this.on ? 'meeting.share_stop' : 'meeting.share');
  }
}
