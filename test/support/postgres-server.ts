import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './redis-server.ts';

const run = promisify(execFile);

/** Where Debian's PostgreSQL 15 keeps its server binaries (initdb and pg_ctl are not on PATH). */
export const PG_BIN = process.env.TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
/** The OS user that owns the cluster: PostgreSQL refuses to run as root. */
const PG_OS_USER = 'postgres';
/** initdb and a first start take a second or two; a loaded machine gets more. */
const START_TIMEOUT_S = 30;
/** How long an immediate stop may take (it only signals the postmaster and waits for it to exit). */
const STOP_TIMEOUT_S = 30;
/** How long a fresh start may take before the server answers a query. */
const READY_TIMEOUT_MS = 30_000;
/** Shell commands run here: none takes longer than the start timeout plus some slack. */
const COMMAND_TIMEOUT_MS = (START_TIMEOUT_S + 10) * 1_000;

export const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The command line that runs `path` (a program on PATH or a path) as the cluster's owner. */
export function asClusterOwner(path: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', PG_OS_USER, '--', path, ...args]] : [path, args];
}

/** The command line that runs a PostgreSQL binary as the cluster's owner. */
function command(binary: string, args: string[]): [string, string[]] {
  return asClusterOwner(join(PG_BIN, binary), args);
}

/** The cluster owner's uid and gid, to hand it what root made. */
export function osUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', PG_OS_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', PG_OS_USER], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** Clusters of this process still running: stopped at exit, even when a test or the driver crashed. */
const running = new Set<OwnPostgres>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const own of running) own.destroySync();
  });
}

/**
 * A PostgreSQL cluster of the test's own: initdb in a temp dir, on a free loopback port, trust auth,
 * its unix socket inside the temp dir. Free to stop with `-m immediate` (a crash: no checkpoint,
 * recovery from the WAL at the next start) and to restart. Never the machine's shared server.
 *
 * fsync is off: the faults this simulates kill PostgreSQL's processes, not the machine, so whatever
 * was written reaches the files through the OS page cache anyway, and tests run faster.
 */
export class OwnPostgres {
  private up = false;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  private get data(): string {
    return join(this.dir, 'data');
  }

  private get socketDir(): string {
    return join(this.dir, 'sock');
  }

  private get logFile(): string {
    return join(this.dir, 'server.log');
  }

  /** The server's URL without a database: append `/name`. */
  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}`;
  }

  databaseUrl(name: string): string {
    return `${this.url}/${name}`;
  }

  /** A new cluster by initdb. */
  static start(): Promise<OwnPostgres> {
    return OwnPostgres.create('stockgate-pg-', (own) =>
      own.exec('initdb', ['-D', own.data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']),
    );
  }

  /**
   * A streaming replica of `primary` (a cluster of this process): `pg_basebackup -R` on a free loopback
   * port, so it follows the primary's WAL as a hot standby that answers reads.
   */
  static startReplicaOf(primary: OwnPostgres): Promise<OwnPostgres> {
    const backup = [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-R',
      '-X',
      'stream',
      '--checkpoint=fast',
      '--no-sync',
    ];
    return OwnPostgres.create('stockgate-pg-replica-', (own) => own.exec('pg_basebackup', [...backup, '-D', own.data]));
  }

  /** A cluster in a temp dir owned by the cluster's OS user, its data made by `populate`, then started. */
  private static async create(prefix: string, populate: (own: OwnPostgres) => Promise<void>): Promise<OwnPostgres> {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const own = new OwnPostgres(await freePort(), dir);
    try {
      mkdirSync(own.socketDir);
      writeFileSync(own.logFile, '');
      if (asRoot) {
        const { uid, gid } = osUser();
        for (const path of [dir, own.socketDir, own.logFile]) chownSync(path, uid, gid);
      }
      await populate(own);
      installExitHook();
      running.add(own);
      await own.restart();
      return own;
    } catch (err) {
      await own.destroy();
      throw err;
    }
  }

  /** Starts the (stopped) server and waits until it answers a query; after a crash that includes recovery. */
  async restart(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.socketDir}`,
      `-c listen_addresses=127.0.0.1`,
      `-c fsync=off`,
      `-c full_page_writes=off`,
      `-c max_connections=200`,
    ].join(' ');
    await this.exec('pg_ctl', ['start', '-w', '-t', String(START_TIMEOUT_S), '-D', this.data, '-l', this.logFile, '-o', options]);
    this.up = true;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const client = new pg.Client({ connectionString: this.databaseUrl('postgres'), connectionTimeoutMillis: 2_000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`own PostgreSQL on port ${this.port} does not answer: ${String(err)}`, { cause: err });
        await sleep(100);
      } finally {
        await client.end().catch(() => {});
      }
    }
  }

  /** `pg_ctl stop -m immediate`: every server process quits at once, like a crash; clients see their connections drop. */
  async stopImmediate(): Promise<void> {
    if (!this.up) return;
    await this.exec('pg_ctl', ['stop', '-w', '-t', String(STOP_TIMEOUT_S), '-m', 'immediate', '-D', this.data]);
    this.up = false;
  }

  /** The server log's last lines, for a failure report. */
  async logTail(lines = 50): Promise<string> {
    try {
      const { stdout } = await run('tail', ['-n', String(lines), this.logFile]);
      return stdout;
    } catch {
      return '';
    }
  }

  /** Stops the server (immediately) and deletes its files. Safe to call twice. */
  async destroy(): Promise<void> {
    try {
      await this.stopImmediate();
    } catch {
      // Already gone; the files go anyway.
    }
    running.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** destroy() for the process's exit hook, where nothing asynchronous runs any more. */
  destroySync(): void {
    if (this.up) {
      try {
        const [cmd, args] = command('pg_ctl', ['stop', '-w', '-t', String(STOP_TIMEOUT_S), '-m', 'immediate', '-D', this.data]);
        execFileSync(cmd, args, { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
      } catch {
        // Best effort at exit.
      }
      this.up = false;
    }
    running.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async exec(binary: string, args: string[]): Promise<void> {
    const [cmd, argv] = command(binary, args);
    try {
      // cwd: runuser keeps the caller's directory, which the postgres user may not be allowed to enter.
      await run(cmd, argv, { cwd: this.dir, timeout: COMMAND_TIMEOUT_MS });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${binary} ${args[0] ?? ''} failed: ${e.stderr?.trim() || e.message}\n${await this.logTail(20)}`, { cause: err });
    }
  }
}
