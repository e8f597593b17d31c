import { randomUUID } from 'node:crypto';
import type { Tx } from '../../db/client.ts';
import type { LocationUnits, SkuStock } from '../../inventory.ts';
import { readTruth } from '../../ledger/truth.ts';
import { commitChange, fenceHeld, type Change, type MovementRow } from '../../sync/outbox.ts';
import { allocateFromTruth } from '../locations.ts';
import { replayOnDuplicate, storedTakeAnswer } from '../idempotency.ts';
import { InsufficientStock, UnknownSku } from '../outcomes.ts';
import type { Services } from '../services.ts';
import { answered, type TakeRequest } from './request.ts';

/**
 * The database-only path (seeds 001 and 003): what a deduct or reserve does while the Redis gate is
 * unreachable from this instance. One transaction: lock the SKU rows, check the truth, write the
 * ledger rows and the idempotency record.
 *
 * It sells only units withheld from the gate (sku.withheld), never the gate's share, so the counters
 * that other instances still sell from stay right and nobody is fenced on every request (an instance
 * cut off from Redis used to stop every other instance's sales of the SKU). When too few are withheld,
 * it withholds more in the same transaction, which bumps the epoch once (see `withhold`); the gate
 * takes some back, without a fence, when its share runs short (returnWithheld in src/sync/outbox.ts).
 * It does not throttle hot SKUs (throttlePerSecond): the throttle's schedule lives in Redis, and the
 * row locks already serialise a hot SKU's requests here.
 */
export async function takeInDatabase<A>(s: Services, req: TakeRequest<A>): Promise<A> {
  // Another reserve under the same client key for another order committed first.
  const answer = await replayOnDuplicate(
    () =>
      commitChange(
        s,
        req.lines.map((l) => l.skuId),
        'take',
        (tx, epochs) => takeUnderRowLocks(tx, req, epochs),
      ),
    () => storedTakeAnswer<A>(s.prisma, req),
  );
  await intoReplayFilter(s, req);
  return answer;
}

/**
 * Puts the key into the gate's replay filter before answering, where Redis can be reached (the
 * database-only mode, a gate call that failed once): otherwise a replay refused on a sold-out SKU could
 * skip the ledger that holds this answer. Where it cannot (the breaker is open), its row in
 * replay_filter_pending waits for reconciliation (src/sync/replay-filter.ts) to move it.
 */
async function intoReplayFilter<A>(s: Services, req: TakeRequest<A>): Promise<void> {
  if (s.gate.breaker.open) return;
  try {
    await s.gate.addToReplayFilter([s.gate.trace(req.kind, req.idempotencyKey)]);
  } catch (err) {
    s.log.warn({ err, orderId: req.orderId }, 'could not put a database-only take into the replay filter; reconciliation will');
  }
}

/** Under the SKU rows' locks: replay, refuse, or take from the withheld units (withholding more first). */
async function takeUnderRowLocks<A>(tx: Tx, req: TakeRequest<A>, epochs: Map<string, number>): Promise<Change<A>> {
  const skuIds = req.lines.map((l) => l.skuId);
  const unknown = skuIds.filter((id) => !epochs.has(id));
  if (unknown.length > 0) throw new UnknownSku(unknown);
  const first = await storedTakeAnswer<A>(tx, req);
  if (first !== null) return { result: first, movements: [] };
  const truth = await readTruth(tx, skuIds);
  const of = (id: string) => truth.get(id)!;
  const allocated = req.lines.map((l) => allocateFromTruth(of(l.skuId), l.quantity, l.locationId));
  const short = req.lines.flatMap((l, i) =>
    allocated[i]!.sources === null ? [{ skuId: l.skuId, requested: l.quantity, obtainable: allocated[i]!.obtainable }] : [],
  );
  if (short.length > 0) throw new InsufficientStock(short);
  const sources = allocated.map((a) => a.sources!);
  const limited = req.lines.filter((l) => !of(l.skuId).unlimited);
  const fenced = await withhold(
    tx,
    limited.filter((l) => !perLocation(of(l.skuId))).map((l) => ({ truth: of(l.skuId), quantity: l.quantity })),
  );
  for (const [skuId, epoch] of await fenceHeld(
    tx,
    limited.filter((l) => perLocation(of(l.skuId))).map((l) => l.skuId),
  ))
    fenced.set(skuId, epoch);

  const kept = req.kept(
    req.lines.map((l, i) => ({
      skuId: l.skuId,
      quantity: l.quantity,
      available: of(l.skuId).unlimited ? null : of(l.skuId).available - l.quantity,
      allocations: sources[i]!,
    })),
  );
  await tx.gateRequest.create({
    data: {
      kind: req.kind,
      idempotencyKey: req.idempotencyKey,
      clientKey: req.clientKey ?? null,
      orderId: req.orderId,
      fingerprint: req.fingerprint,
      answer: JSON.stringify(kept),
      gateId: randomUUID(),
    },
  });
  // Its key went around the gate, so the gate's replay filter lacks it until src/sync/replay-filter.ts moves it there.
  await tx.replayFilterPending.create({ data: { kind: req.kind, idempotencyKey: req.idempotencyKey } });
  if (req.kind === 'RESERVE') await tx.reservation.create({ data: { orderId: req.orderId, deadline: req.deadline! } });
  return { result: answered(req, kept), movements: takeMovements(req, of, sources), fenced };
}

/**
 * A SKU whose counter keeps stock per location (src/gate/buckets.ts, locationShares): which location's
 * share withheld units would come off is not fixed, so a database-only take of it fences the SKU (its
 * counter loads again from the truth) instead of selling withheld units.
 */
function perLocation(stock: SkuStock): boolean {
  return stock.locations !== undefined && stock.buckets === 1;
}

/** The ledger rows of a database-only take: a movement per line and location, selling withheld units (or fenced ones). */
function takeMovements<A>(req: TakeRequest<A>, of: (skuId: string) => SkuStock, sources: LocationUnits[][]): MovementRow[] {
  return req.lines.flatMap((l, i) => {
    const stock = of(l.skuId);
    const unlimited = stock.unlimited;
    return sources[i]!.map((from) => ({
      kind: req.kind,
      skuId: l.skuId,
      quantity: from.quantity,
      deltaAvailable: unlimited ? 0 : -from.quantity,
      deltaReserved: req.kind === 'RESERVE' ? from.quantity : 0,
      deltaSold: req.kind === 'DEDUCT' ? from.quantity : 0,
      deltaWithheld: unlimited || perLocation(stock) ? 0 : -from.quantity,
      unlimitedQuantity: unlimited ? from.quantity : 0,
      orderId: req.orderId,
      orderLine: i + 1,
      idempotencyKey: req.idempotencyKey,
      locationId: from.locationId,
    }));
  });
}

/**
 * Withholds more units from the gate's share where a line needs more than are withheld: at least what
 * it lacks, and half of what the share has above its floor, so a long outage fences the gate a few
 * times (each halving), not once per request. Bumping the epoch in the same statement fences the
 * takes that passed the old counter (the ledger refuses them, src/ledger/group-commit.ts), so no unit
 * is sold by both sides. The caller checked that the SKU has the units (available - quantity ≥ floor),
 * which is what makes the share's spare cover what is lacking. The rows are locked FOR UPDATE already
 * ('take'), which the ledger's KEY SHARE waits for: this UPDATE alone (NO KEY UPDATE) would not fence.
 * Returns the new epochs of the SKUs it fenced.
 */
async function withhold(tx: Tx, lines: { truth: SkuStock; quantity: number }[]): Promise<Map<string, number>> {
  const fenced = new Map<string, number>();
  for (const { truth, quantity } of lines) {
    const lacking = quantity - truth.withheld;
    if (lacking <= 0) continue;
    const spare = truth.available - truth.withheld + truth.backorderLimit;
    const more = Math.min(spare, Math.max(lacking, Math.ceil(spare / 2)));
    const [row] = await tx.$queryRawUnsafe<{ epoch: number }[]>(
      `UPDATE sku SET epoch = epoch + 1, withheld = withheld + $2, updated_at = now() WHERE id = $1 RETURNING epoch`,
      truth.skuId,
      more,
    );
    fenced.set(truth.skuId, row!.epoch);
  }
  return fenced;
}
