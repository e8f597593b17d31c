import type { Plugin } from 'graphql-yoga';
import { refusal } from '../errors.ts';

/** What a client waits before retrying during a shutdown: about the time another instance takes over. */
const SHUTDOWN_RETRY_AFTER_SECONDS = 1;

export interface DrainPluginOptions {
  /** Whether the server is shutting down (Shutdown.draining, src/app/shutdown.ts). */
  draining: () => boolean;
  /** The path refused while draining: GraphQL's. /ready and /metrics still answer. */
  endpoint: string;
  /**
   * The Retry-After of a refusal, in seconds.
   *
   * @default 1 (SHUTDOWN_RETRY_AFTER_SECONDS)
   */
  retryAfterSeconds?: number;
}

/**
 * While the server shuts down, GraphQL requests that still arrive (on kept-alive connections) are
 * refused as retryable (503 TEMPORARILY_UNAVAILABLE, nothing done), the ones already running finish,
 * and every response closes its connection, so the client's next request finds the port closed and
 * goes to another instance.
 */
export function useDrain({ draining, endpoint, retryAfterSeconds = SHUTDOWN_RETRY_AFTER_SECONDS }: DrainPluginOptions): Plugin {
  return {
    onResponse({ response }) {
      if (draining()) response.headers.set('connection', 'close');
    },
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== endpoint || !draining()) return;
      endResponse(
        refusal(fetchAPI.Response, {
          status: 503,
          code: 'TEMPORARILY_UNAVAILABLE',
          message: 'this server is shutting down; nothing was done: retry (with the same idempotency key)',
          headers: { 'retry-after': String(retryAfterSeconds), connection: 'close' },
        }),
      );
    },
  };
}
