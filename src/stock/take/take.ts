import { GateDown } from '../../gate/breaker.ts';
import type { Services } from '../services.ts';
import { takeInDatabase } from './in-database.ts';
import type { TakeRequest } from './request.ts';
import { takeThroughGate } from './through-gate.ts';

/**
 * Takes units for a deduct or reserve: through the Redis gate (takeThroughGate), or, while Redis is
 * unreachable (the breaker is open, or the gate call failed to connect), through PostgreSQL alone
 * (takeInDatabase). The one place that picks the path.
 * Domain outcomes are thrown as Outcome errors for the result union; TEMPORARILY_UNAVAILABLE means
 * nothing moved and the request may be retried with the same key.
 */
export async function take<A>(s: Services, req: TakeRequest<A>): Promise<A> {
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
