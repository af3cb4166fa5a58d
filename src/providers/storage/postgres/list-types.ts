import type pg from 'pg';
import type { TypeCount } from '../../../core/model.js';
import type { TypeQuery } from '../../../core/ports/storage.js';

/** ListTypes over the head table; its names are COLLATE "C", so the order is code point order (G10). */
export async function listTypes(pool: pg.Pool, query: TypeQuery): Promise<TypeCount[]> {
  const params: string[] = [Math.trunc(query.limit).toString(), Math.trunc(query.offset).toString()];
  let where = '"values" IS NOT NULL';
  if (query.domain !== null) {
    params.push(query.domain);
    where = `domain = $3 AND ${where}`;
  }
  const { rows } = await pool.query<{ domain: string; type: string; count: string }>(
    `SELECT domain, type, COUNT(*) AS count FROM entities WHERE ${where} ` +
      'GROUP BY domain, type ORDER BY domain, type LIMIT $1::bigint OFFSET $2::bigint',
    params,
  );
  return rows.map((row) => ({ domain: row.domain, type: row.type, count: Number(row.count) }));
}
