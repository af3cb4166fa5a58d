import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-node';
import { EntityService, EventService } from '../../src/generated/stategate_pb.js';
import { gql } from '../support/graphql.js';
import { fromStruct, type GrpcClient, type GrpcStruct, grpc, toStruct } from '../support/grpc.js';
import { rest } from '../support/rest.js';
import type { TestServer } from '../support/server.js';
import { ENTITY_FIELDS, Q } from './helpers.js';

/**
 * The policy tests' calls on each of the five transports, with the same arguments and headers, answering in
 * one shape so that one table compares them: the value, or the refusal's gRPC code name and the status
 * the transport carried it in (HTTP status, or the numeric gRPC code on gRPC and gRPC-Web).
 */

export const POLICY_TRANSPORTS = ['graphql', 'rest', 'grpc', 'grpc-web', 'connect'] as const;
export type PolicyTransport = (typeof POLICY_TRANSPORTS)[number];

export type Outcome<T = unknown> = { ok: true; value: T } | { ok: false; code: string; status: number };

/** The status a PERMISSION_DENIED travels with, per transport. */
export const DENIED_STATUS: Record<PolicyTransport, number> = {
  // GraphQL answers an execution error with HTTP 200; the code is in the error's extensions.
  graphql: 200,
  rest: 403,
  grpc: 7,
  'grpc-web': 7,
  connect: 403,
};

/** A policy fixture (test/fixtures/policies) as the base64 value of STATEGATE_*_POLICY. */
export function policyBase64(name: string): string {
  return readFileSync(policyFile(name)).toString('base64');
}

export function policyFile(name: string): string {
  return resolve(import.meta.dirname, '../fixtures/policies', `${name}.rego`);
}

export interface EntityArgs {
  domain: string;
  type: string;
  key: string;
}

type Values = Record<string, null | boolean | number | string>;

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });

function grpcOutcome(err: grpc.ServiceError): Outcome<never> {
  return { ok: false, code: grpc.status[err.code] as string, status: err.code };
}

function connectOutcome(err: unknown): Outcome<never> {
  const e = ConnectError.from(err);
  return { ok: false, code: Code[e.code].replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase(), status: e.code };
}

function graphqlOutcome<T>(
  res: { status: number; data?: unknown; errors?: { extensions?: { code?: string } }[] },
  pick: (data: never) => T,
): Outcome<T> {
  const code = res.errors?.[0]?.extensions?.code;
  if (code) return { ok: false, code, status: res.status };
  return ok(pick(res.data as never));
}

function httpOutcome<T>(status: number, body: unknown, pick: (body: never) => T): Outcome<T> {
  if (status === 200) return ok(pick(body as never));
  const code = (body as { code?: number | string } | undefined)?.code;
  // REST errors carry the numeric gRPC code; Connect's the lower-case name.
  const name = typeof code === 'number' ? (grpc.status[code] as string) : String(code).toUpperCase();
  return { ok: false, code: name, status };
}

/** Clients of one server on every transport; `headers` go as HTTP headers or gRPC metadata. */
export function policyClients(server: TestServer, grpcClient: GrpcClient) {
  const base = server.app.url;
  const grpcWeb = createGrpcWebTransport({ baseUrl: base, httpVersion: '1.1' });
  const web = { entities: createClient(EntityService, grpcWeb), events: createClient(EventService, grpcWeb) };
  const connect = async <T>(
    method: string,
    body: unknown,
    headers: Record<string, string>,
    pick: (b: never) => T,
  ): Promise<Outcome<T>> => {
    const res = await fetch(`${base}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return httpOutcome(res.status, await res.json().catch(() => undefined), pick);
  };
  const keysOf = (entities: { key: string }[] | undefined) => (entities ?? []).map((e) => e.key).sort();
  const eventKeysOf = (events: { entity?: { key: string } }[] | undefined) =>
    (events ?? []).map((e) => e.entity?.key ?? '').sort();
  const restPath = (a: EntityArgs) => `/api/entity/ref/${a.domain}/${a.type}/${a.key}`;

  return {
    /** Set; the value is true. */
    async set(t: PolicyTransport, a: EntityArgs, values: Values, headers: Record<string, string> = {}) {
      switch (t) {
        case 'graphql':
          return graphqlOutcome(await gql(server.httpUrl, Q.set, { input: { ...a, values } }, headers), () => true);
        case 'rest': {
          const res = await rest(base, restPath(a), { method: 'POST', headers, body: { values } });
          return httpOutcome(res.status, res.body, () => true);
        }
        case 'grpc':
          return grpcClient
            .call('EntityService', 'Set', { ...a, values: toStruct(values) }, headers)
            .then(() => ok(true), grpcOutcome);
        case 'grpc-web':
          return web.entities.set({ ...a, values }, { headers }).then(() => ok(true), connectOutcome);
        case 'connect':
          return connect('stategate.EntityService/Set', { ...a, values }, headers, () => true);
      }
    },

    /** Del; the value is true. */
    async del(t: PolicyTransport, a: EntityArgs, headers: Record<string, string> = {}) {
      switch (t) {
        case 'graphql':
          return graphqlOutcome(await gql(server.httpUrl, Q.del, { input: a }, headers), () => true);
        case 'rest': {
          const res = await rest(base, restPath(a), { method: 'DELETE', headers });
          return httpOutcome(res.status, res.body, () => true);
        }
        case 'grpc':
          return grpcClient.call('EntityService', 'Del', a, headers).then(() => ok(true), grpcOutcome);
        case 'grpc-web':
          return web.entities.del(a, { headers }).then(() => ok(true), connectOutcome);
        case 'connect':
          return connect('stategate.EntityService/Del', a, headers, () => true);
      }
    },

    /** Get; the value is the entity's values. */
    async get(t: PolicyTransport, a: EntityArgs, headers: Record<string, string> = {}): Promise<Outcome<unknown>> {
      type Got = { values: unknown };
      switch (t) {
        case 'graphql':
          return graphqlOutcome(
            await gql(server.httpUrl, Q.get, { input: a }, headers),
            (d: { getEntity: Got }) => d.getEntity.values,
          );
        case 'rest': {
          const res = await rest(base, restPath(a), { headers });
          return httpOutcome(res.status, res.body, (b: Got) => b.values);
        }
        case 'grpc':
          return grpcClient
            .call<{ values: GrpcStruct }>('EntityService', 'Get', a, headers)
            .then((e) => ok(fromStruct(e.values)), grpcOutcome);
        case 'grpc-web':
          return web.entities.get(a, { headers }).then((e) => ok(e.values), connectOutcome);
        case 'connect':
          return connect('stategate.EntityService/Get', a, headers, (b: Got) => b.values);
      }
    },

    /** Entity search of a domain and type; the value is the keys found, sorted. */
    async searchEntities(t: PolicyTransport, domain: string, type: string, headers: Record<string, string> = {}) {
      const opts = { domain, type, limit: 100 };
      type Found = { entities?: { key: string }[] };
      switch (t) {
        case 'graphql': {
          const query = `query ($input: SearchEntityOpts!) { searchEntities(input: $input) { entities { ${ENTITY_FIELDS} } } }`;
          return graphqlOutcome(
            await gql(server.httpUrl, query, { input: opts }, headers),
            (d: { searchEntities: Found }) => keysOf(d.searchEntities.entities),
          );
        }
        case 'rest': {
          const res = await rest(base, `/api/entity/search?domain=${domain}&type=${type}&limit=100`, { headers });
          return httpOutcome(res.status, res.body, (b: Found) => keysOf(b.entities));
        }
        case 'grpc':
          return grpcClient
            .call<Found>('EntityService', 'Search', opts, headers)
            .then((r) => ok(keysOf(r.entities)), grpcOutcome);
        case 'grpc-web':
          return web.entities.search(opts, { headers }).then((r) => ok(keysOf(r.entities)), connectOutcome);
        case 'connect':
          return connect('stategate.EntityService/Search', opts, headers, (b: Found) => keysOf(b.entities));
      }
    },

    /** Event search of a domain and type; the value is the events' entity keys, sorted. */
    async searchEvents(t: PolicyTransport, domain: string, type: string, headers: Record<string, string> = {}) {
      const opts = { domain, type, limit: 100 };
      type Found = { events?: { entity?: { key: string } }[] };
      switch (t) {
        case 'graphql':
          return graphqlOutcome(
            await gql(server.httpUrl, Q.searchEvents, { input: opts }, headers),
            (d: { searchEvents: Found }) => eventKeysOf(d.searchEvents.events),
          );
        case 'rest': {
          const res = await rest(base, `/api/events/search?domain=${domain}&type=${type}&limit=100`, { headers });
          return httpOutcome(res.status, res.body, (b: Found) => eventKeysOf(b.events));
        }
        case 'grpc':
          return grpcClient
            .call<Found>('EventService', 'Search', opts, headers)
            .then((r) => ok(eventKeysOf(r.events)), grpcOutcome);
        case 'grpc-web':
          return web.events.search(opts, { headers }).then((r) => ok(eventKeysOf(r.events)), connectOutcome);
        case 'connect':
          return connect('stategate.EventService/Search', opts, headers, (b: Found) => eventKeysOf(b.events));
      }
    },
  };
}

export type PolicyClients = ReturnType<typeof policyClients>;
