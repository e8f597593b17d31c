-- A take's stored answer is written once by the group commit and read back whole by a replay, never
-- searched: as json (its text, checked) rather than jsonb (a parsed tree, keys sorted) PostgreSQL no
-- longer builds a tree for every cart. The group commit sends the answers as their own json parameter
-- (src/ledger/group-commit.ts): `npm run bench:ledger` 184,176 -> 176,990 PostgreSQL instructions per
-- hot cart, 442,027 -> 419,877 per 3-line cart.
ALTER TABLE "gate_request" ALTER COLUMN "result" SET DATA TYPE JSON;
