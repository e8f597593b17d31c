/**
 * A connection through Sentinels (src/app/redis.ts, src/app/sentinel-failovers.ts) stays on the new
 * master when a Sentinel announces the failover late (each announces it: dropping the connection again
 * failed the commands sent meanwhile, a CI failure of test/sentinel.test.ts), and follows a failover
 * announced while it is asking a Sentinel for the master. The master is killed, so the connection
 * retries, each time asking a Sentinel; the Sentinels, behind proxies of the test's own, hold back
 * their answers to that question until the failover has been announced (their announcements pass at
 * once). ioredis's own failover detector gave such a connection up for good (status "end"): the
 * instance never reached Redis again (a CI failure of test/sentinel.test.ts under load).
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRedis } from '../src/app/redis.ts';
import { loadConfig } from '../src/config.ts';
import { OwnSentinels } from './support/redis-sentinel.ts';
import { TcpProxy } from './support/tcp-proxy.ts';
import { eventually } from './support/wait.ts';

/** How long the announcement has to reach the connection before the held answers go. */
const ANNOUNCEMENT_MS = 1_000;
/** How long a late announcement has to arrive and drop the connection, if it would. */
const LATE_ANNOUNCEMENT_MS = 500;

let sentinels: OwnSentinels;
let proxies: TcpProxy[];

beforeAll(async () => {
  sentinels = await OwnSentinels.start();
  proxies = await Promise.all(sentinels.sentinelPorts.map((port) => TcpProxy.start(port)));
});

afterAll(async () => {
  await Promise.all((proxies ?? []).map((proxy) => proxy.close()));
  await sentinels?.stop();
});

/** Until the connection answers from the master on `port`. */
async function reached(connection: Redis, port: number): Promise<void> {
  await eventually(`the connection to reach the new master on port ${port}`, async () => {
    try {
      return Number(/tcp_port:(\d+)/.exec(await connection.info('server'))![1]) === port;
    } catch {
      return false;
    }
  });
}

function connectThroughProxies(): Redis {
  const config = loadConfig({
    REDIS_SENTINELS: proxies.map((proxy) => `127.0.0.1:${proxy.port}`).join(','),
    REDIS_SENTINEL_NAME: sentinels.env.REDIS_SENTINEL_NAME,
  });
  const connection = openRedis(config) as Redis;
  connection.on('error', () => {});
  return connection;
}

it('stays on the new master when a Sentinel announces the failover after the connection got there', async () => {
  // The first Sentinel's announcements wait until the connection is on the new master (every Sentinel
  // announces a failover, and one may be late); the others' pass at once.
  proxies[0]!.holdReplies('+switch-master');
  const connection = connectThroughProxies();
  let reconnects = 0;
  connection.on('reconnecting', () => reconnects++);
  try {
    expect(await connection.ping()).toBe('PONG');
    const master = await sentinels.failover();
    await reached(connection, master);
    const before = reconnects;
    proxies[0]!.releaseReplies();
    // Long enough for the late announcement to arrive and a dropped connection to start again.
    await new Promise((resolve) => setTimeout(resolve, LATE_ANNOUNCEMENT_MS));
    expect(reconnects, 'reconnects after the late announcement').toBe(before);
    expect(connection.status).toBe('ready');
  } finally {
    proxies[0]!.releaseReplies();
    connection.disconnect();
  }
});

it('follows a failover announced while the connection asks a Sentinel for the master', async () => {
  const connection = connectThroughProxies();
  const ended: string[] = [];
  connection.on('end', () => ended.push(connection.status));
  try {
    expect(await connection.ping()).toBe('PONG');
    for (const proxy of proxies) proxy.holdReplies('get-master-addr-by-name');
    const master = await sentinels.killMaster();
    await new Promise((resolve) => setTimeout(resolve, ANNOUNCEMENT_MS));
    for (const proxy of proxies) proxy.releaseReplies();
    await reached(connection, master);
    expect(ended).toEqual([]);
  } finally {
    connection.disconnect();
  }
});
