import { availableParallelism } from 'node:os';
import type { KeyTtls } from './meter.ts';

/** One measured run of the benchmark: one mode, one scenario. */
export interface Row {
  mode: string;
  scenario: string;
  /**
   * Acknowledged requests per second: deducts the ledger holds, or (sold out, ceiling) refusals and
   * answers as expected. A batch scenario (carts > 1): cart deducts the ledger holds, per second.
   */
  rps: number;
  /** Requests answered in the measured time, and how many of them were not acknowledged (a batch scenario: carts). */
  sent: number;
  failed: number;
  /** Carts per request: 1, or a batch scenario's (deductStockBatch); the per-deduct figures are then per cart. */
  carts?: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  ok: boolean;
  /** Server CPU (the process and every descendant) per acknowledged request, ms. */
  cpuMs?: number | undefined;
  /** Redis's CPU per acknowledged request, ms: the whole Redis server's, others' clients included. */
  redisCpuMs?: number | undefined;
  /** CPU of every postgres process per acknowledged request, ms: the whole server's, other databases included. */
  pgCpuMs?: number | undefined;
  /** The load generator's CPU (the bench's own process) per acknowledged request, ms: it shares the cores. */
  loadCpuMs?: number | undefined;
  /** Transactions in the bench's database per acknowledged request (sold out: net of the idle rate). */
  pgTxn?: number | undefined;
  /** Sold out: transactions counted over the window (and the stats flush after it), and the idle expectation subtracted. */
  pgTxnWindow?: number | undefined;
  pgTxnIdle?: number | undefined;
  /** Growth of Redis's used_memory over the window per acknowledged request, bytes. */
  redisBytes?: number | undefined;
  /** The part of redisBytes that keys without TTL under the prefix account for, and those that grew most. */
  redisLastingBytes?: number | undefined;
  redisLastingKeys?: string[] | undefined;
  /** The server process was gone after the window. */
  exited?: boolean;
  /** Processes of the server's tree that ended during the window (a worker that died and was replaced). */
  gone?: number;
  /** The idempotency keys' TTL, over a sample of them after the hot-SKU window. */
  ttl?: KeyTtls | undefined;
  /** Node processes of the server seen at the window's edges. */
  processes?: number;
  oversold?: number;
  /** Every Redis counter equals the PostgreSQL truth. */
  agree?: boolean;
  /** Seed 001 bare (no Redis): every SKU's units left plus those in the flow table equal its seed. */
  conserved?: boolean;
  /** stockgate rows, hot SKU: setStockBatch of BULK_SET_ITEMS items in one request, ms (the median of its runs; bench/run.ts). */
  bulkSetMs?: number | undefined;
  bulkSetItems?: number | undefined;
}

const CEILING = 'ceiling';
/** The ceiling's hot SKU measured again at the run's end (bench/run.ts). */
const CEILING_AGAIN = 'ceiling again';
const BASELINE = 'seed 001 bare';
/** The least a cart costs on this stack (bench/lean.ts): what a leaner design could reach here. */
const LEAN = 'lean';
/** The rows the issue-14 and issue-15 targets are about. */
const STOCKGATE_ROWS = ['stockgate', 'stockgate ×2'];
const HOT = 'hot SKU';
const SOLD_OUT = 'sold out';
/** Issue 15: a catalogue's levels set in one request. */
const BULK_SET_TARGET_ITEMS = 10_000;
const BULK_SET_TARGET_MS = 2_000;
/** Issue 15's batch scenarios (100 carts per deductStockBatch request). */
const HOT_BATCH = 'hot SKU ×100';
const CARTS_BATCH = '3-line carts ×100';
/** Issue 15: hot-SKU cart deducts/s at least this many times the ceiling's hot-SKU req/s; 3-line carts at least half of it. */
const HOT_BATCH_TARGET = 7;
const CARTS_BATCH_TARGET = 0.5 * HOT_BATCH_TARGET;

const isBatch = (r: Row) => (r.carts ?? 1) > 1;

/** a ÷ b, when both are known (and b is not 0). */
const share = (a: number | undefined, b: number | undefined) => (a === undefined || !b ? undefined : a / b);
const pct = (v: number | undefined) => (v === undefined ? '–' : `${(v * 100).toFixed(1)} %`);
const times = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(2)}×`);
/** Whether a measured value meets a target; undefined when it was not measured. */
const at = (v: number | undefined, ok: (x: number) => boolean) => (v === undefined || Number.isNaN(v) ? undefined : ok(v));

const ratio = (a: number | undefined, b: number | undefined) => times(share(a, b));
const fixed = (v: number | undefined, digits: number) => (v === undefined ? '–' : v.toFixed(digits));

function finder(rows: Row[]) {
  return (mode: string, scenario: string) => rows.find((r) => r.mode === mode && r.scenario === scenario);
}

/** The ceiling row a row is compared with: the same scenario's, or for a batch scenario the hot SKU's (one cart per request). */
const ceilingScenario = (r: Row) => (isBatch(r) ? HOT : r.scenario);

/**
 * The ceiling's hot-SKU req/s that ratios take: the mean of its measures at the run's start and end
 * (one of them alone when the other is missing). This machine's speed drifts by tens of per cent within
 * minutes, and one measure minutes away from the rows it divides moved every ratio with it.
 */
function ceilingHotRps(find: ReturnType<typeof finder>): number | undefined {
  const measures = [find(CEILING, HOT)?.rps, find(CEILING_AGAIN, HOT)?.rps].filter((v): v is number => v !== undefined);
  return measures.length === 0 ? undefined : measures.reduce((sum, v) => sum + v, 0) / measures.length;
}

/** The ceiling's req/s a row's req/s is divided by: ceilingHotRps for the hot SKU and the batch rows. */
const ceilingRps = (r: Row, find: ReturnType<typeof finder>) =>
  ceilingScenario(r) === HOT ? ceilingHotRps(find) : find(CEILING, r.scenario)?.rps;

/** Where the ceiling's hot-SKU denominator came from, for the targets' text. */
function ceilingHotText(find: ReturnType<typeof finder>): string {
  const [start, end] = [find(CEILING, HOT)?.rps, find(CEILING_AGAIN, HOT)?.rps];
  if (start === undefined || end === undefined) return '';
  return ` (the ceiling’s hot SKU: ${Math.round(start)} req/s at the run’s start, ${Math.round(end)} at its end; ratios to their mean, ${Math.round(ceilingHotRps(find) ?? 0)})`;
}

function consistency(r: Row): string {
  if (r.agree !== undefined) return r.agree ? 'yes' : 'NO';
  if (r.conserved !== undefined) return r.conserved ? 'no Redis; flow = stock' : 'no Redis; flow ≠ stock';
  return '–';
}

/** The markdown table the README shows: throughput, latency, CPU, PostgreSQL and Redis cost, and ratios to the ceiling. */
export function table(rows: Row[], machine: string, at: string): string {
  const find = finder(rows);
  const lines = [
    `Measured ${at} on ${machine}.`,
    '',
    'req/s counts acknowledged requests only: deducts the ledger holds (sold out: refusals answered `InsufficientStock`; ceiling: answers as expected); ' +
      '"failed" is the rest (±64: requests under way at the edges of the window). ÷ ceiling compares with the ceiling in the same scenario, ÷ seed 001 with seed 001 bare; ' +
      'its req/s for the hot SKU (and the ×100 rows) is the mean of the ceiling\u2019s hot SKU at the run\u2019s start and at its end (ceiling again), as the machine\u2019s speed drifts within a run. ' +
      '×100 rows (deductStockBatch, 100 carts per request, 32 connections): req/s, failed and every per-deduct figure count carts (±3,200 at the edges); ÷ ceiling and ÷ ceiling CPU compare with the ceiling\u2019s hot SKU (one cart per request); p50 / p99 are those of a 100-cart request. ' +
      'CPU ms/req: the server process and all its descendants. Redis and PG CPU are the whole servers\u2019, which others share: the ceiling\u2019s figures there are the noise floor. ' +
      'PG txn/req: transactions in the bench\u2019s database (sold out: net of the same database idle). Redis B/deduct: growth of used_memory over the window (sold out: per refusal).',
    '',
    '| mode | scenario | req/s | ÷ ceiling | ÷ seed 001 | p50 / p99 ms | p99 ÷ ceiling | CPU ms/req | ÷ ceiling CPU | Redis CPU ms/deduct | PG CPU ms/deduct | PG txn/req | Redis B/deduct | failed | oversold | Redis = PostgreSQL |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const ceiling = find(CEILING, ceilingScenario(r));
    // A 100-cart request's latency has no counterpart at the ceiling.
    const p99Ratio = isBatch(r) ? '–' : ratio(r.p99, ceiling?.p99);
    lines.push(
      `| ${r.mode} | ${r.scenario} | ${Math.round(r.rps)} | ${ratio(r.rps, ceilingRps(r, find))} | ${ratio(r.rps, find(BASELINE, r.scenario)?.rps)} | ${r.p50} / ${r.p99} | ${p99Ratio} | ${fixed(r.cpuMs, 3)} | ${ratio(r.cpuMs, ceiling?.cpuMs)} | ${fixed(r.redisCpuMs, 3)} | ${fixed(r.pgCpuMs, 3)} | ${fixed(r.pgTxn, 3)} | ${fixed(r.redisBytes, 0)} | ${r.failed + r.errors} of ${r.sent}${r.exited ? ' (server exited)' : ''}${r.gone ? ` (${r.gone} process(es) ended)` : ''} | ${r.oversold ?? '–'} | ${consistency(r)} |`,
    );
  }
  return lines.join('\n');
}

interface Target {
  target: string;
  row: string;
  measured: string;
  met: boolean | undefined;
}

const verdict = (met: boolean | undefined) => (met === undefined ? 'not measured' : met ? 'met' : 'NOT met');

function memoryText(hot: Row | undefined): string {
  if (hot?.redisBytes === undefined) return '–';
  const lasting = hot.redisLastingBytes ?? 0;
  // A one-time allocation (a filter created in the window) shows here; the figure itself stays used_memory's.
  const names = hot.redisLastingKeys?.length ? `: ${hot.redisLastingKeys.join(', ')}` : '';
  return `${Math.round(hot.redisBytes)} B (of which keys without TTL ${Math.round(lasting)} B${names})`;
}

function ttlText(ttl: KeyTtls | undefined): string {
  if (ttl === undefined || ttl.keys === 0) return 'no idempotency keys found';
  const longest = ttl.maxMin === null ? 'none expires' : `${ttl.maxMin.toFixed(1)} min`;
  const lasting = ttl.lasting.map((k) => `${k.name} (${k.type}, ${k.bytes ?? '?'} B)`).join(', ');
  return `${longest} over ${ttl.keys} keys${lasting ? `; without TTL: ${lasting}` : ''}`;
}

/**
 * What a cart costs the machine's cores, which the server, Redis, PostgreSQL and the load generator
 * share: each one's CPU per cart, and the carts a second their sum allows with every core busy and
 * nothing else running. No change to one part takes a row past it without making the cart cheaper.
 * With `yoga` (the ceiling's ×100 row) and `ceilingPerSecond`, also the same sum with Yoga alone's
 * server CPU per cart in place of the row's: the most any server on Yoga reaches with this row's Redis
 * and PostgreSQL work per cart, as a multiple of the ceiling's hot SKU, so a target past it is out of
 * reach of the server's code whatever it does.
 */
function coresBudget(r: Row, yoga?: Row, ceilingPerSecond?: number): string | undefined {
  const { cpuMs: server, redisCpuMs: redis, pgCpuMs: postgres, loadCpuMs: load } = r;
  if (server === undefined || redis === undefined || postgres === undefined || load === undefined) return undefined;
  const cores = availableParallelism();
  const most = (totalMs: number) => Math.round((cores * 1000) / totalMs);
  const ms = (v: number) => v.toFixed(3);
  const total = server + redis + postgres + load;
  const budget = `CPU ms per cart: server ${ms(server)} + Redis ${ms(redis)} + PostgreSQL ${ms(postgres)} + load generator ${ms(load)} = ${ms(total)}, at most ${most(total)} carts/s on ${cores} cores`;
  if (yoga?.cpuMs === undefined) return budget;
  const yogaTotal = yoga.cpuMs + redis + postgres + load;
  const yogaMost = most(yogaTotal);
  const multiple = ceilingPerSecond ? ` = ${ratio(yogaMost, ceilingPerSecond)} the ceiling’s hot SKU` : '';
  return `${budget}; with Yoga alone’s server CPU per cart (the ceiling’s hot SKU ×100, ${ms(yoga.cpuMs)}) instead: ${ms(yogaTotal)}, at most ${yogaMost} carts/s${multiple}`;
}

/**
 * Lean's figure for a batch scenario beside a stockgate row's (`row`): its multiple of the ceiling's hot
 * SKU and what its cart costs the cores (coresBudget), so the gap to a target reads as what a cart costs
 * above the least it can; and the row's carts a second as a share of lean's, which the machine's spells
 * move less than a multiple of the ceiling (hot SKU ×100 on 2026-12-04: 0.56 → 0.44 where 6.32× →
 * 4.22×; README, "Read ratios with care").
 */
function leanText(find: ReturnType<typeof finder>, scenario: string, row: Row | undefined): string {
  const lean = find(LEAN, scenario);
  if (lean === undefined) return '';
  const budget = coresBudget(lean);
  const rowShare = share(row?.rps, lean.rps);
  const ofLean = rowShare === undefined ? '' : `; this row ${rowShare.toFixed(2)} of lean’s carts/s`;
  return `; lean (bench/lean.ts), the least a cart costs here: ${times(share(lean.rps, ceilingHotRps(find)))}, ${Math.round(lean.rps)} carts/s${budget ? `, ${budget}` : ''}${ofLean}`;
}

/** Issue 14's targets (single requests) for one stockgate row. */
function requestTargets(mode: string, find: ReturnType<typeof finder>): Target[] {
  const hot = find(mode, HOT);
  const ceilingHot = find(CEILING, HOT);
  const ceilingHotPerSecond = ceilingHotRps(find);
  const sold = find(mode, SOLD_OUT);
  const ceilingSold = find(CEILING, SOLD_OUT);
  const hotShare = share(hot?.rps, ceilingHotPerSecond);
  const p99 = share(hot?.p99, ceilingHot?.p99);
  const soldShare = share(sold?.rps, ceilingSold?.rps);
  const cpu = share(hot?.cpuMs, ceilingHot?.cpuMs);
  const ttl = hot?.ttl;
  // Keys that never expire are listed with their type and size (a fixed-size structure such as a
  // filter is not a record held per deduct); the target is on the records that expire.
  const ttlMet = ttl === undefined || ttl.maxMin === null ? undefined : ttl.maxMin <= 15;
  const list: Target[] = [
    { target: 'hot SKU ≥ 80 % of the ceiling’s req/s', row: mode, measured: pct(hotShare), met: at(hotShare, (v) => v >= 0.8) },
    { target: 'hot SKU p99 ≤ 1.5× the ceiling’s', row: mode, measured: times(p99), met: at(p99, (v) => v <= 1.5) },
    { target: 'sold out ≥ 90 % of the ceiling’s req/s', row: mode, measured: pct(soldShare), met: at(soldShare, (v) => v >= 0.9) },
    {
      target: '0 PostgreSQL transactions per refusal once sold out (net of idle; met below 0.01)',
      row: mode,
      measured:
        sold?.pgTxn === undefined
          ? '–'
          : `${sold.pgTxn.toFixed(4)} (${Math.round(sold.pgTxnWindow ?? 0)} in the window, ${Math.round(sold.pgTxnIdle ?? 0)} expected idle, ${sold.sent - sold.failed} refusals)`,
      // Below one transaction per hundred refusals is the idle subtraction's noise, not a query per refusal.
      met: at(sold?.pgTxn, (v) => v < 0.01),
    },
    {
      target: 'server CPU per deduct ≤ 1.5× the ceiling’s per request (hot SKU)',
      row: mode,
      measured: times(cpu),
      met: at(cpu, (v) => v <= 1.5),
    },
    {
      target: 'Redis memory held per acknowledged deduct ≤ 128 B (hot SKU)',
      row: mode,
      measured: memoryText(hot),
      met: at(hot?.redisBytes, (v) => v <= 128),
    },
    {
      target: 'idempotency records released within 15 min (longest TTL in a sample)',
      row: mode,
      measured: ttlText(ttl),
      met: ttlMet,
    },
  ];
  for (const scenario of ['1,000 SKUs', '3-line carts']) {
    const v = share(find(mode, scenario)?.rps, hot?.rps);
    list.push({ target: `${scenario} ≥ 0.8× the hot-SKU figure`, row: mode, measured: times(v), met: at(v, (x) => x >= 0.8) });
  }
  return list;
}

/** Issue 15's targets (batches) for one stockgate row: cart deducts through deductStockBatch, 100 carts per request, against the ceiling's hot-SKU req/s. */
function batchTargets(mode: string, find: ReturnType<typeof finder>): Target[] {
  const hot = find(mode, HOT);
  const ceilingHotPerSecond = ceilingHotRps(find);
  const hotBatch = find(mode, HOT_BATCH);
  const cartsBatch = find(mode, CARTS_BATCH);
  const hotBatchShare = share(hotBatch?.rps, ceilingHotPerSecond);
  const cartsBatchShare = share(cartsBatch?.rps, ceilingHotPerSecond);
  // What the bare Yoga server answers in 100-cart requests: no server on it can go past that here.
  const ceilingBatch = find(CEILING, HOT_BATCH);
  const ceilingBatchShare = share(ceilingBatch?.rps, ceilingHotPerSecond);
  const perSecond = (r: Row | undefined) => (r === undefined ? '–' : `${Math.round(r.rps)} carts/s`);
  const cpuPerCart = (r: Row | undefined) =>
    r?.cpuMs === undefined ? '' : `, ${coresBudget(r, ceilingBatch, ceilingHotPerSecond) ?? `${r.cpuMs.toFixed(3)} CPU ms/cart`}`;
  // Oversold and Redis = PostgreSQL are checked once per mode, after its last scenario.
  const invariants = hotBatch === undefined ? '' : `; oversold ${hotBatch.oversold ?? '–'}, Redis = PostgreSQL ${consistency(hotBatch)}`;
  const invariantsMet =
    hotBatch?.oversold === undefined || hotBatch.agree === undefined ? undefined : hotBatch.oversold === 0 && hotBatch.agree;
  const hotMet = at(hotBatchShare, (v) => v >= HOT_BATCH_TARGET);
  return [
    {
      target: `hot SKU ×100: cart deducts/s ≥ ${HOT_BATCH_TARGET}× the ceiling’s hot-SKU req/s, 0 oversold, Redis = PostgreSQL after the run (issue 15)`,
      row: mode,
      measured: `${times(hotBatchShare)} (${perSecond(hotBatch)}${cpuPerCart(hotBatch)}${invariants}; Yoga alone, the ceiling’s hot SKU ×100: ${times(ceilingBatchShare)}${leanText(find, HOT_BATCH, hotBatch)})${ceilingHotText(find)}`,
      met: hotMet === false || invariantsMet === false ? false : hotMet && invariantsMet,
    },
    {
      target: `3-line carts ×100 (1,000 SKUs): cart deducts/s ≥ ${CARTS_BATCH_TARGET}× the ceiling’s hot-SKU req/s, half the hot SKU ×100 target (issue 15)`,
      row: mode,
      measured: `${times(cartsBatchShare)} (${perSecond(cartsBatch)}${cpuPerCart(cartsBatch)}; ${times(share(cartsBatch?.rps, hotBatch?.rps))} the hot SKU ×100 figure${leanText(find, CARTS_BATCH, cartsBatch)})`,
      met: at(cartsBatchShare, (v) => v >= CARTS_BATCH_TARGET),
    },
    {
      target: `setStockBatch of ${BULK_SET_TARGET_ITEMS.toLocaleString('en')} items in one request < ${BULK_SET_TARGET_MS / 1000} s (issue 15)`,
      row: mode,
      measured:
        hot?.bulkSetMs === undefined
          ? '–'
          : `${Math.round(hot.bulkSetMs)} ms for ${(hot.bulkSetItems ?? 0).toLocaleString('en')} items (median)`,
      met: hot?.bulkSetItems === BULK_SET_TARGET_ITEMS ? at(hot.bulkSetMs, (v) => v < BULK_SET_TARGET_MS) : undefined,
    },
  ];
}

/** Issue 14's and issue 15's targets, each with the measured value and whether it is met, for each stockgate row. */
export function targetsSection(rows: Row[]): string {
  const find = finder(rows);
  const targets = STOCKGATE_ROWS.filter((m) => rows.some((r) => r.mode === m)).flatMap((m) => [
    ...requestTargets(m, find),
    ...batchTargets(m, find),
  ]);
  const processes = find('stockgate ×2', HOT)?.processes;
  return [
    'Targets (issues 14 and 15), against the ceiling in the same run:',
    '',
    '| target | row | measured | |',
    '|---|---|---|---|',
    ...targets.map((t) => `| ${t.target} | ${t.row} | ${t.measured} | ${verdict(t.met)} |`),
    ...(processes === undefined
      ? []
      : [
          '',
          `stockgate ×2 ran as ${processes} node process(es): WEB_CONCURRENCY=2 (a primary and two workers is 3; 1 means the server ignored it).`,
        ]),
  ].join('\n');
}

/** What history.jsonl keeps of each row, in this order. */
export const HISTORY_COLUMNS = [
  'mode',
  'scenario',
  'req/s',
  'p50 ms',
  'p99 ms',
  'CPU ms/req',
  'Redis CPU ms',
  'PG CPU ms',
  'PG txn/req',
  'Redis B',
];

const round = (v: number | undefined, digits: number) => (v === undefined ? null : Number(v.toFixed(digits)));

export function historyRow(r: Row): (string | number | null)[] {
  return [
    r.mode,
    r.scenario,
    Math.round(r.rps),
    r.p50,
    r.p99,
    round(r.cpuMs, 4),
    round(r.redisCpuMs, 4),
    round(r.pgCpuMs, 4),
    round(r.pgTxn, 4),
    round(r.redisBytes, 0),
  ];
}

/**
 * A grouped bar chart of acknowledged requests per second, one group per scenario, one bar per mode.
 * The batch scenarios stay out: their carts/s, many times the rest, would flatten every other bar.
 */
export function chart(allRows: Row[]): string {
  const rows = allRows.filter((r) => !isBatch(r));
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const modes = [...new Set(rows.map((r) => r.mode))];
  const colors = ['#9aa5b1', '#6c4f9c', '#e4572e', '#f3a712', '#29bf12', '#1b7f3b'];
  const width = 900;
  const height = 380;
  const top = 40;
  const bottom = 70;
  const left = 70;
  const max = Math.max(...rows.map((r) => r.rps), 1);
  const plotH = height - top - bottom;
  const groupW = (width - left - 20) / scenarios.length;
  const barW = (groupW - 30) / modes.length;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">Acknowledged deducts per second, one cart per request (sold out: refusals), 64 connections</text>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    const y = top + plotH - (plotH * t) / 4;
    parts.push(`<line x1="${left}" x2="${width - 20}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end">${Math.round(v)}</text>`);
  }
  scenarios.forEach((s, g) => {
    const x0 = left + g * groupW + 15;
    modes.forEach((m, i) => {
      const r = rows.find((row) => row.mode === m && row.scenario === s);
      if (!r) return;
      const h = (plotH * r.rps) / max;
      parts.push(
        `<rect x="${x0 + i * barW}" y="${top + plotH - h}" width="${barW - 4}" height="${h}" fill="${colors[i % colors.length]}"/>`,
      );
    });
    parts.push(`<text x="${x0 + (modes.length * barW) / 2}" y="${top + plotH + 18}" text-anchor="middle">${s}</text>`);
  });
  const legendW = (width - left) / modes.length;
  modes.forEach((m, i) => {
    const x = left + i * legendW;
    parts.push(`<rect x="${x}" y="${height - 26}" width="12" height="12" fill="${colors[i % colors.length]}"/>`);
    parts.push(`<text x="${x + 18}" y="${height - 16}">${m.replace('&', '&amp;')}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
