// server.mjs — a second kontor for tests that need one of their own (e.g.
// with its clock set back).  It runs in the same namespace and database as
// the main one, on another port; stop() ends it by its PID.
//
// With tls ({ cert, key, ca }: files, and the PEM to trust) it serves
// HTTPS, and is asked whether it is up over HTTPS trusting only that
// certificate; extraEnv adds KONTOR_* settings (TURN, addresses).
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { env } from './harness.mjs';

// GET url over HTTPS trusting ca alone: the status, or an error.
function httpsStatus(url, ca) {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

export async function startServer({ name, port, icePortMin, icePortMax, clockOffsetS = 0,
  tls = null, host = 'localhost', extraEnv = {} }) {
  const log = openSync(join(env.shots, `${name}.log`), 'a');
  const child = spawn(env.binary, [], {
    env: {
      ...process.env,
      KONTOR_DATABASE: env.database,
      KONTOR_PORT: String(port),
      KONTOR_WEB_ROOT: env.webRoot,
      KONTOR_ICE_PORT_MIN: String(icePortMin),
      KONTOR_ICE_PORT_MAX: String(icePortMax),
      KONTOR_CLOCK_OFFSET: String(clockOffsetS),
      ...(tls ? { KONTOR_TLS_CERT: tls.cert, KONTOR_TLS_KEY: tls.key,
        KONTOR_PUBLIC_URL: `https://${host}:${port}` } : {}),
      ...extraEnv,
    },
    stdio: ['ignore', log, log],
  });
  const base = `${tls ? 'https' : 'http'}://${host}:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGINT'); // at once: SIGTERM would wait for meetings to end
    const exited = new Promise((r) => child.once('exit', r));
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start-up (see ${name}.log)`);
    try {
      const ok = tls ? (await httpsStatus(`${base}/api/v1/config`, tls.ca)) === 200
        : (await fetch(`${base}/api/v1/config`)).ok;
      if (ok) return { base, stop, pid: child.pid, log: join(env.shots, `${name}.log`) };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${name} did not answer on ${base} within 10 s`);
}
