-- CreateEnum
CREATE TYPE "MovementKind" AS ENUM ('DEDUCT', 'RESERVE', 'CONFIRM', 'RELEASE', 'EXPIRE', 'REFUND', 'RESTOCK', 'ADJUST');

-- CreateTable
CREATE TABLE "sku" (
    "id" VARCHAR(64) NOT NULL,
    "name" VARCHAR(200),
    "available" INTEGER NOT NULL DEFAULT 0,
    "reserved" INTEGER NOT NULL DEFAULT 0,
    "sold" INTEGER NOT NULL DEFAULT 0,
    "unlimited" BOOLEAN NOT NULL DEFAULT false,
    "backorder_limit" INTEGER NOT NULL DEFAULT 0,
    "epoch" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sku_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "movement" (
    "id" BIGSERIAL NOT NULL,
    "kind" "MovementKind" NOT NULL,
    "sku_id" VARCHAR(64) NOT NULL,
    "quantity" INTEGER NOT NULL,
    "delta_available" INTEGER NOT NULL,
    "delta_reserved" INTEGER NOT NULL DEFAULT 0,
    "delta_sold" INTEGER NOT NULL DEFAULT 0,
    "order_id" VARCHAR(64),
    "order_line" INTEGER,
    "idempotency_key" VARCHAR(128),
    "merged" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "movement_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deduction" (
    "idempotency_key" VARCHAR(128) NOT NULL,
    "order_id" VARCHAR(64) NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "gate_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deduction_pkey" PRIMARY KEY ("idempotency_key")
);

-- CreateIndex
CREATE INDEX "movement_sku_id_id_idx" ON "movement"("sku_id", "id");

-- CreateIndex
CREATE INDEX "movement_order_id_id_idx" ON "movement"("order_id", "id");

-- CreateIndex
CREATE INDEX "movement_merged_sku_id_idx" ON "movement"("merged", "sku_id");

-- CreateIndex
CREATE INDEX "deduction_order_id_idx" ON "deduction"("order_id");

-- CreateIndex
CREATE INDEX "deduction_gate_id_idx" ON "deduction"("gate_id");

-- AddForeignKey
ALTER TABLE "movement" ADD CONSTRAINT "movement_sku_id_fkey" FOREIGN KEY ("sku_id") REFERENCES "sku"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
