/**
 * The guard of core (src/core/guard.ts) on real providers (sqlite in memory, memory bus/cache/mutex): policies that
 * throw deny, the response policy filters stream items, streams count against their principal and end
 * UNAUTHENTICATED when the caller's token expires.
 */
import type { JsonObject } from '../../src/core/model.js';
import type { AccessPolicy, CallContext } from '../../src/core/ports/access.js';
import { createStategate, type Stategate } from '../../src/core/stategate.js';
import { createMemoryBus } from '../../src/providers/bus/memory-bus.js';
import { createMemoryCache } from '../../src/providers/cache/memory-cache.js';
import { createMemoryMutex } from '../../src/providers/mutex/memory-mutex.js';
import { createSqliteStorage } from '../../src/providers/storage/sqlite/index.js';

const ctx: CallContext = { transport: 'rest', metadata: {}, peer: '127.0.0.1' };
const unlimited = { rateLimitRps: 0, rateLimitBurst: 1, maxInFlight: 1000, streamsPerPrincipal: 1000 };

let stategate: Stategate | undefined;
afterEach(async () => {
  await stategate?.close();
  stategate = undefined;
});

async function start(access: Partial<AccessPolicy>, admission = unlimited): Promise<Stategate> {
  stategate = await createStategate({
    storage: createSqliteStorage({ path: ':memory:' }),
    bus: createMemoryBus(),
    cache: createMemoryCache(),
    mutex: createMemoryMutex(),
    access: {
      authenticate: async () => ({}),
      allowRequest: async () => true,
      allowResponse: async () => true,
      ...access,
    },
    admission,
  });
  return stategate;
}

const entity = (key: string, values: JsonObject = { n: 1 }) => ({ domain: 'd', type: 't', key, values });

it('denies a call whose request policy throws, and changes nothing', async () => {
  const { api } = await start({
    allowRequest: async () => {
      throw new Error('policy crashed');
    },
  });
  await expect(api.entities.set(ctx, entity('a'))).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  expect(await stategate?.api.events.search(ctx, { domain: 'd', type: 't', limit: 10 }).catch(() => [])).toEqual([]);
});

it('withholds a response whose response policy throws or answers anything but true', async () => {
  let answer: unknown = true;
  const { api } = await start({
    allowResponse: async (input) => {
      if ((input.body as { key?: string }).key === 'boom' && answer !== true) throw new Error('crash');
      return answer as boolean;
    },
  });
  await api.entities.set(ctx, entity('a'));
  await api.entities.set(ctx, entity('boom'));
  answer = 'yes';
  await expect(api.entities.get(ctx, { domain: 'd', type: 't', key: 'boom' })).rejects.toMatchObject({
    code: 'PERMISSION_DENIED',
  });
  await expect(api.entities.get(ctx, { domain: 'd', type: 't', key: 'a' })).rejects.toMatchObject({
    code: 'PERMISSION_DENIED',
  });
  answer = true;
  await expect(api.entities.get(ctx, { domain: 'd', type: 't', key: 'a' })).resolves.toMatchObject({ key: 'a' });
});

it('drops the stream items the response policy denies', async () => {
  const { api } = await start({
    allowResponse: async (input) => {
      const response = input.response as { entity?: { key?: string } };
      return !input.method.endsWith('/Stream') || response.entity?.key !== 'secret';
    },
  });
  const stream = await api.events.stream(ctx, { domain: 'd' });
  await api.entities.set(ctx, entity('secret'));
  await api.entities.set(ctx, entity('public'));
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  expect(first.value.entity.key).toBe('public');
  stream.close();
});

it('counts open streams per principal and frees them when a stream closes', async () => {
  const { api } = await start(
    { authenticate: async (c) => ({ sub: c.metadata['x-user'] ?? 'nobody' }) },
    { ...unlimited, streamsPerPrincipal: 2 },
  );
  const alice: CallContext = { ...ctx, metadata: { 'x-user': 'alice' } };
  const bob: CallContext = { ...ctx, metadata: { 'x-user': 'bob' } };
  const one = await api.events.stream(alice, { domain: 'd' });
  await api.events.stream(alice, { domain: 'd' });
  await expect(api.events.stream(alice, { domain: 'd' })).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
  await expect(api.peers.stream(alice, { domain: 'd' })).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
  await api.events.stream(bob, { domain: 'd' });
  one.close();
  await expect(api.events.stream(alice, { domain: 'd' })).resolves.toBeDefined();
});

it('ends a stream UNAUTHENTICATED, resumable, when the token expires, and frees its slot', async () => {
  // Two seconds ahead (whole seconds, as `exp` is): one could be a few ms away, and the set below then
  // lands after the expiry on a busy machine.
  const exp = Math.floor(Date.now() / 1000) + 2;
  const { api } = await start(
    { authenticate: async () => ({ sub: 'alice', exp }) },
    { ...unlimited, streamsPerPrincipal: 1 },
  );
  const stream = await api.events.stream(ctx, { domain: 'd' });
  const iterator = stream[Symbol.asyncIterator]();
  await api.entities.set(ctx, entity('before'));
  expect((await iterator.next()).value.entity.key).toBe('before');
  const ended = iterator.next();
  await expect(ended).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/resume/) });
  expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
  await expect(iterator.next()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
});

it('refuses at once a stream whose token has already expired', async () => {
  const { api } = await start({ authenticate: async () => ({ sub: 'alice', exp: 1 }) });
  const stream = await api.events.stream(ctx, { domain: 'd' });
  await expect(stream[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
});

it('rate-limits per principal with RESOURCE_EXHAUSTED and a retry hint, before validating the input', async () => {
  const { api } = await start({}, { ...unlimited, rateLimitRps: 1, rateLimitBurst: 2 });
  await api.cache.set(ctx, { domain: 'd', key: 'k', value: 1 });
  await api.cache.get(ctx, { domain: 'd', key: 'k' });
  await expect(api.cache.get(ctx, { domain: '', key: 'k' })).rejects.toMatchObject({
    code: 'RESOURCE_EXHAUSTED',
    retryAfterMs: expect.any(Number),
  });
  await expect(api.cache.get({ ...ctx, peer: '127.0.0.2' }, { domain: 'd', key: 'k' })).resolves.toMatchObject({
    value: 1,
  });
});
