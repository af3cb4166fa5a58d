/**
 * Publish→receive throughput and latency of the Redis bus between two instances (two buses), for the
 * before/after numbers of moving it onto graphql-redis-subscriptions. Not a test (no timed assertions in
 * tests; benchmarks proper live in bench/).
 *
 *   npx tsx test/int/redis-bus-throughput.ts [messages=20000] [inFlight=64] [bytes=200]
 */
import { performance } from 'node:perf_hooks';
import { createRedisBus } from '../../src/providers/bus/redis-bus.js';

const url = process.env.STATEGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const [messages = 20_000, inFlight = 64, bytes = 200] = process.argv.slice(2).map(Number);
const topic = `throughput-${process.pid}`;
const payload = (i: number) => `${i}:`.padEnd(bytes, 'x');

const a = await createRedisBus({ url });
const b = await createRedisBus({ url });
try {
  // Throughput: `inFlight` publishes outstanding at a time, until the subscriber has received them all.
  let received = 0;
  let inOrder = true;
  let done!: () => void;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const unsubscribe = await b.subscribe(topic, (message) => {
    if (Number(message.slice(0, message.indexOf(':'))) !== received) inOrder = false;
    if (++received === messages) done();
  });
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < messages) await a.publish(topic, payload(next++));
    }),
  );
  await all;
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `throughput: ${messages} × ${bytes} B in ${seconds.toFixed(2)} s = ${(messages / seconds).toFixed(0)} msg/s (${inFlight} in flight, in order: ${inOrder})`,
  );
  await unsubscribe();

  // Latency: one message at a time, publish → handler.
  const samples: number[] = [];
  let arrived!: () => void;
  const off = await b.subscribe(`${topic}-latency`, () => arrived());
  for (let i = 0; i < 2000; i++) {
    const got = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const sent = performance.now();
    await a.publish(`${topic}-latency`, payload(i));
    await got;
    samples.push(performance.now() - sent);
  }
  await off();
  samples.sort((x, y) => x - y);
  const at = (q: number) => samples[Math.floor(q * (samples.length - 1))]!.toFixed(3);
  console.log(`latency: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms (2000 one at a time)`);
} finally {
  await Promise.all([a.close(), b.close()]);
}
