import { request } from 'node:http';

/** The bound the abuse catalogue holds `/healthz` to, during and after every case (a correctness bound). */
export const HEALTH_BOUND_MS = 1000;

export interface Probe {
  ok: boolean;
  /** Wall time from opening the connection to the whole answer. */
  ms: number;
  /** Why it failed: a status, an error or a timeout. */
  detail: string;
}

/**
 * One `/healthz` request on a fresh TCP connection (agent: false), so it never queues behind the
 * connections a case is abusing. Bounded: it gives up after `timeoutMs` (a timeout is a failed probe).
 * `localAddress` picks the client's loopback address, so per-IP limits hit by a case (from another
 * loopback address) do not count against the probe.
 */
export function probeHealth(baseUrl: string, timeoutMs = HEALTH_BOUND_MS, localAddress = '127.0.0.1'): Promise<Probe> {
  const started = performance.now();
  const url = new URL('/healthz', baseUrl);
  return new Promise<Probe>((resolve) => {
    let settled = false;
    const finish = (ok: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      const ms = performance.now() - started;
      // A probe that answered but late (an event loop blocked past the timer) is as bad as no answer.
      resolve({ ok: ok && ms <= timeoutMs, ms, detail: ok && ms > timeoutMs ? `answered late (${ms} ms)` : detail });
    };
    const req = request(url, { agent: false, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => finish(res.statusCode === 200 && body.includes('ok'), `status ${res.statusCode}`));
      res.on('error', (err) => finish(false, err.message));
    });
    req.on('error', (err) => finish(false, err.message));
    const timer = setTimeout(() => finish(false, `no answer within ${timeoutMs} ms`), timeoutMs);
    req.end();
  });
}

/**
 * Probes `/healthz` back to back (one at a time, `intervalMs` apart) until stopped; `stop()` answers every
 * probe made, the last one finished. Used around a case to check health *during* it.
 */
export function watchHealth(baseUrl: string, intervalMs = 100): { stop(): Promise<Probe[]> } {
  const probes: Probe[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      probes.push(await probeHealth(baseUrl));
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return probes;
    },
  };
}

/** Asserts every probe answered 200 within the bound; the message lists the ones that did not. */
export function expectHealthy(probes: Probe[], when: string): void {
  const bad = probes.filter((p) => !p.ok);
  if (bad.length > 0) {
    throw new Error(
      `/healthz ${when}: ${bad.length} of ${probes.length} probes failed: ${bad
        .slice(0, 3)
        .map((p) => `${p.detail} after ${Math.round(p.ms)} ms`)
        .join('; ')}`,
    );
  }
}
