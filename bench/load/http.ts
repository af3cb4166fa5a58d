import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import { histogram, type Latency, latencyOf, nowMs } from '../lib/stats.js';
import { httpOp, type OpParams } from './ops.js';

export interface MaxJob {
  url: string;
  op: string;
  params?: OpParams;
  connections: number;
  durationS: number;
  warmupS?: number;
}

export interface MaxResult {
  opsPerS: number;
  ok: number;
  errors: number;
  /** Closed-loop latency (autocannon's; coordinated omission applies, see the open-model runs). */
  closedP50Ms: number;
  closedP99Ms: number;
  firstError?: string;
}

/** Maximum throughput: `connections` keep-alive connections, each sending its next request on an answer. */
export async function httpMax(job: MaxJob): Promise<MaxResult> {
  const run = (durationS: number) => {
    let n = 0;
    const make = httpOp(job.op, job.params ?? {});
    return autocannon({
      url: job.url,
      connections: job.connections,
      duration: durationS,
      requests: [
        {
          setupRequest: (req: Record<string, unknown>) => {
            const spec = make(n++);
            return { ...req, method: spec.method, path: spec.path, body: spec.body, headers: spec.headers };
          },
        },
      ],
    });
  };
  if (job.warmupS) await run(job.warmupS);
  const r = await run(job.durationS);
  const ok = r['2xx'];
  return {
    opsPerS: ok / r.duration,
    ok,
    errors: r.non2xx + r.errors + r.timeouts,
    closedP50Ms: r.latency.p50,
    closedP99Ms: r.latency.p99,
  };
}

export interface OpenJob {
  url: string;
  op: string;
  params?: OpParams;
  /** Requests per second, on a fixed schedule whatever the answers do. */
  rate: number;
  durationS: number;
  connections: number;
}

export interface OpenResult extends Latency {
  rate: number;
  sent: number;
  ok: number;
  errors: number;
  achievedPerS: number;
}

/**
 * Open-model load: request i is due at start + i/rate and is sent then (queued behind busy connections if
 * need be); its latency counts from that scheduled time, so a stall shows up in full (no coordinated
 * omission).
 */
export async function httpOpen(job: OpenJob): Promise<OpenResult> {
  const target = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections });
  const make = httpOp(job.op, job.params ?? {});
  const h = histogram();
  let ok = 0;
  let errors = 0;
  let outstanding = 0;
  const total = Math.round(job.rate * job.durationS);
  const start = nowMs() + 20;
  const send = (i: number, scheduled: number) => {
    const spec = make(i);
    outstanding++;
    const done = (good: boolean) => {
      outstanding--;
      if (good) ok++;
      else errors++;
      h.recordValue(Math.max(1, Math.round((nowMs() - scheduled) * 1000)));
    };
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method: spec.method,
        path: spec.path,
        headers: spec.body ? { ...spec.headers, 'content-length': Buffer.byteLength(spec.body) } : spec.headers,
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => done((res.statusCode ?? 500) < 300));
        res.on('error', () => done(false));
      },
    );
    req.on('error', () => done(false));
    req.end(spec.body);
  };
  let next = 0;
  await new Promise<void>((finished) => {
    const tick = () => {
      const now = nowMs();
      while (next < total && start + (next * 1000) / job.rate <= now) {
        send(next, start + (next * 1000) / job.rate);
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
  agent.destroy();
  const elapsedS = (nowMs() - start) / 1000;
  return { rate: job.rate, sent: total, ok, errors, achievedPerS: ok / elapsedS, ...latencyOf(h) };
}
