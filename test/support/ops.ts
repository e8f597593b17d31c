/** The operations tests send, as a client would write them. */
export const DEDUCT = /* GraphQL */ `
  mutation Deduct($input: DeductStockInput!) {
    deductStock(input: $input) {
      __typename
      ... on DeductStockSuccess { orderId idempotencyKey lines { skuId quantity available } }
      ... on InsufficientStock { code message short: lines { skuId requested available } }
      ... on UnknownSku { code message skuIds }
      ... on IdempotencyConflict { code message idempotencyKey }
    }
  }`;

export const UPSERT = /* GraphQL */ `
  mutation Upsert($input: [UpsertSkuInput!]!) {
    upsertSkus(input: $input) { id name available reserved sold unlimited }
  }`;

export const SKUS = /* GraphQL */ `
  query Skus($ids: [ID!]!) { skus(ids: $ids) { id name available reserved sold unlimited } }`;

export const SKU = /* GraphQL */ `
  query Sku($id: ID!) { sku(id: $id) { id name available reserved sold unlimited backorderLimit } }`;

export const REFUND = /* GraphQL */ `
  mutation Refund($input: RefundStockInput!) {
    refundStock(input: $input) {
      __typename
      ... on RefundStockSuccess { orderId refundId lines { skuId quantity deducted refunded refundable } }
      ... on RefundExceedsDeducted { code message exceeding: lines { skuId deducted alreadyRefunded requested } }
      ... on UnknownOrder { code message orderId }
      ... on SkuNotInOrder { code message orderId skuIds }
      ... on IdempotencyConflict { code message idempotencyKey }
    }
  }`;

export const RESTOCK = /* GraphQL */ `
  mutation Restock($input: RestockInput!) {
    restock(input: $input) {
      __typename
      ... on RestockSuccess { skuId quantity available }
      ... on UnknownSku { code message skuIds }
      ... on IdempotencyConflict { code message idempotencyKey }
    }
  }`;

export const SET_STOCK = /* GraphQL */ `
  mutation SetStock($input: SetStockInput!) {
    setStock(input: $input) {
      __typename
      ... on Sku { id available reserved sold unlimited backorderLimit }
      ... on StockChanged { code message skuId expectedAvailable currentAvailable }
      ... on UnknownSku { code message skuIds }
    }
  }`;

export const ORDER = /* GraphQL */ `
  query Order($id: ID!) { order(id: $id) { id lines { skuId deducted refunded refundable } } }`;

export const MOVEMENTS = /* GraphQL */ `
  query Movements($skuId: ID, $orderId: ID, $kinds: [MovementKind!], $first: Int, $after: String, $last: Int, $before: String) {
    movements(skuId: $skuId, orderId: $orderId, kinds: $kinds, first: $first, after: $after, last: $last, before: $before) {
      edges {
        cursor
        node { id kind skuId quantity deltaAvailable deltaReserved deltaSold orderId orderLine idempotencyKey createdAt }
      }
      pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
    }
  }`;
