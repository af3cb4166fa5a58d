/**
 * Sets an entity, then streams its events: the stored one first (a resume from position 0), then the live
 * ones that two edits make. Prints each event and a final `OK 3 events`.
 *
 *   STATEGATE_URL=http://127.0.0.1:8080 STATEGATE_PROTOCOL=grpc-web npx tsx clients/ts/examples/set-and-stream.ts
 */
import { randomUUID } from 'node:crypto';
import { createStategateClient, type StategateProtocol } from '@stategate/client';

const url = process.env.STATEGATE_URL ?? 'http://127.0.0.1:8080';
const protocol = (process.env.STATEGATE_PROTOCOL ?? 'connect') as StategateProtocol;
const client = createStategateClient(url, { protocol });

const ref = { domain: 'example', type: 'user', key: `ada-${randomUUID()}` };
const wanted = 3;

// 1. Set the entity: its first version, and the first event in its history.
await client.entity.set({ ...ref, values: { name: 'Ada', visits: 1 } });

// 2. Stream its events. `after: 0n` replays the stored ones first (here: the Set), then goes on live with
//    no gap; the key filter keeps the stream to this one entity.
let seen = 0;
for await (const event of client.event.stream({ ...ref, after: 0n }, { timeoutMs: 20_000 })) {
  seen++;
  const { entity } = event;
  console.log(
    `event ${seen}: ${event.method} version=${entity?.version} position=${event.position} values=${JSON.stringify(entity?.values)}`,
  );
  if (seen === wanted) break; // leaving the loop cancels the stream
  // 3. Each change appends an event, which the open stream delivers live.
  await client.entity.edit({ ...ref, values: { visits: seen + 1 } });
}
console.log(`OK ${seen} events`);
