/**
 * Helpers shared by the guarantee and process end-to-end tests (guarantees-*.e2e.test.ts, process-*.e2e.test.ts).
 * Everything here talks to a real server over its real port, as any client would.
 */
import { spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import WebSocket from 'ws';
import { errorCode, type GraphqlResponse, gql } from '../support/graphql.js';

export const SET_ENTITY = `mutation SetEntity($input: EntityInput!) { setEntity(input: $input) }`;
export const EDIT_ENTITY = `mutation EditEntity($input: EntityInput!) { editEntity(input: $input) { version values } }`;
export const DEL_ENTITY = `mutation DelEntity($input: EntityRefInput!) { delEntity(input: $input) }`;
export const GET_ENTITY = `query GetEntity($input: EntityRefInput!) { getEntity(input: $input) { key version values } }`;
export const SEARCH_ENTITIES = `query SearchEntities($input: SearchEntityOpts!) {
  searchEntities(input: $input) { entities { key version values } }
}`;
export const SEARCH_EVENTS = `query SearchEvents($input: SearchEventOpts!) {
  searchEvents(input: $input) { events { id method time position entity { domain type key version values } } }
}`;
export const STREAM_EVENTS = `subscription StreamEvents($input: StreamEventOpts!) {
  streamEvents(input: $input) { id method position entity { key version values } }
}`;

export const Methods = {
  set: '/stategate.EntityService/Set',
  edit: '/stategate.EntityService/Edit',
  del: '/stategate.EntityService/Del',
} as const;

/** An event as the tests select it (Int64 fields arrive as decimal strings). */
export interface WireEvent {
  id: string;
  method: string;
  time: string;
  position: string;
  entity: { domain?: string; type?: string; key: string; version: string; values: Record<string, unknown> };
}

export interface WireEntity {
  key: string;
  version: string;
  values: Record<string, unknown>;
}

/** Throws with the whole response when a request that must succeed did not. */
export function ok<T>(res: GraphqlResponse<T>, what: string): T {
  if (res.errors?.length || !res.data) throw new Error(`${what} failed: ${JSON.stringify(res)}`);
  return res.data;
}

/** Every event of one domain and type with a position above `after`, paged through by position. */
export async function allEvents(url: string, domain: string, type: string, after = 0): Promise<WireEvent[]> {
  const out: WireEvent[] = [];
  let cursor = after;
  for (;;) {
    const res = await gql<{ searchEvents: { events: WireEvent[] } }>(url, SEARCH_EVENTS, {
      input: { domain, type, limit: 1000, after: String(cursor) },
    });
    const page = ok(res, 'searchEvents').searchEvents.events;
    out.push(...page);
    if (page.length < 1000) return out;
    cursor = Number(page[page.length - 1]!.position);
  }
}

/** Every live entity of one domain and type. */
export async function allEntities(url: string, domain: string, type: string): Promise<WireEntity[]> {
  const out: WireEntity[] = [];
  for (let offset = 0; ; offset += 1000) {
    const res = await gql<{ searchEntities: { entities: WireEntity[] } }>(url, SEARCH_ENTITIES, {
      input: { domain, type, limit: 1000, offset },
    });
    const page = ok(res, 'searchEntities').searchEntities.entities;
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

/** getEntity: the entity, or the error code it failed with. */
export async function getEntity(
  url: string,
  ref: { domain: string; type: string; key: string; version?: number },
): Promise<{ entity?: WireEntity; code?: string }> {
  const res = await gql<{ getEntity: WireEntity }>(url, GET_ENTITY, { input: ref });
  if (res.errors?.length) return { code: errorCode(res) ?? 'NO_CODE' };
  return { entity: res.data!.getEntity };
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs` (a deadline, not a speed assertion). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Strictly increasing? */
export function strictlyIncreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v > values[i - 1]!);
}

/** The machine's first non-loopback IPv4 address, if it has one. */
export function nonLoopbackIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const addr of list ?? []) {
      if (addr.family === 'IPv4' && !addr.internal) return addr.address;
    }
  }
  return undefined;
}

/**
 * Runs `node dist/main.js` expecting it to exit by itself; kills it (and fails) if it is still running
 * after `timeoutMs`, so a server that wrongly starts never outlives the test.
 */
export async function runExpectingExit(
  env: Record<string, string>,
  timeoutMs = 15_000,
): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stderr, timedOut };
}

export interface ProtocolMessage {
  id?: string;
  type: string;
  payload?: unknown;
}

/**
 * A graphql-ws client written by hand on a raw `ws` WebSocket (subprotocol `graphql-transport-ws`), so a
 * test can stop reading from its TCP socket and make the server's writes back up.
 */
export class RawGraphqlWs {
  readonly messages: ProtocolMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  private readonly ws: WebSocket;
  private readonly opened: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url, 'graphql-transport-ws');
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('message', (data) => this.messages.push(JSON.parse(String(data)) as ProtocolMessage));
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
    });
  }

  /** connection_init, then waits for connection_ack. */
  async init(payload: Record<string, unknown> = {}): Promise<void> {
    await this.opened;
    this.send({ type: 'connection_init', payload });
    await waitUntil(() => this.messages.some((m) => m.type === 'connection_ack'), 'connection_ack');
  }

  subscribe(id: string, query: string, variables: Record<string, unknown>): void {
    this.send({ id, type: 'subscribe', payload: { query, variables } });
  }

  send(message: ProtocolMessage): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Stops reading from the TCP socket: the kernel buffers fill and the server's writes back up. */
  pauseReading(): void {
    // biome-ignore lint/suspicious/noExplicitAny: ws keeps its net.Socket in a private field.
    (this.ws as any)._socket.pause();
  }

  resumeReading(): void {
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    (this.ws as any)._socket.resume();
  }

  close(): void {
    this.ws.terminate();
  }
}
