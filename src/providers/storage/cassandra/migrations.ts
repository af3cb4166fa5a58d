import type cassandra from 'cassandra-driver';
import { failedPrecondition } from '../../../core/errors.js';

/*
 * Versioned schema migrations, applied in order at start. The keyspace's `migrations` table records each
 * version once applied; a version is never edited after it shipped, a change is a new version. Every
 * statement is idempotent (IF NOT EXISTS), so an instance that dies half-way simply runs it again.
 */

/** A keyspace name CQL takes unquoted (and case-folds nothing, as it is lower case only when quoted). */
const KEYSPACE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

export function checkKeyspace(keyspace: string): string {
  if (!KEYSPACE_NAME.test(keyspace))
    throw failedPrecondition(
      `keyspace "${keyspace}" is not a Cassandra keyspace name (a letter, then letters, digits or _; 48 at most)`,
    );
  return keyspace.toLowerCase();
}

/** Replication as CQL's map literal; values are strings or numbers (`{"class": "NetworkTopologyStrategy", "dc1": 3}`). */
export function replicationLiteral(replication: Readonly<Record<string, string | number>>): string {
  const entries = Object.entries(replication);
  if (!entries.some(([name]) => name === 'class'))
    throw failedPrecondition('replication needs a "class" (SimpleStrategy or NetworkTopologyStrategy)');
  const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
  return `{${entries.map(([name, value]) => `${quote(name)}: ${quote(String(value))}`).join(', ')}}`;
}

/**
 * One table, `ledger`, whose single partition (shard 0) holds the whole store: Cassandra's lightweight
 * transactions (and batches with conditions) are atomic within one partition only, and every append must
 * check its entity's version, claim its event id and claim the next log position at once (G1, G3, G4).
 * The clustering key (pos, entity, seq) lays out the kinds of row side by side (see rows.ts).
 */
const MIGRATIONS: { version: number; statements: (keyspace: string) => string[] }[] = [
  {
    version: 1,
    statements: (ks) => [
      `CREATE TABLE IF NOT EXISTS ${ks}.ledger (
        shard int,
        pos bigint,
        entity text,
        seq bigint,
        id text,
        domain text,
        etype text,
        ekey text,
        version int,
        method text,
        etime bigint,
        claims text,
        state text,
        deleted boolean,
        ref bigint,
        PRIMARY KEY ((shard), pos, entity, seq)
      ) WITH CLUSTERING ORDER BY (pos ASC, entity ASC, seq ASC)`,
    ],
  },
  {
    // Triggers (trigger-store.ts): the trigger's fields static, its dead letters as rows.
    version: 2,
    statements: (ks) => [
      `CREATE TABLE IF NOT EXISTS ${ks}.triggers (
        name text,
        position bigint,
        event_id text,
        spec text STATIC,
        cursor bigint STATIC,
        epoch bigint STATIC,
        last_error text STATIC,
        attempts int STATIC,
        created_at bigint STATIC,
        live boolean STATIC,
        domain text,
        etype text,
        ekey text,
        letter_attempts int,
        letter_error text,
        letter_time bigint,
        replay boolean,
        PRIMARY KEY ((name), position, event_id)
      )`,
    ],
  },
];

/** Creates the keyspace when it is missing and applies the migrations not yet recorded. */
export async function migrate(
  client: cassandra.Client,
  keyspace: string,
  replication: Readonly<Record<string, string | number>>,
): Promise<number[]> {
  await client.execute(
    `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${replicationLiteral(replication)}`,
    [],
    { prepare: false },
  );
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${keyspace}.migrations (version int PRIMARY KEY, applied_at timestamp)`,
    [],
    { prepare: false },
  );
  const done = new Set(
    (await client.execute(`SELECT version FROM ${keyspace}.migrations`, [])).rows.map((row) => Number(row.version)),
  );
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements(keyspace)) await client.execute(statement, [], { prepare: false });
    await client.execute(`INSERT INTO ${keyspace}.migrations (version, applied_at) VALUES (?, toTimestamp(now()))`, [
      migration.version,
    ]);
    applied.push(migration.version);
  }
  return applied;
}
