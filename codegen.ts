import type { CodegenConfig } from '@graphql-codegen/cli';

/** schema.graphql is generated from the Pothos schema and committed; CI fails when it drifts. */
const config: CodegenConfig = {
  schema: './src/schema/index.ts',
  generates: {
    'schema.graphql': { plugins: ['schema-ast'], config: { includeDirectives: false, sort: true } },
  },
  hooks: {},
};

export default config;
