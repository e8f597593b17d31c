/**
 * The API contract (issue 13), checked on the schema itself, without a server: what Apollo, urql and
 * codegen reject, and the conventions clients rely on. test/clients/ runs the real clients.
 */
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isNonNullType,
  isObjectType,
  isUnionType,
  parse,
  validate,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { OUTCOME_CODES } from '../src/errors.ts';
import { schema } from '../src/schema/index.ts';
import { operationSelectingEverything, rootFields } from './support/every-field.ts';

const roots = [
  ['query', schema.getQueryType()],
  ['mutation', schema.getMutationType()],
  ['subscription', schema.getSubscriptionType()],
] as const;

const capitalized = (name: string) => name[0]!.toUpperCase() + name.slice(1);
const namedTypes = (): GraphQLNamedType[] => Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith('__'));
const outcome = schema.getType('Outcome');

describe('a client selecting every field of every member validates', () => {
  const cases = roots.flatMap(([kind, root]) =>
    rootFields(root).map((f) => [`${root!.name}.${f.name}`, operationSelectingEverything(kind, [f])] as const),
  );
  it.each(cases)('%s, every member and field, no aliases', (_name, document) => {
    expect(validate(schema, parse(document)).map((e) => e.message)).toEqual([]);
  });

  it('every query field at once, and every mutation field at once', () => {
    for (const [kind, root] of roots.slice(0, 2)) {
      const document = operationSelectingEverything(kind, rootFields(root));
      expect(validate(schema, parse(document)).map((e) => e.message)).toEqual([]);
    }
  });

  it('the check can fail: a union whose members clash on a field is refused', () => {
    const clash = `mutation($input: DeductStockInput!) { deductStock(input: $input) {
      ... on DeductStockSuccess { idempotencyKey: orderId } ... on IdempotencyConflict { idempotencyKey } } }`;
    expect(
      validate(schema, parse(clash))
        .map((e) => e.message)
        .join(),
    ).toMatch(/conflict/);
  });
});

describe('mutations', () => {
  // A batch (deductStockBatch) answers one result per cart, each its single mutation's result union.
  const isBatch = (name: string) => name.endsWith('Batch');
  const mutations = rootFields(schema.getMutationType()).filter((m) => !isBatch(m.name));
  const batches = rootFields(schema.getMutationType()).filter((m) => isBatch(m.name));

  it('there is a batch mutation, and each answers <Mutation>Payload { results: [<single>Result!]! } from one input', () => {
    expect(batches.map((m) => m.name)).toContain('deductStockBatch');
    for (const m of batches) {
      expect(m.args.map((a) => a.name)).toEqual(['input']);
      expect(getNamedType(m.args[0]!.type).name).toBe(`${capitalized(m.name)}Input`);
      const payload = getNamedType(m.type) as GraphQLObjectType;
      expect(payload.name).toBe(`${capitalized(m.name)}Payload`);
      const single = m.name.slice(0, -'Batch'.length);
      expect(String(payload.getFields().results?.type)).toBe(`[${capitalized(single)}Result!]!`);
    }
  });

  it.each(mutations.map((m) => [m.name, m] as const))('%s takes one non-null `input` of its own input type', (name, m) => {
    expect(m.args.map((a) => a.name)).toEqual(['input']);
    const type = m.args[0]!.type;
    expect(isNonNullType(type) && isInputObjectType(type.ofType)).toBe(true);
    expect(getNamedType(type).name).toBe(`${capitalized(name)}Input`);
  });

  it.each(mutations.map((m) => [m.name, m] as const))(
    '%s answers <Mutation>Result: one <Mutation>Success, every other member an Outcome',
    (name, m) => {
      expect(isNonNullType(m.type)).toBe(true);
      const result = getNamedType(m.type);
      expect(result.name).toBe(`${capitalized(name)}Result`);
      if (!isUnionType(result)) throw new Error(`${result.name} is not a union`);
      const [successes, others] = [
        result.getTypes().filter((t) => t.name.endsWith('Success')),
        result.getTypes().filter((t) => !t.name.endsWith('Success')),
      ];
      expect(successes.map((t) => t.name)).toEqual([`${capitalized(name)}Success`]);
      for (const other of others)
        expect(
          other.getInterfaces().map((i) => i.name),
          other.name,
        ).toContain('Outcome');
    },
  );
});

describe('outcomes', () => {
  it('Outcome.code is the enum OutcomeCode, with every code the service answers', () => {
    const code = (outcome as GraphQLObjectType).getFields().code!;
    const type = getNamedType(code.type);
    expect(type.name).toBe('OutcomeCode');
    if (!isEnumType(type)) throw new Error('OutcomeCode is not an enum');
    expect(
      type
        .getValues()
        .map((v) => v.name)
        .sort(),
    ).toEqual([...OUTCOME_CODES].sort());
  });

  it('no success reads like a refusal and no refusal like a success', () => {
    const implementers = schema.getImplementations(outcome as never).objects.map((t) => t.name);
    expect(implementers.filter((n) => n.endsWith('Success'))).toEqual([]);
    // A refusal of a settlement names what the reservation already is, not an event that just happened.
    expect(implementers).not.toContain('ReservationConfirmed');
    expect(implementers).not.toContain('ReservationReleased');
  });
});

describe('conventional types', () => {
  const objectFields = () =>
    namedTypes()
      .filter(isObjectType)
      .flatMap((t) => Object.values(t.getFields()).map((f) => ({ owner: t.name, name: f.name, type: getNamedType(f.type).name })));

  it('timestamps are DateTime', () => {
    const stamps = objectFields().filter((f) => /At$|deadline/.test(f.name));
    expect(stamps.length).toBeGreaterThan(3);
    for (const f of stamps) expect(`${f.owner}.${f.name}: ${f.type}`).toBe(`${f.owner}.${f.name}: DateTime`);
  });

  it('no Float anywhere, and no field named after a generated connection', () => {
    expect(objectFields().filter((f) => f.type === 'Float')).toEqual([]);
    expect(
      namedTypes()
        .filter((t) => t.name !== 'Query' && t.name.startsWith('Query'))
        .map((t) => t.name),
    ).toEqual([]);
    expect(schema.getType('MovementConnection')).toBeDefined();
    expect(schema.getType('MovementEdge')).toBeDefined();
  });

  it('one name for an idempotency key: every mutation input that has a key calls it idempotencyKey', () => {
    const inputs = namedTypes().filter(isInputObjectType);
    // Ids of the domain's things (a SKU, an order, a location) are references, not keys.
    const keyLike = inputs.flatMap((t) =>
      Object.keys(t.getFields()).filter(
        (n) => /key|Id$/i.test(n) && !/^(skuId|orderId|id|locationId|fromLocationId|toLocationId)$/.test(n),
      ),
    );
    expect(keyLike.filter((n) => n !== 'idempotencyKey')).toEqual([]);
  });

  it('what is settable is readable: every SkuInput field is a Sku field (locationId says where `available` is set: Sku.levels)', () => {
    const input = Object.keys((schema.getType('SkuInput') as never as { getFields(): object }).getFields());
    const sku = Object.keys((schema.getType('Sku') as GraphQLObjectType).getFields());
    expect(input.filter((f) => !sku.includes(f) && f !== 'locationId')).toEqual([]);
  });

  it('caches stay fresh: lines of takes and refunds carry their Sku, Reservation has an id, StockLevel its Sku', () => {
    for (const line of ['TakenLine', 'ShortLine', 'RefundedLine']) {
      expect(String((schema.getType(line) as GraphQLObjectType).getFields().sku?.type), line).toBe('Sku!');
    }
    expect(String((schema.getType('Reservation') as GraphQLObjectType).getFields().id?.type)).toBe('ID!');
    expect(String((schema.getType('StockLevel') as GraphQLObjectType).getFields().sku?.type)).toBe('Sku!');
  });

  it('every level that can be unlimited is nullable (null for unlimited)', () => {
    const levels = objectFields().filter((f) => ['available', 'availableAfter'].includes(f.name));
    expect(levels.length).toBeGreaterThan(3);
    for (const { owner, name } of levels) {
      const f = (schema.getType(owner) as GraphQLObjectType).getFields()[name]!;
      expect(`${owner}.${name} ${isNonNullType(f.type) ? 'non-null' : 'nullable'}`).toBe(`${owner}.${name} nullable`);
    }
  });
});
