import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import type { CheckName, Readiness } from '../../core/readiness.js';
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../../generated/grpc/health/v1/health_pb.js';

/**
 * The dependency each service's status follows. The server as a whole ("", what orchestrators ask) is
 * SERVING exactly when /readyz says ready, i.e. while storage answers; a service that needs only the
 * bus, cache or mutex follows that check, so a client can tell which part is down.
 */
const dependsOn: Readonly<Record<string, CheckName>> = {
  '': 'storage',
  'stategate.EntityService': 'storage',
  'stategate.EventService': 'storage',
  'stategate.PeerService': 'bus',
  'stategate.CacheService': 'cache',
  'stategate.MutexService': 'mutex',
};

/** How often an open Watch re-reads readiness (itself cached, so many watchers cost one probe). */
const WATCH_POLL_MS = 1000;

/**
 * The standard gRPC health service (grpc.health.v1.Health). Check of an unknown name is NOT_FOUND; Watch
 * answers SERVICE_UNKNOWN for it and stays open, as the protocol says. A known service is SERVING while
 * its dependency answers (see dependsOn) and NOT_SERVING otherwise; Watch sends each change, within about
 * a second. When the server shuts down, each Watch is told NOT_SERVING and ends with UNAVAILABLE, so no
 * health stream holds a graceful shutdown up.
 */
export function healthRoutes(
  services: readonly string[],
  shutdown: AbortSignal,
  readiness: () => Promise<Readiness> = alwaysReady,
) {
  const known = new Set(['', ...services]);
  const statusOf = async (service: string): Promise<ServingStatus> => {
    if (!known.has(service)) return ServingStatus.SERVICE_UNKNOWN;
    if (shutdown.aborted) return ServingStatus.NOT_SERVING;
    const check = dependsOn[service];
    if (check === undefined) return ServingStatus.SERVING;
    const { checks } = await readiness();
    return checks[check].ok && !shutdown.aborted ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  };
  const answer = (status: ServingStatus): HealthCheckResponse => create(HealthCheckResponseSchema, { status });

  return (router: ConnectRouter): void => {
    router.service(Health, {
      async check(request: HealthCheckRequest) {
        const status = await statusOf(request.service);
        if (status === ServingStatus.SERVICE_UNKNOWN) {
          throw new ConnectError(`unknown service ${request.service}`, Code.NotFound);
        }
        return answer(status);
      },
      async *watch(request: HealthCheckRequest, context: HandlerContext) {
        let last = await statusOf(request.service);
        yield answer(last);
        for (;;) {
          const next = await tick(WATCH_POLL_MS, shutdown, context.signal);
          if (next === 'client') return;
          if (next === 'shutdown') break;
          const status = await statusOf(request.service);
          if (status !== last) {
            last = status;
            yield answer(status);
          }
        }
        if (known.has(request.service) && last !== ServingStatus.NOT_SERVING) yield answer(ServingStatus.NOT_SERVING);
        throw new ConnectError('server is shutting down', Code.Unavailable);
      },
    });
  };
}

/** Waits `ms`, or less when the server shuts down or the client goes away (shutdown wins a tie). */
function tick(ms: number, shutdown: AbortSignal, client: AbortSignal): Promise<'tick' | 'shutdown' | 'client'> {
  if (shutdown.aborted) return Promise.resolve('shutdown');
  if (client.aborted) return Promise.resolve('client');
  return new Promise((resolve) => {
    const done = (why: 'tick' | 'shutdown' | 'client') => {
      clearTimeout(timer);
      shutdown.removeEventListener('abort', onShutdown);
      client.removeEventListener('abort', onClient);
      resolve(why);
    };
    const onShutdown = () => done('shutdown');
    const onClient = () => done('client');
    const timer = setTimeout(() => done('tick'), ms);
    shutdown.addEventListener('abort', onShutdown, { once: true });
    client.addEventListener('abort', onClient, { once: true });
  });
}

/** Without a readiness source (tests of the transport alone) every dependency counts as up. */
const alwaysReady = async (): Promise<Readiness> => {
  const ok = { ok: true, ms: 0 };
  return { ready: true, degraded: false, checks: { storage: ok, bus: ok, cache: ok, mutex: ok } };
};
