import type { Event } from '../../src/core/model.js';
import type { StorageProvider } from '../../src/core/ports/storage.js';
import { unique } from './helpers.js';
import { intent } from './storage.contract.js';

export interface LogOrderOptions {
  /** What one writer or the reader is in the test name ("separate pools", "separate clients"). */
  instances?: string;
  /** Jest timeout for the test; slow backends (FerretDB) need more than the default. */
  timeoutMs?: number;
  /**
   * Appends per writer (default 25). FerretDB scans its collection for every log read, so the mongo run
   * uses fewer to stay within CI time; 20 writers still race for every position.
   */
  perWriter?: number;
}

const WRITERS = 20;

/**
 * G4 under real concurrency: 20 independent instances of a provider (each its own pool or client) append
 * while a reader tails the log. The reader must never see a position at or below one it already saw, and
 * must end with every event that was acknowledged, in position order, each entity's versions consecutive.
 *
 * `openInstance` is called once for the reader and once per writer; every instance must share one log.
 */
export function describeLogOrderUnderConcurrency(
  name: string,
  openInstance: () => Promise<StorageProvider>,
  options: LogOrderOptions = {},
): void {
  describe(`log order under concurrency: ${name}`, () => {
    it(
      `G4: with ${WRITERS} concurrent writers (${options.instances ?? 'separate instances'}), a tailing reader sees rising positions and skips nothing`,
      async () => {
        const domain = unique('g4');
        const reader = await openInstance();
        const writers = await Promise.all(Array.from({ length: WRITERS }, () => openInstance()));
        try {
          const start = await reader.headPosition();
          const seen: Event[] = [];
          let writing = true;
          let after = start;
          const tail = (async () => {
            for (;;) {
              // Decided before the read: a read that started while writes were still committing may miss them.
              const finished = !writing;
              const page = await reader.readLog(after, 50);
              for (const event of page) {
                if (event.position <= after) throw new Error(`position ${event.position} after ${after}`);
                after = event.position;
                if (event.entity.domain === domain) seen.push(event);
              }
              if (finished && page.length === 0) return;
            }
          })();
          const perWriter = options.perWriter ?? 25;
          const began = performance.now();
          const written = (
            await Promise.all(
              writers.map(async (writer, w) => {
                const mine: Event[] = [];
                for (let i = 0; i < perWriter; i++) {
                  // Some writers share entities, so entity-level races (row locks, version retries)
                  // interleave with the races for log positions.
                  mine.push(
                    await writer.append(intent.set({ domain, type: 't', key: `k${(w * 7 + i) % 30}` }, { w, i })),
                  );
                }
                return mine;
              }),
            )
          ).flat();
          const seconds = (performance.now() - began) / 1000;
          writing = false;
          await tail;
          console.log(
            `${name} G4: ${written.length} appends by ${WRITERS} writers in ${seconds.toFixed(2)} s = ${Math.round(written.length / seconds)} appends/s`,
          );

          expect(written).toHaveLength(WRITERS * perWriter);
          const sorted = [...written].sort((a, b) => a.position - b.position);
          expect(seen.map((e) => e.position)).toEqual(sorted.map((e) => e.position));
          expect(seen).toEqual(sorted);
          // G2 along the log: each entity's versions are consecutive in position order.
          const versions = new Map<string, number>();
          for (const e of seen) {
            const last = versions.get(e.entity.key) ?? 0;
            expect(e.entity.version).toBe(last + 1);
            versions.set(e.entity.key, e.entity.version);
          }
        } finally {
          await Promise.all([reader, ...writers].map((s) => s.close()));
        }
      },
      options.timeoutMs,
    );
  });
}
