import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, isFree, OwnRedis } from './redis-server.ts';
import { eventually } from './wait.ts';

const run = promisify(execFile);

/** Three masters, each with one replica: the smallest cluster that survives losing a master. */
const MASTERS = 3;
const REPLICAS_PER_MASTER = 1;
/** How long a silent master is taken for failed, and its replica promoted: short, for a test. */
const NODE_TIMEOUT_MS = 1_000;
/** A cluster node listens on its port and on the bus port 10,000 above it: ports to try for each node. */
const NODE_START_ATTEMPTS = 5;
const BUS_PORT_OFFSET = 10_000;
const MAX_PORT = 65_535;

/**
 * A cluster node on loopback: on a free port whose bus port is free too (the OS's free ports reach past
 * 55,535, whose bus port does not exist), tried again on another when another test took one meanwhile.
 */
async function startNode(): Promise<OwnRedis> {
  for (let attempt = 1; ; attempt++) {
    let port = await freePort();
    while (port + BUS_PORT_OFFSET > MAX_PORT || !(await isFree(port + BUS_PORT_OFFSET))) port = await freePort();
    try {
      return await OwnRedis.start(
        ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(NODE_TIMEOUT_MS)],
        port,
      );
    } catch (err) {
      if (attempt === NODE_START_ATTEMPTS) throw err;
    }
  }
}

/**
 * A real Redis Cluster of the test's own: six `redis-server --cluster-enabled yes` processes on loopback
 * ports, made one cluster by `redis-cli --cluster create --cluster-replicas 1`, each keeping nothing on
 * disk but its nodes file. Killing a master (-9) makes its replica take over its slots.
 */
export class OwnRedisCluster {
  private constructor(readonly servers: OwnRedis[]) {}

  static async start(): Promise<OwnRedisCluster> {
    const count = MASTERS * (1 + REPLICAS_PER_MASTER);
    const servers = await Promise.all(Array.from({ length: count }, startNode));
    const cluster = new OwnRedisCluster(servers);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...servers.map((s) => `127.0.0.1:${s.port}`),
      '--cluster-replicas',
      String(REPLICAS_PER_MASTER),
      '--cluster-yes',
    ]);
    await cluster.healthy();
    return cluster;
  }

  /** REDIS_CLUSTER_NODES for stockgate: every node (a client needs only one to find the rest). */
  get nodes(): string {
    return this.servers.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  /** The port of the master that serves `key`'s slot now. */
  async masterOf(key: string): Promise<number> {
    const client = this.client(this.alive()[0]!.port);
    try {
      const slot = (await client.call('CLUSTER', 'KEYSLOT', key)) as number;
      const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no master serves slot ${slot}`);
      return Number(range[2][1]);
    } finally {
      client.disconnect();
    }
  }

  /** kill -9 of the master serving `key`'s slot; resolves once another node serves it, as master. */
  async killMasterOf(key: string): Promise<number> {
    const before = await this.masterOf(key);
    await this.servers.find((s) => s.port === before)!.kill();
    let now = before;
    await eventually(
      `a replica promoted for ${key}`,
      async () => {
        try {
          now = await this.masterOf(key);
          return now !== before;
        } catch {
          return false;
        }
      },
      { within: 30_000, every: 100 },
    );
    await this.healthy();
    return now;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }

  /** Until every live node says the cluster is ok (all slots served). */
  private async healthy(): Promise<void> {
    for (const server of this.alive()) {
      await eventually(
        `cluster state ok on ${server.port}`,
        async () => {
          const client = this.client(server.port);
          try {
            return ((await client.call('CLUSTER', 'INFO')) as string).includes('cluster_state:ok');
          } catch {
            return false;
          } finally {
            client.disconnect();
          }
        },
        { within: 30_000, every: 100 },
      );
    }
  }

  private alive(): OwnRedis[] {
    return this.servers.filter((s) => s.running);
  }

  private client(port: number): Redis {
    const client = new Redis({ port, host: '127.0.0.1', retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    return client;
  }
}
