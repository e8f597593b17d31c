import assert from 'node:assert/strict';
import type { Sql, Tx } from '../db/client.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { OperationKind } from '../generated/prisma/enums.ts';
import type { CartLine, TakeKind } from '../inventory.ts';
import type { Change } from '../sync/outbox.ts';
import { IdempotencyConflict } from './outcomes.ts';

/**
 * Idempotency (I4), written once: the same key with the same input answers what the first request
 * answered and moves nothing; with another input it is an IdempotencyConflict. PostgreSQL remembers
 * every first answer for good: takes (deduct, reserve) in `gate_request`, written by the ledger with
 * their movements; every other mutation in `operation`, through once().
 */

/** The canonical form of a request, so a replay matches whatever the order of its lines. */
export function fingerprint(scope: string, lines: CartLine[]): string {
  const sorted = [...lines].sort((a, b) => (a.skuId < b.skuId ? -1 : a.skuId > b.skuId ? 1 : 0));
  // A pinned line's location is part of it; an unpinned line's fingerprint is what it was before locations.
  return JSON.stringify([scope, sorted.map((l) => (l.locationId ? [l.skuId, l.quantity, l.locationId] : [l.skuId, l.quantity]))]);
}

/** An operation's idempotency record: one row per (kind, key) of the `operation` table. */
export interface OperationKey {
  kind: OperationKind;
  key: string;
  orderId: string | null;
  fingerprint: string;
}

/** What once() hands its work: the record of this operation, inside the work's own transaction. */
export interface Recorder<T> {
  /**
   * Computes the change unless a request with this key committed since once() looked (then its answer,
   * moving nothing), and records the change's answer in the same transaction.
   */
  firstTime(tx: Tx, compute: () => Promise<Change<T>>): Promise<Change<T>>;
  /** Records the answer in the work's transaction: of two first requests, the second to commit fails on the key. */
  record(tx: Tx, result: T): Promise<void>;
}

export interface OnceOptions<T> {
  /**
   * Errors of the work besides a taken key that may mean a concurrent request with this key moved
   * first (a hold it settled refuses the second settlement): then that request's answer is the answer.
   */
  alsoReplay?: (err: unknown) => boolean;
  /** Turns a stored (JSON) answer back into what the work returns (a Date, say). */
  revive?: (stored: T) => T;
}

/**
 * Runs a mutation at most once per key: the stored answer if there is one; else `work`, which records
 * its answer through the Recorder in its transaction; and when a concurrent first request with the
 * key committed first (the record's key is taken), that request's answer.
 */
export async function once<T>(
  db: Sql,
  op: OperationKey,
  work: (recorder: Recorder<T>) => Promise<T>,
  options: OnceOptions<T> = {},
): Promise<T> {
  const revive = options.revive ?? ((stored: T) => stored);
  const stored = async (from: Sql) => {
    const answer = await previousAnswer<T>(from, op);
    return answer ? revive(answer) : null;
  };
  const first = await stored(db);
  if (first) return first;
  const recorder: Recorder<T> = {
    async firstTime(tx, compute) {
      const raced = await stored(tx);
      if (raced) return { result: raced, movements: [] };
      const change = await compute();
      await recordAnswer(tx, op, change.result);
      return change;
    },
    record: (tx, result) => recordAnswer(tx, op, result),
  };
  return replayOnDuplicate(
    () => work(recorder),
    () => stored(db),
    options.alsoReplay,
  );
}

/**
 * Two first requests with one key raced past each other's look-up: the one whose record lost on the
 * key answers what the winner recorded (I4). `alsoReplay` widens this to other errors that may mean
 * the winner moved first. Without a stored answer the error stands.
 */
export async function replayOnDuplicate<T>(
  work: () => Promise<T>,
  replay: () => Promise<T | null>,
  alsoReplay?: (err: unknown) => boolean,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!isDuplicateKey(err) && !alsoReplay?.(err)) throw err;
    const winner = await replay();
    if (!winner) throw err;
    return winner;
  }
}

/** What identifies a take's first answer: its kind and key, for a reserve also the client's key. */
export interface TakeKey {
  kind: TakeKind;
  idempotencyKey: string;
  clientKey?: string | undefined;
  fingerprint: string;
}

/** What a take's ledger record keeps of its first answer. */
export interface StoredTake {
  fingerprint: string;
  result: unknown;
}

/** The columns of a take's ledger row (`gate_request`) that name it. */
export interface TakeIdentity {
  orderId: string;
  idempotencyKey: string;
  /** RESERVE only: the client's key (a reserve's idempotency key is its order id); null for a deduct. */
  clientKey: string | null;
}

/**
 * A take's answer from what its ledger row keeps of it, with the order id and the client's key (the
 * answer's `orderId` and `idempotencyKey`) from the row's own columns: the ledger stores answers without
 * them (a cart's row sends and writes its order id three times, not five, where it is the key). Rows
 * written by 0.3.0 and before hold both in the answer too, which then wins (the same values).
 */
export function withIdentity(answer: unknown, row: TakeIdentity): unknown {
  assert.ok(typeof answer === 'object' && answer !== null, "a take's stored answer is an object");
  return { orderId: row.orderId, idempotencyKey: row.clientKey ?? row.idempotencyKey, ...answer };
}

/** The first answer a record keeps for this take: IdempotencyConflict when it was another request's. */
export function answerFrom<A>(take: TakeKey, stored: StoredTake | undefined): A | null {
  if (!stored) return null;
  if (stored.fingerprint !== take.fingerprint) throw new IdempotencyConflict(take.idempotencyKey);
  return stored.result as A;
}

/**
 * The first answer to a deduct or reserve, from its ledger record: by its idempotency key, or for a
 * reserve also by the client's key, which may serve one order only (a reserve under that key for
 * another order has another fingerprint: IdempotencyConflict). Null when there is none.
 */
export async function storedTakeAnswer<A>(db: Sql, take: TakeKey): Promise<A | null> {
  const [stored] = await storedTakes(db, [take]);
  return answerFrom<A>(take, stored);
}

/**
 * The ledger records of many takes in one query (a batch's refused carts, each of which may replay a
 * request that succeeded): per take, its key's record, else its client key's, for answerFrom. A query
 * per cart let a sold-out batch of 1,000 carts wait on the pool.
 */
export async function storedTakes(db: Sql, takes: readonly TakeKey[]): Promise<(StoredTake | undefined)[]> {
  if (takes.length === 0) return [];
  // One probe of the two indexes per take (LATERAL): a plain join on the OR read all of gate_request.
  const rows = await db.$queryRawUnsafe<(StoredTake & TakeIdentity & { at: number })[]>(
    // A row keeps its answer as text, or (written before migration 20261203230000) as json in `result`.
    `SELECT t.at::int AS at, r.fingerprint, r.result, r.order_id AS "orderId", r.idempotency_key AS "idempotencyKey",
            r.client_key AS "clientKey"
     FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(kind, key, client_key, at)
     CROSS JOIN LATERAL (
       SELECT g.fingerprint, coalesce(g.answer::json, g.result) AS result, g.order_id, g.idempotency_key, g.client_key
       FROM gate_request g
       WHERE g.kind = t.kind::"MovementKind" AND (g.idempotency_key = t.key OR g.client_key = t.client_key)
       ORDER BY (g.idempotency_key = t.key) DESC LIMIT 1
     ) r`,
    takes.map((t) => t.kind),
    takes.map((t) => t.idempotencyKey),
    takes.map((t) => t.clientKey ?? null),
  );
  const stored = new Array<StoredTake | undefined>(takes.length);
  for (const row of rows) stored[row.at - 1] = { fingerprint: row.fingerprint, result: withIdentity(row.result, row) };
  return stored;
}

/** The first answer for this operation's key, if there was one; IdempotencyConflict when it was another request. */
async function previousAnswer<T>(db: Sql, op: OperationKey): Promise<T | null> {
  const [row] = await db.$queryRawUnsafe<{ fingerprint: string; result: T }[]>(
    `SELECT fingerprint, result FROM operation WHERE kind = $1::"OperationKind" AND key = $2`,
    op.kind,
    op.key,
  );
  if (!row) return null;
  if (row.fingerprint !== op.fingerprint) throw new IdempotencyConflict(op.key);
  return row.result;
}

async function recordAnswer(tx: Tx, op: OperationKey, result: unknown): Promise<void> {
  await tx.operation.create({
    data: { kind: op.kind, key: op.key, orderId: op.orderId, fingerprint: op.fingerprint, result: result as Prisma.InputJsonValue },
  });
}

/** The unique key of an idempotency record was taken by a concurrent first request. */
function isDuplicateKey(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}
