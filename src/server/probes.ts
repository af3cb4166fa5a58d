import type { ServerResponse } from 'node:http';
import type { Readiness } from '../core/readiness.js';

/**
 * `/healthz` is liveness: 200 while the process serves HTTP at all, whatever its dependencies say, so an
 * orchestrator restarts only a process that is stuck, never one that waits for its database.
 */
export function sendLiveness(res: ServerResponse): void {
  send(res, 200, { status: 'ok' });
}

/**
 * `/readyz` is readiness: 200 `{"status":"ready"}` while storage answers, 503 `{"status":"unavailable"}`
 * otherwise (and while shutting down), with each check's outcome. The body holds no configuration: check
 * names, timings and the redacted error a client would get anyway.
 */
export async function sendReadiness(res: ServerResponse, readiness: () => Promise<Readiness>): Promise<void> {
  const { ready, degraded, checks } = await readiness();
  send(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', degraded, checks });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  // Probes must see the current answer, never one kept by a proxy.
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
