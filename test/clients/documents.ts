/**
 * The client suite's own operations: every mutation with a selection of every member of its result union
 * (each member with all its fields, SKUs on lines as `ClientSku`), the SKU reads a client cache answers,
 * a movements page and the live levels. `npm run codegen` types them into test/support/graphql/ (client
 * preset, string documents); operation and fragment names start with `Client` so they never meet those of
 * test/support/ops.ts in that one document set.
 */
import { graphql } from '../support/graphql/index.ts';

graphql(`
  fragment ClientSku on Sku {
    id
    available
    reserved
    sold
  }
`);

graphql(`
  fragment ClientTakenLine on TakenLine {
    skuId
    quantity
    availableAfter
    sku {
      ...ClientSku
    }
  }
`);

graphql(`
  fragment ClientIdempotencyConflict on IdempotencyConflict {
    code
    message
    idempotencyKey
  }
`);

graphql(`
  fragment ClientInsufficientStock on InsufficientStock {
    code
    message
    lines {
      skuId
      requested
      obtainable
      sku {
        ...ClientSku
      }
    }
  }
`);

graphql(`
  fragment ClientThrottled on Throttled {
    code
    message
    skuIds
    retryAfterMs
  }
`);

graphql(`
  fragment ClientUnknownSku on UnknownSku {
    code
    message
    skuIds
  }
`);

graphql(`
  fragment ClientReservation on Reservation {
    id
    orderId
    state
    deadline
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

/** What confirmReservation and releaseReservation share besides their success member. */
graphql(`
  fragment ClientSettleRefused on Outcome {
    code
    message
    ... on ReservationExpired {
      orderId
      deadline
    }
    ... on ReservationAlreadyConfirmed {
      orderId
    }
    ... on ReservationAlreadyReleased {
      orderId
    }
    ... on UnknownReservation {
      orderId
    }
    ... on ExceedsReserved {
      lines {
        skuId
        held
        requested
        sku {
          ...ClientSku
        }
      }
    }
    ... on SkuNotInOrder {
      orderId
      skuIds
    }
    ... on IdempotencyConflict {
      idempotencyKey
    }
  }
`);

/** `... on Outcome`: the interface's fields reach every refusal through the cache's possibleTypes. */
graphql(`
  fragment ClientDeductAnswer on DeductStockResult {
    __typename
    ... on Outcome {
      code
      message
    }
    ... on DeductStockSuccess {
      orderId
      idempotencyKey
      lines {
        ...ClientTakenLine
      }
    }
    ...ClientIdempotencyConflict
    ...ClientInsufficientStock
    ...ClientThrottled
    ...ClientUnknownSku
  }
`);

export const ClientDeduct = graphql(`
  mutation ClientDeduct($input: DeductStockInput!) {
    deductStock(input: $input) {
      ...ClientDeductAnswer
    }
  }
`);

/** Each cart's result is read as a single deduct's: the same fragment, so the same type. */
export const ClientDeductBatch = graphql(`
  mutation ClientDeductBatch($input: DeductStockBatchInput!) {
    deductStockBatch(input: $input) {
      results {
        ...ClientDeductAnswer
      }
    }
  }
`);

export const ClientReserve = graphql(`
  mutation ClientReserve($input: ReserveStockInput!) {
    reserveStock(input: $input) {
      __typename
      ... on ReserveStockSuccess {
        orderId
        idempotencyKey
        deadline
        lines {
          ...ClientTakenLine
        }
      }
      ...ClientIdempotencyConflict
      ...ClientInsufficientStock
      ...ClientThrottled
      ...ClientUnknownSku
    }
  }
`);

export const ClientConfirm = graphql(`
  mutation ClientConfirm($input: ConfirmReservationInput!) {
    confirmReservation(input: $input) {
      __typename
      ... on ConfirmReservationSuccess {
        reservation {
          ...ClientReservation
        }
      }
      ...ClientSettleRefused
    }
  }
`);

export const ClientRelease = graphql(`
  mutation ClientRelease($input: ReleaseReservationInput!) {
    releaseReservation(input: $input) {
      __typename
      ... on ReleaseReservationSuccess {
        reservation {
          ...ClientReservation
        }
      }
      ...ClientSettleRefused
    }
  }
`);

export const ClientRefund = graphql(`
  mutation ClientRefund($input: RefundStockInput!) {
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
          sku {
            ...ClientSku
          }
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
      ...ClientIdempotencyConflict
    }
  }
`);

export const ClientRestock = graphql(`
  mutation ClientRestock($input: RestockInput!) {
    restock(input: $input) {
      __typename
      ... on RestockSuccess {
        skuId
        quantity
        availableAfter
        sku {
          ...ClientSku
        }
      }
      ...ClientIdempotencyConflict
      ...ClientUnknownSku
    }
  }
`);

graphql(`
  fragment ClientSetStockAnswer on SetStockResult {
    __typename
    ... on SetStockSuccess {
      sku {
        ...ClientSku
      }
    }
    ... on StockChanged {
      code
      message
      skuId
      expectedAvailable
      currentAvailable
    }
    ...ClientUnknownSku
  }
`);

export const ClientSetStock = graphql(`
  mutation ClientSetStock($input: SetStockInput!) {
    setStock(input: $input) {
      ...ClientSetStockAnswer
    }
  }
`);

export const ClientSetStockBatch = graphql(`
  mutation ClientSetStockBatch($input: SetStockBatchInput!) {
    setStockBatch(input: $input) {
      results {
        ...ClientSetStockAnswer
      }
    }
  }
`);

export const ClientUpsert = graphql(`
  mutation ClientUpsert($input: UpsertSkusInput!) {
    upsertSkus(input: $input) {
      __typename
      ... on UpsertSkusSuccess {
        skus {
          ...ClientSku
          name
          unlimited
          backorderLimit
        }
      }
    }
  }
`);

export const ClientSkuQuery = graphql(`
  query ClientSku($id: ID!) {
    sku(id: $id) {
      ...ClientSku
    }
  }
`);

export const ClientSkus = graphql(`
  query ClientSkus($ids: [ID!]!) {
    skus(ids: $ids) {
      ...ClientSku
    }
  }
`);

export const ClientMovements = graphql(`
  query ClientMovements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String) {
    movements(skuId: $skuId, orderId: $orderId, kinds: $kinds, first: $first, after: $after) {
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
`);

export const ClientStockLevels = graphql(`
  subscription ClientStockLevels($skuIds: [ID!]!) {
    stockLevels(skuIds: $skuIds) {
      skuId
      available
      reserved
      sold
      version
      changedAt
      sku {
        id
        available
      }
    }
  }
`);

export const ClientStockMovements = graphql(`
  subscription ClientStockMovements($skuIds: [ID!], $after: String) {
    stockMovements(skuIds: $skuIds, after: $after) {
      cursor
      movement {
        id
        kind
        skuId
        quantity
        deltaAvailable
        deltaSold
        orderId
        createdAt
      }
    }
  }
`);

graphql(`
  fragment ClientSkuAudit on SkuAudit {
    skuId
    conserved
    gateAgrees
    drift
    unmergedMovements
    lastReconciledAt
  }
`);

export const ClientStockAudit = graphql(`
  query ClientStockAudit($skuIds: [ID!]!) {
    stockAudit(skuIds: $skuIds) {
      ...ClientSkuAudit
    }
  }
`);

export const ClientReconcileStock = graphql(`
  mutation ClientReconcileStock($input: ReconcileStockInput!) {
    reconcileStock(input: $input) {
      __typename
      ... on ReconcileStockSuccess {
        audits {
          ...ClientSkuAudit
        }
      }
      ... on UnknownSku {
        code
        message
        skuIds
      }
    }
  }
`);

export const ClientUpsertLocations = graphql(`
  mutation ClientUpsertLocations($input: UpsertLocationsInput!) {
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
`);

export const ClientTransferStock = graphql(`
  mutation ClientTransferStock($input: TransferStockInput!) {
    transferStock(input: $input) {
      __typename
      ... on TransferStockSuccess {
        skuId
        fromLocationId
        toLocationId
        quantity
        sku {
          id
          available
          levels {
            location {
              id
            }
            available
          }
        }
      }
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
    }
  }
`);
