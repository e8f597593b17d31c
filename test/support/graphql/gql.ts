/* eslint-disable */
import * as types from './graphql.ts';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment ClientSku on Sku {\n    id\n    available\n    reserved\n    sold\n  }\n": typeof types.ClientSkuFragmentDoc,
    "\n  fragment ClientTakenLine on TakenLine {\n    skuId\n    quantity\n    availableAfter\n    sku {\n      ...ClientSku\n    }\n  }\n": typeof types.ClientTakenLineFragmentDoc,
    "\n  fragment ClientIdempotencyConflict on IdempotencyConflict {\n    code\n    message\n    idempotencyKey\n  }\n": typeof types.ClientIdempotencyConflictFragmentDoc,
    "\n  fragment ClientInsufficientStock on InsufficientStock {\n    code\n    message\n    lines {\n      skuId\n      requested\n      obtainable\n      sku {\n        ...ClientSku\n      }\n    }\n  }\n": typeof types.ClientInsufficientStockFragmentDoc,
    "\n  fragment ClientThrottled on Throttled {\n    code\n    message\n    skuIds\n    retryAfterMs\n  }\n": typeof types.ClientThrottledFragmentDoc,
    "\n  fragment ClientUnknownSku on UnknownSku {\n    code\n    message\n    skuIds\n  }\n": typeof types.ClientUnknownSkuFragmentDoc,
    "\n  fragment ClientReservation on Reservation {\n    id\n    orderId\n    state\n    deadline\n    lines {\n      skuId\n      reserved\n      confirmed\n      released\n      expired\n      held\n    }\n  }\n": typeof types.ClientReservationFragmentDoc,
    "\n  fragment ClientSettleRefused on Outcome {\n    code\n    message\n    ... on ReservationExpired {\n      orderId\n      deadline\n    }\n    ... on ReservationAlreadyConfirmed {\n      orderId\n    }\n    ... on ReservationAlreadyReleased {\n      orderId\n    }\n    ... on UnknownReservation {\n      orderId\n    }\n    ... on ExceedsReserved {\n      lines {\n        skuId\n        held\n        requested\n        sku {\n          ...ClientSku\n        }\n      }\n    }\n    ... on SkuNotInOrder {\n      orderId\n      skuIds\n    }\n    ... on IdempotencyConflict {\n      idempotencyKey\n    }\n  }\n": typeof types.ClientSettleRefusedFragmentDoc,
    "\n  fragment ClientDeductAnswer on DeductStockResult {\n    __typename\n    ... on Outcome {\n      code\n      message\n    }\n    ... on DeductStockSuccess {\n      orderId\n      idempotencyKey\n      lines {\n        ...ClientTakenLine\n      }\n    }\n    ...ClientIdempotencyConflict\n    ...ClientInsufficientStock\n    ...ClientThrottled\n    ...ClientUnknownSku\n  }\n": typeof types.ClientDeductAnswerFragmentDoc,
    "\n  mutation ClientDeduct($input: DeductStockInput!) {\n    deductStock(input: $input) {\n      ...ClientDeductAnswer\n    }\n  }\n": typeof types.ClientDeductDocument,
    "\n  mutation ClientDeductBatch($input: DeductStockBatchInput!) {\n    deductStockBatch(input: $input) {\n      results {\n        ...ClientDeductAnswer\n      }\n    }\n  }\n": typeof types.ClientDeductBatchDocument,
    "\n  mutation ClientReserve($input: ReserveStockInput!) {\n    reserveStock(input: $input) {\n      __typename\n      ... on ReserveStockSuccess {\n        orderId\n        idempotencyKey\n        deadline\n        lines {\n          ...ClientTakenLine\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientInsufficientStock\n      ...ClientThrottled\n      ...ClientUnknownSku\n    }\n  }\n": typeof types.ClientReserveDocument,
    "\n  mutation ClientConfirm($input: ConfirmReservationInput!) {\n    confirmReservation(input: $input) {\n      __typename\n      ... on ConfirmReservationSuccess {\n        reservation {\n          ...ClientReservation\n        }\n      }\n      ...ClientSettleRefused\n    }\n  }\n": typeof types.ClientConfirmDocument,
    "\n  mutation ClientRelease($input: ReleaseReservationInput!) {\n    releaseReservation(input: $input) {\n      __typename\n      ... on ReleaseReservationSuccess {\n        reservation {\n          ...ClientReservation\n        }\n      }\n      ...ClientSettleRefused\n    }\n  }\n": typeof types.ClientReleaseDocument,
    "\n  mutation ClientRefund($input: RefundStockInput!) {\n    refundStock(input: $input) {\n      __typename\n      ... on RefundStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          skuId\n          quantity\n          deducted\n          refunded\n          refundable\n          sku {\n            ...ClientSku\n          }\n        }\n      }\n      ... on RefundExceedsDeducted {\n        code\n        message\n        lines {\n          skuId\n          deducted\n          alreadyRefunded\n          requested\n        }\n      }\n      ... on UnknownOrder {\n        code\n        message\n        orderId\n      }\n      ... on SkuNotInOrder {\n        code\n        message\n        orderId\n        skuIds\n      }\n      ...ClientIdempotencyConflict\n    }\n  }\n": typeof types.ClientRefundDocument,
    "\n  mutation ClientRestock($input: RestockInput!) {\n    restock(input: $input) {\n      __typename\n      ... on RestockSuccess {\n        skuId\n        quantity\n        availableAfter\n        sku {\n          ...ClientSku\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientUnknownSku\n    }\n  }\n": typeof types.ClientRestockDocument,
    "\n  fragment ClientSetStockAnswer on SetStockResult {\n    __typename\n    ... on SetStockSuccess {\n      sku {\n        ...ClientSku\n      }\n    }\n    ... on StockChanged {\n      code\n      message\n      skuId\n      expectedAvailable\n      currentAvailable\n    }\n    ...ClientUnknownSku\n  }\n": typeof types.ClientSetStockAnswerFragmentDoc,
    "\n  mutation ClientSetStock($input: SetStockInput!) {\n    setStock(input: $input) {\n      ...ClientSetStockAnswer\n    }\n  }\n": typeof types.ClientSetStockDocument,
    "\n  mutation ClientSetStockBatch($input: SetStockBatchInput!) {\n    setStockBatch(input: $input) {\n      results {\n        ...ClientSetStockAnswer\n      }\n    }\n  }\n": typeof types.ClientSetStockBatchDocument,
    "\n  mutation ClientUpsert($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          ...ClientSku\n          name\n          unlimited\n          backorderLimit\n        }\n      }\n    }\n  }\n": typeof types.ClientUpsertDocument,
    "\n  query ClientSku($id: ID!) {\n    sku(id: $id) {\n      ...ClientSku\n    }\n  }\n": typeof types.ClientSkuDocument,
    "\n  query ClientSkus($ids: [ID!]!) {\n    skus(ids: $ids) {\n      ...ClientSku\n    }\n  }\n": typeof types.ClientSkusDocument,
    "\n  query ClientMovements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String) {\n    movements(skuId: $skuId, orderId: $orderId, kinds: $kinds, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          kind\n          skuId\n          quantity\n          deltaAvailable\n          deltaReserved\n          deltaSold\n          orderId\n          createdAt\n        }\n      }\n      pageInfo {\n        startCursor\n        endCursor\n        hasNextPage\n        hasPreviousPage\n      }\n    }\n  }\n": typeof types.ClientMovementsDocument,
    "\n  subscription ClientStockLevels($skuIds: [ID!]!) {\n    stockLevels(skuIds: $skuIds) {\n      skuId\n      available\n      reserved\n      sold\n      version\n      changedAt\n      sku {\n        id\n        available\n      }\n    }\n  }\n": typeof types.ClientStockLevelsDocument,
    "\n  subscription ClientStockMovements($skuIds: [ID!], $after: String) {\n    stockMovements(skuIds: $skuIds, after: $after) {\n      cursor\n      movement {\n        id\n        kind\n        skuId\n        quantity\n        deltaAvailable\n        deltaSold\n        orderId\n        createdAt\n      }\n    }\n  }\n": typeof types.ClientStockMovementsDocument,
    "\n  fragment ClientSkuAudit on SkuAudit {\n    skuId\n    conserved\n    gateAgrees\n    drift\n    unmergedMovements\n    lastReconciledAt\n  }\n": typeof types.ClientSkuAuditFragmentDoc,
    "\n  query ClientStockAudit($skuIds: [ID!]!) {\n    stockAudit(skuIds: $skuIds) {\n      ...ClientSkuAudit\n    }\n  }\n": typeof types.ClientStockAuditDocument,
    "\n  mutation ClientReconcileStock($input: ReconcileStockInput!) {\n    reconcileStock(input: $input) {\n      __typename\n      ... on ReconcileStockSuccess {\n        audits {\n          ...ClientSkuAudit\n        }\n      }\n      ... on UnknownSku {\n        code\n        message\n        skuIds\n      }\n    }\n  }\n": typeof types.ClientReconcileStockDocument,
    "\n  mutation ClientUpsertLocations($input: UpsertLocationsInput!) {\n    upsertLocations(input: $input) {\n      __typename\n      ... on UpsertLocationsSuccess {\n        locations {\n          id\n          name\n          priority\n          active\n        }\n      }\n    }\n  }\n": typeof types.ClientUpsertLocationsDocument,
    "\n  mutation ClientTransferStock($input: TransferStockInput!) {\n    transferStock(input: $input) {\n      __typename\n      ... on TransferStockSuccess {\n        skuId\n        fromLocationId\n        toLocationId\n        quantity\n        sku {\n          id\n          available\n          levels {\n            location {\n              id\n            }\n            available\n          }\n        }\n      }\n      ... on InsufficientStock {\n        code\n        message\n        lines {\n          skuId\n          requested\n          obtainable\n        }\n      }\n      ... on UnknownSku {\n        code\n        message\n        skuIds\n      }\n      ... on IdempotencyConflict {\n        code\n        message\n        idempotencyKey\n      }\n    }\n  }\n": typeof types.ClientTransferStockDocument,
    "\n  fragment TakeRefused on Outcome {\n    ... on InsufficientStock {\n      code\n      message\n      lines {\n        skuId\n        requested\n        obtainable\n      }\n    }\n    ... on UnknownSku {\n      code\n      message\n      skuIds\n    }\n    ... on IdempotencyConflict {\n      code\n      message\n      idempotencyKey\n    }\n    ... on Throttled {\n      code\n      message\n      skuIds\n      retryAfterMs\n    }\n  }\n": typeof types.TakeRefusedFragmentDoc,
    "\n  mutation Deduct($input: DeductStockInput!) {\n    deductStock(input: $input) {\n      __typename\n      ... on DeductStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          skuId\n          quantity\n          availableAfter\n        }\n      }\n      ...TakeRefused\n    }\n  }\n": typeof types.DeductDocument,
    "\n  mutation DeductBatch($input: DeductStockBatchInput!) {\n    deductStockBatch(input: $input) {\n      results {\n        __typename\n        ... on DeductStockSuccess {\n          orderId\n          idempotencyKey\n          lines {\n            skuId\n            quantity\n            availableAfter\n          }\n        }\n        ...TakeRefused\n      }\n    }\n  }\n": typeof types.DeductBatchDocument,
    "\n  mutation ReserveBatch($input: ReserveStockBatchInput!) {\n    reserveStockBatch(input: $input) {\n      results {\n        __typename\n        ... on ReserveStockSuccess {\n          orderId\n          idempotencyKey\n          deadline\n          lines {\n            skuId\n            quantity\n            availableAfter\n          }\n        }\n        ...TakeRefused\n      }\n    }\n  }\n": typeof types.ReserveBatchDocument,
    "\n  mutation Reserve($input: ReserveStockInput!) {\n    reserveStock(input: $input) {\n      __typename\n      ... on ReserveStockSuccess {\n        orderId\n        idempotencyKey\n        deadline\n        lines {\n          skuId\n          quantity\n          availableAfter\n        }\n      }\n      ...TakeRefused\n    }\n  }\n": typeof types.ReserveDocument,
    "\n  fragment HoldLines on Reservation {\n    lines {\n      skuId\n      reserved\n      confirmed\n      released\n      expired\n      held\n    }\n  }\n": typeof types.HoldLinesFragmentDoc,
    "\n  fragment SettledReservation on Reservation {\n    id\n    orderId\n    state\n    deadline\n    ...HoldLines\n  }\n": typeof types.SettledReservationFragmentDoc,
    "\n  fragment SettleRefused on Outcome {\n    ... on ReservationExpired {\n      code\n      message\n      orderId\n      deadline\n    }\n    ... on ReservationAlreadyReleased {\n      code\n      message\n      orderId\n    }\n    ... on ReservationAlreadyConfirmed {\n      code\n      message\n      orderId\n    }\n    ... on UnknownReservation {\n      code\n      message\n      orderId\n    }\n    ... on ExceedsReserved {\n      code\n      message\n      lines {\n        skuId\n        held\n        requested\n      }\n    }\n    ... on SkuNotInOrder {\n      code\n      message\n      orderId\n      skuIds\n    }\n    ... on IdempotencyConflict {\n      code\n      message\n      idempotencyKey\n    }\n  }\n": typeof types.SettleRefusedFragmentDoc,
    "\n  mutation Confirm($input: ConfirmReservationInput!) {\n    settled: confirmReservation(input: $input) {\n      __typename\n      ... on ConfirmReservationSuccess {\n        reservation {\n          ...SettledReservation\n        }\n      }\n      ...SettleRefused\n    }\n  }\n": typeof types.ConfirmDocument,
    "\n  mutation Release($input: ReleaseReservationInput!) {\n    settled: releaseReservation(input: $input) {\n      __typename\n      ... on ReleaseReservationSuccess {\n        reservation {\n          ...SettledReservation\n        }\n      }\n      ...SettleRefused\n    }\n  }\n": typeof types.ReleaseDocument,
    "\n  query Reservation($orderId: ID!) {\n    reservation(orderId: $orderId) {\n      orderId\n      state\n      deadline\n      ...HoldLines\n    }\n  }\n": typeof types.ReservationDocument,
    "\n  mutation Refund($input: RefundStockInput!) {\n    refundStock(input: $input) {\n      __typename\n      ... on RefundStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          skuId\n          quantity\n          deducted\n          refunded\n          refundable\n        }\n      }\n      ... on RefundExceedsDeducted {\n        code\n        message\n        lines {\n          skuId\n          deducted\n          alreadyRefunded\n          requested\n        }\n      }\n      ... on UnknownOrder {\n        code\n        message\n        orderId\n      }\n      ... on SkuNotInOrder {\n        code\n        message\n        orderId\n        skuIds\n      }\n      ... on IdempotencyConflict {\n        code\n        message\n        idempotencyKey\n      }\n    }\n  }\n": typeof types.RefundDocument,
    "\n  mutation Restock($input: RestockInput!) {\n    restock(input: $input) {\n      __typename\n      ... on RestockSuccess {\n        skuId\n        quantity\n        availableAfter\n      }\n      ... on UnknownSku {\n        code\n        message\n        skuIds\n      }\n      ... on IdempotencyConflict {\n        code\n        message\n        idempotencyKey\n      }\n    }\n  }\n": typeof types.RestockDocument,
    "\n  fragment SetStockAnswer on SetStockResult {\n    __typename\n    ... on SetStockSuccess {\n      sku {\n        id\n        available\n        reserved\n        sold\n        unlimited\n        backorderLimit\n      }\n    }\n    ... on StockChanged {\n      code\n      message\n      skuId\n      expectedAvailable\n      currentAvailable\n    }\n    ... on UnknownSku {\n      code\n      message\n      skuIds\n    }\n  }\n": typeof types.SetStockAnswerFragmentDoc,
    "\n  mutation SetStock($input: SetStockInput!) {\n    setStock(input: $input) {\n      ...SetStockAnswer\n    }\n  }\n": typeof types.SetStockDocument,
    "\n  mutation SetStockBatch($input: SetStockBatchInput!) {\n    setStockBatch(input: $input) {\n      results {\n        ...SetStockAnswer\n      }\n    }\n  }\n": typeof types.SetStockBatchDocument,
    "\n  mutation Upsert($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          id\n          name\n          available\n          reserved\n          sold\n          unlimited\n        }\n      }\n    }\n  }\n": typeof types.UpsertDocument,
    "\n  query Skus($ids: [ID!]!) {\n    skus(ids: $ids) {\n      id\n      name\n      available\n      reserved\n      sold\n      unlimited\n    }\n  }\n": typeof types.SkusDocument,
    "\n  query Sku($id: ID!) {\n    sku(id: $id) {\n      id\n      name\n      available\n      reserved\n      sold\n      unlimited\n      backorderLimit\n    }\n  }\n": typeof types.SkuDocument,
    "\n  mutation UpsertThrottle($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          id\n          available\n          throttlePerSecond\n        }\n      }\n    }\n  }\n": typeof types.UpsertThrottleDocument,
    "\n  mutation UpsertBuckets($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          id\n          available\n          backorderLimit\n          buckets\n        }\n      }\n    }\n  }\n": typeof types.UpsertBucketsDocument,
    "\n  query SoldThrottle($ids: [ID!]!) {\n    skus(ids: $ids) {\n      id\n      sold\n      reserved\n      throttlePerSecond\n    }\n  }\n": typeof types.SoldThrottleDocument,
    "\n  fragment OrderLines on Order {\n    id\n    lines {\n      skuId\n      deducted\n      refunded\n      refundable\n    }\n  }\n": typeof types.OrderLinesFragmentDoc,
    "\n  query Order($id: ID!) {\n    order(id: $id) {\n      ...OrderLines\n    }\n  }\n": typeof types.OrderDocument,
    "\n  query OrderWithReservation($id: ID!) {\n    order(id: $id) {\n      ...OrderLines\n      reservation {\n        state\n        ...HoldLines\n      }\n    }\n  }\n": typeof types.OrderWithReservationDocument,
    "\n  query Movements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String, $last: Int, $before: String) {\n    movements(skuId: $skuId, orderId: $orderId, kinds: $kinds, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          id\n          kind\n          skuId\n          quantity\n          deltaAvailable\n          deltaReserved\n          deltaSold\n          orderId\n          orderLine\n          idempotencyKey\n          createdAt\n        }\n      }\n      pageInfo {\n        startCursor\n        endCursor\n        hasNextPage\n        hasPreviousPage\n      }\n    }\n  }\n": typeof types.MovementsDocument,
    "\n  fragment Level on StockLevel {\n    skuId\n    available\n    reserved\n    sold\n    unlimited\n    state\n    lowStockThreshold\n    version\n    changedAt\n  }\n": typeof types.LevelFragmentDoc,
    "\n  subscription Levels($skuIds: [ID!]!) {\n    stockLevels(skuIds: $skuIds) {\n      ...Level\n    }\n  }\n": typeof types.LevelsDocument,
    "\n  subscription Alerts($skuIds: [ID!]) {\n    stockAlerts(skuIds: $skuIds) {\n      kind\n      skuId\n      level {\n        skuId\n        available\n        reserved\n        sold\n        state\n        version\n      }\n    }\n  }\n": typeof types.AlertsDocument,
    "\n  subscription StockMovements($skuIds: [ID!], $after: String) {\n    stockMovements(skuIds: $skuIds, after: $after) {\n      cursor\n      movement {\n        id\n        kind\n        skuId\n        quantity\n        deltaAvailable\n        deltaReserved\n        deltaSold\n        orderId\n        orderLine\n        idempotencyKey\n        createdAt\n      }\n    }\n  }\n": typeof types.StockMovementsDocument,
    "\n  fragment Audit on SkuAudit {\n    skuId\n    conserved\n    gateAgrees\n    drift\n    unmergedMovements\n    lastReconciledAt\n  }\n": typeof types.AuditFragmentDoc,
    "\n  query StockAudit($skuIds: [ID!]!) {\n    stockAudit(skuIds: $skuIds) {\n      ...Audit\n    }\n  }\n": typeof types.StockAuditDocument,
    "\n  mutation ReconcileStock($input: ReconcileStockInput!) {\n    reconcileStock(input: $input) {\n      __typename\n      ... on ReconcileStockSuccess {\n        audits {\n          ...Audit\n        }\n      }\n      ... on UnknownSku {\n        code\n        message\n        skuIds\n      }\n    }\n  }\n": typeof types.ReconcileStockDocument,
    "\n  mutation UpsertLocations($input: UpsertLocationsInput!) {\n    upsertLocations(input: $input) {\n      __typename\n      ... on UpsertLocationsSuccess {\n        locations {\n          id\n          name\n          priority\n          active\n        }\n      }\n    }\n  }\n": typeof types.UpsertLocationsDocument,
    "\n  fragment AllocatedLine on TakenLine {\n    skuId\n    quantity\n    allocations {\n      locationId\n      quantity\n    }\n  }\n": typeof types.AllocatedLineFragmentDoc,
    "\n  mutation DeductAllocated($input: DeductStockInput!) {\n    deductStock(input: $input) {\n      __typename\n      ... on DeductStockSuccess {\n        lines {\n          ...AllocatedLine\n        }\n      }\n      ...TakeRefused\n    }\n  }\n": typeof types.DeductAllocatedDocument,
    "\n  mutation DeductBatchAllocated($input: DeductStockBatchInput!) {\n    deductStockBatch(input: $input) {\n      results {\n        __typename\n        ... on DeductStockSuccess {\n          lines {\n            ...AllocatedLine\n          }\n        }\n        ...TakeRefused\n      }\n    }\n  }\n": typeof types.DeductBatchAllocatedDocument,
    "\n  mutation ReserveAllocated($input: ReserveStockInput!) {\n    reserveStock(input: $input) {\n      __typename\n      ... on ReserveStockSuccess {\n        lines {\n          ...AllocatedLine\n        }\n      }\n    }\n  }\n": typeof types.ReserveAllocatedDocument,
    "\n  query SkuLevels($id: ID!) {\n    sku(id: $id) {\n      available\n      reserved\n      sold\n      levels {\n        location {\n          id\n          active\n        }\n        available\n        reserved\n        sold\n      }\n    }\n  }\n": typeof types.SkuLevelsDocument,
    "\n  mutation TransferStock($input: TransferStockInput!) {\n    transferStock(input: $input) {\n      __typename\n      ... on TransferStockSuccess {\n        skuId\n        fromLocationId\n        toLocationId\n        quantity\n      }\n      ... on InsufficientStock {\n        lines {\n          skuId\n          requested\n          obtainable\n        }\n      }\n    }\n  }\n": typeof types.TransferStockDocument,
};
const documents: Documents = {
    "\n  fragment ClientSku on Sku {\n    id\n    available\n    reserved\n    sold\n  }\n": types.ClientSkuFragmentDoc,
    "\n  fragment ClientTakenLine on TakenLine {\n    skuId\n    quantity\n    availableAfter\n    sku {\n      ...ClientSku\n    }\n  }\n": types.ClientTakenLineFragmentDoc,
    "\n  fragment ClientIdempotencyConflict on IdempotencyConflict {\n    code\n    message\n    idempotencyKey\n  }\n": types.ClientIdempotencyConflictFragmentDoc,
    "\n  fragment ClientInsufficientStock on InsufficientStock {\n    code\n    message\n    lines {\n      skuId\n      requested\n      obtainable\n      sku {\n        ...ClientSku\n      }\n    }\n  }\n": types.ClientInsufficientStockFragmentDoc,
    "\n  fragment ClientThrottled on Throttled {\n    code\n    message\n    skuIds\n    retryAfterMs\n  }\n": types.ClientThrottledFragmentDoc,
    "\n  fragment ClientUnknownSku on UnknownSku {\n    code\n    message\n    skuIds\n  }\n": types.ClientUnknownSkuFragmentDoc,
    "\n  fragment ClientReservation on Reservation {\n    id\n    orderId\n    state\n    deadline\n    lines {\n      skuId\n      reserved\n      confirmed\n      released\n      expired\n      held\n    }\n  }\n": types.ClientReservationFragmentDoc,
    "\n  fragment ClientSettleRefused on Outcome {\n    code\n    message\n    ... on ReservationExpired {\n      orderId\n      deadline\n    }\n    ... on ReservationAlreadyConfirmed {\n      orderId\n    }\n    ... on ReservationAlreadyReleased {\n      orderId\n    }\n    ... on UnknownReservation {\n      orderId\n    }\n    ... on ExceedsReserved {\n      lines {\n        skuId\n        held\n        requested\n        sku {\n          ...ClientSku\n        }\n      }\n    }\n    ... on SkuNotInOrder {\n      orderId\n      skuIds\n    }\n    ... on IdempotencyConflict {\n      idempotencyKey\n    }\n  }\n": types.ClientSettleRefusedFragmentDoc,
    "\n  fragment ClientDeductAnswer on DeductStockResult {\n    __typename\n    ... on Outcome {\n      code\n      message\n    }\n    ... on DeductStockSuccess {\n      orderId\n      idempotencyKey\n      lines {\n        ...ClientTakenLine\n      }\n    }\n    ...ClientIdempotencyConflict\n    ...ClientInsufficientStock\n    ...ClientThrottled\n    ...ClientUnknownSku\n  }\n": types.ClientDeductAnswerFragmentDoc,
    "\n  mutation ClientDeduct($input: DeductStockInput!) {\n    deductStock(input: $input) {\n      ...ClientDeductAnswer\n    }\n  }\n": types.ClientDeductDocument,
    "\n  mutation ClientDeductBatch($input: DeductStockBatchInput!) {\n    deductStockBatch(input: $input) {\n      results {\n        ...ClientDeductAnswer\n      }\n    }\n  }\n": types.ClientDeductBatchDocument,
    "\n  mutation ClientReserve($input: ReserveStockInput!) {\n    reserveStock(input: $input) {\n      __typename\n      ... on ReserveStockSuccess {\n        orderId\n        idempotencyKey\n        deadline\n        lines {\n          ...ClientTakenLine\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientInsufficientStock\n      ...ClientThrottled\n      ...ClientUnknownSku\n    }\n  }\n": types.ClientReserveDocument,
    "\n  mutation ClientConfirm($input: ConfirmReservationInput!) {\n    confirmReservation(input: $input) {\n      __typename\n      ... on ConfirmReservationSuccess {\n        reservation {\n          ...ClientReservation\n        }\n      }\n      ...ClientSettleRefused\n    }\n  }\n": types.ClientConfirmDocument,
    "\n  mutation ClientRelease($input: ReleaseReservationInput!) {\n    releaseReservation(input: $input) {\n      __typename\n      ... on ReleaseReservationSuccess {\n        reservation {\n          ...ClientReservation\n        }\n      }\n      ...ClientSettleRefused\n    }\n  }\n": types.ClientReleaseDocument,
    "\n  mutation ClientRefund($input: RefundStockInput!) {\n    refundStock(input: $input) {\n      __typename\n      ... on RefundStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          skuId\n          quantity\n          deducted\n          refunded\n          refundable\n          sku {\n            ...ClientSku\n          }\n        }\n      }\n      ... on RefundExceedsDeducted {\n        code\n        message\n        lines {\n          skuId\n          deducted\n          alreadyRefunded\n          requested\n        }\n      }\n      ... on UnknownOrder {\n        code\n        message\n        orderId\n      }\n      ... on SkuNotInOrder {\n        code\n        message\n        orderId\n        skuIds\n      }\n      ...ClientIdempotencyConflict\n    }\n  }\n": types.ClientRefundDocument,
    "\n  mutation ClientRestock($input: RestockInput!) {\n    restock(input: $input) {\n      __typename\n      ... on RestockSuccess {\n        skuId\n        quantity\n        availableAfter\n        sku {\n          ...ClientSku\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientUnknownSku\n    }\n  }\n": types.ClientRestockDocument,
    "\n  fragment ClientSetStockAnswer on SetStockResult {\n    __typename\n    ... on SetStockSuccess {\n      sku {\n        ...ClientSku\n      }\n    }\n    ... on StockChanged {\n      code\n      message\n      skuId\n      expectedAvailable\n      currentAvailable\n    }\n    ...ClientUnknownSku\n  }\n": types.ClientSetStockAnswerFragmentDoc,
    "\n  mutation ClientSetStock($input: SetStockInput!) {\n    setStock(input: $input) {\n      ...ClientSetStockAnswer\n    }\n  }\n": types.ClientSetStockDocument,
    "\n  mutation ClientSetStockBatch($input: SetStockBatchInput!) {\n    setStockBatch(input: $input) {\n      results {\n        ...ClientSetStockAnswer\n      }\n    }\n  }\n": types.ClientSetStockBatchDocument,
    "\n  mutation ClientUpsert($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          ...ClientSku\n          name\n          unlimited\n          backorderLimit\n        }\n      }\n    }\n  }\n": types.ClientUpsertDocument,
    "\n  query ClientSku($id: ID!) {\n    sku(id: $id) {\n      ...ClientSku\n    }\n  }\n": types.ClientSkuDocument,
    "\n  query ClientSkus($ids: [ID!]!) {\n    skus(ids: $ids) {\n      ...ClientSku\n    }\n  }\n": types.ClientSkusDocument,
    "\n  query ClientMovements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String) {\n    movements(skuId: $skuId, orderId: $orderId, kinds: $kinds, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          kind\n          skuId\n          quantity\n          deltaAvailable\n          deltaReserved\n          deltaSold\n          orderId\n          createdAt\n        }\n      }\n      pageInfo {\n        startCursor\n        endCursor\n        hasNextPage\n        hasPreviousPage\n      }\n    }\n  }\n": types.ClientMovementsDocument,
    "\n  subscription ClientStockLevels($skuIds: [ID!]!) {\n    stockLevels(skuIds: $skuIds) {\n      skuId\n      available\n      reserved\n      sold\n      version\n      changedAt\n      sku {\n        id\n        available\n      }\n    }\n  }\n": types.ClientStockLevelsDocument,
    "\n  subscription ClientStockMovements($skuIds: [ID!], $after: String) {\n    stockMovements(skuIds: $skuIds, after: $after) {\n      cursor\n      movement {\n        id\n        kind\n        skuId\n        quantity\n        deltaAvailable\n        deltaSold\n        orderId\n        createdAt\n      }\n    }\n  }\n": types.ClientStockMovementsDocument,
    "\n  fragment ClientSkuAudit on SkuAudit {\n    skuId\n    conserved\n    gateAgrees\n    drift\n    unmergedMovements\n    lastReconciledAt\n  }\n": types.ClientSkuAuditFragmentDoc,
    "\n  query ClientStockAudit($skuIds: [ID!]!) {\n    stockAudit(skuIds: $skuIds) {\n      ...ClientSkuAudit\n    }\n  }\n": types.ClientStockAuditDocument,
    "\n  mutation ClientReconcileStock($input: ReconcileStockInput!) {\n    reconcileStock(input: $input) {\n      __typename\n      ... on ReconcileStockSuccess {\n        audits {\n          ...ClientSkuAudit\n        }\n      }\n      ... on UnknownSku {\n        code\n        message\n        skuIds\n      }\n    }\n  }\n": types.ClientReconcileStockDocument,
    "\n  mutation ClientUpsertLocations($input: UpsertLocationsInput!) {\n    upsertLocations(input: $input) {\n      __typename\n      ... on UpsertLocationsSuccess {\n        locations {\n          id\n          name\n          priority\n          active\n        }\n      }\n    }\n  }\n": types.ClientUpsertLocationsDocument,
    "\n  mutation ClientTransferStock($input: TransferStockInput!) {\n    transferStock(input: $input) {\n      __typename\n      ... on TransferStockSuccess {\n        skuId\n        fromLocationId\n        toLocationId\n        quantity\n        sku {\n          id\n          available\n          levels {\n            location {\n              id\n            }\n            available\n          }\n        }\n      }\n      ... on InsufficientStock {\n        code\n        message\n        lines {\n          skuId\n          requested\n          obtainable\n        }\n      }\n      ... on UnknownSku {\n        code\n        message\n        skuIds\n      }\n      ... on IdempotencyConflict {\n        code\n        message\n        idempotencyKey\n      }\n    }\n  }\n": types.ClientTransferStockDocument,
    "\n  fragment TakeRefused on Outcome {\n    ... on InsufficientStock {\n      code\n      message\n      lines {\n        skuId\n        requested\n        obtainable\n      }\n    }\n    ... on UnknownSku {\n      code\n      message\n      skuIds\n    }\n    ... on IdempotencyConflict {\n      code\n      message\n      idempotencyKey\n    }\n    ... on Throttled {\n      code\n      message\n      skuIds\n      retryAfterMs\n    }\n  }\n": types.TakeRefusedFragmentDoc,
    "\n  mutation Deduct($input: DeductStockInput!) {\n    deductStock(input: $input) {\n      __typename\n      ... on DeductStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          skuId\n          quantity\n          availableAfter\n        }\n      }\n      ...TakeRefused\n    }\n  }\n": types.DeductDocument,
    "\n  mutation DeductBatch($input: DeductStockBatchInput!) {\n    deductStockBatch(input: $input) {\n      results {\n        __typename\n        ... on DeductStockSuccess {\n          orderId\n          idempotencyKey\n          lines {\n            skuId\n            quantity\n            availableAfter\n          }\n        }\n        ...TakeRefused\n      }\n    }\n  }\n": types.DeductBatchDocument,
    "\n  mutation ReserveBatch($input: ReserveStockBatchInput!) {\n    reserveStockBatch(input: $input) {\n      results {\n        __typename\n        ... on ReserveStockSuccess {\n          orderId\n          idempotencyKey\n          deadline\n          lines {\n            skuId\n            quantity\n            availableAfter\n          }\n        }\n        ...TakeRefused\n      }\n    }\n  }\n": types.ReserveBatchDocument,
    "\n  mutation Reserve($input: ReserveStockInput!) {\n    reserveStock(input: $input) {\n      __typename\n      ... on ReserveStockSuccess {\n        orderId\n        idempotencyKey\n        deadline\n        lines {\n          skuId\n          quantity\n          availableAfter\n        }\n      }\n      ...TakeRefused\n    }\n  }\n": types.ReserveDocument,
    "\n  fragment HoldLines on Reservation {\n    lines {\n      skuId\n      reserved\n      confirmed\n      released\n      expired\n      held\n    }\n  }\n": types.HoldLinesFragmentDoc,
    "\n  fragment SettledReservation on Reservation {\n    id\n    orderId\n    state\n    deadline\n    ...HoldLines\n  }\n": types.SettledReservationFragmentDoc,
    "\n  fragment SettleRefused on Outcome {\n    ... on ReservationExpired {\n      code\n      message\n      orderId\n      deadline\n    }\n    ... on ReservationAlreadyReleased {\n      code\n      message\n      orderId\n    }\n    ... on ReservationAlreadyConfirmed {\n      code\n      message\n      orderId\n    }\n    ... on UnknownReservation {\n      code\n      message\n      orderId\n    }\n    ... on ExceedsReserved {\n      code\n      message\n      lines {\n        skuId\n        held\n        requested\n      }\n    }\n    ... on SkuNotInOrder {\n      code\n      message\n      orderId\n      skuIds\n    }\n    ... on IdempotencyConflict {\n      code\n      message\n      idempotencyKey\n    }\n  }\n": types.SettleRefusedFragmentDoc,
    "\n  mutation Confirm($input: ConfirmReservationInput!) {\n    settled: confirmReservation(input: $input) {\n      __typename\n      ... on ConfirmReservationSuccess {\n        reservation {\n          ...SettledReservation\n        }\n      }\n      ...SettleRefused\n    }\n  }\n": types.ConfirmDocument,
    "\n  mutation Release($input: ReleaseReservationInput!) {\n    settled: releaseReservation(input: $input) {\n      __typename\n      ... on ReleaseReservationSuccess {\n        reservation {\n          ...SettledReservation\n        }\n      }\n      ...SettleRefused\n    }\n  }\n": types.ReleaseDocument,
    "\n  query Reservation($orderId: ID!) {\n    reservation(orderId: $orderId) {\n      orderId\n      state\n      deadline\n      ...HoldLines\n    }\n  }\n": types.ReservationDocument,
    "\n  mutation Refund($input: RefundStockInput!) {\n    refundStock(input: $input) {\n      __typename\n      ... on RefundStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          skuId\n          quantity\n          deducted\n          refunded\n          refundable\n        }\n      }\n      ... on RefundExceedsDeducted {\n        code\n        message\n        lines {\n          skuId\n          deducted\n          alreadyRefunded\n          requested\n        }\n      }\n      ... on UnknownOrder {\n        code\n        message\n        orderId\n      }\n      ... on SkuNotInOrder {\n        code\n        message\n        orderId\n        skuIds\n      }\n      ... on IdempotencyConflict {\n        code\n        message\n        idempotencyKey\n      }\n    }\n  }\n": types.RefundDocument,
    "\n  mutation Restock($input: RestockInput!) {\n    restock(input: $input) {\n      __typename\n      ... on RestockSuccess {\n        skuId\n        quantity\n        availableAfter\n      }\n      ... on UnknownSku {\n        code\n        message\n        skuIds\n      }\n      ... on IdempotencyConflict {\n        code\n        message\n        idempotencyKey\n      }\n    }\n  }\n": types.RestockDocument,
    "\n  fragment SetStockAnswer on SetStockResult {\n    __typename\n    ... on SetStockSuccess {\n      sku {\n        id\n        available\n        reserved\n        sold\n        unlimited\n        backorderLimit\n      }\n    }\n    ... on StockChanged {\n      code\n      message\n      skuId\n      expectedAvailable\n      currentAvailable\n    }\n    ... on UnknownSku {\n      code\n      message\n      skuIds\n    }\n  }\n": types.SetStockAnswerFragmentDoc,
    "\n  mutation SetStock($input: SetStockInput!) {\n    setStock(input: $input) {\n      ...SetStockAnswer\n    }\n  }\n": types.SetStockDocument,
    "\n  mutation SetStockBatch($input: SetStockBatchInput!) {\n    setStockBatch(input: $input) {\n      results {\n        ...SetStockAnswer\n      }\n    }\n  }\n": types.SetStockBatchDocument,
    "\n  mutation Upsert($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          id\n          name\n          available\n          reserved\n          sold\n          unlimited\n        }\n      }\n    }\n  }\n": types.UpsertDocument,
    "\n  query Skus($ids: [ID!]!) {\n    skus(ids: $ids) {\n      id\n      name\n      available\n      reserved\n      sold\n      unlimited\n    }\n  }\n": types.SkusDocument,
    "\n  query Sku($id: ID!) {\n    sku(id: $id) {\n      id\n      name\n      available\n      reserved\n      sold\n      unlimited\n      backorderLimit\n    }\n  }\n": types.SkuDocument,
    "\n  mutation UpsertThrottle($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          id\n          available\n          throttlePerSecond\n        }\n      }\n    }\n  }\n": types.UpsertThrottleDocument,
    "\n  mutation UpsertBuckets($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          id\n          available\n          backorderLimit\n          buckets\n        }\n      }\n    }\n  }\n": types.UpsertBucketsDocument,
    "\n  query SoldThrottle($ids: [ID!]!) {\n    skus(ids: $ids) {\n      id\n      sold\n      reserved\n      throttlePerSecond\n    }\n  }\n": types.SoldThrottleDocument,
    "\n  fragment OrderLines on Order {\n    id\n    lines {\n      skuId\n      deducted\n      refunded\n      refundable\n    }\n  }\n": types.OrderLinesFragmentDoc,
    "\n  query Order($id: ID!) {\n    order(id: $id) {\n      ...OrderLines\n    }\n  }\n": types.OrderDocument,
    "\n  query OrderWithReservation($id: ID!) {\n    order(id: $id) {\n      ...OrderLines\n      reservation {\n        state\n        ...HoldLines\n      }\n    }\n  }\n": types.OrderWithReservationDocument,
    "\n  query Movements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String, $last: Int, $before: String) {\n    movements(skuId: $skuId, orderId: $orderId, kinds: $kinds, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          id\n          kind\n          skuId\n          quantity\n          deltaAvailable\n          deltaReserved\n          deltaSold\n          orderId\n          orderLine\n          idempotencyKey\n          createdAt\n        }\n      }\n      pageInfo {\n        startCursor\n        endCursor\n        hasNextPage\n        hasPreviousPage\n      }\n    }\n  }\n": types.MovementsDocument,
    "\n  fragment Level on StockLevel {\n    skuId\n    available\n    reserved\n    sold\n    unlimited\n    state\n    lowStockThreshold\n    version\n    changedAt\n  }\n": types.LevelFragmentDoc,
    "\n  subscription Levels($skuIds: [ID!]!) {\n    stockLevels(skuIds: $skuIds) {\n      ...Level\n    }\n  }\n": types.LevelsDocument,
    "\n  subscription Alerts($skuIds: [ID!]) {\n    stockAlerts(skuIds: $skuIds) {\n      kind\n      skuId\n      level {\n        skuId\n        available\n        reserved\n        sold\n        state\n        version\n      }\n    }\n  }\n": types.AlertsDocument,
    "\n  subscription StockMovements($skuIds: [ID!], $after: String) {\n    stockMovements(skuIds: $skuIds, after: $after) {\n      cursor\n      movement {\n        id\n        kind\n        skuId\n        quantity\n        deltaAvailable\n        deltaReserved\n        deltaSold\n        orderId\n        orderLine\n        idempotencyKey\n        createdAt\n      }\n    }\n  }\n": types.StockMovementsDocument,
    "\n  fragment Audit on SkuAudit {\n    skuId\n    conserved\n    gateAgrees\n    drift\n    unmergedMovements\n    lastReconciledAt\n  }\n": types.AuditFragmentDoc,
    "\n  query StockAudit($skuIds: [ID!]!) {\n    stockAudit(skuIds: $skuIds) {\n      ...Audit\n    }\n  }\n": types.StockAuditDocument,
    "\n  mutation ReconcileStock($input: ReconcileStockInput!) {\n    reconcileStock(input: $input) {\n      __typename\n      ... on ReconcileStockSuccess {\n        audits {\n          ...Audit\n        }\n      }\n      ... on UnknownSku {\n        code\n        message\n        skuIds\n      }\n    }\n  }\n": types.ReconcileStockDocument,
    "\n  mutation UpsertLocations($input: UpsertLocationsInput!) {\n    upsertLocations(input: $input) {\n      __typename\n      ... on UpsertLocationsSuccess {\n        locations {\n          id\n          name\n          priority\n          active\n        }\n      }\n    }\n  }\n": types.UpsertLocationsDocument,
    "\n  fragment AllocatedLine on TakenLine {\n    skuId\n    quantity\n    allocations {\n      locationId\n      quantity\n    }\n  }\n": types.AllocatedLineFragmentDoc,
    "\n  mutation DeductAllocated($input: DeductStockInput!) {\n    deductStock(input: $input) {\n      __typename\n      ... on DeductStockSuccess {\n        lines {\n          ...AllocatedLine\n        }\n      }\n      ...TakeRefused\n    }\n  }\n": types.DeductAllocatedDocument,
    "\n  mutation DeductBatchAllocated($input: DeductStockBatchInput!) {\n    deductStockBatch(input: $input) {\n      results {\n        __typename\n        ... on DeductStockSuccess {\n          lines {\n            ...AllocatedLine\n          }\n        }\n        ...TakeRefused\n      }\n    }\n  }\n": types.DeductBatchAllocatedDocument,
    "\n  mutation ReserveAllocated($input: ReserveStockInput!) {\n    reserveStock(input: $input) {\n      __typename\n      ... on ReserveStockSuccess {\n        lines {\n          ...AllocatedLine\n        }\n      }\n    }\n  }\n": types.ReserveAllocatedDocument,
    "\n  query SkuLevels($id: ID!) {\n    sku(id: $id) {\n      available\n      reserved\n      sold\n      levels {\n        location {\n          id\n          active\n        }\n        available\n        reserved\n        sold\n      }\n    }\n  }\n": types.SkuLevelsDocument,
    "\n  mutation TransferStock($input: TransferStockInput!) {\n    transferStock(input: $input) {\n      __typename\n      ... on TransferStockSuccess {\n        skuId\n        fromLocationId\n        toLocationId\n        quantity\n      }\n      ... on InsufficientStock {\n        lines {\n          skuId\n          requested\n          obtainable\n        }\n      }\n    }\n  }\n": types.TransferStockDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClientSku on Sku {\n    id\n    available\n    reserved\n    sold\n  }\n"): typeof import('./graphql.ts').ClientSkuFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClientTakenLine on TakenLine {\n    skuId\n    quantity\n    availableAfter\n    sku {\n      ...ClientSku\n    }\n  }\n"): typeof import('./graphql.ts').ClientTakenLineFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClientIdempotencyConflict on IdempotencyConflict {\n    code\n    message\n    idempotencyKey\n  }\n"): typeof import('./graphql.ts').ClientIdempotencyConflictFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClientInsufficientStock on InsufficientStock {\n    code\n    message\n    lines {\n      skuId\n      requested\n      obtainable\n      sku {\n        ...ClientSku\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ClientInsufficientStockFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClientThrottled on Throttled {\n    code\n    message\n    skuIds\n    retryAfterMs\n  }\n"): typeof import('./graphql.ts').ClientThrottledFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClientUnknownSku on UnknownSku {\n    code\n    message\n    skuIds\n  }\n"): typeof import('./graphql.ts').ClientUnknownSkuFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClientReservation on Reservation {\n    id\n    orderId\n    state\n    deadline\n    lines {\n      skuId\n      reserved\n      confirmed\n      released\n      expired\n      held\n    }\n  }\n"): typeof import('./graphql.ts').ClientReservationFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClientSettleRefused on Outcome {\n    code\n    message\n    ... on ReservationExpired {\n      orderId\n      deadline\n    }\n    ... on ReservationAlreadyConfirmed {\n      orderId\n    }\n    ... on ReservationAlreadyReleased {\n      orderId\n    }\n    ... on UnknownReservation {\n      orderId\n    }\n    ... on ExceedsReserved {\n      lines {\n        skuId\n        held\n        requested\n        sku {\n          ...ClientSku\n        }\n      }\n    }\n    ... on SkuNotInOrder {\n      orderId\n      skuIds\n    }\n    ... on IdempotencyConflict {\n      idempotencyKey\n    }\n  }\n"): typeof import('./graphql.ts').ClientSettleRefusedFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClientDeductAnswer on DeductStockResult {\n    __typename\n    ... on Outcome {\n      code\n      message\n    }\n    ... on DeductStockSuccess {\n      orderId\n      idempotencyKey\n      lines {\n        ...ClientTakenLine\n      }\n    }\n    ...ClientIdempotencyConflict\n    ...ClientInsufficientStock\n    ...ClientThrottled\n    ...ClientUnknownSku\n  }\n"): typeof import('./graphql.ts').ClientDeductAnswerFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientDeduct($input: DeductStockInput!) {\n    deductStock(input: $input) {\n      ...ClientDeductAnswer\n    }\n  }\n"): typeof import('./graphql.ts').ClientDeductDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientDeductBatch($input: DeductStockBatchInput!) {\n    deductStockBatch(input: $input) {\n      results {\n        ...ClientDeductAnswer\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ClientDeductBatchDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientReserve($input: ReserveStockInput!) {\n    reserveStock(input: $input) {\n      __typename\n      ... on ReserveStockSuccess {\n        orderId\n        idempotencyKey\n        deadline\n        lines {\n          ...ClientTakenLine\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientInsufficientStock\n      ...ClientThrottled\n      ...ClientUnknownSku\n    }\n  }\n"): typeof import('./graphql.ts').ClientReserveDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientConfirm($input: ConfirmReservationInput!) {\n    confirmReservation(input: $input) {\n      __typename\n      ... on ConfirmReservationSuccess {\n        reservation {\n          ...ClientReservation\n        }\n      }\n      ...ClientSettleRefused\n    }\n  }\n"): typeof import('./graphql.ts').ClientConfirmDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientRelease($input: ReleaseReservationInput!) {\n    releaseReservation(input: $input) {\n      __typename\n      ... on ReleaseReservationSuccess {\n        reservation {\n          ...ClientReservation\n        }\n      }\n      ...ClientSettleRefused\n    }\n  }\n"): typeof import('./graphql.ts').ClientReleaseDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientRefund($input: RefundStockInput!) {\n    refundStock(input: $input) {\n      __typename\n      ... on RefundStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          skuId\n          quantity\n          deducted\n          refunded\n          refundable\n          sku {\n            ...ClientSku\n          }\n        }\n      }\n      ... on RefundExceedsDeducted {\n        code\n        message\n        lines {\n          skuId\n          deducted\n          alreadyRefunded\n          requested\n        }\n      }\n      ... on UnknownOrder {\n        code\n        message\n        orderId\n      }\n      ... on SkuNotInOrder {\n        code\n        message\n        orderId\n        skuIds\n      }\n      ...ClientIdempotencyConflict\n    }\n  }\n"): typeof import('./graphql.ts').ClientRefundDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientRestock($input: RestockInput!) {\n    restock(input: $input) {\n      __typename\n      ... on RestockSuccess {\n        skuId\n        quantity\n        availableAfter\n        sku {\n          ...ClientSku\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientUnknownSku\n    }\n  }\n"): typeof import('./graphql.ts').ClientRestockDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClientSetStockAnswer on SetStockResult {\n    __typename\n    ... on SetStockSuccess {\n      sku {\n        ...ClientSku\n      }\n    }\n    ... on StockChanged {\n      code\n      message\n      skuId\n      expectedAvailable\n      currentAvailable\n    }\n    ...ClientUnknownSku\n  }\n"): typeof import('./graphql.ts').ClientSetStockAnswerFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientSetStock($input: SetStockInput!) {\n    setStock(input: $input) {\n      ...ClientSetStockAnswer\n    }\n  }\n"): typeof import('./graphql.ts').ClientSetStockDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientSetStockBatch($input: SetStockBatchInput!) {\n    setStockBatch(input: $input) {\n      results {\n        ...ClientSetStockAnswer\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ClientSetStockBatchDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientUpsert($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          ...ClientSku\n          name\n          unlimited\n          backorderLimit\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ClientUpsertDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ClientSku($id: ID!) {\n    sku(id: $id) {\n      ...ClientSku\n    }\n  }\n"): typeof import('./graphql.ts').ClientSkuDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ClientSkus($ids: [ID!]!) {\n    skus(ids: $ids) {\n      ...ClientSku\n    }\n  }\n"): typeof import('./graphql.ts').ClientSkusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ClientMovements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String) {\n    movements(skuId: $skuId, orderId: $orderId, kinds: $kinds, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          kind\n          skuId\n          quantity\n          deltaAvailable\n          deltaReserved\n          deltaSold\n          orderId\n          createdAt\n        }\n      }\n      pageInfo {\n        startCursor\n        endCursor\n        hasNextPage\n        hasPreviousPage\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ClientMovementsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ClientStockLevels($skuIds: [ID!]!) {\n    stockLevels(skuIds: $skuIds) {\n      skuId\n      available\n      reserved\n      sold\n      version\n      changedAt\n      sku {\n        id\n        available\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ClientStockLevelsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ClientStockMovements($skuIds: [ID!], $after: String) {\n    stockMovements(skuIds: $skuIds, after: $after) {\n      cursor\n      movement {\n        id\n        kind\n        skuId\n        quantity\n        deltaAvailable\n        deltaSold\n        orderId\n        createdAt\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ClientStockMovementsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ClientSkuAudit on SkuAudit {\n    skuId\n    conserved\n    gateAgrees\n    drift\n    unmergedMovements\n    lastReconciledAt\n  }\n"): typeof import('./graphql.ts').ClientSkuAuditFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ClientStockAudit($skuIds: [ID!]!) {\n    stockAudit(skuIds: $skuIds) {\n      ...ClientSkuAudit\n    }\n  }\n"): typeof import('./graphql.ts').ClientStockAuditDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientReconcileStock($input: ReconcileStockInput!) {\n    reconcileStock(input: $input) {\n      __typename\n      ... on ReconcileStockSuccess {\n        audits {\n          ...ClientSkuAudit\n        }\n      }\n      ... on UnknownSku {\n        code\n        message\n        skuIds\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ClientReconcileStockDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientUpsertLocations($input: UpsertLocationsInput!) {\n    upsertLocations(input: $input) {\n      __typename\n      ... on UpsertLocationsSuccess {\n        locations {\n          id\n          name\n          priority\n          active\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ClientUpsertLocationsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClientTransferStock($input: TransferStockInput!) {\n    transferStock(input: $input) {\n      __typename\n      ... on TransferStockSuccess {\n        skuId\n        fromLocationId\n        toLocationId\n        quantity\n        sku {\n          id\n          available\n          levels {\n            location {\n              id\n            }\n            available\n          }\n        }\n      }\n      ... on InsufficientStock {\n        code\n        message\n        lines {\n          skuId\n          requested\n          obtainable\n        }\n      }\n      ... on UnknownSku {\n        code\n        message\n        skuIds\n      }\n      ... on IdempotencyConflict {\n        code\n        message\n        idempotencyKey\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ClientTransferStockDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TakeRefused on Outcome {\n    ... on InsufficientStock {\n      code\n      message\n      lines {\n        skuId\n        requested\n        obtainable\n      }\n    }\n    ... on UnknownSku {\n      code\n      message\n      skuIds\n    }\n    ... on IdempotencyConflict {\n      code\n      message\n      idempotencyKey\n    }\n    ... on Throttled {\n      code\n      message\n      skuIds\n      retryAfterMs\n    }\n  }\n"): typeof import('./graphql.ts').TakeRefusedFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Deduct($input: DeductStockInput!) {\n    deductStock(input: $input) {\n      __typename\n      ... on DeductStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          skuId\n          quantity\n          availableAfter\n        }\n      }\n      ...TakeRefused\n    }\n  }\n"): typeof import('./graphql.ts').DeductDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeductBatch($input: DeductStockBatchInput!) {\n    deductStockBatch(input: $input) {\n      results {\n        __typename\n        ... on DeductStockSuccess {\n          orderId\n          idempotencyKey\n          lines {\n            skuId\n            quantity\n            availableAfter\n          }\n        }\n        ...TakeRefused\n      }\n    }\n  }\n"): typeof import('./graphql.ts').DeductBatchDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReserveBatch($input: ReserveStockBatchInput!) {\n    reserveStockBatch(input: $input) {\n      results {\n        __typename\n        ... on ReserveStockSuccess {\n          orderId\n          idempotencyKey\n          deadline\n          lines {\n            skuId\n            quantity\n            availableAfter\n          }\n        }\n        ...TakeRefused\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ReserveBatchDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Reserve($input: ReserveStockInput!) {\n    reserveStock(input: $input) {\n      __typename\n      ... on ReserveStockSuccess {\n        orderId\n        idempotencyKey\n        deadline\n        lines {\n          skuId\n          quantity\n          availableAfter\n        }\n      }\n      ...TakeRefused\n    }\n  }\n"): typeof import('./graphql.ts').ReserveDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment HoldLines on Reservation {\n    lines {\n      skuId\n      reserved\n      confirmed\n      released\n      expired\n      held\n    }\n  }\n"): typeof import('./graphql.ts').HoldLinesFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SettledReservation on Reservation {\n    id\n    orderId\n    state\n    deadline\n    ...HoldLines\n  }\n"): typeof import('./graphql.ts').SettledReservationFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SettleRefused on Outcome {\n    ... on ReservationExpired {\n      code\n      message\n      orderId\n      deadline\n    }\n    ... on ReservationAlreadyReleased {\n      code\n      message\n      orderId\n    }\n    ... on ReservationAlreadyConfirmed {\n      code\n      message\n      orderId\n    }\n    ... on UnknownReservation {\n      code\n      message\n      orderId\n    }\n    ... on ExceedsReserved {\n      code\n      message\n      lines {\n        skuId\n        held\n        requested\n      }\n    }\n    ... on SkuNotInOrder {\n      code\n      message\n      orderId\n      skuIds\n    }\n    ... on IdempotencyConflict {\n      code\n      message\n      idempotencyKey\n    }\n  }\n"): typeof import('./graphql.ts').SettleRefusedFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Confirm($input: ConfirmReservationInput!) {\n    settled: confirmReservation(input: $input) {\n      __typename\n      ... on ConfirmReservationSuccess {\n        reservation {\n          ...SettledReservation\n        }\n      }\n      ...SettleRefused\n    }\n  }\n"): typeof import('./graphql.ts').ConfirmDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Release($input: ReleaseReservationInput!) {\n    settled: releaseReservation(input: $input) {\n      __typename\n      ... on ReleaseReservationSuccess {\n        reservation {\n          ...SettledReservation\n        }\n      }\n      ...SettleRefused\n    }\n  }\n"): typeof import('./graphql.ts').ReleaseDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Reservation($orderId: ID!) {\n    reservation(orderId: $orderId) {\n      orderId\n      state\n      deadline\n      ...HoldLines\n    }\n  }\n"): typeof import('./graphql.ts').ReservationDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Refund($input: RefundStockInput!) {\n    refundStock(input: $input) {\n      __typename\n      ... on RefundStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          skuId\n          quantity\n          deducted\n          refunded\n          refundable\n        }\n      }\n      ... on RefundExceedsDeducted {\n        code\n        message\n        lines {\n          skuId\n          deducted\n          alreadyRefunded\n          requested\n        }\n      }\n      ... on UnknownOrder {\n        code\n        message\n        orderId\n      }\n      ... on SkuNotInOrder {\n        code\n        message\n        orderId\n        skuIds\n      }\n      ... on IdempotencyConflict {\n        code\n        message\n        idempotencyKey\n      }\n    }\n  }\n"): typeof import('./graphql.ts').RefundDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Restock($input: RestockInput!) {\n    restock(input: $input) {\n      __typename\n      ... on RestockSuccess {\n        skuId\n        quantity\n        availableAfter\n      }\n      ... on UnknownSku {\n        code\n        message\n        skuIds\n      }\n      ... on IdempotencyConflict {\n        code\n        message\n        idempotencyKey\n      }\n    }\n  }\n"): typeof import('./graphql.ts').RestockDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SetStockAnswer on SetStockResult {\n    __typename\n    ... on SetStockSuccess {\n      sku {\n        id\n        available\n        reserved\n        sold\n        unlimited\n        backorderLimit\n      }\n    }\n    ... on StockChanged {\n      code\n      message\n      skuId\n      expectedAvailable\n      currentAvailable\n    }\n    ... on UnknownSku {\n      code\n      message\n      skuIds\n    }\n  }\n"): typeof import('./graphql.ts').SetStockAnswerFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetStock($input: SetStockInput!) {\n    setStock(input: $input) {\n      ...SetStockAnswer\n    }\n  }\n"): typeof import('./graphql.ts').SetStockDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetStockBatch($input: SetStockBatchInput!) {\n    setStockBatch(input: $input) {\n      results {\n        ...SetStockAnswer\n      }\n    }\n  }\n"): typeof import('./graphql.ts').SetStockBatchDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Upsert($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          id\n          name\n          available\n          reserved\n          sold\n          unlimited\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.ts').UpsertDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Skus($ids: [ID!]!) {\n    skus(ids: $ids) {\n      id\n      name\n      available\n      reserved\n      sold\n      unlimited\n    }\n  }\n"): typeof import('./graphql.ts').SkusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Sku($id: ID!) {\n    sku(id: $id) {\n      id\n      name\n      available\n      reserved\n      sold\n      unlimited\n      backorderLimit\n    }\n  }\n"): typeof import('./graphql.ts').SkuDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpsertThrottle($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          id\n          available\n          throttlePerSecond\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.ts').UpsertThrottleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpsertBuckets($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          id\n          available\n          backorderLimit\n          buckets\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.ts').UpsertBucketsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SoldThrottle($ids: [ID!]!) {\n    skus(ids: $ids) {\n      id\n      sold\n      reserved\n      throttlePerSecond\n    }\n  }\n"): typeof import('./graphql.ts').SoldThrottleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment OrderLines on Order {\n    id\n    lines {\n      skuId\n      deducted\n      refunded\n      refundable\n    }\n  }\n"): typeof import('./graphql.ts').OrderLinesFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Order($id: ID!) {\n    order(id: $id) {\n      ...OrderLines\n    }\n  }\n"): typeof import('./graphql.ts').OrderDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OrderWithReservation($id: ID!) {\n    order(id: $id) {\n      ...OrderLines\n      reservation {\n        state\n        ...HoldLines\n      }\n    }\n  }\n"): typeof import('./graphql.ts').OrderWithReservationDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Movements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String, $last: Int, $before: String) {\n    movements(skuId: $skuId, orderId: $orderId, kinds: $kinds, first: $first, after: $after, last: $last, before: $before) {\n      edges {\n        cursor\n        node {\n          id\n          kind\n          skuId\n          quantity\n          deltaAvailable\n          deltaReserved\n          deltaSold\n          orderId\n          orderLine\n          idempotencyKey\n          createdAt\n        }\n      }\n      pageInfo {\n        startCursor\n        endCursor\n        hasNextPage\n        hasPreviousPage\n      }\n    }\n  }\n"): typeof import('./graphql.ts').MovementsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment Level on StockLevel {\n    skuId\n    available\n    reserved\n    sold\n    unlimited\n    state\n    lowStockThreshold\n    version\n    changedAt\n  }\n"): typeof import('./graphql.ts').LevelFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription Levels($skuIds: [ID!]!) {\n    stockLevels(skuIds: $skuIds) {\n      ...Level\n    }\n  }\n"): typeof import('./graphql.ts').LevelsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription Alerts($skuIds: [ID!]) {\n    stockAlerts(skuIds: $skuIds) {\n      kind\n      skuId\n      level {\n        skuId\n        available\n        reserved\n        sold\n        state\n        version\n      }\n    }\n  }\n"): typeof import('./graphql.ts').AlertsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription StockMovements($skuIds: [ID!], $after: String) {\n    stockMovements(skuIds: $skuIds, after: $after) {\n      cursor\n      movement {\n        id\n        kind\n        skuId\n        quantity\n        deltaAvailable\n        deltaReserved\n        deltaSold\n        orderId\n        orderLine\n        idempotencyKey\n        createdAt\n      }\n    }\n  }\n"): typeof import('./graphql.ts').StockMovementsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment Audit on SkuAudit {\n    skuId\n    conserved\n    gateAgrees\n    drift\n    unmergedMovements\n    lastReconciledAt\n  }\n"): typeof import('./graphql.ts').AuditFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query StockAudit($skuIds: [ID!]!) {\n    stockAudit(skuIds: $skuIds) {\n      ...Audit\n    }\n  }\n"): typeof import('./graphql.ts').StockAuditDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReconcileStock($input: ReconcileStockInput!) {\n    reconcileStock(input: $input) {\n      __typename\n      ... on ReconcileStockSuccess {\n        audits {\n          ...Audit\n        }\n      }\n      ... on UnknownSku {\n        code\n        message\n        skuIds\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ReconcileStockDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpsertLocations($input: UpsertLocationsInput!) {\n    upsertLocations(input: $input) {\n      __typename\n      ... on UpsertLocationsSuccess {\n        locations {\n          id\n          name\n          priority\n          active\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.ts').UpsertLocationsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AllocatedLine on TakenLine {\n    skuId\n    quantity\n    allocations {\n      locationId\n      quantity\n    }\n  }\n"): typeof import('./graphql.ts').AllocatedLineFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeductAllocated($input: DeductStockInput!) {\n    deductStock(input: $input) {\n      __typename\n      ... on DeductStockSuccess {\n        lines {\n          ...AllocatedLine\n        }\n      }\n      ...TakeRefused\n    }\n  }\n"): typeof import('./graphql.ts').DeductAllocatedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeductBatchAllocated($input: DeductStockBatchInput!) {\n    deductStockBatch(input: $input) {\n      results {\n        __typename\n        ... on DeductStockSuccess {\n          lines {\n            ...AllocatedLine\n          }\n        }\n        ...TakeRefused\n      }\n    }\n  }\n"): typeof import('./graphql.ts').DeductBatchAllocatedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReserveAllocated($input: ReserveStockInput!) {\n    reserveStock(input: $input) {\n      __typename\n      ... on ReserveStockSuccess {\n        lines {\n          ...AllocatedLine\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.ts').ReserveAllocatedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SkuLevels($id: ID!) {\n    sku(id: $id) {\n      available\n      reserved\n      sold\n      levels {\n        location {\n          id\n          active\n        }\n        available\n        reserved\n        sold\n      }\n    }\n  }\n"): typeof import('./graphql.ts').SkuLevelsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TransferStock($input: TransferStockInput!) {\n    transferStock(input: $input) {\n      __typename\n      ... on TransferStockSuccess {\n        skuId\n        fromLocationId\n        toLocationId\n        quantity\n      }\n      ... on InsufficientStock {\n        lines {\n          skuId\n          requested\n          obtainable\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.ts').TransferStockDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
