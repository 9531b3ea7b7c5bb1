#!/usr/bin/env bash
# Sync benchmark (issue 3): push of 30 000 mutations (PUSH_TOTAL) in batches of 100 (one namespace, many namespaces) beside
# pgbench inserting the same rows as 100-row INSERT ... SELECT transactions (bench/pgbench-push.sql), pull
# catch-up of 100 000 changes, clone of 1 000 000 rows; each against the standalone server on PostgreSQL, with the
# server's peak heap. Everything runs on 127.0.0.1 and stops by itself. Usage: bench/sync.sh
# (SERVER_JAR=path measures another build, e.g. an older one for before/after; BENCH_DB, PORT, OUT as named below;
# SCENARIOS=push runs the two push scenarios only; PROFILE=1 records OUT/server.jfr.) A push line is followed by the server's and PostgreSQL's CPU ms
# per mutation (bench/lib.sh measure_cpu).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DB=${BENCH_DB:-datafn_syncbench}
PORT=${PORT:-18901}
HEAP=${HEAP:-256m}
SECRET=bench-secret-bench-secret-bench-secret-0
URL=http://127.0.0.1:$PORT/datafn
OUT=${OUT:-bench/out/sync-$(date +%Y%m%d-%H%M%S)}
# shellcheck source=bench/lib.sh
. bench/lib.sh
mkdir -p "$OUT"

bench_pg_check
bench_jar
bench_pg_recreate "$DB" >/dev/null
bench_traps
# PROFILE=1: a JFR profile of the server (OUT/server.jfr)
[ "${PROFILE:-0}" = 1 ] && JFR_OPTS=(-XX:StartFlightRecording=filename="$OUT/server.jfr",settings=profile,dumponexit=true)
JAVA_OPTS="-Xmx$HEAP" bench_datafn server "$PORT" --schema bench/sync.schema.json \
  --db "$(bench_jdbc "$DB")" --db-pool 16 --max-pull-limit 1000 --auth jwt --jwt-secret "$SECRET"
SERVER=$STARTED_PID

# peak heap: the highest "used" that jcmd reports, sampled every 200 ms
peak_file="$OUT/heap.txt"; : > "$peak_file"
( while kill -0 $SERVER 2>/dev/null; do
    jcmd $SERVER GC.heap_info 2>/dev/null | awk '/garbage-first heap/ {gsub("[^0-9]","",$6); print $6}' >> "$peak_file"; sleep 0.2; done ) &
BENCH_PIDS+=("$!")
peak() { sort -n "$peak_file" | tail -1 | awk '{printf "%.0f MB", $1/1024}'; : > "$peak_file"; }

run() { echo "$*" >&2; java bench/SyncBench.java "$@" | tee -a "$OUT/results.txt"; }

# warm-up (JIT, pools), not reported: 5 000 pushes over 16 namespaces
java bench/SyncBench.java push "$URL" "$SECRET" 5000 100 8 16 warm > /dev/null; peak > /dev/null

# push_run <total> <namespaces> <run>: one push scenario in batches of 100 by 8 writers, with CPU ms per mutation
push_run() {
    local cpu
    echo "push $*" >&2
    cpu=$(measure_cpu "push-$3" "$SERVER" "$DB" java bench/SyncBench.java push "$URL" "$SECRET" "$1" 100 8 "$2" "$3")
    tee -a "$OUT/results.txt" < "$OUT/push-$3.txt"
    per_request "$cpu" "$1" | awk '{printf "  CPU per mutation: server %.3f ms, postgres %.3f ms (foreign %s%%, idle %s%%)\n", $1, $2, $4, $5}' \
        | tee -a "$OUT/results.txt"
}
push_run "${PUSH_TOTAL:-30000}" 1 a;  echo "  peak heap $(peak)" | tee -a "$OUT/results.txt"
push_run "${PUSH_TOTAL:-30000}" 16 b; echo "  peak heap $(peak)" | tee -a "$OUT/results.txt"

# the baseline in the same run: pgbench inserting the same rows into the same table as one 100-row INSERT ... SELECT
# per transaction, 8 clients as the 8 push writers (bench/pgbench-push.sql); then each push's ratio to it
PGBENCH=${PGBIN:-/usr/lib/postgresql/15/bin}/pgbench
[ -x "$PGBENCH" ] || PGBENCH=$(command -v pgbench || true)
if [ -n "$PGBENCH" ] && [ -x "$PGBENCH" ]; then
    echo "pgbench push baseline" >&2
    "$PGBENCH" -n -M prepared -c 8 -j 2 -T "${PGBENCH_SECONDS:-10}" -f bench/pgbench-push.sql "$DB" > "$OUT/pgbench-push.txt" 2>&1
    rows=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$OUT/pgbench-push.txt" | awk '{printf "%.0f", $1 * 100}')
    echo "pgbench: 100-row INSERT ... SELECT per transaction, 8 clients: $rows rows/s" | tee -a "$OUT/results.txt"
    awk -v base="$rows" '/^push:/ {for (i = 1; i <= NF; i++) if ($(i+1) == "mutations/s,") r = $i;
        ns = $0; sub(/.*writers, /, "", ns); sub(/\):.*/, ")", ns);
        printf "  push %s: %.0f %% of pgbench (target >= 25 %%)\n", ns, 100 * r / base}' "$OUT/results.txt" \
        | tee -a "$OUT/results.txt"
else
    echo "pgbench not found (set PGBIN): no push baseline" | tee -a "$OUT/results.txt"
fi
if [ "${SCENARIOS:-all}" = push ]; then
    echo "results in $OUT/results.txt"
    exit 0
fi
# 100 000 changes to catch up on (one namespace), then the pull
run push "$URL" "$SECRET" 100000 100 8 1 c > /dev/null; peak > /dev/null
run pull "$URL" "$SECRET" 1000 bench-user-0; echo "  peak heap $(peak)" | tee -a "$OUT/results.txt"

# clone: 1 000 000 rows written straight into the table of one user's namespace, then one clone streamed to /dev/null
"${PSQL[@]}" -d "$DB" -c "INSERT INTO items (\"__ns\", id, title, priority, done)
  SELECT 'user:clone', 'item:' || lpad(g::text, 8, '0'), 'Item number ' || g, g % 10, g % 2 = 0 FROM generate_series(1, 1000000) g"
TOKEN=$(java bench/SyncBench.java jwt "$SECRET" clone)
start=$(date +%s.%N)
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -X POST "$URL/clone" -d '{"tables":["items"]}'
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "clone: 1000000 rows in %.1f s\n", e - s }' | tee -a "$OUT/results.txt"
echo "  peak heap $(peak) (server -Xmx$HEAP)" | tee -a "$OUT/results.txt"
echo "results in $OUT/results.txt"
