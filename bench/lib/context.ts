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
  /** The S1 baseline servers, started once and kept (idle) for measurements paired with them. */
  floorServers?: Promise<FloorServers>;
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

export type FloorKind = keyof Floors;
export interface FloorServers {
  hello: string;
  echo: string;
  yoga: string;
  stop(): Promise<void>;
}

/** How each floor is measured: which baseline server, which op. */
export const FLOOR_OPS: Record<FloorKind, { server: 'hello' | 'echo' | 'yoga'; proto: Proto; op: string }> = {
  http: { server: 'hello', proto: 'http', op: 'hello' },
  grpcGet: { server: 'echo', proto: 'grpc', op: 'grpc.get' },
  grpcSet: { server: 'echo', proto: 'grpc', op: 'grpc.set' },
  yoga: { server: 'yoga', proto: 'http', op: 'gql.hello' },
};

export function floorServers(ctx: Ctx): Promise<FloorServers> {
  ctx.floorServers ??= (async () => {
    const hello = await startBaseline('hello-http.mjs');
    const echo = await startBaseline('connect-echo.mjs');
    const yoga = await startBaseline('yoga-hello.mjs');
    return {
      hello: hello.url,
      echo: echo.url,
      yoga: yoga.url,
      async stop() {
        await Promise.all([hello.stop(), echo.stop(), yoga.stop()]);
      },
    };
  })();
  return ctx.floorServers;
}

export interface PairedStat extends MaxStat {
  floorOpsPerS: number;
  floorRuns: number[];
  /** Median of the per-pair ratios subject ÷ floor. */
  ratio: number;
}

/**
 * Max throughput of an op paired with its floor: each run measures the floor and then the subject right
 * after it (both servers on the server core, the idle one costing nothing), so a burst of noise from the
 * shared machine hits a pair rather than one side of a ratio. The ratio is the median of the pairs'.
 */
export async function pairedMax(
  ctx: Ctx,
  floor: FloorKind,
  proto: Proto,
  url: string,
  op: string,
  params: Record<string, unknown> = {},
  runs = ctx.runs,
): Promise<PairedStat> {
  const servers = await floorServers(ctx);
  const f = FLOOR_OPS[floor];
  const subjectRuns: number[] = [];
  const floorRuns: number[] = [];
  const ratios: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const p99s: number[] = [];
  for (let i = 0; i < runs; i++) {
    const a = await measureMax(ctx, f.proto, servers[f.server], f.op, {}, 1, i === 0);
    const b = await measureMax(ctx, proto, url, op, params, 1, i === 0);
    floorRuns.push(a.opsPerS);
    subjectRuns.push(b.opsPerS);
    ratios.push(ratio(b.opsPerS, a.opsPerS));
    p99s.push(b.closedP99Ms);
    errors += b.errors;
    firstError ??= b.firstError;
  }
  return {
    opsPerS: median(subjectRuns),
    runs: subjectRuns,
    errors,
    closedP99Ms: median(p99s),
    ...(firstError ? { firstError } : {}),
    floorOpsPerS: median(floorRuns),
    floorRuns,
    ratio: Math.round(median(ratios) * 1000) / 1000,
  };
}

export function createContext(options: { runs: number; quick: boolean }): Ctx {
  let load: Load | undefined;
  return {
    runs: options.runs,
    maxS: options.quick ? 1 : 2,
    warmS: 1,
    openS: options.quick ? 1 : 2.5,
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
  warm = true,
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
            warmupS: i === 0 && warm ? ctx.warmS : 0,
          })
        : await load.call<{ opsPerS: number; errors: number; closedP99Ms: number; firstError?: string }>('grpcMax', {
            url,
            op,
            params,
            concurrency: ctx.connections,
            durationS: ctx.maxS,
            warmupS: i === 0 && warm ? ctx.warmS : 0,
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
