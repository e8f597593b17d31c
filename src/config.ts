import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ApiKeyError, parseApiKeys } from './auth/keys.ts';
import { MAX_GATE_SHARDS } from './gate/keys.ts';

/** Below one a second a ticker looks stuck, and the latest level would come more than a second late. */
export const MIN_LIVE_RATE_PER_SECOND = 1;
/**
 * Above this nobody reads the numbers any better (a screen shows about 60 frames a second), while every
 * subscriber of a hot SKU costs that many messages a second.
 */
export const MAX_LIVE_RATE_PER_SECOND = 50;

/**
 * The highest per-caller rate limit: a thousand requests a second from one caller is a load test or an
 * attack, not a client, and above it the limit would never bite.
 */
export const MAX_RATE_LIMIT_PER_MINUTE = 60_000;

/** One process: no node:cluster primary at all, exactly the service as it runs without the setting. */
export const MIN_WEB_CONCURRENCY = 1;
/**
 * The most worker processes: each holds its own PostgreSQL and Redis pools and background workers, so
 * beyond a big machine's cores more only multiplies connections (src/app/processes.ts).
 */
export const MAX_WEB_CONCURRENCY = 64;

/** `host:port,…` (IPv6 hosts in brackets), as a list of addresses; unset or empty is none. */
const hostPorts = z
  .string()
  .optional()
  .transform((spec, ctx) => {
    if (spec === undefined || spec.trim() === '') return undefined;
    const nodes = spec.split(',').map((entry) => entry.trim().match(/^([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/));
    const bad = nodes.findIndex((m) => m === null || Number(m[2]) < 1 || Number(m[2]) > 65535);
    if (bad >= 0) {
      ctx.addIssue({ code: 'custom', message: `entry ${bad + 1} is not host:port` });
      return z.NEVER;
    }
    return nodes.map((m) => ({ host: m![1]!.replace(/^\[|\]$/g, ''), port: Number(m![2]) }));
  });

/** Every setting stockgate reads, validated once at start; a bad value is one clear line, not a crash later. */
const Settings = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/stockgate'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /**
   * PostgreSQL streaming replicas, `postgresql://…,postgresql://…`, for the reads that may lag
   * (src/stock/reads.ts); unset: the primary serves every read.
   */
  DATABASE_REPLICA_URLS: z
    .string()
    .optional()
    .transform((list, ctx) => {
      const urls = (list ?? '')
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u !== '');
      for (const url of urls)
        if (!z.string().url().safeParse(url).success) ctx.addIssue({ code: 'custom', message: `not a URL: ${withoutPassword(url)}` });
      return urls;
    }),
  /** A replica further behind the primary than this is out of rotation until it catches up (src/db/replicas.ts). */
  REPLICA_MAX_LAG_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  /** How often each replica's lag is measured. */
  REPLICA_CHECK_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  /**
   * Redis Sentinel, `host:port,…`, with REDIS_SENTINEL_NAME: the master they name is the gate's Redis
   * (and follows a failover); REDIS_URL then only gives the password and database, if any.
   */
  REDIS_SENTINELS: hostPorts,
  /**
   * Redis Cluster, `host:port,…` of some of its nodes (ioredis finds the rest): the gate's Redis is the
   * cluster. REDIS_URL then only gives the password, if any.
   */
  REDIS_CLUSTER_NODES: hostPorts,
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" and "-" only')
    .optional(),
  /** Every Redis key starts with this, so several deployments (or test runs) can share one Redis. */
  /**
   * Shards of the gate (src/gate/keys.ts): each SKU's counter, and each idempotency key's record, lives
   * in one of them, under its own hash tag, so in a Redis Cluster the shards spread over the masters.
   * Unset: 16 with REDIS_CLUSTER_NODES, else 1 (one server gains nothing from more). Changing it moves
   * every key: counters are loaded again from the truth, and records of the old layout are not seen.
   */
  GATE_SHARDS: z.coerce.number().int().min(1).max(MAX_GATE_SHARDS).optional(),
  REDIS_PREFIX: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9:_-]*$/, 'letters, digits, ":", "_" and "-" only')
    .default('sg:'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How often the merge worker folds the ledger into SKU rows; see src/ledger/merge.ts. */
  MERGE_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  /**
   * How old an in-flight gate take must be before reconciliation settles it (src/sync/reconcile.ts).
   * No unit ever hangs on it being long enough (a settled take's late ledger write is fenced off), but
   * below the ledger's statement timeout (5 s) slow healthy writes get fenced and answered
   * TEMPORARILY_UNAVAILABLE; longer leaves units stranded longer after a crash.
   */
  INFLIGHT_DEADLINE_MS: z.coerce.number().int().min(1_000).max(600_000).default(10_000),
  /** How often each instance looks for stale in-flight takes (one instance at a time reconciles). */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /**
   * How long Redis remembers an idempotency key, seconds (src/gate/gate.ts): records live between half
   * of this and all of it, about 100 bytes each. PostgreSQL keeps every answer for good, so a replay
   * after this still gets its first answer, from the ledger; a retry within it never reaches PostgreSQL.
   */
  IDEMPOTENCY_RECORD_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  /**
   * How deducts and reserves are written: `full` is stockgate (gate + group commit); `per-request`
   * (gate + one ledger statement per request, seed 002) and `db-only` (PostgreSQL alone, seed 001)
   * exist for the benchmark's side-by-side comparison.
   */
  STOCKGATE_MODE: z.enum(['full', 'per-request', 'db-only']).default('full'),
  /** Live levels each subscriber gets per SKU per second, at most; see src/live/coalesce.ts. */
  LIVE_RATE_PER_SECOND: z.coerce.number().int().min(MIN_LIVE_RATE_PER_SECOND).max(MAX_LIVE_RATE_PER_SECOND).default(10),
  /**
   * Requests a minute each caller (its Authorization header, else its address) may send to /graphql,
   * counted across every instance in Redis (src/limits/use-caller-rate-limit.ts); 0, the default,
   * switches it off.
   */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(MAX_RATE_LIMIT_PER_MINUTE).default(0),
  /** Only these three: a typo such as "prod" must not quietly run with development defaults. */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /**
   * Worker processes serving the one PORT (node:cluster, src/app/processes.ts); 1 is a single process,
   * no cluster. Unset: one per core (os.availableParallelism()) with NODE_ENV=production, else 1.
   */
  WEB_CONCURRENCY: z.coerce.number().int().min(MIN_WEB_CONCURRENCY).max(MAX_WEB_CONCURRENCY).optional(),
  /**
   * API keys, `name:role:secret,…` (src/auth/keys.ts), parsed here once. None: the service runs open,
   * every caller admin, which production refuses (below).
   */
  STOCKGATE_API_KEYS: z
    .string()
    .optional()
    .transform((spec, ctx) => {
      try {
        return parseApiKeys(spec);
      } catch (err) {
        if (!(err instanceof ApiKeyError)) throw err;
        // Its message already names the entry (never the secret); the path prefix names the variable.
        ctx.addIssue({ code: 'custom', message: err.message.replace(/^STOCKGATE_API_KEYS:? /, '') });
        return z.NEVER;
      }
    }),
  /** Schema introspection (and GraphiQL, which needs it); unset: on, except with NODE_ENV=production. */
  GRAPHQL_INTROSPECTION: z.stringbool().optional(),
});

/**
 * Gate shards in a Redis Cluster unless GATE_SHARDS says otherwise: enough that three to eight masters
 * each serve a few, so a hot SKU's master is not every SKU's; few enough that a 3-line cart rarely
 * spans more than its lines' shards.
 */
export const CLUSTER_GATE_SHARDS = 16;

/** The settings, plus what depends on more than one of them. */
const Config = Settings.superRefine((c, ctx) => {
  if ((c.REDIS_SENTINELS === undefined) !== (c.REDIS_SENTINEL_NAME === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [c.REDIS_SENTINELS === undefined ? 'REDIS_SENTINELS' : 'REDIS_SENTINEL_NAME'],
      message: 'REDIS_SENTINELS and REDIS_SENTINEL_NAME go together',
    });
  }
  if (c.REDIS_CLUSTER_NODES !== undefined && c.REDIS_SENTINELS !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'a Redis Cluster or Sentinel, not both' });
  }
  if (c.NODE_ENV === 'production' && c.STOCKGATE_API_KEYS.open) {
    ctx.addIssue({
      code: 'custom',
      path: ['STOCKGATE_API_KEYS'],
      message: 'required with NODE_ENV=production (without keys every caller would be admin)',
    });
  }
}).transform((c) => ({
  ...c,
  GRAPHQL_INTROSPECTION: c.GRAPHQL_INTROSPECTION ?? c.NODE_ENV !== 'production',
  GATE_SHARDS: c.GATE_SHARDS ?? (c.REDIS_CLUSTER_NODES === undefined ? 1 : CLUSTER_GATE_SHARDS),
  WEB_CONCURRENCY: c.WEB_CONCURRENCY ?? (c.NODE_ENV === 'production' ? coresAvailable() : MIN_WEB_CONCURRENCY),
}));

/** The cores this process may use, within the limits of WEB_CONCURRENCY. */
function coresAvailable(): number {
  return Math.min(MAX_WEB_CONCURRENCY, Math.max(MIN_WEB_CONCURRENCY, availableParallelism()));
}

export type Config = z.infer<typeof Config>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Config.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
}

export class ConfigError extends Error {}

/** A URL with its password hidden, for messages. */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** For command-line entry points: the configuration, or one line naming the bad setting and exit 1. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`stockgate: ${err.message}`);
    process.exit(1);
  }
}
