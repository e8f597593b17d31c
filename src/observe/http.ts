import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Gate } from '../gate/gate.ts';
import { GateDown } from '../gate/breaker.ts';
import { requestScope } from './log.ts';
import type { DomainMetrics } from './metrics.ts';
import { readiness, type Readiness } from './ready.ts';

export const REQUEST_ID_HEADER = 'x-request-id';
/**
 * A client's request id is kept when it looks like one (a UUID, a trace id): bounded printable ASCII
 * without spaces, so it cannot forge log lines or bloat them. Anything else gets a fresh one.
 */
const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
export const READY_PATH = '/ready';
export const METRICS_PATH = '/metrics';
/** The per-caller rate limit counts requests per this period (RATE_LIMIT_PER_MINUTE). */
export const RATE_LIMIT_PERIOD_MS = 60_000;
/** What a client waits before retrying during a shutdown: about the time another instance takes over. */
const SHUTDOWN_RETRY_AFTER_SECONDS = 1;

/** The Node request under a Yoga request, when served by node:http (main.ts, tests). */
function nodeRequest(serverContext: unknown): IncomingMessage | undefined {
  return (serverContext as { req?: IncomingMessage } | undefined)?.req;
}

type FetchResponse = typeof Response;

/** A refusal before GraphQL runs, shaped as a GraphQL response so clients match on its code like on any other. */
export function graphqlError(
  R: FetchResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string>,
  extensions: Record<string, unknown> = {},
): Response {
  return new R(JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/**
 * Gives every HTTP request an id (the client's x-request-id, or a fresh UUID), echoes it in the
 * response, runs the request inside it (so every log line carries it: src/observe/log.ts), and logs
 * one line when the response goes: debug normally, warn for 5xx.
 */
export function requestIds(log: Logger): Plugin {
  const ids = new WeakMap<Request, { id: string; start: number }>();
  return {
    instrumentation: {
      request({ request }, wrapped) {
        const given = request.headers.get(REQUEST_ID_HEADER);
        const id = given && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
        ids.set(request, { id, start: performance.now() });
        return requestScope.run(id, wrapped);
      },
    },
    onResponse({ request, response }) {
      const seen = ids.get(request);
      if (!seen) return;
      response.headers.set(REQUEST_ID_HEADER, seen.id);
      const url = new URL(request.url);
      log[response.status >= 500 ? 'warn' : 'debug'](
        {
          requestId: seen.id,
          method: request.method,
          path: url.pathname,
          status: response.status,
          ms: Math.round(performance.now() - seen.start),
        },
        'request',
      );
    },
  };
}

/**
 * The per-caller request rate limit, shared by every instance through Redis (lua/rate-1.lua). A caller
 * is the API key it was identified by, else its address: the socket's peer, as a proxy's
 * X-Forwarded-For is only as trustworthy as the proxy. Unidentified requests count by address, so a
 * client cannot earn a fresh allowance by inventing tokens. With Redis away it lets
 * requests through: the limit guards against abuse, and refusing everyone would be the outage.
 */
export function callerRateLimit(opts: {
  gate: Gate;
  perMinute: number;
  endpoint: string;
  metrics: DomainMetrics;
  log: Logger;
  /** The configured key's name for a request, or null. */
  keyOf: (request: Request) => string | null;
}): Plugin {
  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      if (url.pathname !== opts.endpoint) return;
      const key = opts.keyOf(request);
      const caller = key !== null ? `key:${key}` : `addr:${nodeRequest(serverContext)?.socket.remoteAddress ?? 'unknown'}`;
      let waitMs: number;
      try {
        waitMs = await opts.gate.admitCaller(caller, opts.perMinute, RATE_LIMIT_PERIOD_MS);
      } catch (err) {
        if (!(err instanceof GateDown)) opts.log.warn({ err }, 'rate limit not checked');
        return;
      }
      if (waitMs <= 0) return;
      opts.metrics.rateLimit();
      endResponse(
        graphqlError(
          fetchAPI.Response,
          429,
          'RATE_LIMITED',
          `more than ${opts.perMinute} requests a minute from this caller; retry in ${waitMs} ms`,
          { 'retry-after': String(Math.ceil(waitMs / 1000)) },
          { retryable: true, retryAfterMs: waitMs },
        ),
      );
    },
  };
}

/**
 * While the server shuts down, GraphQL requests that still arrive (on kept-alive connections) are
 * refused as retryable, the ones already running finish, and every response closes its connection,
 * so the client's next request finds the port closed and goes to another instance.
 */
export function refuseWhileDraining(opts: { draining: () => boolean; endpoint: string }): Plugin {
  return {
    onResponse({ response }) {
      if (opts.draining()) response.headers.set('connection', 'close');
    },
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== opts.endpoint || !opts.draining()) return;
      endResponse(
        graphqlError(
          fetchAPI.Response,
          503,
          'TEMPORARILY_UNAVAILABLE',
          'this server is shutting down; nothing was done: retry (with the same idempotency key)',
          { 'retry-after': String(SHUTDOWN_RETRY_AFTER_SECONDS), connection: 'close' },
          { retryable: true },
        ),
      );
    },
  };
}

/**
 * GET /ready: 200 when this instance can serve ("ready", or "degraded" while it serves without Redis),
 * else 503 ("not ready"), with a JSON body naming what is not ready and what it is degraded by.
 */
export function readyEndpoint(check: () => Promise<Readiness>, log: Logger): Plugin {
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== READY_PATH) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      const state = await check();
      if (!state.ready || state.degraded) log.debug(state, state.ready ? 'degraded' : 'not ready');
      const status = !state.ready ? 'not ready' : state.degraded ? 'degraded' : 'ready';
      endResponse(
        new fetchAPI.Response(
          request.method === 'HEAD' ? null : JSON.stringify({ status, ...state }),
          {
            status: state.ready ? 200 : 503,
            headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
          },
        ),
      );
    },
  };
}

/** GET /metrics: the Prometheus exposition (src/observe/metrics.ts). */
export function metricsEndpoint(metrics: DomainMetrics): Plugin {
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== METRICS_PATH) return;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      const body = await metrics.exposition();
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : body, { status: 200, headers: { 'content-type': metrics.contentType } }),
      );
    },
  };
}

export { readiness };
