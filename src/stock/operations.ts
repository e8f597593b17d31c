import { Prisma } from '../generated/prisma/client.ts';
import type { OperationKind } from '../generated/prisma/enums.ts';
import type { Sql, Tx } from '../db/client.ts';
import type { CartLine } from '../inventory.ts';
import { IdempotencyConflict } from './outcomes.ts';

/** The canonical form of a request, so a replay matches whatever the order of its lines. */
export function fingerprint(scope: string, lines: CartLine[]): string {
  const sorted = [...lines].sort((a, b) => (a.skuId < b.skuId ? -1 : a.skuId > b.skuId ? 1 : 0));
  return JSON.stringify([scope, sorted.map((l) => [l.skuId, l.quantity])]);
}

/**
 * The first answer for this key, if there was one: the same request gets it again, another request
 * under the same key is an IdempotencyConflict (I4).
 */
export async function previousAnswer<T>(db: Sql, kind: OperationKind, key: string, fp: string): Promise<T | null> {
  const [row] = await db.$queryRawUnsafe<{ fingerprint: string; result: T }[]>(
    `SELECT fingerprint, result FROM operation WHERE kind = $1::"OperationKind" AND key = $2`,
    kind,
    key,
  );
  if (!row) return null;
  if (row.fingerprint !== fp) throw new IdempotencyConflict(key);
  return row.result;
}

/**
 * The first answer to a deduct or reserve, from its ledger record: by its idempotency key, or for a
 * reserve also by the client's key, which may serve one order only (a reserve under that key for
 * another order has another fingerprint, so the caller answers IdempotencyConflict).
 */
export async function storedTakeAnswer<T>(
  db: Sql,
  kind: 'DEDUCT' | 'RESERVE',
  key: string,
  clientKey: string | undefined,
): Promise<{ fingerprint: string; result: T } | null> {
  const [row] = await db.$queryRawUnsafe<{ fingerprint: string; result: T }[]>(
    `SELECT fingerprint, result FROM gate_request
     WHERE kind = $1::"MovementKind" AND (idempotency_key = $2 OR client_key = $3)
     ORDER BY (idempotency_key = $2) DESC LIMIT 1`,
    kind,
    key,
    clientKey ?? null,
  );
  return row ?? null;
}

export async function recordAnswer(
  tx: Tx,
  kind: OperationKind,
  key: string,
  orderId: string | null,
  fp: string,
  result: unknown,
): Promise<void> {
  await tx.operation.create({ data: { kind, key, orderId, fingerprint: fp, result: result as Prisma.InputJsonValue } });
}

/** Two first requests with one key raced past each other's check; the loser retries and replays. */
export function isDuplicateKey(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}
