-- Diagnostic: the statements the server sends to PostgreSQL for one POST /datafn/mutation insert with an
-- idempotency key (from PostgreSQL's log with log_statement=all): BEGIN + SET TRANSACTION ISOLATION LEVEL READ
-- COMMITTED (one round trip from the driver, one line here), the idempotency lookup, the insert, the idempotency
-- record, COMMIT. The payload and result texts are fixed samples of the same size, written with '#' for ':'
-- (pgbench would read ":name" inside a literal as a variable).
\set cat random(0, 9)
\set p random(0, 99)
\set day random(1, 28)
\set due 1767182400000 + :day * 86400000
\set mid random(1, 1000000000000)
BEGIN ISOLATION LEVEL READ COMMITTED;
select "payload", "result" from "datafn_idempotency" where ("ns" = 'datafn' and "client_id" = 'pgbench-' || :client_id and "mutation_id" = 'm' || :mid);
insert into "items" ("__ns", "id", "title", "category", "priority", "done", "dueAt") values ('datafn', 'item:' || gen_random_uuid(), 'Bench item', 'c' || :cat, cast(:p as double precision), false, cast(:due as bigint)) on conflict do nothing;
insert into "datafn_idempotency" ("ns", "client_id", "mutation_id", "payload", "result", "created_at") values ('datafn', 'pgbench-' || :client_id, 'm' || :mid, replace('{"operation"#"insert","record"#{"category"#"c1","done"#false,"dueAt"#"2026-01-05","priority"#5,"title"#"Bench item 1"},"resource"#"items"}', '#', chr(58)), cast(replace('{"affectedIds"#["item#d6b9c8a5-7230-4a15-a1a3-b7a83f441e52"],"deduped"#false,"errors"#[],"mutationId"#"m1","ok"#true}', '#', chr(58)) as jsonb), 1767268800000) on conflict do nothing;
COMMIT;
