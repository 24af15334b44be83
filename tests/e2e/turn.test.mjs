// turn.test.mjs — a job seeker whose network lets no media straight
// through meets over TURN (issue 15): Debian's coturn with the
// shared-secret scheme (use-auth-secret, static-auth-secret = kontor's
// turn_secret), the credentials kontor hands a participant, and a
// credential past its expiry refused.
//
// The job seeker's browser runs in a namespace of its own (10.232.0.2,
// made by run-e2e.sh with KONTOR_E2E_SEEKER_NET=1); an nft rule drops
// everything it sends to kontor's ICE ports, and its page may only use
// relayed candidates (iceTransportPolicy 'relay'), so its media reaches
// kontor only through coturn.  The caseworker connects directly.  The
// pages come over HTTPS (the job seeker's from another namespace, so not
// from localhost).
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  env, launch, launchInSeekerNet, openPage, screenshot, until, pageState, inOrder, startDaemon,
} from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';
import { certDir, makeCert, removeDir } from './lib/certs.mjs';
import {
  freshDemo, caseworkerLogsIn, seekerWaits, admit, firstFrame, steady, assertMediaFlows,
  selectedPair, endMeeting,
} from './lib/journey.mjs';

const PORT = 8444;
const ICE_MIN = 41400;
const ICE_MAX = 41410;
const KONTOR_ICE = '10.231.0.2';     // kontor offers media here only
// coturn listens and relays on the same address.  On 10.231.0.1 (the
// other end of the veth pair) kontor's answers to the relay left through
// e2e1 instead of lo (nft: oifname not lo) and never arrived.
const TURN_IP = KONTOR_ICE;
const TURN_PORT = 3478;
const RELAY_MIN = 49160;             // coturn's relay ports (below the browsers' 50000-60999)
const RELAY_MAX = 49199;
const HOST = '10.232.0.1';           // kontor as the job seeker's namespace reaches it
const SEEKER_IP = '10.232.0.2';
const SECRET = randomBytes(24).toString('base64url');
const TURN_URL = `turn:${TURN_IP}:${TURN_PORT}`;

let dir;
let coturn;
let server;
let browser;
let seekerBrowser;
let caseworker;
let seeker;
const { step } = inOrder();

// coturn's REST scheme, as kontor computes it: the user name is the expiry
// (Unix seconds), a colon and a name; the password base64(HMAC-SHA1).
function credential(expiresAt, name) {
  const username = `${expiresAt}:${name}`;
  return { urls: TURN_URL, username, credential: createHmac('sha1', SECRET).update(username).digest('base64') };
}

async function startCoturn() {
  const conf = join(dir, 'turnserver.conf');
  writeFileSync(conf, [
    `listening-ip=${TURN_IP}`, `relay-ip=${TURN_IP}`, `listening-port=${TURN_PORT}`,
    `min-port=${RELAY_MIN}`, `max-port=${RELAY_MAX}`,
    'use-auth-secret', `static-auth-secret=${SECRET}`, 'realm=kontor.test', 'fingerprint',
    'no-tls', 'no-dtls', 'no-cli', 'no-tcp-relay', 'no-multicast-peers',
    `pidfile=${join(dir, 'turnserver.pid')}`, `userdb=${join(dir, 'turndb')}`,
    `log-file=${join(env.shots, 'coturn.log')}`, 'simple-log', 'verbose', '',
  ].join('\n'));
  // Up when it listens on its UDP port.
  return startDaemon('coturn', 'turnserver', ['-c', conf], 'coturn-stdout.log',
    () => execFileSync('ss', ['-Hlun', `sport = :${TURN_PORT}`]).toString().includes(TURN_IP));
}

// Gathers candidates on a fresh relay-only connection with these ICE
// servers: the candidate types found and the errors the TURN server gave.
async function gather(page, iceServers) {
  return page.evaluate(async (servers) => {
    const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
    const types = [];
    const errors = [];
    pc.onicecandidate = (e) => { if (e.candidate) types.push(e.candidate.type); };
    pc.onicecandidateerror = (e) => errors.push({ code: e.errorCode, text: e.errorText, url: e.url });
    const done = new Promise((resolve) => {
      pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve('complete'); };
      setTimeout(() => resolve('timeout'), 15000);
    });
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    const end = await done;
    pc.close();
    return { types, errors, end };
  }, iceServers);
}

before(async () => {
  dir = certDir();
  const cert = makeCert(dir, 'turn', { dns: ['localhost'], ip: [HOST] });
  coturn = await startCoturn();
  server = await startServer({ name: 'kontor-turn', port: PORT, icePortMin: ICE_MIN, icePortMax: ICE_MAX,
    host: HOST, tls: { cert: cert.cert, key: cert.key, ca: cert.pem },
    extraEnv: { KONTOR_TURN_SERVER: TURN_URL, KONTOR_TURN_SECRET: SECRET, KONTOR_ICE_ADDRESS: KONTOR_ICE } });
  // Nothing from the job seeker's address reaches kontor's media ports:
  // only what coturn relays (from its own address) does.
  execFileSync('nft', ['-f', '-'], { input: `table inet kontor_turn {
    chain input { type filter hook input priority 0; policy accept;
      ip saddr ${SEEKER_IP} meta l4proto { udp, tcp } th dport ${ICE_MIN}-${ICE_MAX} counter drop
    }
  }\n` });
  const trust = `--ignore-certificate-errors-spki-list=${cert.spki}`;
  browser = await launch([trust]);
  seekerBrowser = await launchInSeekerNet(dir, [trust]);
});

after(async () => {
  await seekerBrowser?.close();
  await browser?.close();
  await server?.stop();
  await coturn?.stop();
  try { execFileSync('nft', ['delete', 'table', 'inet', 'kontor_turn']); } catch { /* never made */ }
  if (dir) removeDir(dir);
});

step('the job seeker, relay only, meets the caseworker through coturn', async () => {
  const demo = freshDemo();
  caseworker = await openPage(browser, 'turn-caseworker');
  seeker = await openPage(seekerBrowser, 'turn-seeker', { width: 360, height: 740 });
  // The page asks for its connection as always; it gets a relay-only one.
  await seeker.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(config = {}, ...rest) { super({ ...config, iceTransportPolicy: 'relay' }, ...rest); }
      setConfiguration(config = {}) { return super.setConfiguration({ ...config, iceTransportPolicy: 'relay' }); }
    };
  });
  const bookingId = await caseworkerLogsIn(caseworker, server.base, demo);
  await seekerWaits(seeker, server.base, demo);
  assert.ok(await seeker.evaluate(() => window.isSecureContext), 'the job seeker\'s page is no secure context');
  const admittedAt = Date.now();
  await admit(caseworker, bookingId);
  await Promise.all([firstFrame(seeker, 30000), firstFrame(caseworker, 30000)]);
  await Promise.all([steady(seeker), steady(caseworker)]);
  console.log(`admit → steady video on both pages, the job seeker through TURN: ${Date.now() - admittedAt} ms`);
  await Promise.all([
    assertMediaFlows(seeker, 'job seeker (relayed)'),
    assertMediaFlows(caseworker, 'caseworker (direct)'),
  ]);
  await screenshot(seeker, 'seeker-meeting-over-turn');
});

step('the job seeker\'s selected pair is relayed by coturn; the caseworker\'s is direct', async () => {
  const relayed = await selectedPair(seeker, 'job seeker');
  assert.equal(relayed.local.type, 'relay');
  assert.equal(relayed.local.address, TURN_IP);
  assert.ok(relayed.local.port >= RELAY_MIN && relayed.local.port <= RELAY_MAX,
    `relayed port ${relayed.local.port} is not coturn's`);
  assert.equal(relayed.remote.address, KONTOR_ICE);
  assert.ok(relayed.remote.port >= ICE_MIN && relayed.remote.port <= ICE_MAX);
  const direct = await selectedPair(caseworker, 'caseworker');
  assert.equal(direct.local.type, 'host');
  assert.equal(direct.remote.address, KONTOR_ICE);
  // The job seeker's page got its TURN credentials from kontor, for the
  // meeting only: /api/v1/config has none.
  const config = await seeker.evaluate(async () => (await fetch('/api/v1/config')).json());
  assert.ok(!JSON.stringify(config).includes('turn:'), `/api/v1/config hands out TURN: ${JSON.stringify(config)}`);
  const rules = execFileSync('nft', ['list', 'table', 'inet', 'kontor_turn']).toString();
  console.log(`nft drop rule: ${rules.match(/counter packets \d+ bytes \d+/)?.[0]}`);
});

step('coturn refuses a credential past its expiry and takes a fresh one', async () => {
  const now = Math.floor(Date.now() / 1000);
  const expired = await gather(seeker, [credential(now - 60, 'e2e-expired')]);
  console.log(`expired credential: candidates [${expired.types}] errors ${JSON.stringify(expired.errors)} (${expired.end})`);
  assert.deepEqual(expired.types.filter((t) => t === 'relay'), [], 'an expired credential got a relay candidate');
  assert.ok(expired.errors.some((e) => e.code === 401), 'no 401 for the expired credential');
  // The same scheme, the same secret, an expiry ahead: a relay candidate.
  const fresh = await gather(seeker, [credential(now + 600, 'e2e-fresh')]);
  console.log(`fresh credential: candidates [${fresh.types}] errors ${JSON.stringify(fresh.errors)} (${fresh.end})`);
  assert.ok(fresh.types.includes('relay'), 'a fresh credential got no relay candidate');
  // And one made with another secret is refused as well.
  const forged = await gather(seeker, [{ ...credential(now + 600, 'e2e-forged'), credential: 'AAAA' }]);
  assert.deepEqual(forged.types, [], 'a forged credential got a candidate');
  assert.ok(forged.errors.some((e) => e.code === 401), 'no 401 for the forged credential');
});

step('the meeting is still going, and the caseworker ends it', async () => {
  await assertMediaFlows(seeker, 'job seeker (relayed) at the end', 2);
  await endMeeting(caseworker, seeker);
  assert.equal(await pageState(seeker), 'ended');
});
