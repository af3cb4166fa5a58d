import { type Load, startLoad } from './load.js';
import { type Pinned, ROOT, SERVER_CORE, spawnPinned, spawnTs, waitForLine } from './proc.js';
import { freePort } from './stategate.js';
import { median } from './stats.js';

/** What every scenario gets: run counts and durations, the load process, and the S1 floors once measured. */
export interface Ctx {
  /** Max-throughput runs per measurement (the median is reported). */
  runs: number;
  /** Seconds of one max-throughput run (after a warm-up of `warmS`), and of one open-model run. */
  maxS: number;
  warmS: number;
  openS: number;
  /** Connections (HTTP) and concurrent calls (gRPC) of the max-throughput runs. */
  connections: number;
  floors?: Floors;
  /** Results of the scenarios run so far in this invocation, by name. */
  results: Record<string, unknown>;
  load(): Promise<Load>;
  log(message: string): void;
}

export interface Floors {
  http: number;
  grpcGet: number;
  grpcSet: number;
  yoga: number;
}

export function createContext(options: { runs: number; quick: boolean }): Ctx {
  let load: Load | undefined;
  return {
    runs: options.runs,
    maxS: options.quick ? 1 : 3,
    warmS: 1,
    openS: options.quick ? 1 : 3,
    connections: 64,
    results: {},
    async load() {
      load ??= await startLoad();
      return load;
    },
    log: (message) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`),
  };
}

/** A baseline server of bench/baselines on the server core, listening on a fresh port. */
export async function startBaseline(file: string): Promise<{ url: string; proc: Pinned; stop(): Promise<void> }> {
  const port = await freePort();
  // Plain JavaScript on plain node, as dist/main.js runs: a loader would add its own memory and start-up.
  const proc = spawnPinned(SERVER_CORE, [process.execPath, `${ROOT}/bench/baselines/${file}`, String(port)]);
  await waitForLine(proc, (l) => l.trim() === 'ready');
  return { url: `http://127.0.0.1:${port}`, proc, stop: () => proc.stop() };
}

/** Runs bench/baselines/raw-sqlite.ts on the server core; answers its JSON line. */
export async function rawSqlite<T>(args: string[]): Promise<T> {
  const proc = spawnTs(SERVER_CORE, 'bench/baselines/raw-sqlite.ts', args);
  const line = await waitForLine(proc, (l) => l.startsWith('{'), 600_000);
  await proc.stop();
  return JSON.parse(line) as T;
}

export type Proto = 'http' | 'grpc';

export interface MaxStat {
  opsPerS: number;
  runs: number[];
  errors: number;
  closedP99Ms: number;
  firstError?: string;
}

/** The median of `runs` max-throughput runs of one op. */
export async function measureMax(
  ctx: Ctx,
  proto: Proto,
  url: string,
  op: string,
  params: Record<string, unknown> = {},
  runs = ctx.runs,
): Promise<MaxStat> {
  const load = await ctx.load();
  const rates: number[] = [];
  const p99s: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  for (let i = 0; i < runs; i++) {
    const r =
      proto === 'http'
        ? await load.call<{ opsPerS: number; errors: number; closedP99Ms: number; firstError?: string }>('httpMax', {
            url,
            op,
            params,
            connections: ctx.connections,
            durationS: ctx.maxS,
            warmupS: i === 0 ? ctx.warmS : 0,
          })
        : await load.call<{ opsPerS: number; errors: number; closedP99Ms: number; firstError?: string }>('grpcMax', {
            url,
            op,
            params,
            concurrency: ctx.connections,
            durationS: ctx.maxS,
            warmupS: i === 0 ? ctx.warmS : 0,
          });
    rates.push(Math.round(r.opsPerS));
    p99s.push(r.closedP99Ms);
    errors += r.errors;
    firstError ??= r.firstError;
  }
  if (firstError) ctx.log(`  ${op}: ${errors} errors, first: ${firstError.slice(0, 300)}`);
  return {
    opsPerS: median(rates),
    runs: rates,
    errors,
    closedP99Ms: median(p99s),
    ...(firstError ? { firstError } : {}),
  };
}

export interface OpenStat {
  rate: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  achievedPerS: number;
  errors: number;
}

/** One open-model run at `rate`/s. */
export async function measureOpen(
  ctx: Ctx,
  proto: Proto,
  url: string,
  op: string,
  rate: number,
  params: Record<string, unknown> = {},
): Promise<OpenStat> {
  const load = await ctx.load();
  const r = await load.call<OpenStat>(proto === 'http' ? 'httpOpen' : 'grpcOpen', {
    url,
    op,
    params,
    rate: Math.max(1, Math.round(rate)),
    durationS: ctx.openS,
    connections: ctx.connections,
  });
  return {
    rate: r.rate,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    maxMs: r.maxMs,
    achievedPerS: Math.round(r.achievedPerS),
    errors: r.errors,
  };
}

export const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : Number.NaN);
