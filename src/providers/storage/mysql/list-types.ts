import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { TypeCount } from '../../../core/model.js';
import type { TypeQuery } from '../../../core/ports/storage.js';

interface TypeRow extends RowDataPacket {
  domain: Buffer | string;
  type: Buffer | string;
  count: string;
}

const text = (name: Buffer | string): string => (typeof name === 'string' ? name : name.toString('utf8'));

/** ListTypes over the head table; names are VARBINARY (UTF-8 bytes), so the order is code point order (G10). */
export async function listTypes(pool: Pool, query: TypeQuery, timeoutMs: number): Promise<TypeCount[]> {
  const values: Record<string, string> = {
    limit: Math.trunc(query.limit).toString(),
    offset: Math.trunc(query.offset).toString(),
  };
  let where = '`values` IS NOT NULL';
  if (query.domain !== null) {
    values.domain = query.domain;
    where = `\`domain\` = CAST(:domain AS BINARY) AND ${where}`;
  }
  const sql =
    `SELECT \`domain\`, \`type\`, COUNT(*) AS \`count\` FROM \`entities\` WHERE ${where} ` +
    'GROUP BY `domain`, `type` ORDER BY `domain`, `type` LIMIT :limit OFFSET :offset';
  const [rows] = await pool.execute<TypeRow[]>({ sql, namedPlaceholders: true, timeout: timeoutMs }, values);
  return rows.map((row) => ({ domain: text(row.domain), type: text(row.type), count: Number(row.count) }));
}
