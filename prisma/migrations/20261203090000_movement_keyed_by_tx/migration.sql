-- The ledger is keyed by (tx, id), the change feed's order, instead of by id: every reader scans it by
-- (tx, id) (the change feed, the merge, the replay filter's rebuild), by SKU or by order, and none looks
-- a movement up by its id alone, so the index by id cost every ledger row an insertion for nothing.
-- Ids stay unique (a sequence's). `npm run bench:ledger`: see the README's "What paid on 2026-12-03".
ALTER TABLE "movement" DROP CONSTRAINT "movement_pkey";
ALTER TABLE "movement" ADD CONSTRAINT "movement_pkey" PRIMARY KEY ("tx", "id");
DROP INDEX "movement_tx_id_idx";
