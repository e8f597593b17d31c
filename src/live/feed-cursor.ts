import { z } from 'zod';
import { inputError } from '../errors.ts';
import { comparePositions, endedIn, type Position, type Snapshot } from '../ledger/feed.ts';
import { ledgerId } from '../stock/input.ts';

/**
 * Where a change-feed subscriber stands: the last position it was sent, and, for a feed that started
 * "now", the snapshot it started from, whose ended transactions it skips (they committed before it
 * subscribed). Only the part of the snapshot still ahead of the position is kept: once the position
 * passes the snapshot's xmax, nothing is skipped any more.
 */
export interface FeedCursor {
  position: Position;
  skip: Snapshot | null;
}

/**
 * A cursor's longest text. A snapshot lists the transactions running when the feed started, at most
 * one per server connection (max_connections: hundreds), about 20 characters each in base64.
 */
export const MAX_CURSOR_LENGTH = 65_536;
const CURSOR_VERSION = 1;

const wire = z
  .object({
    v: z.literal(CURSOR_VERSION),
    t: ledgerId,
    i: ledgerId,
    x: ledgerId.optional(),
    n: ledgerId.optional(),
    r: z
      .array(ledgerId)
      .max(MAX_CURSOR_LENGTH / 2)
      .optional(),
  })
  .strict()
  .refine((w) => (w.x === undefined) === (w.n === undefined) && (w.x !== undefined || w.r === undefined));

/** What a subscriber still skips after `position`: nothing once the position passed the snapshot. */
export function skipAfter(skip: Snapshot | null, position: Position): Snapshot | null {
  if (!skip || position.tx >= skip.xmax) return null;
  return { xmin: skip.xmin, xmax: skip.xmax, running: skip.running.filter((tx) => tx >= position.tx) };
}

/** Whether a subscriber at `cursor` is still to be sent the movement at `position`. */
export function isAhead(cursor: FeedCursor, position: Position): boolean {
  return comparePositions(position, cursor.position) > 0 && !(cursor.skip && endedIn(cursor.skip, position.tx));
}

/** The opaque text a client resumes with (base64url of a small JSON document). */
export function encodeCursor(cursor: FeedCursor): string {
  const skip = skipAfter(cursor.skip, cursor.position);
  const doc = {
    v: CURSOR_VERSION,
    t: cursor.position.tx.toString(),
    i: cursor.position.id.toString(),
    ...(skip ? { x: skip.xmax.toString(), n: skip.xmin.toString(), r: skip.running.map(String) } : {}),
  };
  return Buffer.from(JSON.stringify(doc)).toString('base64url');
}

/** A cursor from encodeCursor; anything else is INVALID_CURSOR, never an internal error. */
export function decodeCursor(text: string, field = 'after'): FeedCursor {
  const invalid = () => inputError('INVALID_CURSOR', `${field}: not a cursor of the stockMovements feed`, field);
  if (text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid();
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const parsed = wire.safeParse(doc);
  if (!parsed.success) throw invalid();
  const w = parsed.data;
  const position = { tx: w.t, id: w.i };
  const skip = w.x !== undefined && w.n !== undefined ? { xmin: w.n, xmax: w.x, running: w.r ?? [] } : null;
  return { position, skip };
}
