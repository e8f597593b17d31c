import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type pg from 'pg';

/**
 * What the bench reads around each measured window, all from outside the servers: CPU from /proc,
 * Redis from INFO, PostgreSQL's transaction counters from pg_stat_database.
 */

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, in ms. */
  own: number;
  /** cutime + cstime: children it has waited for (the ones that exited), in ms. */
  reaped: number;
  /** When it started, in ticks since boot: with the pid, names this process and no later one. */
  started: number;
}

function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone meanwhile
  }
  // The command name sits in parentheses and may hold spaces: the fields after the last ')' are fixed.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text
    .slice(close + 2)
    .split(' ')
    .map((x) => Number(x));
  // f[0] is field 3 (state): ppid is field 4, utime…cstime fields 14–17.
  const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
  return {
    pid,
    comm,
    ppid: f[1] ?? 0,
    own: ms((f[11] ?? 0) + (f[12] ?? 0)),
    reaped: ms((f[13] ?? 0) + (f[14] ?? 0)),
    started: f[19] ?? 0,
  };
}

function allProcesses(): ProcStat[] {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
  return pids.map(procStat).filter((p): p is ProcStat => p !== null);
}

export interface TreeCpu {
  /** CPU ms of the process, its live descendants, and those of its children that exited. */
  ms: number;
  /** Node processes in the tree now (the primary and its workers; tsx's esbuild service is not one). */
  nodes: number;
  /** Every process of the tree, by pid and start time. */
  processes: { pid: number; started: number }[];
}

/** CPU of a server process and every process under it (cluster workers), in ms since each started. */
export function treeCpu(root: number): TreeCpu {
  const all = allProcesses();
  const children = new Map<number, ProcStat[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const rootStat = all.find((p) => p.pid === root);
  if (!rootStat) return { ms: 0, nodes: 0, processes: [] };
  const tree: ProcStat[] = [];
  const todo = [rootStat];
  for (let p = todo.pop(); p; p = todo.pop()) {
    tree.push(p);
    todo.push(...(children.get(p.pid) ?? []));
  }
  return {
    ms: tree.reduce((n, p) => n + p.own + p.reaped, 0),
    nodes: tree.filter((p) => p.comm === 'node' || p.comm.startsWith('node')).length,
    processes: tree.map((p) => ({ pid: p.pid, started: p.started })),
  };
}

/** Whether this very process (not a later one given the same pid) still runs. */
export function stillRunning(process: { pid: number; started: number }): boolean {
  return procStat(process.pid)?.started === process.started;
}

/**
 * The postmaster of the PostgreSQL server that `admin` is connected to, if it runs on this machine: the
 * parent of the connection's own backend. Null when PostgreSQL runs elsewhere.
 */
export async function postmasterPid(admin: pg.Client): Promise<number | null> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const backend = procStat(rows[0]?.pid ?? 0);
  if (backend?.comm !== 'postgres') return null;
  return procStat(backend.ppid)?.comm === 'postgres' ? backend.ppid : null;
}

/**
 * CPU of the PostgreSQL server, in ms: the postmaster and every process under it (backends, auxiliary
 * processes), plus the backends it has reaped (connections that closed). It is the whole server's:
 * other databases' work counts too.
 */
export function postgresCpuMs(postmaster: number | null): number | null {
  return postmaster === null ? null : treeCpu(postmaster).ms;
}

/** The fields of Redis's INFO reply. */
async function info(redis: Redis, section: string): Promise<Map<string, string>> {
  const text = await redis.info(section);
  return new Map(
    text
      .split(/\r?\n/)
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as [string, string]),
  );
}

/** Redis's own CPU (user + sys of the whole server, every client's work), in ms. */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const cpu = await info(redis, 'cpu');
  return (Number(cpu.get('used_cpu_user') ?? 0) + Number(cpu.get('used_cpu_sys') ?? 0)) * 1000;
}

/** Bytes Redis's allocator holds (used_memory), for every client's keys. */
export async function redisUsedMemory(redis: Redis): Promise<number> {
  return Number((await info(redis, 'memory')).get('used_memory') ?? 0);
}

/** A key that never expires, with what it is and holds: a fixed-size structure, or one that grows per request. */
export interface LastingKey {
  name: string;
  type: string;
  bytes: number | null;
}

/** The TTLs of a sample of keys. */
export interface KeyTtls {
  keys: number;
  /** The longest PTTL among those that expire, in minutes (null: none expires). */
  maxMin: number | null;
  /** Those that never expire (the suffix after the pattern's prefix, type, MEMORY USAGE). */
  lasting: LastingKey[];
}

/** How long keys matching `pattern` (`<prefix>*`) still live, over a sample of up to `sample` of them. */
export async function keyTtls(redis: Redis, pattern: string, sample = 50): Promise<KeyTtls> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...found);
    cursor = next;
  } while (cursor !== '0' && keys.length < sample);
  const picked = keys.slice(0, sample);
  const ttls = await Promise.all(picked.map((k) => redis.pttl(k)));
  const living = ttls.filter((t) => t >= 0);
  const lasting = await Promise.all(
    picked
      .filter((_, i) => ttls[i] === -1)
      .map(async (name) => ({
        name: name.slice(pattern.length - 1),
        type: await redis.type(name),
        bytes: ((await redis.call('MEMORY', 'USAGE', name)) as number | null) ?? null,
      })),
  );
  return { keys: picked.length, maxMin: living.length === 0 ? null : Math.max(...living) / 60_000, lasting };
}

/**
 * The keys under `prefix` that never expire, by name (the part after the prefix), with their MEMORY
 * USAGE: SKU counters, the in-flight index, fixed-size structures (a filter), and anything that grows
 * per request without a TTL. Their growth over a window tells a one-time allocation from per-deduct cost.
 */
export async function lastingKeys(redis: Redis, prefix: string): Promise<Map<string, number>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...found);
    cursor = next;
  } while (cursor !== '0');
  const ttls = await Promise.all(keys.map((k) => redis.pttl(k)));
  const lasting = keys.filter((_, i) => ttls[i] === -1);
  const bytes = await Promise.all(lasting.map(async (k) => ((await redis.call('MEMORY', 'USAGE', k)) as number | null) ?? 0));
  return new Map(lasting.map((k, i) => [k.slice(prefix.length), bytes[i] ?? 0]));
}

/**
 * Transactions PostgreSQL counted for one database (commits and rollbacks). Read through a connection
 * to another database, so the reading itself does not count. Backends report their counts at most once
 * a second while busy, and up to 10 s after they go idle: read FLUSH_SECONDS after the load for a
 * complete count.
 */
export async function pgTransactions(admin: pg.Client, database: string): Promise<number> {
  const { rows } = await admin.query<{ n: string | null }>(
    'SELECT sum(xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = $1',
    [database],
  );
  return Number(rows[0]?.n ?? 0);
}

/** PostgreSQL 15's PGSTAT_IDLE_INTERVAL (10 s) plus a margin: by then an idle backend has reported its counts. */
export const FLUSH_SECONDS = 11;
