#!/usr/bin/env bash
# Our server (on SQLite and on PostgreSQL) against Triplit 1.1.8 (SQLite storage) and RxDB Server 15.22 (memory
# storage), side by side and alternating in one run (issue 8). See BENCHMARKS.md.
#
#   bench/peers.sh                    # 10 000 rows, 32 connections, 2 alternating 15 s rounds per side (~12 min)
#   ROWS=2000 DURATION=5 WARMUP=2 ROUNDS=1 QUIET_WAIT=0 bench/peers.sh      # a quick check (~3 min)
#
# Workloads, each on the same rows loaded into every server (bench/peers/client.mjs row()):
#   query   category = cX AND priority >= N, sorted by priority descending then id, limit 20; wrk, CONNECTIONS
#           (DataFn POST /datafn/query, Triplit POST /fetch, RxDB POST /items/0/query)
#   pull    change-feed catch-up from zero of all ROWS rows, PULL_REPS times, one client (DataFn POST /datafn/pull
#           in pages of PAGE, RxDB GET /items-sync/0/pull in pages of PAGE, Triplit WebSocket CONNECT_QUERY)
#   insert  one new row per request; wrk, CONNECTIONS (DataFn POST /datafn/mutation with clientId + mutationId,
#           Triplit POST /insert, RxDB POST /items/0/set)
#
# Environment (all optional):
#   ROWS=10000 DURATION=15 WARMUP=5 ROUNDS=2 CONNECTIONS=32 THREADS=2 PULL_REPS=3 PAGE=1000
#   SIDES="datafn-sqlite datafn-pg triplit rxdb"   SCENARIOS="query pull insert"
#   PEERS=/tmp/datafn-peers   scratch folder the peers are installed into from the npm registry (never the project)
#   TRIPLIT_SYNCHRONOUS=FULL  fsync at every Triplit commit, as our SQLite does (default: Triplit's own NORMAL)
#   BENCH_DB=datafn_peers PGHOST/PGPORT/PGUSER  our PostgreSQL side (the database is dropped and re-created)
#   BASE_PORT=28480 DB_POOL=32 JAVA_OPTS="-Xms1g -Xmx1g" SERVER_JAR=path REBUILD=1   our server, which runs with
#                    --access-log false (Triplit is started with a null log handler; RxDB logs no requests)
#   QUIET_WAIT=180   seconds to wait for an idle machine before each measured run
#   OUT=bench/out/peers-<timestamp>
#
# Everything runs on 127.0.0.1 and stops by itself; every server started here is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

ROWS=${ROWS:-10000}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-5}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-32}
PULL_REPS=${PULL_REPS:-3}
PAGE=${PAGE:-1000}
SIDES=${SIDES:-datafn-sqlite datafn-pg triplit rxdb}
SCENARIOS=${SCENARIOS:-query pull insert}
PEERS=${PEERS:-/tmp/datafn-peers}
BENCH_DB=${BENCH_DB:-datafn_peers}
BASE_PORT=${BASE_PORT:-28480}
DB_POOL=${DB_POOL:-32}
OUT=${OUT:-bench/out/peers-$(date +%Y%m%d-%H%M%S)}
TRIPLIT_VERSION=1.1.8
RXDB_SERVER_VERSION=15.22.0
TRIPLIT_SECRET=bench-secret-0123456789abcdef
# shellcheck source=bench/lib.sh
. bench/lib.sh

case "$PEERS" in "$ROOT"|"$ROOT"/*) die "PEERS must be outside the project (got $PEERS)";; esac

# ------------------------------------------------------------------------------------------------------- tools
bench_need wrk
bench_need node nodejs
bench_need npm
for t in java curl awk sort; do command -v $t >/dev/null || die "$t not found"; done
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || die "Node 20 or later is needed (have $(node -v))"
# Node 20 has a WebSocket client only behind a flag (Triplit's pull)
NODE=(node); node -e 'WebSocket' 2>/dev/null || NODE=(node --experimental-websocket)
[[ " $SIDES " == *" datafn-pg "* ]] && bench_pg_check

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
say "results in $OUT"

# ------------------------------------------------------------------------------------------------------- peers
# npm install into $PEERS/<peer> when missing (Triplit's better-sqlite3 compiles from source: about a minute); the
# start scripts are copied next to the peer's node_modules, where Node resolves their imports.
install_peer() { # <dir> <marker file> <packages...>
    local dir=$PEERS/$1 marker=$2; shift 2
    if [ ! -f "$dir/node_modules/$marker" ]; then
        say "installing $* into $dir (npm registry)"
        mkdir -p "$dir"
        npm install --prefix "$dir" --no-audit --no-fund "$@" > "$OUT/npm-$(basename "$dir").log" 2>&1 \
            || { tail -20 "$OUT/npm-$(basename "$dir").log" >&2; die "npm install failed"; }
        [ -f "$dir/node_modules/$marker" ] || die "npm install did not produce $dir/node_modules/$marker"
    fi
}
if [[ " $SIDES " == *" triplit "* ]]; then
    install_peer triplit better-sqlite3/build/Release/better_sqlite3.node "@triplit/server@$TRIPLIT_VERSION" better-sqlite3
    cp bench/peers/triplit-start.mjs "$PEERS/triplit/"
fi
if [[ " $SIDES " == *" rxdb "* ]]; then
    install_peer rxdb rxdb-server/package.json "rxdb-server@$RXDB_SERVER_VERSION" rxdb@15 express@4 cors
    cp bench/peers/rxdb-start.mjs "$PEERS/rxdb/"
fi
peer_version() { node -p "require('$PEERS/$1/node_modules/$2/package.json').version" 2>/dev/null || echo '-'; }

# ------------------------------------------------------------------------------------------------------- build
[[ " $SIDES " == *" datafn-"* ]] && bench_jar

# ------------------------------------------------------------------------------------------------------- machine
bench_machine "node:       $(node -v); Triplit $(peer_version triplit @triplit/server) + better-sqlite3 $(peer_version triplit better-sqlite3), RxDB server $(peer_version rxdb rxdb-server) + rxdb $(peer_version rxdb rxdb)" \
    "load:       $CONNECTIONS connections, $ROUNDS x ${DURATION}s per side after ${WARMUP}s warm-up, $ROWS rows, pull $PULL_REPS x per round in pages of $PAGE" \
    "sides:      $SIDES" > "$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# ------------------------------------------------------------------------------------------------------- servers
# Each side: its kind (the API wrk-peer.lua and client.mjs speak), URL, server PID and the PostgreSQL database whose
# backends count as its database CPU (none for the embedded stores).
declare -A KIND URL PID PGDB TOKENS
bench_traps
port=$BASE_PORT
for side in $SIDES; do
    port=$((port + 1))
    URL[$side]=http://127.0.0.1:$port
    PGDB[$side]=
    TOKENS[$side]=
    case "$side" in
        datafn-sqlite)
            KIND[$side]=datafn
            bench_datafn "$side" "$port" --schema bench/bench.schema.json --db "jdbc:sqlite:$OUT/datafn.db" --max-limit 100 \
                --access-log false ;;
        datafn-pg)
            KIND[$side]=datafn
            bench_pg_recreate "$BENCH_DB"
            PGDB[$side]=$BENCH_DB
            bench_datafn "$side" "$port" --schema bench/bench.schema.json --db "$(bench_jdbc "$BENCH_DB")" \
                --db-pool "$DB_POOL" --max-limit 100 --access-log false ;;
        triplit)
            KIND[$side]=triplit
            TOKENS[$side]=$(node bench/peers/client.mjs token "$TRIPLIT_SECRET" bench)
            bench_start "$side" "${URL[$side]}/healthcheck" env -C "$PEERS/triplit" PORT=$port JWT_SECRET=$TRIPLIT_SECRET \
                PROJECT_ID=bench STORAGE=sqlite LOCAL_DATABASE_URL="$OUT/triplit.db" \
                TRIPLIT_SYNCHRONOUS="${TRIPLIT_SYNCHRONOUS:-}" node triplit-start.mjs ;;
        rxdb)
            KIND[$side]=rxdb
            bench_start "$side" "${URL[$side]}/" env -C "$PEERS/rxdb" PORT=$port node rxdb-start.mjs ;;
        *) die "unknown side $side (datafn-sqlite, datafn-pg, triplit, rxdb)" ;;
    esac
    PID[$side]=$STARTED_PID
    say "$side on ${URL[$side]} (pid ${PID[$side]})"
done

# ------------------------------------------------------------------------------------------------------- data
for side in $SIDES; do
    batch=1000; [ "${KIND[$side]}" = rxdb ] && batch=500   # RxDB's express.json() takes bodies up to 100 kB
    TOKEN=${TOKENS[$side]} node bench/peers/client.mjs load "${KIND[$side]}" "${URL[$side]}" 1 $((ROWS + 1)) $batch >&2
done

# ------------------------------------------------------------------------------------------------------- measuring
bench_results_init

run_side() { # <scenario> <side> <name> <seconds>: one measured run; prints bench_load's line
    local scenario=$1 side=$2 name=$3 secs=$4 marker='"ok":true'
    [ "${KIND[$side]}" = datafn ] || marker=
    quiet
    if [ "$scenario" = pull ]; then
        TOKEN=${TOKENS[$side]} bench_load "$name" "${PID[$side]}" "${PGDB[$side]}" \
            "${NODE[@]}" bench/peers/client.mjs pull "${KIND[$side]}" "${URL[$side]}" "$ROWS" "$secs" "$PAGE"
    else
        PEER=${KIND[$side]} OP=$scenario TOKEN=${TOKENS[$side]} BENCH_OK_MARKER=$marker \
            bench_wrk "$name" "${PID[$side]}" "${PGDB[$side]}" "${URL[$side]}" bench/peers/wrk-peer.lua "$secs" "$CONNECTIONS"
    fi
}

# Queries first, on exactly the rows loaded; then the catch-up (which must see exactly ROWS changes); then inserts.
# Each side gets a warm-up, then the sides alternate round by round.
for scenario in query pull insert; do
    [[ " $SCENARIOS " == *" $scenario "* ]] || continue
    warm=$WARMUP; secs=$DURATION
    [ "$scenario" = pull ] && { warm=1; secs=$PULL_REPS; }   # pull: catch-ups, not seconds
    say "$scenario warm-up"
    for side in $SIDES; do run_side "$scenario" "$side" "warmup-$scenario-$side" "$warm" >/dev/null; done
    for r in $(seq 1 "$ROUNDS"); do
        for side in $SIDES; do
            bench_record "$scenario" "$side" "$r" "$(run_side "$scenario" "$side" "$scenario-$side-$r" "$secs")"
        done
    done
done

# ------------------------------------------------------------------------------------------------------- report
# One table: median rate of the rounds (each round), p50/p99, the server's CPU per request (per 1 000 changes for
# the catch-up) and PostgreSQL's, and each of our sides' rate divided by the row's.
awk -F'\t' -v conns="$CONNECTIONS" -v secs="$DURATION" -v rows="$ROWS" -v reps="$PULL_REPS" -v page="$PAGE" '
'"$BENCH_AWK_RESULTS"'
END {
    desc["query"] = sprintf("filtered + sorted query, limit 20, %d rows, %d connections, %d s", rows, conns, secs)
    desc["pull"] = sprintf("catch-up from zero of %d changes (pages of %d; Triplit: one subscription), x %d", rows, page, reps)
    desc["insert"] = sprintf("single insert, %d connections, %d s", conns, secs)
    unit["query"] = "queries/s"; unit["pull"] = "changes/s"; unit["insert"] = "inserts/s"
    printf "\n| Workload | Side | Rate, median (each round) | p50 ms | p99 ms | Server CPU ms per request | PostgreSQL CPU ms | datafn-sqlite : this | datafn-pg : this | Foreign / idle CPU %% |\n"
    printf "|---|---|---|---:|---:|---:|---:|---:|---:|---|\n"
    for (i = 1; i <= nk; i++) {
        k = order[i]; split(k, f, SUBSEP)
        rate = median(col[k, 4]); per = (f[1] == "pull") ? 1000 : 1
        r1 = ""; r2 = ""
        if (f[2] !~ /^datafn/ && rate > 0) {
            if ((f[1] SUBSEP "datafn-sqlite") in seen) r1 = sprintf("%.2f", median(col[f[1] SUBSEP "datafn-sqlite", 4]) / rate)
            if ((f[1] SUBSEP "datafn-pg") in seen) r2 = sprintf("%.2f", median(col[f[1] SUBSEP "datafn-pg", 4]) / rate)
        }
        printf "| %s | %s%s | **%.0f** %s (%s) | %.1f | %.1f | %.3f%s | %.3f | %s | %s | %.0f / %.0f |\n",
            (f[1] == last) ? "" : desc[f[1]], f[2], (k in failed) ? sprintf(" (%d FAILED)", failed[k]) : "",
            rate, unit[f[1]], runs[k], median(col[k, 5]), median(col[k, 6]),
            per * median(col[k, 9]), (per == 1000) ? " per 1 000" : "", per * median(col[k, 10]), r1, r2,
            median(col[k, 12]), median(col[k, 13])
        last = f[1]
    }
    printf "\np50/p99: per request (query, insert), per whole catch-up (pull). Ratios above 1: our side is faster.\n"
}' "$RESULTS" | tee "$OUT/results.md"
echo
echo "raw outputs, server logs and machine details: $OUT"
