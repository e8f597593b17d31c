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
    "\n  mutation ClientDeduct($input: DeductStockInput!) {\n    deductStock(input: $input) {\n      __typename\n      ... on Outcome {\n        code\n        message\n      }\n      ... on DeductStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          ...ClientTakenLine\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientInsufficientStock\n      ...ClientThrottled\n      ...ClientUnknownSku\n    }\n  }\n": typeof types.ClientDeductDocument,
    "\n  mutation ClientReserve($input: ReserveStockInput!) {\n    reserveStock(input: $input) {\n      __typename\n      ... on ReserveStockSuccess {\n        orderId\n        idempotencyKey\n        deadline\n        lines {\n          ...ClientTakenLine\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientInsufficientStock\n      ...ClientThrottled\n      ...ClientUnknownSku\n    }\n  }\n": typeof types.ClientReserveDocument,
    "\n  mutation ClientConfirm($input: ConfirmReservationInput!) {\n    confirmReservation(input: $input) {\n      __typename\n      ... on ConfirmReservationSuccess {\n        reservation {\n          ...ClientReservation\n        }\n      }\n      ...ClientSettleRefused\n    }\n  }\n": typeof types.ClientConfirmDocument,
    "\n  mutation ClientRelease($input: ReleaseReservationInput!) {\n    releaseReservation(input: $input) {\n      __typename\n      ... on ReleaseReservationSuccess {\n        reservation {\n          ...ClientReservation\n        }\n      }\n      ...ClientSettleRefused\n    }\n  }\n": typeof types.ClientReleaseDocument,
    "\n  mutation ClientRefund($input: RefundStockInput!) {\n    refundStock(input: $input) {\n      __typename\n      ... on RefundStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          skuId\n          quantity\n          deducted\n          refunded\n          refundable\n          sku {\n            ...ClientSku\n          }\n        }\n      }\n      ... on RefundExceedsDeducted {\n        code\n        message\n        lines {\n          skuId\n          deducted\n          alreadyRefunded\n          requested\n        }\n      }\n      ... on UnknownOrder {\n        code\n        message\n        orderId\n      }\n      ... on SkuNotInOrder {\n        code\n        message\n        orderId\n        skuIds\n      }\n      ...ClientIdempotencyConflict\n    }\n  }\n": typeof types.ClientRefundDocument,
    "\n  mutation ClientRestock($input: RestockInput!) {\n    restock(input: $input) {\n      __typename\n      ... on RestockSuccess {\n        skuId\n        quantity\n        availableAfter\n        sku {\n          ...ClientSku\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientUnknownSku\n    }\n  }\n": typeof types.ClientRestockDocument,
    "\n  mutation ClientSetStock($input: SetStockInput!) {\n    setStock(input: $input) {\n      __typename\n      ... on SetStockSuccess {\n        sku {\n          ...ClientSku\n        }\n      }\n      ... on StockChanged {\n        code\n        message\n        skuId\n        expectedAvailable\n        currentAvailable\n      }\n      ...ClientUnknownSku\n    }\n  }\n": typeof types.ClientSetStockDocument,
    "\n  mutation ClientUpsert($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          ...ClientSku\n          name\n          unlimited\n          backorderLimit\n        }\n      }\n    }\n  }\n": typeof types.ClientUpsertDocument,
    "\n  query ClientSku($id: ID!) {\n    sku(id: $id) {\n      ...ClientSku\n    }\n  }\n": typeof types.ClientSkuDocument,
    "\n  query ClientSkus($ids: [ID!]!) {\n    skus(ids: $ids) {\n      ...ClientSku\n    }\n  }\n": typeof types.ClientSkusDocument,
    "\n  query ClientMovements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String) {\n    movements(skuId: $skuId, orderId: $orderId, kinds: $kinds, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          kind\n          skuId\n          quantity\n          deltaAvailable\n          deltaReserved\n          deltaSold\n          orderId\n          createdAt\n        }\n      }\n      pageInfo {\n        startCursor\n        endCursor\n        hasNextPage\n        hasPreviousPage\n      }\n    }\n  }\n": typeof types.ClientMovementsDocument,
    "\n  subscription ClientStockLevels($skuIds: [ID!]!) {\n    stockLevels(skuIds: $skuIds) {\n      skuId\n      available\n      reserved\n      sold\n      version\n      changedAt\n      sku {\n        id\n        available\n      }\n    }\n  }\n": typeof types.ClientStockLevelsDocument,
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
    "\n  mutation ClientDeduct($input: DeductStockInput!) {\n    deductStock(input: $input) {\n      __typename\n      ... on Outcome {\n        code\n        message\n      }\n      ... on DeductStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          ...ClientTakenLine\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientInsufficientStock\n      ...ClientThrottled\n      ...ClientUnknownSku\n    }\n  }\n": types.ClientDeductDocument,
    "\n  mutation ClientReserve($input: ReserveStockInput!) {\n    reserveStock(input: $input) {\n      __typename\n      ... on ReserveStockSuccess {\n        orderId\n        idempotencyKey\n        deadline\n        lines {\n          ...ClientTakenLine\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientInsufficientStock\n      ...ClientThrottled\n      ...ClientUnknownSku\n    }\n  }\n": types.ClientReserveDocument,
    "\n  mutation ClientConfirm($input: ConfirmReservationInput!) {\n    confirmReservation(input: $input) {\n      __typename\n      ... on ConfirmReservationSuccess {\n        reservation {\n          ...ClientReservation\n        }\n      }\n      ...ClientSettleRefused\n    }\n  }\n": types.ClientConfirmDocument,
    "\n  mutation ClientRelease($input: ReleaseReservationInput!) {\n    releaseReservation(input: $input) {\n      __typename\n      ... on ReleaseReservationSuccess {\n        reservation {\n          ...ClientReservation\n        }\n      }\n      ...ClientSettleRefused\n    }\n  }\n": types.ClientReleaseDocument,
    "\n  mutation ClientRefund($input: RefundStockInput!) {\n    refundStock(input: $input) {\n      __typename\n      ... on RefundStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          skuId\n          quantity\n          deducted\n          refunded\n          refundable\n          sku {\n            ...ClientSku\n          }\n        }\n      }\n      ... on RefundExceedsDeducted {\n        code\n        message\n        lines {\n          skuId\n          deducted\n          alreadyRefunded\n          requested\n        }\n      }\n      ... on UnknownOrder {\n        code\n        message\n        orderId\n      }\n      ... on SkuNotInOrder {\n        code\n        message\n        orderId\n        skuIds\n      }\n      ...ClientIdempotencyConflict\n    }\n  }\n": types.ClientRefundDocument,
    "\n  mutation ClientRestock($input: RestockInput!) {\n    restock(input: $input) {\n      __typename\n      ... on RestockSuccess {\n        skuId\n        quantity\n        availableAfter\n        sku {\n          ...ClientSku\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientUnknownSku\n    }\n  }\n": types.ClientRestockDocument,
    "\n  mutation ClientSetStock($input: SetStockInput!) {\n    setStock(input: $input) {\n      __typename\n      ... on SetStockSuccess {\n        sku {\n          ...ClientSku\n        }\n      }\n      ... on StockChanged {\n        code\n        message\n        skuId\n        expectedAvailable\n        currentAvailable\n      }\n      ...ClientUnknownSku\n    }\n  }\n": types.ClientSetStockDocument,
    "\n  mutation ClientUpsert($input: UpsertSkusInput!) {\n    upsertSkus(input: $input) {\n      __typename\n      ... on UpsertSkusSuccess {\n        skus {\n          ...ClientSku\n          name\n          unlimited\n          backorderLimit\n        }\n      }\n    }\n  }\n": types.ClientUpsertDocument,
    "\n  query ClientSku($id: ID!) {\n    sku(id: $id) {\n      ...ClientSku\n    }\n  }\n": types.ClientSkuDocument,
    "\n  query ClientSkus($ids: [ID!]!) {\n    skus(ids: $ids) {\n      ...ClientSku\n    }\n  }\n": types.ClientSkusDocument,
    "\n  query ClientMovements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String) {\n    movements(skuId: $skuId, orderId: $orderId, kinds: $kinds, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          kind\n          skuId\n          quantity\n          deltaAvailable\n          deltaReserved\n          deltaSold\n          orderId\n          createdAt\n        }\n      }\n      pageInfo {\n        startCursor\n        endCursor\n        hasNextPage\n        hasPreviousPage\n      }\n    }\n  }\n": types.ClientMovementsDocument,
    "\n  subscription ClientStockLevels($skuIds: [ID!]!) {\n    stockLevels(skuIds: $skuIds) {\n      skuId\n      available\n      reserved\n      sold\n      version\n      changedAt\n      sku {\n        id\n        available\n      }\n    }\n  }\n": types.ClientStockLevelsDocument,
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
export function graphql(source: "\n  mutation ClientDeduct($input: DeductStockInput!) {\n    deductStock(input: $input) {\n      __typename\n      ... on Outcome {\n        code\n        message\n      }\n      ... on DeductStockSuccess {\n        orderId\n        idempotencyKey\n        lines {\n          ...ClientTakenLine\n        }\n      }\n      ...ClientIdempotencyConflict\n      ...ClientInsufficientStock\n      ...ClientThrottled\n      ...ClientUnknownSku\n    }\n  }\n"): typeof import('./graphql.ts').ClientDeductDocument;
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
export function graphql(source: "\n  mutation ClientSetStock($input: SetStockInput!) {\n    setStock(input: $input) {\n      __typename\n      ... on SetStockSuccess {\n        sku {\n          ...ClientSku\n        }\n      }\n      ... on StockChanged {\n        code\n        message\n        skuId\n        expectedAvailable\n        currentAvailable\n      }\n      ...ClientUnknownSku\n    }\n  }\n"): typeof import('./graphql.ts').ClientSetStockDocument;
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


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
