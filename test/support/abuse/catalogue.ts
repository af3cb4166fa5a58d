import { Code, type CodeName } from '../../../src/core/errors.js';
import { openStore } from '../../e2e/helpers.js';
import type { TestServer } from '../server.js';

/** What a case needs of its server: where it listens and its SQLite file (an in-process or a child-process server). */
export type CaseServer = { app: Pick<TestServer['app'], 'url'> } & Pick<TestServer, 'dbPath'>;

import { expectHealthy, probeHealth, watchHealth } from './health.js';
import type { H2Response, RawResponse } from './http.js';
import { expectNoPollution } from './pollution.js';

/**
 * The bad-input and abuse catalogue (issue 8): every case is one row of a table — name, transport, the
 * request, the exact expected answer — and one jest test that sends it to a real server and asserts
 *   1. the exact status and code (the case's own `run`),
 *   2. that no state changed (the store read straight from the server's SQLite file before and after),
 *   3. that `/healthz` answered 200 within 1 s on a fresh connection all along and right after,
 *   4. that neither realm's Object.prototype was polluted.
 */

export type Transport =
  | 'graphql'
  | 'graphql-ws'
  | 'rest'
  | 'connect'
  | 'grpc'
  | 'grpc-web'
  | 'http/1.1'
  | 'http/2'
  | 'sse';

export interface AbuseCase {
  name: string;
  transport: Transport;
  /** What is sent, in a few words (the table's "request" column). */
  request: string;
  /** The exact expected answer (the table's "expected" column), e.g. `400 INVALID_ARGUMENT`. */
  expected: string;
  /**
   * A case whose expected answer may write (e.g. a `__proto__` key stored as plain data) checks state
   * itself; every other case must leave the store exactly as it was.
   */
  mayWrite?: boolean;
  /** The server the case is sent to, when not the file's main one (e.g. one with small limits). */
  on?: () => CaseServer;
  run(): Promise<void>;
}

export interface CatalogueContext {
  server(): CaseServer;
}

/** Registers one jest test per case, each with the four checks above. */
export function catalogue(title: string, cases: AbuseCase[], ctx: CatalogueContext): void {
  describe(title, () => {
    const stores = new Map<CaseServer, ReturnType<typeof openStore>>();
    const storeOf = (server: CaseServer) => {
      let store = stores.get(server);
      if (!store) {
        store = openStore(server);
        stores.set(server, store);
      }
      return store;
    };
    afterAll(() => {
      for (const store of stores.values()) store.close();
    });

    const names = new Set<string>();
    for (const c of cases) {
      const name = `[${c.transport}] ${c.name} → ${c.expected}`;
      if (names.has(name)) throw new Error(`duplicate case: ${name}`);
      names.add(name);
      it(name, async () => {
        const server = c.on?.() ?? ctx.server();
        const url = server.app.url;
        const store = storeOf(server);
        const before = store.state();
        const watch = watchHealth(url);
        let failure: unknown;
        try {
          await c.run();
        } catch (err) {
          failure = err;
        }
        const during = await watch.stop();
        const after = await probeHealth(url);
        // The case's own assertion first: it says most about what went wrong.
        if (failure) throw failure;
        expectHealthy(during, 'during the case');
        expectHealthy([after], 'after the case');
        if (!c.mayWrite) expect(store.state()).toEqual(before);
        expectNoPollution();
      });
    }
  });
}

/** Counts cases per transport (printed by each file, and the numbers the report gives). */
export function countByTransport(cases: AbuseCase[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of cases) counts[c.transport] = (counts[c.transport] ?? 0) + 1;
  return counts;
}

// ---------------------------------------------------------------------------------------------------
// Exact answers per transport

function describeAnswer(res: { status: number; text: string }): string {
  return `HTTP ${res.status} ${res.text.slice(0, 300)}`;
}

/** REST: the HTTP status and the google.rpc.Status body `{code: <number>, message, details}`. */
export function expectRest(res: RawResponse, status: number, code: CodeName): void {
  const body = res.json as { code?: unknown; message?: unknown } | undefined;
  const got = { status: res.status, code: body?.code };
  if (got.status !== status || got.code !== Code[code]) {
    throw new Error(`expected ${status} ${code} (code ${Code[code]}), got ${describeAnswer(res)}`);
  }
  expect(typeof body?.message).toBe('string');
}

/** GraphQL over HTTP: the status, and every error's `extensions.code`; no data for any field. */
export function expectGraphql(res: RawResponse, status: number, code: string): void {
  const body = res.json as
    | { data?: Record<string, unknown> | null; errors?: Array<{ extensions?: { code?: string } }> }
    | undefined;
  const codes = body?.errors?.map((e) => e.extensions?.code) ?? [];
  const dataEmpty = !body?.data || Object.values(body.data).every((v) => v === null);
  if (res.status !== status || codes.length === 0 || codes.some((c) => c !== code) || !dataEmpty) {
    throw new Error(`expected ${status} with extensions.code ${code} on every error, got ${describeAnswer(res)}`);
  }
}

/** Connect: the status and the error body's `code` (`invalid_argument`, …). */
export function expectConnect(res: RawResponse | H2Response, status: number, code: CodeName): void {
  const body = res.json as { code?: unknown } | undefined;
  if (res.status !== status || body?.code !== code.toLowerCase()) {
    throw new Error(`expected ${status} ${code.toLowerCase()}, got ${describeAnswer(res)}`);
  }
}

/** gRPC: HTTP 200 and `grpc-status` (in trailers, or the headers of a trailers-only answer). */
export function expectGrpc(res: H2Response, code: CodeName | 'OK'): void {
  const status = res.trailers['grpc-status'] ?? res.headers['grpc-status'];
  const want = code === 'OK' ? 0 : Code[code];
  if (res.status !== 200 || String(status) !== String(want)) {
    const message = res.trailers['grpc-message'] ?? res.headers['grpc-message'];
    throw new Error(
      `expected HTTP 200 grpc-status ${want} (${code}), got HTTP ${res.status} grpc-status ${String(status)} ${String(message ?? '')}`,
    );
  }
}

/** A success, for the rare control or "stored as plain data" case. */
export function expectOk(res: { status: number; text: string }): void {
  if (res.status !== 200) throw new Error(`expected 200, got ${describeAnswer(res)}`);
}
