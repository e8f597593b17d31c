import { Redis, type RedisOptions } from 'ioredis';

/** The channel on which every Sentinel announces a completed failover: "<name> <old ip> <old port> <new ip> <new port>". */
const SWITCH_MASTER_CHANNEL = '+switch-master';

export interface SentinelFailoverOptions {
  sentinels: { host: string; port: number }[];
  /** The master's name the Sentinels watch (REDIS_SENTINEL_NAME): announcements of others are ignored. */
  name: string;
  /** Pause before a Sentinel subscription that lost its Sentinel tries again, by attempt (ms; the connection's). */
  retryDelay: NonNullable<RedisOptions['retryStrategy']>;
}

/**
 * Makes a connection to the master Sentinels name follow the failovers they announce, also those that
 * leave the old master up (a graceful failover demotes it: a gate that kept writing there would lose the
 * writes): on `+switch-master`, a connection that is up, and not already on the new master, is dropped,
 * and ioredis reconnects by asking the Sentinels for the master again.
 *
 * Not ioredis's own `failoverDetector`: it drops the connection whatever its state, and when the
 * announcement comes while a reconnect is asking a Sentinel for the master (the old master was killed,
 * so the connection is retrying), ioredis gives the connection up for good (status "end", no more
 * retries): the instance never reaches Redis again. Seen in test/sentinel.test.ts under load, and every
 * other time with a Sentinel slow to answer. A connection still connecting asks the Sentinels anyway, so
 * it is left alone; one that reaches the old master after its demotion is refused there by ioredis's
 * role check, or later by its first write (`reconnectOnError` in openRedis).
 *
 * The subscriptions live as long as the connection: they end with it.
 */
export function followSentinelFailovers(connection: Redis, options: SentinelFailoverOptions): void {
  const subscriptions = options.sentinels.map(({ host, port }) => {
    const sentinel = new Redis({ host, port, retryStrategy: options.retryDelay, maxRetriesPerRequest: null, enableReadyCheck: false });
    // A Sentinel away only delays the news; the connection's own reconnects ask the others.
    sentinel.on('error', () => {});
    sentinel.on('message', (_channel: string, message: string) => {
      const [name, , , host, port] = message.split(' ');
      if (name !== options.name) return;
      // Every Sentinel announces the failover: one that comes after the connection reached the new master
      // would drop it for nothing, failing the commands sent while it connects again.
      if (talksTo(connection, host, Number(port))) return;
      if (connection.status === 'ready' || connection.status === 'connect') connection.disconnect(true);
    });
    sentinel.subscribe(SWITCH_MASTER_CHANNEL).catch(() => {});
    return sentinel;
  });
  connection.once('end', () => {
    for (const sentinel of subscriptions) sentinel.disconnect();
  });
}

/**
 * Whether the connection is up on `host`:`port` as a Sentinel announces a master: an IP address (a
 * hostname announced instead never matches, and the connection is dropped as before).
 */
function talksTo(connection: Redis, host: string | undefined, port: number): boolean {
  const socket = connection.stream;
  return connection.status === 'ready' && socket.remotePort === port && socket.remoteAddress?.replace(/^::ffff:/, '') === host;
}
