import { z } from 'zod';

/** Every setting stockgate reads, validated once at start; a bad value is one clear line, not a crash later. */
const Config = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z
    .string()
    .url()
    .default('postgresql://postgres@127.0.0.1:5432/stockgate'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** Every Redis key starts with this, so several deployments (or test runs) can share one Redis. */
  REDIS_PREFIX: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9:_-]*$/, 'letters, digits, ":", "_" and "-" only')
    .default('sg:'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How often the merge worker folds the ledger into SKU rows; see src/ledger/merge.ts. */
  MERGE_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
});

export type Config = z.infer<typeof Config>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Config.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
}

export class ConfigError extends Error {}

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
