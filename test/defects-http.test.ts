/**
 * Issue 11, items 4, 9 and 10, against the real app, PostgreSQL and Redis:
 * - every spelling of a path that could reach GraphQL is either the GraphQL path itself (and counted by
 *   the per-caller rate limit) or refused 404 NOT_FOUND, so `/graphql/`, `//graphql` and the like are no
 *   way around the limit;
 * - `order(id)` and `reservation(orderId)` refuse the ids `sku(id)` refuses, with the same INVALID_ID;
 * - what README says about errors holds: every input code is in its table, an unsupported Content-Type
 *   is a typed 415, an operation over a limit is 400 whatever the Accept header, and introspection's
 *   `__schema` chains are refused past their depth limit while the standard introspection query passes.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { getIntrospectionQuery } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_ALIASES, MAX_DEPTH, MAX_DIRECTIVES, MAX_INTROSPECTION_DEPTH, MAX_TOKENS } from '../src/limits/operations.ts';
import { MAX_ID_LENGTH } from '../src/stock/input.ts';
import { DEDUCT } from './support/ops.ts';
import { useStack, type Running } from './support/stack.ts';

const stack = useStack();
/** No rate limit: what each spelling of a path does. */
let open: Running;
/** One request a minute per caller: which spellings the limit sees. */
let limited: Running;

beforeAll(async () => {
  open = stack.svc;
  limited = await stack.serve({ RATE_LIMIT_PER_MINUTE: '1' });
  await open.api.upsert([{ id: 'h-a', available: 10 }]);
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTP request with the request target exactly as given (fetch would normalise it) and only the
 * headers given (fetch adds `accept: *\/*` by itself).
 */
function raw(svc: Running, method: string, target: string, headers: Record<string, string> = {}, body?: string): Promise<Raw> {
  const { hostname, port } = new URL(svc.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path: target, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const TYPENAME = JSON.stringify({ query: '{ __typename }' });
const postTypename = (svc: Running, target: string) =>
  raw(svc, 'POST', target, { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, TYPENAME);
const getTypename = (svc: Running, target: string) =>
  raw(svc, 'GET', `${target}${target.includes('?') ? '&' : '?'}query=${encodeURIComponent('{ __typename }')}`, {
    accept: 'application/graphql-response+json',
  });

// ---------------------------------------------------------------------------------------------------
// Item 4: the rate limit and the spellings of /graphql.

/** Spellings that are the GraphQL path once the URL is parsed: served, and counted. */
const CANONICAL = ['/graphql', '/graphql?x', '/graphql?x=1&y', '/x/../graphql', '/graphql/x/../../graphql'];
/** Spellings Yoga would also route to GraphQL (it matches URLs ending in /graphql), or nearly: refused. */
const OTHER = [
  '/graphql/',
  '//graphql',
  '///graphql',
  '/graphql//',
  '//graphql/',
  '/x/graphql',
  '/x/graphql/',
  '/graphql/graphql',
  '/?q=/graphql',
  '/anything?/graphql/',
  '/graphql/?x',
  '/graphql;x',
  '/%67raphql',
  '/graphql%2F',
  '/GraphQL',
  '/x/../graphql/',
];

describe('every spelling of the GraphQL path is counted by the rate limit, or refused', () => {
  it('the GraphQL path itself (however the URL spells it) is served; every other spelling is 404 NOT_FOUND', async () => {
    for (const target of CANONICAL) {
      const res = await postTypename(open, target);
      expect(res.status, target).toBe(200);
      expect(JSON.parse(res.text), target).toEqual({ data: { __typename: 'Query' } });
    }
    for (const target of OTHER) {
      for (const res of [await postTypename(open, target), await getTypename(open, target)]) {
        expect(res.status, target).toBe(404);
        const body = JSON.parse(res.text);
        expect(body.errors?.[0]?.extensions?.code, target).toBe('NOT_FOUND');
        expect(body, target).not.toHaveProperty('data');
      }
    }
  });

  it('with the allowance spent, no spelling gets a GraphQL answer: each is throttled (429) or refused (404)', async () => {
    // Spend this caller's allowance (one a minute, so it stays spent for the rest of this test).
    let first = await postTypename(limited, '/graphql');
    while (first.status !== 429) first = await postTypename(limited, '/graphql');
    const answered: Record<string, number> = {};
    for (const target of [...CANONICAL, ...OTHER]) {
      for (const [how, res] of [
        ['POST', await postTypename(limited, target)],
        ['GET', await getTypename(limited, target)],
      ] as const) {
        answered[`${how} ${target}`] = res.status;
        expect(JSON.parse(res.text), `${how} ${target}`).not.toHaveProperty('data');
      }
    }
    for (const [request, status] of Object.entries(answered)) expect([404, 429], request).toContain(status);
    // The canonical spellings are the ones the limit counted.
    for (const target of CANONICAL) expect(answered[`POST ${target}`], target).toBe(429);
  });

  it('a deduct sent through another spelling moves nothing', async () => {
    const before = (await open.gql('{ sku(id: "h-a") { available } }')).data.sku.available;
    const res = await raw(
      open,
      'POST',
      '/graphql/',
      { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      JSON.stringify({ query: DEDUCT, variables: { input: { orderId: 'spelled', lines: [{ skuId: 'h-a', quantity: 1 }] } } }),
    );
    expect(res.status).toBe(404);
    expect((await open.gql('{ sku(id: "h-a") { available } }')).data.sku.available).toBe(before);
    expect((await open.gql('{ order(id: "spelled") { id } }')).data.order).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------
// Item 9: order and reservation ids are checked like SKU ids.

const BAD_IDS: [string, string][] = [
  ['empty', ''],
  ['500 characters', 'o'.repeat(500)],
  [`${MAX_ID_LENGTH + 1} characters`, 'o'.repeat(MAX_ID_LENGTH + 1)],
  ['a NUL', 'a\u0000b'],
  ['a newline', 'a\nb'],
  ['a DEL', 'a\u007fb'],
  ['a space', 'a b'],
  ['braces', 'a{b}'],
  ['non-ASCII', 'ordre-é'],
];

describe('order(id) and reservation(orderId) refuse what sku(id) refuses', () => {
  it.each(BAD_IDS)('an id with %s: INVALID_ID from sku, order and reservation alike', async (_what, id) => {
    for (const [field, query] of [
      ['sku', 'query Q($id: ID!) { sku(id: $id) { id } }'],
      ['order', 'query Q($id: ID!) { order(id: $id) { id } }'],
      ['reservation', 'query Q($id: ID!) { reservation(orderId: $id) { orderId } }'],
    ] as const) {
      const res = await open.gql(query, { id });
      expect(
        res.errors?.map((e) => e.extensions?.code),
        field,
      ).toEqual(['INVALID_ID']);
      expect(res.errors![0].path, field).toEqual([field]);
      expect(res.data?.[field], field).toBeNull();
    }
  });

  it(`an id of ${MAX_ID_LENGTH} printable characters is fine: null, no error, for an order that never moved stock`, async () => {
    const id = `~${'o'.repeat(MAX_ID_LENGTH - 1)}`;
    const res = await open.gql('query Q($id: ID!) { order(id: $id) { id } reservation(orderId: $id) { orderId } }', { id });
    expect(res).toEqual({ data: { order: null, reservation: null } });
  });
});

// ---------------------------------------------------------------------------------------------------
// Item 10: README and behaviour agree.

describe("README's error table", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('**Errors.**'), readme.indexOf('**Idempotency.**'));

  it('lists every input error code the service has, and every code its HTTP layer answers', () => {
    const input = readFileSync(new URL('../src/errors.ts', import.meta.url), 'utf8');
    const union = input.slice(
      input.indexOf('export const INPUT_ERROR_CODES'),
      input.indexOf(';', input.indexOf('export const INPUT_ERROR_CODES')),
    );
    const codes = [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!);
    expect(codes).toContain('INVALID_TTL');
    const http = [
      'NOT_FOUND',
      'UNSUPPORTED_MEDIA_TYPE',
      'OPERATION_TOO_COMPLEX',
      'REQUEST_TOO_LARGE',
      'RATE_LIMITED',
      'TEMPORARILY_UNAVAILABLE',
    ];
    const missing = [...codes, ...http].filter((code) => !new RegExp(`^\\|[^\\n]*\`${code}\``, 'm').test(table));
    expect(missing).toEqual([]);
  });
});

describe('an unsupported Content-Type', () => {
  it.each([
    ['text/plain', { 'content-type': 'text/plain' }],
    ['text/plain with a charset', { 'content-type': 'text/plain; charset=utf-8' }],
    ['no Content-Type at all', {}],
    ['application/xml', { 'content-type': 'application/xml' }],
  ])('%s: 415 with a GraphQL error UNSUPPORTED_MEDIA_TYPE, and nothing runs', async (_what, headers) => {
    const before = (await open.gql('{ sku(id: "h-a") { available } }')).data.sku.available;
    const body = JSON.stringify({ query: DEDUCT, variables: { input: { orderId: 'plain-text', lines: [{ skuId: 'h-a', quantity: 1 }] } } });
    const res = await raw(open, 'POST', '/graphql', headers, body);
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const parsed = JSON.parse(res.text);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0].extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(parsed.errors[0].message).toMatch(/application\/json/);
    expect(parsed).not.toHaveProperty('data');
    expect((await open.gql('{ sku(id: "h-a") { available } }')).data.sku.available).toBe(before);
  });
});

/** `__schema { types { fields { type { ofType … { name } } } } }`, `depth` levels deep. */
function schemaChain(depth: number): string {
  const ofTypes = depth - 5;
  return `{ __schema { types { fields { type { ${'ofType { '.repeat(ofTypes)}name${' }'.repeat(ofTypes)} } } } } }`;
}

const PAGE = `movements(first: 100) {
  edges { cursor node { id kind skuId quantity deltaAvailable deltaReserved deltaSold orderId orderLine idempotencyKey createdAt } }
  pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
}`;
/** Past this a GET's query string would be over Node's header size limit (16 KiB): sent by POST alone. */
const GET_QUERY_MAX = 4_000;

const OVER_LIMIT: [string, string, RegExp][] = [
  [
    'depth',
    `{ __type(name: "Sku") { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } }`,
    new RegExp(`depth limit of ${MAX_DEPTH} `),
  ],
  ['introspection depth', schemaChain(MAX_INTROSPECTION_DEPTH + 1), new RegExp(`depth limit of ${MAX_INTROSPECTION_DEPTH} `)],
  ['cost', `{ ${['a', 'b'].map((a) => `${a}: ${PAGE}`).join(' ')} }`, /Cost limit/],
  ['aliases', `{ ${Array.from({ length: MAX_ALIASES + 1 }, (_, i) => `a${i}: sku(id: "h-a") { id }`).join(' ')} }`, /Aliases limit/],
  ['tokens', `{ ${'__typename '.repeat(MAX_TOKENS)} }`, /Token limit/],
  ['directives', `{ __typename ${'@include(if: true) '.repeat(MAX_DIRECTIVES + 1)} }`, /Directives limit/],
];
const ACCEPTS: [string, Record<string, string>][] = [
  ['no Accept header', {}],
  ['Accept: application/json', { accept: 'application/json' }],
  ['Accept: application/graphql-response+json', { accept: 'application/graphql-response+json' }],
  ['Accept: */*', { accept: '*/*' }],
];

describe('an operation over a limit is HTTP 400 OPERATION_TOO_COMPLEX, whatever the Accept header', () => {
  it.each(OVER_LIMIT)('over the %s limit', async (_limit, query, message) => {
    for (const [how, accept] of ACCEPTS) {
      const answers = [await raw(open, 'POST', '/graphql', { 'content-type': 'application/json', ...accept }, JSON.stringify({ query }))];
      if (query.length < GET_QUERY_MAX) answers.push(await raw(open, 'GET', `/graphql?query=${encodeURIComponent(query)}`, accept));
      for (const res of answers) {
        expect(res.status, how).toBe(400);
        const body = JSON.parse(res.text);
        expect(
          body.errors.map((e: any) => e.extensions.code),
          how,
        ).toEqual(['OPERATION_TOO_COMPLEX']);
        expect(body.errors[0].message, how).toMatch(message);
        expect(body, how).not.toHaveProperty('data');
      }
    }
  });

  it('other invalid operations keep the GraphQL-over-HTTP status rules (200 for application/json, 400 otherwise)', async () => {
    const query = '{ noSuchField }';
    const asJson = await raw(
      open,
      'POST',
      '/graphql',
      { 'content-type': 'application/json', accept: 'application/json' },
      JSON.stringify({ query }),
    );
    expect(asJson.status).toBe(200);
    expect(JSON.parse(asJson.text).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const asSpec = await raw(
      open,
      'POST',
      '/graphql',
      { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      JSON.stringify({ query }),
    );
    expect(asSpec.status).toBe(400);
  });
});

describe('introspection depth', () => {
  it(`a __schema chain deeper than ${MAX_INTROSPECTION_DEPTH} is refused; one of ${MAX_INTROSPECTION_DEPTH} and the standard introspection query run`, async () => {
    const deep = await open.gql(schemaChain(MAX_INTROSPECTION_DEPTH + 1));
    expect(deep.errors?.map((e) => e.extensions?.code)).toEqual(['OPERATION_TOO_COMPLEX']);
    expect(deep.errors![0].message).toMatch(`found ${MAX_INTROSPECTION_DEPTH + 1}`);
    expect(deep).not.toHaveProperty('data');
    const far = await open.gql(schemaChain(MAX_INTROSPECTION_DEPTH + 20));
    expect(far.errors?.map((e) => e.extensions?.code)).toEqual(['OPERATION_TOO_COMPLEX']);

    const edge = await open.gql(schemaChain(MAX_INTROSPECTION_DEPTH));
    expect(edge.errors).toBeUndefined();
    expect(edge.data.__schema.types.length).toBeGreaterThan(0);
    const standard = await open.gql(
      getIntrospectionQuery({
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
      }),
    );
    expect(standard.errors).toBeUndefined();
    expect(standard.data.__schema.queryType.name).toBe('Query');
  });

  it(`__type chains count against the operation depth limit of ${MAX_DEPTH}`, async () => {
    const res = await open.gql(`{ __type(name: "Sku") { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } }`);
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['OPERATION_TOO_COMPLEX']);
    expect(res.errors![0].message).toMatch(`depth limit of ${MAX_DEPTH} exceeded, found 8`);
  });
});
