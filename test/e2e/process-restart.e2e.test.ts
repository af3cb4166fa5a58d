/**
 * Data survives a graceful restart of the built server on the same SQLite file: entities, events,
 * positions and versions are all still there, and new writes continue the positions and versions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, gql, wsClient } from '../support/graphql.js';
import { type ServerProcess, spawnServer } from '../support/process.js';
import {
  allEntities,
  allEvents,
  DEL_ENTITY,
  EDIT_ENTITY,
  getEntity,
  Methods,
  ok,
  SET_ENTITY,
  STREAM_EVENTS,
  strictlyIncreasing,
} from './guarantees-helpers.js';

const domain = 'restart';
const type = 'doc';
let dir: string;
let env: Record<string, string>;
const running: ServerProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stategate-restart-'));
  env = { STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(dir, 'db') }) };
});
afterAll(async () => {
  for (const server of running) await server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ server: ServerProcess; url: string }> {
  const server = await spawnServer(env);
  running.push(server);
  return { server, url: `${server.url}/api/graphql` };
}

test('a graceful restart keeps entities, events, positions and versions; new writes continue them', async () => {
  const first = await start();
  const set = async (url: string, key: string, values: Record<string, unknown>) =>
    ok(await gql(url, SET_ENTITY, { input: { domain, type, key, values } }), `set ${key}`);
  const edit = async (url: string, key: string, values: Record<string, unknown>) =>
    ok(await gql(url, EDIT_ENTITY, { input: { domain, type, key, values } }), `edit ${key}`);
  const del = async (url: string, key: string) =>
    ok(await gql(url, DEL_ENTITY, { input: { domain, type, key } }), `del ${key}`);

  for (let i = 0; i < 20; i++) await set(first.url, `doc-${i % 5}`, { i, title: `t${i}` });
  await edit(first.url, 'doc-0', { title: null, tags: ['a', 'b'] });
  await del(first.url, 'doc-1');
  await set(first.url, 'gone', { soon: true });
  await del(first.url, 'gone');

  const eventsBefore = await allEvents(first.url, domain, type);
  const entitiesBefore = await allEntities(first.url, domain, type);
  expect(eventsBefore).toHaveLength(24);
  expect(entitiesBefore.map((e) => e.key)).toEqual(['doc-0', 'doc-2', 'doc-3', 'doc-4']);

  expect(await first.server.kill('SIGTERM')).toBe(0);

  const second = await start();
  // The whole log is back, byte for byte: ids, times, methods, positions, versions and values.
  expect(await allEvents(second.url, domain, type)).toEqual(eventsBefore);
  expect(await allEntities(second.url, domain, type)).toEqual(entitiesBefore);
  expect((await getEntity(second.url, { domain, type, key: 'doc-1' })).code).toBe('NOT_FOUND');
  expect((await getEntity(second.url, { domain, type, key: 'gone' })).code).toBe('NOT_FOUND');
  expect((await getEntity(second.url, { domain, type, key: 'doc-0', version: 1 })).entity?.values).toEqual({
    i: 0,
    title: 't0',
  });

  // A stream resumed from before the restart continues from there on the new process.
  const lastPosition = Number(eventsBefore[eventsBefore.length - 1]!.position);
  const client = wsClient(second.url.replace(/^http/, 'ws'));
  const stream = collect<{ streamEvents: { position: string; entity: { key: string; version: string } } }>(
    client,
    STREAM_EVENTS,
    { input: { domain, type, after: String(lastPosition - 2) } },
  );

  // New writes continue the versions (also of a deleted entity) and the positions.
  await set(second.url, 'doc-0', { after: 'restart' });
  await set(second.url, 'doc-1', { back: true });
  await set(second.url, 'fresh', { n: 1 });
  const newEvents = (await allEvents(second.url, domain, type)).slice(eventsBefore.length);
  expect(newEvents.map((e) => [e.entity.key, Number(e.entity.version), e.method])).toEqual([
    ['doc-0', 6, Methods.set],
    ['doc-1', 6, Methods.set],
    ['fresh', 1, Methods.set],
  ]);
  const positions = [...eventsBefore, ...newEvents].map((e) => Number(e.position));
  expect(strictlyIncreasing(positions)).toBe(true);
  expect(Number(newEvents[0]!.position)).toBeGreaterThan(lastPosition);
  expect((await getEntity(second.url, { domain, type, key: 'doc-1' })).entity).toEqual({
    key: 'doc-1',
    version: '6',
    values: { back: true },
  });

  await stream.waitFor(5);
  expect(stream.items.map((item) => Number(item.data!.streamEvents.position))).toEqual(positions.slice(-5));
  stream.stop();
  await client.dispose();
  expect(await second.server.kill('SIGTERM')).toBe(0);
});
