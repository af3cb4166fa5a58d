import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '../../generated/grpc/health/v1/health_pb.js';

/**
 * The standard gRPC health service (grpc.health.v1.Health): SERVING for the server as a whole ("") and
 * for each named service while the server runs. Check of an unknown name is NOT_FOUND; Watch answers
 * SERVICE_UNKNOWN for it and stays open, as the protocol says. When the server shuts down, each Watch
 * is told NOT_SERVING and ends with UNAVAILABLE, so no health stream holds a graceful shutdown up.
 */
export function healthRoutes(services: readonly string[], shutdown: AbortSignal) {
  const known = new Set(['', ...services]);
  const statusOf = (service: string): ServingStatus => {
    if (!known.has(service)) return ServingStatus.SERVICE_UNKNOWN;
    return shutdown.aborted ? ServingStatus.NOT_SERVING : ServingStatus.SERVING;
  };
  const answer = (status: ServingStatus): HealthCheckResponse => create(HealthCheckResponseSchema, { status });

  return (router: ConnectRouter): void => {
    router.service(Health, {
      check(request: HealthCheckRequest) {
        const status = statusOf(request.service);
        if (status === ServingStatus.SERVICE_UNKNOWN) {
          throw new ConnectError(`unknown service ${request.service}`, Code.NotFound);
        }
        return answer(status);
      },
      async *watch(request: HealthCheckRequest, context: HandlerContext) {
        yield answer(statusOf(request.service));
        // Statuses change only at shutdown: wait for it, or for the client to go away.
        const ended = await new Promise<'shutdown' | 'client'>((resolve) => {
          if (shutdown.aborted) return resolve('shutdown');
          if (context.signal.aborted) return resolve('client');
          const onShutdown = () => {
            context.signal.removeEventListener('abort', onClient);
            resolve('shutdown');
          };
          const onClient = () => {
            shutdown.removeEventListener('abort', onShutdown);
            resolve('client');
          };
          shutdown.addEventListener('abort', onShutdown, { once: true });
          context.signal.addEventListener('abort', onClient, { once: true });
        });
        if (ended === 'client') return;
        if (known.has(request.service)) yield answer(ServingStatus.NOT_SERVING);
        throw new ConnectError('server is shutting down', Code.Unavailable);
      },
    });
  };
}
