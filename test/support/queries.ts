/**
 * Runs `run` while counting the statements a Prisma client sends through `$queryRawUnsafe` whose text
 * matches `pattern` (each still goes to PostgreSQL), on the client itself: its transactions' are not
 * counted (the background workers read inside transactions: loads, merges). The count wraps the client's own method and calls it
 * on whatever `this` its caller has: a transaction client's calls stay in their transaction (a copy bound
 * to the client ran them outside it, and the tests after one that counted failed).
 */
export async function countingQueries<T>(prisma: object, pattern: RegExp, run: () => Promise<T>): Promise<{ result: T; count: number }> {
  type Query = (...args: unknown[]) => unknown;
  const client = prisma as { $queryRawUnsafe: Query };
  const original = client.$queryRawUnsafe;
  let count = 0;
  client.$queryRawUnsafe = function (this: unknown, ...args: unknown[]) {
    if (this === client && pattern.test(String(args[0]))) count++;
    return original.apply(this, args);
  };
  try {
    const result = await run();
    return { result, count };
  } finally {
    // Put back as it was read: unbound, so a transaction client still calls it as its own. (Prisma's
    // client is a proxy that keeps a property once set: deleting it would leave it undefined.)
    client.$queryRawUnsafe = original;
  }
}
