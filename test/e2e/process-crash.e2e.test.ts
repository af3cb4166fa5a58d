/**
 * G1 — an acknowledged mutation is durable, and its state and event commit atomically. 20 clients write a
 * mix of setEntity / editEntity / delEntity to the built server; it is SIGKILLed mid-write and restarted
 * on the same SQLite file. Every acknowledged mutation must be there with its event, each entity's state
 * must be its latest event's, and per-entity versions must still be 1..N.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCode, type GraphqlResponse, gql } from '../support/graphql.js';
import { type ServerProcess, spawnServer } from '../support/process.js';
import {
  allEntities,
  allEvents,
  DEL_ENTITY,
  EDIT_ENTITY,
  getEntity,
  Methods,
  SET_ENTITY,
  sleep,
  strictlyIncreasing,
  type WireEvent,
} from './guarantees-helpers.js';

const domain = 'crash';
const type = 'item';
const CLIENTS = 20;
const SHARED_KEYS = 4;
const OWN_KEYS = 3;
/** How long the clients write before the kill (a duration, not an assertion). */
const WRITE_MS = 1_500;

type Op = 'set' | 'edit' | 'del';
/** One mutation as a client sent it; `wid` is unique and travels in the values of a set or edit. */
interface Mutation {
  op: Op;
  key: string;
  wid: string;
}

let dir: string;
let env: Record<string, string>;
const running: ServerProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stategate-crash-'));
  env = { STATEGATE_STORAGE_PROVIDER: JSON.stringify({ name: 'sqlite', path: join(dir, 'db') }) };
});
afterAll(async () => {
  for (const server of running) await server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A small deterministic PRNG, so a failure can be rerun with the same op mix per client. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function send(url: string, m: Mutation, seq: number): Promise<GraphqlResponse> {
  const ref = { domain, type, key: m.key };
  if (m.op === 'set') return gql(url, SET_ENTITY, { input: { ...ref, values: { wid: m.wid, seq, kind: 'set' } } });
  if (m.op === 'edit') return gql(url, EDIT_ENTITY, { input: { ...ref, values: { wid: m.wid, edits: seq } } });
  return gql(url, DEL_ENTITY, { input: ref });
}

/** What an event says happened: the op, and for a set or edit the wid it wrote. */
function opOf(event: WireEvent): string {
  if (event.method === Methods.del) return 'del';
  const op = event.method === Methods.set ? 'set' : event.method === Methods.edit ? 'edit' : event.method;
  return `${op}:${event.entity.values.wid}`;
}
const describeMutation = (m: Mutation) => (m.op === 'del' ? 'del' : `${m.op}:${m.wid}`);

test('G1: after SIGKILL mid-write, every acknowledged mutation is there with its event, atomically', async () => {
  const first = await spawnServer(env);
  running.push(first);
  const url = `${first.url}/api/graphql`;

  const acked: Mutation[] = [];
  /** Per client: its acknowledged mutations in order, and the one it had in flight when the server died. */
  const perClient = Array.from({ length: CLIENTS }, () => ({
    acked: [] as Mutation[],
    inFlight: null as Mutation | null,
  }));
  const refusals: Record<string, number> = {};
  let killed = false;

  const clients = perClient.map(async (me, c) => {
    const random = prng(c + 1);
    for (let seq = 0; !killed; seq++) {
      const key =
        random() < 0.5 ? `own-${c}-${Math.floor(random() * OWN_KEYS)}` : `shared-${Math.floor(random() * SHARED_KEYS)}`;
      const roll = random();
      const op: Op = roll < 0.5 ? 'set' : roll < 0.8 ? 'edit' : 'del';
      const m: Mutation = { op, key, wid: `${c}-${seq}` };
      me.inFlight = m;
      let res: GraphqlResponse;
      try {
        res = await send(url, m, seq);
      } catch {
        return; // the server died with this request in flight: not acknowledged
      }
      me.inFlight = null;
      if (res.errors?.length) {
        // Editing or deleting an entity that does not exist (yet, or any more) is refused; nothing else may be.
        const code = errorCode(res) ?? JSON.stringify(res);
        refusals[code] = (refusals[code] ?? 0) + 1;
        continue;
      }
      me.acked.push(m);
      acked.push(m);
    }
  });

  await sleep(WRITE_MS);
  const ackedBeforeKill = acked.length;
  const inFlightAtKill = perClient.filter((me) => me.inFlight !== null).length;
  await first.kill('SIGKILL');
  expect(first.child.signalCode).toBe('SIGKILL');
  killed = true;
  await Promise.all(clients);
  // Responses that raced the kill are acknowledgements too: they were sent after the commit.
  console.info(
    `G1 crash: ${ackedBeforeKill} mutations acknowledged when SIGKILL was sent (${acked.length} in all), ` +
      `${inFlightAtKill} in flight; refusals: ${JSON.stringify(refusals)}; by op: ` +
      JSON.stringify(
        Object.fromEntries(
          (['set', 'edit', 'del'] as const).map((op) => [op, acked.filter((m) => m.op === op).length]),
        ),
      ),
  );
  expect(ackedBeforeKill).toBeGreaterThan(CLIENTS);
  expect(inFlightAtKill).toBeGreaterThan(0);
  expect(Object.keys(refusals).filter((code) => code !== 'NOT_FOUND')).toEqual([]);

  const second = await spawnServer(env);
  running.push(second);
  const url2 = `${second.url}/api/graphql`;
  const events = await allEvents(url2, domain, type);
  console.info(
    `G1 crash: after restart the log holds ${events.length} events for ${acked.length} acknowledged mutations`,
  );

  // The log: positions strictly increasing, ids unique.
  expect(strictlyIncreasing(events.map((e) => Number(e.position)))).toBe(true);
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

  // Every acknowledged set and edit is in the log, as the event of that key that wrote its wid.
  const byWid = new Map(events.filter((e) => e.method !== Methods.del).map((e) => [String(e.entity.values.wid), e]));
  const missing = acked.filter((m) => m.op !== 'del' && !byWid.has(m.wid));
  expect(missing).toEqual([]);
  for (const m of acked.filter((m) => m.op !== 'del')) {
    const event = byWid.get(m.wid)!;
    expect([event.entity.key, event.method]).toEqual([m.key, m.op === 'set' ? Methods.set : Methods.edit]);
  }

  const byKey = new Map<string, WireEvent[]>();
  for (const e of events) byKey.set(e.entity.key, [...(byKey.get(e.entity.key) ?? []), e]);

  // Every acknowledged delete has its Del event (a delete carries no wid, so count them per key).
  const ackedDels = new Map<string, number>();
  for (const m of acked.filter((m) => m.op === 'del')) ackedDels.set(m.key, (ackedDels.get(m.key) ?? 0) + 1);
  const delsShort = [...ackedDels].filter(
    ([key, n]) => (byKey.get(key) ?? []).filter((e) => e.method === Methods.del).length < n,
  );
  expect(delsShort).toEqual([]);

  // A key with a single writer: its log is exactly what that client got acknowledged, in order, plus at
  // most the one mutation it had in flight when the server died.
  perClient.forEach((me, c) => {
    for (let k = 0; k < OWN_KEYS; k++) {
      const key = `own-${c}-${k}`;
      const logged = (byKey.get(key) ?? []).map(opOf);
      const ackedHere = me.acked.filter((m) => m.key === key).map(describeMutation);
      expect({ key, logged: logged.slice(0, ackedHere.length) }).toEqual({ key, logged: ackedHere });
      const extra = logged.slice(ackedHere.length);
      const possible = me.inFlight?.key === key ? [describeMutation(me.inFlight)] : [];
      expect({ key, extra }).toEqual({ key, extra: extra.length === 0 ? [] : possible });
    }
  });

  // Per entity: versions 1..N, and the state is exactly its latest event's (deleted: NOT_FOUND, Del last).
  const live = new Map((await allEntities(url2, domain, type)).map((e) => [e.key, e]));
  for (const [key, history] of byKey) {
    expect({ key, versions: history.map((e) => Number(e.entity.version)) }).toEqual({
      key,
      versions: history.map((_, i) => i + 1),
    });
    const latest = history[history.length - 1]!;
    const current = await getEntity(url2, { domain, type, key });
    if (latest.method === Methods.del) {
      expect({ key, code: current.code, listed: live.has(key) }).toEqual({ key, code: 'NOT_FOUND', listed: false });
    } else {
      const expected = { key, version: latest.entity.version, values: latest.entity.values };
      expect(current.entity).toEqual(expected);
      expect(live.get(key)).toEqual(expected);
    }
  }
  // No state without its events.
  expect([...live.keys()].filter((key) => !byKey.has(key))).toEqual([]);

  // And the restarted server takes writes again, continuing the versions.
  const someKey = [...byKey.keys()][0]!;
  const res = await gql(url2, SET_ENTITY, { input: { domain, type, key: someKey, values: { after: 'crash' } } });
  expect(res.errors).toBeUndefined();
  expect(Number((await getEntity(url2, { domain, type, key: someKey })).entity!.version)).toBe(
    byKey.get(someKey)!.length + 1,
  );
  expect(await second.kill('SIGTERM')).toBe(0);
});
