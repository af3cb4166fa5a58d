/**
 * Readiness at a glance, from /readyz on this port (the same answer a load balancer gets). Prometheus metrics
 * live on the separate metrics port, which a browser page on this port cannot read; the panel says where.
 */
import { useEffect, useState } from 'preact/hooks';

interface Check {
  ok?: boolean;
  ms?: number;
  error?: string;
}

interface Readiness {
  status: string;
  degraded?: boolean;
  checks?: Record<string, Check>;
}

type Probe = { at: Date; httpStatus: number; body: Readiness | null } | { at: Date; error: string };

const REFRESH_MS = 5000;

function checksOf(body: Readiness): [string, Check][] {
  return Object.entries(body.checks ?? {});
}

export function Health() {
  const [probe, setProbe] = useState<Probe | null>(null);
  useEffect(() => {
    let live = true;
    const run = async () => {
      try {
        const res = await fetch('/readyz', { cache: 'no-store' });
        const body = (await res.json().catch(() => null)) as Readiness | null;
        if (live) setProbe({ at: new Date(), httpStatus: res.status, body });
      } catch (err) {
        if (live) setProbe({ at: new Date(), error: String(err) });
      }
    };
    void run();
    const timer = setInterval(run, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  const ready = probe !== null && 'httpStatus' in probe && probe.httpStatus === 200;
  return (
    <section aria-labelledby="health-title">
      <h2 id="health-title">Server health</h2>
      {probe === null && <p aria-busy="true">Asking /readyz…</p>}
      {probe !== null && 'error' in probe && (
        <div class="note error" role="alert">
          <strong>The server does not answer /readyz</strong>
          <p>{probe.error}</p>
          <p>Check that it is running and reachable; this panel retries every {REFRESH_MS / 1000} s.</p>
        </div>
      )}
      {probe !== null && 'httpStatus' in probe && (
        <>
          <p>
            <span class={`badge ${ready ? 'ok' : 'bad'}`} data-testid="readiness">
              {probe.body?.status ?? `HTTP ${probe.httpStatus}`}
            </span>
            {probe.body?.degraded ? ' (degraded)' : ''} <small>as of {probe.at.toLocaleTimeString()}</small>
          </p>
          {probe.body && checksOf(probe.body).length > 0 && (
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Dependency</th>
                    <th scope="col">State</th>
                    <th scope="col" class="num">
                      Time
                    </th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody>
                  {checksOf(probe.body).map(([name, check]) => (
                    <tr key={name}>
                      <td>{name}</td>
                      <td>
                        <span class={`badge ${check.ok ? 'ok' : 'bad'}`}>{check.ok ? 'ok' : 'failing'}</span>
                      </td>
                      <td class="num">{check.ms !== undefined ? `${check.ms} ms` : ''}</td>
                      <td>{check.error ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      <p class="hint">
        Metrics (requests, latencies, streams, storage timings) are served in Prometheus format on the metrics port (by
        default this port + 1, path <code>/metrics</code>, loopback only while authentication is on): point Prometheus
        or <code>curl</code> there. This page only reads this port.
      </p>
    </section>
  );
}
