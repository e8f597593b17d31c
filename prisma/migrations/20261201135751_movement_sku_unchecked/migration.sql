-- DropForeignKey
ALTER TABLE "movement" DROP CONSTRAINT "movement_sku_id_fkey";
