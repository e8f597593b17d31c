import SchemaBuilder from '@pothos/core';
import { DateTimeResolver, SafeIntResolver } from 'graphql-scalars';
import ErrorsPlugin from '@pothos/plugin-errors';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import type { Caller } from '../auth/keys.ts';
import { OUTCOME_CODES } from '../errors.ts';
import { authScopes, unauthorized, type AuthScopes } from '../auth/scopes.ts';
import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import type { Live } from '../live/live.ts';
import { Outcome } from '../stock/outcomes.ts';
import type { Services } from '../stock/services.ts';

export interface Context extends Services {
  /** Live levels and alerts (src/live/). */
  live: Live;
  /** Who sent this request (src/auth/scopes.ts): null when its key is missing or unknown. */
  caller: Caller | null;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: AuthScopes;
  Scalars: {
    /** An instant, ISO 8601 in UTC (graphql-scalars). */
    DateTime: { Input: Date; Output: Date };
    /** An integer JSON numbers carry exactly: |n| < 2^53 (graphql-scalars). */
    SafeInt: { Input: number; Output: number };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
}>({
  // Scope-auth first, so its check wraps every other plugin's resolver: a refused field runs nothing.
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
  },
  relay: {},
  errors: { directResult: true },
  scopeAuth: {
    authScopes,
    // Checked once when a subscription starts, not on every event: the caller cannot change meanwhile.
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, ctx, info, result) => unauthorized(ctx, info, result.failure),
  },
});

// Who may do what: reading and watching needs reader, changing stock admin; the checkout mutations
// (deduct, reserve and their batches, confirm, release, refund) lower theirs to checkout where they are defined.
builder.queryType({ authScopes: { role: 'reader' } });
builder.mutationType({ authScopes: { role: 'admin' } });
builder.subscriptionType({ authScopes: { role: 'reader' } });

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('SafeInt', SafeIntResolver);

const OutcomeCodeEnum = builder.enumType('OutcomeCode', {
  description: 'What an Outcome is: one code per member type, stable across releases.',
  values: OUTCOME_CODES,
});

/** Every domain outcome a client can match on, with its stable code. */
export const OutcomeInterface = builder.interfaceRef<Outcome>('Outcome').implement({
  description: 'A domain outcome other than success: nothing moved.',
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.expose('code', { type: OutcomeCodeEnum }),
  }),
});
