/**
 * The service's PostgreSQL sessions run in UTC whatever the database's default TimeZone: the driver
 * adapter sends a Date without its zone and reads a timestamptz back ignoring its offset, so a session
 * in any other zone reads and writes times hours off (src/db/client.ts).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerPool, createPrisma } from '../src/db/client.ts';
import { sql } from './support/ledger.ts';

const PG_BASE = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const database = `stockgate_test_tz_${randomBytes(4).toString('hex')}`;
const databaseUrl = `${PG_BASE}/${database}`;
/** Far more than a query takes, far less than the hours a zone would be off. */
const CLOCK_SLACK_MS = 60_000;

beforeAll(async () => {
  await sql(`${PG_BASE}/postgres`, `CREATE DATABASE ${database}`);
  await sql(`${PG_BASE}/postgres`, `ALTER DATABASE ${database} SET TimeZone TO 'America/New_York'`);
  await sql(`${PG_BASE}/postgres`, `ALTER DATABASE ${database} SET jit TO on`);
});
afterAll(async () => {
  await sql(`${PG_BASE}/postgres`, `DROP DATABASE IF EXISTS ${database}`);
});

describe('a database whose default TimeZone is New York', () => {
  it('a plain session there is in New York, with JIT on (so the tests below can fail)', async () => {
    expect(await sql(databaseUrl, `SELECT current_setting('TimeZone') AS tz, current_setting('jit') AS jit`)).toEqual([
      { tz: 'America/New_York', jit: 'on' },
    ]);
  });

  it('Prisma sessions are in UTC: a Date goes in and comes back as the same instant', async () => {
    const prisma = createPrisma(databaseUrl);
    try {
      const sent = new Date();
      const [row] = await prisma.$queryRawUnsafe<{ tz: string; now: Date; echoed: string }[]>(
        `SELECT current_setting('TimeZone') AS tz, now() AS now, ($1::timestamptz AT TIME ZONE 'UTC')::text AS echoed`,
        sent,
      );
      expect(row!.tz).toBe('UTC');
      expect(Math.abs(row!.now.getTime() - Date.now())).toBeLessThan(CLOCK_SLACK_MS);
      expect(new Date(`${row!.echoed}Z`).getTime()).toBe(sent.getTime());
    } finally {
      await prisma.$disconnect();
    }
  });

  it('the group commit pool is in UTC too; neither compiles statements (JIT off)', async () => {
    const pool = createLedgerPool(databaseUrl);
    const prisma = createPrisma(databaseUrl);
    try {
      const { rows } = await pool.query<{ tz: string; jit: string }>(
        `SELECT current_setting('TimeZone') AS tz, current_setting('jit') AS jit`,
      );
      expect(rows).toEqual([{ tz: 'UTC', jit: 'off' }]);
      expect(await prisma.$queryRawUnsafe(`SELECT current_setting('jit') AS jit`)).toEqual([{ jit: 'off' }]);
    } finally {
      await pool.end();
      await prisma.$disconnect();
    }
  });
});
