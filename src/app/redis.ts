import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { withoutPassword, type Config } from '../config.ts';
import type { RedisClient } from '../gate/gate.ts';
import { GateKeys } from '../gate/keys.ts';
import { followSentinelFailovers } from './sentinel-failovers.ts';

/** Where the gate's Redis is: one server, the master a set of Sentinels names, or a Redis Cluster. */
type RedisSettings = Pick<
  Config,
  'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_CLUSTER_NODES' | 'REDIS_PREFIX' | 'GATE_SHARDS'
>;

/** Milliseconds between attempts to reach Sentinels or cluster nodes that are away, at most. */
const MAX_RETRY_DELAY_MS = 2_000;
const retryDelay = (attempt: number) => Math.min(attempt * 100, MAX_RETRY_DELAY_MS);

/**
 * A connection to the gate's Redis: REDIS_URL; with REDIS_SENTINELS the master Sentinel names under
 * REDIS_SENTINEL_NAME, which ioredis asks the Sentinels for again after a failover (and reconnects to
 * the new master); with REDIS_CLUSTER_NODES a Redis Cluster, each command sent to the master of its
 * keys' slot. Every connection of the service goes through here, so all of them follow a failover.
 */
export function openRedis(settings: RedisSettings, options: RedisOptions = {}): RedisClient {
  const url = new URL(settings.REDIS_URL);
  const password = url.password ? { password: decodeURIComponent(url.password) } : {};
  if (settings.REDIS_CLUSTER_NODES !== undefined) {
    const { lazyConnect, retryStrategy, enableOfflineQueue, ...perNode } = options;
    return new Cluster(settings.REDIS_CLUSTER_NODES, {
      redisOptions: { ...perNode, ...password },
      ...(lazyConnect === undefined ? {} : { lazyConnect }),
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      clusterRetryStrategy: retryStrategy ?? retryDelay,
      // Reads too: a replica may lag, and the gate decides on what it reads.
      scaleReads: 'master',
    });
  }
  if (settings.REDIS_SENTINELS === undefined) return new Redis(settings.REDIS_URL, options);
  const sentinelRetry = options.retryStrategy ?? retryDelay;
  const connection = new Redis({
    ...options,
    sentinels: settings.REDIS_SENTINELS,
    name: settings.REDIS_SENTINEL_NAME,
    ...password,
    ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
    // Sentinels unreachable: keep asking, as ioredis keeps reconnecting to one server (its default gives up).
    sentinelRetryStrategy: sentinelRetry,
    // A connection that reached the old master just before its demotion learns it from its first write
    // there: it reconnects, asking the Sentinels again (the write is refused, nothing happened).
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  });
  // Told of a failover by the Sentinels (+switch-master), not only when the old master's connection
  // breaks: a graceful failover leaves it up, demoted, and a gate that kept writing there would lose it.
  followSentinelFailovers(connection, {
    sentinels: settings.REDIS_SENTINELS,
    name: settings.REDIS_SENTINEL_NAME!,
    retryDelay: sentinelRetry,
  });
  return connection;
}

/**
 * The prefix of the gate's keys. With several shards each shard's keys carry the shard's hash tag
 * (src/gate/keys.ts). A Redis Cluster gate of one shard carries one tag here, so every key one script
 * call touches (a cart's counters, the idempotency records, the in-flight index, the replay filter)
 * sits in one slot: one master serves the whole gate.
 */
export function gatePrefix(settings: RedisSettings): string {
  const oneSlot = settings.REDIS_CLUSTER_NODES !== undefined && settings.GATE_SHARDS === 1;
  return oneSlot ? `${settings.REDIS_PREFIX}{gate}:` : settings.REDIS_PREFIX;
}

/** The gate's keys, over GATE_SHARDS shards. */
export function gateKeys(settings: RedisSettings): GateKeys {
  return new GateKeys(gatePrefix(settings), settings.GATE_SHARDS);
}

/** Where Redis is, for messages: the URL without its password, the Sentinels and the master's name, or the cluster's nodes. */
export function redisAddress(settings: RedisSettings): string {
  const list = (nodes: { host: string; port: number }[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (settings.REDIS_CLUSTER_NODES !== undefined) return `Redis Cluster nodes ${list(settings.REDIS_CLUSTER_NODES)}`;
  if (settings.REDIS_SENTINELS !== undefined) {
    return `master "${settings.REDIS_SENTINEL_NAME}" of Sentinels ${list(settings.REDIS_SENTINELS)}`;
  }
  return withoutPassword(settings.REDIS_URL);
}
