// Reads a V8 CPU profile (`BENCH_PROFILE_DIR`, `node --cpu-prof`) for one stretch of it: a server's
// profile covers its whole life (start-up, loading SKUs, idle minutes between scenarios), and only the
// measured window says what a request costs.
//   node tools/cpuprofile.mjs <file> timeline             busy ms in each second, to find the window
//   node tools/cpuprofile.mjs <file> self [from to]       self time per function, % of busy time
//   node tools/cpuprofile.mjs <file> inclusive [from to]  time under each function, % of busy time
//   node tools/cpuprofile.mjs <file> callers <regex> [from to]  who calls the functions matching regex
// from and to are seconds since the profile's start; idle samples never count.
import { readFileSync } from 'node:fs';

/** Rows printed per listing. */
const TOP = 60;
/** Frames of a caller chain printed, skipping Node's internals. */
const CALLER_DEPTH = 3;

const [file, mode, ...rest] = process.argv.slice(2);
if (!file || !['timeline', 'self', 'inclusive', 'callers'].includes(mode ?? '')) {
  console.error('usage: node tools/cpuprofile.mjs <file> timeline | self [from to] | inclusive [from to] | callers <regex> [from to]');
  process.exit(2);
}
const pattern = mode === 'callers' ? new RegExp(rest.shift() ?? '.') : null;
const from = Number(rest[0] ?? 0) * 1e6;
const to = Number(rest[1] ?? Infinity) * 1e6;

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

/**
 * A frame's name: function, file (the package's path under node_modules), line and column (V8's, from
 * 0). The column tells a module's closures apart: under tsx a module's code is one line, so every arrow
 * function in it is `(anonymous) file:0` without it.
 */
function frameName(id) {
  const { functionName, url, lineNumber, columnNumber } = nodes.get(id).callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(/^.*\//, '');
  return `${functionName || '(anonymous)'} ${where}:${lineNumber}:${columnNumber}`;
}
const isIdle = (id) => nodes.get(id).callFrame.functionName === '(idle)';
const isNodeInternal = (id) => /^(node:|$)/.test(nodes.get(id).callFrame.url);

/** Every busy sample in the stretch: its leaf frame and the µs it stands for; and µs busy per second. */
const samples = [];
const busyPerSecond = [];
let at = 0;
profile.samples.forEach((id, i) => {
  const micros = profile.timeDeltas[i] ?? 0;
  at += micros;
  const second = Math.floor(at / 1e6);
  busyPerSecond[second] ??= 0;
  if (isIdle(id)) return;
  busyPerSecond[second] += micros;
  if (at >= from && at <= to) samples.push({ id, micros });
});
const busy = samples.reduce((sum, s) => sum + s.micros, 0);

/** Prints the largest totals, each as a % of the stretch's busy time. */
function print(totals) {
  console.log(`busy ${(busy / 1e3).toFixed(0)} ms`);
  for (const [name, micros] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, TOP))
    console.log(`${((100 * micros) / busy).toFixed(1).padStart(5)} ${name}`);
}
const add = (totals, name, micros) => totals.set(name, (totals.get(name) ?? 0) + micros);

const totals = new Map();
if (mode === 'timeline') {
  // Array.from, not map: a second without any sample is a hole, which map would skip.
  console.log(Array.from(busyPerSecond, (micros = 0, second) => `${second}:${Math.round(micros / 1e3)}`).join(' '));
} else if (mode === 'self') {
  for (const { id, micros } of samples) add(totals, frameName(id), micros);
  print(totals);
} else if (mode === 'inclusive') {
  for (const { id, micros } of samples) {
    const seen = new Set();
    for (let frame = id; frame !== undefined; frame = parentOf.get(frame)) seen.add(frameName(frame));
    for (const name of seen) add(totals, name, micros);
  }
  print(totals);
} else {
  for (const { id, micros } of samples) {
    if (!pattern.test(frameName(id))) continue;
    const chain = [];
    for (let frame = parentOf.get(id); frame !== undefined && chain.length < CALLER_DEPTH; frame = parentOf.get(frame))
      if (!isNodeInternal(frame)) chain.push(frameName(frame));
    add(totals, `${frameName(id)} < ${chain.join(' < ')}`, micros);
  }
  print(totals);
}
