import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

/**
 * The schema of the bench-only servers (bench/ceiling.ts, bench/bare.ts and bench/lean.ts), and how
 * they serve it (serveBench): the shape of stockgate's deductStock and deductStockBatch, cut to what the
 * bench asks for, so each pays the same HTTP and GraphQL cost as stockgate does for the same query text.
 */
export const typeDefs = /* GraphQL */ `
  input StockLineInput {
    skuId: ID!
    quantity: Int!
  }
  input DeductStockInput {
    orderId: ID!
    idempotencyKey: String
    lines: [StockLineInput!]!
  }
  type DeductedLine {
    skuId: ID!
    quantity: Int!
    available: Int
  }
  type DeductStockSuccess {
    orderId: ID!
    lines: [DeductedLine!]!
  }
  type InsufficientStock {
    code: String!
    message: String!
  }
  union DeductStockResult = DeductStockSuccess | InsufficientStock
  input DeductStockBatchInput {
    carts: [DeductStockInput!]!
  }
  type DeductStockBatchPayload {
    results: [DeductStockResult!]!
  }
  type Query {
    ok: Boolean!
  }
  type Mutation {
    deductStock(input: DeductStockInput!): DeductStockResult!
    deductStockBatch(input: DeductStockBatchInput!): DeductStockBatchPayload!
  }
`;

/** The SKU the bench seeds with nothing available: every deduct of it is refused (the sold-out scenario). */
export const SOLD_OUT_SKU = 'soldout';

export interface DeductInput {
  orderId: string;
  lines: { skuId: string; quantity: number }[];
}

export type DeductResult =
  | { __typename: 'DeductStockSuccess'; orderId: string; lines: { skuId: string; quantity: number; available: number | null }[] }
  | { __typename: 'InsufficientStock'; code: 'INSUFFICIENT_STOCK'; message: string };

export const refusal: DeductResult = { __typename: 'InsufficientStock', code: 'INSUFFICIENT_STOCK', message: 'not enough stock' };

/** The union's member is the result's own __typename. */
export const resolveType = (result: DeductResult) => result.__typename;

/** What a bench-only server answers, each as its resolver returns it (a value or a promise). */
export interface BenchMutations {
  deductStock: (input: DeductInput) => DeductResult | Promise<DeductResult>;
  /** Left out by a server without batches (seed 001 bare): the bench sends it none. */
  deductStockBatch?: (carts: DeductInput[]) => { results: DeductResult[] } | Promise<{ results: DeductResult[] }>;
}

/**
 * Serves this schema over node:http on PORT (else `defaultPort`), as every bench-only server does, with
 * Yoga's logging and GraphiQL off; `name` goes in the line that says it listens.
 */
export function serveBench(name: string, defaultPort: number, mutations: BenchMutations): void {
  const { deductStock, deductStockBatch } = mutations;
  const yoga = createYoga({
    schema: createSchema({
      typeDefs,
      resolvers: {
        Query: { ok: () => true },
        DeductStockResult: { __resolveType: resolveType },
        Mutation: {
          deductStock: (_: unknown, { input }: { input: DeductInput }) => deductStock(input),
          ...(deductStockBatch && {
            deductStockBatch: (_: unknown, { input }: { input: { carts: DeductInput[] } }) => deductStockBatch(input.carts),
          }),
        },
      },
    }),
    logging: false,
    graphiql: false,
  });
  const port = Number(process.env.PORT ?? defaultPort);
  createServer((req, res) => void yoga(req, res)).listen(port, '127.0.0.1', () => console.log(`${name} listening on ${port}`));
}
