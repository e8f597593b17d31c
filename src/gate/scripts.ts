import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis, Result } from 'ioredis';

/** lua/ at the top of the project: one file per command, shared snippets in lua/includes/. */
export const LUA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lua');

const INCLUDE = /^--- @include "([\w-]+)"$/gm;

/** A script's source with its `--- @include "name"` lines replaced by lua/includes/name.lua (BullMQ's layout). */
export function scriptSource(file: string): string {
  const raw = readFileSync(join(LUA_DIR, file), 'utf8');
  return raw.replace(INCLUDE, (_, name: string) => readFileSync(join(LUA_DIR, 'includes', `${name}.lua`), 'utf8'));
}

/**
 * The gate's commands as ioredis methods. A file named `name-N.lua` takes exactly N keys; a plain
 * `name.lua` takes a variable number, passed first. Only the Gate (src/gate/gate.ts) calls them, and
 * tests of the scripts themselves: it builds their KEYS/ARGV and decodes their replies (replies.ts).
 */
declare module 'ioredis' {
  interface RedisCommander<Context> {
    take(numKeys: number, ...keysAndArgs: (string | number)[]): Result<unknown[], Context>;
    release(numKeys: number, ...keysAndArgs: (string | number)[]): Result<number, Context>;
    settle(inflight: string, payloads: string, ...gateIds: string[]): Result<number, Context>;
    seed(numKeys: number, ...keysAndArgs: (string | number)[]): Result<number[], Context>;
    adopt(origin: string, generation: string, filter: string): Result<number, Context>;
    invalidate(key: string, epoch: number): Result<number, Context>;
    retire(earlierFilter: string, idleSeconds: number): Result<number, Context>;
    apply(key: string, marker: string, ...args: (string | number)[]): Result<number, Context>;
    lock(numKeys: number, ...keysAndArgs: (string | number)[]): Result<number[], Context>;
    unlock(numKeys: number, ...keysAndArgs: string[]): Result<number[], Context>;
    rate(key: string, limit: number, periodMs: number, now: number): Result<number, Context>;
    announce(counter: string, live: string, generation: string, ...args: string[]): Result<(string | number)[], Context>;
  }
}

/** Loads every script once (ioredis sends EVALSHA and falls back to EVAL after a Redis restart). */
export function defineGateCommands(redis: Redis | Cluster): void {
  for (const file of readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'))) {
    const match = /^([a-z]+)(?:-(\d+))?\.lua$/.exec(basename(file));
    if (!match?.[1]) throw new Error(`lua/${file}: expected name.lua or name-N.lua`);
    const numberOfKeys = match[2] === undefined ? undefined : Number(match[2]);
    redis.defineCommand(match[1], { lua: scriptSource(file), ...(numberOfKeys === undefined ? {} : { numberOfKeys }) });
  }
}
