import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ENTRY = 'dist/main.js';

/** stategate as a separate OS process (the built `dist/main.js`), for tests that kill or restart it. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Log lines (parsed JSON) seen so far. */
  logs: Array<Record<string, unknown>>;
  /** stderr text seen so far. */
  stderr(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node dist/main.js` with the given environment and waits for its "listening" log line. */
export async function spawnServer(env: Record<string, string>, timeoutMs = 20_000): Promise<ServerProcess> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` (npm test does)`);
  const child = spawn(process.execPath, [ENTRY], {
    env: { PATH: process.env.PATH ?? '', STATEGATE_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'stategate listening') {
          clearTimeout(timer);
          resolve(String(entry.url));
        }
      } catch {
        // not a log line
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening: ${stderr}`));
    });
  });
  return {
    child,
    url,
    logs,
    stderr: () => stderr,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs `node dist/main.js` expecting it to refuse to start; resolves with its exit code and stderr. */
export async function runUntilExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [ENTRY], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, stderr };
}

/** A server process with its own SQLite file, shaped like an in-process TestServer where tests need it. */
export interface StoredServerProcess extends ServerProcess {
  app: { url: string };
  dbPath: string;
  close(): Promise<void>;
}

/**
 * `node dist/main.js` on a free port with a throwaway SQLite file. For tests whose measurements must be the
 * server's alone (overload, probe latency): in the test runner's process the server would share its event loop
 * and heap with the runner and every suite that ran before.
 */
export async function spawnStoredServer(env: Record<string, string> = {}): Promise<StoredServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'stategate-proc-'));
  const dbPath = join(dir, 'stategate.db');
  const server = await spawnServer({
    STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: dbPath }),
    ...env,
  });
  return {
    ...server,
    app: { url: server.url },
    dbPath,
    async close() {
      await server.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
