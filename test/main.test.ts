import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../src/db/migrate.ts';
import { freePort } from './support/redis-server.ts';
import { spawnMain, START_LIMIT_MS } from './support/server-process.ts';

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm start` until it exits or its stdout satisfies `until` (start-up must fail fast: killed after START_LIMIT_MS). */
function runMain(env: Record<string, string>, until?: (stdout: string) => boolean): Promise<Exit & { stop(): Promise<unknown[]> }> {
  const main = spawnMain(env);
  const { child } = main;
  const limit = setTimeout(() => child.kill('SIGKILL'), START_LIMIT_MS);
  return new Promise((resolve) => {
    const stop = () => {
      child.kill('SIGTERM');
      return main.exited;
    };
    child.stdout.on('data', () => {
      if (until?.(main.stdout)) resolve({ code: null, stdout: main.stdout, stderr: main.stderr, stop });
    });
    child.on('exit', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout: main.stdout, stderr: main.stderr, stop });
    });
  });
}

const databases: string[] = [];
afterAll(async () => {
  for (const url of databases) await dropDatabase(url);
});

describe('npm start', () => {
  it('creates the database, applies migrations and serves GraphQL with GraphiQL', async () => {
    const port = await freePort();
    const databaseUrl = `postgresql://postgres@127.0.0.1:5432/stockgate_test_main_${randomBytes(4).toString('hex')}`;
    databases.push(databaseUrl);
    const prefix = `sgtest:main:${randomBytes(4).toString('hex')}:`;
    const run = await runMain({ PORT: String(port), DATABASE_URL: databaseUrl, REDIS_PREFIX: prefix }, (out) => out.includes('listening'));
    try {
      expect(run.stdout).toContain(`http://localhost:${port}/graphql`);
      const page = await fetch(`http://127.0.0.1:${port}/graphql`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('GraphiQL');
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ sku(id: "none") { id } }' }),
      });
      expect(await res.json()).toEqual({ data: { sku: null } });
    } finally {
      const [code] = await run.stop();
      expect(code).toBe(0);
    }
  });

  it.each([
    ['Redis', { REDIS_URL: 'redis://127.0.0.1:1' }, 'redis://127.0.0.1:1', 'redis-server'],
    [
      'Redis',
      { REDIS_SENTINELS: '127.0.0.1:1,127.0.0.1:2', REDIS_SENTINEL_NAME: 'shop' },
      'master "shop" of Sentinels 127.0.0.1:1,127.0.0.1:2',
      'redis-server',
    ],
    ['Redis', { REDIS_CLUSTER_NODES: '127.0.0.1:1' }, 'Redis Cluster nodes 127.0.0.1:1', 'redis-server'],
    [
      'PostgreSQL',
      { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/stockgate' },
      'postgresql://postgres@127.0.0.1:1/stockgate',
      'pg_ctlcluster',
    ],
  ])('exits with one clear line when %s is unreachable', async (service, env, url, hint) => {
    const run = await runMain({ PORT: '0', ...env });
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot reach ${service} at ${url}`);
    expect(lines[0]).toContain(hint);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ REDIS_SENTINELS: '127.0.0.1:26379' }, 'REDIS_SENTINEL_NAME: REDIS_SENTINELS and REDIS_SENTINEL_NAME go together'],
    [{ REDIS_SENTINEL_NAME: 'shop' }, 'REDIS_SENTINELS: REDIS_SENTINELS and REDIS_SENTINEL_NAME go together'],
    [{ REDIS_SENTINELS: '127.0.0.1:26379,sentinel-b', REDIS_SENTINEL_NAME: 'shop' }, 'REDIS_SENTINELS: entry 2 is not host:port'],
    [
      { REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'shop' },
      'REDIS_CLUSTER_NODES: a Redis Cluster or Sentinel, not both',
    ],
  ])('refuses a bad setting with one line naming it: %j', async (env, named) => {
    const run = await runMain(env);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(named)]);
  });
});
