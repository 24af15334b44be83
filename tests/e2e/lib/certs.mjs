// certs.mjs — certificates a test makes for itself (openssl), how Chromium
// is told to trust exactly them (the SHA-256 of their public key, never
// "ignore every error"), and which certificate a server shows to a new
// TLS connection (openssl s_client).
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function certDir() {
  return mkdtempSync(join(tmpdir(), 'kontor-e2e-certs-'));
}

// A self-signed ECDSA P-256 certificate with a new key, for the names
// given (DNS names and IP addresses), valid for two days: NAME.crt, NAME.key.
export function makeCert(dir, name, { dns = ['localhost'], ip = [] } = {}) {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const san = [...dns.map((d) => `DNS:${d}`), ...ip.map((a) => `IP:${a}`)].join(',');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=kontor e2e ${name}`,
    '-addext', `subjectAltName=${san}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const pem = readFileSync(cert, 'utf8');
  return { cert, key, pem, spki: spkiHash(pem), fingerprint: new X509Certificate(pem).fingerprint256 };
}

// What --ignore-certificate-errors-spki-list takes: base64 of the SHA-256
// of the DER SubjectPublicKeyInfo.
export function spkiHash(pem) {
  const der = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

// Puts a pair where a server reads it, each file replaced in one step
// (rename), as a careful operator's deploy hook does.
export function installPair(pair, certPath, keyPath) {
  for (const [from, to] of [[pair.cert, certPath], [pair.key, keyPath]]) {
    copyFileSync(from, `${to}.new`);
    renameSync(`${to}.new`, to);
  }
}

// The SHA-256 fingerprint (AA:BB:… as node prints it) of the certificate a
// new TLS connection to host:port is shown.
export function servedFingerprint(host, port, servername = host) {
  const out = execFileSync('openssl', ['s_client', '-connect', `${host}:${port}`, '-servername', servername],
    { input: '', timeout: 10000, stdio: ['pipe', 'pipe', 'ignore'] });
  const pem = String(out).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
  if (!pem) throw new Error(`no certificate from ${host}:${port}`);
  return new X509Certificate(pem[0]).fingerprint256;
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}
