import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * schema.graphql is generated from the Pothos schema and committed; CI fails when it drifts.
 * test/support/graphql/ is the client preset's output for the tests' documents (`graphql(...)` in
 * test/support/ops.ts and test/clients/): typed documents, committed and checked for drift the same way.
 */
const config: CodegenConfig = {
  schema: './src/schema/index.ts',
  generates: {
    'schema.graphql': { plugins: ['schema-ast'], config: { includeDirectives: false, sort: true } },
    'test/support/graphql/': {
      documents: ['test/support/ops.ts', 'test/clients/**/*.ts'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // Each document is a TypedDocumentString: a String that test/support/client.ts sends as it is.
        documentMode: 'string',
        enumsAsTypes: true,
        scalars: { DateTime: 'string', SafeInt: 'number' },
        useTypeImports: true,
        // The project imports with `.ts` extensions (tsconfig allowImportingTsExtensions, NodeNext).
        importExtension: '.ts',
      },
    },
  },
  hooks: {},
};

export default config;
