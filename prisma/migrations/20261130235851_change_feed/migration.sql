-- AlterTable
ALTER TABLE "movement" ADD COLUMN     "tx" BIGINT NOT NULL DEFAULT ((pg_current_xact_id())::text)::bigint;

-- AlterTable
ALTER TABLE "sku" ADD COLUMN     "reconciled_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "movement_tx_id_idx" ON "movement"("tx", "id");
