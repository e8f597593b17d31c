/*
  Warnings:

  - A unique constraint covering the columns `[kind,client_key]` on the table `gate_request` will be added. If there are existing duplicate values, this will fail.

*/
-- AlterTable
ALTER TABLE "gate_request" ADD COLUMN     "client_key" VARCHAR(128);

-- AlterTable
ALTER TABLE "gate_outbox" ADD COLUMN     "delta_withheld" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "movement" ADD COLUMN     "delta_withheld" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "unlimited_quantity" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "sku" ADD COLUMN     "withheld" BIGINT NOT NULL DEFAULT 0,
ALTER COLUMN "available" SET DATA TYPE BIGINT,
ALTER COLUMN "reserved" SET DATA TYPE BIGINT,
ALTER COLUMN "sold" SET DATA TYPE BIGINT;

-- CreateIndex
CREATE UNIQUE INDEX "gate_request_kind_client_key_key" ON "gate_request"("kind", "client_key");

-- Backfill: units unlimited SKUs took without touching available, so settlements can tell them apart.
UPDATE "movement" SET "unlimited_quantity" = "quantity"
WHERE "kind" IN ('DEDUCT', 'RESERVE', 'RELEASE', 'EXPIRE', 'REFUND') AND "delta_available" = 0;
UPDATE "movement" c SET "unlimited_quantity" = c."quantity"
WHERE c."kind" = 'CONFIRM' AND EXISTS (
  SELECT 1 FROM "movement" r
  WHERE r."kind" = 'RESERVE' AND r."order_id" = c."order_id" AND r."sku_id" = c."sku_id" AND r."unlimited_quantity" > 0
);
