import type { PoolConnection } from 'mysql2/promise';
import { checkServer } from '../../src/providers/storage/mysql/server-check.js';

/** A connection that answers the server check's one query with this version and flush setting. */
const server = (version: string, flush: string | number) =>
  ({ query: async () => [[{ version, flush }], []] }) as unknown as PoolConnection;

describe('mysql server check', () => {
  it('accepts MariaDB 10.6 and later with innodb_flush_log_at_trx_commit = 1', async () => {
    await expect(checkServer(server('10.11.19-MariaDB-0+deb12u1', '1'))).resolves.toEqual({
      version: '10.11.19-MariaDB-0+deb12u1',
    });
    await expect(checkServer(server('11.4.2-MariaDB', 1))).resolves.toBeDefined();
    await expect(checkServer(server('10.6.0-MariaDB-log', '1'))).resolves.toBeDefined();
  });

  it.each([
    ['MySQL proper', '8.0.36', '1', /not MariaDB/],
    ['an old MariaDB', '10.5.23-MariaDB', '1', /too old.*10\.6/],
    [
      'a commit acknowledged before its redo log is on disk',
      '10.11.6-MariaDB',
      '2',
      /innodb_flush_log_at_trx_commit is 2/,
    ],
    ['a commit never flushed by itself', '10.11.6-MariaDB', '0', /innodb_flush_log_at_trx_commit is 0/],
  ])('refuses %s with FAILED_PRECONDITION', async (_what, version, flush, message) => {
    await expect(checkServer(server(version, flush))).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringMatching(message),
    });
  });
});
