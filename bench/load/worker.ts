import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { histogram, latencyOf, nowMs } from '../lib/stats.js';
import { closeSubscribers, counters, publish, subscribe, warm } from './fanout.js';
import { grpcMax, grpcMutex, grpcOpen } from './grpc.js';
import { httpMax, httpOpen } from './http.js';

/**
 * The load process (pinned to the load core by the runner). It reads one JSON command per stdin line,
 * `{id, cmd, args}`, and answers `{id, result}` or `{id, error}` on stdout; state (open subscribers) lives
 * between commands.
 */

type Args = Record<string, unknown> & { url: string };

async function redisRaw(args: {
  url: string;
  op: 'setget' | 'ping' | 'mutex';
  concurrency?: number;
  durationS?: number;
  rate?: number;
  count?: number;
}) {
  if (args.op === 'ping') {
    // publish → subscribe latency through Redis pub/sub, at a fixed rate.
    const sub = new Redis(args.url);
    const pub = new Redis(args.url);
    const h = histogram();
    let got = 0;
    await sub.subscribe('bench-ping');
    sub.on('message', (_c: string, m: string) => {
      got++;
      h.recordValue(Math.max(1, Math.round((nowMs() - Number(m)) * 1000)));
    });
    const count = args.count ?? 500;
    const rate = args.rate ?? 100;
    const start = nowMs() + 20;
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / rate;
      while (nowMs() < due) await new Promise((r) => setTimeout(r, 1));
      void pub.publish('bench-ping', String(due));
    }
    const until = nowMs() + 5000;
    while (got < count && nowMs() < until) await new Promise((r) => setTimeout(r, 10));
    sub.disconnect();
    pub.disconnect();
    return { sent: count, got, ...latencyOf(h) };
  }
  const concurrency = args.concurrency ?? 16;
  const clients = Array.from({ length: Math.ceil(concurrency / 16) }, () => new Redis(args.url));
  const end = nowMs() + (args.durationS ?? 3) * 1000;
  const start = nowMs();
  let ops = 0;
  let violations = 0;
  let holders = 0;
  const unlock = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const r = clients[w % clients.length]!;
      let n = 0;
      while (nowMs() < end) {
        n++;
        if (args.op === 'setget') {
          await r.set(`bench:raw:k${(w * 7919 + n) % 1000}`, String(n));
          await r.get(`bench:raw:k${(w * 7919 + n) % 1000}`);
          ops++;
        } else {
          const token = `${w}-${n}`;
          const got = await r.set('bench:raw:lock', token, 'PX', 60_000, 'NX');
          if (got !== 'OK') continue;
          ops++;
          if (holders > 0) violations++;
          holders++;
          await new Promise((x) => setImmediate(x));
          holders--;
          await r.eval(unlock, 1, 'bench:raw:lock', token);
        }
      }
    }),
  );
  const seconds = (nowMs() - start) / 1000;
  for (const c of clients) c.disconnect();
  return { opsPerS: ops / seconds, ops, violations };
}

/** Replays the log from position 0 over REST NDJSON until `count` events of `domain` arrived. */
function replay(args: { url: string; domain: string; count: number; timeoutS: number }) {
  return new Promise((done, fail) => {
    const start = nowMs();
    let lines = 0;
    let firstAt = 0;
    const req = request(`${args.url}/api/events/stream?domain=${args.domain}&after=0`, { agent: false }, (res) => {
      if (res.statusCode !== 200) return fail(new Error(`replay status ${res.statusCode}`));
      const timer = setTimeout(() => finish(), args.timeoutS * 1000);
      const finish = () => {
        clearTimeout(timer);
        const seconds = (nowMs() - start) / 1000;
        req.destroy();
        done({
          events: lines,
          seconds,
          eventsPerS: lines / seconds,
          firstEventMs: firstAt - start,
          complete: lines >= args.count,
        });
      };
      res.on('data', (chunk: Buffer) => {
        if (!firstAt) firstAt = nowMs();
        let i = chunk.indexOf(10);
        while (i >= 0) {
          lines++;
          i = chunk.indexOf(10, i + 1);
        }
        if (lines >= args.count) finish();
      });
      res.on('error', () => {});
    });
    req.on('error', (err) => fail(err));
    req.end();
  });
}

const commands: Record<string, (args: Args) => Promise<unknown>> = {
  httpMax: (a) => httpMax(a as never),
  httpOpen: (a) => httpOpen(a as never),
  grpcMax: (a) => grpcMax(a as never),
  grpcOpen: (a) => grpcOpen(a as never),
  grpcMutex: (a) => grpcMutex(a as never),
  subscribe: (a) => subscribe(a as never),
  warm: (a) => warm(a as never),
  publish: (a) => publish(a as never),
  close: () => closeSubscribers(),
  counters: async () => counters(),
  redisRaw: (a) => redisRaw(a as never),
  replay: (a) => replay(a as never),
};

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, cmd, args } = JSON.parse(line) as { id: number; cmd: string; args: Args };
  const run = commands[cmd];
  (run ? run(args) : Promise.reject(new Error(`unknown command ${cmd}`))).then(
    (result) => process.stdout.write(`${JSON.stringify({ id, result })}\n`),
    (err: Error) => process.stdout.write(`${JSON.stringify({ id, error: String(err?.stack ?? err) })}\n`),
  );
});
process.stdout.write('{"ready":true}\n');
