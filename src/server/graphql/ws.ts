import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { Admission } from '../../core/admission.js';
import { isStategateError } from '../../core/errors.js';
import type { JsonObject } from '../../core/model.js';
import type { CallContext } from '../../core/ports/access.js';
import type { GraphqlContext } from '../../resolvers/context.js';
import { createWsOperationLog } from '../logging/ws-operation-log.js';
import { callFromConnection } from './call-context.js';
import { asInvalidArgument } from './errors.js';
import type { GraphqlLogger } from './logger.js';

/** What graphql-ws operations add to Yoga's initial context: the connection's caller. */
export interface GraphqlServerContext {
  /** Set for graphql-ws operations; HTTP operations derive the caller from the request. */
  wsCall?: CallContext;
  /** The Node request, when Yoga serves as a Node request listener (HTTP operations). */
  req?: IncomingMessage;
}

export interface WebSocketOptions {
  yoga: YogaServerInstance<GraphqlServerContext, GraphqlContext>;
  path: string;
  logger: GraphqlLogger;
  /** Operations one connection may run at once (mostly subscriptions); more get RESOURCE_EXHAUSTED. */
  maxOperationsPerConnection: number;
  /** How long `close()` lets running operations send their last payload before closing sockets. */
  drainTimeoutMs: number;
  /** Verifies a connection's credentials at `connection_init` (core's `api.authenticate`). */
  authenticate(call: CallContext): Promise<JsonObject>;
  /** The largest frame (message) a client may send; larger ones close the socket with 1009. */
  maxPayloadBytes: number;
  /** Sockets one principal (JWT `sub`, else client IP) may hold open at once; more close with 4429. */
  maxWebsocketsPerPrincipal: number;
}

/** graphql-ws close codes beside the protocol's own. */
export const WS_CLOSE = {
  /** The protocol's Unauthorized: no or a refused token at `connection_init`, or the token expired. */
  unauthorized: 4401,
  /** Too many sockets for one principal (the HTTP 429 of the WebSocket). */
  tooManyConnections: 4429,
  internalError: 4500,
} as const;

/** The reason a socket closes with when its token expires: the client reconnects and resumes its streams. */
export const TOKEN_EXPIRED_REASON = 'token expired: reconnect with a fresh token and resume from your last position';

/** The longest a timer can wait (2^31-1 ms); a token valid for longer is re-checked then. */
const MAX_TIMER_MS = 2_147_483_647;

/** What a socket knows about itself beside graphql-ws' own: its caller, whom it counts against, its expiry. */
type ConnectionExtra = {
  call: CallContext;
  principal: string | undefined;
  expiry: NodeJS.Timeout;
};

type Enveloped = ReturnType<WebSocketOptions['yoga']['getEnveloped']>;

/**
 * Serves graphql-ws (the `graphql-transport-ws` protocol) on the HTTP server's `upgrade` requests for
 * `path`, running every operation through Yoga's envelop — the same schema, context, error masking and
 * plugins as HTTP. Answers a handle that closes every socket.
 */
export function attachGraphqlWs(server: Server, options: WebSocketOptions): { close(): Promise<void> } {
  const { yoga, path, logger, maxOperationsPerConnection, drainTimeoutMs, authenticate } = options;
  // Without maxPayload, ws reads frames of up to 100 MiB: the body limit applies to WebSockets too.
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  const perPrincipal = new Map<string, number>();
  // Live connections; each one's `subscriptions` lists its running operations (graphql-ws removes an id once
  // its `complete` has been sent).
  const connections = new Set<{ readonly subscriptions: Readonly<Record<string, unknown>> }>();
  const running = () => [...connections].reduce((sum, ctx) => sum + Object.keys(ctx.subscriptions).length, 0);
  // The enveloped execute/subscribe of each operation, found again from the args graphql-ws hands back.
  const envelopedByArgs = new WeakMap<ExecutionArgs, Enveloped>();
  const enveloped = (args: ExecutionArgs): Enveloped => {
    const found = envelopedByArgs.get(args);
    if (!found) throw new Error('graphql-ws operation without its envelop');
    return found;
  };
  // One log line per operation, like the HTTP request log's one per request.
  const operationLog = createWsOperationLog(logger);

  const disposable = useServer<Record<string, unknown>, ConnectionExtra>(
    {
      execute: (args) => operationLog.run(args, () => enveloped(args).execute(args)),
      subscribe: (args) => operationLog.run(args, () => enveloped(args).subscribe(args)),
      onError: (ctx, id, _payload, errors) => operationLog.failed(ctx, id, errors),
      onComplete: (ctx, id) => operationLog.completed(ctx, id),
      onConnect: async (ctx) => {
        const { socket } = ctx.extra;
        const call = callFromConnection(
          ctx.connectionParams,
          ctx.extra.request.headers,
          ctx.extra.request.socket.remoteAddress,
        );
        ctx.extra.call = call;
        connections.add(ctx);
        let claims: JsonObject;
        try {
          claims = await authenticate(call);
        } catch (err) {
          if (isStategateError(err) && err.code === 'UNAUTHENTICATED') {
            socket.close(WS_CLOSE.unauthorized, closeReason(`Unauthorized: ${err.message}`));
          } else {
            logger.error({ err }, 'graphql-ws: authentication failed unexpectedly');
            socket.close(WS_CLOSE.internalError, 'Internal server error');
          }
          // graphql-ws then closes with 4403, which the close already under way overrides.
          return false;
        }
        // The client may have gone while its token was being verified; onClose has run then.
        if (socket.readyState !== socket.OPEN) return false;
        const principal = Admission.principal(call, claims);
        const open = perPrincipal.get(principal) ?? 0;
        if (open >= options.maxWebsocketsPerPrincipal) {
          socket.close(
            WS_CLOSE.tooManyConnections,
            `too many connections (at most ${options.maxWebsocketsPerPrincipal} per client)`,
          );
          return false;
        }
        perPrincipal.set(principal, open + 1);
        ctx.extra.principal = principal;
        if (typeof claims.exp === 'number') {
          ctx.extra.expiry = closeAt(claims.exp * 1000, async () => {
            // Core ends each running stream at the same moment with its own UNAUTHENTICATED error; those
            // reach the client first (graphql-ws drops an operation once its `complete` is sent), then the
            // socket closes.
            const deadline = Date.now() + drainTimeoutMs;
            while (Object.keys(ctx.subscriptions).length > 0 && Date.now() < deadline) {
              await new Promise((resolve) => setTimeout(resolve, 10));
            }
            socket.close(WS_CLOSE.unauthorized, TOKEN_EXPIRED_REASON);
          });
        }
        return true;
      },
      onClose: (ctx) => {
        connections.delete(ctx);
        clearTimeout(ctx.extra.expiry);
        const { principal } = ctx.extra;
        if (principal === undefined) return;
        ctx.extra.principal = undefined;
        const left = (perPrincipal.get(principal) ?? 1) - 1;
        if (left <= 0) perPrincipal.delete(principal);
        else perPrincipal.set(principal, left);
      },
      onSubscribe: async (ctx, id, payload) => {
        const logged = operationLog.opened(ctx, id, ctx.extra.request, payload.operationName);
        // graphql-ws has already registered this operation, hence `>`.
        if (Object.keys(ctx.subscriptions).length > maxOperationsPerConnection) {
          return [
            new GraphQLError(`too many operations on one connection (at most ${maxOperationsPerConnection})`, {
              extensions: { code: 'RESOURCE_EXHAUSTED' },
            }),
          ];
        }
        const envelop = yoga.getEnveloped({ params: payload, wsCall: ctx.extra.call });
        let document: ExecutionArgs['document'];
        try {
          document = envelop.parse(payload.query);
        } catch (error) {
          // A syntax error answers the operation; thrown, it would close the whole socket.
          if (error instanceof GraphQLError) return [asInvalidArgument(error)];
          throw error;
        }
        const errors = envelop.validate(envelop.schema, document);
        if (errors.length > 0) return errors.map(asInvalidArgument);
        const args: ExecutionArgs = {
          schema: envelop.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await envelop.contextFactory(),
        };
        envelopedByArgs.set(args, envelop);
        logged.bind(args);
        return args;
      },
    },
    wss,
  );

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (pathname !== path) {
      // Another listener may serve this path; when there is none, nobody would ever answer the socket.
      if (server.listenerCount('upgrade') <= 1) socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      wss.emit('connection', ws, request);
      // A socket error is a client's bad frame (too large, not UTF-8, bad opcode): ws has already closed the
      // socket with the matching code (1009, 1007, 1002). graphql-ws' listener would print each one to
      // the console, a line per frame any client can send; it goes to our log at debug instead.
      ws.removeAllListeners('error');
      ws.on('error', (err) => logger.debug({ err }, 'graphql-ws: frame refused'));
    });
  };
  server.on('upgrade', onUpgrade);
  wss.on('error', (err) => logger.error({ err }, 'graphql-ws: server error'));

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= (async () => {
        server.off('upgrade', onUpgrade);
        // Streams ended by the server's shutdown (UNAVAILABLE) still owe their clients a last payload and
        // `complete`; closing the sockets at once would cut those off.
        const deadline = Date.now() + drainTimeoutMs;
        while (running() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        await disposable.dispose();
      })();
      return closing;
    },
  };
}

/** Runs `close` at `atMs` (ms since the epoch), at once if that has passed; the timer never holds the process. */
function closeAt(atMs: number, close: () => unknown): NodeJS.Timeout {
  const wait = atMs - Date.now();
  const timer = wait <= 0 ? setTimeout(close, 0) : setTimeout(() => closeAt(atMs, close), Math.min(wait, MAX_TIMER_MS));
  timer.unref();
  return timer;
}

/** A WebSocket close reason is at most 123 bytes. */
function closeReason(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : Buffer.from(text).subarray(0, 120).toString('utf8');
}
