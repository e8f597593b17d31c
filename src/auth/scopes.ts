import { AuthScopeFailureType, type AuthFailure } from '@pothos/plugin-scope-auth';
import type { GraphQLError, GraphQLResolveInfo } from 'graphql';
import { graphqlError } from '../errors.ts';
import { allows, bearer, ROLES, type ApiKeys, type Caller, type Role } from './keys.ts';

/**
 * Who every caller is while no keys are configured (local development only: main.ts warns, and
 * config.ts refuses it with NODE_ENV=production).
 */
export const OPEN_CALLER: Caller = { name: 'open', role: 'admin' };

/** What the key of a request travels in: the Authorization header over HTTP and SSE, connectionParams over graphql-ws. */
export interface Credentials {
  request?: { headers: { get(name: string): string | null } };
  connectionParams?: unknown;
}

/**
 * The caller of one request (null: no key, or one no configured key matches). Over graphql-ws there is
 * no per-operation request, so the key comes from the connection's `connectionParams.authorization`
 * (any letter case, since clients spell it either way), in the same "Bearer <secret>" form.
 */
export function identify(keys: ApiKeys, credentials: Credentials): Caller | null {
  if (keys.open) return OPEN_CALLER;
  if (credentials.request) return keys.identify(bearer(credentials.request.headers.get('authorization')));
  const params = credentials.connectionParams;
  if (typeof params !== 'object' || params === null) return null;
  const entry = Object.entries(params).find(([name]) => name.toLowerCase() === 'authorization');
  return keys.identify(bearer(entry?.[1]));
}

/** The one scope of the schema: `{ role: 'checkout' }` on a type or field lets that role and the ones above it in. */
export interface AuthScopes {
  role: Role;
}

/** Scope-auth's initializer: evaluated once per request, from the caller identify() put in the context. */
export function authScopes(ctx: { caller: Caller | null }) {
  return { role: (needed: Role) => ctx.caller !== null && allows(ctx.caller.role, needed) };
}

/** The role a failed check asked for, for the message (the check may sit inside $any/$all). */
function neededRole(failure: AuthFailure): Role | null {
  if (failure.kind === AuthScopeFailureType.AuthScope && failure.scope === 'role') {
    return (ROLES as readonly unknown[]).includes(failure.parameter) ? (failure.parameter as Role) : null;
  }
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes) {
    for (const inner of failure.failures) {
      const role = neededRole(inner);
      if (role) return role;
    }
  }
  return null;
}

/**
 * Why a field was refused, as a typed error: no usable key is UNAUTHENTICATED (send one), a known key
 * whose role is too low is FORBIDDEN (use another). Either way the resolver never ran, so nothing moved.
 */
export function unauthorized(ctx: { caller: Caller | null }, info: GraphQLResolveInfo, failure: AuthFailure): GraphQLError {
  const field = `${info.parentType.name}.${info.fieldName}`;
  if (!ctx.caller) {
    return graphqlError('UNAUTHENTICATED', `${field} needs an API key: send "Authorization: Bearer <secret>" with a configured key`);
  }
  const role = neededRole(failure);
  return graphqlError(
    'FORBIDDEN',
    `API key "${ctx.caller.name}" (role ${ctx.caller.role}) may not use ${field}${role ? `: it needs role ${role}` : ''}`,
  );
}
