import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { killAtExit } from '../support/redis-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Start-up: tsx compiles on the fly, then migrations are checked; a loaded 2-CPU machine needs a while. */
const READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 100;
/** A graceful stop (SIGTERM) gets this long before SIGKILL. main.ts gives itself 10 s. */
const STOP_TIMEOUT_MS = 12_000;

/** One stockgate server process (`node --import tsx src/main.ts`), as production runs it. */
export class Instance {
  private proc: ChildProcess | null = null;
  /** Times this instance was started. */
  starts = 0;
  /** Exits nobody asked for (a crash), with the log's tail at the time. */
  readonly crashes: string[] = [];
  private expectingExit = false;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  get alive(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts the process and waits until it answers GraphQL; fails with the log's tail if it exits or hangs. */
  async start(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    try {
      this.proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: ROOT,
        env: { ...process.env, ...this.env, PORT: String(this.port) },
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    killAtExit(this.proc);
    this.starts++;
    this.expectingExit = false;
    const proc = this.proc;
    proc.once('exit', (code, signal) => {
      if (!this.expectingExit) this.crashes.push(`${this.name} exited by itself (${code ?? signal}):\n${this.logTail(20)}`);
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`${this.name} exited during start-up (${proc.exitCode ?? proc.signalCode}):\n${this.logTail()}`);
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ __typename }' }),
          signal: AbortSignal.timeout(2_000),
        });
        if (res.ok) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`${this.name} did not answer within ${READY_TIMEOUT_MS} ms:\n${this.logTail()}`);
      await sleep(READY_POLL_MS);
    }
  }

  /** kill -9: no shutdown, no draining of the ledger queue, in-flight requests cut off. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL', 5_000);
  }

  /** SIGTERM (graceful: drains the ledger queue), SIGKILL if that takes too long. */
  async stop(): Promise<void> {
    if (!(await this.signal('SIGTERM', STOP_TIMEOUT_MS))) await this.kill();
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Sends a signal and waits (bounded) for the exit; true when it exited. */
  private async signal(signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return true;
    const exited = new Promise<boolean>((resolve) => proc.once('exit', () => resolve(true)));
    this.expectingExit = true;
    proc.kill(signal);
    return Promise.race([exited, sleep(timeoutMs).then(() => false)]);
  }
}
