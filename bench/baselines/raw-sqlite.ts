import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/providers/storage/sqlite/migrations.js';

/**
 * Raw better-sqlite3 on the server core, in stategate's own schema: what a Set costs with nothing but
 * SQLite (upsert the head, append the event, one transaction each, FULL or NORMAL sync), a Get (`stmt.get`),
 * a search of 100 rows (`stmt.all`), and a replay (`iterate` + JSON.parse) of an existing file.
 * It also seeds S6's file: `count` events straight into the schema (one transaction, no fsync), heads included.
 *   raw-sqlite.ts writes FULL|NORMAL seconds   raw-sqlite.ts reads seconds   raw-sqlite.ts replay FILE
 *   raw-sqlite.ts seed FILE COUNT
 */
const [mode, arg, arg2] = process.argv.slice(2);

function fresh(sync: string) {
  const dir = mkdtempSync(join(tmpdir(), 'stategate-bench-raw-'));
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.defaultSafeIntegers(true);
  for (const m of MIGRATIONS) db.exec(m.sql);
  return { db, dir };
}

function writes(db: Database.Database, seconds: number, keys = 1000) {
  const head = db.prepare(
    `INSERT INTO entities (domain, type, key, version, "values", time) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (domain, type, key) DO UPDATE SET version = excluded.version, "values" = excluded."values", time = excluded.time`,
  );
  const event = db.prepare(
    `INSERT INTO events (id, domain, type, key, version, method, claims, "values", time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const versions = new Map<number, bigint>();
  const one = db.transaction((n: number) => {
    const k = n % keys;
    const version = (versions.get(k) ?? 0n) + 1n;
    versions.set(k, version);
    const values = JSON.stringify({ first_name: 'Coleman', last_name: 'Word', title: 'CFO', n });
    const time = BigInt(Date.now()) * 1_000_000n;
    head.run('bench', 'doc', `k${k}`, version, values, time);
    event.run(
      crypto.randomUUID(),
      'bench',
      'doc',
      `k${k}`,
      version,
      '/stategate.EntityService/Set',
      '{}',
      values,
      time,
    );
  });
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  while (performance.now() < end) one(n++);
  return n / ((performance.now() - start) / 1000);
}

function timed(seconds: number, fn: (n: number) => void) {
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  while (performance.now() < end) fn(n++);
  return n / ((performance.now() - start) / 1000);
}

let result: Record<string, number>;
if (mode === 'writes') {
  const { db, dir } = fresh(arg!);
  result = { opsPerS: writes(db, Number(arg2 ?? 3)) };
  db.close();
  rmSync(dir, { recursive: true, force: true });
} else if (mode === 'reads') {
  const { db, dir } = fresh('FULL');
  writes(db, 0.5);
  const rows = db.prepare('SELECT count(*) AS n FROM entities').get() as { n: bigint };
  // The same statements stategate's Get and Search run, parsing values as it must.
  const get = db.prepare('SELECT version, "values", time FROM entities WHERE domain = ? AND type = ? AND key = ?');
  const all = db.prepare(
    'SELECT key, version, "values", time FROM entities WHERE domain = ? AND type = ? AND "values" IS NOT NULL ORDER BY key LIMIT 100',
  );
  const keys = Number(rows.n);
  const seconds = Number(arg ?? 3);
  result = {
    getPerS: timed(seconds, (n) => {
      const row = get.get('bench', 'doc', `k${n % keys}`) as { values: string };
      JSON.parse(row.values);
    }),
    allPerS: timed(seconds, () => {
      for (const row of all.all('bench', 'doc') as { values: string }[]) JSON.parse(row.values);
    }),
  };
  db.close();
  rmSync(dir, { recursive: true, force: true });
} else if (mode === 'seed') {
  const db = new Database(arg!);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  for (const m of MIGRATIONS) db.exec(m.sql);
  db.pragma(`user_version = ${MIGRATIONS.length}`);
  const count = Number(arg2);
  const keys = 1000;
  const event = db.prepare(
    `INSERT INTO events (id, domain, type, key, version, method, claims, "values", time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const head = db.prepare(
    `INSERT INTO entities (domain, type, key, version, "values", time) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const t0 = BigInt(Date.now() - 86_400_000) * 1_000_000n;
  const started = performance.now();
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const values = `{"first_name":"Coleman","last_name":"Word","title":"CFO","n":${i}}`;
      event.run(
        crypto.randomUUID(),
        'replay',
        'doc',
        `k${i % keys}`,
        Math.floor(i / keys) + 1,
        '/stategate.EntityService/Set',
        '{}',
        values,
        t0 + BigInt(i) * 1000n,
      );
    }
    for (let k = 0; k < Math.min(keys, count); k++) {
      const last = count - 1 - ((count - 1 - k) % keys);
      head.run('replay', 'doc', `k${k}`, Math.floor(last / keys) + 1, `{"n":${last}}`, t0 + BigInt(last) * 1000n);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  result = { events: count, seconds: (performance.now() - started) / 1000 };
} else {
  const db = new Database(arg!, { readonly: true });
  db.defaultSafeIntegers(true);
  const start = performance.now();
  let n = 0;
  for (const row of db.prepare('SELECT * FROM events WHERE position > 0 ORDER BY position').iterate() as Iterable<{
    values: string;
    claims: string;
  }>) {
    JSON.parse(row.values);
    JSON.parse(row.claims);
    n++;
  }
  const seconds = (performance.now() - start) / 1000;
  result = { events: n, seconds, eventsPerS: n / seconds };
  db.close();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
