import { createServer } from 'node:http';
import { createYoga, createSchema } from 'graphql-yoga';

/**
 * The ceiling: the same HTTP server and Yoga, answering a mutation with a constant result and no I/O.
 * What stockgate reaches on top of this is its own overhead.
 */
const yoga = createYoga({
  schema: createSchema({
    typeDefs: /* GraphQL */ `
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
      union DeductStockResult = DeductStockSuccess
      type Query {
        ok: Boolean!
      }
      type Mutation {
        deductStock(input: DeductStockInput!): DeductStockResult!
      }
    `,
    resolvers: {
      Query: { ok: () => true },
      DeductStockResult: { __resolveType: () => 'DeductStockSuccess' },
      Mutation: {
        deductStock: (_: unknown, { input }: { input: { orderId: string; lines: { skuId: string; quantity: number }[] } }) => ({
          orderId: input.orderId,
          lines: input.lines.map((l) => ({ ...l, available: 1 })),
        }),
      },
    },
  }),
  logging: false,
  graphiql: false,
});

const port = Number(process.env.PORT ?? 4001);
createServer((req, res) => void yoga(req, res)).listen(port, '127.0.0.1', () => console.log(`ceiling listening on ${port}`));
