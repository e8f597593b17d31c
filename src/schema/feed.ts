import { graphqlError } from '../errors.ts';
import { MAX_SKUS_PER_SUBSCRIPTION } from '../live/live.ts';
import { FeedBehind, MAX_QUEUED_MOVEMENTS, type StockMovementEvent } from '../live/feed.ts';
import { builder } from './builder.ts';
import { Movement } from './movements.ts';

const StockMovementEventRef = builder.objectRef<StockMovementEvent>('StockMovementEvent').implement({
  description: 'One ledger movement of the change feed, and the cursor to resume after it.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', {
      description: 'Opaque. Subscribe with `after:` this cursor to receive every movement committed after this one, exactly once.',
    }),
    movement: t.field({ type: Movement, description: 'The movement and its cause.', resolve: (e) => e.movement }),
  }),
});

builder.subscriptionFields((t) => ({
  stockMovements: t.field({
    type: StockMovementEventRef,
    description:
      `Every ledger movement of these SKUs (all SKUs when omitted; at most ${MAX_SKUS_PER_SUBSCRIPTION}) in commit order, each once: ` +
      'without `after` those committed from now on; with `after: <cursor>` first every one committed after that cursor, ' +
      `then on as they commit, with no gap and no duplicate. A subscriber more than ${MAX_QUEUED_MOVEMENTS} movements behind ` +
      'gets a FEED_BEHIND error carrying the cursor to resume after.',
    args: { skuIds: t.arg.idList({ required: false }), after: t.arg.string({ required: false }) },
    subscribe: (_, { skuIds, after }, ctx) => ctx.live.movements(skuIds ? skuIds.map(String) : null, after ?? null),
    resolve: (event) => {
      if (event instanceof FeedBehind) {
        throw graphqlError('FEED_BEHIND', 'this subscriber fell too far behind the feed; subscribe again after the cursor given', {
          cursor: event.cursor,
        });
      }
      return event;
    },
  }),
}));
