import type { Plugin } from 'graphql-yoga';
import { refusedUnlessRead } from './read-only.ts';
import type { Logger } from 'pino';
import type { Readiness } from './ready.ts';

export const READY_PATH = '/ready';

export interface ReadinessPluginOptions {
  /** Whether this instance can serve now (src/observe/ready.ts's readiness()). */
  check: () => Promise<Readiness>;
  /** Where "not ready" and "degraded" answers are logged, at debug: a probe asks every few seconds. */
  log: Logger;
  /**
   * The path answered.
   *
   * @default '/ready'
   */
  endpoint?: string;
}

/**
 * GET /ready: 200 when this instance can serve ("ready", or "degraded" while it serves without Redis),
 * else 503 ("not ready"), with a JSON body naming what is not ready and what it is degraded by. Yoga's
 * own useReadinessCheck answers a bare status; a load balancer and an operator both want the body.
 */
export function useReadiness({ check, log, endpoint = READY_PATH }: ReadinessPluginOptions): Plugin {
  return {
    async onRequest(hook) {
      const { url, request, endResponse, fetchAPI } = hook;
      if (url.pathname !== endpoint || refusedUnlessRead(hook)) return;
      const state = await check();
      if (!state.ready || state.degraded) log.debug(state, state.ready ? 'degraded' : 'not ready');
      const status = !state.ready ? 'not ready' : state.degraded ? 'degraded' : 'ready';
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : JSON.stringify({ status, ...state }), {
          status: state.ready ? 200 : 503,
          headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        }),
      );
    },
  };
}
