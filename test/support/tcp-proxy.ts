import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * How a cut treats connections made while it lasts:
 * - refuse: reset at once (the client sees ECONNRESET, like a host that rejects it);
 * - blackhole: accepted and then never answered (the client's TCP connect succeeds, its commands get
 *   no reply: a partition where packets vanish). They are reset when the cut heals.
 * Connections open when the cut starts are destroyed either way.
 */
export type CutMode = 'refuse' | 'blackhole';

/**
 * A TCP proxy on a free loopback port in front of one loopback service (a test's own redis-server),
 * which a test can cut off and heal: a network partition between one client process and the service,
 * while other clients keep reaching it directly. Every byte is forwarded as is.
 */
export class TcpProxy {
  private mode: 'open' | CutMode = 'open';
  /** Forwarded connections, each with its upstream. */
  private readonly pairs = new Map<Socket, Socket>();
  /** Connections accepted during a blackhole cut, never answered. */
  private readonly held = new Set<Socket>();
  /** While set: replies to connections that sent a request containing it wait, in order, until releaseReplies(). */
  private holdMarker: Buffer | null = null;
  /** Replies waiting, per client connection. */
  private readonly heldReplies = new Map<Socket, Buffer[]>();
  /** Connections accepted, ever, and how many a cut refused or held: for a test to see the cut bit. */
  readonly counts = { accepted: 0, refused: 0, held: 0, destroyedByCut: 0 };

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly targetPort: number,
    readonly targetHost: string,
  ) {}

  /** Listens on 127.0.0.1, on a port the OS picks, and forwards to targetHost:targetPort. */
  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port, targetPort, targetHost);
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  /** The proxy's address as a URL of the given scheme, e.g. `redis://127.0.0.1:PORT`. */
  url(scheme: string): string {
    return `${scheme}://127.0.0.1:${this.port}`;
  }

  get isCut(): boolean {
    return this.mode !== 'open';
  }

  /** Cuts the link: destroys every open connection, and refuses or blackholes new ones until heal(). */
  cut(mode: CutMode = 'refuse'): void {
    this.mode = mode;
    for (const [client, upstream] of this.pairs) {
      this.counts.destroyedByCut++;
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Forwards again; connections held by a blackhole are reset, so their clients reconnect. */
  heal(): void {
    this.mode = 'open';
    for (const socket of this.held) socket.resetAndDestroy();
    this.held.clear();
  }

  /**
   * A service slow to answer some requests: from now on, what it sends to a connection that asked
   * something containing `marker` (a command's name) is held back until releaseReplies(). Other
   * connections (a subscription, say) are answered as ever.
   */
  holdReplies(marker: string): void {
    this.holdMarker = Buffer.from(marker);
  }

  /** Sends every reply held back, in order, and answers at once again. */
  releaseReplies(): void {
    this.holdMarker = null;
    for (const [client, replies] of this.heldReplies) for (const reply of replies) client.write(reply);
    this.heldReplies.clear();
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    this.cut('refuse');
    for (const socket of this.held) socket.destroy();
    this.held.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await closed;
  }

  private accept(client: Socket): void {
    this.counts.accepted++;
    client.on('error', () => {});
    if (this.mode === 'refuse') {
      this.counts.refused++;
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'blackhole') {
      this.counts.held++;
      client.pause();
      this.held.add(client);
      client.once('close', () => this.held.delete(client));
      return;
    }
    const upstream = connect({ port: this.targetPort, host: this.targetHost });
    upstream.on('error', () => {});
    this.pairs.set(client, upstream);
    const drop = () => {
      this.pairs.delete(client);
      this.heldReplies.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', drop);
    upstream.once('close', drop);
    client.pipe(upstream);
    let asked = false;
    client.on('data', (request: Buffer) => {
      if (this.holdMarker && request.includes(this.holdMarker)) asked = true;
    });
    upstream.on('data', (reply: Buffer) => {
      const held = this.heldReplies.get(client);
      if (held) held.push(reply);
      else if (asked && this.holdMarker) this.heldReplies.set(client, [reply]);
      else client.write(reply);
    });
  }
}
