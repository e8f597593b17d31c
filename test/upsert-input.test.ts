/**
 * upsertSkus input and atomicity (issue 11, item 8), through the GraphQL API against the real app:
 * a bad name (control characters, too long) is a typed INVALID_NAME error before any I/O, and an
 * upsert is one transaction: a call that fails, even on a database error half-way, leaves no SKU of
 * it behind and changes none.
 */
import { describe, expect, it } from 'vitest';
import { sql } from './support/ledger.ts';
import { useStack } from './support/stack.ts';

const stack = useStack();
const { api } = stack;

async function existing(ids: string[]): Promise<string[]> {
  const rows = await sql(stack.ns.databaseUrl, `SELECT id FROM sku WHERE id = ANY($1) ORDER BY id`, [ids]);
  return rows.map((r) => r.id);
}

const movementsOf = async (ids: string[]): Promise<number> =>
  Number((await sql(stack.ns.databaseUrl, `SELECT count(*) AS n FROM movement WHERE sku_id = ANY($1)`, [ids]))[0].n);

describe('upsertSkus names', () => {
  const bad: [string, string][] = [
    ['NUL', 'Red tee\u0000M'],
    ['bell', 'ring\u0007'],
    ['escape sequence', '\u001b[31mred'],
    ['newline', 'two\nlines'],
    ['tab', 'a\tb'],
    ['DEL', 'x\u007f'],
    ['C1 control', 'next\u0085line'],
    ['lone surrogate', 'half \ud83d pair'],
    ['over 200 characters', 'n'.repeat(201)],
    ['over 200 astral characters', '👕'.repeat(201)],
  ];

  it.each(bad)('refuses a name with %s as INVALID_NAME, and creates none of the call', async (what, name) => {
    const ids = [`ok-${what}`.replace(/\W/g, '-'), `bad-${what}`.replace(/\W/g, '-')];
    const res = await api.upsert([
      { id: ids[0], name: 'Fine name', available: 3 },
      { id: ids[1], name, available: 4 },
    ]);
    expect(res.errors?.[0]?.extensions, JSON.stringify(res)).toMatchObject({ code: 'INVALID_NAME', field: 'input.1.name' });
    expect(await existing(ids)).toEqual([]);
    expect(await movementsOf(ids)).toBe(0);
  });

  it('accepts printable Unicode names up to 200 characters, astral characters included', async () => {
    const names = ['Café crème 東京 👕', 'n'.repeat(200), '👕'.repeat(200), ''];
    const res = await api.upsert(names.map((name, i) => ({ id: `uni-${i}`, name })));
    expect(res.errors, JSON.stringify(res)).toBeUndefined();
    expect(res.data.upsertSkus.skus.map((s: { name: string }) => s.name)).toEqual(names);
  });
});

describe('upsertSkus is one transaction', () => {
  it('leaves nothing behind when the database fails on the last SKU of a call', async () => {
    const url = stack.ns.databaseUrl;
    expect((await api.upsert([{ id: 'tx-old', name: 'old', available: 7 }])).errors).toBeUndefined();
    // A failure the input checks cannot foresee: the database refuses one row half-way through.
    await sql(
      url,
      `CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'refused %', NEW.id; END $$`,
    );
    await sql(
      url,
      `CREATE TRIGGER boom_trap BEFORE INSERT OR UPDATE ON sku FOR EACH ROW WHEN (NEW.name = 'boom') EXECUTE FUNCTION refuse_boom()`,
    );
    const before = await movementsOf(['tx-old']);

    const res = await api.upsert([
      { id: 'tx-old', name: 'new', available: 9 },
      { id: 'tx-new', name: 'fresh', available: 5 },
      { id: 'tx-boom', name: 'boom', available: 5 },
    ]);
    expect(res.errors, JSON.stringify(res)).toBeDefined();
    expect(res.data?.upsertSkus ?? null).toBeNull();
    expect(await existing(['tx-new', 'tx-boom'])).toEqual([]);
    expect(await movementsOf(['tx-new', 'tx-boom'])).toBe(0);
    expect(await movementsOf(['tx-old'])).toBe(before);
    const read = await api.skus(['tx-old', 'tx-new', 'tx-boom']);
    expect(read.data.skus).toEqual([{ id: 'tx-old', name: 'old', available: 7, reserved: 0, sold: 0, unlimited: false }, null, null]);

    // The same call without the refused row goes through whole.
    const again = await api.upsert([
      { id: 'tx-old', name: 'new', available: 9 },
      { id: 'tx-new', name: 'fresh', available: 5 },
    ]);
    expect(again.errors, JSON.stringify(again)).toBeUndefined();
    expect(again.data.upsertSkus.skus.map((s: { available: number }) => s.available)).toEqual([9, 5]);
  });

  it('creates a SKU once when many calls race to create it, and the gate sells exactly its level', async () => {
    const calls = await Promise.all(Array.from({ length: 12 }, () => api.upsert([{ id: 'raced', name: 'Raced', available: 10 }])));
    for (const res of calls) expect(res.errors, JSON.stringify(res)).toBeUndefined();
    const adjusted = await sql(
      stack.ns.databaseUrl,
      `SELECT coalesce(sum(delta_available), 0)::int AS n FROM movement WHERE sku_id = 'raced'`,
    );
    expect(adjusted[0].n).toBe(10);
    const sells = await Promise.all(Array.from({ length: 11 }, (_, i) => api.deductOne(`raced-${i}`, 'raced')));
    const outcomes = sells.map((r) => r.data?.deductStock.__typename ?? 'error').sort();
    expect(outcomes).toEqual([...Array(10).fill('DeductStockSuccess'), 'InsufficientStock']);
  });
});
