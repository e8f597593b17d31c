/**
 * What the client suite's tests share: unique SKU ids, the live server's introspection (for Apollo's
 * possibleTypes and graphcache's schema), a fetch that counts what went over the network, and the typed
 * string documents as DocumentNodes for the clients that want one.
 */
import { randomUUID } from 'node:crypto';
import { getIntrospectionQuery, parse, type IntrospectionQuery } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { TypedDocumentString } from '../support/graphql/graphql.ts';

/** An id no other run (nor test) uses. */
export const uniqueId = (what: string): string => `${what}-${randomUUID().slice(0, 8)}`;

/** The live server's schema as its introspection answers it. */
export async function introspect(url: string): Promise<IntrospectionQuery> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query: getIntrospectionQuery() }),
  });
  const body = (await res.json()) as { data?: IntrospectionQuery; errors?: unknown[] };
  if (!body.data) throw new Error(`introspection failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Every union and interface with its possible types, as Apollo's InMemoryCache takes them. */
export function possibleTypesOf(schema: IntrospectionQuery): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const type of schema.__schema.types) {
    if (type.kind === 'UNION' || type.kind === 'INTERFACE') map[type.name] = type.possibleTypes.map((t) => t.name).sort();
  }
  return map;
}

/** The object types without an `id` field: a normalized cache can only embed them in their parent. */
export function keylessTypes(schema: IntrospectionQuery): string[] {
  return schema.__schema.types
    .filter((t) => t.kind === 'OBJECT' && !t.name.startsWith('__') && !t.fields.some((f) => f.name === 'id'))
    .filter((t) => !['Query', 'Mutation', 'Subscription'].includes(t.name))
    .map((t) => t.name);
}

/** A fetch that counts the requests it sends: a cache answer that went to the network shows up here. */
export function countingFetch(): { fetch: typeof fetch; count: () => number } {
  let sent = 0;
  return {
    fetch: (input, init) => {
      sent++;
      return fetch(input, init);
    },
    count: () => sent,
  };
}

/** The typed string document as a graphql-js DocumentNode with the same result and variable types. */
export function documentNode<R, V>(doc: TypedDocumentString<R, V>): TypedDocumentNode<R, V> {
  return parse(doc.toString());
}
