import { type Client, createClient, type Transport } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { CacheService, EntityService, MutexService } from '../../src/generated/stategate_pb.js';
import { histogram, latencyOf, nowMs } from '../lib/stats.js';
import type { MaxResult, OpenResult } from './http.js';
import { type OpParams, valuesFor } from './ops.js';

/** gRPC (HTTP/2) load through connect-node's gRPC transport, one HTTP/2 session per 16 concurrent callers. */

interface Clients {
  entities: Client<typeof EntityService>;
  cache: Client<typeof CacheService>;
  mutex: Client<typeof MutexService>;
}

export function grpcTransport(url: string): Transport {
  return createGrpcTransport({ baseUrl: url });
}

function clientsFor(url: string): Clients {
  const t = grpcTransport(url);
  return {
    entities: createClient(EntityService, t),
    cache: createClient(CacheService, t),
    mutex: createClient(MutexService, t),
  };
}

type Call = (c: Clients, n: number) => Promise<unknown>;

function grpcOp(op: string, p: OpParams): Call {
  const domain = p.domain ?? 'bench';
  const type = p.type ?? 'doc';
  const keys = p.keys ?? 1000;
  const headers = p.headers ?? {};
  const key = (n: number) => `k${n % keys}`;
  switch (op) {
    case 'grpc.get':
      return (c, n) => c.entities.get({ domain, type, key: key(n) }, { headers });
    case 'grpc.set':
      return (c, n) => c.entities.set({ domain, type, key: key(n), values: valuesFor(n) }, { headers });
    case 'grpc.search':
      return (c) => c.entities.search({ domain, type, limit: 100 }, { headers });
    case 'grpc.cache.set':
      return (c, n) =>
        c.cache.set({ domain, key: key(n), value: { kind: { case: 'numberValue', value: n } } }, { headers });
    case 'grpc.cache.get':
      return (c, n) => c.cache.get({ domain, key: key(n) }, { headers });
    case 'grpc.cache.setget':
      return async (c, n) => {
        await c.cache.set({ domain, key: key(n), value: { kind: { case: 'numberValue', value: n } } }, { headers });
        await c.cache.get({ domain, key: key(n) }, { headers });
      };
    default:
      throw new Error(`unknown grpc op ${op}`);
  }
}

export interface GrpcMaxJob {
  url: string;
  op: string;
  params?: OpParams;
  concurrency: number;
  durationS: number;
  warmupS?: number;
}

/** Closed loop: `concurrency` callers, each making its next call when the last one is answered. */
export async function grpcMax(job: GrpcMaxJob): Promise<MaxResult> {
  const sessions = Array.from({ length: Math.ceil(job.concurrency / 16) }, () => clientsFor(job.url));
  const call = grpcOp(job.op, job.params ?? {});
  let firstError: string | undefined;
  const run = async (durationS: number) => {
    let n = 0;
    let ok = 0;
    let errors = 0;
    const h = histogram();
    const end = nowMs() + durationS * 1000;
    const start = nowMs();
    await Promise.all(
      Array.from({ length: job.concurrency }, async (_, w) => {
        const c = sessions[w % sessions.length]!;
        while (nowMs() < end) {
          const t0 = nowMs();
          try {
            await call(c, n++);
            ok++;
          } catch (err) {
            errors++;
            firstError ??= String((err as Error).message ?? err);
          }
          h.recordValue(Math.max(1, Math.round((nowMs() - t0) * 1000)));
        }
      }),
    );
    return { ok, errors, seconds: (nowMs() - start) / 1000, lat: latencyOf(h) };
  };
  if (job.warmupS) await run(job.warmupS);
  const r = await run(job.durationS);
  return {
    opsPerS: r.ok / r.seconds,
    ok: r.ok,
    errors: r.errors,
    closedP50Ms: r.lat.p50Ms,
    closedP99Ms: r.lat.p99Ms,
    firstError,
  };
}

export interface GrpcOpenJob {
  url: string;
  op: string;
  params?: OpParams;
  rate: number;
  durationS: number;
}

/** Open model over gRPC: calls due on a fixed schedule, latency from the scheduled time. */
export async function grpcOpen(job: GrpcOpenJob): Promise<OpenResult> {
  const sessions = Array.from({ length: 4 }, () => clientsFor(job.url));
  const call = grpcOp(job.op, job.params ?? {});
  const h = histogram();
  let ok = 0;
  let errors = 0;
  let outstanding = 0;
  const total = Math.round(job.rate * job.durationS);
  const start = nowMs() + 20;
  let next = 0;
  await new Promise<void>((finished) => {
    const tick = () => {
      const now = nowMs();
      while (next < total && start + (next * 1000) / job.rate <= now) {
        const scheduled = start + (next * 1000) / job.rate;
        outstanding++;
        call(sessions[next % sessions.length]!, next)
          .then(
            () => ok++,
            () => errors++,
          )
          .finally(() => {
            outstanding--;
            h.recordValue(Math.max(1, Math.round((nowMs() - scheduled) * 1000)));
          });
        next++;
      }
      if (next < total) setTimeout(tick, 1);
      else finished();
    };
    setTimeout(tick, 20);
  });
  const drainUntil = nowMs() + 15_000;
  while (outstanding > 0 && nowMs() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  errors += outstanding;
  const elapsedS = (nowMs() - start) / 1000;
  return { rate: job.rate, sent: total, ok, errors, achievedPerS: ok / elapsedS, ...latencyOf(h) };
}

/**
 * Mutual exclusion under contention: `workers` callers lock one key, hold it briefly, unlock. A grant while
 * another worker holds the lease, or a fencing number not above the last one, is a violation.
 */
export async function grpcMutex(job: { url: string; workers: number; durationS: number; domain: string }) {
  const sessions = Array.from({ length: Math.ceil(job.workers / 16) }, () => clientsFor(job.url));
  let holders = 0;
  let violations = 0;
  let grants = 0;
  let refusals = 0;
  let errors = 0;
  let lastFencing = 0n;
  const end = nowMs() + job.durationS * 1000;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: job.workers }, async (_, w) => {
      const c = sessions[w % sessions.length]!;
      while (nowMs() < end) {
        let lease: { token: string; fencing: bigint } | undefined;
        try {
          lease = await c.mutex.lock({ domain: job.domain, key: 'the-lock' });
        } catch (err) {
          if (String((err as Error).message).includes('already_exists') || String(err).includes('ALREADY')) refusals++;
          else errors++;
          continue;
        }
        grants++;
        if (holders > 0) violations++;
        if (lease.fencing <= lastFencing) violations++;
        lastFencing = lease.fencing;
        holders++;
        await new Promise((r) => setImmediate(r));
        // Released before Unlock is sent: the lease is still held until the server answers, so a grant
        // elsewhere while `holders > 0` can only be a real overlap.
        holders--;
        try {
          await c.mutex.unlock({ domain: job.domain, key: 'the-lock', token: lease.token });
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (nowMs() - start) / 1000;
  return {
    grantsPerS: grants / seconds,
    attemptsPerS: (grants + refusals) / seconds,
    grants,
    refusals,
    errors,
    violations,
  };
}
