// tls.test.mjs — kontor holding its own certificate (issue 15): the whole
// meeting over HTTPS and WSS, then a new certificate by SIGHUP while the
// meeting runs.  The meeting must not notice (video goes on decoding, no
// WebSocket closes), a new TLS connection must get the new certificate,
// and a broken pair sent after it must change nothing.
//
// The certificates are made here; Chromium trusts exactly them by the
// hash of their public keys (--ignore-certificate-errors-spki-list), so
// any other certificate error would still fail the page.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openPage, screenshot, until, pageState, inOrder } from './lib/harness.mjs';
import { startServer } from './lib/server.mjs';
import { certDir, makeCert, installPair, servedFingerprint, removeDir } from './lib/certs.mjs';
import {
  freshDemo, caseworkerLogsIn, seekerWaits, admit, firstFrame, steady, assertMediaFlows,
  endMeeting, watchSockets,
} from './lib/journey.mjs';

const PORT = 8443;

let dir;
let first;
let second;
let certPath;
let keyPath;
let server;
let browser;
let caseworker;
let seeker;
let sockets;
const { step } = inOrder();

// Waits for a line of the server's log that matches re and came after
// `from` bytes; returns it.
async function logLine(re, from) {
  return until(`the server to log ${re}`, () => {
    const text = readFileSync(server.log, 'utf8').slice(from);
    return text.split('\n').find((l) => re.test(l)) || null;
  }, { timeout: 5000 });
}

function logSize() {
  return readFileSync(server.log, 'utf8').length;
}

before(async () => {
  dir = certDir();
  first = makeCert(dir, 'first');
  second = makeCert(dir, 'second');
  certPath = join(dir, 'server.crt');
  keyPath = join(dir, 'server.key');
  installPair(first, certPath, keyPath);
  server = await startServer({ name: 'kontor-tls', port: PORT, icePortMin: 41300, icePortMax: 41310,
    tls: { cert: certPath, key: keyPath, ca: [first.pem, second.pem] } });
  // Both public keys: the browser makes new connections after the reload.
  browser = await launch([`--ignore-certificate-errors-spki-list=${first.spki},${second.spki}`]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) removeDir(dir);
});

step('the pages come over HTTPS with the test\'s own certificate', async () => {
  assert.equal(servedFingerprint('localhost', PORT), first.fingerprint);
  const demo = freshDemo();
  caseworker = await openPage(browser, 'tls-caseworker');
  seeker = await openPage(browser, 'tls-seeker', { width: 360, height: 740 });
  const cwSockets = watchSockets(caseworker);
  const seekerSockets = watchSockets(seeker);
  sockets = { caseworker: cwSockets, seeker: seekerSockets };
  const bookingId = await caseworkerLogsIn(caseworker, server.base, demo);
  assert.ok(bookingId, 'the demo booking is in the queue');
  assert.ok(await caseworker.evaluate(() => window.isSecureContext && location.protocol === 'https:'));
  // The session cookie over https: __Host- prefixed, Secure.
  const cookies = await caseworker.context().cookies();
  const session = cookies.find((c) => c.name.endsWith('kontor_session'));
  assert.equal(session?.name, '__Host-kontor_session');
  assert.equal(session.secure, true);
  await seekerWaits(seeker, server.base, demo);
  assert.ok(cwSockets.some((s) => s.url.startsWith(`wss://localhost:${PORT}/`)), 'the caseworker has no wss:// socket');
  assert.ok(seekerSockets.some((s) => s.url.startsWith(`wss://localhost:${PORT}/`)), 'the job seeker has no wss:// socket');
  const admittedAt = Date.now();
  await admit(caseworker, bookingId);
  await Promise.all([firstFrame(seeker), firstFrame(caseworker)]);
  await Promise.all([steady(seeker), steady(caseworker)]);
  console.log(`admit → steady video on both pages over HTTPS/WSS: ${Date.now() - admittedAt} ms`);
  await Promise.all([
    assertMediaFlows(seeker, 'job seeker (https)'),
    assertMediaFlows(caseworker, 'caseworker (https)'),
  ]);
  await screenshot(seeker, 'seeker-meeting-https');
});

step('SIGHUP with a new certificate: the meeting goes on, new connections get the new one', async () => {
  const open = (list) => list.filter((s) => !s.closed).length;
  const before = { caseworker: open(sockets.caseworker), seeker: open(sockets.seeker) };
  assert.ok(before.caseworker >= 1 && before.seeker >= 1, `open sockets before: ${JSON.stringify(before)}`);
  installPair(second, certPath, keyPath);
  const from = logSize();
  const sentAt = Date.now();
  process.kill(server.pid, 'SIGHUP');
  const line = await logLine(/TLS certificate reloaded/, from);
  console.log(`SIGHUP → reloaded in ${Date.now() - sentAt} ms: ${line.replace(/^.*?TLS/, 'TLS')}`);
  assert.equal(servedFingerprint('localhost', PORT), second.fingerprint,
    'a new TLS connection still sees the old certificate');
  await Promise.all([
    assertMediaFlows(seeker, 'job seeker after the reload'),
    assertMediaFlows(caseworker, 'caseworker after the reload'),
  ]);
  assert.equal(await pageState(seeker), 'meeting');
  assert.deepEqual({ caseworker: open(sockets.caseworker), seeker: open(sockets.seeker) }, before,
    'a WebSocket closed during the reload');
  assert.ok(sockets.caseworker.concat(sockets.seeker).every((s) => !s.closed), 'a WebSocket closed');
  // The browser's own new connection (every answer closes its connection,
  // so this is a new TLS handshake) is accepted with the new key.
  const status = await caseworker.evaluate(async () => (await fetch('/api/v1/config', { cache: 'no-store' })).status);
  assert.equal(status, 200);
});

step('a broken pair by SIGHUP changes nothing and says why', async () => {
  // The first certificate with the second's key: they do not belong together.
  writeFileSync(certPath, first.pem);
  const from = logSize();
  process.kill(server.pid, 'SIGHUP');
  const line = await logLine(/SIGHUP: certificate not reloaded, the old one stays: .*does not belong/, from);
  console.log(`broken pair: ${line.replace(/^.*?SIGHUP/, 'SIGHUP')}`);
  assert.equal(servedFingerprint('localhost', PORT), second.fingerprint);
  await assertMediaFlows(caseworker, 'caseworker after the refused reload', 2);
  assert.ok(sockets.caseworker.concat(sockets.seeker).every((s) => !s.closed), 'a WebSocket closed');
});

step('a certificate whose key the browser was not given is refused by it', async () => {
  // The trust is by public key, not "ignore every error": a third
  // certificate (valid, for localhost) fails a new page load.
  const third = makeCert(dir, 'third');
  installPair(third, certPath, keyPath);
  const from = logSize();
  process.kill(server.pid, 'SIGHUP');
  await logLine(/TLS certificate reloaded/, from);
  const page = await openPage(browser, 'tls-stranger');
  const error = await page.goto(`${server.base}/join.html`).then(() => null, (e) => e.message);
  await page.context().close();
  assert.match(error ?? 'loaded', /ERR_CERT_AUTHORITY_INVALID/, `a page under an unknown key: ${error}`);
  await assertMediaFlows(seeker, 'job seeker under the third certificate', 2);
});

step('the caseworker ends the meeting', async () => {
  await endMeeting(caseworker, seeker);
  await until('the job seeker\'s end page', async () => (await pageState(seeker)) === 'ended');
});
