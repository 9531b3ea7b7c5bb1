-- The raw-PostgreSQL baseline of a push of 100 inserts (bench/sync.sh): the same 100 rows of the push's table in one
-- 100-row INSERT ... SELECT per transaction, as issue 8 names it. No change rows and no idempotency records, which a
-- push also writes: a third of this rate is the protocol's roof.
BEGIN;
insert into "items" ("__ns", "id", "title", "priority", "done")
  select 'pgbench', 'item:' || gen_random_uuid(), 'Pushed item ' || g, g % 10, false from generate_series(1, 100) g;
COMMIT;
