import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';

/** The operations the chaos clients send, selecting every field the service stores as its answer. */
export const DEDUCT = /* GraphQL */ `
  mutation Deduct($input: DeductStockInput!) {
    deductStock(input: $input) {
      __typename
      ... on DeductStockSuccess {
        orderId
        idempotencyKey
        lines {
          skuId
          quantity
          availableAfter
        }
      }
      ... on InsufficientStock {
        code
      }
      ... on UnknownSku {
        code
      }
      ... on IdempotencyConflict {
        code
      }
    }
  }
`;

export const REFUND = /* GraphQL */ `
  mutation Refund($input: RefundStockInput!) {
    refundStock(input: $input) {
      __typename
      ... on RefundStockSuccess {
        orderId
        idempotencyKey
        lines {
          skuId
          quantity
          deducted
          refunded
          refundable
        }
      }
      ... on RefundExceedsDeducted {
        code
      }
      ... on UnknownOrder {
        code
      }
      ... on SkuNotInOrder {
        code
      }
      ... on IdempotencyConflict {
        code
      }
    }
  }
`;

export const RESTOCK = /* GraphQL */ `
  mutation Restock($input: RestockInput!) {
    restock(input: $input) {
      __typename
      ... on RestockSuccess {
        skuId
        quantity
        availableAfter
      }
      ... on UnknownSku {
        code
      }
      ... on IdempotencyConflict {
        code
      }
    }
  }
`;

export type Kind = 'DEDUCT' | 'REFUND' | 'RESTOCK';
export interface Line {
  skuId: string;
  quantity: number;
}

/** One logical request, with its idempotency key; every attempt of it sends exactly this. */
export interface Sent {
  kind: Kind;
  /** Idempotency key: the order id for a deduct, the refund id, the restock key. */
  key: string;
  orderId: string | null;
  lines: Line[];
}

export type Status =
  /** A success answer: the client acts on it, so it must be in the ledger (I2). */
  | 'acked'
  /** A typed outcome answered (InsufficientStock, RefundExceedsDeducted, …): nothing moved. */
  | 'refused'
  /** Every attempt failed retryably: the outcome is unknown to the client. */
  | 'gave-up'
  /** A non-retryable error (INTERNAL_SERVER_ERROR, …). */
  | 'error';

export interface Done {
  sent: Sent;
  status: Status;
  /** The success payload (the mutation's field), for acked requests. */
  answer?: Record<string, unknown>;
  typename?: string;
  attempts: number;
  /** Error codes of the failed attempts, in order ("NETWORK" for no HTTP answer). */
  failures: string[];
  /** When it was first sent and how long until its final answer, ms (since the load started). */
  startedAt: number;
  ms: number;
}

export interface LoadStats {
  /** Logical requests started. */
  operations: number;
  /** HTTP requests sent, every attempt and every deliberate replay counted. */
  attempts: number;
  acked: number;
  refused: number;
  /** Attempts that failed with TEMPORARILY_UNAVAILABLE or without an HTTP answer (then retried). */
  retryableFailures: number;
  /** Of those, failures by code. */
  failuresByCode: Record<string, number>;
  gaveUp: number;
  /** Non-retryable errors by code (must stay empty). */
  errors: Record<string, number>;
  /** Deliberate replays of acked requests (same key, same input) and how many answered differently (I4). */
  replays: number;
  replayMismatches: { sent: Sent; first: unknown; replay: unknown }[];
  /** Acked deducts that said a limited SKU's available went below zero (I1 as the client sees it). */
  negativeAvailableAnswers: number;
  /** The first few of them: key, when (ms since the load started, first sent / answered) and the lines answered. */
  negativeAvailableExamples: { key: string; startedAt: number; answeredAt: number; lines: unknown }[];
  /** Every retryable failure: when (ms since the load started) and its code. */
  failureLog: [at: number, code: string][];
  /** Every HTTP attempt (replays included): when it was sent, to which instance, and what came back. */
  attemptLog: AttemptRecord[];
}

/**
 * One HTTP attempt as the client saw it. `answer` is 'success' or 'outcome' (a typed domain outcome:
 * InsufficientStock, RefundExceedsDeducted, …) when the server answered the operation, else the error
 * code ('TEMPORARILY_UNAVAILABLE', 'NETWORK', …).
 */
export interface AttemptRecord {
  /** ms since the load started, when the attempt was sent. */
  at: number;
  /** Index of the instance in `urls()`. */
  instance: number;
  /** 1 for a request's first attempt; replays count from 1 again but are marked. */
  n: number;
  replay: boolean;
  kind: Kind;
  /** The request's idempotency key, and its lines as `sku:quantity`. */
  key: string;
  lines: string;
  answer: string;
  /** An error's message. */
  message?: string;
}

/** Shares of the operations the clients pick (the rest are single-line deducts), and their sizes. */
export interface Mix {
  /** Refunds of acked deducts. */
  refunds: number;
  restocks: number;
  /** Carts of 2–3 lines. */
  carts: number;
  /** Units per deducted line: 1 to this. */
  maxQuantity: number;
}

/** 55% single-line deducts, 25% carts of 2–3 lines, 12% refunds of acked deducts, 8% restocks. */
export const MIXED: Mix = { refunds: 0.12, restocks: 0.08, carts: 0.25, maxQuantity: 3 };

export interface SkuPlan {
  id: string;
  initial: number;
  /** Relative share of the lines that name this SKU. */
  weight: number;
}

export interface LoadOptions {
  /** Server URLs; each attempt goes to one at random, as behind a load balancer. */
  urls: () => string[];
  clients: number;
  skus: SkuPlan[];
  /** Attempts per request, the first included, and a bound on one request's total time. */
  maxAttempts: number;
  maxRequestMs: number;
  /** Per attempt: a hung server counts as a network error after this. */
  attemptTimeoutMs: number;
  /** Share of acked requests replayed at once with the same key (I4). */
  replayShare: number;
  seed: number;
  /** What the clients send; MIXED when absent. */
  mix?: Mix;
  /**
   * Client c sends every attempt to urls()[c % urls().length] (each instance keeps its own clients, so
   * what one instance answers can be told apart); otherwise each attempt goes to one at random, as
   * behind a load balancer.
   */
  pinned?: boolean;
}

/** Small, fast, seedable PRNG (mulberry32): a run's load is reproducible from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Answer {
  /** The mutation field's payload, when the server answered one. */
  data?: Record<string, unknown>;
  /** Error code, "NETWORK" when no GraphQL answer came back. */
  error?: string;
  /** The error's message. */
  message?: string;
}

const RETRYABLE = new Set(['TEMPORARILY_UNAVAILABLE', 'NETWORK']);
const FIELD: Record<Kind, string> = { DEDUCT: 'deductStock', REFUND: 'refundStock', RESTOCK: 'restock' };
const SUCCESS: Record<Kind, string> = { DEDUCT: 'DeductStockSuccess', REFUND: 'RefundStockSuccess', RESTOCK: 'RestockSuccess' };

function operation(sent: Sent): { query: string; variables: Record<string, unknown> } {
  switch (sent.kind) {
    case 'DEDUCT':
      return { query: DEDUCT, variables: { input: { orderId: sent.orderId, lines: sent.lines } } };
    case 'REFUND':
      return { query: REFUND, variables: { input: { orderId: sent.orderId, idempotencyKey: sent.key, lines: sent.lines } } };
    case 'RESTOCK':
      return {
        query: RESTOCK,
        variables: { input: { skuId: sent.lines[0]!.skuId, quantity: sent.lines[0]!.quantity, idempotencyKey: sent.key } },
      };
  }
}

/** One HTTP attempt. */
async function attempt(url: string, sent: Sent, timeoutMs: number): Promise<Answer> {
  const { query, variables } = operation(sent);
  let body: { data?: Record<string, Record<string, unknown> | null>; errors?: { message?: string; extensions?: { code?: string } }[] };
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = (await res.json()) as typeof body;
  } catch (err) {
    return { error: 'NETWORK', message: String(err) };
  }
  if (body.errors?.length) return { error: body.errors[0]?.extensions?.code ?? 'NO_CODE', message: body.errors[0]?.message ?? '' };
  const data = body.data?.[FIELD[sent.kind]];
  return data ? { data } : { error: 'NO_DATA' };
}

/**
 * The chaos clients: `clients` concurrent loops, each sending one request at a time until `stop` says
 * so. A retryable failure is retried with the same idempotency key and input, a bounded number of
 * times within a bounded time, with backoff; every final answer is logged.
 */
export class Load {
  readonly done: Done[] = [];
  readonly stats: LoadStats = {
    operations: 0,
    attempts: 0,
    acked: 0,
    refused: 0,
    retryableFailures: 0,
    failuresByCode: {},
    gaveUp: 0,
    errors: {},
    replays: 0,
    replayMismatches: [],
    negativeAvailableAnswers: 0,
    negativeAvailableExamples: [],
    failureLog: [],
    attemptLog: [],
  };
  private t0 = Date.now();
  private stopped = false;
  private readonly random: () => number;
  /** Acked deducts, the pool refunds draw from. */
  private readonly ackedDeducts: Sent[] = [];
  private next = 0;
  private readonly runs: Promise<void>[] = [];

  constructor(private readonly o: LoadOptions) {
    this.random = rng(o.seed);
  }

  /** ms since the load started. */
  now(): number {
    return Date.now() - this.t0;
  }

  start(): void {
    this.t0 = Date.now();
    for (let c = 0; c < this.o.clients; c++) this.runs.push(this.client(c));
  }

  /** Stops starting requests and waits for those under way (each bounded by maxRequestMs). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.runs);
  }

  /**
   * Sends a request until it is answered or its retries run out; logs and returns the outcome.
   * `client` is the sending client's number (for pinned loads); none: any instance.
   */
  async send(sent: Sent, client?: number): Promise<Done> {
    this.stats.operations++;
    const startedAt = this.now();
    const timing = () => ({ startedAt, ms: this.now() - startedAt });
    const failures: string[] = [];
    const deadline = Date.now() + this.o.maxRequestMs;
    for (let n = 1; ; n++) {
      const answer = await this.attemptAnywhere(sent, n, false, client);
      if (answer.data) {
        const typename = String(answer.data['__typename']);
        const acked = typename === SUCCESS[sent.kind];
        const done: Done = {
          sent,
          status: acked ? 'acked' : 'refused',
          typename,
          attempts: n,
          failures,
          ...timing(),
          ...(acked ? { answer: answer.data } : {}),
        };
        this.finish(done);
        return done;
      }
      const code = answer.error!;
      if (!RETRYABLE.has(code)) {
        this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1;
        const done: Done = { sent, status: 'error', attempts: n, failures: [...failures, code], ...timing() };
        this.finish(done);
        return done;
      }
      failures.push(code);
      this.stats.failureLog.push([this.now(), code]);
      this.stats.retryableFailures++;
      this.stats.failuresByCode[code] = (this.stats.failuresByCode[code] ?? 0) + 1;
      const backoff = Math.min(50 * 2 ** (n - 1), 1_000) * (0.5 + this.random());
      if (n >= this.o.maxAttempts || Date.now() + backoff > deadline) {
        const done: Done = { sent, status: 'gave-up', attempts: n, failures, ...timing() };
        this.finish(done);
        return done;
      }
      await sleep(backoff);
    }
  }

  /**
   * Sends an acked request again, same key and input, and compares the answer with the first (I4).
   * A replay that fails retryably is retried like any request; one that never gets an answer is not
   * a mismatch (it says nothing either way) but is counted as an attempt.
   */
  async replay(first: Done): Promise<void> {
    const deadline = Date.now() + this.o.maxRequestMs;
    for (let n = 1; n <= this.o.maxAttempts && Date.now() < deadline; n++) {
      const answer = await this.attemptAnywhere(first.sent, n, true);
      if (answer.data) {
        this.stats.replays++;
        if (!isDeepStrictEqual(answer.data, first.answer))
          this.stats.replayMismatches.push({ sent: first.sent, first: first.answer, replay: answer.data });
        return;
      }
      if (!RETRYABLE.has(answer.error!)) {
        this.stats.replays++;
        this.stats.replayMismatches.push({ sent: first.sent, first: first.answer, replay: { error: answer.error } });
        return;
      }
      await sleep(Math.min(50 * 2 ** (n - 1), 1_000) * (0.5 + this.random()));
    }
  }

  private async attemptAnywhere(sent: Sent, n: number, replay: boolean, client?: number): Promise<Answer> {
    const urls = this.o.urls();
    this.stats.attempts++;
    const instance = this.o.pinned && client !== undefined ? client % urls.length : Math.floor(this.random() * urls.length);
    const at = this.now();
    const answer = await attempt(urls[instance]!, sent, this.o.attemptTimeoutMs);
    const said = answer.data ? (String(answer.data['__typename']) === SUCCESS[sent.kind] ? 'success' : 'outcome') : answer.error!;
    const lines = sent.lines.map((l) => `${l.skuId}:${l.quantity}`).join(',');
    this.stats.attemptLog.push({
      at,
      instance,
      n,
      replay,
      kind: sent.kind,
      key: sent.key,
      lines,
      answer: said,
      ...(answer.message ? { message: answer.message } : {}),
    });
    return answer;
  }

  private finish(done: Done): void {
    this.done.push(done);
    if (done.status === 'acked') this.stats.acked++;
    else if (done.status === 'refused') this.stats.refused++;
    else if (done.status === 'gave-up') this.stats.gaveUp++;
    if (done.status === 'acked' && done.sent.kind === 'DEDUCT') {
      this.ackedDeducts.push(done.sent);
      const lines = (done.answer?.['lines'] ?? []) as { availableAfter: number | null }[];
      if (lines.some((l) => l.availableAfter !== null && l.availableAfter < 0)) {
        this.stats.negativeAvailableAnswers++;
        if (this.stats.negativeAvailableExamples.length < 10)
          this.stats.negativeAvailableExamples.push({
            key: done.sent.key,
            startedAt: done.startedAt,
            answeredAt: done.startedAt + done.ms,
            lines,
          });
      }
    }
  }

  private async client(c: number): Promise<void> {
    while (!this.stopped) {
      const sent = this.pick(c);
      const done = await this.send(sent, c);
      if (done.status === 'acked' && this.random() < this.o.replayShare) await this.replay(done);
    }
  }

  /** A SKU by weight, among those not in `exclude` (a cart names each SKU once). */
  private pickSku(exclude: Set<string>): string {
    const left = this.o.skus.filter((s) => !exclude.has(s.id));
    let r = this.random() * left.reduce((n, s) => n + s.weight, 0);
    for (const s of left) {
      r -= s.weight;
      if (r < 0) return s.id;
    }
    return left.at(-1)!.id;
  }

  private quantity(max: number): number {
    return 1 + Math.floor(this.random() * max);
  }

  /** One request of the mix (MIXED: 55% single-line deducts, 25% carts of 2–3 lines, 12% refunds, 8% restocks). */
  private pick(c: number): Sent {
    const mix = this.o.mix ?? MIXED;
    const id = `c${c}-${++this.next}`;
    const r = this.random();
    if (r < mix.refunds && this.ackedDeducts.length > 0) {
      const order = this.ackedDeducts[Math.floor(this.random() * this.ackedDeducts.length)]!;
      // Sometimes more than is refundable: RefundExceedsDeducted is part of I5's test.
      const lines = order.lines
        .filter((_, i) => i === 0 || this.random() < 0.4)
        .map((l) => ({ skuId: l.skuId, quantity: this.quantity(l.quantity) }));
      return { kind: 'REFUND', key: `refund-${id}`, orderId: order.orderId, lines };
    }
    if (r < mix.refunds + mix.restocks) {
      return {
        kind: 'RESTOCK',
        key: `restock-${id}`,
        orderId: null,
        lines: [{ skuId: this.pickSku(new Set()), quantity: this.quantity(20) }],
      };
    }
    const size = r < mix.refunds + mix.restocks + mix.carts ? Math.min(2 + Math.floor(this.random() * 2), this.o.skus.length) : 1;
    const skus = new Set<string>();
    while (skus.size < size) skus.add(this.pickSku(skus));
    return {
      kind: 'DEDUCT',
      key: `order-${id}`,
      orderId: `order-${id}`,
      lines: [...skus].map((skuId) => ({ skuId, quantity: this.quantity(mix.maxQuantity) })),
    };
  }
}
