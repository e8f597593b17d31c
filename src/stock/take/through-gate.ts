import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TakeOutcome, TakeRecord } from '../../gate/gate.ts';
import { LedgerBackpressure, type LedgerEntry, type LedgerOutcome } from '../../ledger/group-commit.ts';
import { loadCounters } from '../../sync/load.ts';
import { returnWithheld } from '../../sync/outbox.ts';
import { answerFrom, storedTakeAnswer, storedTakes } from '../idempotency.ts';
import { IdempotencyConflict, InsufficientStock, Throttled, UnknownSku } from '../outcomes.ts';
import type { Services } from '../services.ts';
import { unavailable } from '../../errors.ts';
import { answered, type KeptAnswer, type TakeRequest } from './request.ts';
import type { TakeKind } from '../../inventory.ts';

/**
 * Gate attempts per request: loading counters, a fence, taking withheld units back, or a first attempt
 * that failed each cost one; a fence costs two (the fenced take, then the reload). Ten outlast four
 * fences in one request, which a cart of hot SKUs meets while an instance cut off from Redis keeps
 * withholding units of them (measured: six left about 1 % of such carts TEMPORARILY_UNAVAILABLE).
 */
const MAX_GATE_ATTEMPTS = 10;
/** How long a replay waits for the first request with its key to reach the ledger (another instance's batch). */
const REPLAY_WAIT_MS = 5_000;
const REPLAY_POLL_MS = 10;

/** What an attempt that did not settle the request asks for: another gate attempt. */
const TRY_AGAIN = Symbol('try the gate again');
/**
 * A replay whose first request gave its key back (its own attempt met a missing counter or a fence):
 * another attempt, which does not count against MAX_GATE_ATTEMPTS, as the first request's trouble is
 * not this one's. With several gate shards a cart's record is taken before its lines, so while a counter
 * loads, every concurrent send of one key met the record of another that then gave it back, round after
 * round: ten rounds took less than one load (TEMPORARILY_UNAVAILABLE in test/deduct.test.ts on a Redis
 * Cluster). Bounded by REPLAY_WAIT_MS instead, one REPLAY_POLL_MS apart.
 */
const FIRST_GAVE_BACK = Symbol('the first request with this key gave it back');
type Attempt<A> = A | typeof TRY_AGAIN | typeof FIRST_GAVE_BACK;

/** The hot path (DESIGN.md): one gate call, a group-committed ledger write, then the answer. */
export async function takeThroughGate<A>(s: Services, req: TakeRequest<A>): Promise<A> {
  const replayDeadline = Date.now() + REPLAY_WAIT_MS;
  let attempts = 0;
  while (attempts < MAX_GATE_ATTEMPTS) {
    const gateId = randomUUID();
    const took = await s.gate.take(req.kind, req.idempotencyKey, req.fingerprint, gateId, req.lines);
    s.metrics?.gateOutcome(req.kind, took.kind);
    const answer = await afterGate(s, req, gateId, took);
    if (answer === FIRST_GAVE_BACK && Date.now() < replayDeadline) {
      await sleep(REPLAY_POLL_MS);
      continue;
    }
    if (answer !== TRY_AGAIN && answer !== FIRST_GAVE_BACK) return answer;
    attempts++;
  }
  throw unavailable('stock counters kept changing during this request');
}

/**
 * Many carts at once (a batch): one gate pipeline for every cart's first attempt; the carts it took go
 * to the ledger together (commitTakes), the others are answered each on its own; a cart that must try
 * again goes the single way. One settled result per request, in order: its answer, or what it threw.
 */
export async function takeManyThroughGate<A>(s: Services, reqs: TakeRequest<A>[]): Promise<PromiseSettledResult<A>[]> {
  const gateIds = reqs.map(() => randomUUID());
  const took = await s.gate.takeMany(
    reqs.map((req, i) => ({
      kind: req.kind,
      idempotencyKey: req.idempotencyKey,
      fingerprint: req.fingerprint,
      gateId: gateIds[i]!,
      lines: req.lines,
    })),
  );
  // The refusals that must look in the ledger read it in one query, not one each.
  const refusals = reqs.flatMap((req, i) => {
    const outcome = took[i]!;
    return outcome.kind === 'short' && withheldLines(outcome).length === 0 && keyMayBeTaken(req, outcome) ? [i] : [];
  });
  const records = await storedTakes(
    s.prisma,
    refusals.map((i) => reqs[i]!),
  );
  const recordOf = new Map(refusals.map((i, j) => [i, records[j]]));
  countOutcomes(s, reqs, took);
  const settled = new Array<PromiseSettledResult<A>>(reqs.length);
  // An attempt that did not settle its cart: the cart goes the single way.
  const unsettled = (answer: Attempt<A>): answer is typeof TRY_AGAIN | typeof FIRST_GAVE_BACK =>
    answer === TRY_AGAIN || answer === FIRST_GAVE_BACK;
  /** Each cart of `at` (its place in reqs) settled by `run`, as Promise.allSettled reports it. */
  const settleEach = (at: number[], run: (i: number) => Promise<A>) =>
    Promise.allSettled(at.map(run)).then((results) => results.forEach((result, j) => (settled[at[j]!] = result)));
  const taken: (Taken<A> & { at: number })[] = [];
  const others: number[] = [];
  took.forEach((outcome, i) => {
    if (outcome.kind === 'taken') taken.push({ at: i, req: reqs[i]!, gateId: gateIds[i]!, record: outcome.record });
    else others.push(i);
  });
  await Promise.all([
    // The carts taken, most of a batch: one ledger hand-off for them all (commitTakes), no promise each.
    commitTakes(s, taken).then(
      (attempts) => {
        const again: number[] = [];
        attempts.forEach((attempt, j) => {
          const { at } = taken[j]!;
          if (unsettled(attempt)) again.push(at);
          else settled[at] = { status: 'fulfilled', value: attempt };
        });
        return settleEach(again, (i) => takeThroughGate(s, reqs[i]!));
      },
      (err: unknown) => taken.forEach(({ at }) => (settled[at] = { status: 'rejected', reason: err })),
    ),
    settleEach(others, async (i) => {
      const req = reqs[i]!;
      const stored = recordOf.has(i) ? () => Promise.resolve(answerFrom<A>(req, recordOf.get(i))) : undefined;
      const answer = await afterGate(s, req, gateIds[i]!, took[i]!, stored);
      return unsettled(answer) ? takeThroughGate(s, req) : answer;
    }),
  ]);
  return settled;
}

/** The metric of gate outcomes, one increment per kind and outcome met rather than one per cart. */
function countOutcomes(s: Services, reqs: readonly TakeRequest<unknown>[], took: readonly TakeOutcome[]): void {
  if (!s.metrics) return;
  const counts = new Map<string, { kind: TakeKind; outcome: TakeOutcome['kind']; count: number }>();
  reqs.forEach((req, i) => {
    const outcome = took[i]!.kind;
    const counted = counts.get(`${req.kind} ${outcome}`);
    if (counted) counted.count++;
    else counts.set(`${req.kind} ${outcome}`, { kind: req.kind, outcome, count: 1 });
  });
  for (const { kind, outcome, count } of counts.values()) s.metrics.gateOutcome(kind, outcome, count);
}

/**
 * Acts on what one gate attempt met: an answer, an outcome thrown, or TRY_AGAIN. `stored` reads the
 * key's first answer from the ledger for a refusal (a batch reads its carts' together).
 */
async function afterGate<A>(
  s: Services,
  req: TakeRequest<A>,
  gateId: string,
  took: TakeOutcome,
  stored: () => Promise<A | null> = () => storedTakeAnswer<A>(s.prisma, req),
): Promise<Attempt<A>> {
  const { lines } = req;
  switch (took.kind) {
    case 'missing': {
      const unknown = await loadCounters(
        s.gate,
        s.prisma,
        took.indexes.map((i) => lines[i]!.skuId),
      );
      if (unknown.length > 0) throw new UnknownSku(unknown);
      return TRY_AGAIN;
    }
    case 'conflict':
      throw new IdempotencyConflict(req.idempotencyKey);
    case 'throttled':
      // Not checked against the ledger like a shortage: a replay whose record Redis forgot gets its
      // first answer once through the throttle (the ledger refuses the duplicate), and a hot SKU's
      // stampede never reaches PostgreSQL.
      throw new Throttled(
        took.indexes.map((i) => lines[i]!.skuId),
        took.retryAfterMs,
      );
    case 'short':
      return whenShort(s, req, took, stored);
    case 'replay':
      return (await awaitFirstAnswer(s, req, took.gateToken)) ?? FIRST_GAVE_BACK;
    case 'taken':
      return (await commitTakes(s, [{ req, gateId, record: took.record }]))[0]!;
  }
}

type Short = Extract<TakeOutcome, { kind: 'short' }>;

/** Units withheld for the database-only path are still this SKU's: short lines with some take them back and retry. */
const withheldLines = (took: Short) => took.lines.filter((l) => l.withheld > 0);

/**
 * Redis forgets records (after IDEMPOTENCY_RECORD_SECONDS, or a flush), PostgreSQL does not: a refused
 * key may replay a request that succeeded, whose first answer it gets (I4), not today's shortage.
 * Unless the replay filter proves the key was never taken: then a sold-out stampede never reaches
 * PostgreSQL. A reserve's client key is a second key the filter does not hold (it may serve one order
 * alone): only the ledger can say whether it was used for another order (IdempotencyConflict).
 */
const keyMayBeTaken = (req: TakeRequest<unknown>, took: Short): boolean => !took.fresh || !!req.clientKey;

/** The gate's share cannot serve some lines. */
async function whenShort<A>(s: Services, req: TakeRequest<A>, took: Short, stored: () => Promise<A | null>): Promise<Attempt<A>> {
  const { lines } = req;
  const short = took.lines;
  // Never a shortage while withheld units exist; the attempts bound a tug of war with that path.
  const withheld = withheldLines(took);
  if (withheld.length > 0) {
    await returnWithheld(s, new Map(withheld.map((l) => [lines[l.index]!.skuId, lines[l.index]!.quantity - l.available])));
    return TRY_AGAIN;
  }
  if (keyMayBeTaken(req, took)) {
    const first = await stored();
    if (first) return first;
  }
  throw new InsufficientStock(
    short.map(({ index, available, withheld }) => ({
      skuId: lines[index]!.skuId,
      requested: lines[index]!.quantity,
      obtainable: available + withheld,
    })),
  );
}

/** A cart whose every line the gate took, with the attempt that took them. */
interface Taken<A> {
  req: TakeRequest<A>;
  gateId: string;
  record: TakeRecord;
}

/**
 * Carts the gate took: write their ledger rows, and answer each only once it committed (I2). A batch's
 * carts are handed to the group commit together and waited for once, not with a promise each; the
 * carts the ledger did not commit (a duplicate, a fence) are then settled one by one. One attempt per
 * cart, in order; a failed write throws for them all.
 */
async function commitTakes<A>(s: Services, takes: readonly Taken<A>[]): Promise<Attempt<A>[]> {
  const kept = takes.map(({ req, record }) =>
    req.kept(
      req.lines.map((l, i) => ({
        skuId: l.skuId,
        quantity: l.quantity,
        available: record.unlimited[i] ? null : (record.availableAfter[i] ?? null),
        // Left out when every unit came from `default` (TakenLine.allocations), so the stored answer of
        // most carts is a quarter shorter: what the server writes and PostgreSQL stores for every cart.
        allocations: record.sources[i] ?? undefined,
      })),
    ),
  );
  const entries = takes.map((take, i) => ledgerEntry(take, kept[i]!));
  const outcomes = await writeLedger(s, entries);
  const attempts: Attempt<A>[] = new Array<Attempt<A>>(takes.length);
  const changed = new Set<string>();
  const uncommitted: number[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome !== 'committed') uncommitted.push(i);
    else {
      attempts[i] = answered(takes[i]!.req, kept[i]!);
      for (const line of takes[i]!.req.lines) changed.add(line.skuId);
    }
  });
  if (changed.size > 0) s.levelsChanged([...changed]);
  await Promise.all(
    uncommitted.map(async (i) => {
      attempts[i] = await notCommitted(s, takes[i]!.req, entries[i]!, outcomes[i]!);
    }),
  );
  return attempts;
}

/** A taken cart's ledger rows, keeping `kept` of its answer. */
function ledgerEntry<A>({ req, gateId, record }: Taken<A>, kept: KeptAnswer<A>): LedgerEntry {
  return {
    kind: req.kind,
    gateId,
    idempotencyKey: req.idempotencyKey,
    ...(req.clientKey ? { clientKey: req.clientKey } : {}),
    orderId: req.orderId,
    fingerprint: req.fingerprint,
    kept,
    ...(req.deadline ? { deadline: req.deadline } : {}),
    // Named fields, not `{ ...l, ... }`: spreading a line into a wider object took 4 % of the server's CPU
    // in a hot SKU ×100 window (its profile, by column), the ledger reads only these.
    lines: req.lines.map((l, i) => ({
      skuId: l.skuId,
      quantity: l.quantity,
      epoch: record.epochs[i]!,
      unlimited: record.unlimited[i]!,
      sources: record.sources[i] ?? null,
    })),
  };
}

/**
 * Writes the ledger rows.
 *
 * A failed write gives nothing back here unless it never reached PostgreSQL (backpressure): a write
 * whose connection broke may have committed, and giving its units back would let them be sold twice.
 * Its takes stay in flight, and reconciliation (src/sync/reconcile.ts) settles them from the truth.
 */
async function writeLedger(s: Services, entries: readonly LedgerEntry[]): Promise<LedgerOutcome[]> {
  try {
    return await s.ledger.writeMany(entries);
  } catch (err) {
    if (err instanceof LedgerBackpressure) {
      await Promise.all(entries.map((entry) => giveBack(s, entry)));
      throw unavailable('too many requests waiting for the ledger');
    }
    s.log.error({ err, gateIds: entries.map((entry) => entry.gateId) }, 'ledger write failed; reconciliation will settle its units');
    throw unavailable('the ledger could not be written');
  }
}

/**
 * A take the ledger did not commit gives its units back before answering; a fenced take also drops the
 * stale counters, so the retry loads the truth. A duplicate answers the first request's answer.
 */
async function notCommitted<A>(s: Services, req: TakeRequest<A>, entry: LedgerEntry, outcome: LedgerOutcome): Promise<Attempt<A>> {
  await giveBack(s, entry);
  if (outcome === 'fenced') {
    const rows = await s.prisma.sku.findMany({ where: { id: { in: entry.lines.map((l) => l.skuId) } }, select: { id: true, epoch: true } });
    await s.gate.invalidateAll(rows.map((r) => ({ skuId: r.id, epoch: r.epoch })));
  }
  if (outcome === 'duplicate') {
    const stored = await storedTakeAnswer<A>(s.prisma, req);
    if (stored) return stored;
  }
  return TRY_AGAIN;
}

/** Returns what an attempt took; if Redis is unreachable, reconciliation returns it later (I3). */
async function giveBack(s: Services, entry: LedgerEntry): Promise<void> {
  try {
    await s.gate.release({ ...entry, skuIds: entry.lines.map((l) => l.skuId) });
  } catch (err) {
    s.log.error({ err, gateId: entry.gateId }, 'could not give units back to the gate; reconciliation will');
  }
}

/**
 * A replay answers what the first request answered, and not before that answer is in the ledger (I2).
 * Returns null when the first attempt failed and gave its key back, so the replay goes through the gate.
 */
async function awaitFirstAnswer<A>(s: Services, req: TakeRequest<A>, gateToken: string): Promise<A | null> {
  const deadline = Date.now() + REPLAY_WAIT_MS;
  for (;;) {
    const stored = await storedTakeAnswer<A>(s.prisma, req);
    if (stored) return stored;
    if ((await s.gate.recordedGateToken(req.kind, req.idempotencyKey)) !== gateToken) return null;
    if (Date.now() > deadline) throw unavailable('the first request with this idempotency key is still being written');
    await sleep(REPLAY_POLL_MS);
  }
}
