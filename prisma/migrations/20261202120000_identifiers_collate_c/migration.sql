-- Identifiers (SKU, location and order ids, idempotency and client keys) compare byte by byte, in the
-- "C" collation, not through the database's locale: every index on them and every join between them
-- compared through strcoll() (a database in C.UTF-8 or en_US.UTF-8), which the group commit's
-- statement alone paid 6,400 instructions per hot cart and 26,400 per 3-line cart for (`npm run
-- bench:ledger`, the whole database in "C"). Every identifier column changes at once: a join between
-- a "C" column and one in the default collation compares in "C" and could not use the other's index.
-- Ids sort by their bytes (UTF-8: by code point, as C.UTF-8 already did); names and fingerprints keep
-- the database's collation. The indexes on these columns are rebuilt.

ALTER TABLE "sku" ALTER COLUMN "id" TYPE VARCHAR(64) COLLATE "C";
ALTER TABLE "location" ALTER COLUMN "id" TYPE VARCHAR(64) COLLATE "C";
ALTER TABLE "sku_location"
  ALTER COLUMN "sku_id" TYPE VARCHAR(64) COLLATE "C",
  ALTER COLUMN "location_id" TYPE VARCHAR(64) COLLATE "C";
ALTER TABLE "movement"
  ALTER COLUMN "sku_id" TYPE VARCHAR(64) COLLATE "C",
  ALTER COLUMN "order_id" TYPE VARCHAR(64) COLLATE "C",
  ALTER COLUMN "idempotency_key" TYPE VARCHAR(128) COLLATE "C",
  ALTER COLUMN "location_id" TYPE VARCHAR(64) COLLATE "C";
ALTER TABLE "gate_request"
  ALTER COLUMN "idempotency_key" TYPE VARCHAR(128) COLLATE "C",
  ALTER COLUMN "client_key" TYPE VARCHAR(128) COLLATE "C",
  ALTER COLUMN "order_id" TYPE VARCHAR(64) COLLATE "C";
ALTER TABLE "reservation" ALTER COLUMN "order_id" TYPE VARCHAR(64) COLLATE "C";
ALTER TABLE "operation"
  ALTER COLUMN "key" TYPE VARCHAR(128) COLLATE "C",
  ALTER COLUMN "order_id" TYPE VARCHAR(64) COLLATE "C";
ALTER TABLE "gate_outbox"
  ALTER COLUMN "sku_id" TYPE VARCHAR(64) COLLATE "C",
  ALTER COLUMN "location_id" TYPE VARCHAR(64) COLLATE "C";
ALTER TABLE "merge_retry" ALTER COLUMN "sku_id" TYPE VARCHAR(64) COLLATE "C";
ALTER TABLE "replay_filter_pending" ALTER COLUMN "idempotency_key" TYPE VARCHAR(128) COLLATE "C";
