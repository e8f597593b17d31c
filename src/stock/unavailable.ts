import { GraphQLError } from 'graphql';

/**
 * The one error a client should retry: nothing moved (units taken at the gate were given back, or will
 * be by reconciliation), and the same idempotency key may be sent again safely.
 */
export function unavailable(reason: string): GraphQLError {
  return new GraphQLError(`stock service temporarily unavailable: ${reason}; retry with the same idempotency key`, {
    extensions: { code: 'TEMPORARILY_UNAVAILABLE', retryable: true },
  });
}
