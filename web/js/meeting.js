// meeting.js — one RTCPeerConnection to the server's relay, shared by the
// job seeker's and the caseworker's pages.
//
// The browser always offers and the relay always answers (docs/protocol.md,
// "Negotiation"), so this side only needs to keep its own offers in order:
// one offer in flight at a time; a change that arrives meanwhile (a
// `renegotiate`, an ICE restart) is offered after the answer.
//
// Events for the page go through callbacks: onState(state) with 'connecting',
// 'connected', 'reconnecting', 'failed', 'closed'; onRemoteStream(stream).

const ANSWER_TIMEOUT_MS = 15000;
const DISCONNECTED_GRACE_MS = 2500;
const MAX_OFFER_FAILURES = 5;
// ICE can stay "connected" while nothing arrives (seen when the browser
// moves to another candidate pair and the relay keeps sending to the old
// one): nothing from the relay for this long counts as a drop.  "Anything"
// is media or the relay's RTCP reports about what we send (every ~4 s), so
// a caseworker whose job seeker's line is down does not restart as well.
const SILENCE_MS = 5000;
const WATCH_MS = 1000;
const RESTART_EVERY_MS = 8000;
// A restart the relay asks for (restart_ice) is skipped if one began this
// recently: it is already under way.
const RESTART_ASKED_MS = 2000;
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 16000;

export class Meeting {
  pc = null;
  remoteStream = new MediaStream();
  state = 'connecting';
  offers = 0;            // offers sent, for tests and logs
  iceRestarts = 0;

  #send;
  #offering = false;
  #again = false;
  #answerWaiter = null;  // { resolve, reject, timer }
  #failures = 0;         // offers refused or unanswered in a row
  #retryTimer = 0;
  #pendingCandidates = [];
  #disconnectTimer = 0;
  #onState;
  #onRemoteStream;
  #watchTimer = 0;
  #lastPackets = -1;
  #lastPacketAt = 0;
  #lastRestartAt = 0;

  // localStream may be null or lack a kind: the relay is still asked for
  // both kinds, so a person without a camera sees and hears the other.
  constructor({ iceServers, localStream, send, onState, onRemoteStream }) {
    this.#send = send;
    this.#onState = onState || (() => {});
    this.#onRemoteStream = onRemoteStream || (() => {});
    const pc = new RTCPeerConnection({ iceServers: iceServers || [], bundlePolicy: 'max-bundle' });
    this.pc = pc;

    for (const kind of ['audio', 'video']) {
      const track = localStream?.getTracks().find((tr) => tr.kind === kind);
      if (track)
        pc.addTransceiver(track, { direction: 'sendrecv', streams: [localStream] });
      else
        pc.addTransceiver(kind, { direction: 'recvonly' });
    }

    pc.addEventListener('negotiationneeded', () => this.#negotiate());
    pc.addEventListener('icecandidate', (ev) => {
      const c = ev.candidate;
      // An empty candidate string is Chromium's end-of-candidates marker.
      this.#send({
        type: 'ice',
        candidate: c && c.candidate ? c.candidate : null,
        sdpMLineIndex: c?.sdpMLineIndex ?? 0,
      });
    });
    pc.addEventListener('track', (ev) => this.#addRemoteTrack(ev.track));
    pc.addEventListener('connectionstatechange', () => this.#connectionChanged());
    this.#watchTimer = setInterval(() => this.#watch(), WATCH_MS);
  }

  #addRemoteTrack(track) {
    if (this.remoteStream.getTracks().includes(track)) return;
    // A fresh stream per change: a <video> already playing a stream does
    // not reliably pick up a track added to it later.
    this.remoteStream = new MediaStream([...this.remoteStream.getTracks(), track]);
    track.addEventListener('ended', () => {
      this.remoteStream = new MediaStream(this.remoteStream.getTracks().filter((tr) => tr !== track));
      this.#onRemoteStream(this.remoteStream);
    });
    this.#onRemoteStream(this.remoteStream);
  }

  // Counts what arrives from the relay; a silence while "connected" is a drop.
  async #watch() {
    if (this.pc.connectionState === 'closed') return;
    let packets = 0;
    const decoding = new Set();
    try {
      (await this.pc.getStats()).forEach((st) => {
        if (st.type === 'inbound-rtp') packets += st.packetsReceived || 0;
        if (st.type === 'remote-inbound-rtp') packets += st.roundTripTimeMeasurements || 0;
        if (st.type === 'inbound-rtp' && st.kind === 'video' && st.framesDecoded > 0) decoding.add(st.trackIdentifier);
      });
    } catch { return; }
    // Chromium decodes what arrives on a receiving m-line even when no
    // `track` event announced it (seen once in ~10 reloads: the picture
    // decoded, the page showed only the sound).  Whatever decodes is shown.
    for (const r of this.pc.getReceivers()) {
      if (r.track?.kind === 'video' && r.track.readyState === 'live' && decoding.has(r.track.id)) this.#addRemoteTrack(r.track);
    }
    const now = Date.now();
    if (packets !== this.#lastPackets) {
      this.#lastPackets = packets;
      this.#lastPacketAt = now;
      if (this.state === 'reconnecting' && this.pc.connectionState === 'connected') this.#setState('connected');
      return;
    }
    if (packets === 0 || this.state === 'connecting') return; // nothing has flowed yet
    if (now - this.#lastPacketAt >= SILENCE_MS) {
      this.#setState('reconnecting');
      if (now - this.#lastRestartAt >= RESTART_EVERY_MS) this.#restartIce();
    }
  }

  // A message from the server that belongs to the meeting; false if it is
  // not one of ours.
  handle(msg) {
    switch (msg.type) {
      case 'answer': this.#answer(msg.sdp); return true;
      case 'ice': this.#remoteCandidate(msg); return true;
      case 'renegotiate': this.#renegotiate(msg); return true;
      case 'restart_ice':
        // The relay's packets stopped reaching us on a connection that
        // stayed up (docs/protocol.md, "restart_ice").
        if (Date.now() - this.#lastRestartAt >= RESTART_ASKED_MS) {
          this.#setState('reconnecting');
          this.#restartIce();
        }
        return true;
      default: return false;
    }
  }

  // The relay refused our offer (error bad_sdp): give up on it.
  offerRefused() {
    this.#answerWaiter?.reject(new Error('bad_sdp'));
  }

  close() {
    clearTimeout(this.#disconnectTimer);
    clearTimeout(this.#retryTimer);
    clearInterval(this.#watchTimer);
    this.#answerWaiter?.reject(new Error('closed'));
    if (this.pc) {
      // Our own tracks belong to the page (kept across rejoins); only the
      // remote ones end with the connection.
      this.pc.close();
    }
    for (const track of this.remoteStream.getTracks()) track.stop();
    this.#setState('closed');
  }

  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.#onState(state);
  }

  async #negotiate() {
    if (this.#offering || this.#retryTimer) { this.#again = true; return; }
    this.#offering = true;
    try {
      do {
        this.#again = false;
        if (this.pc.signalingState === 'closed') return;
        await this.pc.setLocalDescription(await this.pc.createOffer());
        const answered = new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no answer')), ANSWER_TIMEOUT_MS);
          this.#answerWaiter = { resolve, reject, timer };
        });
        this.offers++;
        this.#send({ type: 'offer', sdp: this.pc.localDescription.sdp });
        try {
          await answered;
          this.#failures = 0;
        } catch (e) {
          if (this.pc.signalingState === 'have-local-offer')
            await this.pc.setLocalDescription({ type: 'rollback' });
          if (e.message === 'closed') return;
          // A refused offer would be refused again at once: retry later,
          // and give up after a few tries rather than flood the relay.
          this.#failures++;
          console.warn(`kontor: offer not answered (${this.#failures}):`, e.message);
          if (this.#failures >= MAX_OFFER_FAILURES) {
            this.#setState('failed');
            return;
          }
          const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (this.#failures - 1));
          this.#retryTimer = setTimeout(() => { this.#retryTimer = 0; this.#negotiate(); }, delay);
          return;
        }
      } while (this.#again);
    } catch (e) {
      console.warn('kontor: negotiation failed:', e);
    } finally {
      this.#offering = false;
      this.#answerWaiter = null;
    }
  }

  async #answer(sdp) {
    const waiter = this.#answerWaiter;
    if (!waiter || this.pc.signalingState !== 'have-local-offer') return;
    clearTimeout(waiter.timer);
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
      for (const c of this.#pendingCandidates.splice(0)) await this.#addCandidate(c);
      waiter.resolve();
    } catch (e) {
      waiter.reject(e);
    }
  }

  async #remoteCandidate(msg) {
    if (!this.pc.remoteDescription) { this.#pendingCandidates.push(msg); return; }
    await this.#addCandidate(msg);
  }

  async #addCandidate({ candidate, sdpMLineIndex }) {
    if (!candidate) return; // end of the relay's candidates: nothing to do
    try {
      await this.pc.addIceCandidate({ candidate, sdpMLineIndex });
    } catch (e) {
      console.warn('kontor: candidate refused:', candidate, e.message);
    }
  }

  #renegotiate({ audio, video }) {
    const want = { audio: audio | 0, video: video | 0 };
    let added = 0;
    for (const kind of ['audio', 'video']) {
      const have = this.pc.getTransceivers().filter((tr) =>
        !tr.stopped && tr.receiver.track.kind === kind
        && (tr.direction === 'sendrecv' || tr.direction === 'recvonly')).length;
      for (let i = have; i < want[kind]; i++, added++)
        this.pc.addTransceiver(kind, { direction: 'recvonly' });
    }
    // Added transceivers fire negotiationneeded by themselves; with nothing
    // to add the relay still expects a fresh offer.
    if (added === 0) this.#negotiate();
  }

  #connectionChanged() {
    const s = this.pc.connectionState;
    clearTimeout(this.#disconnectTimer);
    if (s === 'connected') {
      // Connected again, but only "connected" once packets flow (see #watch).
      if (this.state !== 'reconnecting' || Date.now() - this.#lastPacketAt < SILENCE_MS) this.#setState('connected');
    } else if (s === 'disconnected') {
      // Often heals by itself within a second or two; restart ICE if not.
      this.#setState('reconnecting');
      this.#disconnectTimer = setTimeout(() => {
        if (this.pc.connectionState === 'disconnected') this.#restartIce();
      }, DISCONNECTED_GRACE_MS);
    } else if (s === 'failed') {
      this.#setState('reconnecting');
      this.#restartIce();
    }
  }

  #restartIce() {
    this.iceRestarts++;
    this.#lastRestartAt = Date.now();
    // restartIce() marks the next offer as an ICE restart and fires
    // negotiationneeded, which sends it through the ordinary path.
    this.pc.restartIce();
  }
}

// Camera and microphone, falling back to the microphone alone.  Resolves to
// { stream, error } where stream may be null and error is a DOMException
// name ('NotAllowedError', 'NotFoundError', …) when something was refused.
export async function getLocalMedia(constraints = {}) {
  const video = constraints.video ?? { width: { ideal: 640 }, height: { ideal: 480 } };
  const audio = constraints.audio ?? true;
  try {
    return { stream: await navigator.mediaDevices.getUserMedia({ audio, video }), error: null };
  } catch (e) {
    if (!audio) return { stream: null, error: e.name };
    try {
      return { stream: await navigator.mediaDevices.getUserMedia({ audio }), error: e.name };
    } catch (e2) {
      return { stream: null, error: e2.name };
    }
  }
}

// Attach a stream to a <video>; returns false if the browser needs a click
// before it plays sound.
export async function play(videoElement, stream) {
  if (videoElement.srcObject !== stream) videoElement.srcObject = stream;
  try {
    await videoElement.play();
    return true;
  } catch (e) {
    return e.name !== 'NotAllowedError';
  }
}
