-- One row, equivalent to bench/wrk-mutation.lua's record (id item:<uuid> as the server generates), in its own
-- transaction. This is the raw-PostgreSQL baseline: no idempotency record.
\set cat random(0, 9)
\set p random(0, 99)
\set day random(1, 28)
\set due 1767182400000 + :day * 86400000
BEGIN;
insert into "items" ("__ns", "id", "title", "category", "priority", "done", "dueAt") values ('datafn', 'item:' || gen_random_uuid(), 'Bench item', 'c' || :cat, cast(:p as double precision), false, cast(:due as bigint));
COMMIT;
