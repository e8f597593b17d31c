// Runs npm scripts side by side and reports every failure, not just the first:
//   node tools/check-all.mjs check:build lint format:check deps
// ESLint with type information is one single-threaded process of ~30 s; on two cores the other checks
// (tsc, codegen, prisma, prettier, dependency-cruiser) fit beside it. Each script's output is printed
// whole, in the order given, once it has finished; then one line per script; exit 1 if any failed.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const scripts = process.argv.slice(2);
if (scripts.length === 0) {
  console.error('usage: node tools/check-all.mjs <npm script> [<npm script> ...]');
  process.exit(2);
}

// Install the lint tools once, before anything runs in parallel: two `npm ci` in one folder collide.
const ensure = spawnSync(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'lint', 'ensure.mjs')], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (ensure.status !== 0) process.exit(1);

/** @param {string} script @returns {Promise<{ script: string, code: number, seconds: number, output: string }>} */
function run(script) {
  const started = performance.now();
  return new Promise((done) => {
    const chunks = [];
    const child = spawn('npm', ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => chunks.push(chunk));
    child.stderr.on('data', (chunk) => chunks.push(chunk));
    child.on('error', (error) => chunks.push(Buffer.from(`${error.message}\n`)));
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      done({ script, code: code ?? (signal ? 128 : 1), seconds, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

const results = await Promise.all(scripts.map(run));
for (const { script, code, output } of results) {
  console.log(`\n── npm run ${script} ${code === 0 ? '(ok)' : `(FAILED, exit ${code})`} ──`);
  process.stdout.write(output.endsWith('\n') || output === '' ? output : `${output}\n`);
}
console.log('');
for (const { script, code, seconds } of results) {
  console.log(`${code === 0 ? 'ok    ' : 'FAILED'}  npm run ${script.padEnd(14)} ${seconds.toFixed(1).padStart(5)} s`);
}
const failed = results.filter((result) => result.code !== 0).map((result) => result.script);
if (failed.length > 0) {
  console.log(`\n${failed.length} of ${results.length} checks failed: ${failed.join(', ')}`);
  process.exit(1);
}
