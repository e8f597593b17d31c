import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, deployMigrations, dropDatabase } from '../src/db/migrate.ts';

/** The machine's shared server; this file only ever touches the databases it names below. */
const PG_BASE = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const RUN_ID = `${process.pid}_${randomBytes(4).toString('hex')}`;
const SEQUENTIAL_URL = `${PG_BASE}/stockgate_migrate_test_${RUN_ID}`;
const RACED_URL = `${PG_BASE}/stockgate_migrate_race_${RUN_ID}`;

const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations/', import.meta.url));
const COMMITTED = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function recorded(url: string) {
  return query<{ migration_name: string; checksum: string; finished: boolean }>(
    url,
    `SELECT migration_name, checksum, finished_at IS NOT NULL AND rolled_back_at IS NULL AS finished
       FROM _prisma_migrations ORDER BY migration_name`,
  );
}

describe('deployMigrations', () => {
  afterAll(async () => {
    await dropDatabase(SEQUENTIAL_URL);
    await dropDatabase(RACED_URL);
  });

  it('creates the database and applies every committed migration, recorded as Prisma does', async () => {
    expect(COMMITTED.length).toBeGreaterThan(0);
    expect(await deployMigrations(SEQUENTIAL_URL)).toEqual({ applied: COMMITTED });

    const tables = await query<{ table_name: string }>(
      SEQUENTIAL_URL,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['_prisma_migrations', 'sku', 'movement', 'gate_request', 'reservation', 'operation', 'gate_outbox']),
    );
    expect(await recorded(SEQUENTIAL_URL)).toEqual(
      COMMITTED.map((name) => ({
        migration_name: name,
        checksum: createHash('sha256')
          .update(readFileSync(`${MIGRATIONS_DIR}${name}/migration.sql`))
          .digest('hex'),
        finished: true,
      })),
    );
  });

  it('does nothing when no migration is pending', async () => {
    const before = await recorded(SEQUENTIAL_URL);
    expect(await deployMigrations(SEQUENTIAL_URL)).toEqual({ applied: [] });
    expect(await recorded(SEQUENTIAL_URL)).toEqual(before);
    expect(await createDatabase(SEQUENTIAL_URL)).toBe(false);
  });

  it('applies each migration exactly once when two deploys race on a new database', async () => {
    const results = await Promise.all([deployMigrations(RACED_URL), deployMigrations(RACED_URL)]);

    expect(results.flatMap((r) => r.applied).sort()).toEqual(COMMITTED);
    const rows = await recorded(RACED_URL);
    expect(rows.map((r) => r.migration_name)).toEqual(COMMITTED);
    expect(rows.every((r) => r.finished)).toBe(true);
  });
});
