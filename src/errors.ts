import assert from 'node:assert/strict';
import { GraphQLError, type GraphQLErrorExtensions } from 'graphql';

// Every error a client can be answered with, and the one way each is built. A client matches on
// `extensions.code` (README, "Errors"); outcomes it must handle are not errors but members of result
// unions, with codes of their own (OutcomeCode, src/stock/outcomes.ts).

/**
 * Malformed input: the same request always gets the same answer, so none is retryable, and nothing
 * moved. Built by inputError() and parseInput() (src/stock/input.ts), with the input at fault in
 * `extensions.field`.
 */
export const INPUT_ERROR_CODES = [
  'INVALID_ID',
  'INVALID_IDEMPOTENCY_KEY',
  'INVALID_QUANTITY',
  'INVALID_STOCK_LEVEL',
  'INVALID_THROTTLE',
  /** A bucket count (upsertSkus) not in 1..MAX_BUCKETS. */
  'INVALID_BUCKETS',
  /** A location id (a line's, a restock's, upsertLocations') that is empty, too long or holds "," ":" or braces. */
  'INVALID_LOCATION',
  /** A location's priority not in 0..MAX_LOCATION_PRIORITY. */
  'INVALID_PRIORITY',
  'INVALID_TTL',
  'INVALID_CURSOR',
  'INVALID_NAME',
  /** A cart (deduct, reserve, refund lines) needs at least one line. */
  'EMPTY_CART',
  'CART_TOO_LARGE',
  /** A batch (deductStockBatch, reserveStockBatch) needs at least one cart. */
  'EMPTY_BATCH',
  /** Over MAX_BATCH_CARTS carts or MAX_BATCH_LINES lines in one batch request. */
  'BATCH_TOO_LARGE',
  /** A list of SKUs (an upsert, a subscription) needs at least one. */
  'EMPTY_SKU_LIST',
  'TOO_MANY_SKUS',
  'DUPLICATE_SKU_LINE',
  /** A value GraphQL itself cannot coerce (graphql-js's own errors carry no code: src/app/yoga.ts). */
  'BAD_USER_INPUT',
] as const;

/** Worth sending again: they carry `extensions.retryable: true` (set by graphqlError(), never by hand). */
export const RETRYABLE_ERROR_CODES = [
  'TOO_MANY_SUBSCRIPTIONS',
  'RATE_LIMITED',
  'TEMPORARILY_UNAVAILABLE',
  /** A stockMovements subscriber fell too far behind: subscribe again with `after: extensions.cursor`. */
  'FEED_BEHIND',
] as const;

/** Every `extensions.code` stockgate answers with: README's error table lists each (test/errors.test.ts). */
export const ERROR_CODES = [
  ...INPUT_ERROR_CODES,
  /** A subscription names a SKU that does not exist. */
  'UNKNOWN_SKU',
  /** A request names a location that does not exist (upsertLocations creates them); nothing moved. */
  'UNKNOWN_LOCATION',
  /** A location change the SKU cannot take (a SKU in buckets keeps its stock in `default`); nothing moved. */
  'LOCATION_NOT_ALLOWED',
  /** Yoga's own codes for a document that does not parse or validate; graphql-ws gets the same. */
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'OPERATION_TOO_COMPLEX',
  'REQUEST_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_FOUND',
  ...RETRYABLE_ERROR_CODES,
  /** Yoga's mask for anything unexpected; the details are logged, never sent. */
  'INTERNAL_SERVER_ERROR',
] as const;

export type InputErrorCode = (typeof INPUT_ERROR_CODES)[number];
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The `code` of each result-union member other than success (src/stock/outcomes.ts): not errors. */
export const OUTCOME_CODES = [
  'INSUFFICIENT_STOCK',
  'UNKNOWN_SKU',
  'IDEMPOTENCY_CONFLICT',
  'UNKNOWN_ORDER',
  'SKU_NOT_IN_ORDER',
  'REFUND_EXCEEDS_DEDUCTED',
  'STOCK_CHANGED',
  'UNKNOWN_RESERVATION',
  'RESERVATION_EXPIRED',
  'RESERVATION_ALREADY_RELEASED',
  'RESERVATION_ALREADY_CONFIRMED',
  'EXCEEDS_RESERVED',
  'THROTTLED',
] as const;

export type OutcomeCode = (typeof OUTCOME_CODES)[number];

// Declared once, as graphql-yoga's src/error.ts declares `http`: every extension stockgate sets, typed,
// so a misspelt code or extension fails the type check instead of reaching a client.
declare module 'graphql' {
  interface GraphQLErrorExtensions {
    /** What clients match on; stable across releases. */
    code?: ErrorCode;
    /** True on the RETRYABLE_ERROR_CODES: the same request may be sent again (with the same idempotency key). */
    retryable?: boolean;
    /** RATE_LIMITED: how long until this caller may send again. */
    retryAfterMs?: number;
    /** Input errors: the input at fault, as a path (`lines.0.quantity`). */
    field?: string;
    /** UNKNOWN_SKU of a subscription: the ids that do not exist. */
    skuIds?: string[];
    /** REQUEST_TOO_LARGE: the largest body accepted, in bytes. */
    limit?: number;
    /** FEED_BEHIND: the cursor of the last movement sent, to resume after. */
    cursor?: string;
  }
}

/** What a constructor may add besides the code (which fixes `retryable`). */
export type ErrorDetails = Omit<GraphQLErrorExtensions, 'code' | 'retryable'>;

const RETRYABLE: ReadonlySet<ErrorCode> = new Set(RETRYABLE_ERROR_CODES);

/** `{ code, retryable?, ...details }`: the one shape of every error's extensions. */
function extensions(code: ErrorCode, details: ErrorDetails): GraphQLErrorExtensions {
  return { code, ...(RETRYABLE.has(code) ? { retryable: true } : {}), ...details };
}

/** An error raised while a request runs: the base every other constructor here builds on. */
export function graphqlError(code: ErrorCode, message: string, details: ErrorDetails = {}): GraphQLError {
  return new GraphQLError(message, { extensions: extensions(code, details) });
}

/** Malformed input; `field` names the input at fault. Nothing moved, and sending it again will not help. */
export function inputError(code: InputErrorCode, message: string, field?: string): GraphQLError {
  return graphqlError(code, message, field ? { field } : {});
}

/** What a client does with TEMPORARILY_UNAVAILABLE, by what it was refused. */
const RETRY_ADVICE = {
  /** A query or mutation: nothing moved, or it did and the same key returns its answer. */
  request: { service: 'stock service', advice: 'retry with the same idempotency key' },
  /** A subscription that could not start or had to end. */
  subscription: { service: 'live stock', advice: 'subscribe again' },
} as const;

/**
 * The one error a client should retry as it is: nothing moved (units taken at the gate were given back,
 * or will be by reconciliation), and the same idempotency key may be sent again safely.
 */
export function unavailable(reason: string, refused: keyof typeof RETRY_ADVICE = 'request'): GraphQLError {
  const { service, advice } = RETRY_ADVICE[refused];
  return graphqlError('TEMPORARILY_UNAVAILABLE', `${service} temporarily unavailable: ${reason}; ${advice}`);
}

/**
 * `error` with another message and extensions, where it was (nodes, source, positions, path), so the
 * client still sees which field of its document failed. For errors graphql-js or a driver made.
 */
export function reissued(error: GraphQLError, message: string, newExtensions: GraphQLErrorExtensions): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: newExtensions,
  });
}

export interface RefusalOptions {
  /** The HTTP status: always an error status (4xx or 5xx). */
  status: number;
  code: ErrorCode;
  message: string;
  /** Response headers besides the JSON content type (Retry-After, Connection). @default {} */
  headers?: Record<string, string>;
  /** Extensions besides the code. @default {} */
  details?: ErrorDetails;
}

/**
 * A request refused before GraphQL runs (a plugin's endResponse), shaped as a GraphQL response, so
 * clients match on its code like on any other error.
 */
export function refusal(Response: typeof globalThis.Response, options: RefusalOptions): Response {
  // A 2xx or 3xx with `errors` and no `data` would read as success to clients that check the status first.
  assert.ok(options.status >= 400 && options.status <= 599, `a refusal needs an error status, not ${options.status}`);
  const body = { errors: [{ message: options.message, extensions: extensions(options.code, options.details ?? {}) }] };
  return new Response(JSON.stringify(body), {
    status: options.status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...options.headers },
  });
}

/**
 * Zod's message for an input check: the code travels in front of the text (`CODE:text`) so parseInput
 * can raise it, and the code is typed here rather than spelt in a string.
 */
export function issue(code: InputErrorCode, text: string): { error: string } {
  return { error: `${code}:${text}` };
}

const INPUT_CODES: ReadonlySet<string> = new Set(INPUT_ERROR_CODES);

/** The code and text of an issue() message; a message without a known code is BAD_USER_INPUT as it is. */
export function splitIssue(message: string): [InputErrorCode, string] {
  const at = message.indexOf(':');
  const code = at < 0 ? '' : message.slice(0, at);
  if (!INPUT_CODES.has(code)) return ['BAD_USER_INPUT', message];
  return [code as InputErrorCode, message.slice(at + 1)];
}
