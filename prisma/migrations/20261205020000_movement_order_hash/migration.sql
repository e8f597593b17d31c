-- An order's movements are found by a hash of its id, not a B-tree of (order_id, id): every query by
-- order asks for one order id's movements and sums them (src/stock/orders.ts, src/stock/reservations.ts),
-- which needs neither the order ids' order nor the ids'. A hash index puts each ledger row's entry in its
-- bucket without descending a tree of strings. `npm run bench:ledger`: see CHANGELOG.md.
-- Built under a SHARE lock (ledger writes wait, reads go on) before the B-tree goes.
CREATE INDEX "movement_order_id_idx" ON "movement" USING HASH ("order_id");
DROP INDEX "movement_order_id_id_idx";
