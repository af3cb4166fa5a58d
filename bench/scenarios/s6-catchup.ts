import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Ctx, ratio, rawSqlite } from '../lib/context.js';
import { ROOT } from '../lib/proc.js';
import { startStategate } from '../lib/stategate.js';
import { median } from '../lib/stats.js';

/**
 * S6 catch-up: a stream from position 0 over 1,000,000 stored events (REST NDJSON), while a writer keeps
 * setting other entities at 100/s; against raw better-sqlite3 `iterate()` + `JSON.parse` over the same rows.
 * The file is seeded straight into the sqlite schema (stategate's migrations), not through the API.
 */
export const REPLAY_EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000);

export async function s6(ctx: Ctx) {
  const dir = join(ROOT, 'bench/results/tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `replay-${REPLAY_EVENTS}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  ctx.log(`S6 seeding ${REPLAY_EVENTS} events`);
  const seeded = await rawSqlite<{ seconds: number }>(['seed', file, String(REPLAY_EVENTS)]);
  const rawRuns: number[] = [];
  for (let i = 0; i < Math.min(2, ctx.runs); i++) {
    rawRuns.push((await rawSqlite<{ eventsPerS: number }>(['replay', file])).eventsPerS);
  }
  const raw = Math.round(median(rawRuns));
  ctx.log(`S6 replay through stategate (raw iterate: ${raw}/s)`);
  const server = await startStategate({
    provider: 'sqlite',
    sqlitePath: file,
    env: { STATEGATE_STREAM_BUFFER: '1024' },
  });
  const load = await ctx.load();
  try {
    const writes = load.call<{ achievedPerS: number; p99Ms: number; errors: number }>('httpOpen', {
      url: server.url,
      op: 'rest.set',
      params: { domain: 'live', type: 'doc', keys: 100 },
      rate: 100,
      durationS: 10,
      connections: 8,
    });
    const replay = await load.call<{
      events: number;
      seconds: number;
      eventsPerS: number;
      complete: boolean;
      firstEventMs: number;
    }>('replay', {
      url: server.url,
      domain: 'replay',
      count: REPLAY_EVENTS,
      timeoutS: 240,
    });
    const during = await writes;
    return {
      events: REPLAY_EVENTS,
      seedSeconds: Math.round(seeded.seconds * 10) / 10,
      raw: { eventsPerS: raw, runs: rawRuns.map(Math.round) },
      stategate: { ...replay, eventsPerS: Math.round(replay.eventsPerS) },
      writesDuringReplay: { achievedPerS: during.achievedPerS, p99Ms: during.p99Ms, errors: during.errors },
      ratioToRaw: ratio(replay.eventsPerS, raw),
    };
  } finally {
    await server.stop();
    if (existsSync(file)) for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  }
}
