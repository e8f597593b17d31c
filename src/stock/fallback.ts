import { randomUUID } from 'node:crypto';
import type { Prisma } from '../generated/prisma/client.ts';
import { changeTruth, type MovementRow } from '../ledger/outbox.ts';
import { readTruth } from '../ledger/truth.ts';
import type { GatedRequest } from './gated.ts';
import { IdempotencyConflict, InsufficientStock, UnknownSku } from './outcomes.ts';
import type { Services } from './services.ts';

/**
 * The database-only path (seeds 001 and 003): what a deduct or reserve does while the Redis gate is
 * unreachable. One transaction: lock the SKU rows, check the truth, write the ledger rows and the
 * idempotency record. It bumps the SKUs' epochs ('fence'): counters the gate still holds are stale
 * once Redis is back, so requests that pass them are refused by the ledger and the counters are
 * dropped (by those requests, or by the outbox sweeper) and loaded from the truth.
 * Every request locks the SKU rows: slow, but correct, and only while the gate is away.
 * It does not throttle hot SKUs (throttlePerSecond): the throttle's schedule lives in Redis, and the
 * row locks already serialise a hot SKU's requests here.
 */
export function takeInDatabase<A>(s: Services, req: GatedRequest<A>): Promise<A> {
  const skuIds = req.lines.map((l) => l.skuId);
  return changeTruth(s, skuIds, 'fence', async (tx, epochs) => {
    const unknown = skuIds.filter((id) => !epochs.has(id));
    if (unknown.length > 0) throw new UnknownSku(unknown);
    const [first] = await tx.$queryRawUnsafe<{ fingerprint: string; result: A }[]>(
      `SELECT fingerprint, result FROM gate_request WHERE kind = $1::"MovementKind" AND idempotency_key = $2`,
      req.kind,
      req.idempotencyKey,
    );
    if (first) {
      if (first.fingerprint !== req.fingerprint) throw new IdempotencyConflict(req.idempotencyKey);
      return { result: first.result, movements: [] };
    }
    const truth = await readTruth(tx, skuIds);
    const short = req.lines
      .map((l) => ({ l, t: truth.get(l.skuId)! }))
      .filter(({ l, t }) => !t.unlimited && t.available - l.quantity < -t.backorderLimit)
      .map(({ l, t }) => ({ skuId: l.skuId, requested: l.quantity, available: t.available + t.backorderLimit }));
    if (short.length > 0) throw new InsufficientStock(short);

    const result = req.answer(
      req.lines.map((l) => {
        const t = truth.get(l.skuId)!;
        return { skuId: l.skuId, quantity: l.quantity, available: t.unlimited ? null : t.available - l.quantity };
      }),
    );
    await tx.gateRequest.create({
      data: {
        kind: req.kind,
        idempotencyKey: req.idempotencyKey,
        orderId: req.orderId,
        fingerprint: req.fingerprint,
        result: result as Prisma.InputJsonValue,
        gateId: randomUUID(),
      },
    });
    if (req.kind === 'RESERVE') await tx.reservation.create({ data: { orderId: req.orderId, deadline: req.deadline! } });
    const movements: MovementRow[] = req.lines.map((l, i) => ({
      kind: req.kind,
      skuId: l.skuId,
      quantity: l.quantity,
      deltaAvailable: truth.get(l.skuId)!.unlimited ? 0 : -l.quantity,
      deltaReserved: req.kind === 'RESERVE' ? l.quantity : 0,
      deltaSold: req.kind === 'DEDUCT' ? l.quantity : 0,
      orderId: req.orderId,
      orderLine: i + 1,
      idempotencyKey: req.idempotencyKey,
    }));
    return { result, movements };
  });
}
