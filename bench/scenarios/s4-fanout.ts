import { type Ctx, ratio, startBaseline } from '../lib/context.js';
import { rssBytes, sleep } from '../lib/proc.js';
import { startStategate } from '../lib/stategate.js';
import { median } from '../lib/stats.js';

/**
 * S4 fan-out and S5 memory. One publisher at 100/s and 1,000/s to 1, 100, 1,000 and 10,000 subscribers over
 * graphql-ws, gRPC and SSE (REST), against a raw `ws` server broadcasting one pre-serialized buffer to the
 * same number of sockets. Subscriber counts run largest first on a fresh server, so the 10,000 step also
 * gives S5: the server's idle RSS, then its RSS with 10,000 idle subscriptions.
 *
 * Each run publishes at most 200,000 deliveries' worth of events (20 events at 10,000 subscribers), so the
 * suite fits its time budget; the target case (1,000 subscribers × 100/s) runs `ctx.runs` times.
 */

export const FANOUT_TRANSPORTS = ['raw-ws', 'graphql-ws', 'grpc', 'sse'] as const;
type T = (typeof FANOUT_TRANSPORTS)[number];
const COUNTS = [10_000, 1000, 100, 1];
const RATES = [100, 1000];

interface PublishResult {
  rate: number;
  events: number;
  subscribers: number;
  expected: number;
  delivered: number;
  writeErrors: number;
  deliveriesPerS: number;
  delivery: { p50Ms: number; p99Ms: number; maxMs: number };
  lastSubscriber: { p50Ms: number; p99Ms: number; maxMs: number };
  eventsFullyDelivered: number;
}

export interface MemoryRow {
  transport: T;
  idleRssMb: number;
  rssWith10kMb: number;
  perSubscriptionKb: number;
  subscribed: number;
}

async function startTarget(transport: T) {
  if (transport === 'raw-ws') return startBaseline('raw-ws.mjs');
  return startStategate({ provider: 'sqlite' });
}

export async function fanout(ctx: Ctx, options: { counts?: number[]; memoryOnly?: boolean } = {}) {
  const load = await ctx.load();
  const rows: Array<Record<string, unknown>> = [];
  const memory: MemoryRow[] = [];
  for (const transport of FANOUT_TRANSPORTS) {
    const server = await startTarget(transport);
    try {
      await sleep(1500);
      const idle = rssBytes(server.proc.pid);
      for (const n of options.counts ?? COUNTS) {
        ctx.log(`S4 ${transport}: ${n} subscribers`);
        const domain = `fan${n}`;
        const sub = await load.call<{ opened: number; failed: number; seconds: number }>('subscribe', {
          url: server.url,
          transport,
          n,
          domain,
        });
        const warm = await load.call<{ live: number }>('warm', { url: server.url, transport, domain, n });
        if (n === 10_000) {
          await sleep(1000);
          const rss = rssBytes(server.proc.pid);
          memory.push({
            transport,
            idleRssMb: Math.round(idle / 1e5) / 10,
            rssWith10kMb: Math.round(rss / 1e5) / 10,
            perSubscriptionKb: Math.round(((rss - idle) / Math.max(1, sub.opened) / 1024) * 10) / 10,
            subscribed: sub.opened,
          });
        }
        if (!options.memoryOnly) {
          // At 10,000 subscribers both rates publish the same 20 events: 100/s only (time budget).
          for (const rate of n === 10_000 ? [100] : RATES) {
            const events = Math.max(10, Math.min(rate * 2, Math.floor(200_000 / n)));
            const repeats = n === 1000 && rate === 100 ? ctx.runs : 1;
            const results: PublishResult[] = [];
            for (let i = 0; i < repeats; i++) {
              results.push(
                await load.call<PublishResult>('publish', {
                  url: server.url,
                  transport,
                  domain,
                  n,
                  rate,
                  events,
                  drainS: 5,
                }),
              );
            }
            const mid = results.sort((a, b) => a.deliveriesPerS - b.deliveriesPerS)[Math.floor(results.length / 2)]!;
            rows.push({
              transport,
              subscribers: n,
              opened: sub.opened,
              failedToOpen: sub.failed,
              connectSeconds: Math.round(sub.seconds * 10) / 10,
              live: warm.live,
              rate,
              events,
              runs: results.length,
              deliveriesPerS: Math.round(mid.deliveriesPerS),
              deliveriesPerSRuns: results.map((r) => Math.round(r.deliveriesPerS)),
              deliveredFraction: Math.round((mid.delivered / Math.max(1, mid.expected)) * 1000) / 1000,
              p50Ms: median(results.map((r) => r.delivery.p50Ms)),
              p99Ms: median(results.map((r) => r.delivery.p99Ms)),
              lastSubscriberP50Ms: mid.lastSubscriber.p50Ms,
              lastSubscriberMaxMs: mid.lastSubscriber.maxMs,
              writeErrors: mid.writeErrors,
            });
          }
        }
        await load.call('close');
        await sleep(500);
      }
    } finally {
      await server.stop();
    }
  }
  // Ratios to the raw ws broadcast at the same subscribers and rate.
  for (const row of rows) {
    const raw = rows.find((r) => r.transport === 'raw-ws' && r.subscribers === row.subscribers && r.rate === row.rate);
    if (raw) row.ratioToRaw = ratio(row.deliveriesPerS as number, raw.deliveriesPerS as number);
  }
  return { rows, memory };
}

export async function s4(ctx: Ctx) {
  const result = await fanout(ctx);
  ctx.results.s5 = { memory: result.memory, fromS4: true };
  return { rows: result.rows };
}

/** S5 on its own: each transport's idle RSS and 10,000 idle subscriptions, nothing published. */
export async function s5(ctx: Ctx) {
  const idle = await idleRss();
  const fromS4 = ctx.results.s5 as { memory: MemoryRow[] } | undefined;
  const memory = fromS4?.memory ?? (await fanout(ctx, { counts: [10_000], memoryOnly: true })).memory;
  return { memory, idle, fromS4: Boolean(fromS4) };
}

/** A fresh stategate (sqlite, memory cache) after start-up: its RSS doing nothing. */
export async function idleRss() {
  const server = await startStategate({ provider: 'sqlite' });
  await sleep(3000);
  const rss = rssBytes(server.proc.pid);
  await server.stop();
  return { stategateIdleRssMb: Math.round(rss / 1e5) / 10 };
}
