import { type JsonValue, toJson } from '@bufbuild/protobuf';
import type { Plugin } from 'graphql-yoga';
import type { StategateApi } from '../../core/api.js';
import { invalid } from '../../core/errors.js';
import { Method } from '../../core/methods.js';
import type { CallContext } from '../../core/ports/access.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Event, PeerMessage, StreamEventOpts } from '../../generated/stategate_pb.js';
import type { ServerStreamingRpc, UnaryRpc } from '../proto/index.js';
import { createOpenApiDocument } from './openapi.js';
import { decodeRequest } from './request.js';
import { createRouter, type RestRoute, restRoutes } from './routes.js';
import { errorAnswer, RestError } from './status.js';
import { streamFormat, streamResponse } from './stream.js';

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_KEEP_ALIVE_MS = 15_000;
export const OPENAPI_PATH = '/api/openapi.json';

export interface RestOptions {
  api: StategateApi;
  logger: Logger;
  /** Every path under this prefix is REST's (except Yoga's GraphQL endpoint): unknown ones get a JSON 404. */
  prefix?: string;
  /** The largest request body, in bytes (413 past it). Default 4 MiB. */
  maxBodyBytes?: number;
  /** The deepest JSON nesting a body may have. Default 64 (core bounds values' depth on its own). */
  maxJsonDepth?: number;
  /** How often an idle SSE stream sends a keep-alive comment. Default 15 s. */
  keepAliveMs?: number;
  /** Where the OpenAPI document is served. Default `/api/openapi.json`. */
  openapiPath?: string;
}

/** The SSE id of each stream's items and how a `Last-Event-ID` resumes it. */
const streamIds: Partial<
  Record<string, { idOf: (item: never) => string | undefined; resume?: (request: never, lastId: string) => void }>
> = {
  [Method.eventStream]: {
    idOf: (event: Event) => event.position.toString(),
    resume: (request: StreamEventOpts, lastId: string) => {
      if (!/^\d{1,19}$/.test(lastId)) throw invalid(`Last-Event-ID must be an event position, not "${lastId}"`);
      request.after = BigInt(lastId);
    },
  },
  [Method.peerStream]: { idOf: (message: PeerMessage) => message.id },
};

type NodeServerContext = { req?: { url?: string; socket?: { remoteAddress?: string } } } | undefined;

/** The client's IP address from the Node request Yoga was handed as server context, if any. */
function peerOf(serverContext: unknown): string | undefined {
  return (serverContext as NodeServerContext)?.req?.socket?.remoteAddress;
}

/**
 * True when the path as the client sent it has a `.` or `..` segment (also percent-encoded). URL parsing
 * resolves them before routing, so `/api/entity/ref/other/../mine/t/k` would silently address another
 * entity than the one written; such a path is refused instead.
 */
function hasDotSegment(serverContext: unknown): boolean {
  const raw = ((serverContext as NodeServerContext)?.req?.url ?? '').split('?')[0] ?? '';
  return raw.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
}

/** The CallContext of a REST request: its Authorization header and every header, lower-cased, as metadata. */
function callContext(request: Request, peer: string | undefined): CallContext {
  const metadata: Record<string, string> = {};
  for (const [name, value] of request.headers) metadata[name.toLowerCase()] = value;
  return { transport: 'rest', authorization: request.headers.get('authorization') ?? undefined, metadata, peer };
}

/**
 * The REST face of stategate as a Yoga plugin: the routes of the proto's `google.api.http` rules, each
 * calling its rpc's core function exactly as gRPC and Connect do (so policies see one method name and
 * events record it), plus the OpenAPI document. Unknown paths under the prefix are a JSON 404 and a
 * route's path with another verb a 405, instead of Yoga's empty 404.
 */
export function useRest(options: RestOptions): Plugin {
  const { api, logger } = options;
  const prefix = options.prefix ?? '/api/';
  const openapiPath = options.openapiPath ?? OPENAPI_PATH;
  const limits = {
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxJsonDepth: options.maxJsonDepth ?? 64,
  };
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const routes = restRoutes();
  const router = createRouter(routes);
  let openapi: string | undefined;
  let graphqlEndpoint = '/api/graphql';

  const json = (fetchAPI: { Response: typeof Response }, status: number, body: unknown, headers = {}) =>
    new fetchAPI.Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    });

  async function unary(route: RestRoute & { rpc: UnaryRpc }, ctx: CallContext, message: never) {
    const answer = await route.rpc.call(api, ctx, message);
    return toJson(route.rpc.output, answer) as JsonValue;
  }

  async function serve(
    request: Request,
    url: URL,
    fetchAPI: { Response: typeof Response; ReadableStream: typeof ReadableStream },
    peer: string | undefined,
  ): Promise<Response> {
    const where = `${request.method} ${url.pathname}`;
    try {
      if (url.pathname === openapiPath) {
        if (request.method !== 'GET') throw new RestError('UNIMPLEMENTED', `${where}: use GET`, 405, { allow: 'GET' });
        openapi ??= JSON.stringify(createOpenApiDocument(routes));
        return new fetchAPI.Response(openapi, { headers: { 'content-type': 'application/json; charset=utf-8' } });
      }
      const found = router.lookup(request.method, url.pathname);
      if (found.kind === 'none') {
        return json(fetchAPI, 404, { code: 5, message: `no route for ${where}`, details: [] });
      }
      if (found.kind === 'wrong-verb') {
        const allow = found.allowed.join(', ');
        throw new RestError('UNIMPLEMENTED', `${where} is not a route; this path takes ${allow}`, 405, { allow });
      }
      const { route } = found;
      const message = await decodeRequest(route, request, url, found.params, limits);
      const ctx = callContext(request, peer);
      if (route.rpc.kind === 'unary') {
        return json(fetchAPI, 200, await unary(route as RestRoute & { rpc: UnaryRpc }, ctx, message as never));
      }
      const rpc: ServerStreamingRpc = route.rpc;
      const ids = streamIds[rpc.path];
      const lastEventId = request.headers.get('last-event-id');
      if (lastEventId !== null && ids?.resume) ids.resume(message as never, lastEventId.trim());
      const subscription = await rpc.call(api, ctx, message);
      return streamResponse({
        fetchAPI,
        subscription,
        schema: rpc.output,
        format: streamFormat(request),
        idOf: ids?.idOf as ((item: unknown) => string | undefined) | undefined,
        keepAliveMs,
        signal: request.signal,
        logger,
        where,
      });
    } catch (err) {
      const { status, body, headers } = errorAnswer(err, logger, where);
      if (status < 500) logger.debug({ code: body.code, message: body.message, where }, 'rest: request refused');
      return json(fetchAPI, status, body, headers);
    }
  }

  return {
    onYogaInit({ yoga }) {
      graphqlEndpoint = yoga.graphqlEndpoint;
    },
    onRequest({ request, url, fetchAPI, endResponse, serverContext }) {
      const path = url.pathname;
      if (!path.startsWith(prefix)) return;
      if (path === graphqlEndpoint || path.startsWith(`${graphqlEndpoint}/`)) return;
      if (hasDotSegment(serverContext)) {
        const body = { code: 3, message: 'path segments "." and ".." are not allowed', details: [] };
        return endResponse(json(fetchAPI, 400, body));
      }
      return serve(request, url, fetchAPI, peerOf(serverContext)).then(endResponse);
    },
  };
}
