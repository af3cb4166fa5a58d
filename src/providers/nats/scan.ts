import { type KV, type KvEntry, KvWatchInclude } from 'nats';

/**
 * Calls `visit` with the current entry of every key in the bucket (deletes included): one ordered
 * consumer for the whole bucket rather than a request per key. Resolves once the watcher reports that it
 * has delivered every entry that existed when it started, or after `timeoutMs`: the client documents that
 * this report can fail to come when the stream changes under the watcher, and a scan that ends early only
 * leaves the rest to the next one. Rejects if the watcher fails.
 */
export async function scanBucket(kv: KV, visit: (entry: KvEntry) => void, timeoutMs: number): Promise<void> {
  let finish!: (err?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = (err) => (err === undefined ? resolve() : reject(err));
  });
  // The client calls initializedFn from inside the iteration below, after the entries that precede it.
  const watcher = await kv.watch({ key: '>', include: KvWatchInclude.LastValue, initializedFn: () => finish() });
  const timer = setTimeout(() => finish(), timeoutMs);
  (async () => {
    for await (const entry of watcher) visit(entry);
  })().then(
    () => finish(),
    (err: unknown) => finish(err ?? new Error('bucket watcher failed')),
  );
  try {
    await done;
  } finally {
    clearTimeout(timer);
    watcher.stop();
  }
}
