// server.mjs — a second kontor for tests that need one of their own (e.g.
// with its clock set back).  It runs in the same namespace and database as
// the main one, on another port; stop() ends it by its PID.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { env } from './harness.mjs';

export async function startServer({ name, port, icePortMin, icePortMax, clockOffsetS = 0 }) {
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
    },
    stdio: ['ignore', log, log],
  });
  const base = `http://localhost:${port}`;
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
      const r = await fetch(`${base}/api/v1/config`);
      if (r.ok) return { base, stop, pid: child.pid };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${name} did not answer on ${base} within 10 s`);
}
