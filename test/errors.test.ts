import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  graphqlError,
  inputError,
  INPUT_ERROR_CODES,
  issue,
  RETRYABLE_ERROR_CODES,
  splitIssue,
  unavailable,
} from '../src/errors.ts';

/** The codes README's error table names (a row may name two: `EMPTY_CART`, `CART_TOO_LARGE`). */
function readmeCodes(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('**Errors.**'), readme.indexOf('**Idempotency.**'));
  return table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!));
}

describe('the error codes', () => {
  it('are the ones README documents', () => {
    expect(readmeCodes().sort()).toEqual([...ERROR_CODES].sort());
  });

  it('mark exactly the retryable ones retryable', () => {
    for (const code of ERROR_CODES) {
      const extensions = graphqlError(code, 'x').extensions;
      expect(extensions, code).toEqual((RETRYABLE_ERROR_CODES as readonly string[]).includes(code) ? { code, retryable: true } : { code });
    }
    expect(unavailable('the ledger could not be written').extensions).toEqual({ code: 'TEMPORARILY_UNAVAILABLE', retryable: true });
    expect(unavailable('x', 'subscription').message).toBe('live stock temporarily unavailable: x; subscribe again');
  });

  it('travel through zod messages and back', () => {
    for (const code of INPUT_ERROR_CODES) expect(splitIssue(issue(code, 'a: b').error)).toEqual([code, 'a: b']);
    expect(splitIssue('Invalid input: expected string')).toEqual(['BAD_USER_INPUT', 'Invalid input: expected string']);
    expect(splitIssue('NOT_A_CODE:text')).toEqual(['BAD_USER_INPUT', 'NOT_A_CODE:text']);
    expect(inputError('EMPTY_SKU_LIST', 'input: name at least one SKU', 'input').extensions).toEqual({
      code: 'EMPTY_SKU_LIST',
      field: 'input',
    });
  });
});
