// Installs this folder's tools (ESLint, typescript-eslint, dependency-cruiser and the TypeScript 6.0
// JavaScript API they parse with) when they are missing or older than package-lock.json, so a fresh
// clone, CI and a pull that changed the lock need no manual step. They live apart from the project's
// node_modules because the project compiles with tsc 7, whose package has no JavaScript compiler API,
// and typescript-eslint 8 / dependency-cruiser 17 need one (typescript <6.1 and <7 respectively).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const stamp = join(here, 'node_modules', '.installed-lock-sha256');
const lock = createHash('sha256')
  .update(readFileSync(join(here, 'package-lock.json')))
  .digest('hex');

if (!existsSync(stamp) || readFileSync(stamp, 'utf8').trim() !== lock) {
  console.error('tools/lint: installing the lint tools (npm ci in tools/lint) ...');
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
    cwd: here,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (npm.status !== 0) {
    console.error(`tools/lint: npm ci failed (${npm.error?.message ?? `exit ${npm.status}`})`);
    process.exit(1);
  }
  writeFileSync(stamp, `${lock}\n`);
}
