/**
 * The tests' own operations (test/support/ops.ts) are typed documents of the same generation as the client
 * suite's: each export is the generated document's text (a `graphql()` call whose text drifted from the
 * generated map would answer nothing), and each is valid against the live server's schema.
 */
import { buildClientSchema, parse, validate, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import * as generated from '../support/graphql/graphql.ts';
import * as ops from '../support/ops.ts';
import { useStack } from '../support/stack.ts';
import { introspect } from './support.ts';

const stack = useStack();
let schema: GraphQLSchema;

beforeAll(async () => {
  schema = buildClientSchema(await introspect(stack.svc.url));
});

/** Each export of ops.ts with the generated document of the same operation. */
const pairs: [keyof typeof ops, { toString(): string }][] = [
  ['DEDUCT', generated.DeductDocument],
  ['DEDUCT_BATCH', generated.DeductBatchDocument],
  ['RESERVE', generated.ReserveDocument],
  ['RESERVE_BATCH', generated.ReserveBatchDocument],
  ['CONFIRM', generated.ConfirmDocument],
  ['RELEASE', generated.ReleaseDocument],
  ['RESERVATION', generated.ReservationDocument],
  ['REFUND', generated.RefundDocument],
  ['RESTOCK', generated.RestockDocument],
  ['SET_STOCK', generated.SetStockDocument],
  ['SET_STOCK_BATCH', generated.SetStockBatchDocument],
  ['UPSERT', generated.UpsertDocument],
  ['SKUS', generated.SkusDocument],
  ['SKU', generated.SkuDocument],
  ['UPSERT_THROTTLE', generated.UpsertThrottleDocument],
  ['UPSERT_BUCKETS', generated.UpsertBucketsDocument],
  ['SOLD_THROTTLE', generated.SoldThrottleDocument],
  ['ORDER', generated.OrderDocument],
  ['ORDER_WITH_RESERVATION', generated.OrderWithReservationDocument],
  ['MOVEMENTS', generated.MovementsDocument],
  ['STOCK_LEVELS', generated.LevelsDocument],
  ['STOCK_ALERTS', generated.AlertsDocument],
  ['STOCK_MOVEMENTS', generated.StockMovementsDocument],
  ['STOCK_AUDIT', generated.StockAuditDocument],
  ['RECONCILE_STOCK', generated.ReconcileStockDocument],
  ['UPSERT_LOCATIONS', generated.UpsertLocationsDocument],
  ['DEDUCT_ALLOCATED', generated.DeductAllocatedDocument],
  ['DEDUCT_BATCH_ALLOCATED', generated.DeductBatchAllocatedDocument],
  ['RESERVE_ALLOCATED', generated.ReserveAllocatedDocument],
  ['SKU_LEVELS', generated.SkuLevelsDocument],
  ['TRANSFER_STOCK', generated.TransferStockDocument],
];

describe('the operations of test/support/ops.ts', () => {
  it('are all here, each the text of its generated typed document', () => {
    expect(pairs.map(([name]) => name).sort()).toEqual(Object.keys(ops).sort());
    for (const [name, document] of pairs) expect(ops[name], name).toBe(document.toString());
  });

  it.each(pairs.map(([name]) => name))('%s is valid against the live server', (name) => {
    expect(validate(schema, parse(ops[name])).map(String)).toEqual([]);
  });
});
