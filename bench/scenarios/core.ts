import { spawnSync } from 'node:child_process';
import type { Ctx } from '../lib/context.js';
import { ROOT } from '../lib/proc.js';

/**
 * The in-process core benches (bench/writes.bench.ts: sqlite group commit; bench/storage.bench.ts: every
 * storage provider through the core API), run as they are and their output kept. Not part of `all`.
 */
export async function core(ctx: Ctx) {
  const out: Record<string, string> = {};
  for (const file of ['bench/writes.bench.ts', 'bench/storage.bench.ts']) {
    ctx.log(`core: ${file}`);
    const r = spawnSync('npx', ['tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
    out[file] = `${r.stdout}${r.status === 0 ? '' : `\nexit ${r.status}: ${r.stderr}`}`.trim();
  }
  return { output: out };
}
