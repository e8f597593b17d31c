// ESLint for stockgate. Run from the repository root (`npm run lint`), which passes
// `--config tools/lint/eslint.config.js`: with an explicit config file ESLint takes the working
// directory as the base of every pattern below, so they read as paths from the root.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export default defineConfig(
  {
    // test/support/graphql/ is graphql-codegen's client preset output (npm run codegen): tsc checks it, ESLint does not.
    ignores: ['**/node_modules/**', 'src/generated/**', 'test/artifacts/**', 'test/support/graphql/**', 'bench/results/**', 'dist/**'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },

  // TypeScript: typescript-eslint's recommended rules with type information, from the root tsconfig.json
  // (which includes src, test, bench and the root *.config.ts files).
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    rules: {
      // Dead code: unused variables, parameters, imports and caught errors. A leading underscore marks
      // a binding that is unused on purpose (a callback's required parameter, a rest sibling).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'all',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Every hit was Yoga's own hook payload (`onRequest({ endResponse, setRequest, fetchAPI })`): its types
      // declare those callbacks as methods, and destructuring them is how Yoga's plugins are written.
      '@typescript-eslint/unbound-method': 'off',
    },
  },

  // test/ and bench/ read GraphQL answers, JSON and Redis replies as `any` and assert on them at run time; the
  // no-unsafe-* family would flag every such read (~700 in the tree as of issue 12). Turn these back on once
  // the tests speak one typed client (issue 12, item 7).
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },

  // src/: functions stay under ~70 lines (issue 12, item 6; TigerBeetle's TIGER_STYLE). Blank lines and
  // comments do not count, so a "why" comment never pushes a function over.
  {
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },

  // The ticker page's script runs in the browser (served by src/live/ticker.ts, not compiled by tsc).
  {
    files: ['src/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.browser },
  },

  // The lint tools' own JavaScript (this file, ensure.mjs, the dependency-cruiser config): Node, no type information.
  {
    files: ['tools/**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
);
