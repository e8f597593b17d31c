/**
 * Issue 11, item 7: /ready means "send me traffic". While Redis is down the service still sells through
 * PostgreSQL, so /ready stays 200 and says it is degraded (body and the stockgate_degraded gauge); it
 * is 503 when PostgreSQL is unreachable. A test-owned redis-server is killed and restarted; the
 * PostgreSQL that is unreachable is an address nothing listens on.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from './support/redis-server.ts';
import { serve, useStack, type Running } from './support/stack.ts';
import { eventually } from './support/wait.ts';

const stack = useStack({ ownRedis: true });

const at = (app: Running, path: string) => fetch(new URL(path, app.url));

async function ready(app: Running): Promise<{ status: number; body: any }> {
  const res = await at(app, '/ready');
  return { status: res.status, body: await res.json() };
}

/** The value of one unlabelled sample in a /metrics scrape. */
async function gauge(app: Running, name: string): Promise<number> {
  const text = await (await at(app, '/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no sample ${name}`);
  return Number(line.slice(name.length + 1));
}

describe('/ready while Redis is down', () => {
  it('stays 200 and says degraded (body and stockgate_degraded), sells through PostgreSQL, and is ready again once Redis is back', async () => {
    const { svc, api, redis } = stack;
    expect(await ready(svc)).toEqual({
      status: 200,
      body: { status: 'ready', ready: true, checks: { postgres: 'ok', redis: 'ok', migrations: 'ok' }, notReady: [] },
    });
    expect(await gauge(svc, 'stockgate_degraded')).toBe(0);
    await api.upsert([{ id: 'r-a', available: 100 }]);

    await redis.kill();
    try {
      await eventually('/ready says degraded', async () => (await ready(svc)).body.status === 'degraded');
      expect(await ready(svc)).toEqual({
        status: 200,
        body: {
          status: 'degraded',
          ready: true,
          checks: { postgres: 'ok', redis: 'unreachable', migrations: 'ok' },
          notReady: [],
          degraded: ['redis'],
        },
      });
      expect(await gauge(svc, 'stockgate_degraded')).toBe(1);
      // What makes it ready: sales go on, through PostgreSQL alone.
      const sold = await api.deductOne('while-down', 'r-a');
      expect(sold.data?.deductStock.__typename).toBe('DeductStockSuccess');
      // HEAD answers the same status, without a body.
      const head = await fetch(new URL('/ready', svc.url), { method: 'HEAD' });
      expect(head.status).toBe(200);
    } finally {
      await redis.restart();
    }
    await eventually('/ready says ready again', async () => (await ready(svc)).body.status === 'ready');
    expect(await gauge(svc, 'stockgate_degraded')).toBe(0);
  });
});

describe('/ready while PostgreSQL is unreachable', () => {
  it('answers 503 naming PostgreSQL: without the truth nothing can be sold', async () => {
    const nowhere = `postgresql://postgres@127.0.0.1:${await freePort()}/stockgate_test_nowhere`;
    const cut = await serve({ ...stack.ns, databaseUrl: nowhere, prefix: `${stack.ns.prefix}nopg:` });
    try {
      const { status, body } = await ready(cut);
      expect(status).toBe(503);
      expect(body).toEqual({
        status: 'not ready',
        ready: false,
        checks: { postgres: 'unreachable', redis: 'ok', migrations: 'unknown' },
        notReady: ['postgres'],
      });
      expect(await gauge(cut, 'stockgate_degraded')).toBe(0);
    } finally {
      await cut.stop();
    }
  });
});
