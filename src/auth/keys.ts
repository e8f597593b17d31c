import assert from 'node:assert/strict';
import { createHash, timingSafeEqual } from 'node:crypto';

/** What a caller may do: each role includes the ones before it. */
export const ROLES = ['reader', 'checkout', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Caller {
  name: string;
  role: Role;
}

interface Key extends Caller {
  /** SHA-256 of the secret: secrets are compared as hashes, so a configured hash works like a secret. */
  digest: Buffer;
}

/** Keys in STOCKGATE_API_KEYS: an operator's list, never a user's; more is a configuration mistake. */
export const MAX_API_KEYS = 1_000;
/** Shorter secrets are guessable; longer bearer tokens are refused before hashing. */
export const MIN_SECRET_LENGTH = 16;
const MAX_SECRET_LENGTH = 512;
/** A SHA-256 digest's length: what every key's digest and every token's hash must be. */
const DIGEST_BYTES = 32;
const HASHED = /^sha256:([0-9a-f]{64})$/i;

export class ApiKeyError extends Error {}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * Parses `name:role:secret,…`. A secret written `sha256:<64 hex>` is the hash of the real secret, so
 * configuration never has to hold the secret itself. Errors name the entry, never the secret.
 */
export function parseApiKeys(spec: string | undefined): ApiKeys {
  const entries = (spec ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length > MAX_API_KEYS) throw new ApiKeyError(`STOCKGATE_API_KEYS: at most ${MAX_API_KEYS} keys`);
  const names = new Set<string>();
  const keys = entries.map((entry, i) => {
    const [name, role, ...rest] = entry.split(':');
    const secret = rest.join(':');
    const where = `STOCKGATE_API_KEYS entry ${i + 1}${name ? ` (${name})` : ''}`;
    if (!name || !role || !secret) throw new ApiKeyError(`${where}: expected name:role:secret`);
    if (!(ROLES as readonly string[]).includes(role)) throw new ApiKeyError(`${where}: role must be one of ${ROLES.join(', ')}`);
    if (names.has(name)) throw new ApiKeyError(`${where}: the name is used twice`);
    names.add(name);
    const hashed = HASHED.exec(secret);
    if (!hashed && secret.length < MIN_SECRET_LENGTH)
      throw new ApiKeyError(`${where}: a secret needs at least ${MIN_SECRET_LENGTH} characters`);
    return { name, role: role as Role, digest: hashed ? Buffer.from(hashed[1]!, 'hex') : sha256(secret) };
  });
  return new ApiKeys(keys);
}

export class ApiKeys {
  constructor(private readonly keys: Key[]) {
    // identify() compares with timingSafeEqual, which throws on buffers of different lengths: one key
    // with a digest of another shape would fail every request, so it fails here, at start, instead.
    for (const key of keys) assert.equal(key.digest.length, DIGEST_BYTES, `API key ${key.name}: a digest of ${DIGEST_BYTES} bytes`);
  }

  /** No keys configured: the service runs open (development only). */
  get open(): boolean {
    return this.keys.length === 0;
  }

  /**
   * The caller a bearer token belongs to, or null. Every configured key is compared, in constant
   * time, so the time taken says nothing about which key came close.
   */
  identify(token: string | null | undefined): Caller | null {
    if (!token || token.length > MAX_SECRET_LENGTH) return null;
    const digest = sha256(token);
    let found: Key | null = null;
    for (const key of this.keys) if (timingSafeEqual(key.digest, digest)) found = key;
    return found ? { name: found.name, role: found.role } : null;
  }
}

/** Whether a caller of `role` may act as `needed`. */
export function allows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** The token in an `Authorization: Bearer <token>` header (or graphql-ws connectionParams). */
export function bearer(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match ? match[1]! : null;
}
