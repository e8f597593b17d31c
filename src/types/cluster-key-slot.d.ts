// cluster-key-slot (ioredis's own) ships no types: its one export, as its README documents it.
declare module 'cluster-key-slot' {
  /** The Redis Cluster slot of a key (CRC16 of its hash tag, or of the whole key, modulo 16384). */
  export default function calculateSlot(key: string | Buffer): number;
}
