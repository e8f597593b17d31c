-- CreateEnum
CREATE TYPE "MovementKind" AS ENUM ('DEDUCT', 'RESERVE', 'CONFIRM', 'RELEASE', 'EXPIRE', 'REFUND', 'RESTOCK', 'ADJUST');

-- CreateEnum
CREATE TYPE "ReservationState" AS ENUM ('ACTIVE', 'CONFIRMED', 'RELEASED', 'EXPIRED');

-- CreateEnum
CREATE TYPE "OperationKind" AS ENUM ('REFUND', 'RESTOCK', 'CONFIRM', 'RELEASE');

-- CreateEnum
CREATE TYPE "GateAction" AS ENUM ('DROP', 'APPLY');

-- CreateTable
CREATE TABLE "sku" (
    "id" VARCHAR(64) NOT NULL,
    "name" VARCHAR(200),
    "available" INTEGER NOT NULL DEFAULT 0,
    "reserved" INTEGER NOT NULL DEFAULT 0,
    "sold" INTEGER NOT NULL DEFAULT 0,
    "unlimited" BOOLEAN NOT NULL DEFAULT false,
    "backorder_limit" INTEGER NOT NULL DEFAULT 0,
    "low_stock_threshold" INTEGER,
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
CREATE TABLE "gate_request" (
    "kind" "MovementKind" NOT NULL,
    "idempotency_key" VARCHAR(128) NOT NULL,
    "order_id" VARCHAR(64) NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "gate_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "gate_request_pkey" PRIMARY KEY ("kind","idempotency_key")
);

-- CreateTable
CREATE TABLE "reservation" (
    "order_id" VARCHAR(64) NOT NULL,
    "state" "ReservationState" NOT NULL DEFAULT 'ACTIVE',
    "deadline" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reservation_pkey" PRIMARY KEY ("order_id")
);

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
CREATE TABLE "gate_outbox" (
    "id" BIGSERIAL NOT NULL,
    "sku_id" VARCHAR(64) NOT NULL,
    "action" "GateAction" NOT NULL,
    "epoch" INTEGER NOT NULL,
    "delta_available" INTEGER NOT NULL DEFAULT 0,
    "delta_reserved" INTEGER NOT NULL DEFAULT 0,
    "delta_sold" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "gate_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "movement_sku_id_id_idx" ON "movement"("sku_id", "id");

-- CreateIndex
CREATE INDEX "movement_order_id_id_idx" ON "movement"("order_id", "id");

-- CreateIndex
CREATE INDEX "movement_merged_sku_id_idx" ON "movement"("merged", "sku_id");

-- CreateIndex
CREATE INDEX "gate_request_order_id_idx" ON "gate_request"("order_id");

-- CreateIndex
CREATE INDEX "gate_request_gate_id_idx" ON "gate_request"("gate_id");

-- CreateIndex
CREATE INDEX "reservation_state_deadline_idx" ON "reservation"("state", "deadline");

-- CreateIndex
CREATE INDEX "gate_outbox_created_at_idx" ON "gate_outbox"("created_at");

-- AddForeignKey
ALTER TABLE "movement" ADD CONSTRAINT "movement_sku_id_fkey" FOREIGN KEY ("sku_id") REFERENCES "sku"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
