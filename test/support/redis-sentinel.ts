import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, killAtExit, OwnRedis } from './redis-server.ts';
import { eventually } from './wait.ts';

/** The master's name the Sentinels watch. */
const MASTER_NAME = 'stockgate';
/** Sentinels, and how many must agree the master is down: a majority, as in production. */
const SENTINELS = 3;
const QUORUM = 2;
/** How long a silent master is taken for down, and how long a failover may take: short, for a test. */
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 5_000;

/**
 * A Redis master, its replica and three Sentinels of the test's own, on loopback ports: a failover is
 * the real one (SENTINEL FAILOVER, or the master killed with -9 and its replica promoted).
 */
export class OwnSentinels {
  private readonly dir = mkdtempSync(join(tmpdir(), 'stockgate-sentinel-'));
  private readonly sentinels: ChildProcess[] = [];

  private constructor(
    readonly servers: OwnRedis[],
    readonly sentinelPorts: number[],
  ) {}

  static async start(): Promise<OwnSentinels> {
    const master = await OwnRedis.start();
    const replica = await OwnRedis.start(['--replicaof', '127.0.0.1', String(master.port)]);
    const ports = await Promise.all(Array.from({ length: SENTINELS }, () => freePort()));
    const set = new OwnSentinels([master, replica], ports);
    for (const port of ports) set.startSentinel(port, master.port);
    await set.settled(master.port);
    return set;
  }

  /** Settings that point stockgate at this master through the Sentinels. */
  get env(): { REDIS_SENTINELS: string; REDIS_SENTINEL_NAME: string } {
    return { REDIS_SENTINELS: this.sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','), REDIS_SENTINEL_NAME: MASTER_NAME };
  }

  /** The port of the master the Sentinels name now. */
  async masterPort(): Promise<number> {
    const sentinel = this.client(this.sentinelPorts[0]!);
    try {
      const [, port] = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string];
      return Number(port);
    } finally {
      sentinel.disconnect();
    }
  }

  /** A graceful failover: Sentinel promotes the replica once it has every write, then the old master follows it. */
  async failover(): Promise<number> {
    const before = await this.masterPort();
    const sentinel = this.client(this.sentinelPorts[0]!);
    try {
      await sentinel.call('SENTINEL', 'FAILOVER', MASTER_NAME);
    } finally {
      sentinel.disconnect();
    }
    return this.newMaster(before);
  }

  /** kill -9 of the master: the replica is promoted with whatever it had received. Returns the new master's port. */
  async killMaster(): Promise<number> {
    const before = await this.masterPort();
    await this.servers.find((s) => s.port === before)!.kill();
    return this.newMaster(before);
  }

  async stop(): Promise<void> {
    for (const sentinel of this.sentinels) sentinel.kill('SIGKILL');
    for (const server of this.servers) await server.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async newMaster(before: number): Promise<number> {
    let now = before;
    await eventually('a new master', async () => (now = await this.masterPort()) !== before, { within: 4 * FAILOVER_TIMEOUT_MS });
    await eventually('the new master to answer as master', async () => {
      const client = this.client(now);
      try {
        return ((await client.call('ROLE')) as [string])[0] === 'master';
      } finally {
        client.disconnect();
      }
    });
    return now;
  }

  private startSentinel(port: number, masterPort: number): void {
    const conf = join(this.dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${this.dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} ${QUORUM}`,
        `sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    const proc = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    killAtExit(proc);
    this.sentinels.push(proc);
  }

  /** Until every Sentinel knows the master and its replica, and the replica is in sync. */
  private async settled(masterPort: number): Promise<void> {
    const [, replica] = this.servers;
    await eventually('the replica in sync', async () => {
      const client = this.client(replica!.port);
      try {
        return (await client.info('replication')).includes('master_link_status:up');
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    });
    for (const port of this.sentinelPorts) {
      await eventually(`Sentinel ${port} to see the master and its replica`, async () => {
        const sentinel = this.client(port);
        try {
          const [, master] = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string];
          const replicas = (await sentinel.call('SENTINEL', 'replicas', MASTER_NAME)) as unknown[];
          return Number(master) === masterPort && replicas.length === 1;
        } catch {
          return false;
        } finally {
          sentinel.disconnect();
        }
      });
    }
  }

  private client(port: number): Redis {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: false, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    return client;
  }
}
