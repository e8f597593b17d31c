/**
 * Abuse limits (issue 8) against the real app, PostgreSQL and Redis: every legitimate operation of the
 * schema passes the operation limits, including the largest inputs written inline; an operation over
 * the depth, cost, alias, token or directive limit is refused before anything of it runs (a mutation in
 * the refused document moves nothing), over HTTP and graphql-ws; batches are refused; bodies over the
 * size limit are answered 413 before they are parsed, with or without a Content-Length; introspection,
 * GraphiQL and field suggestions go away when introspection is off, which production makes the default.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../src/limits/body.ts';
import { MAX_ALIASES, MAX_COST, MAX_DEPTH, MAX_DIRECTIVES, MAX_TOKENS } from '../src/limits/operations.ts';
import { schema } from '../src/schema/index.ts';
import { MAX_CART_LINES, MAX_ID_LENGTH, MAX_NAME_LENGTH, MAX_READ_SKUS, MAX_UPSERT_SKUS } from '../src/stock/input.ts';
import { operationSelectingEverything, rootFields } from './support/every-field.ts';
import { wsClient } from './support/live.ts';
import { DEDUCT, SKU, UPSERT } from './support/ops.ts';
import { serve, useStack, type Running } from './support/stack.ts';

const stack = useStack();
beforeAll(async () => {
  await stack.api.upsert([{ id: 'a', available: 1_000 }]);
});

type Body = { data?: any; errors?: any[] };

/** POSTs a body as it is (a string, so tests can shape it), as a GraphQL-over-HTTP client would. */
async function post(url: string, body: string): Promise<{ status: number; body: Body }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body,
  });
  return { status: res.status, body: (await res.json()) as Body };
}
const send = (query: string, variables: Record<string, unknown> = {}, operationName?: string) =>
  post(stack.svc.url, JSON.stringify({ query, variables, operationName }));

/** Stock of "a" as the gate sees it; every refused request below must leave it as it was. */
async function availableOfA(): Promise<number> {
  const { data } = await stack.api.sku('a');
  return data.sku.available;
}

let serial = 0;
const orderId = () => `o-${++serial}-${randomBytes(3).toString('hex')}`;
const deductOne = () => ({ input: { orderId: orderId(), lines: [{ skuId: 'a', quantity: 1 }] } });

/** A refused operation: HTTP 400, OPERATION_TOO_COMPLEX naming the limit, and no `data` at all (execution never began). */
function expectRefused(res: { status: number; body: Body }, limit: RegExp): void {
  expect(res.status).toBe(400);
  expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['OPERATION_TOO_COMPLEX']);
  expect(res.body.errors![0].message).toMatch(limit);
  expect(res.body).not.toHaveProperty('data');
}

// ---------------------------------------------------------------------------------------------------
// What legitimate clients send: for every root field, the operation selecting every field there is
// (every member of every union), variables for its arguments and a full page where there are pages.

const LEGITIMATE: [string, string][] = [
  ...[schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((root) =>
    rootFields(root).map((f): [string, string] => [
      `${root!.name}.${f.name}, every field`,
      operationSelectingEverything(root!.name.toLowerCase() as 'query', [f]),
    ]),
  ),
  ['every query field at once', operationSelectingEverything('query', rootFields(schema.getQueryType()))],
  ['every mutation field at once', operationSelectingEverything('mutation', rootFields(schema.getMutationType()))],
  [
    "GraphiQL's introspection query",
    getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    }),
  ],
];

describe('legitimate operations', () => {
  it.each(LEGITIMATE)('%s passes every operation limit', (_what, query) => {
    // The server's own parse and validate, with every plugin it runs, without executing anything.
    const { parse, validate, schema: served } = stack.svc.app.yoga.getEnveloped({});
    expect(validate(served, parse(query))).toEqual([]);
  });

  it(`the largest inputs, written inline, pass and run: ${MAX_UPSERT_SKUS} SKUs upserted with every field, ${MAX_READ_SKUS} read, a ${MAX_CART_LINES}-line cart`, async () => {
    const ids = Array.from({ length: MAX_UPSERT_SKUS }, (_, i) => `${'s'.repeat(MAX_ID_LENGTH - 3)}${String(i).padStart(3, '0')}`);
    const inputs = ids.map(
      (id) =>
        `{ id: "${id}", name: "${'n'.repeat(MAX_NAME_LENGTH)}", available: 1000, unlimited: false, backorderLimit: 0, lowStockThreshold: 1, throttlePerSecond: 100000 }`,
    );
    const upsert = await send(
      `mutation { upsertSkus(input: { skus: [${inputs.join(', ')}] }) { ... on UpsertSkusSuccess { skus { id name available reserved sold unlimited backorderLimit } } } }`,
    );
    expect(upsert.body.errors).toBeUndefined();
    expect(upsert.body.data.upsertSkus.skus).toHaveLength(MAX_UPSERT_SKUS);

    const reads = Array.from({ length: MAX_READ_SKUS }, (_, i) => `"${ids[i % ids.length]}"`);
    const read = await send(`{ skus(ids: [${reads.join(', ')}]) { id name available reserved sold unlimited backorderLimit } }`);
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data.skus).toHaveLength(MAX_READ_SKUS);

    const lines = ids.slice(0, MAX_CART_LINES).map((id) => `{ skuId: "${id}", quantity: 1 }`);
    const cart = await send(
      `mutation { deductStock(input: { orderId: "${orderId()}", idempotencyKey: "${orderId()}", lines: [${lines.join(', ')}] }) { __typename ... on DeductStockSuccess { orderId idempotencyKey lines { skuId quantity availableAfter } } } }`,
    );
    expect(cart.body.errors).toBeUndefined();
    expect(cart.body.data.deductStock.lines).toHaveLength(MAX_CART_LINES);
  });

  it(`${MAX_ALIASES} aliases pass (the most allowed), and so does a full page of movements`, async () => {
    const before = await availableOfA();
    const aliased = Array.from(
      { length: MAX_ALIASES },
      (_, i) => `d${i}: deductStock(input: { orderId: "${orderId()}", lines: [{ skuId: "a", quantity: 1 }] }) { __typename }`,
    );
    const res = await send(`mutation { ${aliased.join(' ')} }`);
    expect(res.body.errors).toBeUndefined();
    expect(Object.values(res.body.data).every((d: any) => d.__typename === 'DeductStockSuccess')).toBe(true);
    expect(await availableOfA()).toBe(before - MAX_ALIASES);
  });
});

// ---------------------------------------------------------------------------------------------------

/** Over 6 levels only through introspection: this schema has no cycles, so a field path ends at 4. */
const DEEP = `query Deep { __type(name: "Sku") { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } }`;

describe('operations over a limit are refused before anything of them runs', () => {
  it(`depth over ${MAX_DEPTH}: refused, and a deduct in the same document moves nothing`, async () => {
    expectRefused(await send(DEEP), new RegExp(`depth limit of ${MAX_DEPTH} exceeded, found 9`));
    const before = await availableOfA();
    // The deduct is the operation asked for; the document it sits in is over the limit, so none of it runs.
    expectRefused(await send(`${DEDUCT} ${DEEP}`, deductOne(), 'Deduct'), /depth limit/);
    expect(await availableOfA()).toBe(before);
  });

  it(`cost over ${MAX_COST}: a deduct whose selection repeats a fragment moves nothing`, async () => {
    // Each `...L` costs about 24 and is 2 tokens, so the cost limit, not the token limit, is what refuses.
    const spreads = 1_000;
    expect(2 * spreads + 50).toBeLessThan(MAX_TOKENS);
    const costly = `mutation Costly($input: DeductStockInput!) {
      deductStock(input: $input) { ... on DeductStockSuccess { lines { ${'...L '.repeat(spreads)} } } }
    }
    fragment L on TakenLine { skuId quantity availableAfter }`;
    const before = await availableOfA();
    expectRefused(await send(costly, deductOne()), new RegExp(`Cost limit of ${MAX_COST} exceeded`));
    expect(await availableOfA()).toBe(before);
    // Two full pages of movements (each 100 × every field), the expensive part repeated:
    const page = `movements(first: 100) {
      edges { cursor node { id kind skuId quantity deltaAvailable deltaReserved deltaSold orderId orderLine idempotencyKey createdAt } }
      pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
    }`;
    expect((await send(`{ a: ${page} }`)).body.errors).toBeUndefined();
    expectRefused(await send(`{ a: ${page} b: ${page} }`), /Cost limit/);
  });

  it(`aliases over ${MAX_ALIASES}: ${MAX_ALIASES + 1} aliased deducts move nothing`, async () => {
    const before = await availableOfA();
    const aliased = Array.from(
      { length: MAX_ALIASES + 1 },
      (_, i) => `d${i}: deductStock(input: { orderId: "${orderId()}", lines: [{ skuId: "a", quantity: 1 }] }) { __typename }`,
    );
    expectRefused(
      await send(`mutation { ${aliased.join(' ')} }`),
      new RegExp(`Aliases limit of ${MAX_ALIASES} exceeded, found ${MAX_ALIASES + 1}`),
    );
    expect(await availableOfA()).toBe(before);
  });

  it(`tokens over ${MAX_TOKENS}: a padded deduct moves nothing`, async () => {
    const before = await availableOfA();
    const padded = `mutation Deduct($input: DeductStockInput!) { deductStock(input: $input) { ${'__typename '.repeat(MAX_TOKENS)} } }`;
    expectRefused(await send(padded, deductOne()), new RegExp(`Token limit of ${MAX_TOKENS} exceeded`));
    expect(await availableOfA()).toBe(before);
  });

  it(`directives over ${MAX_DIRECTIVES}: a deduct with ${MAX_DIRECTIVES + 1} moves nothing`, async () => {
    const before = await availableOfA();
    const directives = `mutation Deduct($input: DeductStockInput!) { deductStock(input: $input) { __typename ${'@include(if: true) '.repeat(MAX_DIRECTIVES + 1)} } }`;
    expectRefused(
      await send(directives, deductOne()),
      new RegExp(`Directives limit of ${MAX_DIRECTIVES} exceeded, found ${MAX_DIRECTIVES + 1}`),
    );
    expect(await availableOfA()).toBe(before);
  });

  it('over graphql-ws too: the operation is answered OPERATION_TOO_COMPLEX and the socket stays usable', async () => {
    const client = wsClient(stack.svc.url, { lazyCloseTimeout: 10_000 });
    try {
      const before = await availableOfA();
      const refused = await new Promise<any>((resolve) =>
        client.subscribe(
          { query: `${DEDUCT} ${DEEP}`, operationName: 'Deduct', variables: deductOne() },
          { next: resolve, error: resolve, complete: () => {} },
        ),
      );
      expect(refused.map((e: any) => e.extensions?.code)).toEqual(['OPERATION_TOO_COMPLEX']);
      expect(refused[0].message).toMatch(/depth limit/);
      expect(await availableOfA()).toBe(before);
      const next = await new Promise<any>((resolve, reject) =>
        client.subscribe({ query: SKU, variables: { id: 'a' } }, { next: resolve, error: reject, complete: () => {} }),
      );
      expect(next.data.sku.available).toBe(before);
    } finally {
      await client.dispose();
    }
  });

  it('a batch (a JSON array of operations) is refused and none of it runs', async () => {
    const before = await availableOfA();
    const res = await post(
      stack.svc.url,
      JSON.stringify([
        { query: DEDUCT, variables: deductOne() },
        { query: DEDUCT, variables: deductOne() },
      ]),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors?.length).toBeGreaterThan(0);
    expect(await availableOfA()).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------------

/** A deduct of one unit of "a" whose JSON body is exactly `size` bytes (padded with an unused variable). */
function deductBodyOf(size: number): string {
  const bare = JSON.stringify({ query: DEDUCT, variables: { ...deductOne(), pad: '' } });
  const body = bare.replace('"pad":""', `"pad":"${'x'.repeat(size - Buffer.byteLength(bare))}"`);
  expect(Buffer.byteLength(body)).toBe(size);
  return body;
}

/** Sends `body` in chunks with no Content-Length (Transfer-Encoding: chunked), as a streaming client does. */
function postChunked(url: string, body: string, chunkBytes = 16 * 1024): Promise<{ status: number; body: Body }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Body }));
      },
    );
    // The server may answer and close before the whole body is sent; that is the point.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    const bytes = Buffer.from(body);
    let offset = 0;
    const write = () => {
      while (offset < bytes.length) {
        const chunk = bytes.subarray(offset, offset + chunkBytes);
        offset += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

describe(`request bodies over ${MAX_BODY_BYTES} bytes`, () => {
  it('are answered 413 with REQUEST_TOO_LARGE when the Content-Length says so, and nothing moves', async () => {
    const before = await availableOfA();
    const res = await post(stack.svc.url, deductBodyOf(MAX_BODY_BYTES + 1));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      errors: [
        { message: `request body larger than ${MAX_BODY_BYTES} bytes`, extensions: { code: 'REQUEST_TOO_LARGE', limit: MAX_BODY_BYTES } },
      ],
    });
    expect(await availableOfA()).toBe(before);
  });

  it('pass at exactly the limit', async () => {
    const before = await availableOfA();
    const res = await post(stack.svc.url, deductBodyOf(MAX_BODY_BYTES));
    expect(res.body.data.deductStock.__typename).toBe('DeductStockSuccess');
    expect(await availableOfA()).toBe(before - 1);
  });

  it('are counted while read when there is no Content-Length (chunked): over is 413, under runs', async () => {
    const before = await availableOfA();
    const over = await postChunked(stack.svc.url, deductBodyOf(4 * MAX_BODY_BYTES));
    expect(over.status).toBe(413);
    expect(over.body.errors?.[0].extensions.code).toBe('REQUEST_TOO_LARGE');
    expect(await availableOfA()).toBe(before);

    const under = await postChunked(stack.svc.url, deductBodyOf(MAX_BODY_BYTES));
    expect(under.status).toBe(200);
    expect(under.body.data.deductStock.__typename).toBe('DeductStockSuccess');
    expect(await availableOfA()).toBe(before - 1);
  });

  it('leave room for the largest legitimate request: 100 longest SKUs, every id and name character \\u-escaped', async () => {
    const escape = (text: string) => [...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    const input = Array.from({ length: MAX_UPSERT_SKUS }, (_, i) => ({
      id: `big-${String(i).padStart(MAX_ID_LENGTH - 4, '0')}`,
      name: '€'.repeat(MAX_NAME_LENGTH),
      available: 1_000_000_000,
      unlimited: false,
      backorderLimit: 1_000_000,
      lowStockThreshold: 1_000_000_000,
      throttlePerSecond: 100_000,
    }));
    const body = JSON.stringify({ query: UPSERT, variables: { input: { skus: input } } }).replace(
      /"(id|name)":"([^"]*)"/g,
      (_m, key, value) => `"${key}":"${escape(value)}"`,
    );
    expect(Buffer.byteLength(body)).toBeGreaterThan(150_000);
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_BODY_BYTES);
    const res = await post(stack.svc.url, body);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.upsertSkus.skus[0].name).toBe('€'.repeat(MAX_NAME_LENGTH));
  });
});

// ---------------------------------------------------------------------------------------------------

describe('introspection', () => {
  const KEY = randomBytes(24).toString('hex');
  let closed: Running;
  let production: Running;
  beforeAll(async () => {
    closed = await serve(stack.ns, { GRAPHQL_INTROSPECTION: 'false' });
    production = await serve(stack.ns, { NODE_ENV: 'production', STOCKGATE_API_KEYS: `ops:admin:${KEY}` });
  });
  afterAll(async () => {
    await closed?.stop();
    await production?.stop();
  });

  const schemaQuery = '{ __schema { queryType { name } } }';
  const typeQuery = '{ __type(name: "Sku") { name } }';
  const typo = '{ skux(ids: ["a"]) { id } }';

  it('is on by default outside production: __schema, __type, GraphiQL and field suggestions', async () => {
    expect((await send(schemaQuery)).body.data.__schema.queryType.name).toBe('Query');
    expect((await send(typeQuery)).body.data.__type.name).toBe('Sku');
    expect((await send(typo)).body.errors![0].message).toMatch(/Did you mean .*"skus"\?/);
    const page = await fetch(stack.svc.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).toContain('GraphiQL');
  });

  it('GRAPHQL_INTROSPECTION=false: __schema and __type are refused, __typename stays, no suggestions, no GraphiQL', async () => {
    for (const query of [schemaQuery, typeQuery]) {
      const res = await post(closed.url, JSON.stringify({ query }));
      expect(res.status).toBe(400);
      expect(res.body.errors?.length).toBeGreaterThan(0);
      for (const error of res.body.errors!) {
        expect(error.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
        expect(error.message).toMatch(/introspection has been disabled/);
      }
      expect(res.body).not.toHaveProperty('data');
    }
    expect((await post(closed.url, JSON.stringify({ query: '{ __typename }' }))).body).toEqual({ data: { __typename: 'Query' } });
    const typoed = await post(closed.url, JSON.stringify({ query: typo }));
    expect(typoed.body.errors![0].message).toContain('Cannot query field "skux" on type "Query"');
    expect(typoed.body.errors![0].message).not.toContain('Did you mean');
    const page = await fetch(closed.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('GraphiQL');
  });

  it('NODE_ENV=production makes off the default', async () => {
    const res = await fetch(production.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ query: schemaQuery }),
    });
    expect(((await res.json()) as Body).errors![0].message).toMatch(/introspection has been disabled/);
    expect(production.config.GRAPHQL_INTROSPECTION).toBe(false);
  });
});
