-- AlterTable
ALTER TABLE "sku" ADD COLUMN     "throttle_per_second" INTEGER;
