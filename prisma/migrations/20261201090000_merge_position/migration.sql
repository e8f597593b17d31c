-- Merge positions replace the per-movement `merged` flag (src/ledger/merge.ts): a SKU's movements up to
-- its row's (merged_through_tx, merged_through_id) are folded into the row, those after it are not, and
-- the merge worker scans the ledger from `merge_position` in the change feed's order. The merge then
-- writes no movement row: before, it rewrote every one (and each of its indexes) to set the flag.
-- Stop every instance before this migration: older code reads and writes the flag.

-- CreateTable
CREATE TABLE "merge_position" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "tx" BIGINT NOT NULL,
    "movement_id" BIGINT NOT NULL,

    CONSTRAINT "merge_position_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "merge_retry" (
    "sku_id" VARCHAR(64) NOT NULL,
    "retry_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "merge_retry_pkey" PRIMARY KEY ("sku_id")
);

-- AlterTable
ALTER TABLE "sku" ADD COLUMN     "merged_through_id" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "merged_through_tx" BIGINT NOT NULL DEFAULT 0;

-- No merger runs meanwhile (the merge worker's lock, held to the end of this script's transaction).
SELECT pg_advisory_xact_lock(1460259454);

-- Everything written by transactions below the horizon (all ended) counts as merged from here on; a
-- transaction at or above it may still write, and its rows count as unmerged.
INSERT INTO "merge_position" ("id", "tx", "movement_id")
SELECT 1, pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1, 9223372036854775807;

-- So fold what is below it and not yet merged, and unfold what is above it and already merged.
WITH p AS (SELECT "tx" FROM "merge_position"), d AS (
  SELECT m.sku_id, sum(CASE WHEN m.tx <= p.tx THEN 1 ELSE -1 END * m.delta_available) AS a,
         sum(CASE WHEN m.tx <= p.tx THEN 1 ELSE -1 END * m.delta_reserved) AS r,
         sum(CASE WHEN m.tx <= p.tx THEN 1 ELSE -1 END * m.delta_sold) AS s,
         sum(CASE WHEN m.tx <= p.tx THEN 1 ELSE -1 END * m.delta_withheld) AS w
  FROM "movement" m, p WHERE (m.tx <= p.tx AND NOT m.merged) OR (m.tx > p.tx AND m.merged) GROUP BY m.sku_id
)
UPDATE "sku" s SET available = s.available + d.a, reserved = s.reserved + d.r, sold = s.sold + d.s, withheld = s.withheld + d.w
FROM d WHERE s.id = d.sku_id;

WITH p AS (SELECT "tx" FROM "merge_position")
INSERT INTO "sku_location" AS l (sku_id, location_id, available, reserved, sold)
SELECT m.sku_id, m.location_id, sum(CASE WHEN m.tx <= p.tx THEN 1 ELSE -1 END * m.delta_available),
       sum(CASE WHEN m.tx <= p.tx THEN 1 ELSE -1 END * m.delta_reserved), sum(CASE WHEN m.tx <= p.tx THEN 1 ELSE -1 END * m.delta_sold)
FROM "movement" m, p
WHERE m.location_id <> 'default' AND ((m.tx <= p.tx AND NOT m.merged) OR (m.tx > p.tx AND m.merged))
GROUP BY m.sku_id, m.location_id
ON CONFLICT (sku_id, location_id) DO UPDATE
  SET available = l.available + EXCLUDED.available, reserved = l.reserved + EXCLUDED.reserved, sold = l.sold + EXCLUDED.sold;

UPDATE "sku" SET "merged_through_tx" = (SELECT "tx" FROM "merge_position"), "merged_through_id" = 9223372036854775807;

-- DropIndex
DROP INDEX "movement_merged_sku_id_idx";

-- AlterTable
ALTER TABLE "movement" DROP COLUMN "merged";

-- CreateIndex
CREATE INDEX "movement_sku_id_tx_id_idx" ON "movement"("sku_id", "tx", "id");
