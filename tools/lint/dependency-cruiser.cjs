// dependency-cruiser for stockgate: the layering of issue 12 as rules, so a wrong arrow fails the check.
// Run from the repository root (`npm run deps`); every path below is relative to it.
//
//   main → app → schema → live → stock → { gate (Redis), ledger (PostgreSQL) } → db
//                                 sync: the Redis ⇄ PostgreSQL seam (load, reconcile, outbox)
//
// gate/ speaks only Redis and ledger/ only PostgreSQL: neither imports the other, the take engine
// (stock/) or the seam (sync/). schema/ reaches them only through stock/ (and live/).
// Type-only imports count: a type that crosses a layer is a dependency that crosses it.

/** @param {string} name @param {string} from @param {string[]} to @param {string} comment */
const forbidLayer = (name, from, to, comment) => ({
  name,
  severity: 'error',
  comment,
  from: { path: `^src/${from}/` },
  to: { path: `^src/(${to.join('|')})/` },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other, directly or through others, cannot be understood or moved one at a time.',
      from: {},
      to: { circular: true },
    },
    forbidLayer(
      'gate-speaks-only-redis',
      'gate',
      ['ledger', 'stock', 'sync'],
      'src/gate/ is the Redis gate: it must not import the ledger, the take engine or the sync seam.',
    ),
    forbidLayer(
      'ledger-speaks-only-postgres',
      'ledger',
      ['gate', 'stock', 'sync'],
      'src/ledger/ is the PostgreSQL ledger: it must not import the gate, the take engine or the sync seam.',
    ),
    forbidLayer(
      'schema-goes-through-stock',
      'schema',
      ['gate', 'ledger', 'sync'],
      'src/schema/ (GraphQL) reaches the gate and the ledger only through src/stock/ and src/live/.',
    ),
    {
      name: 'src-not-to-test',
      severity: 'error',
      comment: 'Production code must not import test code or test helpers.',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'src-not-to-dev-dependency',
      severity: 'error',
      comment: 'src/ runs in production, where devDependencies are not installed (type-only imports are erased and allowed).',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-undeclared-package',
      severity: 'error',
      comment: 'A package that is imported must be declared in package.json, not just happen to be installed.',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to no file.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-orphans',
      severity: 'warn',
      comment: 'A module nothing imports is dead code, unless it is an entry point (main, the CLIs, tests, bench, configs).',
      from: {
        orphan: true,
        pathNot: [
          '\\.d\\.ts$',
          '^src/(main|reconcile)\\.ts$',
          '^src/db/migrate\\.ts$',
          '^test/',
          '^bench/',
          '^[^/]+\\.config\\.ts$',
          '^codegen\\.ts$',
        ],
      },
      to: {},
    },
  ],
  options: {
    // Generated code (Prisma client, Pothos types) is a leaf: arrows into it are checked, arrows inside it are not.
    doNotFollow: { path: ['node_modules', '^src/generated/'] },
    // src/live/ticker/ is the ticker page's browser script (its ./vendor/ imports are served at run time).
    exclude: { path: ['^test/artifacts/', '^bench/results/', '^src/live/ticker/'] },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
