import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConnectError, createConnectRouter } from '@connectrpc/connect';
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from '@connectrpc/connect-node';
import type { StategateApi } from '../../core/api.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Readiness } from '../../core/readiness.js';
import { file_grpc_health_v1_health, Health } from '../../generated/grpc/health/v1/health_pb.js';
import {
  file_grpc_reflection_v1_reflection,
  ServerReflection,
} from '../../generated/grpc/reflection/v1/reflection_pb.js';
import {
  file_grpc_reflection_v1alpha_reflection,
  ServerReflection as ServerReflectionV1alpha,
} from '../../generated/grpc/reflection/v1alpha/reflection_pb.js';
import { file_stategate } from '../../generated/stategate_pb.js';
import { peerContextValues, rpcTransport } from './call-context.js';
import { rejectUnknownEnvelopeFlags } from './envelope-flags.js';
import { reportParseErrorsAsInvalidArgument } from './errors.js';
import { grpcPercentEncode, withSpecGrpcMessage } from './grpc-message.js';
import { healthRoutes } from './health.js';
import { reflectionRoutes } from './reflection.js';
import { stategateRoutes, stategateServices } from './stategate-routes.js';

export { rpcTransport } from './call-context.js';

/** The largest request message accepted, as gRPC's default: 4 MiB. Larger is RESOURCE_EXHAUSTED. */
export const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;

export interface RpcHandlerOptions {
  api: StategateApi;
  logger: Logger;
  /** The largest request message, in bytes (default DEFAULT_READ_MAX_BYTES); STATEGATE_MAX_BODY_BYTES. */
  readMaxBytes?: number;
  /** What gRPC health reports (see healthRoutes); without it every service is SERVING until shutdown. */
  readiness?: () => Promise<Readiness>;
}

/** gRPC, gRPC-Web and Connect for every stategate service, plus gRPC health and server reflection. */
export interface RpcHandler {
  /** True for a request path this handler answers: `/stategate.…` and `/grpc.…` (unknown rpcs: UNIMPLEMENTED). */
  matches(path: string): boolean;
  /** The (req, res) handler, the same for HTTP/1.1 and HTTP/2. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Shutdown: health watchers are told NOT_SERVING and, like open reflection streams, end with UNAVAILABLE. */
  close(): void;
}

/** Every service served, stategate's first. */
const services = [...stategateServices, Health, ServerReflection, ServerReflectionV1alpha];

/** The fully-qualified names of every service served, e.g. `stategate.EntityService`. */
export const rpcServiceNames: readonly string[] = services.map((s) => s.typeName);

/**
 * The RPC face of stategate, with connect-es: the three protocols on one handler, told apart by content
 * type (gRPC needs HTTP/2; gRPC-Web and Connect also work over HTTP/1.1, bidi reflection streams do not).
 */
export function createRpcHandler(options: RpcHandlerOptions): RpcHandler {
  const { logger } = options;
  const shutdown = new AbortController();
  const router = createConnectRouter({
    grpc: true,
    grpcWeb: true,
    connect: true,
    acceptCompression: [compressionGzip, compressionBrotli],
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    requestGate: (context) => reportParseErrorsAsInvalidArgument(context.signal),
  });
  stategateRoutes(options.api, logger)(router);
  healthRoutes(
    stategateServices.map((s) => s.typeName),
    shutdown.signal,
    options.readiness,
  )(router);
  reflectionRoutes(
    {
      services: rpcServiceNames,
      files: [
        file_stategate,
        file_grpc_health_v1_health,
        file_grpc_reflection_v1_reflection,
        file_grpc_reflection_v1alpha_reflection,
      ],
    },
    shutdown.signal,
  )(router);
  const handlers = new Map(router.handlers.map((handler) => [handler.requestPath, handler]));

  // connect-node's connectNodeAdapter, but with our logger: the adapter reports every response it could
  // not write on console.error, and most of those are clients that went away mid-stream.
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const handler = handlers.get(path);
    if (!handler) {
      unimplemented(req, res);
      return;
    }
    let request: ReturnType<typeof universalRequestFromNodeRequest>;
    try {
      request = universalRequestFromNodeRequest(req, res, undefined, peerContextValues(req.socket.remoteAddress));
      if (rpcTransport(req.headers['content-type'] ?? null) !== 'connect' && isByteStream(request.body)) {
        request = { ...request, body: rejectUnknownEnvelopeFlags(request.body) };
      }
    } catch (err) {
      // e.g. an HTTP/1.0 request without a Host header: connect-es needs the authority.
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'invalid_argument', message: ConnectError.from(err).rawMessage }));
      return;
    }
    handler(request)
      .then((response) => universalResponseToNodeResponse(withSpecGrpcMessage(response), res))
      .catch((reason: unknown) => {
        const clientGone = clientWentAway(req, res);
        const err = ConnectError.from(reason);
        if (clientGone) logger.debug({ procedure: path, err }, 'rpc response not delivered: the client went away');
        else logger.error({ procedure: path, err }, 'rpc response failed');
      });
  };

  return {
    matches: (path) => path.startsWith('/stategate.') || path.startsWith('/grpc.'),
    // CORS is the port's (src/server/http/cors.ts), the same for every transport.
    handle,
    close: () => shutdown.abort(),
  };
}

/**
 * True when the client is gone: over HTTP/1.1 its request or response is destroyed; over HTTP/2 the
 * compatibility objects stay alive and only their stream says so (a Connect or gRPC-Web stream the
 * client cancelled, whose next write then fails with ERR_STREAM_DESTROYED).
 */
function clientWentAway(req: IncomingMessage, res: ServerResponse): boolean {
  const stream = (res as ServerResponse & { stream?: { destroyed: boolean; closed: boolean } }).stream;
  return req.destroyed || res.destroyed || stream?.destroyed === true || stream?.closed === true;
}

function isByteStream(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
}

/** An rpc that is not served: UNIMPLEMENTED as the caller's protocol says it. */
function unimplemented(req: IncomingMessage, res: ServerResponse): void {
  const message = `no rpc ${req.method} ${(req.url ?? '').split('?')[0]}`;
  const contentType = String(req.headers['content-type'] ?? '');
  if (contentType.startsWith('application/grpc-web')) {
    // gRPC-Web carries a status without a body in the headers.
    res.writeHead(200, {
      'content-type': 'application/grpc-web+proto',
      'grpc-status': '12',
      'grpc-message': grpcPercentEncode(message),
    });
    res.end();
    return;
  }
  if (contentType.startsWith('application/grpc')) {
    // gRPC (HTTP/2): the status in the trailers.
    res.writeHead(200, { 'content-type': 'application/grpc' });
    res.addTrailers({ 'grpc-status': '12', 'grpc-message': grpcPercentEncode(message) });
    res.end();
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code: 'unimplemented', message }));
}
