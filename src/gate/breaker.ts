import CircuitBreaker from 'opossum';

/** Thrown instead of waiting on a Redis that is known to be away: callers fall back to PostgreSQL. */
export class GateDown extends Error {
  constructor(cause: unknown) {
    super('the Redis gate is unreachable', { cause });
  }
}

/**
 * Errors that say Redis is unreachable or not answering, as opposed to a script's own error reply.
 * ioredis: connection refused/reset, a closed or unwritable stream (no offline queue), command timeouts.
 */
export function isRedisDown(err: unknown): boolean {
  if (err instanceof GateDown) return true;
  if (!(err instanceof Error)) return false;
  // A reply is a script's or a command's own error (a bug), except those that say the server cannot serve
  // now: a cluster without a master for a slot, a slot moving, a server loading its data, a demoted
  // master refusing writes (a failover under way).
  if (err.name === 'ReplyError') return /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK|LOADING|READONLY|MASTERDOWN)\b/.test(err.message);
  const code = (err as { code?: string }).code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    err.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|Stream isn't writeable|Command timed out|connect ECONNREFUSED|Reached the max retries|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available|Cluster isn't ready/i.test(
      err.message,
    )
  );
}

/** Failures in the rolling window that open the circuit: a few, so one dropped packet does not. */
const VOLUME_THRESHOLD = 5;
/** Share of failing calls that opens it. */
const ERROR_THRESHOLD_PERCENT = 50;
/** How long an open circuit sends everything to PostgreSQL before one call tries Redis again. */
const RESET_TIMEOUT_MS = 1_000;
/** The window failures are counted over. */
const ROLLING_WINDOW_MS = 5_000;

/**
 * Keeps a dead Redis from adding its timeout to every request (seed 003's fallback): after a few
 * connection failures, calls fail at once with GateDown for RESET_TIMEOUT_MS, then one call probes.
 * Script errors and domain outcomes never count.
 */
export class GateBreaker {
  private readonly breaker = new CircuitBreaker((op: () => Promise<unknown>) => op(), {
    timeout: false,
    volumeThreshold: VOLUME_THRESHOLD,
    errorThresholdPercentage: ERROR_THRESHOLD_PERCENT,
    resetTimeout: RESET_TIMEOUT_MS,
    rollingCountTimeout: ROLLING_WINDOW_MS,
    errorFilter: (err: unknown) => !isRedisDown(err),
  });

  get open(): boolean {
    return this.breaker.opened;
  }

  /** Open, or half-open (one call probing Redis while the rest still go to PostgreSQL): fallback mode. */
  get fallingBack(): boolean {
    return !this.breaker.closed;
  }

  async call<T>(op: () => Promise<T>): Promise<T> {
    try {
      return (await this.breaker.fire(op)) as T;
    } catch (err) {
      if (CircuitBreaker.isOurError(err as Error) || isRedisDown(err)) throw new GateDown(err);
      throw err;
    }
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}
