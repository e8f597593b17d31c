import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GateLine, GateRecord } from '../gate/gate.ts';
import { loadCounters } from '../gate/load.ts';
import { LedgerBackpressure, type LedgerEntry, type LedgerOutcome } from '../ledger/group-commit.ts';
import { cartLines, idempotencyKey, orderId as orderIdSchema, parseInput } from './input.ts';
import { fingerprint } from './operations.ts';
import { IdempotencyConflict, InsufficientStock, UnknownSku } from './outcomes.ts';
import type { Services } from './services.ts';
import { unavailable } from './unavailable.ts';

export interface DeductInput {
  orderId: string;
  idempotencyKey?: string | null | undefined;
  lines: GateLine[];
}

export interface DeductedLine {
  skuId: string;
  quantity: number;
  /** Available right after this deduct; null for unlimited SKUs. */
  available: number | null;
}

export interface DeductSuccess {
  orderId: string;
  idempotencyKey: string;
  lines: DeductedLine[];
}

/** Gate attempts per request: loading counters, a fence, or a first attempt that failed each cost one. */
const MAX_GATE_ATTEMPTS = 4;
/** How long a replay waits for the first request with its key to reach the ledger (another instance's batch). */
const REPLAY_WAIT_MS = 5_000;
const REPLAY_POLL_MS = 10;

/**
 * The hot path (DESIGN.md): validate, one gate call, group-committed ledger write, then answer.
 * Domain outcomes are thrown as Outcome errors for the result union; TEMPORARILY_UNAVAILABLE means
 * nothing moved and the request may be retried with the same key.
 */
export async function deduct(s: Services, input: DeductInput): Promise<DeductSuccess> {
  const orderId = parseInput(orderIdSchema, input.orderId, 'orderId');
  const key = parseInput(idempotencyKey, input.idempotencyKey ?? input.orderId, 'idempotencyKey');
  const lines = parseInput(cartLines, input.lines, 'lines');
  const fp = fingerprint(orderId, lines);

  for (let attempt = 1; attempt <= MAX_GATE_ATTEMPTS; attempt++) {
    const gateId = randomUUID();
    const took = await s.gate.take('DEDUCT', key, fp, gateId, lines);
    switch (took.kind) {
      case 'missing': {
        const unknown = await loadCounters(s.gate, s.prisma, took.indexes.map((i) => lines[i]!.skuId));
        if (unknown.length > 0) throw new UnknownSku(unknown);
        continue;
      }
      case 'conflict':
        throw new IdempotencyConflict(key);
      case 'short':
        throw new InsufficientStock(
          took.lines.map(({ index, available }) => ({ skuId: lines[index]!.skuId, requested: lines[index]!.quantity, available })),
        );
      case 'replay': {
        const first = await firstAnswer(s, key, fp, took.record);
        if (first) return first;
        continue;
      }
      case 'taken': {
        const result = answer(orderId, key, lines, took.record);
        const committed = await persist(s, {
          kind: 'DEDUCT',
          gateId,
          idempotencyKey: key,
          orderId,
          fingerprint: fp,
          result,
          lines: lines.map((l, i) => ({ ...l, epoch: took.record.e[i]!, unlimited: took.record.u[i] === 1 })),
        });
        if (committed === 'committed') return result;
        if (committed === 'duplicate') {
          const stored = await storedDeduction(s, key);
          if (stored && stored.fingerprint !== fp) throw new IdempotencyConflict(key);
          if (stored) return stored.result;
        }
        continue;
      }
    }
  }
  throw unavailable('stock counters kept changing during this request');
}

function answer(orderId: string, key: string, lines: GateLine[], record: GateRecord): DeductSuccess {
  return {
    orderId,
    idempotencyKey: key,
    lines: lines.map((l, i) => ({ skuId: l.skuId, quantity: l.quantity, available: record.u[i] === 1 ? null : record.a[i]! })),
  };
}

/**
 * Writes the ledger rows; on anything but a commit the units go back to the gate before answering.
 * A fenced take also drops the stale counters, so the retry loads the truth.
 */
async function persist(s: Services, entry: LedgerEntry): Promise<LedgerOutcome> {
  const skuIds = entry.lines.map((l) => l.skuId);
  let outcome;
  try {
    outcome = await s.ledger.write(entry);
  } catch (err) {
    await giveBack(s, entry);
    if (err instanceof LedgerBackpressure) throw unavailable('too many requests waiting for the ledger');
    s.log.error({ err, gateId: entry.gateId }, 'ledger write failed; units given back');
    throw unavailable('the ledger could not be written');
  }
  if (outcome === 'committed') return outcome;
  await giveBack(s, entry);
  if (outcome === 'fenced') {
    const rows = await s.prisma.sku.findMany({ where: { id: { in: skuIds } }, select: { id: true, epoch: true } });
    await Promise.all(rows.map((r) => s.gate.invalidate(r.id, r.epoch)));
  }
  return outcome;
}

/** Returns what a failed attempt took; if Redis is unreachable, reconciliation returns it later (I3). */
async function giveBack(s: Services, entry: LedgerEntry): Promise<void> {
  try {
    await s.gate.release(entry.gateId, entry.kind, entry.idempotencyKey, entry.lines.map((l) => l.skuId));
  } catch (err) {
    s.log.error({ err, gateId: entry.gateId }, 'could not give units back to the gate; reconciliation will');
  }
}

async function storedDeduction(s: Services, key: string): Promise<{ fingerprint: string; result: DeductSuccess } | null> {
  const row = await s.prisma.gateRequest.findUnique({
    where: { kind_idempotencyKey: { kind: 'DEDUCT', idempotencyKey: key } },
    select: { fingerprint: true, result: true },
  });
  return row ? { fingerprint: row.fingerprint, result: row.result as unknown as DeductSuccess } : null;
}

/**
 * A replay answers what the first request answered, and not before that answer is in the ledger (I2).
 * Returns null when the first attempt failed and gave its key back, so the replay goes through the gate.
 */
async function firstAnswer(s: Services, key: string, fp: string, record: GateRecord): Promise<DeductSuccess | null> {
  const deadline = Date.now() + REPLAY_WAIT_MS;
  for (;;) {
    const stored = await storedDeduction(s, key);
    if (stored) {
      if (stored.fingerprint !== fp) throw new IdempotencyConflict(key);
      return stored.result;
    }
    const current = await s.gate.record('DEDUCT', key);
    if (current?.id !== record.id) return null;
    if (Date.now() > deadline) throw unavailable('the first request with this idempotency key is still being written');
    await sleep(REPLAY_POLL_MS);
  }
}
