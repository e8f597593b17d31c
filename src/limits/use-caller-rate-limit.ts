import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { refusal } from '../errors.ts';
import { GateDown } from '../gate/breaker.ts';
import type { Gate } from '../gate/gate.ts';
import type { DomainMetrics } from '../observe/metrics.ts';

/** The per-caller rate limit counts requests per this period (RATE_LIMIT_PER_MINUTE). */
export const RATE_LIMIT_PERIOD_MS = 60_000;

export interface CallerRateLimitPluginOptions {
  /** Where the shared schedule lives: one Redis key per caller (lua/rate-1.lua). */
  gate: Pick<Gate, 'admitCaller'>;
  /** Requests a caller may send a minute (RATE_LIMIT_PER_MINUTE): that many at once, then one every 60 s / perMinute. */
  perMinute: number;
  /** The only path counted: GraphQL's, exactly (every other spelling is refused before: use-served-paths.ts). */
  endpoint: string;
  /** Counts refusals (stockgate_rate_limited_total). */
  metrics: Pick<DomainMetrics, 'rateLimit'>;
  log: Logger;
  /** The configured key's name for a request, or null: no valid key, or the service runs open. */
  keyOf: (request: Request) => string | null;
}

/** The Node request under a Yoga request, when served by node:http (main.ts, tests). */
function nodeRequest(serverContext: unknown): IncomingMessage | undefined {
  return (serverContext as { req?: IncomingMessage } | undefined)?.req;
}

/**
 * The per-caller request rate limit, shared by every instance through Redis. A caller is the API key it
 * was identified by, else its address: the socket's peer, as a proxy's X-Forwarded-For is only as
 * trustworthy as the proxy. Unidentified requests count by address, so a client cannot earn a fresh
 * allowance by inventing tokens. Over the limit: 429 RATE_LIMITED with Retry-After. With Redis away it
 * lets requests through: the limit guards against abuse, and refusing everyone would be the outage.
 */
export function useCallerRateLimit(options: CallerRateLimitPluginOptions): Plugin {
  const { gate, perMinute, endpoint, metrics, log, keyOf } = options;
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      const key = keyOf(request);
      const caller = key !== null ? `key:${key}` : `addr:${nodeRequest(serverContext)?.socket.remoteAddress ?? 'unknown'}`;
      let waitMs: number;
      try {
        waitMs = await gate.admitCaller(caller, perMinute, RATE_LIMIT_PERIOD_MS);
      } catch (err) {
        if (!(err instanceof GateDown)) log.warn({ err }, 'rate limit not checked');
        return;
      }
      if (waitMs <= 0) return;
      metrics.rateLimit();
      endResponse(
        refusal(fetchAPI.Response, {
          status: 429,
          code: 'RATE_LIMITED',
          message: `more than ${perMinute} requests a minute from this caller; retry in ${waitMs} ms`,
          headers: { 'retry-after': String(Math.ceil(waitMs / 1000)) },
          details: { retryAfterMs: waitMs },
        }),
      );
    },
  };
}
