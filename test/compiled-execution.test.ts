/**
 * useCompiledExecution (src/app/use-compiled-execution.ts) against the interpreter: the same Yoga with
 * and without it answers every request alike, whether the document ran compiled or fell back.
 */
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useCompiledExecution } from '../src/app/use-compiled-execution.ts';

/** A schema with what the fallbacks are for: non-null fields, an Int input, a mutation with a side effect. */
function app(compiled: boolean) {
  const calls: string[] = [];
  const schema = createSchema({
    typeDefs: /* GraphQL */ `
      input Line {
        sku: String!
        quantity: Int!
      }
      type Taken {
        sku: String!
        quantity: Int!
        broken: String!
      }
      type Query {
        level(sku: String!): Int!
      }
      type Mutation {
        take(lines: [Line!]!): [Taken!]!
        fail: Int!
      }
    `,
    resolvers: {
      Query: { level: (_: unknown, { sku }: { sku: string }) => sku.length },
      Mutation: {
        take: (_: unknown, { lines }: { lines: { sku: string; quantity: number }[] }) => {
          calls.push(`take ${lines.length}`);
          return lines.map((l) => ({ ...l, broken: null }));
        },
        fail: () => {
          calls.push('fail');
          throw new Error('refused');
        },
      },
    },
  });
  const yoga = createYoga({ schema, plugins: compiled ? [useCompiledExecution()] : [], maskedErrors: false, logging: false });
  const post = async (query: string, variables?: unknown) => {
    const res = await yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as unknown;
  };
  return { post, calls };
}

/** The answers of `runs` identical requests, and the resolver calls they made, with and without the plugin. */
async function both(runs: number, query: string, variables?: unknown) {
  const out = [];
  for (const compiled of [false, true]) {
    const { post, calls } = app(compiled);
    const answers = [];
    for (let i = 0; i < runs; i++) answers.push(await post(query, variables));
    out.push({ answers, calls });
  }
  return { interpreted: out[0]!, compiled: out[1]! };
}

const TAKE = `mutation T($lines: [Line!]!) { take(lines: $lines) { sku quantity } }`;

describe('compiled execution answers as the interpreter does', () => {
  it('a mutation of one root field, run enough times to be compiled: same answers, each run once', async () => {
    const { interpreted, compiled } = await both(3, TAKE, {
      lines: [
        { sku: 'a', quantity: 1 },
        { sku: 'bb', quantity: 2 },
      ],
    });
    expect(compiled).toEqual(interpreted);
    expect(compiled.calls).toEqual(['take 2', 'take 2', 'take 2']);
  });

  it('variables that do not coerce: the interpreter words the error, and nothing runs', async () => {
    const { interpreted, compiled } = await both(3, TAKE, { lines: [{ sku: 'a', quantity: 1.5 }] });
    expect(compiled).toEqual(interpreted);
    expect(JSON.stringify(compiled.answers[2])).toContain('lines[0].quantity');
    expect(compiled.calls).toEqual([]);
  });

  it('a non-null field that resolves to null: the same null data and one error with its path', async () => {
    const query = `mutation { take(lines: [{ sku: "a", quantity: 1 }]) { sku broken } }`;
    const { interpreted, compiled } = await both(3, query);
    expect(compiled.answers.map(shape)).toEqual(interpreted.answers.map(shape));
    expect(shape(compiled.answers[2])).toEqual({ data: null, paths: [['take', 0, 'broken']] });
  });

  it('two root mutation fields, the first failing: the second never runs (left to the interpreter)', async () => {
    const { interpreted, compiled } = await both(3, `mutation { fail take(lines: []) { sku } }`);
    expect(compiled).toEqual(interpreted);
    expect(compiled.calls).toEqual(['fail', 'fail', 'fail']);
  });

  it('fields aliased __proto__ keep their answers', async () => {
    const root = await both(3, `{ __proto__: level(sku: "abc") }`);
    expect(root.compiled).toEqual(root.interpreted);
    expect(JSON.stringify(root.compiled.answers[2])).toBe('{"data":{"__proto__":3}}');
    const nested = await both(3, `mutation { take(lines: [{ sku: "a", quantity: 1 }]) { __proto__: sku } }`);
    expect(nested.compiled).toEqual(nested.interpreted);
    expect(JSON.stringify(nested.compiled.answers[2])).toBe('{"data":{"take":[{"__proto__":"a"}]}}');
  });
});

/** An answer's data and its errors' paths: the messages of a null in a non-null field differ in wording. */
function shape(answer: unknown): { data: unknown; paths: unknown[] } {
  const { data, errors } = answer as { data: unknown; errors?: { path?: unknown }[] };
  return { data, paths: (errors ?? []).map((e) => e.path) };
}
