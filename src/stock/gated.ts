import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GateDown } from '../gate/breaker.ts';
import type { GateRecord } from '../gate/gate.ts';
import type { CartLine, TakeKind } from '../inventory.ts';
import { LedgerBackpressure, type LedgerEntry, type LedgerOutcome } from '../ledger/group-commit.ts';
import { loadCounters, returnWithheld } from '../sync/load.ts';
import { takeInDatabase } from './fallback.ts';
import { storedTakeAnswer } from './operations.ts';
import { IdempotencyConflict, InsufficientStock, Throttled, UnknownSku } from './outcomes.ts';
import type { Services } from './services.ts';
import { unavailable } from './unavailable.ts';

export interface GatedLine {
  skuId: string;
  quantity: number;
  /** Available right after this request; null for unlimited SKUs. */
  available: number | null;
}

/** A validated request to take units at the gate. */
export interface GatedRequest<A> {
  kind: TakeKind;
  orderId: string;
  idempotencyKey: string;
  /** RESERVE only: the client's key (the idempotency key is the order id); one order per client key. */
  clientKey?: string;
  fingerprint: string;
  lines: CartLine[];
  /** RESERVE only: when the reservation lapses. */
  deadline?: Date;
  /** The answer for a successful take, from the available level after each line. */
  answer: (lines: GatedLine[]) => A;
}

/**
 * Gate attempts per request: loading counters, a fence, taking withheld units back, or a first attempt
 * that failed each cost one. Enough for a fence (the fenced take, then the reload) and a top-up of the
 * share (the short take, then the retry) in one request, with two to spare.
 */
const MAX_GATE_ATTEMPTS = 6;
/** How long a replay waits for the first request with its key to reach the ledger (another instance's batch). */
const REPLAY_WAIT_MS = 5_000;
const REPLAY_POLL_MS = 10;

/**
 * Takes units for a deduct or reserve: through the Redis gate, or, while Redis is unreachable (the
 * breaker is open, or the gate call failed to connect), through PostgreSQL alone.
 * Domain outcomes are thrown as Outcome errors for the result union; TEMPORARILY_UNAVAILABLE means
 * nothing moved and the request may be retried with the same key.
 */
export async function passGate<A>(s: Services, req: GatedRequest<A>): Promise<A> {
  if (s.databaseOnly) return takeInDatabase(s, req);
  if (s.gate.breaker.open) {
    s.metrics?.gateOutcome(req.kind, 'fallback');
    return takeInDatabase(s, req);
  }
  try {
    return await throughGate(s, req);
  } catch (err) {
    if (!(err instanceof GateDown)) throw err;
    s.log.warn({ orderId: req.orderId }, 'gate unreachable; taking through PostgreSQL');
    s.metrics?.gateOutcome(req.kind, 'fallback');
    return takeInDatabase(s, req);
  }
}

/** The hot path (DESIGN.md): one gate call, a group-committed ledger write, then the answer. */
async function throughGate<A>(s: Services, req: GatedRequest<A>): Promise<A> {
  const { kind, idempotencyKey: key, fingerprint: fp, lines } = req;
  for (let attempt = 1; attempt <= MAX_GATE_ATTEMPTS; attempt++) {
    const gateId = randomUUID();
    const took = await s.gate.take(kind, key, fp, gateId, lines);
    s.metrics?.gateOutcome(kind, took.kind);
    switch (took.kind) {
      case 'missing': {
        const unknown = await loadCounters(
          s.gate,
          s.prisma,
          took.indexes.map((i) => lines[i]!.skuId),
        );
        if (unknown.length > 0) throw new UnknownSku(unknown);
        continue;
      }
      case 'conflict':
        throw new IdempotencyConflict(key);
      case 'throttled':
        // Not checked against the ledger like a shortage: a replay whose record Redis forgot gets its
        // first answer once through the throttle (the ledger refuses the duplicate), and a hot SKU's
        // stampede never reaches PostgreSQL.
        throw new Throttled(
          took.indexes.map((i) => lines[i]!.skuId),
          took.retryAfterMs,
        );
      case 'short': {
        // Units withheld for the database-only path are still this SKU's: take some back and retry
        // (never a shortage while they exist; the attempts bound a tug of war with that path).
        const withheld = took.lines.filter((l) => l.withheld > 0).map((l) => lines[l.index]!);
        if (withheld.length > 0) {
          await returnWithheld(s.gate, s.prisma, new Map(withheld.map((l) => [l.skuId, l.quantity])));
          continue;
        }
        // Redis forgets keys (a flush, a restart, the record's TTL), PostgreSQL does not: a replay of a
        // request that succeeded gets its first answer (I4), not today's shortage.
        const stored = await storedAnswer<A>(s, req);
        if (stored) return stored;
        throw new InsufficientStock(
          took.lines.map(({ index, available, withheld }) => ({
            skuId: lines[index]!.skuId,
            requested: lines[index]!.quantity,
            available: available + withheld,
          })),
        );
      }
      case 'replay': {
        const first = await firstAnswer<A>(s, req, took.record);
        if (first) return first;
        continue;
      }
      case 'taken': {
        const { record } = took;
        const result = req.answer(
          lines.map((l, i) => ({ skuId: l.skuId, quantity: l.quantity, available: record.u[i] === 1 ? null : record.a[i]! })),
        );
        const outcome = await persist(s, {
          kind,
          gateId,
          idempotencyKey: key,
          ...(req.clientKey ? { clientKey: req.clientKey } : {}),
          orderId: req.orderId,
          fingerprint: fp,
          result,
          ...(req.deadline ? { deadline: req.deadline } : {}),
          lines: lines.map((l, i) => ({ ...l, epoch: record.e[i]!, unlimited: record.u[i] === 1 })),
        });
        if (outcome === 'committed') {
          s.levelsChanged(lines.map((l) => l.skuId));
          return result;
        }
        if (outcome === 'duplicate') {
          const stored = await storedAnswer<A>(s, req);
          if (stored) return stored;
        }
        continue;
      }
    }
  }
  throw unavailable('stock counters kept changing during this request');
}

/**
 * Writes the ledger rows. A duplicate or fenced take gives its units back before answering; a fenced
 * take also drops the stale counters, so the retry loads the truth.
 *
 * A failed write gives nothing back here unless it never reached PostgreSQL (backpressure): a write
 * whose connection broke may have committed, and giving its units back would let them be sold twice.
 * Its take stays in flight, and reconciliation (src/sync/reconcile.ts) settles it from the truth.
 */
async function persist(s: Services, entry: LedgerEntry): Promise<LedgerOutcome> {
  let outcome;
  try {
    outcome = await s.ledger.write(entry);
  } catch (err) {
    if (err instanceof LedgerBackpressure) {
      await giveBack(s, entry);
      throw unavailable('too many requests waiting for the ledger');
    }
    s.log.error({ err, gateId: entry.gateId }, 'ledger write failed; reconciliation will settle its units');
    throw unavailable('the ledger could not be written');
  }
  if (outcome === 'committed') return outcome;
  await giveBack(s, entry);
  if (outcome === 'fenced') {
    const rows = await s.prisma.sku.findMany({ where: { id: { in: entry.lines.map((l) => l.skuId) } }, select: { id: true, epoch: true } });
    await Promise.all(rows.map((r) => s.gate.invalidate(r.id, r.epoch)));
  }
  return outcome;
}

/** Returns what an attempt took; if Redis is unreachable, reconciliation returns it later (I3). */
async function giveBack(s: Services, entry: LedgerEntry): Promise<void> {
  try {
    await s.gate.release(
      entry.gateId,
      entry.kind,
      entry.idempotencyKey,
      entry.lines.map((l) => l.skuId),
    );
  } catch (err) {
    s.log.error({ err, gateId: entry.gateId }, 'could not give units back to the gate; reconciliation will');
  }
}

/** The ledger's first answer for this request's key, if any; IdempotencyConflict when it was another request. */
async function storedAnswer<A>(s: Services, req: GatedRequest<A>): Promise<A | null> {
  const stored = await storedTakeAnswer<A>(s.prisma, req.kind, req.idempotencyKey, req.clientKey);
  if (stored && stored.fingerprint !== req.fingerprint) throw new IdempotencyConflict(req.idempotencyKey);
  return stored ? stored.result : null;
}

/**
 * A replay answers what the first request answered, and not before that answer is in the ledger (I2).
 * Returns null when the first attempt failed and gave its key back, so the replay goes through the gate.
 */
async function firstAnswer<A>(s: Services, req: GatedRequest<A>, record: GateRecord): Promise<A | null> {
  const deadline = Date.now() + REPLAY_WAIT_MS;
  for (;;) {
    const stored = await storedAnswer<A>(s, req);
    if (stored) return stored;
    const current = await s.gate.record(req.kind, req.idempotencyKey);
    if (current?.id !== record.id) return null;
    if (Date.now() > deadline) throw unavailable('the first request with this idempotency key is still being written');
    await sleep(REPLAY_POLL_MS);
  }
}
