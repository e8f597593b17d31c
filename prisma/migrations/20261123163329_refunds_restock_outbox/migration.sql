-- CreateEnum
CREATE TYPE "OperationKind" AS ENUM ('REFUND', 'RESTOCK');

-- AlterTable
ALTER TABLE "sku" ADD COLUMN     "low_stock_threshold" INTEGER;

-- CreateTable
CREATE TABLE "operation" (
    "kind" "OperationKind" NOT NULL,
    "key" VARCHAR(128) NOT NULL,
    "order_id" VARCHAR(64),
    "fingerprint" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "operation_pkey" PRIMARY KEY ("kind","key")
);

-- CreateTable
CREATE TABLE "gate_sync" (
    "sku_id" VARCHAR(64) NOT NULL,
    "epoch" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "gate_sync_pkey" PRIMARY KEY ("sku_id")
);
