import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import type { Caller } from '../auth/keys.ts';
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
// (deduct, reserve, confirm, release, refund) lower theirs to checkout where they are defined.
builder.queryType({ authScopes: { role: 'reader' } });
builder.mutationType({ authScopes: { role: 'admin' } });
builder.subscriptionType({ authScopes: { role: 'reader' } });

/** Every domain outcome a client can match on, with its stable code. */
export const OutcomeInterface = builder.interfaceRef<Outcome>('Outcome').implement({
  description: 'A domain outcome other than success: nothing moved.',
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.exposeString('code'),
  }),
});
