import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import type { Prisma } from '../generated/prisma/client.ts';
import { MovementKind } from '../generated/prisma/enums.ts';
import { inputError } from '../errors.ts';
import { ledgerId, parseInput, skuId as skuIdSchema, orderId as orderIdSchema } from '../stock/input.ts';
import { readMayLag } from '../stock/reads.ts';
import { builder } from './builder.ts';

/** Movements per page: enough for a screen, small enough for one indexed range scan. */
const MAX_PAGE = 100;
const DEFAULT_PAGE = 20;

const MovementKindEnum = builder.enumType(MovementKind, {
  name: 'MovementKind',
  description: 'What a ledger movement did.',
});

export const Movement = builder.prismaObject('Movement', {
  description: 'One append-only ledger entry. Deltas say how available, reserved and sold changed.',
  fields: (t) => ({
    id: t.id({ resolve: (m) => m.id.toString() }),
    kind: t.expose('kind', { type: MovementKindEnum }),
    skuId: t.exposeID('skuId'),
    locationId: t.exposeID('locationId', { description: 'Where the units were (`default` for a request that named no location).' }),
    quantity: t.exposeInt('quantity'),
    deltaAvailable: t.exposeInt('deltaAvailable'),
    deltaReserved: t.exposeInt('deltaReserved'),
    deltaSold: t.exposeInt('deltaSold'),
    orderId: t.exposeID('orderId', { nullable: true }),
    orderLine: t.exposeInt('orderLine', { nullable: true }),
    idempotencyKey: t.exposeString('idempotencyKey', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

/** A cursor is a movement id; anything else is bad input, not an internal error. */
function cursorId(cursor: string | undefined, field: string): bigint | undefined {
  if (cursor === undefined) return undefined;
  const id = ledgerId.safeParse(cursor);
  if (!id.success) throw inputError('INVALID_CURSOR', `${field}: not a cursor from this connection`, field);
  return id.data;
}

builder.queryFields((t) => ({
  movements: t.connection(
    {
      type: Movement,
      description: `The ledger, newest first, filtered by SKU, order and kinds. At most ${MAX_PAGE} per page.`,
      args: {
        skuId: t.arg.id({ required: false }),
        orderId: t.arg.id({ required: false }),
        kinds: t.arg({ type: [MovementKindEnum], required: false }),
      },
      resolve: (_, args, ctx) => {
        const where: Prisma.MovementWhereInput = {
          ...(args.skuId != null ? { skuId: parseInput(skuIdSchema, String(args.skuId), 'skuId') } : {}),
          ...(args.orderId != null ? { orderId: parseInput(orderIdSchema, String(args.orderId), 'orderId') } : {}),
          ...(args.kinds ? { kind: { in: args.kinds } } : {}),
        };
        return resolveCursorConnection(
          { args, toCursor: (m) => m.id.toString(), defaultSize: DEFAULT_PAGE, maxSize: MAX_PAGE },
          ({ before, after, limit, inverted }: ResolveCursorConnectionArgs) => {
            const below = cursorId(after, 'after');
            const above = cursorId(before, 'before');
            // May lag (src/stock/reads.ts): a replica serves it when one is in rotation.
            return readMayLag(ctx, (db) =>
              db.movement.findMany({
                where: { ...where, id: { ...(below !== undefined ? { lt: below } : {}), ...(above !== undefined ? { gt: above } : {}) } },
                orderBy: { id: inverted ? 'asc' : 'desc' },
                take: limit,
              }),
            );
          },
        );
      },
    },
    { name: 'MovementConnection', description: 'A page of movements.' },
    { name: 'MovementEdge' },
  ),
}));
