-- A take's answer is stored as text (`answer`), as JSON.stringify wrote it, not as json: PostgreSQL no
-- longer lexes every cart's answer to check what the service itself wrote, and a replay reads it back
-- whole as before. `npm run bench:ledger`: 151,500 -> 144,800 PostgreSQL instructions a hot cart,
-- 348,000 -> 333,200 a 3-line cart.
-- Changing `result`'s type would rewrite every row under the table's exclusive lock, stopping every take
-- meanwhile; a new column and a dropped NOT NULL change only the catalog. Rows written before this keep
-- their answer in `result` (answer null), rows written after it in `answer` (result null): a reader
-- takes whichever is there (src/stock/idempotency.ts). No CHECK constraint holds a row to one of the
-- two: Prisma's schema engine cannot diff a schema that has one (`npm run db:check` panics).
ALTER TABLE "gate_request" ADD COLUMN "answer" TEXT;
ALTER TABLE "gate_request" ALTER COLUMN "result" DROP NOT NULL;
