import { createInterface } from 'node:readline';
import { LOAD_CORE, type Pinned, spawnTs, waitForLine } from './proc.js';

/** The load process on the load core, driven by commands (bench/load/worker.ts). */
export interface Load {
  call<T = Record<string, unknown>>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  pid: number;
  stop(): Promise<void>;
}

export async function startLoad(): Promise<Load> {
  const proc: Pinned = spawnTs(LOAD_CORE, 'bench/load/worker.ts', [], ['--max-old-space-size=4096']);
  await waitForLine(proc, (l) => l.includes('"ready"'));
  const pending = new Map<number, { done: (v: unknown) => void; fail: (e: Error) => void }>();
  let nextId = 0;
  createInterface({ input: proc.child.stdout! }).on('line', (line) => {
    let msg: { id?: number; result?: unknown; error?: string };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.fail(new Error(msg.error));
    else p?.done(msg.result);
  });
  proc.child.once('exit', (code) => {
    for (const p of pending.values()) p.fail(new Error(`load process exited (${code}): ${proc.stderr()}`));
    pending.clear();
  });
  return {
    pid: proc.pid,
    call<T>(cmd: string, args: Record<string, unknown> = {}) {
      const id = nextId++;
      return new Promise<T>((done, fail) => {
        // No command may hang the suite: the longest (a replay of 1,000,000 events) takes a few minutes.
        const timer = setTimeout(() => {
          pending.delete(id);
          fail(new Error(`load command ${cmd} timed out`));
        }, 300_000);
        pending.set(id, {
          done: (v) => {
            clearTimeout(timer);
            (done as (v: unknown) => void)(v);
          },
          fail: (e) => {
            clearTimeout(timer);
            fail(e);
          },
        });
        proc.child.stdin!.write(`${JSON.stringify({ id, cmd, args })}\n`);
      });
    },
    stop: () => proc.stop('SIGKILL'),
  };
}
