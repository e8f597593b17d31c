import { setTimeout as sleep } from 'node:timers/promises';

export interface Poll {
  /** How long it may take, in ms; by default 15 s, far above what a healthy stack needs. */
  within?: number;
  /** The pause between checks, in ms. */
  every?: number;
}

/** Checks until `check` holds; fails after `within` ms, naming `what`. Returns how long it took. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  { within = 15_000, every = 50 }: Poll = {},
): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > within) throw new Error(`not within ${within} ms: ${what}`);
    await sleep(every);
  }
  return Date.now() - started;
}
