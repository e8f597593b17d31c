import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { DomainMetrics } from './metrics.ts';

/**
 * /metrics with several worker processes (src/app/processes.ts): a scrape lands on one worker, which
 * asks the primary; the primary asks every worker for its registries (prom-client's
 * AggregatorRegistry, over the cluster's IPC channels) and answers their aggregate: counters and
 * histograms summed, gauges by their `aggregator` (sum unless set: src/observe/metrics.ts).
 */

/** A worker asking the primary for every worker's metrics. */
const METRICS_REQUEST = 'stockgate:metrics-request';
/** The primary's answer: the aggregated exposition, or why there is none. */
const METRICS_RESPONSE = 'stockgate:metrics-response';

/**
 * How long a worker waits for the primary's answer. The primary gives up on a worker that does not
 * answer after prom-client's own 5 s; this leaves it time to say so, and stays under Prometheus's
 * default 10 s scrape timeout.
 */
export const CLUSTER_METRICS_TIMEOUT_MS = 6_000;

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}

interface MetricsResponse {
  type: typeof METRICS_RESPONSE;
  id: number;
  body?: string;
  error?: string;
}

const isMessage = <T extends { type: string }>(message: unknown, type: T['type']): message is T =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;

/**
 * In the primary: answers workers' requests for every worker's metrics. Call once, before forking.
 */
export function aggregateWorkerMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isMessage<MetricsRequest>(message, METRICS_REQUEST)) return;
    const answer = (response: Omit<MetricsResponse, 'type' | 'id'>) => {
      // A worker that died since it asked has nobody left to read the answer.
      if (worker.isConnected()) worker.send({ type: METRICS_RESPONSE, id: message.id, ...response } satisfies MetricsResponse);
    };
    aggregator.clusterMetrics().then(
      (body) => answer({ body }),
      (err: unknown) => answer({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/**
 * In a worker: lets the primary read this worker's registries, and makes `metrics.exposition()` ask
 * the primary for every worker's instead of answering this worker's alone.
 */
export function shareWorkerMetrics(metrics: DomainMetrics): void {
  AggregatorRegistry.setRegistries(metrics.registries());
  // Its constructor is what makes this worker answer the primary's requests for its registries.
  new AggregatorRegistry();
  metrics.exposeFrom(askPrimary());
}

/** A function that asks the primary for every worker's metrics, one request at a time per call. */
function askPrimary(): () => Promise<string> {
  const waiting = new Map<number, (response: Omit<MetricsResponse, 'type' | 'id'>) => void>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (isMessage<MetricsResponse>(message, METRICS_RESPONSE)) waiting.get(message.id)?.(message);
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const settle = ({ body, error }: Omit<MetricsResponse, 'type' | 'id'>) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (body !== undefined) resolve(body);
        else reject(new Error(`metrics of the worker processes: ${error ?? 'no answer'}`));
      };
      const timer = setTimeout(
        () => settle({ error: `no answer from the primary within ${CLUSTER_METRICS_TIMEOUT_MS} ms` }),
        CLUSTER_METRICS_TIMEOUT_MS,
      );
      waiting.set(id, settle);
      if (!process.send || !process.connected) return settle({ error: 'no channel to the primary' });
      process.send({ type: METRICS_REQUEST, id } satisfies MetricsRequest, undefined, undefined, (err: Error | null) => {
        if (err) settle({ error: err.message });
      });
    });
}
