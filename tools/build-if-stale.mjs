// npm start's prestart: builds dist/ (tools/build.mjs) when it is missing, half built, or older than
// any file it is built from, so `npm install && npm start` works on a fresh checkout and after a pull.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build, ROOT, SRC, STAMP } from './build.mjs';

/** What dist/ is built from besides src/: a change to any of them rebuilds it. */
const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'tools/build.mjs'].map((file) => join(ROOT, file));

/** @param {string} dir @returns {string[]} every file under dir */
function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** @returns {string | null} why dist/ must be built, or null when it is up to date */
function staleBecause() {
  let built;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return 'dist/ is missing or half built';
  }
  const newer = [...filesUnder(SRC), ...BUILD_INPUTS].find((file) => statSync(file).mtimeMs > built);
  return newer ? `${relative(ROOT, newer)} changed since the last build` : null;
}

const why = staleBecause();
if (why) {
  console.error(`stockgate: building dist/: ${why}`);
  build();
}
