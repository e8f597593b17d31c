/**
 * Every order of 0..n-1, the identity first: a batch's carts are answered as if taken one at a time in
 * their own order, unless some had to try again on their own (a counter to load), and then in another.
 */
export function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, at) => [...p.slice(0, n - 1 - at), n - 1, ...p.slice(n - 1 - at)]),
  );
}
