-- AlterEnum
ALTER TYPE "MovementKind" ADD VALUE 'TRANSFER';

-- AlterEnum
ALTER TYPE "OperationKind" ADD VALUE 'TRANSFER';

-- AlterTable
ALTER TABLE "gate_outbox" ADD COLUMN     "location_id" VARCHAR(64) NOT NULL DEFAULT 'default';

-- AlterTable
ALTER TABLE "movement" ADD COLUMN     "location_id" VARCHAR(64) NOT NULL DEFAULT 'default';

-- CreateTable
CREATE TABLE "location" (
    "id" VARCHAR(64) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "location_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sku_location" (
    "sku_id" VARCHAR(64) NOT NULL,
    "location_id" VARCHAR(64) NOT NULL,
    "available" BIGINT NOT NULL DEFAULT 0,
    "reserved" BIGINT NOT NULL DEFAULT 0,
    "sold" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "sku_location_pkey" PRIMARY KEY ("sku_id","location_id")
);

-- AddForeignKey
ALTER TABLE "sku_location" ADD CONSTRAINT "sku_location_sku_id_fkey" FOREIGN KEY ("sku_id") REFERENCES "sku"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sku_location" ADD CONSTRAINT "sku_location_location_id_fkey" FOREIGN KEY ("location_id") REFERENCES "location"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The location every request that names none uses, holding all stock of deployments that never name another.
INSERT INTO "location" ("id", "name", "priority", "active") VALUES ('default', 'Default', 0, true);
