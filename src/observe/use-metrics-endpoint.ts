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

/** GET /metrics: the Prometheus exposition. */
export function useMetricsEndpoint({ metrics, endpoint = METRICS_PATH }: MetricsEndpointPluginOptions): Plugin {
  return {
    async onRequest(hook) {
      const { url, request, endResponse, fetchAPI } = hook;
      if (url.pathname !== endpoint || refusedUnlessRead(hook)) return;
      const body = await metrics.exposition();
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : body, { status: 200, headers: { 'content-type': metrics.contentType } }),
      );
    },
  };
}
