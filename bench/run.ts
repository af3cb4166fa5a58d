import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from './lib/context.js';
import { ROOT } from './lib/proc.js';
import { PROVIDERS, type Provider } from './lib/stategate.js';
import { writeReport } from './report.js';
import { core } from './scenarios/core.js';
import { original } from './scenarios/original.js';
import { profile } from './scenarios/profile.js';
import { s1 } from './scenarios/s1-floor.js';
import { s2 } from './scenarios/s2-writes.js';
import { s3 } from './scenarios/s3-reads.js';
import { s4, s5 } from './scenarios/s4-fanout.js';
import { s6 } from './scenarios/s6-catchup.js';
import { s7 } from './scenarios/s7-cluster.js';
import { s8 } from './scenarios/s8-cache-mutex.js';
import { s9 } from './scenarios/s9-auth.js';

/**
 * `npm run bench [-- s1 s4 …] [--runs=N] [--quick] [--providers=sqlite,postgres]`: runs the named scenarios
 * (default: all but `profile` and `core`), merges their results into bench/results/latest.json and rewrites
 * BENCHMARKS.md from it. Build first (`npm run build`): the server under test is dist/main.js.
 */
const SCENARIOS: Record<string, (ctx: ReturnType<typeof createContext>) => Promise<unknown>> = {
  s1,
  s2: (ctx) => s2(ctx, providers),
  s3: (ctx) => s3(ctx, providers),
  s4,
  s5,
  s6,
  s7,
  s8,
  s9,
  original,
  profile,
  core,
};
/** Run by `all` (the default). `profile` slows the server it measures, `core` repeats S2 in process. */
const ALL = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 'original'];

const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('--')).map((a) => a.toLowerCase());
const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice(7) ?? 3);
const quick = args.includes('--quick');
const providers = (args
  .find((a) => a.startsWith('--providers='))
  ?.slice(12)
  .split(',') ?? PROVIDERS) as Provider[];
const selected = names.length === 0 || names.includes('all') ? ALL : names;
for (const name of selected)
  if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(' ')}`);

if (!existsSync(join(ROOT, 'dist/main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');

const resultsDir = join(ROOT, 'bench/results');
const file = join(resultsDir, 'latest.json');
mkdirSync(resultsDir, { recursive: true });
let stored: { meta?: unknown; scenarios: Record<string, unknown> } = { scenarios: {} };
try {
  stored = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  // first run
}

const ctx = createContext({ runs, quick });
const started = Date.now();
for (const name of selected) {
  const t0 = Date.now();
  try {
    const result = await SCENARIOS[name]!(ctx);
    stored.scenarios[name] = { ...(result as object), at: new Date().toISOString(), seconds: (Date.now() - t0) / 1000 };
    if (name !== 's1' && ctx.results.s1)
      stored.scenarios.s1 = { ...(ctx.results.s1 as object), at: new Date().toISOString() };
  } catch (err) {
    ctx.log(`${name} failed: ${(err as Error).stack ?? err}`);
    stored.scenarios[name] = { failed: String((err as Error).message ?? err), at: new Date().toISOString() };
  }
  writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`);
  ctx.log(`${name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
if (ctx.floorServers) await (await ctx.floorServers).stop();
stored.meta = {
  ...(await writeReport(stored.scenarios, { runs, quick })),
  lastRunSeconds: (Date.now() - started) / 1000,
};
writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`);
ctx.log(`all done in ${((Date.now() - started) / 1000).toFixed(0)} s: bench/results/latest.json, BENCHMARKS.md`);
process.exit(0);
