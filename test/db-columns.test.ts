/**
 * Bulk statements' columns sent as one text each (src/db/columns.ts), read back by PostgreSQL as the
 * arrays they were: the empty text as NULL, one-value and empty columns, and a value holding the
 * separator refused before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { columnsSql, columnText } from '../src/db/columns.ts';
import { sql } from './support/ledger.ts';

const PG_URL = `${process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432'}/postgres`;

/** The columns as PostgreSQL reads them: a row per value, unnest padding shorter columns with NULL. */
async function readBack(types: string[], columns: (string | number | null)[][]): Promise<unknown[][]> {
  const rows = await sql(
    PG_URL,
    `SELECT ${types.map((_, i) => `c${i}`).join(', ')} FROM unnest(${columnsSql(types)}) AS u(${types.map((_, i) => `c${i}`).join(', ')})`,
    columns.map(columnText),
  );
  return rows.map((row) => Object.values(row));
}

describe('columnText', () => {
  it('reads back every value in order, null as NULL', async () => {
    expect(
      await readBack(
        ['text', 'int', 'text'],
        [
          ['a', 'b-2', 'c.3'],
          [1, -20, 300],
          ['x', null, 'z'],
        ],
      ),
    ).toEqual([
      ['a', 1, 'x'],
      ['b-2', -20, null],
      ['c.3', 300, 'z'],
    ]);
  });

  it('a one-row column of NULL reads as NULL; no rows read as none', async () => {
    expect(await readBack(['text', 'text'], [['only'], [null]])).toEqual([['only', null]]);
    expect(await readBack(['text', 'int'], [[], []])).toEqual([]);
  });

  it('refuses a value holding the separator', () => {
    expect(() => columnText(['a', `b${String.fromCharCode(31)}c`])).toThrow(/separator/);
  });
});
