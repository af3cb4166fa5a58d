/**
 * Transport conformance: one table of scenarios (scenarios.ts: every rpc, success and error cases,
 * streams, resume) run against one server through five independent clients — gRPC with @grpc/grpc-js,
 * gRPC-Web and Connect with connect-es, REST and GraphQL with fetch / graphql-ws. Each transport's
 * outcome must equal the scenario's expected outcome, and the five outcomes must be identical, error
 * messages included. Every transport × scenario works in a domain of its own.
 */
import { randomUUID } from 'node:crypto';
import { startTestServer, type TestServer } from '../../support/server.js';
import { subscribers } from '../helpers.js';
import { connectTransport } from './connect.js';
import { graphqlTransport } from './graphql.js';
import { grpcJsTransport } from './grpc-js.js';
import { grpcWebTransport } from './grpc-web.js';
import { restTransport } from './rest.js';
import { observe, scenarios } from './scenarios.js';
import { type ConformanceTransport, type Json, RPCS, StreamError, type StreamRpc, type UnaryRpc } from './transport.js';

const TRANSPORTS: Array<[string, (baseUrl: string) => ConformanceTransport]> = [
  ['grpc-js', (url) => grpcJsTransport(url.replace(/^http:\/\//, ''))],
  ['grpc-web', grpcWebTransport],
  ['connect', connectTransport],
  ['rest', restTransport],
  ['graphql', graphqlTransport],
];
const NAMES = TRANSPORTS.map(([name]) => name);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

/** scenario name → transport name → observed outcome. */
const outcomes = new Map<string, Map<string, Json>>();
/** transport name → rpc → the kinds of result seen ('ok', 'error'). */
const seen = new Map<string, Map<string, Set<'ok' | 'error'>>>();

/** Records which rpcs a transport answered with success and with an error. */
function recording(t: ConformanceTransport): ConformanceTransport {
  const byRpc = new Map<string, Set<'ok' | 'error'>>();
  seen.set(t.name, byRpc);
  const note = (rpc: string, kind: 'ok' | 'error') => {
    if (!byRpc.has(rpc)) byRpc.set(rpc, new Set());
    byRpc.get(rpc)!.add(kind);
  };
  return {
    name: t.name,
    async call(rpc: UnaryRpc, request) {
      const result = await t.call(rpc, request);
      note(rpc, result.ok ? 'ok' : 'error');
      return result;
    },
    stream(rpc: StreamRpc, request) {
      const handle = t.stream(rpc, request);
      return {
        close: () => handle.close(),
        items: {
          async *[Symbol.asyncIterator]() {
            try {
              for await (const item of handle.items) {
                note(rpc, 'ok');
                yield item;
              }
            } catch (err) {
              if (err instanceof StreamError) note(rpc, 'error');
              throw err;
            }
          },
        },
      };
    },
    close: () => t.close(),
  };
}

/** Now in ns, with a second of slack either way (the server's clock runs on hrtime from its start). */
const nowNs = (slackMs: number) => BigInt(Date.now() + slackMs) * 1_000_000n;

describe.each(TRANSPORTS)('%s', (name, make) => {
  let transport: ConformanceTransport;
  beforeAll(() => {
    transport = recording(make(server.app.url));
  });
  afterAll(async () => {
    await transport?.close();
  });
  afterEach(async () => {
    // Every stream a scenario opened is closed on the server once its client went away.
    await subscribers(server, 'event', 0);
    await subscribers(server, 'message', 0);
  });

  for (const [i, scenario] of scenarios.entries()) {
    const known = scenario.known?.[name];
    // A known difference is expected to fail: once fixed, this test fails until the entry is removed.
    const test = known ? it.failing : it;
    test(known ? `${scenario.name} [known difference: ${known}]` : scenario.name, async () => {
      const ns = `cf-${name}-${i}-${randomUUID().slice(0, 8)}`;
      const from = nowNs(-1_000);
      const raw = await scenario.run(transport, {
        ns,
        subscribers: (kind, count) => subscribers(server, kind, count),
      });
      const outcome = observe(raw, { ns, from, to: nowNs(1_000) });
      if (!outcomes.has(scenario.name)) outcomes.set(scenario.name, new Map());
      outcomes.get(scenario.name)!.set(name, outcome);
      expect(outcome).toEqual(scenario.expected);
    });
  }
});

describe('all five transports agree', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))('%s', (scenarioName, scenario) => {
    const byTransport = outcomes.get(scenarioName) ?? new Map<string, Json>();
    expect([...byTransport.keys()].sort()).toEqual([...NAMES].sort());
    // The same results, the same codes and the same error messages on every transport (but those with a
    // known difference in this scenario).
    const conforming = NAMES.filter((n) => !scenario.known?.[n]);
    const comparable = (n: string) => {
      const outcome = byTransport.get(n);
      return scenario.messagesDiffer?.[n] ? withoutErrorMessages(outcome) : outcome;
    };
    const reference = NAMES.find((n) => conforming.includes(n) && !scenario.messagesDiffer?.[n]) ?? conforming[0]!;
    expect(Object.fromEntries(conforming.map((n) => [n, comparable(n)]))).toEqual(
      Object.fromEntries(
        conforming.map((n) => [
          n,
          scenario.messagesDiffer?.[n] ? withoutErrorMessages(byTransport.get(reference)) : byTransport.get(reference),
        ]),
      ),
    );
  });

  it('every rpc was answered with a success and with an error on every transport', () => {
    const expected = Object.fromEntries(
      NAMES.map((n) => [n, Object.fromEntries([...RPCS.keys()].map((rpc) => [rpc, ['error', 'ok']]))]),
    );
    const actual = Object.fromEntries(
      NAMES.map((n) => [
        n,
        Object.fromEntries([...RPCS.keys()].map((rpc) => [rpc, [...(seen.get(n)?.get(rpc) ?? [])].sort()])),
      ]),
    );
    expect(actual).toEqual(expected);
  });
});

/** An outcome with the `message` of every error outcome (`{ok: false, code, message}`) removed. */
function withoutErrorMessages(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutErrorMessages);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const isError = (value as { ok?: unknown }).ok === false;
  return Object.fromEntries(
    entries.filter(([k]) => !(isError && k === 'message')).map(([k, v]) => [k, withoutErrorMessages(v)]),
  );
}
