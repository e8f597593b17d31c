/**
 * What one subscriber is sent: values pushed by Redis messages, pulled by the transport (graphql-ws or
 * SSE) through the async-iterator protocol.
 *
 * Not an async generator on purpose: a generator waiting for its next value cannot be ended until that
 * value comes, so a client leaving a quiet SKU would keep its listeners and timers. return() here ends
 * the stream at once, whatever it is waiting for.
 *
 * Values waiting for the consumer are keyed: pushing a key already waiting replaces its value in place
 * (the latest level of a SKU supersedes the one before it), so a slow consumer holds at most one value
 * per key.
 */
export class Stream<T> implements AsyncIterableIterator<T> {
  private readonly waiting = new Map<string, T>();
  private readonly pulls: ((result: IteratorResult<T>) => void)[] = [];
  private finished = false;

  /** `onEnd` runs once, when the consumer returns or the stream is ended. */
  constructor(private readonly onEnd: () => void) {}

  get ended(): boolean {
    return this.finished;
  }

  /** Values not yet pulled. */
  protected get backlog(): number {
    return this.waiting.size;
  }

  protected push(key: string, value: T): void {
    if (this.finished) return;
    const pull = this.pulls.shift();
    if (pull) {
      pull({ value, done: false });
      return;
    }
    this.waiting.set(key, value);
  }

  /** Drops the value waiting longest, to bound what a consumer that stopped reading holds. */
  protected dropOldest(): void {
    const oldest = this.waiting.keys().next();
    if (!oldest.done) this.waiting.delete(oldest.value);
  }

  next(): Promise<IteratorResult<T>> {
    const first = this.waiting.entries().next();
    if (!first.done) {
      const [key, value] = first.value;
      this.waiting.delete(key);
      return Promise.resolve({ value, done: false });
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.pulls.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<T>> {
    this.end();
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }

  /** Ends the stream now: pending pulls finish, waiting values are dropped, `onEnd` runs. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.waiting.clear();
    for (const pull of this.pulls.splice(0)) pull({ value: undefined, done: true });
    this.onEnd();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
