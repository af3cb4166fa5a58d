import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, storageForLog } from '../../src/config/config.js';

/* STATEGATE_STORAGE_PROVIDER for cassandra: parsed, defaulted, logged masked, weakening options refused. */

const emptyDir = () => mkdtempSync(join(tmpdir(), 'stategate-config-'));
const env = (json: object) => ({ STATEGATE_STORAGE_PROVIDER: JSON.stringify(json) });

describe('cassandra storage configuration', () => {
  it("reads the README's example", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = /^STATEGATE_STORAGE_PROVIDER='(\{"name":"cassandra".*\})'$/m.exec(readme);
    expect(example).not.toBeNull();
    expect(loadConfig({ STATEGATE_STORAGE_PROVIDER: example![1]! }, emptyDir()).storage).toEqual({
      name: 'cassandra',
      addr: 'cass1:9042,cass2:9042',
      keyspace: 'stategate',
      localDataCenter: 'dc1',
      user: 'stategate',
      password: '…',
      replication: { class: 'NetworkTopologyStrategy', dc1: 3 },
      consistency: 'LOCAL_QUORUM',
      serialConsistency: 'SERIAL',
    });
  });

  it('reads addr with the defaults: keyspace stategate, datacenter1, SimpleStrategy 1, LOCAL_QUORUM / SERIAL', () => {
    expect(loadConfig(env({ name: 'cassandra', addr: 'db1:9042,db2' }), emptyDir()).storage).toEqual({
      name: 'cassandra',
      addr: 'db1:9042,db2',
      keyspace: 'stategate',
      localDataCenter: 'datacenter1',
      replication: { class: 'SimpleStrategy', replication_factor: 1 },
      consistency: 'LOCAL_QUORUM',
      serialConsistency: 'SERIAL',
    });
  });

  it('reads every field and masks the password in the log form', () => {
    const config = loadConfig(
      env({
        name: 'cassandra',
        addr: '10.0.0.1:9042',
        keyspace: 'app',
        localDataCenter: 'dc1',
        user: 'app',
        password: 's3cret',
        replication: { class: 'NetworkTopologyStrategy', dc1: 3 },
        consistency: 'QUORUM',
        serialConsistency: 'SERIAL',
      }),
      emptyDir(),
    );
    expect(config.storage).toMatchObject({ keyspace: 'app', localDataCenter: 'dc1', user: 'app', password: 's3cret' });
    expect(storageForLog(config.storage)).toMatchObject({ user: 'app', password: '***' });
    expect(JSON.stringify(storageForLog(config.storage))).not.toContain('s3cret');
  });

  it.each([
    [{ consistency: 'ONE' }, /STATEGATE_STORAGE_PROVIDER\.consistency: would weaken the guarantees/],
    [{ consistency: 'LOCAL_ONE' }, /STATEGATE_STORAGE_PROVIDER\.consistency/],
    // Cassandra refuses EACH_QUORUM for reads.
    [{ consistency: 'EACH_QUORUM' }, /STATEGATE_STORAGE_PROVIDER\.consistency/],
    [{ serialConsistency: 'LOCAL_SERIAL' }, /STATEGATE_STORAGE_PROVIDER\.serialConsistency: would weaken/],
    [{ keyspace: 'bad-name' }, /STATEGATE_STORAGE_PROVIDER\.keyspace/],
    [{ addr: 'cassandra://db:9042' }, /STATEGATE_STORAGE_PROVIDER\.addr: must be host:9042/],
    [{ replication: { replication_factor: 3 } }, /STATEGATE_STORAGE_PROVIDER\.replication: needs a "class"/],
  ])('refuses %j with a message naming the variable', (fields, message) => {
    expect(() => loadConfig(env({ name: 'cassandra', addr: 'db:9042', ...fields }), emptyDir())).toThrow(message);
  });
});
