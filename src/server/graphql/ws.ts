import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { CallContext } from '../../core/ports/access.js';
import type { GraphqlContext } from '../../resolvers/context.js';
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
}

type Enveloped = ReturnType<WebSocketOptions['yoga']['getEnveloped']>;

/**
 * Serves graphql-ws (the `graphql-transport-ws` protocol) on the HTTP server's `upgrade` requests for
 * `path`, running every operation through Yoga's envelop — the same schema, context, error masking and
 * plugins as HTTP. Answers a handle that closes every socket.
 */
export function attachGraphqlWs(server: Server, options: WebSocketOptions): { close(): Promise<void> } {
  const { yoga, path, logger, maxOperationsPerConnection, drainTimeoutMs } = options;
  const wss = new WebSocketServer({ noServer: true });
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

  const disposable = useServer<Record<string, unknown>, { call: CallContext }>(
    {
      execute: (args) => enveloped(args).execute(args),
      subscribe: (args) => enveloped(args).subscribe(args),
      onConnect: (ctx) => {
        ctx.extra.call = callFromConnection(
          ctx.connectionParams,
          ctx.extra.request.headers,
          ctx.extra.request.socket.remoteAddress,
        );
        connections.add(ctx);
      },
      onClose: (ctx) => {
        connections.delete(ctx);
      },
      onSubscribe: async (ctx, _id, payload) => {
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
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
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
