import type { Ctx } from '../lib/context.js';
import { startStategate, URLS } from '../lib/stategate.js';

/**
 * S7 across instances: two stategate processes on PostgreSQL with a Redis bus, then with NATS. One
 * graphql-ws subscriber on B, writes on A at 100/s: A→B delivery p50/p99; the same with subscriber and
 * writer on one instance; baseline a raw ioredis publish→subscribe ping at the same rate.
 */
const EVENTS = 300;

export async function s7(ctx: Ctx) {
  const load = await ctx.load();
  ctx.log('S7 raw ioredis publish→subscribe');
  const raw = await load.call<{ p50Ms: number; p99Ms: number; got: number }>('redisRaw', {
    url: URLS.redis,
    op: 'ping',
    rate: 100,
    count: EVENTS,
  });
  const rows: Record<string, unknown>[] = [];
  for (const bus of ['redis', 'nats'] as const) {
    const a = await startStategate({ provider: 'postgres', cache: bus });
    const b = await startStategate({ provider: 'postgres', cache: bus });
    try {
      for (const where of ['single', 'cross'] as const) {
        ctx.log(`S7 postgres+${bus} ${where}`);
        const domain = `cluster${Date.now().toString(36)}`;
        const subscriberUrl = where === 'cross' ? b.url : a.url;
        await load.call('subscribe', { url: subscriberUrl, transport: 'graphql-ws', n: 1, domain });
        await load.call('warm', { url: a.url, transport: 'graphql-ws', domain, n: 1 });
        const r = await load.call<{ delivery: { p50Ms: number; p99Ms: number }; delivered: number; expected: number }>(
          'publish',
          {
            url: subscriberUrl,
            publishUrl: a.url,
            transport: 'graphql-ws',
            domain,
            n: 1,
            rate: 100,
            events: EVENTS,
            drainS: 10,
          },
        );
        await load.call('close');
        rows.push({
          bus,
          where,
          p50Ms: r.delivery.p50Ms,
          p99Ms: r.delivery.p99Ms,
          delivered: r.delivered,
          expected: r.expected,
        });
      }
    } finally {
      await a.stop();
      await b.stop();
    }
  }
  return { raw, rows };
}
