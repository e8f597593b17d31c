import { defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql 16 ships CJS (main) and ESM (module); Node and the Pothos/Yoga packages load the CJS build,
  // so the tests must too, or two copies of graphql meet in one schema.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'one Redis', include: ['test/**/*.test.ts'] } },
      {
        // The suites that matter most (issue 16) again, on a real Redis Cluster of the run's own
        // (test/support/cluster-setup.ts): deducts, carts, reservations, refunds and batches.
        extends: true,
        test: {
          name: 'Redis Cluster',
          include: ['deduct', 'reservations', 'refund', 'batch'].map((suite) => `test/${suite}.test.ts`),
          globalSetup: ['test/support/cluster-setup.ts'],
        },
      },
    ],
  },
});
