/** The Lua sources themselves: every script is found, defined as a command, expands its includes and documents its KEYS and replies. See ./harness.ts. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LUA_DIR, scriptSource } from '../../src/gate/scripts.ts';
import { redis, useLua } from './harness.ts';

useLua();

describe('script sources', () => {
  const files = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'));

  it('finds the ten gate scripts, the live one and the rate limit, and defines each as a command', () => {
    expect(files.sort()).toEqual([
      'adopt-3.lua',
      'announce-3.lua',
      'apply-2.lua',
      'invalidate-1.lua',
      'lock.lua',
      'rate-1.lua',
      'release.lua',
      'retire-1.lua',
      'seed.lua',
      'settle-2.lua',
      'take.lua',
      'unlock.lua',
    ]);
    for (const name of [
      'adopt',
      'announce',
      'apply',
      'take',
      'release',
      'settle',
      'seed',
      'invalidate',
      'retire',
      'lock',
      'unlock',
      'rate',
    ]) {
      expect(typeof (redis as unknown as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it.each(files)('%s expands its includes', (file) => {
    const raw = readFileSync(join(LUA_DIR, file), 'utf8');
    const source = scriptSource(file);
    expect(source).not.toMatch(/@include/);
    for (const [, name] of raw.matchAll(/^--- @include "([\w-]+)"$/gm)) {
      expect(source).toContain(readFileSync(join(LUA_DIR, 'includes', `${name}.lua`), 'utf8'));
    }
  });

  it('take and release share the TARGET table from includes/counters.lua', () => {
    for (const file of ['take.lua', 'release.lua']) {
      expect(readFileSync(join(LUA_DIR, file), 'utf8')).toContain('--- @include "counters"');
      expect(scriptSource(file)).toContain('local TARGET = { DEDUCT = "s", RESERVE = "r" }');
    }
  });

  it.each(files)('%s opens with a --[[ header documenting KEYS and Returns', (file) => {
    const raw = readFileSync(join(LUA_DIR, file), 'utf8');
    expect(raw.startsWith('--[[')).toBe(true);
    const header = raw.slice(0, raw.indexOf(']]'));
    expect(header).toMatch(/KEYS\[1\]/);
    expect(header).toMatch(/Returns/);
  });
});
