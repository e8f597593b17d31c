import { createServer } from 'node:http';
import { createYoga, createSchema } from 'graphql-yoga';
import { refusal, resolveType, SOLD_OUT_SKU, typeDefs, type DeductInput, type DeductResult } from './schema.ts';

/**
 * The ceiling: the same HTTP server and Yoga, answering a mutation with a constant result and no I/O
 * (a refusal for the sold-out SKU, so that scenario has its own denominator). What stockgate reaches
 * on top of this is its own overhead. Its batch row (hot SKU ×100) is the most carts a second any
 * server on Yoga answers here in 100-cart requests: parsing, coercing and answering them, nothing more.
 */

/** A cart's constant answer: refused for the sold-out SKU, else every line served. */
const answer = (input: DeductInput): DeductResult =>
  input.lines.some((l) => l.skuId === SOLD_OUT_SKU)
    ? refusal
    : { __typename: 'DeductStockSuccess', orderId: input.orderId, lines: input.lines.map((l) => ({ ...l, available: 1 })) };

const yoga = createYoga({
  schema: createSchema({
    typeDefs,
    resolvers: {
      Query: { ok: () => true },
      DeductStockResult: { __resolveType: resolveType },
      Mutation: {
        deductStock: (_: unknown, { input }: { input: DeductInput }): DeductResult => answer(input),
        deductStockBatch: (_: unknown, { input }: { input: { carts: DeductInput[] } }) => ({ results: input.carts.map(answer) }),
      },
    },
  }),
  logging: false,
  graphiql: false,
});

const port = Number(process.env.PORT ?? 4001);
createServer((req, res) => void yoga(req, res)).listen(port, '127.0.0.1', () => console.log(`ceiling listening on ${port}`));
