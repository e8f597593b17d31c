import assert from 'node:assert/strict';

/**
 * Between two values of a column sent as one text (columnText): ASCII's unit separator, chr(31). Ids,
 * keys and kinds are printable ASCII (src/stock/input.ts), the rest numbers: no value holds it.
 */
const VALUE_SEPARATOR = String.fromCharCode(31);

/**
 * A bulk statement's column (one value per row) as one text parameter, read back by columnsSql: a
 * setStockBatch of 10,000 items writes its movements and outbox rows so. As arrays, pg escapes and
 * quotes every element and Prisma's raw-query runtime walks every one of them; as one text, neither
 * (10,000 movements of 12 columns: 123–170 ms through Prisma as arrays, 85–90 ms as texts, of which
 * PostgreSQL's insert is 47 ms). null and undefined are sent as the empty text, which reads as NULL;
 * so does a column of one empty text, which string_to_array reads as no values, and unnest pads with
 * NULL to its other columns' length. No value of a column that holds one may be the empty text.
 */
export function columnText(values: readonly (string | number | null | undefined)[]): string {
  const text = values.map((value) => value ?? '').join(VALUE_SEPARATOR);
  assert.equal(text.split(VALUE_SEPARATOR).length, Math.max(values.length, 1), 'no value of a bulk column holds its separator');
  return text;
}

/**
 * SQL reading parameters $1, $2, … (columnTexts) as arrays of `types`, in order, comma-separated (what
 * `unnest(…)` takes): the empty text is NULL.
 */
export const columnsSql = (types: readonly string[]) =>
  types.map((type, i) => `string_to_array($${i + 1}, chr(${VALUE_SEPARATOR.charCodeAt(0)}), '')::${type}[]`).join(', ');
