import type { Server, ServerResponse } from 'node:http';
import net from 'node:net';
import type { Logger } from 'pino';
import type { Live } from '../live/live.ts';
import type { WebSocketEndpoint } from '../live/websocket.ts';
import type { Connections } from './connect.ts';
import type { Workers } from './workers.ts';

/**
 * How long a shutdown lets HTTP requests under way finish before cutting their connections: a deduct
 * takes milliseconds, and one stuck on a stalled PostgreSQL fails at the 5 s statement timeout.
 */
export const HTTP_DRAIN_TIMEOUT_MS = 5_000;
/**
 * How long a shutdown may take in all before the process exits anyway, with code 1 (src/main.ts): the
 * HTTP drain plus writing what is queued for the ledger and closing connections. An orchestrator's
 * grace period (Kubernetes: 30 s) should be longer. Units a cut-off request took at the gate are
 * settled by reconciliation on another instance (README, "Failure model").
 */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/** What a shutdown stops, in the order it stops them. */
export interface ShutdownParts {
  live: Live;
  workers: Workers;
  connections: Connections;
  log: Logger;
}

/**
 * Graceful shutdown (README, "Shutdown"): stops accepting (GraphQL requests still arriving on open
 * connections are refused, retryable: use-drain.ts; /ready turns 503), ends subscriptions (graphql-ws:
 * 1001 Going Away), lets HTTP requests under way finish (at most HTTP_DRAIN_TIMEOUT_MS), stops the
 * workers, writes what is queued for the ledger, closes connections.
 */
export class Shutdown {
  /** True from the first close() on: the drain plugin and /ready read it. */
  draining = false;
  private readonly servers: Server[] = [];
  private readonly sockets: WebSocketEndpoint[] = [];
  private readonly requests = new InFlightRequests();
  private closing: Promise<void> | null = null;

  constructor(private readonly parts: ShutdownParts) {}

  /** A server to stop accepting on, with the graphql-ws endpoint it carries. */
  track(server: Server, socket: WebSocketEndpoint): void {
    this.servers.push(server);
    this.requests.track(server);
    this.sockets.push(socket);
  }

  /** Shuts down; calling it again waits for the first call. */
  close(): Promise<void> {
    this.closing ??= this.run();
    return this.closing;
  }

  private async run(): Promise<void> {
    const { live, workers, connections, log } = this.parts;
    this.draining = true;
    // No new connections. Open ones stay for now: a request arriving on one is answered (refused,
    // retryable) and every response closes its connection, rather than a client's request being
    // cut off in the race with closing an idle kept-alive socket (what http.Server.close() does).
    for (const server of this.servers) net.Server.prototype.close.call(server);
    // Subscriptions never finish by themselves: end them first (SSE responses complete, graphql-ws
    // sockets close with 1001), so the drain waits only for requests that do.
    live.endSubscriptions();
    await Promise.all(this.sockets.map((s) => s.close()));
    if (!(await this.requests.drained(HTTP_DRAIN_TIMEOUT_MS))) {
      log.warn({ requests: this.requests.count }, `requests still running after ${HTTP_DRAIN_TIMEOUT_MS} ms of shutdown; cutting them off`);
    }
    for (const server of this.servers) {
      server.closeAllConnections();
      server.close();
    }
    await workers.stop();
    // Requests are done; what they queued for the ledger is written before the pool closes.
    await connections.flush();
    // Announcements under way use the gate's Redis connection: they finish before it closes.
    await live.close();
    await connections.close();
  }
}

/** HTTP requests being served by the tracked servers, for the shutdown's drain. */
class InFlightRequests {
  count = 0;
  private readonly idle = new Set<() => void>();

  track(server: Server): void {
    server.on('request', (_req, res: ServerResponse) => {
      this.count++;
      // 'close' comes once the response is out or its connection is gone, whichever is first.
      res.once('close', () => {
        if (--this.count > 0) return;
        for (const done of this.idle) done();
        this.idle.clear();
      });
    });
  }

  /** Whether every request finished within `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idle.delete(done);
        resolve(false);
      }, timeoutMs);
      this.idle.add(done);
    });
  }
}
