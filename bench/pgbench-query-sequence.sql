-- Diagnostic: the statements the server sends to PostgreSQL for one POST /datafn/query (from PostgreSQL's log with
-- log_statement=all): BEGIN READ ONLY at the connection's REPEATABLE READ default, the select of
-- bench/pgbench-query.sql, COMMIT. The driver sends BEGIN in the same round trip as the select; pgbench needs one
-- round trip per line.
\set cat random(0, 9)
\set minp random(0, 90)
\set paged random(0, 1)
\if :paged = 0
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
select "t0"."id", "t0"."title", "t0"."category", "t0"."priority", "t0"."done", "t0"."dueAt", "t0"."priority" as "s0", "t0"."id" as "s1" from "items" as "t0" where ("t0"."__ns" = 'datafn' and "t0"."category" = 'c' || :cat and "t0"."priority" >= cast(:minp as double precision)) order by "t0"."priority" desc nulls first, "t0"."id" asc nulls last offset 0 rows fetch next 21 rows only;
COMMIT;
\else
\set p random(:minp + 5, 99)
\set idn random(1, 100000)
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
select "t0"."id", "t0"."title", "t0"."category", "t0"."priority", "t0"."done", "t0"."dueAt", "t0"."priority" as "s0", "t0"."id" as "s1" from "items" as "t0" where ("t0"."__ns" = 'datafn' and "t0"."category" = 'c' || :cat and "t0"."priority" >= cast(:minp as double precision) and ("t0"."priority" < cast(:p as double precision) or ("t0"."priority" = cast(:p as double precision) and ("t0"."id" > 'item:' || lpad(:idn::text, 6, '0') or "t0"."id" is null)))) order by "t0"."priority" desc nulls first, "t0"."id" asc nulls last offset 0 rows fetch next 21 rows only;
COMMIT;
\endif
