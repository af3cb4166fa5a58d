import { request as httpRequest } from 'node:http';
import { Code as ConnectCode, ConnectError, createClient as createConnectClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-node';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { EntityService } from '../../src/generated/stategate_pb.js';
import { type GrpcClient, grpc, toStruct } from '../support/grpc.js';
import { rest } from '../support/rest.js';
import type { TestServer } from '../support/server.js';
import { Q, uid } from './helpers.js';

/**
 * Calls of the auth tests on every transport of the port, each with a given `Authorization` value (or none),
 * answering how the server refused it in one shape so one table can compare them.
 */

export const TRANSPORTS = [
  'rest',
  'rest-sse',
  'graphql',
  'graphql-sse',
  'graphql-ws',
  'grpc',
  'grpc-web',
  'connect',
] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/** How a call was answered. `status`: HTTP status, gRPC status name, or the WebSocket close code. */
export interface Answer {
  accepted: boolean;
  status: number | string;
  /** The gRPC code name (REST's and Connect's bodies, GraphQL's `extensions.code`, gRPC's status). */
  code?: string;
  message?: string;
  /** The `WWW-Authenticate` header, where the transport is HTTP with headers to send it in. */
  challenge?: string | null;
}

export interface AuthTarget {
  server: TestServer;
  grpc: GrpcClient;
  /** The domain the calls write to / stream from. */
  domain: string;
  /** The entity key a write uses; default a new one per call. */
  key?: string;
}

const headersFor = (authorization: string | undefined): Record<string, string> =>
  authorization === undefined ? {} : { authorization };

const CONNECT_CODES: Record<string, string> = {
  unauthenticated: 'UNAUTHENTICATED',
  permission_denied: 'PERMISSION_DENIED',
};

/** One Set (or, for the stream transports, one stream open) with `authorization`, on `transport`. */
export function callWith(
  target: AuthTarget,
  transport: TransportName,
  authorization: string | undefined,
): Promise<Answer> {
  const { server, domain } = target;
  const key = target.key ?? uid();
  const values = { via: transport };
  switch (transport) {
    case 'rest':
      return rest(server.app.url, `/api/entity/ref/${domain}/user/${key}`, {
        method: 'POST',
        headers: headersFor(authorization),
        body: { values },
      }).then((res) => restAnswer(res.status, res.body, res.headers));
    case 'rest-sse':
      return openHttpStream(`${server.app.url}/api/events/stream?domain=${domain}&type=user`, {
        method: 'GET',
        headers: { accept: 'text/event-stream', ...headersFor(authorization) },
      });
    case 'graphql':
      return fetch(server.httpUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...headersFor(authorization),
        },
        body: JSON.stringify({ query: Q.set, variables: { input: { domain, type: 'user', key, values } } }),
      }).then(async (res) => graphqlAnswer(res.status, await res.json(), res.headers));
    case 'graphql-sse':
      return openHttpStream(server.httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headersFor(authorization) },
        body: JSON.stringify({
          query: 'subscription ($input: StreamEventOpts!) { streamEvents(input: $input) { id } }',
          variables: { input: { domain, type: 'user' } },
        }),
      });
    case 'graphql-ws':
      return wsConnect(server.wsUrl, authorization === undefined ? {} : { authorization });
    case 'grpc':
      return target.grpc
        .call(
          'EntityService',
          'Set',
          { domain, type: 'user', key, values: toStruct(values) },
          headersFor(authorization),
        )
        .then(
          () => ({ accepted: true, status: 'OK' }),
          (err: grpc.ServiceError) => ({
            accepted: false,
            status: grpc.status[err.code] as string,
            code: grpc.status[err.code] as string,
            message: err.details,
          }),
        );
    case 'grpc-web': {
      const client = createConnectClient(
        EntityService,
        createGrpcWebTransport({ baseUrl: server.app.url, httpVersion: '1.1' }),
      );
      return client.set({ domain, type: 'user', key, values }, { headers: headersFor(authorization) }).then(
        () => ({ accepted: true, status: 'OK' }),
        (err: unknown) => {
          const e = ConnectError.from(err);
          const code = ConnectCode[e.code].replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
          return { accepted: false, status: code, code, message: e.rawMessage };
        },
      );
    }
    case 'connect':
      return fetch(`${server.app.url}/stategate.EntityService/Set`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headersFor(authorization) },
        body: JSON.stringify({ domain, type: 'user', key, values }),
      }).then(async (res) => {
        const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
        return {
          accepted: res.status === 200,
          status: res.status,
          code: body.code === undefined ? undefined : (CONNECT_CODES[body.code] ?? body.code),
          message: body.message,
          challenge: res.headers.get('www-authenticate'),
        };
      });
  }
}

function restAnswer(status: number, body: unknown, headers: Headers): Answer {
  const b = (body ?? {}) as { code?: number; message?: string };
  return {
    accepted: status === 200,
    status,
    code: b.code === undefined ? undefined : (grpc.status[b.code] as string),
    message: b.message,
    challenge: headers.get('www-authenticate'),
  };
}

function graphqlAnswer(status: number, body: unknown, headers: Headers): Answer {
  const errors = (body as { errors?: Array<{ message: string; extensions?: { code?: string } }> }).errors;
  return {
    accepted: status === 200 && !errors?.length,
    status,
    code: errors?.[0]?.extensions?.code,
    message: errors?.[0]?.message,
    challenge: headers.get('www-authenticate'),
  };
}

/**
 * Opens an HTTP stream (SSE) with node:http. A refusal is a plain answer; an accepted stream is 200 with an
 * event-stream body, closed after its first event or a moment of silence. A GraphQL subscription refused
 * inside the stream (an `errors` payload in its first event) is reported as it is. (Not fetch: an aborted
 * fetch leaves its socket open, and the server's shutdown then waits for it.)
 */
function openHttpStream(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest(url, { method: init.method, headers: init.headers }, (res) => {
      const status = res.statusCode ?? 0;
      const challenge = (res.headers['www-authenticate'] as string | undefined) ?? null;
      let text = '';
      const finish = (answer: Answer) => {
        clearTimeout(silence);
        req.destroy();
        resolve(answer);
      };
      const silence = setTimeout(() => finish({ accepted: status === 200, status, challenge }), 500);
      res.on('error', () => {}); // the destroy below, once answered
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (!String(res.headers['content-type']).includes('text/event-stream')) return;
        const block = text.split('\n\n').find((b) => /^data: /m.test(b));
        const data = block ? /^data: (.*)$/m.exec(block)?.[1] : undefined;
        if (data === undefined) return;
        const payload = JSON.parse(data) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
        const error = payload.errors?.[0];
        finish(
          error
            ? { accepted: false, status, code: error.extensions?.code, message: error.message, challenge }
            : { accepted: status === 200, status, challenge },
        );
      });
      res.on('end', () => {
        if (String(res.headers['content-type']).includes('text/event-stream')) return;
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const headers = new Headers(challenge === null ? {} : { 'www-authenticate': challenge });
        finish(
          url.includes('/api/graphql') ? graphqlAnswer(status, body ?? {}, headers) : restAnswer(status, body, headers),
        );
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Opens a graphql-ws connection: accepted on `connection_ack`, else the close code and reason. */
export function wsConnect(url: string, connectionParams: Record<string, unknown>): Promise<Answer> {
  return new Promise<Answer>((resolve) => {
    const client = createWsClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams,
      lazy: false,
      retryAttempts: 0,
      // The close is the answer here, not an error to print.
      onNonLazyError: () => {},
      on: {
        connected: () => {
          resolve({ accepted: true, status: 'connected' });
          void client.dispose();
        },
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          resolve({
            accepted: false,
            status: code,
            code: code === 4401 ? 'UNAUTHENTICATED' : undefined,
            message: reason,
          });
        },
      },
    });
  });
}
