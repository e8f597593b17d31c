import type { Plugin } from 'graphql-yoga';
import { refusedUnlessRead } from './read-only.ts';
import type { DomainMetrics } from './metrics.ts';

export const METRICS_PATH = '/metrics';

export interface MetricsEndpointPluginOptions {
  /** The registry exposed: the process's metrics, the domain's and Yoga's (src/observe/metrics.ts). */
  metrics: DomainMetrics;
  /**
   * The path answered. Not behind the API keys: expose it to the scraper only (README, "Observability").
   *
   * @default '/metrics'
   */
  endpoint?: string;
}

/**
 * GET /metrics: the Prometheus exposition, of this process or, with several worker processes, of them
 * all (src/observe/cluster-metrics.ts). When the worker processes' metrics cannot be gathered (the
 * primary or a worker did not answer in time): 503 saying why, rather than one worker's part, whose
 * counters would read as a reset.
 */
export function useMetricsEndpoint({ metrics, endpoint = METRICS_PATH }: MetricsEndpointPluginOptions): Plugin {
  return {
    async onRequest(hook) {
      const { url, request, endResponse, fetchAPI } = hook;
      if (url.pathname !== endpoint || refusedUnlessRead(hook)) return;
      let body: string;
      try {
        body = await metrics.exposition();
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : why, { status: 503, headers: { 'content-type': 'text/plain' } }),
        );
        return;
      }
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : body, { status: 200, headers: { 'content-type': metrics.contentType } }),
      );
    },
  };
}
