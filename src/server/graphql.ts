import type { Server } from 'node:http';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { StategateApi } from '../core/api.js';
import { createGraphqlContext, type GraphqlContext } from '../resolvers/context.js';
import { schema } from '../schema/index.js';
import { callFromRequest } from './graphql/call-context.js';
import { createMaskError } from './graphql/errors.js';
import { createGraphiqlRenderer } from './graphql/graphiql.js';
import { createYogaLogger, type GraphqlLogger } from './graphql/logger.js';
import { useBodyLimit } from './graphql/use-body-limit.js';
import { useCsrfGuard } from './graphql/use-csrf-guard.js';
import { useGetParams } from './graphql/use-get-params.js';
import { useHttpStatus } from './graphql/use-http-status.js';
import { useInputErrorCodes } from './graphql/use-input-error-codes.js';
import { DEFAULT_GRAPHQL_LIMITS, type GraphqlLimits, operationLimitPlugins } from './graphql/use-operation-limits.js';
import { attachGraphqlWs, type GraphqlServerContext } from './graphql/ws.js';

export { CONSOLE_TOKEN_KEY, GRAPHIQL_STREAM_QUERY } from './graphql/graphiql.js';
export type { GraphqlLogger } from './graphql/logger.js';
export { CSRF_HEADER } from './graphql/use-csrf-guard.js';
export { DEFAULT_GRAPHQL_LIMITS, type GraphqlLimits } from './graphql/use-operation-limits.js';
export type { GraphqlServerContext } from './graphql/ws.js';

export const DEFAULT_GRAPHQL_ENDPOINT = '/api/graphql';

/** The seed's sample mutation, GraphiQL's opening query. */
export const GRAPHIQL_DEFAULT_QUERY = `# stategate GraphQL — every operation takes one \`input\` argument.
mutation SetEntity {
  setEntity(input: {
    domain: "accounting",
    type: "user"
    key: "coleman.word@example.com",
    values: {
      first_name: "Coleman"
      last_name: "Word"
    }
  })
}
`;

export interface GraphqlCorsOptions {
  /** Allowed origins; `*` allows any. */
  origins: string[];
  methods: string[];
  /** Allowed request headers; `*` allows whatever the browser asks for. */
  headers: string[];
}

export interface GraphqlServerOptions {
  api: StategateApi;
  logger: GraphqlLogger;
  /** Path of GraphQL over HTTP, SSE and graphql-ws. Default `/api/graphql`. */
  graphqlEndpoint?: string;
  /**
   * Ignored: CORS is the port's, one implementation in front of every transport (src/server/app.ts), so
   * Yoga's own never answers and can never echo an origin. Kept so callers that still pass it compile.
   */
  cors?: GraphqlCorsOptions;
  /** Depth, aliases, tokens, directives, cost and introspection (STATEGATE_GRAPHQL_*). Default DEFAULT_GRAPHQL_LIMITS. */
  graphql?: Partial<GraphqlLimits>;
  /** The largest search `limit` core serves (STATEGATE_SEARCH_LIMIT_CAP): the most a search's items cost. Default 1000. */
  searchLimitCap?: number;
  /** Operations one graphql-ws connection may run at once. Default 100. */
  maxSubscriptionsPerConnection?: number;
  /** How long closing the WebSocket server waits for running operations' last payloads. Default 1000. */
  websocketDrainTimeoutMs?: number;
  /** GraphiQL on GET from a browser. Default true. */
  graphiql?: boolean;
  /** More Yoga plugins, e.g. routes served beside GraphQL. */
  plugins?: Plugin[];
  /** Largest GraphQL request body, bytes; also the largest graphql-ws frame. Default 4 MiB. */
  maxBodyBytes?: number;
  /** graphql-ws sockets one principal (JWT `sub`, else client IP) may hold open. Default 64. */
  maxWebsocketsPerPrincipal?: number;
}

export type GraphqlYoga = YogaServerInstance<GraphqlServerContext, GraphqlContext>;

export interface GraphqlServer {
  /** A fetch-style handler that is also a Node request listener: `http.createServer(yoga)`. */
  yoga: GraphqlYoga;
  /** Serves graphql-ws on `server`'s upgrade requests for the endpoint; `close()` ends every socket. */
  attachWebSocket(server: Server): { close(): Promise<void> };
}

/**
 * The GraphQL face of stategate: Yoga over the Pothos schema (HTTP, SSE subscriptions, GraphiQL) plus
 * graphql-ws on the same path. Every operation gets `{ api, call, loaders }` as its context.
 */
export function createGraphqlServer(options: GraphqlServerOptions): GraphqlServer {
  const { api, logger } = options;
  const graphqlEndpoint = options.graphqlEndpoint ?? DEFAULT_GRAPHQL_ENDPOINT;
  const limits: GraphqlLimits = { ...DEFAULT_GRAPHQL_LIMITS, ...options.graphql };

  const yoga: GraphqlYoga = createYoga<GraphqlServerContext, GraphqlContext>({
    schema,
    graphqlEndpoint,
    context: ({ request, req, wsCall }) =>
      createGraphqlContext(api, wsCall ?? callFromRequest(request, req?.socket?.remoteAddress)),
    maskedErrors: {
      maskError: createMaskError({ hideSuggestions: !limits.introspection }),
      errorMessage: 'internal error',
    },
    logging: createYogaLogger(logger),
    cors: false,
    graphiql:
      options.graphiql === false ? false : { title: 'stategate GraphiQL', defaultQuery: GRAPHIQL_DEFAULT_QUERY },
    // Bundled assets (no CDN): GraphiQL works with no internet.
    renderGraphiQL: createGraphiqlRenderer(GRAPHIQL_DEFAULT_QUERY),
    landingPage: false,
    plugins: [
      useCsrfGuard(graphqlEndpoint),
      useGetParams(graphqlEndpoint),
      useBodyLimit(options.maxBodyBytes ?? 4 * 1024 * 1024, graphqlEndpoint),
      ...operationLimitPlugins(limits, options.searchLimitCap ?? 1000),
      useInputErrorCodes(),
      useHttpStatus(),
      ...(options.plugins ?? []),
    ],
  });

  return {
    yoga,
    attachWebSocket: (server) =>
      attachGraphqlWs(server, {
        yoga,
        path: graphqlEndpoint,
        logger,
        maxOperationsPerConnection: options.maxSubscriptionsPerConnection ?? 100,
        drainTimeoutMs: options.websocketDrainTimeoutMs ?? 1000,
        authenticate: (call) => api.authenticate(call),
        maxPayloadBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
        maxWebsocketsPerPrincipal: options.maxWebsocketsPerPrincipal ?? 64,
      }),
  };
}
