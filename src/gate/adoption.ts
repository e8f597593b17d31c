import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import type { ShardKeys } from './keys.ts';

/**
 * One gate shard's adoption of the Redis server that serves it (lua/adopt-3.lua): before anything is
 * taken or loaded there, so no counter of a history the ledger has moved past sells or is loaded into.
 * In a Redis Cluster the server is the master of the shard's slot: when another node serves it (its
 * master failed over), that one is adopted before the next take; the check and the take's routing read
 * the same slot table in one turn of the event loop. take.lua checks again where it runs (a command
 * ioredis sends again by itself after a failover, a node restarted at the same address), answering ADOPT.
 */
export class ShardAdoption {
  /** This connection's adoption of the server it talks to, since it last became ready. */
  private adoption: Promise<number> | null = null;
  /** In a Redis Cluster: the node that served the shard's slot when it was adopted. */
  private adoptedNode: string | null = null;
  private readonly slot: number;

  constructor(
    private readonly redis: Redis | Cluster,
    readonly shard: ShardKeys,
    /** Runs adopt-3.lua for this shard (through the gate's breaker); answers the generation in force. */
    private readonly adopt: (shard: ShardKeys) => Promise<number>,
  ) {
    this.slot = calculateSlot(shard.generation);
  }

  /** Resolves to the shard's generation once the server serving it is adopted. */
  adopted(): Promise<number> {
    const node = this.node();
    if (node !== this.adoptedNode) this.adoption = null;
    this.adoptedNode = node;
    this.adoption ??= this.adopt(this.shard).catch((err: unknown) => {
      this.adoption = null;
      throw err;
    });
    return this.adoption;
  }

  /** The server may be another one now (a reconnect, a failover, an ADOPT answer): adopt it again first. */
  forget(): void {
    this.adoption = null;
  }

  /** The node serving the shard's slot in a Redis Cluster (null for one server, or slots not known yet). */
  private node(): string | null {
    if (!('slots' in this.redis)) return null;
    return this.redis.slots[this.slot]?.[0] ?? null;
  }
}
