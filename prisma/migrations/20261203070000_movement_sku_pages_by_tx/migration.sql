-- `movements(skuId)` pages a SKU's ledger in the change feed's order, (tx, id), on the index the truth
-- reads keep (movement_sku_id_tx_id_idx): the index by (sku_id, id) served nothing else, and cost every
-- ledger row an insertion (`npm run bench:ledger`: 177,030 -> 165,017 PostgreSQL instructions per hot
-- cart, 420,063 -> 385,429 per 3-line cart without it).
DROP INDEX "movement_sku_id_id_idx";
