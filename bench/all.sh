#!/usr/bin/env bash
# Every benchmark of bench/, one after the other, into one report (issue 8): queries and single inserts against pgbench
# (run.sh), push/pull/clone (sync.sh), GET status against bare Javalin (http.sh), WebSocket fan-out (fanout.sh), search
# at size (search.sh), Triplit and RxDB server (peers.sh), and, with CURVES=1, the cost curves (curves.sh, ~40 min).
# Each command's standard output (its tables) is copied into $OUT/all.md under its heading, with the machine, the date
# and the command; its progress goes to $OUT/<command>.log.
#
#   bench/all.sh                      # full size, about 45 minutes (each command's defaults)
#   QUICK=1 bench/all.sh              # a short form of each, about 15 minutes: a check that everything runs
#   ONLY="run sync" bench/all.sh      # a subset: run sync http fanout search peers curves
#   SERVER_JAR=path bench/all.sh      # measures that jar (every command takes it) instead of building the project
#
# Everything targets 127.0.0.1 and stops by itself; a command that fails is reported and the next one runs.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/out/all-$(date +%Y%m%d-%H%M%S)}
QUICK=${QUICK:-0}
CURVES=${CURVES:-0}
ONLY=${ONLY:-"run sync http fanout search peers$([ "$CURVES" = 1 ] && echo ' curves')"}
mkdir -p "$OUT"
REPORT=$OUT/all.md

if [ "$QUICK" = 1 ]; then
    declare -A SHAPE=(
        [run]="DURATION=8 WARMUP=4 ROUNDS=1 QUIET_WAIT=0"
        [sync]=""
        [http]="DURATION=5 WARMUP=3 ROUNDS=1"
        [fanout]="WRITES=20 RATE=5 NODES=1 SCENARIOS=shared SOCKETS_LIST=1000"
        [search]="BIG=10000 NAMESPACES=50 DURATION=8 LAG_SAMPLES=50"
        [peers]="ROWS=2000 DURATION=5 WARMUP=2 ROUNDS=1 QUIET_WAIT=0"
        [curves]="ROWS_LIST='10000 100000' CLIENTS_LIST='1 16' NS_LIST='1 100' SOCKETS_LIST='100 1000' DURATION=5 WARMUP=2 QUIET_WAIT=0 RESULTS_DIR=$OUT/curves"
    )
else
    declare -A SHAPE=([run]="" [sync]="" [http]="" [fanout]="" [search]="" [peers]="" [curves]="")
fi

{
    echo "# bench/all.sh, $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)," \
         "$(java -version 2>&1 | head -1), load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Command: $([ "$QUICK" = 1 ] && echo 'QUICK=1 ')ONLY=\"$ONLY\"${SERVER_JAR:+ SERVER_JAR=$SERVER_JAR} bench/all.sh"
} | tee "$REPORT"

failed=()
for name in $ONLY; do
    [ -x "bench/$name.sh" ] || { echo "bench/all.sh: no bench/$name.sh" >&2; failed+=("$name"); continue; }
    shape=${SHAPE[$name]-}
    log=$OUT/$name.log
    { echo; echo "## bench/$name.sh"; echo; echo "\`${shape:+$shape }bench/$name.sh\`, started $(date -u +%H:%MZ)"; echo; } \
        | tee -a "$REPORT"
    # the command's stdout (its tables and summary lines) goes into the report; its progress (stderr) into the log
    if eval "env $shape bench/$name.sh" > "$OUT/$name.md" 2> "$log"; then
        tee -a "$REPORT" < "$OUT/$name.md"
    else
        echo "**failed** (exit $?); the last lines of its output:" | tee -a "$REPORT"
        cat "$OUT/$name.md" "$log" | tail -15 | sed 's/^/    /' | tee -a "$REPORT"
        failed+=("$name")
    fi
done
echo | tee -a "$REPORT"
echo "report in $REPORT"
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}" >&2; exit 1; }
