-- A reserve's client key is unique per kind, and only a reserve has one: a deduct's row (every cart of
-- a hot SKU's stampede) has none, yet the full unique index took an entry for its NULL at every insert.
-- Partial, it holds client keys alone: the group commit's statement pays 7,400 fewer PostgreSQL
-- instructions per hot cart and 7,660 per 3-line cart (`npm run bench:ledger`, 200,550 -> 193,146 and
-- 471,268 -> 463,606). NULLs never conflicted, so the same rows are refused as before, and
-- `ON CONFLICT DO NOTHING` (src/ledger/group-commit.ts) still skips a duplicate client key. Prisma
-- cannot model the predicate (schema.prisma keeps @@unique([kind, clientKey])).
DROP INDEX "gate_request_kind_client_key_key";
CREATE UNIQUE INDEX "gate_request_kind_client_key_key" ON "gate_request"("kind", "client_key") WHERE "client_key" IS NOT NULL;
