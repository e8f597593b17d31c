/**
 * A subscription that cannot start (issue 13), as README ("Live levels") says each client gets it: a
 * graphql-ws client's `error` callback gets the errors (graphql-ws's `error` message: no `next`, no
 * `complete`), and the socket goes on serving; a GraphQL-over-SSE client gets one `next` event holding
 * only `errors`, then `complete`, as GraphQL over SSE prescribes. With the real `graphql-ws` and
 * `graphql-sse` clients against the real app.
 */
import { randomBytes } from 'node:crypto';
import type { FormattedExecutionResult } from 'graphql';
import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEE_WITHIN_MS } from './support/live.ts';
import { useStack, type Running } from './support/stack.ts';
import { eventually } from './support/wait.ts';

const LEVELS = 'subscription Levels($ids: [ID!]!) { stockLevels(skuIds: $ids) { skuId available } }';
/** Where errors of the stockLevels field point in LEVELS. */
const AT_STOCK_LEVELS = { line: 1, column: LEVELS.indexOf('stockLevels') + 1 };
const KNOWN = { id: 'sub-err-known', available: 7 };

/** Subscriptions that cannot start, and the error each must get. */
const REFUSED: [what: string, ids: string[], error: { code: string; skuIds?: string[]; field?: string }][] = [
  ['an unknown SKU', ['no-such-sku'], { code: 'UNKNOWN_SKU', skuIds: ['no-such-sku'] }],
  ['a known and an unknown SKU', [KNOWN.id, 'no-such-sku'], { code: 'UNKNOWN_SKU', skuIds: ['no-such-sku'] }],
  ['no SKU', [], { code: 'EMPTY_SKU_LIST', field: 'skuIds' }],
  ['a malformed id', ['a b'], { code: 'INVALID_ID', field: 'skuIds.0' }],
];

const stack = useStack();

beforeAll(async () => {
  await stack.api.upserted([KNOWN]);
});

type Result = FormattedExecutionResult<Record<string, any>>;

interface Sink {
  next(value: Result): void;
  error(err: unknown): void;
  complete(): void;
}

/** Everything one subscription's sink was called with, in order. */
class Watched {
  readonly log: (['next', Result] | ['error', unknown] | ['complete'])[] = [];
  readonly stop: () => void;

  constructor(subscribe: (sink: Sink) => () => void) {
    this.stop = subscribe({
      next: (value) => this.log.push(['next', value]),
      error: (err) => this.log.push(['error', err]),
      complete: () => this.log.push(['complete']),
    });
  }

  get nexts(): Result[] {
    return this.log.flatMap((call) => (call[0] === 'next' ? [call[1]] : []));
  }

  /** Waits until the sink was closed (by `error` or `complete`): no later call may come. */
  async ended(): Promise<this> {
    await eventually('the subscription to end', () => this.log.some(([kind]) => kind !== 'next'), { within: SEE_WITHIN_MS });
    return this;
  }

  /** Waits for the first event and returns it; ends the subscription. */
  async first(): Promise<Result> {
    await eventually('a first event', () => this.log.length > 0, { within: SEE_WITHIN_MS });
    this.stop();
    expect(this.log[0]![0], JSON.stringify(this.log)).toBe('next');
    return this.log[0]![1] as Result;
  }
}

/** What the error callback must get: the errors as GraphQL formats them, the code in their extensions. */
function refusal(extensions: { code: string; skuIds?: string[]; field?: string }) {
  return [{ message: expect.any(String), locations: [AT_STOCK_LEVELS], path: ['stockLevels'], extensions }];
}

describe('over graphql-ws', () => {
  let client: WsClient;
  let connections = 0;
  let closes = 0;
  beforeAll(() => {
    // Not lazy: the socket stays open between operations, so "the same connection" is one socket.
    client = createWsClient({
      url: stack.svc.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      on: { connected: () => connections++, closed: () => closes++ },
    });
  });
  afterAll(async () => {
    await client?.dispose();
  });

  const levels = (ids: string[]) => new Watched((sink) => client.subscribe({ query: LEVELS, variables: { ids } }, sink));

  it.each(REFUSED)('%s: the error callback gets the code, not next; the same socket still serves', async (_what, ids, error) => {
    const refused = await levels(ids).ended();
    expect(refused.log).toEqual([['error', refusal(error)]]);

    const level = await levels([KNOWN.id]).first();
    expect(level).toEqual({ data: { stockLevels: { skuId: KNOWN.id, available: KNOWN.available } } });
    expect({ connections, closes }).toEqual({ connections: 1, closes: 0 });
    // Nothing of the refused subscription is left on the server.
    await eventually('no subscription served', () => stack.svc.app.live.subscriptions === 0);
  });
});

describe('over GraphQL over SSE', () => {
  let client: SseClient;
  beforeAll(() => {
    client = createSseClient({ url: stack.svc.url, retryAttempts: 0 });
  });
  afterAll(() => {
    client?.dispose();
  });

  const levels = (ids: string[]) => new Watched((sink) => client.subscribe({ query: LEVELS, variables: { ids } }, sink));

  it.each(REFUSED)('%s: one next holding only the errors, then complete; the client still serves', async (_what, ids, error) => {
    const refused = await levels(ids).ended();
    expect(refused.log).toEqual([['next', { errors: refusal(error) }], ['complete']]);

    const level = await levels([KNOWN.id]).first();
    expect(level).toEqual({ data: { stockLevels: { skuId: KNOWN.id, available: KNOWN.available } } });
    await eventually('no subscription served', () => stack.svc.app.live.subscriptions === 0);
  });

  it('on the wire: a 200 event stream of `next` with the errors, then `complete`', async () => {
    const res = await fetch(stack.svc.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: LEVELS, variables: { ids: [KNOWN.id, 'no-such-sku'] } }),
      signal: AbortSignal.timeout(SEE_WITHIN_MS),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // The stream ends by itself after `complete`: reading it to its end does not wait for the timeout.
    const events = (await res.text())
      .split('\n\n')
      .map((message) => ({ event: /^event: (.*)$/m.exec(message)?.[1], data: /^data: ?(.*)$/m.exec(message)?.[1] }))
      .filter((e) => e.event !== undefined);
    expect(events.map((e) => e.event)).toEqual(['next', 'complete']);
    expect(JSON.parse(events[0]!.data!)).toEqual({ errors: refusal({ code: 'UNKNOWN_SKU', skuIds: ['no-such-sku'] }) });
  });
});

describe('without a key, on an instance that needs one', () => {
  const key = randomBytes(24).toString('hex');
  let keyed: Running;
  let ws: WsClient;
  let sse: SseClient;
  beforeAll(async () => {
    keyed = await stack.serve({ STOCKGATE_API_KEYS: `till:reader:${key}` });
    ws = createWsClient({ url: keyed.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    sse = createSseClient({ url: keyed.url, retryAttempts: 0 });
  });
  afterAll(async () => {
    sse?.dispose();
    await ws?.dispose();
  });

  it('UNAUTHENTICATED reaches a graphql-ws client as an error, an SSE client as next then complete', async () => {
    const unauthenticated = refusal({ code: 'UNAUTHENTICATED' });
    const overWs = await new Watched((sink) => ws.subscribe({ query: LEVELS, variables: { ids: [KNOWN.id] } }, sink)).ended();
    expect(overWs.log).toEqual([['error', unauthenticated]]);
    const overSse = await new Watched((sink) => sse.subscribe({ query: LEVELS, variables: { ids: [KNOWN.id] } }, sink)).ended();
    expect(overSse.log).toEqual([['next', { errors: unauthenticated }], ['complete']]);
  });
});
