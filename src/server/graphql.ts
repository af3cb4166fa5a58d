import type { Server } from 'node:http';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { StategateApi } from '../core/api.js';
import { createGraphqlContext, type GraphqlContext } from '../resolvers/context.js';
import { schema } from '../schema/index.js';
import { callFromRequest } from './graphql/call-context.js';
import { maskError } from './graphql/errors.js';
import { createYogaLogger, type GraphqlLogger } from './graphql/logger.js';
import { useBodyLimit } from './graphql/use-body-limit.js';
import { useInputErrorCodes } from './graphql/use-input-error-codes.js';
import { attachGraphqlWs, type GraphqlServerContext } from './graphql/ws.js';

export type { GraphqlLogger } from './graphql/logger.js';
export type { GraphqlServerContext } from './graphql/ws.js';

export const DEFAULT_GRAPHQL_ENDPOINT = '/api/graphql';

/** The seed's sample mutation, GraphiQL's opening query. */
export const GRAPHIQL_DEFAULT_QUERY = `# stategate GraphQL — every operation takes one \`input\` argument.
mutation {
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
  /** Absent: no CORS headers (same origin only). */
  cors?: GraphqlCorsOptions;
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

function corsOptions(cors: GraphqlCorsOptions | undefined) {
  if (!cors) return false;
  const any = (list: string[]) => list.length === 0 || list.includes('*');
  return {
    origin: any(cors.origins) ? ['*'] : cors.origins,
    methods: any(cors.methods) ? undefined : cors.methods,
    allowedHeaders: any(cors.headers) ? undefined : cors.headers,
    // Credentials are bearer tokens in the Authorization header, never cookies.
    credentials: false,
  };
}

/**
 * The GraphQL face of stategate: Yoga over the Pothos schema (HTTP, SSE subscriptions, GraphiQL) plus
 * graphql-ws on the same path. Every operation gets `{ api, call, loaders }` as its context.
 */
export function createGraphqlServer(options: GraphqlServerOptions): GraphqlServer {
  const { api, logger } = options;
  const graphqlEndpoint = options.graphqlEndpoint ?? DEFAULT_GRAPHQL_ENDPOINT;

  const yoga: GraphqlYoga = createYoga<GraphqlServerContext, GraphqlContext>({
    schema,
    graphqlEndpoint,
    context: ({ request, req, wsCall }) =>
      createGraphqlContext(api, wsCall ?? callFromRequest(request, req?.socket?.remoteAddress)),
    maskedErrors: { maskError, errorMessage: 'internal error' },
    logging: createYogaLogger(logger),
    cors: corsOptions(options.cors),
    graphiql:
      options.graphiql === false ? false : { title: 'stategate GraphiQL', defaultQuery: GRAPHIQL_DEFAULT_QUERY },
    landingPage: false,
    plugins: [
      useBodyLimit(options.maxBodyBytes ?? 4 * 1024 * 1024, graphqlEndpoint),
      useInputErrorCodes(),
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
