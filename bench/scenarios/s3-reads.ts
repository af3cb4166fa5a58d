import { type Ctx, pairedMax, ratio, rawSqlite } from '../lib/context.js';
import { PROVIDERS, type Provider, startStategate } from '../lib/stategate.js';
import { median } from '../lib/stats.js';
import { floors } from './s1-floor.js';

/**
 * S3 reads: Get over REST, gRPC and GraphQL, and a Search answering 100 rows (REST), on each provider; vs raw
 * better-sqlite3 `stmt.get()` / `stmt.all()` (each parsing the values, as the server must) and the S1 floors.
 */
export async function s3(ctx: Ctx, providers: Provider[] = PROVIDERS) {
  await floors(ctx);
  ctx.log('S3 raw better-sqlite3 get/all');
  const rawRuns = [];
  for (let i = 0; i < ctx.runs; i++)
    rawRuns.push(await rawSqlite<{ getPerS: number; allPerS: number }>(['reads', String(ctx.maxS)]));
  const raw = {
    get: Math.round(median(rawRuns.map((r) => r.getPerS))),
    all: Math.round(median(rawRuns.map((r) => r.allPerS))),
  };
  const rows: Record<string, unknown>[] = [];
  for (const provider of providers) {
    const server = await startStategate({ provider });
    try {
      const params = { domain: 'reads', type: 'doc', keys: 100 };
      await seed(server.url, params.domain, params.type, params.keys);
      const runs = provider === 'sqlite' ? ctx.runs : 1;
      const cases = [
        { name: 'get', transport: 'rest', proto: 'http', op: 'rest.get', floor: 'http', raw: raw.get },
        { name: 'get', transport: 'grpc', proto: 'grpc', op: 'grpc.get', floor: 'grpcGet', raw: raw.get },
        { name: 'get', transport: 'graphql', proto: 'http', op: 'gql.get', floor: 'yoga', raw: raw.get },
        { name: 'search100', transport: 'rest', proto: 'http', op: 'rest.search', floor: 'http', raw: raw.all },
      ] as const;
      // GraphQL's Get is the target's row on sqlite; the networked providers skip it (time budget).
      for (const c of cases.filter((k) => provider === 'sqlite' || k.transport !== 'graphql')) {
        ctx.log(`S3 ${provider} ${c.transport} ${c.name}`);
        const max = await pairedMax(ctx, c.floor, c.proto, server.url, c.op, params, runs);
        rows.push({
          provider,
          op: c.name,
          transport: c.transport,
          max,
          ratioToFloor: max.ratio,
          ratioToRaw: provider === 'sqlite' ? ratio(max.opsPerS, c.raw) : undefined,
        });
      }
    } finally {
      await server.stop();
    }
  }
  return { raw, rows };
}

/** `keys` entities written over REST, 16 at a time. */
export async function seed(url: string, domain: string, type: string, keys: number) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < keys) {
        const k = next++;
        const res = await fetch(`${url}/api/entity/ref/${domain}/${type}/k${k}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ values: { first_name: 'Coleman', last_name: 'Word', title: 'CFO', n: k } }),
        });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`seed ${k}: HTTP ${res.status}`);
      }
    }),
  );
}
