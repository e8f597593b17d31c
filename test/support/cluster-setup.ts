/**
 * Global setup of the test project "Redis Cluster" (vitest.config.ts): one real 3-master, 3-replica
 * Redis Cluster for the suites that run on it as well as on one Redis; every app those suites serve
 * (test/support/stack.ts) takes it as REDIS_CLUSTER_NODES, the gate in its default 16 shards. Each run
 * has its own key prefix there, as on the shared Redis; the cluster goes with the run.
 */
import type { TestProject } from 'vitest/node';
import { OwnRedisCluster } from './redis-cluster.ts';

declare module 'vitest' {
  interface ProvidedContext {
    /** REDIS_CLUSTER_NODES of the project's cluster; absent in the project on one Redis. */
    redisClusterNodes?: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await OwnRedisCluster.start();
  project.provide('redisClusterNodes', cluster.nodes);
  return () => cluster.stop();
}
