import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.ts';
import './stock.ts';
import './orders.ts';
import './movements.ts';
import './reservations.ts';
import './live.ts';
import './feed.ts';
import './audit.ts';
import './locations.ts';

/** The whole API: one file per domain registers its types on the builder. */
export const schema = lexicographicSortSchema(builder.toSchema());
