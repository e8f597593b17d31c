/**
 * README.md's GraphQL examples are the contract as a reader first meets it (issue 13): every
 * ```graphql block is validated against the schema and run, operation by operation and in the order
 * written, against a live server on a database of its own. An operation's variables are the
 * `# variables: {…}` line after it. A mutation must answer its success member; a query must answer
 * without errors; a subscription must deliver an event over graphql-ws and over SSE once the SKUs it
 * names change.
 */
import { readFileSync } from 'node:fs';
import { Kind, OperationTypeNode, parse, print, validate, type OperationDefinitionNode } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';
import { gqlAt } from './support/client.ts';
import { overSse, overWs, wsClient } from './support/live.ts';
import { useStack } from './support/stack.ts';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
/** Times a subscription example's SKUs are changed before it must have seen an event (1.3 s each). */
const SUBSCRIBE_ROUNDS = 10;

interface Example {
  /** Where it is: the block's number and the operation's name. */
  name: string;
  operation: OperationDefinitionNode;
  text: string;
  variables: Record<string, unknown>;
}

/** Every operation of every ```graphql block, with the variables written after it. */
function examples(): Example[] {
  const blocks = [...README.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((block, b) =>
    parse(block).definitions.map((definition, d) => {
      if (definition.kind !== Kind.OPERATION_DEFINITION) throw new Error(`README block ${b + 1} holds a ${definition.kind}`);
      const after = block.slice(definition.loc!.end).split('\n').slice(0, 2).join('\n');
      const written = /^\s*# variables: (.*)$/m.exec(after)?.[1];
      return {
        name: `block ${b + 1}, ${definition.name?.value ?? `operation ${d + 1}`}`,
        operation: definition,
        text: print(definition),
        variables: written ? (JSON.parse(written) as Record<string, unknown>) : {},
      };
    }),
  );
}

const all = examples();
const stack = useStack();
const closing: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const close of closing) await close();
});

/** The SKU ids a subscription names: its `skuIds` argument, written inline. */
function skusNamed(example: Example): string[] {
  const written = /skuIds: \[([^\]]*)\]/.exec(example.text)?.[1] ?? '';
  return [...written.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

describe('README.md GraphQL examples', () => {
  it('there are examples of every kind of operation, every mutation among them', () => {
    const kinds = new Set(all.map((e) => e.operation.operation));
    expect([...kinds].sort()).toEqual(['mutation', 'query', 'subscription']);
    const mutated = new Set(
      all
        .flatMap((e) => (e.operation.operation === OperationTypeNode.MUTATION ? e.operation.selectionSet.selections : []))
        .map((s) => (s.kind === Kind.FIELD ? s.name.value : '')),
    );
    const mutations = Object.keys(schema.getMutationType()!.getFields()).filter((m) => m !== 'releaseReservation');
    expect(mutations.filter((m) => !mutated.has(m))).toEqual([]);
  });

  it.each(all.map((e) => [e.name, e] as const))('%s validates against the schema', (_name, example) => {
    expect(validate(schema, parse(example.text)).map((e) => e.message)).toEqual([]);
  });

  // In order: each example builds on the ones before (the upsert creates the SKU the rest use).
  it('runs, in the order written, each answering as the README says', { timeout: 60_000 }, async () => {
    for (const example of all) {
      const what = `${example.name}: ${example.text}`;
      if (example.operation.operation === OperationTypeNode.SUBSCRIPTION) {
        const field = (example.operation.selectionSet.selections[0] as { name: { value: string } }).name.value;
        const client = wsClient(stack.svc.url);
        const feeds = [
          overWs(client, example.text, example.variables, field),
          overSse(stack.svc.url, example.text, example.variables, field),
        ];
        closing.push(...feeds.map((f) => f.close), () => client.dispose());
        // Change every SKU the example names: a sell-out is an alert and a new level (from 1, so it is a
        // change even when an example before sold it out). An alert has no first event that says the
        // subscription is in place (a loaded machine takes a while): changed again until both saw one.
        for (let round = 1; ; round++) {
          await new Promise((r) => setTimeout(r, 300));
          for (const skuId of skusNamed(example)) {
            for (const available of [1, 0]) expect((await stack.api.setStock({ skuId, available })).errors, what).toBeUndefined();
          }
          const seen = await Promise.all(
            feeds.map((feed) =>
              feed
                .until((values) => values.length > 0, what, 1_000)
                .then(
                  () => true,
                  () => false,
                ),
            ),
          );
          if (seen.every(Boolean)) break;
          expect(round, `an event of ${what} on both feeds`).toBeLessThan(SUBSCRIBE_ROUNDS);
        }
        for (const feed of feeds) expect(feed.errors, what).toEqual([]);
        continue;
      }
      const res = await gqlAt(stack.svc.url, example.text, example.variables);
      expect(res.errors, what).toBeUndefined();
      for (const answer of Object.values(res.data ?? {})) {
        expect(answer, what).not.toBeNull();
        if (example.operation.operation !== OperationTypeNode.MUTATION) continue;
        // A batch answers one result per cart; every other mutation its result union.
        const { results } = answer as { results?: { __typename: string }[] };
        for (const result of results ?? [answer as { __typename: string }]) expect(result.__typename, what).toMatch(/Success$/);
      }
    }
  });
});
