import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';

/** How long a test waits for something a subscriber should see; far above any healthy delay. */
export const SEE_WITHIN_MS = 10_000;

export interface Received<T> {
  value: T;
  at: number;
}

/** What one subscriber received, as it arrives. */
export class Feed<T = any> {
  readonly received: Received<T>[] = [];
  readonly errors: unknown[] = [];
  completed = false;
  private wake: (() => void) | null = null;

  constructor(readonly close: () => Promise<void> | void) {}

  get values(): T[] {
    return this.received.map((r) => r.value);
  }

  get last(): T | undefined {
    return this.received.at(-1)?.value;
  }

  add(value: T): void {
    this.received.push({ value, at: Date.now() });
    this.notify();
  }

  fail(err: unknown): void {
    this.errors.push(err);
    this.notify();
  }

  end(): void {
    this.completed = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Resolves when `done` holds for what was received; fails after `ms`, saying what it waited for. */
  async until(done: (values: T[]) => boolean, what: string, ms = SEE_WITHIN_MS): Promise<T[]> {
    const deadline = Date.now() + ms;
    while (!done(this.values)) {
      if (this.errors.length > 0) throw new Error(`while waiting for ${what}: ${JSON.stringify(this.errors)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`did not see ${what} within ${ms} ms; got ${JSON.stringify(this.values.slice(-5))}`);
      await Promise.race([new Promise<void>((r) => (this.wake = r)), sleep(Math.min(left, 100))]);
    }
    return this.values;
  }
}

/** A graphql-ws client of a server's GraphQL URL: no retries, connecting at its first operation unless `options` say otherwise. */
export function wsClient(httpUrl: string, options: Partial<ClientOptions> = {}): Client {
  return createClient({ url: httpUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, ...options });
}

/** Subscribes over graphql-ws; close() completes the operation (the socket stays for the client's other operations). */
export function overWs<T = any>(client: Client, query: string, variables: Record<string, unknown>, field: string): Feed<T> {
  let stop = () => {};
  const feed: Feed<T> = new Feed<T>(() => stop());
  stop = client.subscribe<Record<string, T>>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) feed.fail(result.errors);
        else if (result.data) feed.add(result.data[field]!);
      },
      error: (err) => feed.fail(err instanceof Error ? err.message : err),
      complete: () => feed.end(),
    },
  );
  return feed;
}

/** Subscribes over Yoga's GraphQL-over-SSE (distinct connections); close() aborts the request. */
export function overSse<T = any>(httpUrl: string, query: string, variables: Record<string, unknown>, field: string): Feed<T> {
  const abort = new AbortController();
  const feed = new Feed<T>(() => abort.abort());
  void (async () => {
    try {
      const res = await fetch(httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query, variables }),
        signal: abort.signal,
      });
      if (!res.ok || !res.body) throw new Error(`SSE answered ${res.status}`);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(message)?.[1];
          const data = message
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (event === 'complete') feed.end();
          else if (event === 'next' || (event === undefined && data)) {
            const result = JSON.parse(data) as { data?: Record<string, T>; errors?: unknown[] };
            if (result.errors) feed.fail(result.errors);
            else if (result.data) feed.add(result.data[field]!);
          }
        }
      }
      feed.end();
    } catch (err) {
      if (!abort.signal.aborted) feed.fail(err instanceof Error ? err.message : err);
    }
  })();
  return feed;
}
