import { GateDown } from '../../gate/breaker.ts';
import { roundsByKey } from '../../gate/gate.ts';
import { Outcome } from '../outcomes.ts';
import type { Services } from '../services.ts';
import { takeInDatabase } from './in-database.ts';
import type { TakeRequest } from './request.ts';
import { pinnedLocations, requireLocations } from '../locations.ts';
import { takeManyThroughGate, takeThroughGate } from './through-gate.ts';

/**
 * Takes units for a deduct or reserve: through the Redis gate (takeThroughGate), or, while Redis is
 * unreachable (the breaker is open, or the gate call failed to connect), through PostgreSQL alone
 * (takeInDatabase). The one place that picks the path.
 * Domain outcomes are thrown as Outcome errors for the result union; TEMPORARILY_UNAVAILABLE means
 * nothing moved and the request may be retried with the same key.
 */
export async function take<A>(s: Services, req: TakeRequest<A>): Promise<A> {
  await requireLocations(s.prisma, pinnedLocations(req.lines, ''));
  return takeKnown(s, req);
}

/** take() of a request whose locations are known to exist. */
async function takeKnown<A>(s: Services, req: TakeRequest<A>): Promise<A> {
  if (s.databaseOnly) return takeInDatabase(s, req);
  if (s.gate.breaker.open) {
    s.metrics?.gateOutcome(req.kind, 'fallback');
    return takeInDatabase(s, req);
  }
  try {
    return await takeThroughGate(s, req);
  } catch (err) {
    if (!(err instanceof GateDown)) throw err;
    s.log.warn({ orderId: req.orderId }, 'gate unreachable; taking through PostgreSQL');
    s.metrics?.gateOutcome(req.kind, 'fallback');
    return takeInDatabase(s, req);
  }
}

/**
 * Takes for many carts at once (a batch), each all or nothing on its own: through the gate in one
 * pipeline (takeManyThroughGate), or, while Redis is unreachable, each as take() would. One answer per
 * request, in order: its success, or the Outcome it met. A cart that could not be settled
 * (TEMPORARILY_UNAVAILABLE, an unexpected error) fails the whole batch with its error: the carts that
 * went through replay their answers when the batch is sent again.
 */
export async function takeMany<A>(s: Services, reqs: TakeRequest<A>[]): Promise<(A | Outcome)[]> {
  await requireLocations(
    s.prisma,
    reqs.flatMap((req, i) => pinnedLocations(req.lines, `carts.${i}.`)),
  );
  // A key's later carts wait for the earlier ones: they must meet their record (a replay, or a conflict),
  // and a cart whose counter had to be loaded would otherwise retry after the later one took.
  const settled: PromiseSettledResult<A>[] = new Array<PromiseSettledResult<A>>(reqs.length);
  for (const part of roundsByKey(reqs)) {
    const results = await takeEach(
      s,
      part.map((i) => reqs[i]!),
    );
    part.forEach((i, j) => (settled[i] = results[j]!));
  }
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof Outcome));
  if (failed) throw failed.reason;
  return settled.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Outcome)));
}

/** takeMany's carts with distinct keys: one gate pipeline, or each on its own while Redis is away. */
async function takeEach<A>(s: Services, reqs: TakeRequest<A>[]): Promise<PromiseSettledResult<A>[]> {
  if (reqs.length === 0) return [];
  const eachAlone = () => Promise.allSettled(reqs.map((req) => takeKnown(s, req)));
  if (s.databaseOnly || s.gate.breaker.open) return eachAlone();
  try {
    return await takeManyThroughGate(s, reqs);
  } catch (err) {
    if (!(err instanceof GateDown)) throw err;
    s.log.warn({ carts: reqs.length }, 'gate unreachable for a batch; taking each cart as it can');
    return eachAlone();
  }
}
