import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** How long a fresh redis-server gets to answer PING. */
const START_TIMEOUT_MS = 10_000;

/** A free loopback port, found by letting the OS pick one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether nothing listens on a loopback port now. */
export async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  return listening;
}

/** Servers of this process still running: killed at exit, even when a test or a driver crashed. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
export function killAtExit(proc: ChildProcess): void {
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of running) p.kill('SIGKILL');
  });
}

/** A redis-server of the test's own, on loopback, keeping nothing on disk: free to flush, kill and restart. */
export class OwnRedis {
  private proc: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'stockgate-redis-'));

  private constructor(
    readonly port: number,
    /** More redis-server arguments (a replica's --replicaof, say). */
    private readonly extraArgs: string[] = [],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(extraArgs: string[] = [], port?: number): Promise<OwnRedis> {
    const own = new OwnRedis(port ?? (await freePort()), extraArgs);
    try {
      await own.restart();
    } catch (err) {
      // Nobody gets it to stop: its process and directory go now (a port taken meanwhile, say).
      await own.stop();
      throw err;
    }
    return own;
  }

  async restart(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...this.extraArgs],
      {
        stdio: 'ignore',
      },
    );
    killAtExit(this.proc);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch (err) {
        // Exited: its port (or a cluster node's bus port, 10,000 above) was taken meanwhile; no use waiting.
        const exited = !this.running;
        if (exited || Date.now() > deadline)
          throw new Error(`redis-server on port ${this.port} ${exited ? 'exited' : 'did not start'}: ${String(err)}`, { cause: err });
        await sleep(50);
      } finally {
        probe.disconnect();
      }
    }
  }

  /** Started and not killed since. */
  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async flushAll(): Promise<void> {
    const client = new Redis(this.url, { maxRetriesPerRequest: 1 });
    try {
      await client.flushall();
    } finally {
      client.disconnect();
    }
  }

  /** kill -9: no goodbye to clients, no data kept. */
  async kill(): Promise<void> {
    const proc = this.proc;
    // Ended already: exitCode is set when it exited, signalCode when a signal (an earlier kill) ended it.
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
