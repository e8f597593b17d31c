-- Backorders sold under a higher backorder limit than today's and not yet filled (schema.prisma, Sku):
-- the floor is minus the larger of this and the limit, so lowering the limit below the backorders
-- already sold raises no OVERSOLD and fails no audit. 0 for every existing SKU: the history is not
-- known here, so a SKU whose limit was lowered before this migration is reported until they are filled.

-- AlterTable
ALTER TABLE "sku" ADD COLUMN     "owed_backorders" INTEGER NOT NULL DEFAULT 0;
