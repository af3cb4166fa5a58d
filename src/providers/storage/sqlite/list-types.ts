import type Database from 'better-sqlite3';
import type { TypeCount } from '../../../core/model.js';
import type { TypeQuery } from '../../../core/ports/storage.js';

interface TypeRow {
  domain: string;
  type: string;
  count: bigint;
}

/**
 * ListTypes: one pass over the head table's primary key (domain, type, key), tombstones left out. TEXT
 * compares by bytes of UTF-8 here, which is code point order (G10).
 */
export function createTypeLister(db: Database.Database): (query: TypeQuery) => TypeCount[] {
  const select = (where: string) =>
    db
      .prepare(
        `SELECT domain, type, COUNT(*) AS count FROM entities WHERE ${where} ` +
          'GROUP BY domain, type ORDER BY domain, type LIMIT @limit OFFSET @offset',
      )
      .safeIntegers(true);
  const everyDomain = select('"values" IS NOT NULL');
  const oneDomain = select('domain = @domain AND "values" IS NOT NULL');
  return (query) => {
    const page = { limit: BigInt(Math.trunc(query.limit)), offset: BigInt(Math.trunc(query.offset)) };
    const rows = (
      query.domain === null ? everyDomain.all(page) : oneDomain.all({ ...page, domain: query.domain })
    ) as TypeRow[];
    return rows.map((row) => ({ domain: row.domain, type: row.type, count: Number(row.count) }));
  };
}
