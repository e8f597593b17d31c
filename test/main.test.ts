import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabase } from '../src/db/migrate.ts';
import { freePort } from './support/redis-server.ts';

/** Start-up must fail fast; this bounds a test that would otherwise hang on a regression. */
const START_LIMIT_MS = 30_000;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runMain(env: Record<string, string>, until?: (stdout: string) => boolean): Promise<Exit & { stop(): Promise<unknown[]> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const limit = setTimeout(() => child.kill('SIGKILL'), START_LIMIT_MS);
  return new Promise((resolve) => {
    const exited = once(child, 'exit');
    const stop = () => {
      child.kill('SIGTERM');
      return exited;
    };
    child.stdout.on('data', () => {
      if (until?.(stdout)) resolve({ code: null, stdout, stderr, stop });
    });
    child.on('exit', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr, stop });
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
    ['PostgreSQL', { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/stockgate' }, 'postgresql://postgres@127.0.0.1:1/stockgate', 'pg_ctlcluster'],
  ])('exits with one clear line when %s is unreachable', async (service, env, url, hint) => {
    const run = await runMain({ PORT: '0', ...env });
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot reach ${service} at ${url}`);
    expect(lines[0]).toContain(hint);
  });

  it('refuses a bad setting with one line naming it', async () => {
    const run = await runMain({ PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining('PORT')]);
  });
});
