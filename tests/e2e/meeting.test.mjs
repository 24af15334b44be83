// meeting.test.mjs — the walking skeleton's journey (issue 3): a job seeker
// joins by link and waits, the caseworker logs in, sees them and admits
// them, both see and hear each other through the relay, a stranger's link
// is refused, and a reload mid-meeting needs no second admit.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  env, launch, openPage, screenshot, randomToken, mediaStats, until, pageState, inOrder,
} from './lib/harness.mjs';
import { checkA11y } from './lib/axe.mjs';
import { assertMediaFlows as mediaFlows } from './lib/journey.mjs';

const SAMPLE_SECONDS = 5;

let browser;
let seeker;
let caseworker;
let bookingId;
const { step, check } = inOrder();

// Media flows when, second by second, decoded video frames and received
// audio packets both keep going up (lib/journey.mjs), here for 5 s.
const assertMediaFlows = (page, who) => mediaFlows(page, who, SAMPLE_SECONDS);

async function assertThroughRelay(page, who) {
  const s = await until(`${who}'s selected candidate pair`, async () => {
    const st = await mediaStats(page);
    return st?.pair?.remote ? st : null;
  });
  const { remote, local } = s.pair;
  console.log(`${who}: selected pair ${local?.address}:${local?.port} -> ${remote.address}:${remote.port} (${remote.protocol}, ${remote.type})`);
  assert.ok(remote.port >= env.iceMin && remote.port <= env.iceMax,
    `${who}: remote candidate port ${remote.port} is outside the relay's range ${env.iceMin}-${env.iceMax}`);
}

// What a person sees: the remote <video> has a picture and its time moves.
async function assertRemoteVideoPlays(page, who) {
  const read = () => page.evaluate(() => {
    const v = document.getElementById('remote-video');
    return { width: v.videoWidth, height: v.videoHeight, time: v.currentTime, paused: v.paused,
      readyState: v.readyState, tracks: v.srcObject?.getTracks().map((tr) => `${tr.kind}:${tr.readyState}:${tr.muted ? 'muted' : 'live'}`) };
  });
  let last = null;
  const a = await until(`${who}'s remote video to show a picture`, async () => {
    last = await read();
    return last.width > 0 && !last.paused ? last : null;
  }).catch(async (e) => {
    throw new Error(`${e.message}; video element: ${JSON.stringify(last)}; ${await tilesState(page)}`);
  });
  await new Promise((r) => setTimeout(r, 500));
  const b = await read();
  assert.ok(b.time > a.time, `${who}: remote video does not advance (${a.time} -> ${b.time})`);
}

// Waits until decoded frames rise over two samples in a row that start
// after the page stalled (or right away if it never did).
async function resumed(page) {
  let previous = (await mediaStats(page))?.framesDecoded ?? 0;
  let rising = 0;
  return until('video decoding again', async () => {
    const now = (await mediaStats(page))?.framesDecoded ?? 0;
    rising = now > previous ? rising + 1 : 0;
    previous = now;
    return rising >= 3;
  }, { timeout: 20000, interval: 250 });
}

async function firstFrame(page) {
  return until('a decoded video frame', async () => (await mediaStats(page))?.framesDecoded > 0,
    { timeout: 20000, interval: 50 });
}

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

step('the caseworker logs in and sees today\'s queue', async () => {
  const { caseworker_email: email, caseworker_password: password, booking_reference: reference } = env.demo;
  caseworker = await openPage(browser, 'caseworker', { bypassCSP: true });
  await caseworker.goto(`${env.base}/caseworker.html`);
  await screenshot(caseworker, 'caseworker-login');
  await caseworker.getByLabel('E-mail').fill(email);
  await caseworker.getByLabel('Password').fill(password);
  await caseworker.getByRole('button', { name: 'Log in' }).click();
  bookingId = await until('the booking in the queue', () => caseworker.evaluate(
    (ref) => window.kontor?.queue?.bookings.find((b) => b.reference === ref)?.id, reference));
  await screenshot(caseworker, 'caseworker-queue');
});

step('the job seeker joins by link, passes the device check and waits', async () => {
  const { booking_token: token } = env.demo;
  seeker = await openPage(browser, 'seeker', { width: 360, height: 740, bypassCSP: true });
  await seeker.goto(`${env.base}/join.html#t=${token}`);
  await until('the device check', async () => (await pageState(seeker)) === 'check');
  // The fake camera and microphone: a picture and a moving level meter.
  await until('the camera preview', () => seeker.evaluate(() => document.getElementById('preview').videoWidth > 0));
  await until('sound on the level meter', () => seeker.evaluate(() => document.getElementById('mic-level').value > 0));
  await screenshot(seeker, 'seeker-device-check');
  await checkA11y(seeker, 'device check with a camera (360px)');
  // By keyboard alone: Tab to the button, see the focus ring, press Enter.
  let reached = false;
  for (let i = 0; i < 20 && !reached; i++) {
    await seeker.keyboard.press('Tab');
    reached = await seeker.evaluate(() => document.activeElement?.id === 'enter');
  }
  assert.ok(reached, 'Tab never reached "Go to the waiting room"');
  const outline = await seeker.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused button shows no focus ring');
  await screenshot(seeker, 'seeker-device-check-keyboard');
  await seeker.keyboard.press('Enter');
  await until('the waiting room', async () => (await pageState(seeker)) === 'waiting');
  await seeker.getByRole('heading', { name: 'You are in the waiting room' }).waitFor();
  await screenshot(seeker, 'seeker-waiting');
  await checkA11y(seeker, 'waiting room (360px)');
});

step('the caseworker sees them arrive live, with a cue', async () => {
  const row = caseworker.locator(`tr[data-booking-id="${bookingId}"]`);
  await row.and(caseworker.locator('[data-status="waiting"][data-present="true"]')).waitFor({ timeout: 10000 });
  await row.getByText(/Waiting since/).waitFor();
  await until('the arrival cue', () => caseworker.evaluate(() => window.kontor.cues > 0));
  await caseworker.getByText(/is waiting\./).waitFor();
  assert.match(await caseworker.title(), /^\(1\) waiting/);
  await screenshot(caseworker, 'caseworker-queue-arrived');
  await checkA11y(caseworker, 'queue with someone waiting (1280px)');
});

step('the caseworker admits; both pages decode video and receive audio', async () => {
  const admittedAt = Date.now();
  await caseworker.getByRole('button', { name: /^Admit next: / }).click();
  const [seekerFirst, caseworkerFirst] = await Promise.all([
    firstFrame(seeker).then(() => Date.now() - admittedAt),
    firstFrame(caseworker).then(() => Date.now() - admittedAt),
  ]);
  console.log(`admit → first decoded frame: job seeker ${seekerFirst} ms, caseworker ${caseworkerFirst} ms`);
  // The first frames can come before the stream settles (a keyframe, then
  // a pause); measure the steady flow from when it is steady, and say how
  // long that took.
  const [seekerSteady, caseworkerSteady] = await Promise.all([
    resumed(seeker).then(() => Date.now() - admittedAt),
    resumed(caseworker).then(() => Date.now() - admittedAt),
  ]);
  console.log(`admit → steady video: job seeker ${seekerSteady} ms, caseworker ${caseworkerSteady} ms`);
  await Promise.all([
    assertMediaFlows(seeker, 'job seeker'),
    assertMediaFlows(caseworker, 'caseworker'),
  ]);
});

step('the meeting views pass axe', async () => {
  await checkA11y(seeker, 'job seeker in the meeting (360px)');
  await checkA11y(caseworker, 'caseworker in the meeting (1280px)');
});

check('both pages show the other\'s picture', async () => {
  try {
    await Promise.all([
      assertRemoteVideoPlays(seeker, 'job seeker'),
      assertRemoteVideoPlays(caseworker, 'caseworker'),
    ]);
  } finally {
    await screenshot(seeker, 'seeker-in-meeting');
    await screenshot(caseworker, 'caseworker-in-meeting');
  }
});

step('media goes through the relay\'s ICE ports', async () => {
  await assertThroughRelay(seeker, 'job seeker');
  await assertThroughRelay(caseworker, 'caseworker');
});

step('a link with no booking is refused with no_booking', async () => {
  const stranger = await openPage(browser, 'stranger', { width: 360, height: 740 });
  await stranger.goto(`${env.base}/join.html#t=${randomToken()}`);
  await until('the refusal', async () => (await pageState(stranger)) === 'refused');
  const error = await stranger.evaluate(() => window.kontor.error);
  assert.equal(error?.code, 'no_booking');
  await stranger.getByText(/could not find a booking/).waitFor();
  await screenshot(stranger, 'stranger-no-booking');
  await stranger.context().close();
});

step('the job seeker reloads mid-meeting and is back in without a second admit', async () => {
  assert.ok(await caseworker.evaluate(() => window.kontor.pc !== null), 'caseworker not in the meeting');
  const reloadedAt = Date.now();
  await seeker.reload();
  await until('the meeting after the reload', async () => (await pageState(seeker)) === 'meeting');
  const [seekerBack, caseworkerBack] = await Promise.all([
    firstFrame(seeker).then(() => Date.now() - reloadedAt),
    // The caseworker's connection stays; what changes is the stream in it,
    // which pauses until the reloaded page's camera comes through.
    resumed(caseworker).then(() => Date.now() - reloadedAt),
  ]);
  console.log(`reload → decoding again: job seeker ${seekerBack} ms, caseworker ${caseworkerBack} ms`);
  await Promise.all([
    assertMediaFlows(seeker, 'job seeker after reload'),
    assertMediaFlows(caseworker, 'caseworker after the job seeker\'s reload'),
  ]);
});

check('after the reload both pages show the other\'s picture', async () => {
  try {
    await Promise.all([
      assertRemoteVideoPlays(seeker, 'job seeker after reload'),
      assertRemoteVideoPlays(caseworker, 'caseworker after the job seeker\'s reload'),
    ]);
  } finally {
    await screenshot(seeker, 'seeker-after-reload');
    await screenshot(caseworker, 'caseworker-after-seeker-reload');
  }
});

// Seen once in about ten runs: after a reload the page decoded the
// caseworker's video but never got its `track` event, and showed only the
// sound.  The page now shows whatever decodes; here it is made to forget
// the video and has to find it again.
check('a picture that decodes is shown even when no track event announced it', async () => {
  const videos = await seeker.evaluate(async () => {
    const m = window.kontor.meeting;
    m.remoteStream = new MediaStream(m.remoteStream.getAudioTracks());
    await window.kontor.tiles.show(m.remoteStream);
    return document.getElementById('remote-video').srcObject.getVideoTracks().length;
  });
  assert.equal(videos, 0, 'the page did not forget the video');
  const t0 = Date.now();
  await assertRemoteVideoPlays(seeker, 'job seeker after forgetting the video');
  console.log(`forgotten video shown again after ${Date.now() - t0} ms`);
});

// Cuts the job seeker's media completely and nobody else's: inside the
// namespace every UDP packet is dropped unless it comes from or goes to one
// of the caseworker's ICE ports.  TCP (the WebSockets) stays up, as on a
// flaky Wi-Fi that loses media first; new ports the job seeker's browser
// tries during the cut are dropped too.
async function cutEveryoneBut(page) {
  const ports = await page.evaluate(async () => {
    const out = new Set();
    (await window.kontor.pc.getStats()).forEach((st) => {
      if (st.type === 'local-candidate' && st.protocol === 'udp') out.add(st.port);
    });
    return [...out];
  });
  assert.ok(ports.length > 0, 'the caseworker has no UDP candidates');
  const set = `{ ${ports.join(', ')} }`;
  // A real drop takes TCP too: since the relay restarts ICE for real, the
  // page would otherwise come back over ICE-TCP during the cut.  Only the
  // pages' own connection to kontor (HTTP and the WebSocket) stays.
  const web = new URL(env.base).port;
  execFileSync('nft', ['-f', '-'], { input: `table inet kontor_e2e {
    chain input { type filter hook input priority 0; policy accept;
      udp sport ${set} accept
      udp dport ${set} accept
      tcp dport ${web} accept
      tcp sport ${web} accept
      meta l4proto { udp, tcp } drop
    }
  }\n` });
  return () => execFileSync('nft', ['delete', 'table', 'inet', 'kontor_e2e']);
}

step('the job seeker\'s network drops for 10 s and the call resumes by itself', async () => {
  const restore = await cutEveryoneBut(caseworker);
  const droppedAt = Date.now();
  try {
    await until('"Reconnecting…" on the job seeker\'s page', () => seeker.evaluate(
      () => document.getElementById('media-state').textContent.startsWith('Reconnecting')), { timeout: 9000 });
    console.log(`network drop → "Reconnecting…" shown after ${Date.now() - droppedAt} ms`);
    await screenshot(seeker, 'seeker-reconnecting');
    await new Promise((r) => setTimeout(r, Math.max(0, 10000 - (Date.now() - droppedAt))));
    const frozen = await mediaStats(seeker);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await mediaStats(seeker))?.framesDecoded, frozen?.framesDecoded, 'the cut let video through');
  } finally {
    restore();
  }
  const restoredAt = Date.now();
  await Promise.all([resumed(seeker), resumed(caseworker)]);
  console.log(`network back → video decoding again on both pages after ${Date.now() - restoredAt} ms`);
  await until('the reconnecting notice to go', () => seeker.evaluate(
    () => document.getElementById('media-state').textContent === ''), { timeout: 10000 });
  await Promise.all([
    assertMediaFlows(seeker, 'job seeker after the network drop'),
    assertMediaFlows(caseworker, 'caseworker after the job seeker\'s network drop'),
  ]);
  const restarts = await caseworker.evaluate(() => window.kontor.meeting.iceRestarts);
  console.log(`ICE restarts: job seeker ${await seeker.evaluate(() => window.kontor.meeting.iceRestarts)}, caseworker ${restarts}`);
  await screenshot(seeker, 'seeker-after-network-drop');
});

// How many remote video streams a page decodes right now: those whose
// framesDecoded rises within a second.
async function decodingVideos(page) {
  const read = () => page.evaluate(async () => {
    const out = {};
    const pc = window.kontor?.pc;
    if (!pc) return out;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') out[s.id] = s.framesDecoded || 0;
    });
    return out;
  });
  const a = await read();
  await new Promise((r) => setTimeout(r, 1000));
  const b = await read();
  return Object.keys(b).filter((id) => b[id] > (a[id] ?? 0)).length;
}

// What a page shows in its tiles and what its connection decodes: printed
// when a tile the test waits for does not appear, so that a rare failure
// says whether the picture stopped or only its caption was wrong.  Never
// throws: it only adds to another failure.
async function tilesState(page) {
  return page.evaluate(async () => {
    const pc = window.kontor?.pc;
    const tiles = [...document.querySelectorAll('#more-videos figure')].map((f) =>
      `${f.hidden ? 'hidden' : 'shown'} "${f.querySelector('figcaption')?.textContent}" track ${f.dataset.track}`);
    const decoded = [];
    (await pc?.getStats())?.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') decoded.push(`mid ${s.mid} frames ${s.framesDecoded} track ${s.trackIdentifier}`);
    });
    const slots = [...(window.kontor?.tiles?.slots || [])].map(([mid, w]) => `${mid}=${w.role}${w.screen ? '/screen' : ''}`);
    const main = document.getElementById('remote-video').srcObject?.getVideoTracks()[0]?.id;
    // The page's stream (from track events) against what the tiles show:
    // a track here and in no tile means a show() never ran.
    const stream = window.kontor?.meeting?.remoteStream?.getVideoTracks().map((tr) => tr.id) || [];
    return `tiles [${tiles.join('; ')}] decoding [${decoded.join('; ')}] slots [${slots.join(' ')}] main ${main} stream [${stream.join(' ')}]`;
  }).catch((e) => `no state (${e.message})`);
}

async function waitTile(page, who, caption) {
  try {
    await page.locator('#more-videos figure:not([hidden]) figcaption', { hasText: caption }).waitFor({ timeout: 5000 });
  } catch (e) {
    console.log(`${who}: no visible tile ${caption}: ${await tilesState(page)}`);
    throw e;
  }
}

step('chat both ways', async () => {
  await seeker.getByLabel('Message').fill('Hei! Hører du meg?');
  await seeker.getByRole('button', { name: 'Send' }).click();
  const cwLog = caseworker.getByRole('log');
  await cwLog.getByText('Hei! Hører du meg?').waitFor({ timeout: 5000 });
  await cwLog.getByText(/^Job seeker \d\d:\d\d$/).waitFor();
  await caseworker.getByLabel('Message').fill('Ja, tydelig.');
  await caseworker.keyboard.press('Enter');
  const seekerLog = seeker.getByRole('log');
  await seekerLog.getByText('Ja, tydelig.').waitFor({ timeout: 5000 });
  await seekerLog.getByText(/^Caseworker \d\d:\d\d$/).waitFor();
  assert.equal(await seeker.getByLabel('Message').inputValue(), '', 'the sent line stays in the box');
  assert.deepEqual(await seeker.evaluate(() => window.kontor.chat.lines.map((l) => [l.mine, l.text])),
    [[true, 'Hei! Hører du meg?'], [false, 'Ja, tydelig.']]);
  await screenshot(seeker, 'seeker-chat');
  await screenshot(caseworker, 'caseworker-chat');
});

check('both pages show the connection quality the relay reports', async () => {
  for (const [page, who] of [[seeker, 'job seeker'], [caseworker, 'caseworker']]) {
    const level = await until(`${who}'s quality indicator`, () => page.evaluate(() =>
      document.getElementById('quality').dataset.level), { timeout: 15000 });
    assert.match(level, /^(good|fair|poor)$/);
    assert.match(await page.locator('#quality').textContent(), /^Connection: (good|fair|poor)$/);
    console.log(`${who}: quality ${level} ${JSON.stringify(await page.evaluate(() => window.kontor.quality))}`);
  }
});

check('the meeting view follows a language change', async () => {
  try {
    await seeker.locator('#lang').selectOption('nb');
    await seeker.getByRole('button', { name: 'Slå av mikrofon' }).waitFor({ timeout: 5000 });
    await seeker.getByRole('button', { name: 'Del skjermen' }).waitFor();
    await seeker.getByRole('button', { name: 'Forlat møtet' }).waitFor();
    await seeker.getByRole('log').getByText(/^Deg \d\d:\d\d$/).waitFor();
    assert.equal(await seeker.locator('#remote-caption').textContent(), 'Veilederen din');
    assert.match(await seeker.locator('#quality').textContent(), /^Forbindelse: /);
  } finally {
    await seeker.locator('#lang').selectOption('en');
  }
  await seeker.getByRole('button', { name: 'Mute' }).waitFor({ timeout: 5000 });
  assert.equal(await seeker.locator('#remote-caption').textContent(), 'Your caseworker');
});

step('the caseworker invites an interpreter, who joins and sees both', async () => {
  await caseworker.getByRole('button', { name: 'Invite interpreter' }).click();
  const url = await until('the invitation link', async () => {
    const v = await caseworker.getByLabel(/^Link for the interpreter/).inputValue();
    return /\/join\.html\?node=[A-Za-z0-9._:-]+#i=[A-Za-z0-9_-]{43}$/.test(v) ? v : null;
  });
  await screenshot(caseworker, 'caseworker-invitation');
  await checkA11y(caseworker, 'meeting with the invitation (1280px)');
  const interpreter = await openPage(browser, 'interpreter', { width: 1280, height: 800, bypassCSP: true });
  try {
    const joinedAt = Date.now();
    await interpreter.goto(`${env.base}/join.html${new URL(url).hash}`);
    await until('the interpreter in the meeting', async () => (await pageState(interpreter)) === 'meeting');
    await until('the interpreter decoding both others', async () => (await decodingVideos(interpreter)) >= 2,
      { timeout: 25000, interval: 200 });
    console.log(`interpreter link → decoding both others after ${Date.now() - joinedAt} ms`);
    await caseworker.getByText('The interpreter has joined.').waitFor();
    await seeker.getByText('The interpreter has joined.').waitFor();
    // The others get the interpreter's picture in a tile of its own.
    await until('the job seeker decoding two pictures', async () => (await decodingVideos(seeker)) >= 2,
      { timeout: 20000, interval: 200 });
    await seeker.locator('#more-videos figure:not([hidden])').first().waitFor({ timeout: 5000 });
    await until('the caseworker decoding two pictures', async () => (await decodingVideos(caseworker)) >= 2,
      { timeout: 20000, interval: 200 });
    // Tiles are named after the person (the relay's `track` messages), and
    // each page keeps its main counterpart in the big picture.
    await waitTile(seeker, 'job seeker', /^Interpreter$/);
    await waitTile(caseworker, 'caseworker', /^Interpreter$/);
    await waitTile(interpreter, 'interpreter', /^Job seeker$/);
    await interpreter.locator('#remote-caption', { hasText: /^Caseworker$/ }).waitFor({ timeout: 5000 });
    await seeker.locator('#remote-caption', { hasText: /^Your caseworker$/ }).waitFor({ timeout: 5000 });
    for (const [page, who, main] of [[seeker, 'job seeker', 'caseworker'], [caseworker, 'caseworker', 'seeker'],
      [interpreter, 'interpreter', 'caseworker']]) {
      await until(`the ${who}'s big picture being the ${main}`, async () => (await page.evaluate(() => {
        const track = document.getElementById('remote-video').srcObject?.getVideoTracks()[0];
        const tr = window.kontor.meeting.pc.getTransceivers().find((x) => x.receiver.track === track);
        return tr ? window.kontor.tiles.slots.get(tr.mid)?.role : null;
      })) === main, { timeout: 5000 });
    }
    await screenshot(interpreter, 'interpreter-in-meeting');
    await screenshot(seeker, 'seeker-with-interpreter');
    await screenshot(caseworker, 'caseworker-with-interpreter');
    await checkA11y(interpreter, 'interpreter in the meeting (1280px)');
    await interpreter.getByLabel('Message').fill('Tolken her.');
    await interpreter.getByRole('button', { name: 'Send' }).click();
    await seeker.getByRole('log').getByText('Tolken her.').waitFor({ timeout: 5000 });
    await seeker.getByRole('log').getByText(/^Interpreter \d\d:\d\d$/).waitFor();
    await interpreter.getByRole('button', { name: 'Leave' }).click();
    await until('the interpreter out', async () => (await pageState(interpreter)) === 'left');
  } finally {
    await interpreter.context().close();
  }
  await caseworker.getByText('The interpreter has left.').waitFor();
  await Promise.all([resumed(seeker), resumed(caseworker)]);
});

step('the caseworker shares the screen and stops, and the call goes on', async () => {
  await caseworker.getByRole('button', { name: 'Share screen' }).click();
  await caseworker.getByRole('button', { name: 'Stop sharing' }).and(caseworker.locator('[aria-pressed="true"]')).waitFor();
  await until('the job seeker decoding the camera and the screen', async () => (await decodingVideos(seeker)) >= 2,
    { timeout: 20000, interval: 200 });
  await seeker.locator('#more-videos figure:not([hidden]) figcaption', { hasText: /^Screen: Caseworker$/ }).waitFor({ timeout: 5000 });
  await screenshot(seeker, 'seeker-sees-shared-screen');
  await caseworker.getByRole('button', { name: 'Stop sharing' }).click();
  await caseworker.getByRole('button', { name: 'Share screen' }).and(caseworker.locator('[aria-pressed="false"]')).waitFor();
  await until('the shared screen gone from the job seeker\'s page', () => seeker.evaluate(() =>
    document.querySelectorAll('#more-videos figure:not([hidden])').length === 0), { timeout: 10000 });
  assert.equal(await decodingVideos(seeker), 1, 'the job seeker still decodes a stopped share');
  await Promise.all([
    assertMediaFlows(seeker, 'job seeker after the screen share'),
    assertMediaFlows(caseworker, 'caseworker after the screen share'),
  ]);
  await screenshot(seeker, 'seeker-after-share');
});

step('the job seeker mutes, turns the camera off, leaves and comes back', async () => {
  await seeker.getByRole('button', { name: 'Mute' }).click();
  await seeker.getByRole('button', { name: 'Unmute' }).and(seeker.locator('[aria-pressed="true"]')).waitFor();
  await seeker.getByRole('button', { name: 'Camera off' }).click();
  await seeker.getByRole('button', { name: 'Camera on' }).and(seeker.locator('[aria-pressed="true"]')).waitFor();
  const enabled = await seeker.evaluate(() => window.kontor.pc.getSenders()
    .filter((x) => x.track).map((x) => `${x.track.kind}:${x.track.enabled}`).sort().join(' '));
  assert.equal(enabled, 'audio:false video:false');
  await screenshot(seeker, 'seeker-muted-camera-off');
  await seeker.getByRole('button', { name: 'Unmute' }).click();
  await seeker.getByRole('button', { name: 'Camera on' }).click();

  await seeker.getByRole('button', { name: 'Leave' }).click();
  await until('the page for having left', async () => (await pageState(seeker)) === 'left');
  await caseworker.getByText('The job seeker\'s connection dropped. They can come back.').waitFor();
  await screenshot(seeker, 'seeker-left');
  await seeker.getByRole('button', { name: 'Go back to the meeting' }).click();
  await until('the meeting again', async () => (await pageState(seeker)) === 'meeting');
  await Promise.all([firstFrame(seeker), resumed(caseworker)]);
  await caseworker.getByText('The job seeker is back.').waitFor();
});

step('the caseworker ends the meeting', async () => {
  await caseworker.getByRole('button', { name: 'End meeting' }).click();
  await until('the job seeker\'s end page', async () => (await pageState(seeker)) === 'ended');
  await until('completed in the queue', () => caseworker.evaluate(
    (id) => window.kontor.queue.bookings.find((b) => b.id === id)?.status === 'completed', bookingId));
  await screenshot(seeker, 'seeker-ended');
  await checkA11y(seeker, 'meeting ended (360px)');
  await screenshot(caseworker, 'caseworker-after-end');
});
