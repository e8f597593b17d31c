import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { aggregateWorkerMetrics, shareWorkerMetrics } from '../observe/cluster-metrics.ts';
import type { DomainMetrics } from '../observe/metrics.ts';

/**
 * Several worker processes on one port (WEB_CONCURRENCY > 1, README "Configuration"): the primary
 * forks them with node:cluster, each runs the whole service (src/main.ts: buildApp, listen on PORT; the
 * primary holds the port and hands connections to the workers in turn), replaces one that dies, and on
 * SIGTERM or SIGINT shuts them all down gracefully. Not to be confused with the background workers of
 * one service (src/app/workers.ts), which every worker process runs.
 */

/** Delay before restarting a worker process that died: the first time. */
export const RESTART_BACKOFF_MIN_MS = 100;
/** Delay before restarting a worker process that died: at most, however often its slot crashed in a row. */
export const RESTART_BACKOFF_MAX_MS = 10_000;
/** A worker process that ran this long before dying is not crashing in a loop: its slot's backoff starts over. */
export const STABLE_UPTIME_MS = 30_000;
/**
 * How much longer than the shutdown bound the primary waits for worker processes before killing them
 * (SIGKILL): each exits on its own at the bound (src/main.ts), and this leaves it time to.
 */
export const STRAGGLER_GRACE_MS = 1_000;

export interface WorkerProcessesOptions {
  /** How many worker processes to keep running (WEB_CONCURRENCY; 1 runs no primary at all). */
  count: number;
  log: Logger;
  /**
   * The shutdown bound of one process (SHUTDOWN_TIMEOUT_MS, src/app/shutdown.ts): worker processes
   * left after it and STRAGGLER_GRACE_MS are killed, and the primary exits 1.
   */
  shutdownTimeoutMs: number;
  /** @default RESTART_BACKOFF_MIN_MS; doubled for each crash of the slot in a row */
  restartBackoffMinMs?: number;
  /** @default RESTART_BACKOFF_MAX_MS */
  restartBackoffMaxMs?: number;
  /** @default STABLE_UPTIME_MS */
  stableUptimeMs?: number;
}

/** Whether this process is a worker process forked by superviseWorkerProcesses. */
export const isWorkerProcess = (): boolean => cluster.isWorker;

/**
 * In a worker process, once its app is built: /metrics answers every worker process's metrics,
 * aggregated by the primary (src/observe/cluster-metrics.ts).
 */
export function joinWorkerProcesses(metrics: DomainMetrics): void {
  shareWorkerMetrics(metrics);
}

/**
 * In the primary, after the start-up checks that run once (migrations): forks `count` worker
 * processes and keeps them running until SIGTERM or SIGINT, which it forwards to each (each runs the
 * graceful shutdown of src/app/shutdown.ts). Resolves with the exit code once every one has exited: 0
 * if each exited 0, 1 otherwise (one cut off at the bound, or one that could not start).
 */
export function superviseWorkerProcesses(options: WorkerProcessesOptions): Promise<number> {
  aggregateWorkerMetrics();
  return new Promise((done) => {
    const supervisor = new Supervisor(options, done);
    process.on('SIGTERM', () => supervisor.stop('SIGTERM'));
    process.on('SIGINT', () => supervisor.stop('SIGINT'));
    supervisor.start();
  });
}

/** One of the `count` places a worker process runs in, across its restarts. */
interface Slot {
  index: number;
  worker: Worker | null;
  /** Whether the current worker process listens. */
  listening: boolean;
  /** Whether any worker process of this slot ever listened: one that never did cannot start at all. */
  everListened: boolean;
  startedAt: number;
  /** Crashes in a row, each after less than STABLE_UPTIME_MS: the exponent of the backoff. */
  crashes: number;
  restart: NodeJS.Timeout | null;
}

class Supervisor {
  private readonly slots: Slot[];
  private readonly backoffMinMs: number;
  private readonly backoffMaxMs: number;
  private readonly stableUptimeMs: number;
  /** The signal forwarded to the worker processes, from the shutdown's start on. */
  private stopping: NodeJS.Signals | null = null;
  private exitCode = 0;
  private announced = false;

  constructor(
    private readonly options: WorkerProcessesOptions,
    private readonly done: (exitCode: number) => void,
  ) {
    this.backoffMinMs = options.restartBackoffMinMs ?? RESTART_BACKOFF_MIN_MS;
    this.backoffMaxMs = options.restartBackoffMaxMs ?? RESTART_BACKOFF_MAX_MS;
    this.stableUptimeMs = options.stableUptimeMs ?? STABLE_UPTIME_MS;
    this.slots = Array.from({ length: options.count }, (_, index) => ({
      index,
      worker: null,
      listening: false,
      everListened: false,
      startedAt: 0,
      crashes: 0,
      restart: null,
    }));
  }

  start(): void {
    this.options.log.info({ workers: this.options.count }, 'starting worker processes');
    for (const slot of this.slots) this.fork(slot);
  }

  private fork(slot: Slot): void {
    const worker = cluster.fork();
    Object.assign(slot, { worker, listening: false, startedAt: performance.now() });
    worker.on('listening', (address: AddressInfo) => {
      slot.listening = true;
      slot.everListened = true;
      this.announceOnceAllListen(address.port);
    });
    worker.on('exit', (code: number | null, signal: NodeJS.Signals | null) => this.exited(slot, worker, code, signal));
  }

  private announceOnceAllListen(port: number): void {
    if (this.announced || !this.slots.every((s) => s.listening)) return;
    this.announced = true;
    const workerPids = this.slots.map((s) => s.worker?.process.pid);
    this.options.log.info({ port, workerPids }, `all ${this.slots.length} worker processes listening`);
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    const { log } = this.options;
    // Not `pid`: every line carries the primary's own (pino's base).
    const workerPid = worker.process.pid;
    const listened = slot.listening;
    Object.assign(slot, { worker: null, listening: false });
    if (this.stopping) {
      // Killed by the forwarded signal before it installed its handlers: it never served, a clean end.
      const clean = code === 0 || (!listened && signal === this.stopping);
      if (!clean) {
        this.exitCode = 1;
        log.warn({ workerPid, code, signal }, 'worker process ended its shutdown badly');
      }
      if (this.slots.every((s) => s.worker === null)) this.done(this.exitCode);
      return;
    }
    if (!slot.everListened) {
      // Not a crash to retry: this build, configuration or port cannot serve (today's single process exits too).
      log.error({ workerPid, code, signal }, 'a worker process exited before it ever listened; stopping');
      this.exitCode = 1;
      this.stop('SIGTERM');
      return;
    }
    if (performance.now() - slot.startedAt >= this.stableUptimeMs) slot.crashes = 0;
    const delayMs = Math.min(this.backoffMaxMs, this.backoffMinMs * 2 ** slot.crashes);
    slot.crashes++;
    log.error({ workerPid, code, signal, restartInMs: delayMs }, 'worker process died; starting another');
    slot.restart = setTimeout(() => {
      slot.restart = null;
      if (!this.stopping) this.fork(slot);
    }, delayMs);
  }

  /** Forwards one graceful shutdown to every worker process; kills those left after the bound. */
  stop(signal: NodeJS.Signals): void {
    if (this.stopping) return;
    this.stopping = signal;
    const { log, shutdownTimeoutMs } = this.options;
    for (const slot of this.slots) {
      if (slot.restart) clearTimeout(slot.restart);
      slot.restart = null;
    }
    const running = this.slots.flatMap((s) => (s.worker ? [s.worker] : []));
    log.info({ signal, workerPids: running.map((w) => w.process.pid), limitMs: shutdownTimeoutMs }, 'shutting down worker processes');
    if (running.length === 0) return this.done(this.exitCode);
    for (const worker of running) worker.process.kill(signal);
    setTimeout(() => {
      const left = this.slots.flatMap((s) => (s.worker ? [s.worker] : []));
      if (left.length === 0) return;
      log.error(
        { workerPids: left.map((w) => w.process.pid) },
        `worker processes still running ${shutdownTimeoutMs} ms into the shutdown; killing them`,
      );
      this.exitCode = 1;
      for (const worker of left) worker.process.kill('SIGKILL');
    }, shutdownTimeoutMs + STRAGGLER_GRACE_MS).unref();
  }
}
