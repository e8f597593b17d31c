// npm run build: compiles src/ to dist/ with tsc (tsconfig.build.json: `.ts` imports become `.js`), then
// copies the files src/ reads beside its modules at run time (the ticker page: src/live/ticker/), and
// stamps dist/ as complete (tools/build-if-stale.mjs compares the stamp with src/). dist/ mirrors src/,
// so what a module finds relative to itself one level up the tree (lua/, prisma/) it finds from dist/ too.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SRC = join(ROOT, 'src');
export const DIST = join(ROOT, 'dist');
/** Written last: a dist/ without it is half built (a failed or interrupted build) and gets rebuilt. */
export const STAMP = join(DIST, '.build-stamp');

/** Builds dist/ from scratch; exits the process with tsc's status if the compile fails. */
export function build() {
  const started = performance.now();
  rmSync(DIST, { recursive: true, force: true });
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')],
    {
      stdio: 'inherit',
    },
  );
  if (tsc.error) {
    console.error(`stockgate build: cannot run tsc (${tsc.error.message}); install the dev dependencies: npm install`);
    process.exit(1);
  }
  if (tsc.status !== 0) {
    console.error('stockgate build: tsc failed; dist/ was not written');
    process.exit(tsc.status ?? 1);
  }
  // Whatever src/ holds besides TypeScript is read at run time next to the module that reads it.
  cpSync(SRC, DIST, { recursive: true, filter: (path) => statSync(path).isDirectory() || !path.endsWith('.ts') });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  console.error(`stockgate build: dist/ built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) build();
