#!/usr/bin/env bash
# DataFn server vs raw PostgreSQL (pgbench), side by side in one run. See BENCHMARKS.md.
#
#   bench/run.sh                      # 100 000 rows, 32 clients, 3 alternating 20 s runs per side (about 6 minutes)
#   DURATION=30 bench/run.sh          # longer scenarios
#
# Environment (all optional):
#   DURATION=20 WARMUP=15 CONNECTIONS=32 THREADS=2 ROWS=100000   load shape
#   ROUNDS=3     runs per side of each comparison, alternating; the report shows medians
#   SCENARIOS="query insert"   which comparisons to run (e.g. SCENARIOS=insert for the write path alone)
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres BENCH_DB=datafn_bench   (the database is dropped and re-created)
#   PORT=28471 DB_POOL=32 JAVA_OPTS="-Xms1g -Xmx1g"             our server
#   EXTRA=1      also run pgbench with bench/pgbench-*-sequence.sql, the statement sequence of an earlier server
#                version (before the change log); kept for reference, off by default
#   PROFILE=1    record a JFR profile of the server during the HTTP scenarios (OUT/server.jfr)
#   REBUILD=1    rebuild the jar even when it looks up to date
#   SERVER_JAR=path   measure this jar instead of building the worktree's (e.g. an older build, for before/after)
#   OUT=bench/out/<timestamp>   where logs and results go
#
# Everything targets 127.0.0.1 and stops by itself; the server started here is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

DURATION=${DURATION:-20}
WARMUP=${WARMUP:-15}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ROWS=${ROWS:-100000}
BENCH_DB=${BENCH_DB:-datafn_bench}
PORT=${PORT:-28471}
DB_POOL=${DB_POOL:-32}
JAVA_OPTS=${JAVA_OPTS:--Xms1g -Xmx1g}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
EXTRA=${EXTRA:-0}
ROUNDS=${ROUNDS:-3}
SCENARIOS=${SCENARIOS:-query insert}
PROFILE=${PROFILE:-0}
REBUILD=${REBUILD:-0}
OUT=${OUT:-bench/out/$(date +%Y%m%d-%H%M%S)}
BASE=http://127.0.0.1:$PORT/datafn
# shellcheck source=bench/lib.sh
. bench/lib.sh

# ------------------------------------------------------------------------------------------------------- tools
bench_need wrk
PGBENCH=$PGBIN/pgbench
[ -x "$PGBENCH" ] || PGBENCH=$(command -v pgbench || true)
[ -n "$PGBENCH" ] && [ -x "$PGBENCH" ] || die "pgbench not found (set PGBIN)"
for t in java curl awk sort; do command -v $t >/dev/null || die "$t not found"; done
bench_pg_check

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
say "results in $OUT"

# ------------------------------------------------------------------------------------------------------- build
bench_jar

# ------------------------------------------------------------------------------------------------------- machine
bench_machine "pgbench:    $("$PGBENCH" --version)" \
    "load:       $CONNECTIONS connections, $THREADS client threads, $ROUNDS x ${DURATION}s per side after ${WARMUP}s warm-up, $ROWS rows" \
    "server:     java $JAVA_OPTS -jar ${SERVER_JAR:-datafn-server/target/datafn-server.jar} --db-pool $DB_POOL --max-limit 100" \
    > "$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# ------------------------------------------------------------------------------------------------------- database
bench_pg_recreate "$BENCH_DB"

# ------------------------------------------------------------------------------------------------------- server
bench_traps
if [ "$PROFILE" = 1 ]; then
    JFR_OPTS=(-XX:StartFlightRecording=filename="$OUT/server.jfr",settings=profile,dumponexit=true)
fi
say "starting the server on 127.0.0.1:$PORT"
bench_datafn server "$PORT" --schema bench/bench.schema.json \
    --db "$(bench_jdbc "$BENCH_DB")" --db-pool "$DB_POOL" --max-limit 100
SERVER_PID=$STARTED_PID

# ------------------------------------------------------------------------------------------------------- data
# The server created the table "items" ("__ns", "id", one column per field; numbers double precision, dates bigint
# epoch ms) and its indexes at start-up. Rows go straight in with one INSERT ... SELECT.
say "loading $ROWS rows"
t0=$(date +%s.%N)
"${PSQL[@]}" -d "$BENCH_DB" <<SQL
SELECT setseed(0.42);
INSERT INTO items ("__ns", id, title, category, priority, done, "dueAt")
SELECT 'datafn', 'item:' || lpad(g::text, 6, '0'), 'Item number ' || g, 'c' || (g % 10),
       floor(random() * 100)::double precision, random() < 0.3,
       1735689600000 + floor(random() * 365 * 86400000)::bigint
FROM generate_series(1, $ROWS) g;
VACUUM ANALYZE items;
CHECKPOINT;
SQL
say "loaded in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
rows_now() { "${PSQL[@]}" -d "$BENCH_DB" -Atc 'select count(*) from items'; }
[ "$(rows_now)" = "$ROWS" ] || die "expected $ROWS rows"
check=$(curl -fs -X POST "$BASE/query" -H 'Content-Type: application/json' \
    -d '{"resource":"items","filters":{"category":"c3","priority":{"gte":50}},"sort":["-priority"],"limit":20}')
case "$check" in '{"ok":true'*'"nextCursor":{'*) ;; *) die "unexpected query answer: $check";; esac

# ------------------------------------------------------------------------------------------------------- measuring
# CPU per request and the wait for an idle machine: bench/lib.sh (measure_cpu, quiet, bench_wrk).
server_alive() {
    kill -0 "$SERVER_PID" 2>/dev/null && ! grep -q 'server stopping' "$OUT/server.log" \
        || { tail -5 "$OUT/server.log" >&2; die "the server stopped during $1 (a signal from outside this script?)"; }
}

# One output line per run: rate p50_ms p99_ms ok failed server_ms pg_ms gen_ms foreign% idle%
# (the *_ms columns are CPU milliseconds per request or transaction)
run_wrk() { # <name> <lua> <seconds>
    local r
    quiet
    r=$(bench_wrk "$1" "$SERVER_PID" "$BENCH_DB" "http://127.0.0.1:$PORT" "$2" "$3" "$CONNECTIONS")
    server_alive "$1"
    echo "$r"
}

run_pgbench() { # <name> <script> <seconds>; latency percentiles from a 10% sample of the transactions
    local name=$1 script=$2 secs=$3 cpu tps failed n
    rm -f "$OUT/$name".log*
    quiet
    cpu=$(measure_cpu "$name" "$SERVER_PID" "$BENCH_DB" "$PGBENCH" -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$secs" -f "$script" \
        -l --sampling-rate=0.1 --log-prefix="$OUT/$name.log" "$BENCH_DB")
    if grep -q '^EXIT' "$OUT/$name.txt"; then cat "$OUT/$name.txt" >&2; die "pgbench $name failed"; fi
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$OUT/$name.txt")
    n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$OUT/$name.txt")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$OUT/$name.txt")
    cat "$OUT/$name".log* | awk '{print $3 / 1000}' | sort -n > "$OUT/$name.lat"
    local cnt p50 p99
    cnt=$(wc -l < "$OUT/$name.lat")
    p50=$(awk -v n="$cnt" 'NR == int(n * 0.50) + 1 {printf "%.2f", $1; exit}' "$OUT/$name.lat")
    p99=$(awk -v n="$cnt" 'NR == int(n * 0.99) + 1 {printf "%.2f", $1; exit}' "$OUT/$name.lat")
    rm -f "$OUT/$name".log* "$OUT/$name.lat"
    echo "$tps ${p50:-?} ${p99:-?} ${n:-?} ${failed:-0} $(per_request "$cpu" "${n:-0}")"
}

bench_results_init

# Queries first, on exactly the rows loaded above; then inserts (which grow the table for both sides alike).
# Each comparison runs ROUNDS times, the two sides alternating, after a warm-up of each side; the report takes medians.
if [[ " $SCENARIOS " == *" query "* ]]; then
say "query warm-up (${WARMUP}s each side)"
run_wrk warmup-query bench/wrk-query.lua "$WARMUP" >/dev/null
run_pgbench warmup-pgbench-query bench/pgbench-query.sql "$WARMUP" >/dev/null
for r in $(seq 1 "$ROUNDS"); do
    say "query round $r/$ROUNDS: POST /datafn/query vs pgbench (${DURATION}s each)"
    bench_record query datafn "$r" "$(run_wrk "datafn-query-$r" bench/wrk-query.lua "$DURATION")"
    bench_record query pgbench "$r" "$(run_pgbench "pgbench-query-$r" bench/pgbench-query.sql "$DURATION")"
done
if [ "$EXTRA" = 1 ]; then
    bench_record query pgbench-server-sequence 1 "$(run_pgbench pgbench-query-sequence bench/pgbench-query-sequence.sql "$DURATION")"
fi
[ "$(rows_now)" = "$ROWS" ] || die "the query phase changed the row count"
fi


if [[ " $SCENARIOS " == *" insert "* ]]; then
say "insert warm-up (${WARMUP}s each side)"
run_wrk warmup-mutation bench/wrk-mutation.lua "$WARMUP" >/dev/null
run_pgbench warmup-pgbench-insert bench/pgbench-insert.sql "$WARMUP" >/dev/null
for r in $(seq 1 "$ROUNDS"); do
    say "insert round $r/$ROUNDS: POST /datafn/mutation vs pgbench (${DURATION}s each)"
    r0=$(rows_now)
    m=$(run_wrk "datafn-mutation-$r" bench/wrk-mutation.lua "$DURATION")
    landed=$(( $(rows_now) - r0 ))
    ok=$(awk '{print $4}' <<<"$m")
    # requests still in flight when wrk stops are not counted by wrk but do land (at most one per connection)
    if [ "$landed" -lt "$ok" ] || [ "$landed" -gt $((ok + CONNECTIONS)) ]; then
        say "WARNING: $ok successful mutations but $landed rows landed"
    fi
    bench_record insert datafn "$r" "$m"
    bench_record insert pgbench "$r" "$(run_pgbench "pgbench-insert-$r" bench/pgbench-insert.sql "$DURATION")"
done
if [ "$EXTRA" = 1 ]; then
    bench_record insert pgbench-server-sequence 1 "$(run_pgbench pgbench-insert-sequence bench/pgbench-insert-sequence.sql "$DURATION")"
fi
fi

# ------------------------------------------------------------------------------------------------------- report
awk -F'\t' -v conns="$CONNECTIONS" -v secs="$DURATION" -v rounds="$ROUNDS" '
'"$BENCH_AWK_RESULTS"'
END {
    printf "\n| Scenario (%d clients, %d s per run) | Side | Rate, median of runs (each run) | p50 ms | p99 ms | Ratio to pgbench | Target | CPU ms per request: server / PostgreSQL / load generator | Foreign / idle CPU %% |\n", conns, secs
    printf "|---|---|---|---:|---:|---:|---|---|---|\n"
    for (i = 1; i <= nk; i++) {
        k = order[i]; split(k, f, SUBSEP)
        rate = median(col[k, 4]); base = median(col[f[1] SUBSEP "pgbench", 4])
        ratio = (f[2] == "pgbench" || base == 0) ? "" : sprintf("%.0f%%", 100 * rate / base)
        target = ""
        if (f[2] == "datafn") {
            t = (f[1] == "query") ? 50 : 40
            target = sprintf("%s %d%%: %s", "\xe2\x89\xa5", t, (100 * rate / base >= t) ? "met" : "NOT met")
        }
        desc = (f[1] == "query") ? "filtered + sorted + paged query" : "single insert"
        printf "| %s | %s | **%.0f** (%s) | %.2f | %.2f | %s | %s | %.2f / %.2f / %.2f | %.0f / %.0f |\n", desc, f[2], rate, runs[k],
            median(col[k, 5]), median(col[k, 6]), ratio, target, median(col[k, 9]), median(col[k, 10]), median(col[k, 11]),
            median(col[k, 12]), median(col[k, 13])
    }
}' "$RESULTS" | tee "$OUT/results.md"
echo
echo "raw outputs, server log and machine details: $OUT"
