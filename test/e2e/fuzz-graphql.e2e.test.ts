/**
 * Property-based fuzzing of GraphQL variables (issue 8) with fast-check against a live server: every
 * operation of the API with `input` variables that are near-valid (known fields, hostile values:
 * prototype keys, NUL, lone surrogates, odd numbers, non-canonical 64-bit strings, deep nesting) or
 * arbitrary JSON. For every input: never a 5xx or an INTERNAL error, never a hang, no prototype pollution,
 * and an answer with errors changes no state. Fixed seed, printed with any failure (FUZZ_SEED overrides).
 */

import fc from 'fast-check';
import { Code } from '../../src/core/errors.js';
import {
  check,
  deepText,
  FUZZ_RUNS,
  FUZZ_SEED,
  hostileJson,
  hostileKey,
  hostileString,
  int64String,
  jsonText,
} from '../support/abuse/fuzz.js';
import { expectNoPollution } from '../support/abuse/pollution.js';
import { graphqlPost } from '../support/abuse/requests.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openStore, Q } from './helpers.js';

let server: TestServer;
let store: ReturnType<typeof openStore>;
const codes = new Map<string, number>();

beforeAll(async () => {
  server = await startTestServer({ STATEGATE_MAX_BODY_BYTES: String(256 * 1024) });
  await graphqlPost(server.app.url, {
    query: 'mutation { setEntity(input: {domain: "fuzz", type: "user", key: "ann", values: {a: 1}}) }',
  });
  store = openStore(server);
  process.stdout.write(`fuzz-graphql: seed ${FUZZ_SEED}, ${FUZZ_RUNS} runs per property\n`);
});
afterAll(async () => {
  process.stdout.write(`fuzz-graphql: error codes ${JSON.stringify(Object.fromEntries([...codes].sort()))}\n`);
  store?.close();
  await server?.close();
});

const OPERATIONS = Object.entries(Q).filter(([name]) => !name.startsWith('stream')) as Array<[string, string]>;

/** Near-valid input: the fields the API knows, each with a hostile value (or left out). */
const input = fc.oneof(
  fc.record(
    {
      domain: fc.oneof(fc.constant('fuzz'), hostileString),
      type: fc.oneof(fc.constant('user'), hostileString),
      key: fc.oneof(fc.constant('ann'), hostileString),
      values: hostileJson(4),
      value: hostileJson(3),
      body: hostileJson(3),
      version: fc.oneof(int64String, fc.integer(), fc.double()),
      at: int64String,
      id: hostileString,
      limit: fc.oneof(fc.integer(), int64String),
      offset: fc.integer(),
      query_string: fc.oneof(hostileJson(3).map(jsonText), hostileString),
      min: int64String,
      max: int64String,
      after: int64String,
      exp: hostileString,
      token: hostileString,
      channel: hostileString,
      sort: fc.record({ field: hostileString, reverse: fc.boolean() }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  ),
  hostileJson(5),
);

/** The request body as text, so a `__proto__` key in the variables reaches the server as an own key. */
const requestBody = fc.oneof(
  // Valid names, hostile values: mostly accepted, so the property also covers what gets stored.
  fc
    .record({
      key: fc.constantFrom('ann', 'bob', 'cid'),
      values: fc.dictionary(hostileKey, hostileJson(4), { maxKeys: 4 }),
    })
    .map(
      ({ key, values }) =>
        `{"query": ${JSON.stringify(Q.set)}, "variables": {"input": {"domain": "fuzz", "type": "user", "key": "${key}", "values": ${jsonText(values)}}}}`,
    ),
  fc
    .record({ operation: fc.constantFrom(...OPERATIONS), input })
    .map(
      ({ operation: [, query], input }) =>
        `{"query": ${JSON.stringify(query)}, "variables": {"input": ${jsonText(input)}}}`,
    ),
  fc
    .record({ operation: fc.constantFrom(...OPERATIONS), deep: deepText })
    .map(
      ({ operation: [, query], deep }) =>
        `{"query": ${JSON.stringify(query)}, "variables": {"input": {"domain": "fuzz", "type": "user", "key": "ann", "values": {"a": ${deep}}}}}`,
    ),
  fc
    .record({ operation: fc.constantFrom(...OPERATIONS), variables: hostileJson(4) })
    .map(
      ({ operation: [, query], variables }) =>
        `{"query": ${JSON.stringify(query)}, "variables": ${jsonText(variables)}}`,
    ),
);

describe('fuzzed GraphQL variables', () => {
  it('never a 5xx or INTERNAL, no pollution, an error changes nothing', async () => {
    await check('GraphQL variables', requestBody, async (body) => {
      const before = store.state();
      const res = await graphqlPost(server.app.url, body);
      if (res.status >= 500) throw new Error(`a 5xx: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      const answer = res.json as { errors?: Array<{ extensions?: { code?: string } }> } | undefined;
      if (answer === undefined)
        throw new Error(`an answer that is not JSON: HTTP ${res.status} ${res.text.slice(0, 200)}`);
      for (const e of answer.errors ?? []) {
        const code = e.extensions?.code ?? '(none)';
        codes.set(code, (codes.get(code) ?? 0) + 1);
        // Codes are gRPC code names, a closed set (README "Errors"); INTERNAL would be a server fault.
        if (code === 'INTERNAL' || !Object.hasOwn(Code, code))
          throw new Error(`an error coded ${code}: ${res.text.slice(0, 300)}`);
      }
      if ((answer.errors?.length ?? 0) > 0) expect(store.state()).toEqual(before);
      else codes.set('(success)', (codes.get('(success)') ?? 0) + 1);
      expectNoPollution();
    });
  });
});
