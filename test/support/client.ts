/**
 * The one GraphQL client of the tests: each operation of ops.ts as a typed method, sent over HTTP to an
 * app in this process (`Running`), a server process or a URL, plus small readers of what came back.
 * Methods return the whole result ({ data, errors }), so tests assert on it as they see fit; the
 * `…ed` methods (upserted, deducted, reserved, refunded) check the request succeeded and return its answer.
 * The operations are typed documents (ops.ts): whole results stay `Result<any>` for the tests' sake, and
 * `ResultOf<typeof ops.X>` is the type of one where a test wants it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { ResultOf } from '@graphql-typed-document-node/core';
import * as ops from './ops.ts';

/** The member `N` of a typed answer's union. */
export type Member<U, N extends string> = Extract<U, { __typename: N }>;

export type Result<T = any> = { data?: T; errors?: any[] };
export type Variables = Record<string, unknown>;
export type Line = { skuId: string; quantity: number };
/** One cart of a batch (deductStockBatch): the key defaults to the order id when left out. */
export type Cart = { orderId: string; lines: Line[]; idempotencyKey?: string };

/** An app in this process (its `gql`), a server process (its `url`), or a GraphQL URL. */
export type Target = { gql(query: string, variables?: Variables): Promise<Result> } | { url: string } | string;

/** POSTs one GraphQL operation to a server's URL and returns the parsed body. */
export async function gqlAt<T = any>(url: string, query: string, variables?: Variables): Promise<Result<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Result<T>;
}

/** The code of a result's first error, if any. */
export const errorCode = (res: Result): string | undefined => res.errors?.[0]?.extensions?.code;

/** What the operation answered: its (first) root field. */
const answer = (res: Result): any => (res.data ? Object.values(res.data)[0] : undefined);

/** What came back, in one comparable string: the answer's __typename, or `error:CODE`. */
export function outcome(res: Result): string {
  return (answer(res) as { __typename?: string } | null | undefined)?.__typename ?? `error:${errorCode(res)}`;
}

/** The answer, after checking the request had no errors and, given a typename, that the answer is one. */
export function checked(res: Result, typename?: string): any {
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  if (typename !== undefined) expect(outcome(res), JSON.stringify(res)).toBe(typename);
  return answer(res);
}

export interface Retry {
  /** Attempts in all, the first included, while the answer is TEMPORARILY_UNAVAILABLE. */
  attempts: number;
  /** The pause after failed attempt `attempt` (1-based), in ms. */
  pause(attempt: number): number;
  /** Told about each answer that is sent again. */
  onRetry?(res: Result, query: string): void;
}

/** The optional part of an input, left out when not given (so the server applies its default). */
const given = <K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };

/** The operations of ops.ts, sent to a target (given a function, to the target it returns at each call: a test's current app). */
export class Client {
  constructor(
    private readonly target: Target | (() => Target),
    private readonly retry: Retry | null = null,
  ) {}

  /**
   * The same client, sending an answer of TEMPORARILY_UNAVAILABLE again, as a client must (nothing moved;
   * README: retry with the same key).
   */
  retrying(retry: Retry): Client {
    return new Client(this.target, retry);
  }

  /** Any operation. */
  async gql<T = any>(query: string, variables?: Variables): Promise<Result<T>> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.send<T>(query, variables);
      if (!this.retry || errorCode(res) !== 'TEMPORARILY_UNAVAILABLE' || attempt >= this.retry.attempts) return res;
      this.retry.onRetry?.(res, query);
      await sleep(this.retry.pause(attempt));
    }
  }

  private send<T>(query: string, variables?: Variables): Promise<Result<T>> {
    const target = typeof this.target === 'function' ? this.target() : this.target;
    if (typeof target === 'string') return gqlAt(target, query, variables);
    if ('gql' in target) return target.gql(query, variables);
    return gqlAt(target.url, query, variables);
  }

  /** Upserts these SKUs (`input.skus`). */
  upsert(skus: Variables[]) {
    return this.gql(ops.UPSERT, { input: { skus } });
  }

  skus(ids: string[]) {
    return this.gql(ops.SKUS, { ids });
  }

  sku(id: string) {
    return this.gql(ops.SKU, { id });
  }

  deduct(orderId: string, lines: Line[], idempotencyKey?: string) {
    return this.gql(ops.DEDUCT, { input: { orderId, lines, ...given('idempotencyKey', idempotencyKey) } });
  }

  /** A deduct of one line. */
  deductOne(orderId: string, skuId: string, quantity = 1) {
    return this.deduct(orderId, [{ skuId, quantity }]);
  }

  /** Reserves many carts in one request (reserveStockBatch), each held for `ttlSeconds`; its `results[i]` answers `carts[i]`. */
  reserveBatch(carts: Cart[], ttlSeconds: number) {
    return this.gql(ops.RESERVE_BATCH, {
      input: {
        carts: carts.map((c) => ({ orderId: c.orderId, lines: c.lines, ttlSeconds, ...given('idempotencyKey', c.idempotencyKey) })),
      },
    });
  }

  /** Many carts in one request (deductStockBatch); its `results[i]` answers `carts[i]`. */
  deductBatch(carts: Cart[]) {
    return this.gql(ops.DEDUCT_BATCH, {
      input: { carts: carts.map((c) => ({ orderId: c.orderId, lines: c.lines, ...given('idempotencyKey', c.idempotencyKey) })) },
    });
  }

  reserve(orderId: string, lines: Line[], ttlSeconds: number, idempotencyKey?: string) {
    return this.gql(ops.RESERVE, { input: { orderId, lines, ttlSeconds, ...given('idempotencyKey', idempotencyKey) } });
  }

  /** Confirms the lines given, or all that is held; answers as `settled`. */
  confirm(orderId: string, lines?: Line[], idempotencyKey?: string) {
    return this.gql(ops.CONFIRM, { input: { orderId, ...given('lines', lines), ...given('idempotencyKey', idempotencyKey) } });
  }

  /** Releases the lines given, or all that is held; answers as `settled`. */
  release(orderId: string, lines?: Line[], idempotencyKey?: string) {
    return this.gql(ops.RELEASE, { input: { orderId, ...given('lines', lines), ...given('idempotencyKey', idempotencyKey) } });
  }

  refund(orderId: string, idempotencyKey: string, lines: Line[]) {
    return this.gql(ops.REFUND, { input: { orderId, idempotencyKey, lines } });
  }

  /** Quantity and key as sent, bad ones included (null is sent as null). */
  restock(skuId: string, quantity: unknown, idempotencyKey: unknown) {
    return this.gql(ops.RESTOCK, { input: { skuId, quantity, idempotencyKey } });
  }

  setStock(input: { skuId: string; available: unknown; expectedAvailable?: unknown }) {
    return this.gql(ops.SET_STOCK, { input });
  }

  setStockBatch(items: { skuId: string; available: unknown; expectedAvailable?: unknown }[]) {
    return this.gql(ops.SET_STOCK_BATCH, { input: { items } });
  }

  order(id: string) {
    return this.gql(ops.ORDER, { id });
  }

  /** The order with its hold (`reservation`). */
  orderWithReservation(id: string) {
    return this.gql(ops.ORDER_WITH_RESERVATION, { id });
  }

  reservation(orderId: string) {
    return this.gql(ops.RESERVATION, { orderId });
  }

  /** Filters and paging as given: skuId, orderId, kinds, first, after, last, before. */
  movements(args: Variables) {
    return this.gql(ops.MOVEMENTS, args);
  }

  /** Every movement of a SKU, newest first, through the movements connection page by page. */
  async allMovements(skuId: string): Promise<NonNullable<ResultOf<typeof ops.MOVEMENTS>['movements']>['edges'][number]['node'][]> {
    const nodes = [];
    let after: string | undefined;
    for (;;) {
      const res = await this.movements({ skuId, first: 100, ...given('after', after) });
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      const page = (res.data as ResultOf<typeof ops.MOVEMENTS>).movements;
      nodes.push(...page.edges.map((e) => e.node));
      if (!page.pageInfo.hasNextPage) return nodes;
      after = page.pageInfo.endCursor ?? undefined;
    }
  }

  stockAudit(skuIds: string[]) {
    return this.gql(ops.STOCK_AUDIT, { skuIds });
  }

  reconcileStock(skuIds: unknown) {
    return this.gql(ops.RECONCILE_STOCK, { input: { skuIds } });
  }

  /** The upserted SKUs; the upsert must succeed. */
  async upserted(skus: Variables[]): Promise<Member<ResultOf<typeof ops.UPSERT>['upsertSkus'], 'UpsertSkusSuccess'>['skus']> {
    return checked(await this.upsert(skus), 'UpsertSkusSuccess').skus;
  }

  /**
   * The DeductStockSuccess; the deduct must succeed. Loose (`any`) while tests read `.lines[0]` of it unchecked
   * (noUncheckedIndexedAccess); its type is `Member<ResultOf<typeof ops.DEDUCT>['deductStock'], 'DeductStockSuccess'>`.
   */
  async deducted(orderId: string, lines: Line[], idempotencyKey?: string): Promise<any> {
    return checked(await this.deduct(orderId, lines, idempotencyKey), 'DeductStockSuccess');
  }

  /** The ReserveStockSuccess; the reserve must succeed. */
  async reserved(
    orderId: string,
    lines: Line[],
    ttlSeconds: number,
    idempotencyKey?: string,
  ): Promise<Member<ResultOf<typeof ops.RESERVE>['reserveStock'], 'ReserveStockSuccess'>> {
    return checked(await this.reserve(orderId, lines, ttlSeconds, idempotencyKey), 'ReserveStockSuccess');
  }

  /** The RefundStockSuccess; the refund must succeed. */
  async refunded(
    orderId: string,
    idempotencyKey: string,
    lines: Line[],
  ): Promise<Member<ResultOf<typeof ops.REFUND>['refundStock'], 'RefundStockSuccess'>> {
    return checked(await this.refund(orderId, idempotencyKey, lines), 'RefundStockSuccess');
  }

  /** A SKU's row of the `skus` query (null when there is none). */
  async level(id: string): Promise<any> {
    return (await this.skus([id])).data.skus[0];
  }
}
