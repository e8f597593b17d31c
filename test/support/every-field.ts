/**
 * Operations that select every field there is: every member of every union, every field of every
 * member, written as a client that wants it all would write them, without aliases. That they validate
 * is the schema's contract (test/contract.test.ts); that they pass the abuse limits, the limits'
 * (test/limits.test.ts).
 */
import {
  getNamedType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
  isUnionType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';

/** A literal page size wherever a field pages, so the cost estimate sees a full page. */
const FULL_PAGE = 100;

/** The selection set of every field of a type (empty for a leaf). */
export function selectEverything(type: GraphQLNamedType): string {
  if (isLeafType(type)) return '';
  if (isUnionType(type)) {
    const members = type.getTypes().map((member) => `... on ${member.name} ${selectEverything(member)}`);
    return `{ __typename ${members.join(' ')} }`;
  }
  if (isObjectType(type) || isInterfaceType(type)) return `{ ${Object.values(type.getFields()).map(field).join(' ')} }`;
  return '';
}

function field(f: GraphQLField<unknown, unknown>): string {
  const args = f.args.some((a) => a.name === 'first') ? `(first: ${FULL_PAGE})` : '';
  return `${f.name}${args} ${selectEverything(getNamedType(f.type))}`;
}

/** The operation running `fields` of a root type, every required argument a variable (prefixed per field, so they do not clash). */
export function operationSelectingEverything(
  kind: 'query' | 'mutation' | 'subscription',
  fields: GraphQLField<unknown, unknown>[],
): string {
  const variables: string[] = [];
  const selections = fields.map((f) => {
    const required = f.args.filter((a) => isNonNullType(a.type));
    variables.push(...required.map((a) => `$${f.name}_${a.name}: ${String(a.type)}`));
    const args = [
      ...required.map((a) => `${a.name}: $${f.name}_${a.name}`),
      ...(f.args.some((a) => a.name === 'first') ? [`first: ${FULL_PAGE}`] : []),
    ];
    return `${f.name}${args.length > 0 ? `(${args.join(', ')})` : ''} ${selectEverything(getNamedType(f.type))}`;
  });
  return `${kind}${variables.length > 0 ? `(${variables.join(', ')})` : ''} { ${selections.join(' ')} }`;
}

export const rootFields = (type: GraphQLObjectType | null | undefined): GraphQLField<unknown, unknown>[] =>
  type ? Object.values(type.getFields()) : [];
