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
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
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
JAR=${SERVER_JAR:-datafn-server/target/datafn-server.jar}
BASE=http://127.0.0.1:$PORT/datafn

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

case "$PGHOST" in 127.0.0.1|localhost|::1) ;; *) die "PGHOST must be loopback (got $PGHOST)";; esac
case "$BENCH_DB" in test|postgres|template0|template1) die "refusing to drop database '$BENCH_DB'; pick a dedicated one";; esac
[[ "$BENCH_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB must be a plain lower-case identifier"

export PGHOST PGPORT PGUSER
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

# ------------------------------------------------------------------------------------------------------- tools
if ! command -v wrk >/dev/null; then
    say "installing wrk"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi
PGBENCH=$PGBIN/pgbench
[ -x "$PGBENCH" ] || PGBENCH=$(command -v pgbench || true)
[ -n "$PGBENCH" ] && [ -x "$PGBENCH" ] || die "pgbench not found (set PGBIN)"
for t in psql java curl awk sort; do command -v $t >/dev/null || die "$t not found"; done
"${PSQL[@]}" -d postgres -c 'select 1' >/dev/null || die "cannot reach PostgreSQL at $PGHOST:$PGPORT as $PGUSER"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
say "results in $OUT"

# ------------------------------------------------------------------------------------------------------- build
if [ -n "${SERVER_JAR:-}" ]; then
    [ -f "$JAR" ] || die "SERVER_JAR $JAR not found"
elif [ "$REBUILD" = 1 ] || [ ! -f "$JAR" ] || \
   [ -n "$(find pom.xml datafn-*/pom.xml datafn-*/src/main -newer "$JAR" -print -quit 2>/dev/null)" ]; then
    say "building $JAR"
    # a package over an existing shaded jar can keep its old classes (the jar is not rebuilt, then shaded again)
    rm -f "$JAR" datafn-server/target/original-datafn-server.jar
    ./mvnw -q -DskipTests package -pl datafn-server -am
fi

# ------------------------------------------------------------------------------------------------------- machine
{
    echo "date:       $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit:     $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo ' (+ local changes)')"
    echo "cpu:        $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "memory:     $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "os:         $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "java:       $(java -version 2>&1 | head -2 | tail -1)"
    echo "postgresql: $("${PSQL[@]}" -d postgres -Atc 'show server_version')," \
         "shared_buffers=$("${PSQL[@]}" -d postgres -Atc 'show shared_buffers')," \
         "synchronous_commit=$("${PSQL[@]}" -d postgres -Atc 'show synchronous_commit')," \
         "fsync=$("${PSQL[@]}" -d postgres -Atc 'show fsync')"
    echo "wrk:        $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
    echo "pgbench:    $("$PGBENCH" --version)"
    echo "load:       $CONNECTIONS connections, $THREADS client threads, $ROUNDS x ${DURATION}s per side after ${WARMUP}s warm-up, $ROWS rows"
    echo "server:     java $JAVA_OPTS -jar $JAR --db-pool $DB_POOL --max-limit 100"
    echo "loadavg:    $(cut -d' ' -f1-3 /proc/loadavg) (before the run)"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# ------------------------------------------------------------------------------------------------------- database
say "re-creating database $BENCH_DB"
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"

# ------------------------------------------------------------------------------------------------------- server
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT INT TERM

JFR_OPTS=()
if [ "$PROFILE" = 1 ]; then
    JFR_OPTS=(-XX:StartFlightRecording=filename="$OUT/server.jfr",settings=profile,dumponexit=true)
fi
say "starting the server on 127.0.0.1:$PORT"
# a private copy of the jar: the run keeps its own binary even if the project is rebuilt meanwhile
cp "$JAR" "$OUT/server.jar"
# shellcheck disable=SC2086
java $JAVA_OPTS "${JFR_OPTS[@]}" -jar "$OUT/server.jar" --schema bench/bench.schema.json --host 127.0.0.1 --port "$PORT" \
    --db "jdbc:postgresql://$PGHOST:$PGPORT/$BENCH_DB?user=$PGUSER" --db-pool "$DB_POOL" --max-limit 100 \
    > "$OUT/server.log" 2>&1 &
SERVER_PID=$!
for i in $(seq 1 120); do
    if curl -fs "$BASE/status" >/dev/null 2>&1; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server.log" >&2; die "the server exited"; }
    [ "$i" = 120 ] && die "the server did not answer within 60 s"
    sleep 0.5
done

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
# CPU is attributed from the kernel's per-thread run times (/proc/PID/task/*/schedstat, nanoseconds): our server
# (every thread), the load generator (wrk or pgbench), and the PostgreSQL backends connected to $BENCH_DB (sampled
# every 0.25 s, since pgbench's backends exit with it). "foreign" is the rest of the machine's busy time: other
# processes on a shared machine.
CLK=$(getconf CLK_TCK)
tasks_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
bench_backends() { # "pid ns" for every backend of the bench database
    local files
    files=$(grep -l -a -F " $BENCH_DB " /proc/[0-9]*/cmdline 2>/dev/null | sed 's/cmdline$/schedstat/')
    # shellcheck disable=SC2086
    [ -z "$files" ] || awk '{split(FILENAME, p, "/"); print p[3], $1}' $files 2>/dev/null
}
machine_ticks() { awk '/^cpu / {busy = $2 + $3 + $4 + $7 + $8; print busy, busy + $5 + $6}' /proc/stat; }

# measure <name> <requests-field-extractor> <command...>: runs the load generator in the background while sampling,
# prints "server_ms pg_ms gen_ms foreign% idle%" (CPU per request, and shares of all cores) after the command ends.
# The generator's own output goes to OUT/<name>.txt.
measure_cpu() {
    local name=$1; shift
    local samples="$OUT/$name.cpu" gen s0 s1 m0 m1
    bench_backends | sed 's/^/start /' > "$samples"
    s0=$(tasks_ns "$SERVER_PID")
    m0=$(machine_ticks)
    "$@" > "$OUT/$name.txt" 2>&1 &
    gen=$!
    while kill -0 "$gen" 2>/dev/null; do
        { bench_backends | sed 's/^/pg /'; echo "gen $gen $(tasks_ns "$gen")"; } >> "$samples"
        sleep 0.25
    done
    wait "$gen" || echo "EXIT $?" >> "$OUT/$name.txt"
    s1=$(tasks_ns "$SERVER_PID")
    m1=$(machine_ticks)
    awk -v s=$((s1 - s0)) -v m0="$m0" -v m1="$m1" -v clk="$CLK" -v ncpu="$(nproc)" '
        $1 == "start" { base[$2] = $3; next }
        $1 == "pg" { if ($3 != "") last[$2] = $3; next }
        $1 == "gen" { if ($3 > 0) gen = $3; next }
        END {
            for (p in last) pg += last[p] - ((p in base) ? base[p] : 0)
            split(m0, a, " "); split(m1, b, " ")
            busy = (b[1] - a[1]) * 1e9 / clk; total = (b[2] - a[2]) * 1e9 / clk
            if (total <= 0) total = 1
            foreign = busy - s - pg - gen; if (foreign < 0) foreign = 0
            printf "%.0f %.0f %.0f %.1f %.1f\n", s, pg, gen, 100 * foreign / total, 100 * (total - busy) / total
        }' "$samples"
}

# This machine may be shared: before each measured run wait (at most QUIET_WAIT s) until the cores are idle, so that
# another process's burst does not start inside one side of a comparison only.
QUIET_WAIT=${QUIET_WAIT:-180}
quiet() {
    local waited=0 a b idle
    while :; do
        a=$(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat)
        sleep 2
        b=$(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat)
        idle=$(awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); d = y[2] - x[2]; print (d > 0) ? int(100 * (y[1] - x[1]) / d) : 100}')
        [ "$idle" -ge 90 ] && return 0
        if [ "$waited" -ge "$QUIET_WAIT" ]; then say "WARNING: machine still busy (idle ${idle}%), measuring anyway"; return 0; fi
        [ "$waited" = 0 ] && say "waiting for the machine to be idle (idle ${idle}%)"
        waited=$((waited + 2))
    done
}

server_alive() {
    kill -0 "$SERVER_PID" 2>/dev/null && ! grep -q 'server stopping' "$OUT/server.log" \
        || { tail -5 "$OUT/server.log" >&2; die "the server stopped during $1 (a signal from outside this script?)"; }
}

# One output line per run: rate p50_ms p99_ms ok failed server_ms pg_ms gen_ms foreign% idle%
# (the *_ms columns are CPU milliseconds per request or transaction)
per_request() { # total-ns-triple count -> ms per request
    awk -v n="$2" '{ if (n <= 0) n = 1; printf "%.3f %.3f %.3f %s %s", $1 / n / 1e6, $2 / n / 1e6, $3 / n / 1e6, $4, $5 }' <<<"$1"
}

run_wrk() { # <name> <lua> <seconds>
    local name=$1 lua=$2 secs=$3 cpu res
    quiet
    cpu=$(BENCH_DIR="$ROOT/bench" BENCH_RUN_ID="$name-$(date +%s%N)" measure_cpu "$name" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --timeout 10s -s "$lua" "http://127.0.0.1:$PORT")
    server_alive "$name"
    res=$(grep '^RESULT' "$OUT/$name.txt" || true)
    [ -n "$res" ] || { cat "$OUT/$name.txt" >&2; die "wrk $name produced no result"; }
    local bad; bad=$(sed -n 's/.* bad=\([0-9]*\).*/\1/p' <<<"$res")
    if [ "$bad" != 0 ]; then
        grep '^FIRST_BAD' "$OUT/$name.txt" >&2 || true
        say "WARNING: $bad failed responses in $name"
    fi
    local n; n=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$res")
    awk -v cpu="$(per_request "$cpu" "$n")" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "%s %s %s %s %s %s\n", v["rps"], v["p50_ms"], v["p99_ms"], v["ok"], v["bad"] + v["sockerr"], cpu
    }' <<<"$res"
}

run_pgbench() { # <name> <script> <seconds>; latency percentiles from a 10% sample of the transactions
    local name=$1 script=$2 secs=$3 cpu tps failed n
    rm -f "$OUT/$name".log*
    quiet
    cpu=$(measure_cpu "$name" "$PGBENCH" -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$secs" -f "$script" \
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

RESULTS="$OUT/results.tsv"
printf 'scenario\tside\tround\trate\tp50_ms\tp99_ms\tok\tfailed\tserver_cpu_ms\tpg_cpu_ms\tgen_cpu_ms\tforeign_pct\tidle_pct\n' > "$RESULTS"
record() { # scenario side round "fields..."
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(tr ' ' '\t' <<<"$4")" >> "$RESULTS"
    say "$1 / $2 / round $3: $(awk '{printf "%s per s, p50 %s ms, p99 %s ms, CPU ms per request: server %s, PostgreSQL %s, load generator %s; foreign %s%%, idle %s%%", $1, $2, $3, $6, $7, $8, $9, $10}' <<<"$4")"
}

# Queries first, on exactly the rows loaded above; then inserts (which grow the table for both sides alike).
# Each comparison runs ROUNDS times, the two sides alternating, after a warm-up of each side; the report takes medians.
if [[ " $SCENARIOS " == *" query "* ]]; then
say "query warm-up (${WARMUP}s each side)"
run_wrk warmup-query bench/wrk-query.lua "$WARMUP" >/dev/null
run_pgbench warmup-pgbench-query bench/pgbench-query.sql "$WARMUP" >/dev/null
for r in $(seq 1 "$ROUNDS"); do
    say "query round $r/$ROUNDS: POST /datafn/query vs pgbench (${DURATION}s each)"
    record query datafn "$r" "$(run_wrk "datafn-query-$r" bench/wrk-query.lua "$DURATION")"
    record query pgbench "$r" "$(run_pgbench "pgbench-query-$r" bench/pgbench-query.sql "$DURATION")"
done
if [ "$EXTRA" = 1 ]; then
    record query pgbench-server-sequence 1 "$(run_pgbench pgbench-query-sequence bench/pgbench-query-sequence.sql "$DURATION")"
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
    record insert datafn "$r" "$m"
    record insert pgbench "$r" "$(run_pgbench "pgbench-insert-$r" bench/pgbench-insert.sql "$DURATION")"
done
if [ "$EXTRA" = 1 ]; then
    record insert pgbench-server-sequence 1 "$(run_pgbench pgbench-insert-sequence bench/pgbench-insert-sequence.sql "$DURATION")"
fi
fi

# ------------------------------------------------------------------------------------------------------- report
awk -F'\t' -v conns="$CONNECTIONS" -v secs="$DURATION" -v rounds="$ROUNDS" '
function median(list,    n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
NR == 1 { next }
{
    k = $1 SUBSEP $2
    if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
    for (c = 4; c <= 13; c++) col[k, c] = col[k, c] " " $c
    rates[k] = rates[k] (rates[k] == "" ? "" : ", ") sprintf("%.0f", $4)
}
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
        printf "| %s | %s | **%.0f** (%s) | %.2f | %.2f | %s | %s | %.2f / %.2f / %.2f | %.0f / %.0f |\n", desc, f[2], rate, rates[k],
            median(col[k, 5]), median(col[k, 6]), ratio, target, median(col[k, 9]), median(col[k, 10]), median(col[k, 11]),
            median(col[k, 12]), median(col[k, 13])
    }
}' "$RESULTS" | tee "$OUT/results.md"
echo
echo "raw outputs, server log and machine details: $OUT"
