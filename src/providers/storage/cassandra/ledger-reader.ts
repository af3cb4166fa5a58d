import type cassandra from 'cassandra-driver';

/** Reads of the ledger partition at the read consistency, paged through the driver. */
export class LedgerReader {
  constructor(
    private readonly client: cassandra.Client,
    /** `keyspace.ledger`: every query names its table with the keyspace. */
    readonly table: string,
  ) {}

  /** Every row the query selects, fetched page by page. */
  async all(query: string, params: unknown[]): Promise<cassandra.types.Row[]> {
    const rows: cassandra.types.Row[] = [];
    let pageState: string | undefined;
    do {
      const result = await this.client.execute(query, params, {
        fetchSize: 2000,
        isIdempotent: true,
        ...(pageState ? { pageState } : {}),
      });
      rows.push(...result.rows);
      pageState = result.pageState ?? undefined;
    } while (pageState);
    return rows;
  }

  async first(
    query: string,
    params: unknown[],
    options: cassandra.QueryOptions = {},
  ): Promise<cassandra.types.Row | null> {
    const result = await this.client.execute(query, params, { isIdempotent: true, ...options });
    return result.first() ?? null;
  }
}
