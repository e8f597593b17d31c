import { Redis, type RedisOptions } from 'ioredis';
import { withoutPassword, type Config } from '../config.ts';

/** Where the gate's Redis is: one server, or the master a set of Sentinels names. */
type RedisSettings = Pick<Config, 'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME'>;

/**
 * A connection to the gate's Redis: REDIS_URL, or with REDIS_SENTINELS the master Sentinel names under
 * REDIS_SENTINEL_NAME, which ioredis asks the Sentinels for again after a failover (and reconnects to
 * the new master). Every connection of the service goes through here, so all of them follow a failover.
 */
export function openRedis(settings: RedisSettings, options: RedisOptions = {}): Redis {
  if (settings.REDIS_SENTINELS === undefined) return new Redis(settings.REDIS_URL, options);
  const url = new URL(settings.REDIS_URL);
  return new Redis({
    ...options,
    sentinels: settings.REDIS_SENTINELS,
    name: settings.REDIS_SENTINEL_NAME,
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
    // Told of a failover by the Sentinels (+switch-master), not only when the old master's connection
    // breaks: a graceful failover leaves it up, demoted, and a gate that kept writing there would lose it.
    failoverDetector: true,
    // Sentinels unreachable: keep asking, as ioredis keeps reconnecting to one server (its default gives up).
    sentinelRetryStrategy: options.retryStrategy ?? ((attempt) => Math.min(attempt * 100, 2_000)),
  });
}

/** Where Redis is, for messages: the URL without its password, or the Sentinels and the master's name. */
export function redisAddress(settings: RedisSettings): string {
  if (settings.REDIS_SENTINELS !== undefined) {
    const sentinels = settings.REDIS_SENTINELS.map((s) => `${s.host}:${s.port}`).join(',');
    return `master "${settings.REDIS_SENTINEL_NAME}" of Sentinels ${sentinels}`;
  }
  return withoutPassword(settings.REDIS_URL);
}
