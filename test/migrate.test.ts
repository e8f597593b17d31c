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
const DATA_URL = `${PG_BASE}/stockgate_migrate_data_${RUN_ID}`;

const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations/', import.meta.url));
const COMMITTED = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

async function query<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
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
    await dropDatabase(DATA_URL);
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

  it('keeps every identifier column in the "C" collation (names and fingerprints in the database\'s)', async () => {
    const columns = await query<{ column: string; collation: string | null }>(
      SEQUENTIAL_URL,
      `SELECT table_name || '.' || column_name AS column, collation_name AS collation FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' AND data_type IN ('text', 'character varying')`,
    );
    const freeText = new Set(['sku.name', 'location.name', 'gate_request.fingerprint', 'gate_request.answer', 'operation.fingerprint']);
    const identifiers = columns.filter((c) => !freeText.has(c.column));
    expect(identifiers.length, 'identifier columns').toBeGreaterThanOrEqual(18);
    expect(identifiers.filter((c) => c.collation !== 'C').map((c) => c.column)).toEqual([]);
  });

  it("keeps reserves' client keys unique in an index that deducts (no client key) stay out of", async () => {
    const [index] = await query<{ def: string }>(
      SEQUENTIAL_URL,
      `SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'gate_request_kind_client_key_key'`,
    );
    expect(index?.def).toMatch(/UNIQUE INDEX .* \(kind, client_key\) WHERE \(client_key IS NOT NULL\)$/);
    const insert = (key: string, clientKey: string | null) =>
      query(
        SEQUENTIAL_URL,
        `INSERT INTO gate_request (kind, idempotency_key, client_key, order_id, fingerprint, result, gate_id)
         VALUES ('RESERVE', $1, $2, $1, 'f', '{}', gen_random_uuid())`,
        [key, clientKey],
      );
    await insert('partial-a', null);
    await insert('partial-b', null);
    await insert('partial-c', 'client-key');
    await expect(insert('partial-d', 'client-key')).rejects.toMatchObject({ code: '23505' });
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

  it("keeps every SKU's truth when merge positions replace the merged flag (existing ledger)", async () => {
    const positions = COMMITTED.indexOf('20261201090000_merge_position');
    expect(positions).toBeGreaterThan(0);
    await createDatabase(DATA_URL);
    // The database as deployed before, recorded as Prisma records it (its own table's definition)...
    await query(
      DATA_URL,
      `CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
         migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
         applied_steps_count INTEGER NOT NULL DEFAULT 0)`,
    );
    for (const name of COMMITTED.slice(0, positions)) {
      const script = readFileSync(`${MIGRATIONS_DIR}${name}/migration.sql`);
      await query(DATA_URL, script.toString('utf8'));
      await query(
        DATA_URL,
        `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count)
         VALUES (gen_random_uuid(), '${createHash('sha256').update(script).digest('hex')}', now(), '${name}', 1)`,
      );
    }
    // ...with a ledger: rows holding their merged movements, and movements not merged yet.
    await query(
      DATA_URL,
      `INSERT INTO location (id, name, priority) VALUES ('north', 'North', 1);
       INSERT INTO sku (id, available, reserved, sold, updated_at) VALUES ('a', 7, 1, 2, now()), ('b', 20, 0, 0, now()), ('c', 0, 0, 0, now());
       INSERT INTO sku_location (sku_id, location_id, available, reserved, sold) VALUES ('a', 'north', 3, 0, 1);
       INSERT INTO movement (kind, sku_id, location_id, quantity, delta_available, delta_reserved, delta_sold, merged) VALUES
         ('RESTOCK', 'a', 'default', 6, 6, 0, 0, true), ('RESTOCK', 'a', 'north', 4, 4, 0, 0, true),
         ('DEDUCT', 'a', 'north', 1, -1, 0, 1, true), ('DEDUCT', 'a', 'default', 1, -1, 0, 1, true),
         ('RESERVE', 'a', 'default', 1, -1, 1, 0, true),
         ('DEDUCT', 'a', 'north', 2, -2, 0, 2, false), ('DEDUCT', 'a', 'default', 1, -1, 0, 1, false),
         ('RESTOCK', 'b', 'default', 20, 20, 0, 0, true), ('DEDUCT', 'b', 'default', 5, -5, 0, 5, false),
         ('RESTOCK', 'c', 'default', 9, 9, 0, 0, false)`,
    );
    const truth = (merged: string) =>
      query<{ id: string; available: string; reserved: string; sold: string }>(
        DATA_URL,
        `SELECT s.id, (s.available + coalesce(sum(m.delta_available) FILTER (WHERE NOT (${merged})), 0))::text AS available,
                (s.reserved + coalesce(sum(m.delta_reserved) FILTER (WHERE NOT (${merged})), 0))::text AS reserved,
                (s.sold + coalesce(sum(m.delta_sold) FILTER (WHERE NOT (${merged})), 0))::text AS sold
         FROM sku s LEFT JOIN movement m ON m.sku_id = s.id GROUP BY s.id ORDER BY s.id`,
      );
    const north = (merged: string) =>
      query(
        DATA_URL,
        `SELECT l.available + coalesce(sum(m.delta_available) FILTER (WHERE NOT (${merged})), 0) AS available,
                l.sold + coalesce(sum(m.delta_sold) FILTER (WHERE NOT (${merged})), 0) AS sold
         FROM sku_location l JOIN sku s ON s.id = l.sku_id LEFT JOIN movement m ON m.sku_id = l.sku_id AND m.location_id = l.location_id
         GROUP BY l.available, l.sold`,
      );
    const before = await truth('m.merged');
    const northBefore = await north('m.merged');
    expect(before).toEqual([
      { id: 'a', available: '4', reserved: '1', sold: '5' },
      { id: 'b', available: '15', reserved: '0', sold: '5' },
      { id: 'c', available: '9', reserved: '0', sold: '0' },
    ]);

    expect((await deployMigrations(DATA_URL)).applied).toEqual(COMMITTED.slice(positions));
    const merged = '(m.tx, m.id) <= (s.merged_through_tx, s.merged_through_id)';
    expect(await truth(merged)).toEqual(before);
    expect(await north(merged)).toEqual(northBefore);
    // Every movement written so far is folded into its row: the rows alone are the truth.
    expect(await truth('true')).toEqual(before);
    expect(await query(DATA_URL, `SELECT available::int, sold::int FROM sku_location`)).toEqual([{ available: 1, sold: 3 }]);
  });
});
