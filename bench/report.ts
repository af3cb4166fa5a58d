import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ROOT } from './lib/proc.js';

/** BENCHMARKS.md from bench/results/latest.json: machine, versions, the targets (met or not), every table. */

// biome-ignore lint/suspicious/noExplicitAny: the results are JSON of many shapes, read field by field
type Any = Record<string, any>;

const fmt = (v: unknown, digits = 0): string => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  return digits === 0 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits);
};
const x = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');
const ms = (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : '—';

function sh(cmd: string): string {
  try {
    return execSync(cmd, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

function machine() {
  const db = new Database(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
    memoryGb: Math.round(totalmem() / 1e9),
    kernel: sh('uname -r'),
    node: process.version,
    stategate: `${pkg.version} (${sh('git rev-parse --short HEAD')})`,
    sqlite,
    postgres: sh("psql --version | awk '{print $3}'"),
    mariadb: sh("mariadb --version | sed -E 's/.*Distrib ([^,]+),.*/\\1/; s/.* ([0-9.]+-MariaDB).*/\\1/'"),
    redis: sh("redis-server --version | sed -E 's/.*v=([^ ]+).*/\\1/'"),
    nats: sh("nats-server --version | awk '{print $2}'"),
    loadavg: sh('cat /proc/loadavg'),
  };
}

interface Target {
  what: string;
  target: string;
  measured: string;
  met: boolean | undefined;
}

function targets(s: Any): Target[] {
  const out: Target[] = [];
  const s2 = (t: string) => s.s2?.rows?.find((r: Any) => r.provider === 'sqlite' && r.transport === t);
  const s3 = (t: string, op = 'get') =>
    s.s3?.rows?.find((r: Any) => r.provider === 'sqlite' && r.transport === t && r.op === op);
  const add = (
    what: string,
    target: string,
    value: number | undefined,
    pass: (v: number) => boolean,
    show: (v: number) => string,
  ) =>
    out.push({
      what,
      target,
      measured: value === undefined || Number.isNaN(value) ? 'not measured' : show(value),
      met: value === undefined || Number.isNaN(value) ? undefined : pass(value),
    });
  const ge = (min: number) => (v: number) => v >= min;
  add('REST Set, durable sqlite, vs node:http hello', '≥ 0.5×', s2('rest')?.ratioToFloor, ge(0.5), x);
  add('gRPC Set, durable sqlite, vs connect-node echo', '≥ 0.5×', s2('grpc')?.ratioToFloor, ge(0.5), x);
  add('REST Get vs node:http hello', '≥ 0.8×', s3('rest')?.ratioToFloor, ge(0.8), x);
  add('gRPC Get vs connect-node echo', '≥ 0.8×', s3('grpc')?.ratioToFloor, ge(0.8), x);
  add('GraphQL setEntity vs Yoga { hello }', '≥ 0.7×', s2('graphql')?.ratioToFloor, ge(0.7), x);
  add('GraphQL getEntity vs Yoga { hello }', '≥ 0.8×', s3('graphql')?.ratioToFloor, ge(0.8), x);
  const fan = s.s4?.rows?.find((r: Any) => r.transport === 'graphql-ws' && r.subscribers === 1000 && r.rate === 100);
  add('fan-out 1,000 graphql-ws × 100/s, deliveries/s vs raw ws', '≥ 0.5×', fan?.ratioToRaw, ge(0.5), x);
  add(
    'fan-out 1,000 graphql-ws × 100/s, per-delivery p99 (every delivery made within 5 s after the last write)',
    '≤ 50 ms',
    fan ? (fan.deliveredFraction >= 0.999 ? fan.p99Ms : Number.POSITIVE_INFINITY) : undefined,
    (v) => v <= 50,
    (v) => (Number.isFinite(v) ? ms(v) : `only ${Math.round(fan.deliveredFraction * 1000) / 10} % delivered`),
  );
  const mem = (t: string) => s.s5?.memory?.find((m: Any) => m.transport === t)?.perSubscriptionKb;
  add(
    'memory per idle graphql-ws subscription',
    '≤ 20 KB',
    mem('graphql-ws'),
    (v) => v <= 20,
    (v) => `${v} KB`,
  );
  add(
    'memory per idle SSE subscription',
    '≤ 10 KB',
    mem('sse'),
    (v) => v <= 10,
    (v) => `${v} KB`,
  );
  add(
    'memory per idle gRPC subscription',
    '≤ 10 KB',
    mem('grpc'),
    (v) => v <= 10,
    (v) => `${v} KB`,
  );
  add(
    'idle RSS',
    '≤ 60 MB',
    s.s5?.idle?.stategateIdleRssMb,
    (v) => v <= 60,
    (v) => `${v} MB`,
  );
  add('replay of 1,000,000 events vs raw iterate + JSON.parse', '≥ 0.5×', s.s6?.ratioToRaw, ge(0.5), x);
  for (const bus of ['redis', 'nats']) {
    const single = s.s7?.rows?.find((r: Any) => r.bus === bus && r.where === 'single');
    const cross = s.s7?.rows?.find((r: Any) => r.bus === bus && r.where === 'cross');
    const limit = single ? 2 * single.p99Ms + 2 : Number.NaN;
    add(
      `cross-instance p99, PostgreSQL + ${bus === 'redis' ? 'Redis' : 'NATS'}`,
      `≤ 2× single + 2 ms (${ms(limit)})`,
      cross?.p99Ms,
      (v) => v <= limit,
      ms,
    );
  }
  for (const t of ['rest', 'grpc']) {
    const row = s.s9?.rows?.find((r: Any) => r.transport === t);
    add(
      `JWT + request and response policy cost on a ${t === 'rest' ? 'REST' : 'gRPC'} Get`,
      '≤ 20 %',
      row?.cost,
      (v) => v <= 0.2,
      (v) => `${Math.round(v * 100)} %`,
    );
  }
  add(
    'mutual-exclusion violations (16 contending workers)',
    '0',
    s.s8?.mutex?.violations,
    (v) => v === 0,
    (v) => String(v),
  );
  add('gRPC Get on mongo (FerretDB) vs the original stategate', '≥ 1×', undefined, () => false, String);
  add('gRPC cache Set+Get vs the original stategate', '≥ 2×', undefined, () => false, String);
  return out;
}

function table(head: string[], rows: unknown[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export async function writeReport(s: Any, o: { runs: number; quick: boolean }) {
  const m = machine();
  const f = s.s1?.floors ?? {};
  const lines: string[] = [];
  lines.push('# Benchmarks', '');
  lines.push(
    'Made by `npm run bench` (every scenario; `npm run bench -- s4` or `npx tsx bench/run.ts s4` for one) from',
    '`bench/results/latest.json`. The machine is shared and noisy, so every number that matters is a **ratio to a',
    'baseline measured in the same run**; absolute numbers move by 2× between runs. The server under test and every',
    'baseline server run on core 0 (`taskset -c 0`), the load generator in its own process on core 1; stategate is',
    '`node dist/main.js` with auth disabled (except S9), log level `warn`, and rate limits, in-flight and connection',
    'caps raised out of the way. Max-throughput runs are closed loops (autocannon for HTTP, 64 connections;',
    'connect-node gRPC clients, 64 concurrent calls over 4 HTTP/2 sessions); the latency columns come from',
    'open-model runs — requests on a fixed schedule, each timed from its *scheduled* send time into an HDR',
    "histogram, so a stall is counted in full (no coordinated omission). The machine's load changes within",
    'minutes, so each max-throughput run of S2, S3 and S8 is **paired** with a run of its floor taken right',
    'before it (the floor servers stay up, idle, on core 0); "vs floor" is the median of the pairs\' ratios.',
    '',
  );
  lines.push(
    `Runs per max-throughput measurement: ${o.runs} (median shown)${o.quick ? ' — QUICK MODE, not for comparison' : ''}; the networked providers' rows in S2/S3 are one run each (time budget).`,
    '',
  );
  lines.push('## Machine and versions', '');
  lines.push(
    table(
      ['', ''],
      Object.entries(m).map(([k, v]) => [k, String(v)]),
    ),
    '',
  );

  lines.push('## Targets', '');
  lines.push(
    table(
      ['target', 'wanted', 'measured', 'met'],
      targets(s).map((t) => [
        t.what,
        t.target,
        t.measured,
        t.met === undefined ? 'not measured' : t.met ? 'met' : '**not met**',
      ]),
    ),
    '',
  );

  if (s.s1?.floors) {
    lines.push('## S1 floor', '');
    lines.push(
      table(
        ['baseline', 'ops/s (median)', 'runs'],
        [
          ['node:http hello (REST floor)', fmt(f.http), s.s1.detail?.http?.runs?.join(', ')],
          [
            'connect-node unary echo, Get (gRPC floor for reads)',
            fmt(f.grpcGet),
            s.s1.detail?.grpcGet?.runs?.join(', '),
          ],
          [
            'connect-node unary echo, Set (gRPC floor for writes)',
            fmt(f.grpcSet),
            s.s1.detail?.grpcSet?.runs?.join(', '),
          ],
          ['Yoga `{ hello }` (GraphQL floor)', fmt(f.yoga), s.s1.detail?.yoga?.runs?.join(', ')],
        ],
      ),
      '',
    );
  }
  if (s.s2?.rows) {
    lines.push('## S2 writes (Set)', '');
    lines.push(
      `Raw better-sqlite3, the same two writes (head upsert + event insert) in one transaction each, one writer: FULL ${fmt(s.s2.raw?.FULL)}/s, NORMAL ${fmt(s.s2.raw?.NORMAL)}/s.`,
      '',
    );
    lines.push(
      table(
        [
          'provider',
          'transport',
          'max ops/s',
          'floor (paired)',
          'vs floor',
          'vs raw FULL',
          'p50 / p99 at 50 %',
          'p50 / p99 at 80 %',
          'errors',
        ],
        s.s2.rows.map((r: Any) => [
          r.provider,
          r.transport,
          fmt(r.max?.opsPerS),
          fmt(r.max?.floorOpsPerS),
          x(r.ratioToFloor),
          x(r.ratioToRawFull),
          `${ms(r.at50?.p50Ms)} / ${ms(r.at50?.p99Ms)}`,
          `${ms(r.at80?.p50Ms)} / ${ms(r.at80?.p99Ms)}`,
          (r.max?.errors ?? 0) + (r.at50?.errors ?? 0) + (r.at80?.errors ?? 0),
        ]),
      ),
      '',
    );
  }
  if (s.s3?.rows) {
    lines.push('## S3 reads (Get; Search answering 100 entities)', '');
    lines.push(
      `Raw better-sqlite3 (+ JSON.parse of the values): \`stmt.get()\` ${fmt(s.s3.raw?.get)}/s, \`stmt.all()\` of 100 rows ${fmt(s.s3.raw?.all)}/s.`,
      '',
    );
    lines.push(
      table(
        ['provider', 'op', 'transport', 'max ops/s', 'floor (paired)', 'vs floor', 'vs raw', 'errors'],
        s.s3.rows.map((r: Any) => [
          r.provider,
          r.op,
          r.transport,
          fmt(r.max?.opsPerS),
          fmt(r.max?.floorOpsPerS),
          x(r.ratioToFloor),
          x(r.ratioToRaw),
          r.max?.errors ?? 0,
        ]),
      ),
      '',
    );
  }
  if (s.s4?.rows) {
    lines.push('## S4 fan-out', '');
    lines.push(
      'One publisher (REST Set on the same server; raw: a POST the raw `ws` server broadcasts as one buffer) at a fixed rate; per-delivery latency from the scheduled write time. At most 200,000 deliveries per run (so 20 events at 10,000 subscribers). "last" = when the last subscriber got an event.',
      '',
    );
    lines.push(
      table(
        [
          'transport',
          'subscribers',
          'rate/s',
          'events',
          'deliveries/s',
          'vs raw ws',
          'delivered',
          'p50',
          'p99',
          'last p50',
          'last max',
        ],
        s.s4.rows.map((r: Any) => [
          r.transport,
          fmt(r.subscribers),
          fmt(r.rate),
          fmt(r.events),
          fmt(r.deliveriesPerS),
          x(r.ratioToRaw),
          `${Math.round((r.deliveredFraction ?? 0) * 1000) / 10} %`,
          ms(r.p50Ms),
          ms(r.p99Ms),
          ms(r.lastSubscriberP50Ms),
          ms(r.lastSubscriberMaxMs),
        ]),
      ),
      '',
    );
  }
  if (s.s5?.memory) {
    lines.push('## S5 memory', '');
    lines.push(
      `Idle RSS of a fresh stategate (sqlite, memory cache), 3 s after start: **${s.s5.idle?.stategateIdleRssMb} MB**.`,
      '',
    );
    lines.push(
      table(
        ['server', 'RSS before', 'RSS with 10,000 idle subscriptions', 'per subscription', 'opened'],
        s.s5.memory.map((r: Any) => [
          r.transport === 'raw-ws' ? 'raw ws' : `stategate ${r.transport}`,
          `${r.idleRssMb} MB`,
          `${r.rssWith10kMb} MB`,
          `${r.perSubscriptionKb} KB`,
          fmt(r.subscribed),
        ]),
      ),
      '',
    );
  }
  if (s.s6?.stategate) {
    const r = s.s6;
    lines.push('## S6 catch-up', '');
    lines.push(
      table(
        ['', 'events', 'events/s', 'ratio'],
        [
          ['raw better-sqlite3 iterate() + JSON.parse', fmt(r.events), fmt(r.raw?.eventsPerS), '1.00×'],
          [
            `stategate REST NDJSON stream from after=0 (${r.stategate.complete ? 'complete' : 'INCOMPLETE'})`,
            fmt(r.stategate.events),
            fmt(r.stategate.eventsPerS),
            x(r.ratioToRaw),
          ],
        ],
      ),
      '',
      `Writes during the replay (REST Set at 100/s on other entities): ${fmt(r.writesDuringReplay?.achievedPerS)}/s, p99 ${ms(r.writesDuringReplay?.p99Ms)}, ${r.writesDuringReplay?.errors ?? 0} errors. Seeding ${fmt(r.events)} events straight into the file took ${r.seedSeconds} s.`,
      '',
    );
  }
  if (s.s7?.rows) {
    lines.push('## S7 across instances (PostgreSQL storage)', '');
    lines.push(`Raw ioredis publish→subscribe at 100/s: p50 ${ms(s.s7.raw?.p50Ms)}, p99 ${ms(s.s7.raw?.p99Ms)}.`, '');
    lines.push(
      table(
        ['bus', 'subscriber on', 'p50', 'p99', 'delivered'],
        s.s7.rows.map((r: Any) => [
          r.bus,
          r.where === 'cross' ? 'B (writes on A)' : 'A (writes on A)',
          ms(r.p50Ms),
          ms(r.p99Ms),
          `${r.delivered}/${r.expected}`,
        ]),
      ),
      '',
    );
  }
  if (s.s8?.setGet) {
    const r = s.s8;
    lines.push('## S8 cache and mutex (Redis, gRPC, 16 concurrent callers)', '');
    lines.push(
      table(
        ['', 'stategate', 'raw ioredis', 'ratio'],
        [
          ['cache Set+Get pairs/s', fmt(r.setGet.opsPerS), fmt(r.raw.setGetPairsPerS), x(r.ratios.setGetToRaw)],
          ['cache Get/s (vs gRPC floor)', fmt(r.get.opsPerS), `floor ${fmt(f.grpcGet)}`, x(r.ratios.getToGrpcFloor)],
          [
            'mutex grants/s, one contended key',
            fmt(r.mutex.grantsPerS),
            fmt(r.raw.mutexGrantsPerS),
            x(r.ratios.mutexToRaw),
          ],
          ['mutual-exclusion violations', String(r.mutex.violations), String(r.raw.mutexViolations), ''],
        ],
      ),
      '',
    );
  }
  if (s.s9?.rows) {
    lines.push('## S9 auth and policy cost', '');
    lines.push(
      table(
        ['Get over', 'no auth ops/s', 'JWT + request & response policy ops/s', 'ratio', 'cost'],
        s.s9.rows.map((r: Any) => [
          r.transport,
          fmt(r.withoutPerS),
          fmt(r.withAuthPerS),
          x(r.ratio),
          `${Math.round(r.cost * 100)} %`,
        ]),
      ),
      '',
    );
  }
  lines.push('## The original stategate (Go)', '');
  lines.push(
    s.original?.note ??
      'Not run in this pass (`npm run bench -- original` tries to build it from the Go module proxy).',
    '',
  );
  if (s.profile?.paths) {
    lines.push('## Profiles (`npm run bench -- profile`: `node --cpu-prof` on the server)', '');
    for (const p of s.profile.paths as Any[]) {
      lines.push(`**${p.path}** (${p.load}) — top self time:`, '');
      lines.push(
        table(
          ['self %', 'function', 'where'],
          p.top.map((t: Any) => [`${t.pct} %`, `\`${t.fn}\``, t.where]),
        ),
        '',
      );
      if (p.byPackage) lines.push(`By package: ${p.byPackage.map((b: Any) => `${b.pkg} ${b.pct} %`).join(', ')}.`, '');
    }
  }
  const failed = Object.entries(s).filter(([, v]) => (v as Any)?.failed);
  if (failed.length)
    lines.push('## Failed scenarios', '', ...failed.map(([k, v]) => `- ${k}: ${(v as Any).failed}`), '');
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), `${lines.join('\n')}\n`);
  return { machine: m, runs: o.runs, quick: o.quick };
}
