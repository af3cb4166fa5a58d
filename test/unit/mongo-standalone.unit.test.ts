import { standaloneRefusal } from '../../src/providers/storage/mongo/connection.js';

/** Which MongoDB servers the mongo provider accepts (DESIGN.md §4: refuse what would silently weaken a guarantee). */
describe('mongo storage: standalone servers', () => {
  it('refuses a standalone MongoDB unless allowStandalone is set, naming the guarantee and the fix', () => {
    const refusal = standaloneRefusal({ topology: 'standalone', ferretdb: false }, false);
    expect(refusal).toMatch(/G4\/G6/);
    expect(refusal).toMatch(/replica set/);
    expect(refusal).toMatch(/"allowStandalone": true/);
    expect(standaloneRefusal({ topology: 'standalone', ferretdb: false }, true)).toBeNull();
  });

  it('accepts replica sets, sharded clusters and FerretDB as they are', () => {
    expect(standaloneRefusal({ topology: 'replica set', ferretdb: false }, false)).toBeNull();
    expect(standaloneRefusal({ topology: 'sharded', ferretdb: false }, false)).toBeNull();
    expect(standaloneRefusal({ topology: 'standalone', ferretdb: true }, false)).toBeNull();
  });
});
