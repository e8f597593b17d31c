-- gate_request is written once per accepted take (every cart of a batch) and read only by its key
-- (replays: src/stock/idempotency.ts) or in full (the replay filter's rebuild). Nothing looks rows up by
-- order or gate attempt (reconciliation rebuilds counters from the truth instead), so these two indexes
-- cost every take an index insertion each (measured: ~3 and ~1.7 µs of PostgreSQL CPU per cart of 33)
-- and answered no query.

-- DropIndex
DROP INDEX "gate_request_order_id_idx";

-- DropIndex
DROP INDEX "gate_request_gate_id_idx";
