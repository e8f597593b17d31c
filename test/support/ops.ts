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
