/**
 * Backorders owed beyond the limit. A SKU sells down to minus its backorder limit; lowering the limit
 * (a preorder campaign ends) leaves the backorders already sold owed, not oversold. The SKU row keeps
 * them as owed_backorders (schema.prisma, Sku) until restocks and refunds fill them, and the floor its
 * truth must not fall below is minus the larger of the two: below that, units were sold that did not
 * exist (the merge's OVERSOLD, stockAudit's conserved).
 */

/** The lowest available that sales within the bounds can have left: minus the limit, or minus what is owed. */
export const backorderFloor = (backorderLimit: number, owedBackorders: number): number => -Math.max(backorderLimit, owedBackorders);

/**
 * What a SKU owes beyond `backorderLimit` at `available`, having been allowed down to `floorBefore`:
 * the backorders still unfilled (-available) that the earlier floor allowed, or 0 when the limit covers
 * them. Never more than the earlier floor allowed, so a sale past it stays oversold.
 */
export function owedBackorders(floorBefore: number, available: number, backorderLimit: number): number {
  const owed = Math.min(-floorBefore, Math.max(0, -available));
  return owed > backorderLimit ? owed : 0;
}
