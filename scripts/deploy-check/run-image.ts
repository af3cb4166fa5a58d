/**
 * Runs the image's CMD here as the container would: the final stage's ENV, a working directory laid out as
 * its COPY lines lay out WORKDIR (links to this checkout's built files), a temporary directory in place of
 * the /data volume. Only two things differ, because this machine is shared and has no /usr/local/bin/opa:
 * STATEGATE_PORT is a free port and STATEGATE_OPA_PATH the opa that scripts/install-tools.sh installed.
 * Then the HEALTHCHECK command itself is run, as Docker runs it, inside that environment.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { ImageSpec, Stage } from './dockerfile.js';

function bindable(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer().listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
    server.on('error', () => resolve(null));
  });
}

/** A free port whose successor is free too: the metrics port defaults to STATEGATE_PORT + 1. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await bindable(0);
    if (port !== null && port < 65535 && (await bindable(port + 1)) !== null) return port;
  }
}

/** `COPY [--from=x] SRC DEST` into WORKDIR (DEST relative): this checkout's file of the same name, linked. */
function layOutWorkdir(stages: Stage[], repo: string, workdir: string): void {
  for (const { keyword, args } of stages.at(-1)!.instructions) {
    if (keyword !== 'COPY') continue;
    const parts = args.split(/\s+/).filter((part) => !part.startsWith('--'));
    const destination = parts.at(-1)!;
    if (destination.startsWith('/')) continue; // outside WORKDIR: the opa binary, provided separately
    for (const source of parts.slice(0, -1)) {
      const name = basename(source);
      const target = destination.endsWith('/') ? join(workdir, destination, name) : join(workdir, destination);
      if (!existsSync(join(repo, name))) throw new Error(`COPY ${source}: ${name} is not built in ${repo}`);
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(resolve(repo, name), target);
    }
  }
}

async function untilHealthy(url: string, child: { exitCode: number | null }, deadline: number): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before /healthz answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Returns what was checked, in order; throws at the first thing that is not as the image promises. */
export async function runImage(stages: Stage[], image: ImageSpec, repo: string, opaPath: string): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'stategate-image-'));
  const checked: string[] = [];
  try {
    const workdir = join(root, 'app');
    const data = join(root, 'data');
    mkdirSync(workdir, { recursive: true });
    mkdirSync(data);
    layOutWorkdir(stages, repo, workdir);
    const port = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: root,
      ...Object.fromEntries(Object.entries(image.env).map(([k, v]) => [k, v.replaceAll('/data/', `${data}/`)])),
      STATEGATE_PORT: String(port),
      STATEGATE_OPA_PATH: opaPath,
    };
    const [command, ...args] = image.cmd;
    const child = spawn(command === 'node' ? process.execPath : command!, args, { cwd: workdir, env, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await untilHealthy(`http://127.0.0.1:${port}/healthz`, child, Date.now() + 30_000);
      checked.push(`CMD ${image.cmd.join(' ')} answers /healthz`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (ready.status !== 200) throw new Error(`/readyz answered ${ready.status}`);
      checked.push('/readyz is 200 (sqlite storage answers)');
      if (
        !existsSync(join(data, basename(image.env.STATEGATE_STORAGE_PROVIDER?.match(/"path":"([^"]+)"/)?.[1] ?? '')))
      ) {
        throw new Error('no database file in the /data volume');
      }
      checked.push('the database is in the /data volume');
      const health = healthcheck(image, workdir, env);
      if (health !== 0) throw new Error(`HEALTHCHECK exited ${health} while the server is up`);
      checked.push('HEALTHCHECK exits 0 while the server is up');
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${output}`);
    }
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`SIGTERM: the server exited with ${code}\n${output}`);
    checked.push('SIGTERM: exit code 0');
    const after = healthcheck(image, workdir, env);
    if (after === 0) throw new Error('HEALTHCHECK exits 0 with no server: it checks nothing');
    checked.push(`HEALTHCHECK exits ${after} once the server is gone`);
    return checked;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function healthcheck(image: ImageSpec, cwd: string, env: Record<string, string>): number | null {
  const [command, ...args] = image.healthcheck ?? ['false'];
  const run = spawnSync(command === 'node' ? process.execPath : command!, args, { cwd, env, timeout: 10_000 });
  return run.status;
}
