-- A ledger statement draws one id and numbers its movements from it (MOVEMENT_ID_BLOCK in
-- src/ledger/group-commit.ts), instead of one nextval a row and a sort to draw them in the lines' order.
-- Every draw now reserves a block of 32,768 ids; ids already given stay below the next draw. Nothing reads
-- ids as consecutive: the ledger's order is (tx, id), and Movement.id is opaque to clients.
ALTER SEQUENCE "movement_id_seq" INCREMENT BY 32768;
