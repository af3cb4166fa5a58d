import { type Ctx, measureOpen, type Proto, pairedMax, ratio, rawSqlite } from '../lib/context.js';
import { PROVIDERS, type Provider, startStategate } from '../lib/stategate.js';
import { median } from '../lib/stats.js';
import { floors } from './s1-floor.js';

/**
 * S2 writes: Set over REST, gRPC and GraphQL on each provider (sqlite durable: synchronous=FULL), max ops/s
 * and open-model p50/p99 at 50 % and 80 % of that max; against raw better-sqlite3 doing the same two
 * writes (FULL and NORMAL) and against the S1 floor of the transport.
 */

export const TRANSPORTS: Array<{
  name: 'rest' | 'grpc' | 'graphql';
  proto: Proto;
  floor: 'http' | 'grpcSet' | 'yoga';
}> = [
  { name: 'rest', proto: 'http', floor: 'http' },
  { name: 'grpc', proto: 'grpc', floor: 'grpcSet' },
  { name: 'graphql', proto: 'http', floor: 'yoga' },
];
const SET_OP = { rest: 'rest.set', grpc: 'grpc.set', graphql: 'gql.set' } as const;

export async function s2(ctx: Ctx, providers: Provider[] = PROVIDERS) {
  await floors(ctx);
  ctx.log('S2 raw better-sqlite3 writes (FULL, NORMAL)');
  const raw: Record<string, number> = {};
  for (const sync of ['FULL', 'NORMAL']) {
    const runs: number[] = [];
    for (let i = 0; i < ctx.runs; i++)
      runs.push((await rawSqlite<{ opsPerS: number }>(['writes', sync, String(ctx.maxS)])).opsPerS);
    raw[sync] = Math.round(median(runs));
  }
  const rows: Record<string, unknown>[] = [];
  for (const provider of providers) {
    const server = await startStategate({ provider });
    try {
      for (const t of TRANSPORTS) {
        ctx.log(`S2 ${provider} ${t.name} Set`);
        const params = { domain: `w${t.name}`, type: 'doc', keys: 1000 };
        // The networked providers get one max run (each is slow and the suite must fit 15 minutes).
        const max = await pairedMax(
          ctx,
          t.floor,
          t.proto,
          server.url,
          SET_OP[t.name],
          params,
          provider === 'sqlite' ? ctx.runs : 1,
        );
        const at50 = await measureOpen(ctx, t.proto, server.url, SET_OP[t.name], max.opsPerS * 0.5, params);
        const at80 = await measureOpen(ctx, t.proto, server.url, SET_OP[t.name], max.opsPerS * 0.8, params);
        rows.push({
          provider,
          transport: t.name,
          max,
          at50,
          at80,
          floor: max.floorOpsPerS,
          ratioToFloor: max.ratio,
          ratioToRawFull: provider === 'sqlite' ? ratio(max.opsPerS, raw.FULL!) : undefined,
        });
      }
    } finally {
      await server.stop();
    }
  }
  return { raw, rows };
}
