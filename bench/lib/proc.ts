import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Processes of a benchmark, pinned: the system under test (and every baseline server) on core 0, the load on
 * core 1, so neither steals the other's CPU. Each child gets the hard `ulimit -n` (10,000 sockets need it).
 */

export const ROOT = resolve(import.meta.dirname, '../..');
export const SERVER_CORE = process.env.BENCH_SERVER_CORE ?? '0';
export const LOAD_CORE = process.env.BENCH_LOAD_CORE ?? '1';
const TSX = resolve(ROOT, 'node_modules/tsx/dist/esm/index.mjs');

export interface Pinned {
  child: ChildProcess;
  pid: number;
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs `argv` on `core` through bash (for ulimit) and taskset; `exec` keeps the pid the program's. `env` is
 * the whole environment when given (stategate refuses unknown STATEGATE_* variables), else the bench's own.
 */
export function spawnPinned(core: string, argv: string[], env?: Record<string, string>): Pinned {
  const quoted = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  const child = spawn('bash', ['-c', `ulimit -n "$(ulimit -Hn)"; exec taskset -c ${core} ${quoted}`], {
    cwd: ROOT,
    env: env ?? (process.env as Record<string, string>),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return {
    child,
    pid: child.pid!,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A TypeScript file of bench/ run with node + tsx on `core`. */
export function spawnTs(core: string, file: string, args: string[] = [], nodeArgs: string[] = []): Pinned {
  return spawnPinned(core, [process.execPath, ...nodeArgs, '--import', TSX, resolve(ROOT, file), ...args]);
}

/** Resolves with the first stdout line matching `test` (a JSON line), or rejects when the child exits. */
export function waitForLine(p: Pinned, test: (line: string) => boolean, timeoutMs = 60_000): Promise<string> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no ready line in ${timeoutMs} ms: ${p.stderr()}`)), timeoutMs);
    const rl = createInterface({ input: p.child.stdout! });
    rl.on('line', (line) => {
      if (test(line)) {
        clearTimeout(timer);
        done(line);
      }
    });
    p.child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`process exited (${code}) before it was ready: ${p.stderr()}`));
    });
  });
}

/** Resident set size of a process in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
