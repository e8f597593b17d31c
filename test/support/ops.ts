/**
 * Every GraphQL operation the tests send, as a client would write them; test/support/client.ts sends
 * them. Where a test compares a whole answer (toEqual), the selection here is what it compares: change
 * a selection and those tests change with it. Fragments shared by several operations are named GraphQL
 * fragments, spread by name.
 *
 * Each `graphql(...)` is a typed document of graphql-codegen's client preset (test/support/graphql/, made by
 * `npm run codegen`, which must run after any change here: `codegen --check` fails on drift, and an unknown
 * text makes `graphql()` answer nothing). `.toString()` gives the document's text, fragments appended, as a
 * `string` that still carries its result and variable types: `ResultOf<typeof DEDUCT>` is the answer's type,
 * and every function that takes a query string takes it. Prettier formats the GraphQL inside `graphql(...)`
 * (a field a line); run it before codegen, since the generated map is keyed by the exact text.
 */
import { graphql } from './graphql/index.ts';

/** What a take (deduct or reserve) answers when it takes nothing. */
graphql(`
  fragment TakeRefused on Outcome {
    ... on InsufficientStock {
      code
      message
      lines {
        skuId
        requested
        obtainable
      }
    }
    ... on UnknownSku {
      code
      message
      skuIds
    }
    ... on IdempotencyConflict {
      code
      message
      idempotencyKey
    }
    ... on Throttled {
      code
      message
      skuIds
      retryAfterMs
    }
  }
`);

export const DEDUCT = graphql(`
  mutation Deduct($input: DeductStockInput!) {
    deductStock(input: $input) {
      __typename
      ... on DeductStockSuccess {
        orderId
        idempotencyKey
        lines {
          skuId
          quantity
          availableAfter
        }
      }
      ...TakeRefused
    }
  }
`).toString();

/** Many carts at once: one result per cart, in the order of the carts, each as DEDUCT answers it. */
export const DEDUCT_BATCH = graphql(`
  mutation DeductBatch($input: DeductStockBatchInput!) {
    deductStockBatch(input: $input) {
      results {
        __typename
        ... on DeductStockSuccess {
          orderId
          idempotencyKey
          lines {
            skuId
            quantity
            availableAfter
          }
        }
        ...TakeRefused
      }
    }
  }
`).toString();

export const RESERVE_BATCH = graphql(`
  mutation ReserveBatch($input: ReserveStockBatchInput!) {
    reserveStockBatch(input: $input) {
      results {
        __typename
        ... on ReserveStockSuccess {
          orderId
          idempotencyKey
          deadline
          lines {
            skuId
            quantity
            availableAfter
          }
        }
        ...TakeRefused
      }
    }
  }
`).toString();

export const RESERVE = graphql(`
  mutation Reserve($input: ReserveStockInput!) {
    reserveStock(input: $input) {
      __typename
      ... on ReserveStockSuccess {
        orderId
        idempotencyKey
        deadline
        lines {
          skuId
          quantity
          availableAfter
        }
      }
      ...TakeRefused
    }
  }
`).toString();

/** A hold's lines as the API shows them. */
graphql(`
  fragment HoldLines on Reservation {
    lines {
      skuId
      reserved
      confirmed
      released
      expired
      held
    }
  }
`);

/** What confirmReservation and releaseReservation answer besides their success: both as `settled`, so one check reads either. */
graphql(`
  fragment SettledReservation on Reservation {
    id
    orderId
    state
    deadline
    ...HoldLines
  }
`);

graphql(`
  fragment SettleRefused on Outcome {
    ... on ReservationExpired {
      code
      message
      orderId
      deadline
    }
    ... on ReservationAlreadyReleased {
      code
      message
      orderId
    }
    ... on ReservationAlreadyConfirmed {
      code
      message
      orderId
    }
    ... on UnknownReservation {
      code
      message
      orderId
    }
    ... on ExceedsReserved {
      code
      message
      lines {
        skuId
        held
        requested
      }
    }
    ... on SkuNotInOrder {
      code
      message
      orderId
      skuIds
    }
    ... on IdempotencyConflict {
      code
      message
      idempotencyKey
    }
  }
`);

export const CONFIRM = graphql(`
  mutation Confirm($input: ConfirmReservationInput!) {
    settled: confirmReservation(input: $input) {
      __typename
      ... on ConfirmReservationSuccess {
        reservation {
          ...SettledReservation
        }
      }
      ...SettleRefused
    }
  }
`).toString();

export const RELEASE = graphql(`
  mutation Release($input: ReleaseReservationInput!) {
    settled: releaseReservation(input: $input) {
      __typename
      ... on ReleaseReservationSuccess {
        reservation {
          ...SettledReservation
        }
      }
      ...SettleRefused
    }
  }
`).toString();

export const RESERVATION = graphql(`
  query Reservation($orderId: ID!) {
    reservation(orderId: $orderId) {
      orderId
      state
      deadline
      ...HoldLines
    }
  }
`).toString();

export const REFUND = graphql(`
  mutation Refund($input: RefundStockInput!) {
    refundStock(input: $input) {
      __typename
      ... on RefundStockSuccess {
        orderId
        idempotencyKey
        lines {
          skuId
          quantity
          deducted
          refunded
          refundable
        }
      }
      ... on RefundExceedsDeducted {
        code
        message
        lines {
          skuId
          deducted
          alreadyRefunded
          requested
        }
      }
      ... on UnknownOrder {
        code
        message
        orderId
      }
      ... on SkuNotInOrder {
        code
        message
        orderId
        skuIds
      }
      ... on IdempotencyConflict {
        code
        message
        idempotencyKey
      }
    }
  }
`).toString();

export const RESTOCK = graphql(`
  mutation Restock($input: RestockInput!) {
    restock(input: $input) {
      __typename
      ... on RestockSuccess {
        skuId
        quantity
        availableAfter
      }
      ... on UnknownSku {
        code
        message
        skuIds
      }
      ... on IdempotencyConflict {
        code
        message
        idempotencyKey
      }
    }
  }
`).toString();

/** What setting a level answers: the SKU as set, or why it was not. */
graphql(`
  fragment SetStockAnswer on SetStockResult {
    __typename
    ... on SetStockSuccess {
      sku {
        id
        available
        reserved
        sold
        unlimited
        backorderLimit
      }
    }
    ... on StockChanged {
      code
      message
      skuId
      expectedAvailable
      currentAvailable
    }
    ... on UnknownSku {
      code
      message
      skuIds
    }
  }
`);

export const SET_STOCK = graphql(`
  mutation SetStock($input: SetStockInput!) {
    setStock(input: $input) {
      ...SetStockAnswer
    }
  }
`).toString();

export const SET_STOCK_BATCH = graphql(`
  mutation SetStockBatch($input: SetStockBatchInput!) {
    setStockBatch(input: $input) {
      results {
        ...SetStockAnswer
      }
    }
  }
`).toString();

export const UPSERT = graphql(`
  mutation Upsert($input: UpsertSkusInput!) {
    upsertSkus(input: $input) {
      __typename
      ... on UpsertSkusSuccess {
        skus {
          id
          name
          available
          reserved
          sold
          unlimited
        }
      }
    }
  }
`).toString();

export const SKUS = graphql(`
  query Skus($ids: [ID!]!) {
    skus(ids: $ids) {
      id
      name
      available
      reserved
      sold
      unlimited
    }
  }
`).toString();

export const SKU = graphql(`
  query Sku($id: ID!) {
    sku(id: $id) {
      id
      name
      available
      reserved
      sold
      unlimited
      backorderLimit
    }
  }
`).toString();

/** Upsert and read with the hot-SKU throttle: the throttle tests compare these whole. */
export const UPSERT_THROTTLE = graphql(`
  mutation UpsertThrottle($input: UpsertSkusInput!) {
    upsertSkus(input: $input) {
      __typename
      ... on UpsertSkusSuccess {
        skus {
          id
          available
          throttlePerSecond
        }
      }
    }
  }
`).toString();

/** Upsert with gate buckets (test/buckets.test.ts). */
export const UPSERT_BUCKETS = graphql(`
  mutation UpsertBuckets($input: UpsertSkusInput!) {
    upsertSkus(input: $input) {
      __typename
      ... on UpsertSkusSuccess {
        skus {
          id
          available
          backorderLimit
          buckets
        }
      }
    }
  }
`).toString();

export const SOLD_THROTTLE = graphql(`
  query SoldThrottle($ids: [ID!]!) {
    skus(ids: $ids) {
      id
      sold
      reserved
      throttlePerSecond
    }
  }
`).toString();

/** An order's lines: what was deducted, refunded and is still refundable. */
graphql(`
  fragment OrderLines on Order {
    id
    lines {
      skuId
      deducted
      refunded
      refundable
    }
  }
`);

export const ORDER = graphql(`
  query Order($id: ID!) {
    order(id: $id) {
      ...OrderLines
    }
  }
`).toString();

/** An order with its hold, as the conservation model sees it. */
export const ORDER_WITH_RESERVATION = graphql(`
  query OrderWithReservation($id: ID!) {
    order(id: $id) {
      ...OrderLines
      reservation {
        state
        ...HoldLines
      }
    }
  }
`).toString();

export const MOVEMENTS = graphql(`
  query Movements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String, $last: Int, $before: String) {
    movements(skuId: $skuId, orderId: $orderId, kinds: $kinds, first: $first, after: $after, last: $last, before: $before) {
      edges {
        cursor
        node {
          id
          kind
          skuId
          quantity
          deltaAvailable
          deltaReserved
          deltaSold
          orderId
          orderLine
          idempotencyKey
          createdAt
        }
      }
      pageInfo {
        startCursor
        endCursor
        hasNextPage
        hasPreviousPage
      }
    }
  }
`).toString();

/** A SKU's level as a subscriber sees it. */
graphql(`
  fragment Level on StockLevel {
    skuId
    available
    reserved
    sold
    unlimited
    state
    lowStockThreshold
    version
    changedAt
  }
`);

export const STOCK_LEVELS = graphql(`
  subscription Levels($skuIds: [ID!]!) {
    stockLevels(skuIds: $skuIds) {
      ...Level
    }
  }
`).toString();

export const STOCK_ALERTS = graphql(`
  subscription Alerts($skuIds: [ID!]) {
    stockAlerts(skuIds: $skuIds) {
      kind
      skuId
      level {
        skuId
        available
        reserved
        sold
        state
        version
      }
    }
  }
`).toString();

/** One movement of the change feed, with its cursor. */
export const STOCK_MOVEMENTS = graphql(`
  subscription StockMovements($skuIds: [ID!], $after: String) {
    stockMovements(skuIds: $skuIds, after: $after) {
      cursor
      movement {
        id
        kind
        skuId
        quantity
        deltaAvailable
        deltaReserved
        deltaSold
        orderId
        orderLine
        idempotencyKey
        createdAt
      }
    }
  }
`).toString();

graphql(`
  fragment Audit on SkuAudit {
    skuId
    conserved
    gateAgrees
    drift
    unmergedMovements
    lastReconciledAt
  }
`);

export const STOCK_AUDIT = graphql(`
  query StockAudit($skuIds: [ID!]!) {
    stockAudit(skuIds: $skuIds) {
      ...Audit
    }
  }
`).toString();

export const RECONCILE_STOCK = graphql(`
  mutation ReconcileStock($input: ReconcileStockInput!) {
    reconcileStock(input: $input) {
      __typename
      ... on ReconcileStockSuccess {
        audits {
          ...Audit
        }
      }
      ... on UnknownSku {
        code
        message
        skuIds
      }
    }
  }
`).toString();

export const UPSERT_LOCATIONS = graphql(`
  mutation UpsertLocations($input: UpsertLocationsInput!) {
    upsertLocations(input: $input) {
      __typename
      ... on UpsertLocationsSuccess {
        locations {
          id
          name
          priority
          active
        }
      }
    }
  }
`).toString();

/** A taken line with where its units came from (stock in many locations). */
graphql(`
  fragment AllocatedLine on TakenLine {
    skuId
    quantity
    allocations {
      locationId
      quantity
    }
  }
`);

/** A deduct's answer with where each line's units came from. */
export const DEDUCT_ALLOCATED = graphql(`
  mutation DeductAllocated($input: DeductStockInput!) {
    deductStock(input: $input) {
      __typename
      ... on DeductStockSuccess {
        lines {
          ...AllocatedLine
        }
      }
      ...TakeRefused
    }
  }
`).toString();

/** DEDUCT_BATCH with where each line's units came from. */
export const DEDUCT_BATCH_ALLOCATED = graphql(`
  mutation DeductBatchAllocated($input: DeductStockBatchInput!) {
    deductStockBatch(input: $input) {
      results {
        __typename
        ... on DeductStockSuccess {
          lines {
            ...AllocatedLine
          }
        }
        ...TakeRefused
      }
    }
  }
`).toString();

export const RESERVE_ALLOCATED = graphql(`
  mutation ReserveAllocated($input: ReserveStockInput!) {
    reserveStock(input: $input) {
      __typename
      ... on ReserveStockSuccess {
        lines {
          ...AllocatedLine
        }
      }
    }
  }
`).toString();

export const SKU_LEVELS = graphql(`
  query SkuLevels($id: ID!) {
    sku(id: $id) {
      available
      reserved
      sold
      levels {
        location {
          id
          active
        }
        available
        reserved
        sold
      }
    }
  }
`).toString();

export const TRANSFER_STOCK = graphql(`
  mutation TransferStock($input: TransferStockInput!) {
    transferStock(input: $input) {
      __typename
      ... on TransferStockSuccess {
        skuId
        fromLocationId
        toLocationId
        quantity
      }
      ... on InsufficientStock {
        lines {
          skuId
          requested
          obtainable
        }
      }
    }
  }
`).toString();
