import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { graphqlError, inputError, unavailable } from '../errors.ts';
import { parseInput, skuList } from '../stock/input.ts';
import type { Services } from '../stock/services.ts';
import { AlertStream } from './alerts.ts';
import { Coalescer, type TimerCount } from './coalesce.ts';
import { decodeCursor } from './feed-cursor.ts';
import { CursorAhead, MovementFeed, type FeedOptions, type MovementStream } from './feed.ts';
import { levelFromWire, LiveChannels, Publisher, type StockAlert, type StockLevel, type WireAlert } from './publish.ts';
import type { RedisClient, WireLevel } from '../gate/gate.ts';
import type { BelowFloor } from '../ledger/merge.ts';

/**
 * SKUs one subscription may watch: a ticker or a product page shows tens. Each costs the subscriber a
 * cool-down timer, and the instance a Redis channel subscription while anyone watches it.
 */
export const MAX_SKUS_PER_SUBSCRIPTION = 100;
/**
 * Subscriptions one instance serves at once: each holds a socket, listeners and timers, and every change
 * of a watched SKU is fanned out to each. Past this, clients should be spread over more instances.
 */
export const MAX_SUBSCRIPTIONS = 10_000;

const watchedSkus = skuList(MAX_SKUS_PER_SUBSCRIPTION, 'subscription');

/** Readings of every watched SKU after the subscriber connection is back, REFRESH_RETRY_MS apart. */
const REFRESH_ATTEMPTS = 10;
const REFRESH_RETRY_MS = 500;

/** How long a new subscription waits for Redis to take its SUBSCRIBE before answering unavailable. */
const LISTEN_WAIT_MS = 5_000;

/** How long closing waits for Redis to answer QUIT on the subscriber connection. */
const QUIT_WAIT_MS = 1_000;

/** Names the subscriber connection in Redis's CLIENT LIST, for whoever looks at a busy Redis. */
const SUBSCRIBER_CONNECTION_NAME = 'stockgate-live';

export interface LiveOptions {
  /** Opens a connection to the gate's Redis (src/app/redis.ts): the subscriber's own. */
  openRedis: (options: RedisOptions) => RedisClient;
  prefix: string;
  ratePerSecond: number;
  /** The change feed's limits (src/live/feed.ts), defaults there. */
  feed?: Pick<FeedOptions, 'maxQueued' | 'ring'>;
}

type Listener = (event: CustomEvent) => void;

/**
 * Live stock levels and alerts for this instance's subscribers.
 *
 * Changes go out through Redis pub/sub (lua/announce-3.lua publishes them), and every instance listens
 * on a connection of its own (a Redis connection that subscribes can send nothing else), through
 * Yoga's Redis event target: one Redis subscription per watched channel per instance, dropped with its
 * last listener. So a change made through any instance reaches subscribers on every instance.
 */
export class Live {
  readonly channels: LiveChannels;
  readonly publisher: Publisher;
  /** The change feed: every ledger movement in commit order, resumable (stockMovements). */
  readonly feed: MovementFeed;
  private listensForMovements = false;
  private readonly subscriber: RedisClient;
  private readonly publishClient: RedisClient;
  private readonly target: ReturnType<typeof createRedisEventTarget>;
  private readonly streams = new Set<{ end(): void }>();
  private readonly coalescers = new Set<Coalescer>();
  private readonly timerCount: TimerCount = { armed: 0 };
  private readonly intervalMs: number;
  private closed = false;

  constructor(
    options: LiveOptions,
    services: Pick<Services, 'gate' | 'prisma'>,
    private readonly log: Logger,
  ) {
    this.channels = new LiveChannels(options.prefix);
    this.publisher = new Publisher(services, this.channels, log);
    this.intervalMs = 1000 / options.ratePerSecond;
    this.subscriber = options.openRedis({ connectionName: SUBSCRIBER_CONNECTION_NAME });
    this.subscriber.on('error', (err: Error) => log.warn({ err: err.message }, 'live subscriber connection error'));
    // Messages published while the connection was down are lost: once it is back (ioredis subscribes
    // again by itself), every subscriber is brought up to date.
    let connectedBefore = false;
    this.subscriber.on('ready', () => {
      if (connectedBefore) void this.refresh();
      connectedBefore = true;
    });
    this.publishClient = services.gate.redis;
    this.target = createRedisEventTarget({ publishClient: this.publishClient, subscribeClient: guarded(this.subscriber, log) });
    this.feed = new MovementFeed(services.prisma, log, {
      ...options.feed,
      wakeAll: () => this.publishClient.publish(this.channels.movements, '1'),
    });
  }

  /** The Services hook: called after every committed change of levels (every movement changes some). */
  levelsChanged(skuIds: string[]): void {
    this.publisher.changed(skuIds);
    this.feed.committed();
  }

  /** Subscriptions being served. */
  get subscriptions(): number {
    return this.streams.size;
  }

  /** Cool-down timers armed for subscribers, ended ones included: zero when nobody is subscribed. */
  get timers(): number {
    return this.timerCount.armed;
  }

  /** First the current level of every SKU, then its changes, coalesced to the configured rate. */
  async levels(ids: string[]): Promise<AsyncIterableIterator<StockLevel>> {
    const skuIds = [...new Set(parseInput(watchedSkus, ids, 'skuIds'))];
    this.admit();
    const listener: Listener = (event) => coalescer.offer(levelFromWire(event.detail as WireLevel));
    const coalescer: Coalescer = new Coalescer(skuIds, this.intervalMs, this.timerCount, () => {
      for (const id of skuIds) this.target.removeEventListener(this.channels.levels(id), listener);
      this.streams.delete(coalescer);
      this.coalescers.delete(coalescer);
    });
    this.streams.add(coalescer);
    this.coalescers.add(coalescer);
    for (const id of skuIds) this.target.addEventListener(this.channels.levels(id), listener);
    try {
      // Listen first, then read: a change between the two is then heard, and the reading and the
      // change's announcement are ordered by their versions.
      await this.listening();
      const current = await this.current(skuIds);
      for (const level of current) coalescer.offer(level);
    } catch (err) {
      coalescer.end();
      throw err;
    }
    return coalescer;
  }

  /** Alerts of the given SKUs (of every SKU when null), as they happen. */
  async alerts(ids: string[] | null): Promise<AsyncIterableIterator<StockAlert>> {
    const skuIds = ids === null ? null : new Set(parseInput(watchedSkus, ids, 'skuIds'));
    this.admit();
    const listener: Listener = (event) => {
      const wire = event.detail as WireAlert;
      stream.offer({ kind: wire.kind, level: levelFromWire(wire.level) });
    };
    const stream: AlertStream = new AlertStream(skuIds, () => {
      this.target.removeEventListener(this.channels.alerts, listener);
      this.streams.delete(stream);
    });
    this.streams.add(stream);
    this.target.addEventListener(this.channels.alerts, listener);
    try {
      await this.listening();
    } catch (err) {
      stream.end();
      throw err;
    }
    return stream;
  }

  /** Alerts OVERSOLD for SKUs the merge worker found below their floor, to every instance's subscribers. */
  oversold(skus: BelowFloor[]): void {
    const now = Date.now();
    for (const sku of skus) {
      const level: WireLevel = {
        skuId: sku.skuId,
        available: sku.available,
        reserved: sku.reserved,
        sold: sku.sold,
        unlimited: false,
        state: 'SOLD_OUT',
        lowStockThreshold: '',
        version: String(now * 1000),
        changedAt: String(now),
      };
      const alert: WireAlert = { kind: 'OVERSOLD', level };
      this.publishClient.publish(this.channels.alerts, JSON.stringify(alert)).catch((err: unknown) => {
        this.log.warn({ err, skuId: sku.skuId }, 'could not publish an OVERSOLD alert');
      });
    }
  }

  /**
   * Every movement of the given SKUs (of every SKU when null) after the cursor `after` (after now when
   * null), then as they commit. Needs no Redis: the ledger is read; Redis only wakes the reading sooner.
   */
  async movements(ids: string[] | null, after: string | null): Promise<MovementStream> {
    const skuIds = ids === null ? null : [...new Set(parseInput(watchedSkus, ids, 'skuIds'))];
    const cursor = after === null ? null : decodeCursor(after);
    this.admit();
    if (!this.listensForMovements) {
      this.listensForMovements = true;
      this.target.addEventListener(this.channels.movements, () => this.feed.wake());
    }
    let stream: MovementStream | null = null;
    const ended = { end: () => stream?.end() };
    this.streams.add(ended);
    try {
      stream = await this.feed.subscribe(skuIds, cursor, () => this.streams.delete(ended));
    } catch (err) {
      this.streams.delete(ended);
      if (err instanceof CursorAhead) throw inputError('INVALID_CURSOR', 'after: ahead of every position of this ledger', 'after');
      this.log.warn({ err }, 'could not start a change feed');
      throw unavailable('the ledger cannot be read', 'subscription');
    }
    // Shut down while it started: the stream ends at once.
    if (this.closed) stream.end();
    return stream;
  }

  /**
   * Ends every subscription and refuses new ones (the first step of a shutdown: SSE responses end, so
   * the HTTP drain need not wait for them). Announcements still go out until close().
   */
  endSubscriptions(): void {
    this.closed = true;
    for (const stream of [...this.streams]) stream.end();
  }

  /** Ends every subscription, waits for announcements under way, and closes the subscriber connection. */
  async close(): Promise<void> {
    this.endSubscriptions();
    this.feed.close();
    await this.publisher.close();
    // QUIT is answered after the UNSUBSCRIBEs the ended streams queued before it; a Redis that does not
    // answer is not waited for.
    const gaveUp = new AbortController();
    await Promise.race([this.subscriber.quit().catch(() => {}), sleep(QUIT_WAIT_MS, undefined, { signal: gaveUp.signal }).catch(() => {})]);
    gaveUp.abort();
    this.subscriber.disconnect();
  }

  private admit(): void {
    if (this.closed) throw unavailable('the server is shutting down', 'subscription');
    if (this.streams.size >= MAX_SUBSCRIPTIONS) {
      throw graphqlError('TOO_MANY_SUBSCRIPTIONS', `this server already serves ${MAX_SUBSCRIPTIONS} subscriptions; retry later`);
    }
  }

  /**
   * Resolves once Redis has taken every SUBSCRIBE sent so far: the event target sends them without
   * waiting, and a connection answers in order, so a PING sent after them is answered after them.
   */
  private async listening(): Promise<void> {
    const gaveUp = new AbortController();
    try {
      // The subscriber connection keeps commands while it reconnects, so a short outage only delays
      // a new subscription; a long one is answered rather than waited out.
      await Promise.race([
        this.subscriber.ping(),
        sleep(LISTEN_WAIT_MS, undefined, { signal: gaveUp.signal }).then(() => {
          throw new Error(`no answer from Redis in ${LISTEN_WAIT_MS} ms`);
        }),
      ]);
    } catch (err) {
      this.log.warn({ err }, 'live subscriber connection not answering');
      throw unavailable('live levels cannot reach Redis', 'subscription');
    } finally {
      gaveUp.abort();
    }
  }

  private async current(skuIds: string[]): Promise<StockLevel[]> {
    let levels: (StockLevel | null)[];
    try {
      levels = await this.publisher.peek(skuIds);
    } catch (err) {
      this.log.warn({ err }, 'could not read the levels for a new subscription');
      throw unavailable('stock levels cannot be read', 'subscription');
    }
    // Read by position: a reply of another length would send subscribers another SKU's level.
    assert.equal(levels.length, skuIds.length, 'one reading per SKU asked for');
    const unknown = skuIds.filter((_, i) => levels[i] === null);
    if (unknown.length > 0) throw graphqlError('UNKNOWN_SKU', `unknown SKUs: ${unknown.join(', ')}`, { skuIds: unknown });
    return levels as StockLevel[];
  }

  /**
   * Offers every subscriber the current level of its SKUs again, each watched SKU read once. The
   * command connection may come back later than this one, so a failed reading is tried again a few
   * times.
   */
  private async refresh(): Promise<void> {
    // ioredis subscribes again right after announcing 'ready': read only once those are taken, or a
    // change in between would be missed again.
    await new Promise((resolve) => setImmediate(resolve));
    for (let attempt = 1; attempt <= REFRESH_ATTEMPTS && !this.closed; attempt++) {
      const watchers = new Map<string, Coalescer[]>();
      for (const coalescer of this.coalescers) {
        for (const id of coalescer.skuIds) {
          const list = watchers.get(id);
          if (list) list.push(coalescer);
          else watchers.set(id, [coalescer]);
        }
      }
      const ids = [...watchers.keys()];
      try {
        await this.listening();
        // In slices, so a reconnect with many watched SKUs does not queue them all on Redis at once.
        for (let i = 0; i < ids.length; i += MAX_SKUS_PER_SUBSCRIPTION) {
          for (const level of await this.publisher.peek(ids.slice(i, i + MAX_SKUS_PER_SUBSCRIPTION))) {
            if (level) for (const coalescer of watchers.get(level.skuId)!) coalescer.offer(level);
          }
        }
        return;
      } catch (err) {
        if (attempt === REFRESH_ATTEMPTS) this.log.warn({ err }, 'could not refresh live levels after a reconnect; the next change will');
        else await sleep(REFRESH_RETRY_MS);
      }
    }
  }
}

/**
 * The event target fires SUBSCRIBE and UNSUBSCRIBE without waiting for them. A failed one (Redis away)
 * would be an unhandled rejection, which ends the process; here it is logged instead, and ioredis
 * subscribes again to what it holds once it reconnects.
 */
function guarded(subscriber: RedisClient, log: Logger): RedisClient {
  return new Proxy(subscriber, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop === 'subscribe' || prop === 'unsubscribe') {
        const command = value as (...channels: string[]) => Promise<unknown>;
        return (...channels: string[]) =>
          command.apply(target, channels).catch((err: unknown) => log.warn({ err, channels }, `live ${prop} failed`));
      }
      return typeof value === 'function' ? (value.bind(target) as unknown) : value;
    },
  });
}
