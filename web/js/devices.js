// devices.js — the device check before entry: camera preview, microphone
// level, choice of camera / microphone / speaker, a test sound, and a plain
// account of what is missing (permission refused, no camera: sound only is
// fine).
//
// The stream it ends with is the one the meeting sends, so nobody is asked
// for permission twice.

export class DeviceCheck {
  stream = null;
  problem = null;       // null, 'denied', 'no_camera', 'no_microphone', 'no_devices', 'in_use'
  #els;
  #audioContext = null;
  #meterFrame = 0;
  #onChange;

  // els: { preview, level, camera, microphone, speaker, speakerRow }
  constructor(els, { onChange } = {}) {
    this.#els = els;
    this.#onChange = onChange || (() => {});
    for (const kind of ['camera', 'microphone'])
      els[kind].addEventListener('change', () => this.start());
    els.speaker?.addEventListener('change', () => this.#onChange());
    navigator.mediaDevices?.addEventListener?.('devicechange', () => this.#listDevices());
  }

  get cameraId() { return this.#els.camera.value || undefined; }
  get microphoneId() { return this.#els.microphone.value || undefined; }
  get speakerId() { return this.#els.speaker?.value || undefined; }

  // (Re)opens the chosen devices.  Never throws: what went wrong is in
  // this.problem, and whatever could be opened is in this.stream.
  async start() {
    this.stop();
    if (!navigator.mediaDevices?.getUserMedia) {
      this.problem = 'no_devices';
      this.#onChange();
      return;
    }
    const video = { width: { ideal: 640 }, height: { ideal: 480 },
      ...(this.cameraId ? { deviceId: { exact: this.cameraId } } : {}) };
    const audio = this.microphoneId ? { deviceId: { exact: this.microphoneId } } : true;
    let stream = null;
    let problem = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    } catch (e) {
      problem = classify(e);
      if (problem !== 'denied') {
        // Perhaps there is only no camera: try the microphone alone, then
        // the camera alone.
        try {
          stream = await navigator.mediaDevices.getUserMedia({ audio });
          problem = 'no_camera';
        } catch {
          try {
            stream = await navigator.mediaDevices.getUserMedia({ video });
            problem = 'no_microphone';
          } catch (e3) {
            problem = classify(e3) === 'denied' ? 'denied' : 'no_devices';
          }
        }
      }
    }
    this.stream = stream;
    this.problem = problem;
    this.#els.preview.srcObject = stream && stream.getVideoTracks().length ? stream : null;
    this.#els.preview.hidden = !this.#els.preview.srcObject;
    if (this.#els.preview.srcObject) this.#els.preview.play().catch(() => {});
    this.#startMeter();
    await this.#listDevices();
    this.#onChange();
  }

  // Stops the preview and meter; the stream's tracks stay alive unless
  // stopTracks (the meeting goes on with them).
  stop({ stopTracks = true } = {}) {
    cancelAnimationFrame(this.#meterFrame);
    this.#audioContext?.close().catch(() => {});
    this.#audioContext = null;
    if (stopTracks) for (const track of this.stream?.getTracks() ?? []) track.stop();
    if (stopTracks) this.stream = null;
    this.#els.level.value = 0;
  }

  // A short, quiet two-note tone through the chosen speaker.
  async testSound() {
    const ctx = new AudioContext();
    if (this.speakerId && ctx.setSinkId) await ctx.setSinkId(this.speakerId).catch(() => {});
    const gain = ctx.createGain();
    gain.gain.value = 0.15;
    gain.connect(ctx.destination);
    for (const [freq, at] of [[660, 0], [880, 0.25]]) {
      const osc = ctx.createOscillator();
      osc.frequency.value = freq;
      osc.connect(gain);
      osc.start(ctx.currentTime + at);
      osc.stop(ctx.currentTime + at + 0.22);
    }
    setTimeout(() => ctx.close(), 800);
  }

  #startMeter() {
    const track = this.stream?.getAudioTracks()[0];
    if (!track) return;
    const ctx = new AudioContext();
    this.#audioContext = ctx;
    const source = ctx.createMediaStreamSource(new MediaStream([track]));
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const data = new Float32Array(analyser.fftSize);
    const tick = () => {
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (const v of data) sum += v * v;
      // RMS mapped so that ordinary speech fills most of the meter.
      this.#els.level.value = Math.min(1, Math.sqrt(sum / data.length) * 4);
      this.#meterFrame = requestAnimationFrame(tick);
    };
    tick();
  }

  async #listDevices() {
    let devices = [];
    try { devices = await navigator.mediaDevices.enumerateDevices(); } catch { return; }
    const fill = (select, kind, current) => {
      if (!select) return;
      const list = devices.filter((d) => d.kind === kind && d.deviceId);
      select.replaceChildren(...list.map((d, i) => {
        const opt = document.createElement('option');
        opt.value = d.deviceId;
        opt.textContent = d.label || `${kind} ${i + 1}`;
        return opt;
      }));
      if (current && list.some((d) => d.deviceId === current)) select.value = current;
      select.disabled = list.length < 2;
    };
    const used = (kind) => this.stream?.getTracks().find((tr) => tr.kind === kind)?.getSettings().deviceId;
    fill(this.#els.camera, 'videoinput', used('video'));
    fill(this.#els.microphone, 'audioinput', used('audio'));
    const canChooseSpeaker = 'setSinkId' in HTMLMediaElement.prototype;
    if (this.#els.speakerRow) this.#els.speakerRow.hidden = !canChooseSpeaker;
    if (canChooseSpeaker) fill(this.#els.speaker, 'audiooutput', this.speakerId);
  }
}

function classify(e) {
  switch (e?.name) {
    case 'NotAllowedError': case 'SecurityError': return 'denied';
    case 'NotReadableError': case 'AbortError': return 'in_use';
    default: return 'no_devices';
  }
}
