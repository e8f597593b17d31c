import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { withoutPassword } from '../config.ts';
import { createPrisma, isDatabaseUnavailable, type PrismaClient } from './client.ts';

// Reads that may lag, served by PostgreSQL streaming replicas (seed 001's read/write split). Only reads
// that decide nothing come here (src/stock/reads.ts lists them); sufficiency, idempotency answers,
// refund bounds, reconciliation and counter loads read the primary, always.

/** How long a read of one's own writes waits for a replica to replay them before the primary answers it. */
export const READ_YOUR_WRITES_WAIT_MS = 50;
const READ_YOUR_WRITES_POLL_MS = 5;

export type ReplicaState = 'in rotation' | 'lagging' | 'unreachable' | 'unknown';

export interface ReplicaStatus {
  /** The replica's URL without its password. */
  replica: string;
  state: ReplicaState;
  /** How far behind the primary it was at the last check, ms; null while unreachable or not yet checked. */
  lagMs: number | null;
}

export interface ReplicaOptions {
  urls: string[];
  /** A replica further behind than this is out of rotation until it catches up (REPLICA_MAX_LAG_MS). */
  maxLagMs: number;
  /** How often each replica's lag is measured (REPLICA_CHECK_MS). */
  checkMs: number;
}

interface Replica {
  label: string;
  client: PrismaClient;
  state: ReplicaState;
  lagMs: number | null;
  /** The WAL position it had replayed at the last check. */
  replayed: bigint;
}

/** A pg_lsn ("16/B374D848") as a number of bytes. */
export function lsnBytes(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/**
 * The primary's WAL positions as the checks saw them, to date a replica's replay position: its lag is
 * how long ago the primary last stood where the replica stands now. Kept over the lag bound (the newest
 * position older than the bound, and every one since), one entry per position, each with the last
 * check that saw the primary there: at most one entry per check, so at most maxLagMs / checkMs + 2
 * (60,002 within the configuration's limits).
 */
export class PrimaryPositions {
  /** Oldest first: positions and times both ascend. */
  private readonly history: { at: number; lsn: bigint }[] = [];

  constructor(private readonly maxLagMs: number) {}

  /** The primary stood at `lsn` at `now` (ms of a monotonic clock: performance.now()). */
  remember(now: number, lsn: bigint): void {
    const newest = this.history.at(-1);
    assert(!newest || now >= newest.at, 'checks come in time order');
    // A primary behind the last one seen is another server (a replica promoted after a failover): the old
    // positions date nothing there.
    if (newest && lsn < newest.lsn) this.history.length = 0;
    // Still where it was: a replica there is not behind, so the position is dated by this check.
    if (newest?.lsn === lsn) newest.at = now;
    else this.history.push({ at: now, lsn });
    // One position older than the bound is enough: a replica behind the next one lags past the bound.
    while (this.history.length > 1 && this.history[1]!.at < now - this.maxLagMs) this.history.shift();
  }

  /**
   * How long ago (ms, at `now`) the primary last stood at or before `replayed`. Not dated when the
   * replica is behind every position kept: it is at least as old as the oldest, of unknown lag, and
   * out of rotation (a replica restored from an old backup must not serve reads in the first checks
   * after a start, when the history is short).
   */
  lag(replayed: bigint, now: number): { lagMs: number; dated: boolean } {
    assert(this.history.length > 0, 'the primary position is remembered before a replica is dated');
    let low = 0;
    let high = this.history.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.history[middle]!.lsn <= replayed) low = middle + 1;
      else high = middle;
    }
    const caughtUp = this.history[low - 1];
    return { lagMs: now - (caughtUp ?? this.history[0]!).at, dated: caughtUp !== undefined };
  }
}

/**
 * The replicas of DATABASE_REPLICA_URLS. A check every `checkMs` dates each replica's replay position
 * against the primary's WAL positions the checks saw (PrimaryPositions): its lag is how long ago the
 * primary was where the replica is now (so a replica paused, or cut off from the primary, lags more
 * with every check even while no write happens there). In rotation: reachable and lagging at most `maxLagMs`. Reads go round
 * the replicas in rotation, and to the primary when there is none or the one chosen fails.
 */
export class ReadReplicas {
  private readonly replicas: Replica[];
  private readonly primaryPositions: PrimaryPositions;
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private next = 0;

  constructor(
    private readonly primary: PrismaClient,
    private readonly options: ReplicaOptions,
    private readonly log: Logger,
    connectTo: (url: string) => PrismaClient = createPrisma,
  ) {
    this.primaryPositions = new PrimaryPositions(options.maxLagMs);
    this.replicas = options.urls.map((url) => ({
      label: withoutPassword(url),
      client: connectTo(url),
      state: 'unknown',
      lagMs: null,
      replayed: 0n,
    }));
  }

  /** Checks now, then every checkMs. */
  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.options.checkMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
    await Promise.all(this.replicas.map((r) => r.client.$disconnect()));
  }

  status(): ReplicaStatus[] {
    return this.replicas.map((r) => ({ replica: r.label, state: r.state, lagMs: r.lagMs }));
  }

  /** One round of measuring: the primary's position, then each replica's (concurrent rounds share one). */
  check(): Promise<void> {
    this.checking ??= this.measure().finally(() => (this.checking = null));
    return this.checking;
  }

  private async measure(): Promise<void> {
    let primaryAt: bigint;
    try {
      primaryAt = lsnBytes(await this.position(this.primary, 'pg_current_wal_lsn()'));
    } catch (err) {
      this.log.warn({ err }, 'could not read the primary WAL position; replicas keep their state');
      return;
    }
    // A monotonic clock: a lag is a duration, and the wall clock may step back.
    const now = performance.now();
    this.primaryPositions.remember(now, primaryAt);
    await Promise.all(this.replicas.map((replica) => this.measureOne(replica, now)));
  }

  private async measureOne(replica: Replica, now: number): Promise<void> {
    const was = replica.state;
    try {
      replica.replayed = lsnBytes(await this.position(replica.client, 'pg_last_wal_replay_lsn()'));
      const { lagMs, dated } = this.primaryPositions.lag(replica.replayed, now);
      // Rounded up: a replica out of rotation for its lag never shows a lag at or below the bound.
      replica.lagMs = Math.ceil(lagMs);
      replica.state = dated && lagMs <= this.options.maxLagMs ? 'in rotation' : 'lagging';
    } catch (err) {
      replica.lagMs = null;
      replica.state = 'unreachable';
      if (was !== 'unreachable') this.log.warn({ err, replica: replica.label }, 'read replica unreachable; out of rotation');
    }
    if (was !== replica.state && replica.state !== 'unreachable')
      this.log.info({ replica: replica.label, lagMs: replica.lagMs }, `read replica ${replica.state}`);
  }

  private async position(db: PrismaClient, expression: string): Promise<string> {
    const [row] = await db.$queryRawUnsafe<{ lsn: string | null }[]>(`SELECT ${expression}::text AS lsn`);
    if (!row?.lsn) throw new Error(`${expression} is null: not a streaming replica`);
    return row.lsn;
  }

  /**
   * A read that may lag by up to maxLagMs: on a replica in rotation (round robin), else on the primary.
   * A replica that fails it is taken out of rotation and the primary answers, so a replica going away
   * costs no request an error.
   */
  async stale<T>(read: (db: PrismaClient) => Promise<T>): Promise<T> {
    const replica = this.pick(() => true);
    return replica ? this.onReplica(replica, read) : read(this.primary);
  }

  /**
   * A read that must see every write committed before it (a client reading the order it just
   * deducted): on a replica in rotation that has replayed the primary's current WAL position (waiting
   * up to READ_YOUR_WRITES_WAIT_MS for one), else on the primary.
   */
  async fresh<T>(read: (db: PrismaClient) => Promise<T>): Promise<T> {
    if (!this.replicas.some((r) => r.state === 'in rotation')) return read(this.primary);
    const target = lsnBytes(await this.position(this.primary, 'pg_current_wal_lsn()'));
    const deadline = Date.now() + READ_YOUR_WRITES_WAIT_MS;
    for (;;) {
      const caughtUp = this.pick((r) => r.replayed >= target);
      if (caughtUp) return this.onReplica(caughtUp, read);
      const candidate = this.pick(() => true);
      if (!candidate || Date.now() > deadline) return read(this.primary);
      try {
        candidate.replayed = lsnBytes(await this.position(candidate.client, 'pg_last_wal_replay_lsn()'));
        if (candidate.replayed >= target) return await this.onReplica(candidate, read);
      } catch (err) {
        this.takeOut(candidate, err);
      }
      await new Promise((resolve) => setTimeout(resolve, READ_YOUR_WRITES_POLL_MS));
    }
  }

  private pick(ok: (replica: Replica) => boolean): Replica | null {
    const candidates = this.replicas.filter((r) => r.state === 'in rotation' && ok(r));
    if (candidates.length === 0) return null;
    this.next = (this.next + 1) % candidates.length;
    return candidates[this.next]!;
  }

  /**
   * A read on a replica; whatever fails there is read again on the primary, so a replica costs no request
   * an error (one unreachable is out of rotation at once; another failure, a replica still on an older
   * schema during a deploy, say, is logged and left to the checks).
   */
  private async onReplica<T>(replica: Replica, read: (db: PrismaClient) => Promise<T>): Promise<T> {
    try {
      return await read(replica.client);
    } catch (err) {
      if (isDatabaseUnavailable(err)) this.takeOut(replica, err);
      else this.log.warn({ err, replica: replica.label }, 'a read failed on a replica; read on the primary');
      return read(this.primary);
    }
  }

  private takeOut(replica: Replica, err: unknown): void {
    if (replica.state !== 'unreachable') this.log.warn({ err, replica: replica.label }, 'read replica failed a read; out of rotation');
    replica.state = 'unreachable';
    replica.lagMs = null;
  }
}
