import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isObjectType, parse, validate } from 'graphql';
import codegenConfig from '../../codegen.js';
import { printSchemaSdl, schema } from '../../src/schema/index.js';
import { GRAPHIQL_DEFAULT_QUERY } from '../../src/server/graphql.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('schema.graphql', () => {
  it('is the printed Pothos schema', () => {
    const checkedIn = readFileSync(join(root, 'schema.graphql'), 'utf8');
    // toBe would print a 10 kB diff; say what to do instead.
    if (checkedIn !== printSchemaSdl()) {
      throw new Error('schema.graphql is stale: run `npm run schema:print && npm run codegen` and commit the result');
    }
  });

  it("keeps the original stategate's operation names, each with one non-null `input`", () => {
    const fields = (type: 'Query' | 'Mutation' | 'Subscription') => {
      const found = schema.getType(type);
      if (!isObjectType(found)) throw new Error(`no ${type}`);
      return Object.values(found.getFields());
    };
    const names = (type: 'Query' | 'Mutation' | 'Subscription') =>
      fields(type)
        .map((f) => f.name)
        .sort();
    expect(names('Query')).toEqual([
      'getCache',
      'getEntity',
      'getEvent',
      'getTrigger',
      'listTriggers',
      'listTypes',
      'searchEntities',
      'searchEvents',
    ]);
    expect(names('Mutation')).toEqual(
      [
        'broadcastMessage',
        'createTrigger',
        'delCache',
        'delEntity',
        'deleteTrigger',
        'editEntity',
        'lockMutex',
        'replayTrigger',
        'revertEntity',
        'setCache',
        'setEntity',
        'unlockMutex',
      ].sort(),
    );
    expect(names('Subscription')).toEqual(['streamEvents', 'streamMessages']);
    for (const field of [...fields('Query'), ...fields('Mutation'), ...fields('Subscription')]) {
      expect(field.args.map((a) => `${a.name}: ${String(a.type).endsWith('!')}`)).toEqual(['input: true']);
    }
  });

  it("validates the seed's sample mutation as written (GraphiQL opens with it)", () => {
    expect(validate(schema, parse(GRAPHIQL_DEFAULT_QUERY))).toEqual([]);
  });
});

/**
 * Runs graphql-codegen on `codegen.ts`'s config without writing anything, and answers its files. It runs in a
 * child process because codegen loads its presets with require(), which Jest's ESM mode cannot serve.
 */
function generateInMemory(): { filename: string; content: string }[] {
  const script = `
    import { generate } from '@graphql-codegen/cli';
    const config = JSON.parse(process.env.CODEGEN_CONFIG);
    const outputs = await generate({ ...config, cwd: process.cwd(), silent: true }, false);
    process.stdout.write(JSON.stringify(outputs.map(({ filename, content }) => ({ filename, content }))));
  `;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '', CODEGEN_CONFIG: JSON.stringify(codegenConfig) },
    encoding: 'utf8',
  });
  return JSON.parse(stdout);
}

describe('test/generated (graphql-codegen)', () => {
  it('matches what `npm run codegen` generates now', () => {
    const outputs = generateInMemory();
    const generated = new Map(outputs.map((o) => [relative(root, join(root, o.filename)), o.content]));
    const checkedIn = new Map(
      readdirSync(join(root, 'test/generated')).map((name) => [
        join('test/generated', name),
        readFileSync(join(root, 'test/generated', name), 'utf8'),
      ]),
    );
    const stale = [...new Set([...generated.keys(), ...checkedIn.keys()])].filter(
      (file) => generated.get(file) !== checkedIn.get(file),
    );
    if (stale.length > 0) {
      throw new Error(`test/generated is stale (${stale.join(', ')}): run \`npm run codegen\` and commit the result`);
    }
  });
});
