import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the tests' GraphQL operations (`npm run codegen`): the checked-in `schema.graphql`
 * plus `test/graphql/**\/*.graphql` → `test/generated/`. The output is checked in;
 * test/unit/schema.unit.test.ts fails when it is stale.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/graphql/**/*.graphql'],
  emitLegacyCommonJSImports: false,
  generates: {
    'test/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        strictScalars: true,
        scalars: {
          // Int64 travels as a decimal string; as input an Int is accepted too.
          Int64: { input: 'string | number', output: 'string' },
          DateTime: { input: 'string', output: 'string' },
          JSON: { input: 'unknown', output: 'unknown' },
        },
      },
    },
  },
};

export default config;
