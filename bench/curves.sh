#!/usr/bin/env bash
# How cost grows with work (issue 8): rate and p99 of our server against rows, concurrent clients, namespaces and
# (through bench/fanout.sh, when it exists) open sockets. Writes a CSV per curve, a PNG plot per curve (gnuplot) and a
# markdown table of every point to RESULTS_DIR. See BENCHMARKS.md.
#
#   bench/curves.sh                   # the full curves, PostgreSQL (~40 min on an idle 2-core machine)
#   ROWS_LIST="2000 10000" CLIENTS_LIST="1 4 16" NS_LIST="1 10 100" DURATION=4 WARMUP=2 QUIET_WAIT=0 \
#       RESULTS_DIR=bench/out/curves-check bench/curves.sh                          # a quick check (~5 min)
#
# Curves (each point: rate, p50, p99, the server's CPU per request from /proc, PostgreSQL's):
#   rows        query (bench/wrk-query.lua: filtered, sorted, limit 20, half of them from a keyset cursor; CONNECTIONS
#               connections) and catch-up from zero of every change (bench/peers/client.mjs pull, pages of PAGE; p50/p99
#               per catch-up), at each size of ROWS_LIST; rows are added through POST /datafn/seed, so that they are
#               in the change log, up to each size in turn
#   clients     query and single insert (bench/wrk-mutation.lua) at each connection count of CLIENTS_LIST, on the
#               rows the rows curve left (its largest size; inserts come after every query point)
#   namespaces  single insert with one JWT per namespace (wrk-mutation.lua with TOKENS_FILE, CONNECTIONS connections)
#               and push (bench/SyncBench.java push: batches of 100, 8 writers, max(PUSH_TOTAL, 100 x namespaces)
#               mutations, the batches taking the namespaces in turn; p50/p99 per push) at each count of NS_LIST;
#               a second server with --auth jwt on a fresh database
#   sockets     only when bench/fanout.sh exists: it is run as
#                   FANOUT_CSV=<file> SOCKETS_LIST="$SOCKETS_LIST" PORT=<free port> bench/fanout.sh
#               and must write to <file> a header line and one line per socket count:
#                   sockets,p50_ms,p99_ms,msgs_per_s
#               (write -> cursor-message latency percentiles over every socket, and cursor messages delivered per s)
#
# Environment (all optional):
#   DB=pg|sqlite   CURVES="rows clients namespaces sockets"
#   ROWS_LIST="10000 100000 1000000" CLIENTS_LIST="1 4 16 64" NS_LIST="1 10 100 1000" SOCKETS_LIST="100 1000 10000"
#   DURATION=15 WARMUP=10 CONNECTIONS=32 PAGE=1000 PULL_REPS=1 PUSH_TOTAL=10000
#   RESULTS_DIR=bench/results/curves   BENCH_DB=datafn_curves PGHOST/PGPORT/PGUSER (dropped and re-created, and
#   BENCH_DB_ns for the namespaces curve)   PORT=28491 DB_POOL=32 JAVA_OPTS SERVER_JAR REBUILD=1   QUIET_WAIT=180
#   OUT=bench/out/curves-<timestamp>   NOTE="text"   a remark printed at the top of curves.md
#   PLOT_ONLY=1    no measuring: redraw the plots and curves.md from RESULTS_DIR's CSVs and machine.txt
#
# Everything runs on 127.0.0.1 and stops by itself; the servers started here are stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

DB=${DB:-pg}
CURVES=${CURVES:-rows clients namespaces sockets}
ROWS_LIST=${ROWS_LIST:-10000 100000 1000000}
CLIENTS_LIST=${CLIENTS_LIST:-1 4 16 64}
NS_LIST=${NS_LIST:-1 10 100 1000}
SOCKETS_LIST=${SOCKETS_LIST:-100 1000 10000}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-10}
CONNECTIONS=${CONNECTIONS:-32}
PAGE=${PAGE:-1000}
PULL_REPS=${PULL_REPS:-1}
PUSH_TOTAL=${PUSH_TOTAL:-10000}
RESULTS_DIR=${RESULTS_DIR:-bench/results/curves}
BENCH_DB=${BENCH_DB:-datafn_curves}
PORT=${PORT:-28491}
DB_POOL=${DB_POOL:-32}
OUT=${OUT:-bench/out/curves-$(date +%Y%m%d-%H%M%S)}
SECRET=bench-secret-bench-secret-bench-secret-0
# shellcheck source=bench/lib.sh
. bench/lib.sh

# ------------------------------------------------------------------------------------------------------- plots, table
# report: a PNG per curve-*.csv of RESULTS_DIR and curves.md with every point, headed by RESULTS_DIR/machine.txt
report() {
    declare -A XLABEL=([rows]="rows in the table" [clients]="concurrent connections" [namespaces]="namespaces (one JWT each)" [sockets]="open WebSockets")
    local machine=$RESULTS_DIR/machine.txt csv curve workloads
    local when="$(sed -n 's/^date: *//p' "$machine"), $(sed -n 's/^commit: *//p' "$machine"), $(sed -n 's/^curves: *//p' "$machine")"
    {
        echo "# How cost grows with work — bench/curves.sh"
        echo
        echo "$when. Command: \`$(sed -n 's/^command: *//p' "$machine")\`."
        echo "Machine: below. Load average at the start: $(sed -n 's/^loadavg: *//p' "$machine")."
        [ -z "${NOTE:-}" ] || { echo; echo "**$NOTE**"; }
        echo
    } > "$RESULTS_DIR/curves.md"
    for curve in rows clients namespaces sockets; do
        csv=$RESULTS_DIR/curve-$curve.csv
        [ -f "$csv" ] && [ "$(wc -l < "$csv")" -gt 1 ] || continue
        workloads=$(awk -F, 'NR > 1 && !seen[$1]++ {printf "%s ", $1}' "$csv")
        gnuplot <<GP
set terminal pngcairo size 1100,420 font ",10"
set output "$RESULTS_DIR/curve-$curve.png"
set datafile separator ","
set multiplot layout 1,2 title "$curve: $when"
set logscale xy
set xlabel "${XLABEL[$curve]}"
set grid
set key top left
set ylabel "rate per second"
plot for [w in "$workloads"] "< grep '^".w.",' $csv" using 2:3 with linespoints title w
set ylabel "p99 ms"
plot for [w in "$workloads"] "< grep '^".w.",' $csv" using 2:5 with linespoints title w
unset multiplot
GP
        {
            echo "## $curve"
            echo
            echo "![$curve](curve-$curve.png)"
            echo
            echo "| workload | ${XLABEL[$curve]} | rate per s | p50 ms | p99 ms | server CPU ms per request | PostgreSQL CPU ms per request |"
            echo "|---|---:|---:|---:|---:|---:|---:|"
            awk -F, 'NR > 1 {printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7}' "$csv"
            echo
        } >> "$RESULTS_DIR/curves.md"
    done
    {
        echo "Units: query and insert per request. Pull: rate in changes per s, p50/p99 per whole catch-up from zero, CPU per"
        echo "change. Push: rate in mutations per s, p50/p99 per push of 100 mutations, CPU per mutation. Fan-out: rate in"
        echo "cursor messages delivered per s, p50/p99 from the write to each socket's message."
        echo
        echo '```'
        cat "$machine"
        echo '```'
    } >> "$RESULTS_DIR/curves.md"
    cat "$RESULTS_DIR/curves.md"
}

if [ "${PLOT_ONLY:-0}" = 1 ]; then
    bench_need gnuplot gnuplot-nox
    report
    exit 0
fi

# ------------------------------------------------------------------------------------------------------- tools
bench_need wrk
bench_need node nodejs
bench_need gnuplot gnuplot-nox
for t in java curl awk sort; do command -v $t >/dev/null || die "$t not found"; done
case "$DB" in pg) bench_pg_check ;; sqlite) ;; *) die "DB must be pg or sqlite" ;; esac

mkdir -p "$OUT" "$RESULTS_DIR"
OUT=$(cd "$OUT" && pwd)
say "logs in $OUT, curves in $RESULTS_DIR"
bench_jar
rm -f "$RESULTS_DIR"/curve-*.csv "$RESULTS_DIR"/curve-*.png "$RESULTS_DIR/curves.md"   # one run's curves only
bench_machine "curves:     $CURVES; database $DB; $DURATION s per point after a ${WARMUP} s warm-up" \
    "command:    CURVES=\"$CURVES\" ROWS_LIST=\"$ROWS_LIST\" CLIENTS_LIST=\"$CLIENTS_LIST\" NS_LIST=\"$NS_LIST\" SOCKETS_LIST=\"$SOCKETS_LIST\" DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS PUSH_TOTAL=$PUSH_TOTAL DB=$DB bench/curves.sh" \
    > "$OUT/machine.txt"
cp "$OUT/machine.txt" "$RESULTS_DIR/machine.txt"
cat "$OUT/machine.txt" >&2
bench_traps

# start_server <name> <db-suffix> <schema> <args...>: our server on a fresh database; sets SERVER_PID and PGDB
start_server() {
    local name=$1 suffix=$2 schema=$3 db; shift 3
    if [ -n "${SERVER_PID:-}" ]; then bench_stop_all; fi
    if [ "$DB" = pg ]; then
        PGDB=$BENCH_DB$suffix
        bench_pg_recreate "$PGDB"
        db=$(bench_jdbc "$PGDB")
    else
        PGDB=
        db=jdbc:sqlite:$OUT/$name.db
    fi
    bench_datafn "$name" "$PORT" --schema "$schema" --db "$db" --db-pool "$DB_POOL" --max-limit 100 \
        --access-log false "$@"
    SERVER_PID=$STARTED_PID
}
URL=http://127.0.0.1:$PORT

# point <curve> <workload> <x> <bench_load line>: one CSV line (rate, p50, p99, CPU ms per request: server, PG)
point() {
    awk -v w="$2" -v x="$3" '{printf "%s,%s,%.1f,%.2f,%.2f,%.4f,%.4f\n", w, x, $1, $2, $3, $6, $7}' <<<"$4" \
        | tee -a "$RESULTS_DIR/curve-$1.csv" >&2
}
header() { # <curve> <x name>
    echo "workload,$2,rate,p50_ms,p99_ms,server_cpu_ms,pg_cpu_ms" > "$RESULTS_DIR/curve-$1.csv"
}
query() { # <name> <connections> [seconds]
    quiet
    bench_wrk "$1" "$SERVER_PID" "$PGDB" "$URL" bench/wrk-query.lua "${3:-$DURATION}" "$2"
}
insert() { # <name> <connections> [seconds]; TOKENS_FILE from the environment
    quiet
    bench_wrk "$1" "$SERVER_PID" "$PGDB" "$URL" bench/wrk-mutation.lua "${3:-$DURATION}" "$2"
}

# ------------------------------------------------------------------------------------------------------- rows
largest=0
for n in $ROWS_LIST; do [ "$n" -gt "$largest" ] && largest=$n; done
if [[ " $CURVES " == *" rows "* || " $CURVES " == *" clients "* ]]; then
    start_server server "" bench/bench.schema.json
    loaded=0
    if [[ " $CURVES " == *" rows "* ]]; then
        header rows rows
        targets=$ROWS_LIST
    else
        targets=$largest
    fi
    warmed=0
    for n in $targets; do
        [ "$n" -gt "$loaded" ] || die "ROWS_LIST must grow (got $n after $loaded)"
        say "loading rows $((loaded + 1)) to $n"
        node bench/peers/client.mjs load datafn "$URL" $((loaded + 1)) $((n + 1)) 1000 >&2
        loaded=$n
        [ -z "$PGDB" ] || "${PSQL[@]}" -d "$PGDB" -c 'VACUUM ANALYZE' >/dev/null
        [[ " $CURVES " == *" rows "* ]] || continue
        if [ "$warmed" = 0 ]; then
            say "query warm-up (${WARMUP} s)"; query warmup-query "$CONNECTIONS" "$WARMUP" >/dev/null; warmed=1
        fi
        say "rows $n: query, then catch-up from zero"
        point rows query "$n" "$(query "query-rows-$n" "$CONNECTIONS")"
        quiet
        point rows pull "$n" "$(bench_load "pull-rows-$n" "$SERVER_PID" "$PGDB" \
            node bench/peers/client.mjs pull datafn "$URL" "$n" "$PULL_REPS" "$PAGE")"
    done

# ------------------------------------------------------------------------------------------------------- clients
    if [[ " $CURVES " == *" clients "* ]]; then
        header clients clients
        [ "$warmed" = 1 ] || { say "query warm-up (${WARMUP} s)"; query warmup-query "$CONNECTIONS" "$WARMUP" >/dev/null; }
        for c in $CLIENTS_LIST; do
            say "clients $c: query ($loaded rows)"
            point clients query "$c" "$(query "query-clients-$c" "$c")"
        done
        say "insert warm-up (${WARMUP} s)"; insert warmup-insert "$CONNECTIONS" "$WARMUP" >/dev/null
        for c in $CLIENTS_LIST; do
            say "clients $c: single insert"
            point clients insert "$c" "$(insert "insert-clients-$c" "$c")"
        done
    fi
fi

# ------------------------------------------------------------------------------------------------------- namespaces
if [[ " $CURVES " == *" namespaces "* ]]; then
    header namespaces namespaces
    # bench/sync.schema.json: the records of SyncBench's pushes and of wrk-mutation.lua's inserts both fit it
    start_server server-jwt _ns bench/sync.schema.json --auth jwt --jwt-secret "$SECRET" --max-pull-limit 1000
    most=0
    for n in $NS_LIST; do [ "$n" -gt "$most" ] && most=$n; done
    java bench/SyncBench.java jwts "$SECRET" "$most" > "$OUT/tokens.txt"
    head -n 16 "$OUT/tokens.txt" > "$OUT/tokens-warmup.txt"
    say "insert and push warm-up"
    TOKENS_FILE=$OUT/tokens-warmup.txt insert warmup-insert "$CONNECTIONS" "$WARMUP" >/dev/null
    java bench/SyncBench.java push "$URL/datafn" "$SECRET" 2000 100 8 16 warm >/dev/null
    for n in $NS_LIST; do
        head -n "$n" "$OUT/tokens.txt" > "$OUT/tokens-$n.txt"
        say "namespaces $n: single insert, then push"
        point namespaces insert "$n" "$(TOKENS_FILE=$OUT/tokens-$n.txt insert "insert-ns-$n" "$CONNECTIONS")"
        total=$(( PUSH_TOTAL > 100 * n ? PUSH_TOTAL : 100 * n ))
        quiet
        cpu=$(measure_cpu "push-ns-$n" "$SERVER_PID" "$PGDB" \
            java bench/SyncBench.java push "$URL/datafn" "$SECRET" "$total" 100 8 "$n" "ns$n")
        line=$(grep '^push:' "$OUT/push-ns-$n.txt") || { cat "$OUT/push-ns-$n.txt" >&2; die "push over $n namespaces failed"; }
        # "push: N mutations ... S s, R mutations/s, p50 A ms, p99 B ms per push" -> the bench_load fields
        point namespaces push "$n" "$(sed -n 's/.* \([0-9.]*\) mutations\/s, p50 \([0-9]*\) ms, p99 \([0-9]*\) ms.*/\1 \2 \3 0 0/p' <<<"$line") $(per_request "$cpu" "$total")"
    done
fi

# ------------------------------------------------------------------------------------------------------- sockets
if [[ " $CURVES " == *" sockets "* ]]; then
    if [ -f bench/fanout.sh ]; then
        bench_stop_all; SERVER_PID=
        say "sockets: bench/fanout.sh with SOCKETS_LIST=\"$SOCKETS_LIST\""
        FANOUT_CSV=$OUT/fanout.csv SOCKETS_LIST=$SOCKETS_LIST PORT=$PORT bash bench/fanout.sh > "$OUT/fanout.txt" 2>&1 \
            || { tail -20 "$OUT/fanout.txt" >&2; die "bench/fanout.sh failed"; }
        header sockets sockets
        awk -F, 'NR > 1 && NF >= 4 {printf "fan-out,%s,%.1f,%.2f,%.2f,,\n", $1, $4, $2, $3}' "$OUT/fanout.csv" \
            >> "$RESULTS_DIR/curve-sockets.csv"
    else
        say "sockets: bench/fanout.sh not found, curve skipped"
    fi
fi
bench_stop_all

report
echo
echo "curves in $RESULTS_DIR, raw outputs and server logs in $OUT"
