/**
 * G3 — no lost update. 50 clients do read-modify-write over GraphQL HTTP on one entity, each with the
 * version it read as a precondition. Whatever interleaving the server sees, no increment may vanish.
 */
import { errorCode, gql } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { allEvents, getEntity, Methods, ok, SET_ENTITY } from './guarantees-helpers.js';

const WRITERS = 50;
const MAX_ATTEMPTS = 200;
const ref = { domain: 'g3', type: 'counter', key: 'shared' };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

interface WriterResult {
  succeeded: boolean;
  attempts: number;
  /** The version each successful set was made against. */
  basedOn?: number;
  /** Error codes of the failed attempts. */
  failures: string[];
}

async function writer(url: string): Promise<WriterResult> {
  const failures: string[] = [];
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const read = await getEntity(url, ref);
    if (!read.entity) throw new Error(`getEntity failed: ${read.code}`);
    const version = Number(read.entity.version);
    const counter = read.entity.values.counter as number;
    const res = await gql(url, SET_ENTITY, {
      input: { ...ref, version: String(version), values: { counter: counter + 1 } },
    });
    if (!res.errors?.length && res.data?.setEntity === true) {
      return { succeeded: true, attempts: attempt, basedOn: version, failures };
    }
    failures.push(errorCode(res) ?? JSON.stringify(res));
  }
  return { succeeded: false, attempts: MAX_ATTEMPTS, failures };
}

test('G3: 50 concurrent read-modify-write writers with a version precondition lose no update', async () => {
  const url = server.httpUrl;
  ok(await gql(url, SET_ENTITY, { input: { ...ref, version: '-1', values: { counter: 0 } } }), 'create');

  const results = await Promise.all(Array.from({ length: WRITERS }, () => writer(url)));

  const successes = results.filter((r) => r.succeeded);
  const failures = results.flatMap((r) => r.failures);
  const attempts = results.reduce((n, r) => n + r.attempts, 0);
  console.info(
    `G3: ${WRITERS} writers, ${attempts} attempts, ${successes.length} succeeded, ${failures.length} ABORTED, ` +
      `most attempts by one writer: ${Math.max(...results.map((r) => r.attempts))}`,
  );

  // Contention really happened, and every refused attempt was refused for its stale version.
  expect(successes.length).toBeGreaterThan(0);
  expect(failures.length).toBeGreaterThan(0);
  expect(new Set(failures)).toEqual(new Set(['ABORTED']));

  // The counter counts exactly the acknowledged sets: nobody overwrote anybody silently.
  const final = await getEntity(url, ref);
  expect(final.entity!.values).toEqual({ counter: successes.length });
  expect(Number(final.entity!.version)).toBe(successes.length + 1);

  // Each successful set was made against a different version: 1..successes.
  const basedOn = successes.map((r) => r.basedOn!).sort((a, b) => a - b);
  expect(basedOn).toEqual(Array.from({ length: successes.length }, (_, i) => i + 1));

  // The log holds versions 1..N with no gap or repeat, each one step of the counter, one event per success.
  const events = (await allEvents(url, ref.domain, ref.type)).filter((e) => e.entity.key === ref.key);
  expect(events.map((e) => Number(e.entity.version))).toEqual(
    Array.from({ length: successes.length + 1 }, (_, i) => i + 1),
  );
  expect(events.map((e) => e.entity.values.counter)).toEqual(Array.from({ length: successes.length + 1 }, (_, i) => i));
  expect(events.every((e) => e.method === Methods.set)).toBe(true);
});
