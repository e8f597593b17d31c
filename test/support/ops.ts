/**
 * Every GraphQL operation the tests send, as a client would write them; test/support/client.ts sends
 * them. Where a test compares a whole answer (toEqual), the selection here is what it compares: change
 * a selection and those tests change with it. Fragments shared by several operations are spelled once.
 * They are plain strings, one line per fragment: a GraphQL tag would have Prettier spread every field
 * over a line of its own.
 */

/** What a take (deduct or reserve) answers when it takes nothing. */
const TAKE_REFUSED = `
      ... on InsufficientStock { code message lines { skuId requested obtainable } }
      ... on UnknownSku { code message skuIds }
      ... on IdempotencyConflict { code message idempotencyKey }
      ... on Throttled { code message skuIds retryAfterMs }`;

export const DEDUCT = `
  mutation Deduct($input: DeductStockInput!) {
    deductStock(input: $input) {
      __typename
      ... on DeductStockSuccess { orderId idempotencyKey lines { skuId quantity availableAfter } }${TAKE_REFUSED}
    }
  }`;

export const RESERVE = `
  mutation Reserve($input: ReserveStockInput!) {
    reserveStock(input: $input) {
      __typename
      ... on ReserveStockSuccess { orderId idempotencyKey deadline lines { skuId quantity availableAfter } }${TAKE_REFUSED}
    }
  }`;

/** A hold's lines as the API shows them. */
const HOLD_LINES = 'lines { skuId reserved confirmed released expired held }';

/** What confirmReservation and releaseReservation answer: both as `settled`, so one check reads either. */
const SETTLED = (success: string) => `
      __typename
      ... on ${success} { reservation { id orderId state deadline ${HOLD_LINES} } }
      ... on ReservationExpired { code message orderId deadline }
      ... on ReservationAlreadyReleased { code message orderId }
      ... on ReservationAlreadyConfirmed { code message orderId }
      ... on UnknownReservation { code message orderId }
      ... on ExceedsReserved { code message lines { skuId held requested } }
      ... on SkuNotInOrder { code message orderId skuIds }
      ... on IdempotencyConflict { code message idempotencyKey }`;

export const CONFIRM = `
  mutation Confirm($input: ConfirmReservationInput!) { settled: confirmReservation(input: $input) { ${SETTLED('ConfirmReservationSuccess')} } }`;

export const RELEASE = `
  mutation Release($input: ReleaseReservationInput!) { settled: releaseReservation(input: $input) { ${SETTLED('ReleaseReservationSuccess')} } }`;

export const RESERVATION = `
  query Reservation($orderId: ID!) { reservation(orderId: $orderId) { orderId state deadline ${HOLD_LINES} } }`;

export const REFUND = `
  mutation Refund($input: RefundStockInput!) {
    refundStock(input: $input) {
      __typename
      ... on RefundStockSuccess { orderId idempotencyKey lines { skuId quantity deducted refunded refundable } }
      ... on RefundExceedsDeducted { code message lines { skuId deducted alreadyRefunded requested } }
      ... on UnknownOrder { code message orderId }
      ... on SkuNotInOrder { code message orderId skuIds }
      ... on IdempotencyConflict { code message idempotencyKey }
    }
  }`;

export const RESTOCK = `
  mutation Restock($input: RestockInput!) {
    restock(input: $input) {
      __typename
      ... on RestockSuccess { skuId quantity availableAfter }
      ... on UnknownSku { code message skuIds }
      ... on IdempotencyConflict { code message idempotencyKey }
    }
  }`;

export const SET_STOCK = `
  mutation SetStock($input: SetStockInput!) {
    setStock(input: $input) {
      __typename
      ... on SetStockSuccess { sku { id available reserved sold unlimited backorderLimit } }
      ... on StockChanged { code message skuId expectedAvailable currentAvailable }
      ... on UnknownSku { code message skuIds }
    }
  }`;

export const UPSERT = `
  mutation Upsert($input: UpsertSkusInput!) {
    upsertSkus(input: $input) { __typename ... on UpsertSkusSuccess { skus { id name available reserved sold unlimited } } }
  }`;

export const SKUS = `
  query Skus($ids: [ID!]!) { skus(ids: $ids) { id name available reserved sold unlimited } }`;

export const SKU = `
  query Sku($id: ID!) { sku(id: $id) { id name available reserved sold unlimited backorderLimit } }`;

/** Upsert and read with the hot-SKU throttle: the throttle tests compare these whole. */
export const UPSERT_THROTTLE = `
  mutation UpsertThrottle($input: UpsertSkusInput!) {
    upsertSkus(input: $input) { __typename ... on UpsertSkusSuccess { skus { id available throttlePerSecond } } }
  }`;

export const SOLD_THROTTLE = `
  query SoldThrottle($ids: [ID!]!) { skus(ids: $ids) { id sold reserved throttlePerSecond } }`;

/** An order's lines: what was deducted, refunded and is still refundable. */
const ORDER_LINES = 'id lines { skuId deducted refunded refundable }';

export const ORDER = `
  query Order($id: ID!) { order(id: $id) { ${ORDER_LINES} } }`;

/** An order with its hold, as the conservation model sees it. */
export const ORDER_WITH_RESERVATION = `
  query OrderWithReservation($id: ID!) { order(id: $id) { ${ORDER_LINES} reservation { state ${HOLD_LINES} } } }`;

export const MOVEMENTS = `
  query Movements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String, $last: Int, $before: String) {
    movements(skuId: $skuId, orderId: $orderId, kinds: $kinds, first: $first, after: $after, last: $last, before: $before) {
      edges {
        cursor
        node { id kind skuId quantity deltaAvailable deltaReserved deltaSold orderId orderLine idempotencyKey createdAt }
      }
      pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
    }
  }`;

/** A SKU's level as a subscriber sees it. */
const LEVEL = 'skuId available reserved sold unlimited state lowStockThreshold version changedAt';

export const STOCK_LEVELS = `
  subscription Levels($skuIds: [ID!]!) { stockLevels(skuIds: $skuIds) { ${LEVEL} } }`;

export const STOCK_ALERTS = `
  subscription Alerts($skuIds: [ID!]) { stockAlerts(skuIds: $skuIds) { kind skuId level { skuId available reserved sold state version } } }`;
