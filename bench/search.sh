#!/usr/bin/env bash
# Search at size (issue 8): 100 000 documents in one namespace and 1 000 namespaces of 1 000, on PostgreSQL.
# See BENCHMARKS.md.
#
#   bench/search.sh                   # full size, 20 s per wrk run (about 6 minutes, most of it loading and indexing)
#   BIG=10000 NAMESPACES=50 bench/search.sh   # a quick look
#
# What it does: bulk SQL loads the documents (INSERT ... SELECT, no change rows, as an import would), so each index is
# built from the tables by the first search of its namespace (timed: "index build"); then wrk searches for random
# words of the vocabulary in the big namespace and in random small ones; then the index lag (a write, then searches
# until found, LAG_SAMPLES times) with no other load and under the search load of the small namespaces; then the
# server is restarted on the same folders and the first search of the big namespace timed (it resumes from the
# index's checkpoint). It prints searches/s, p50/p99, CPU per search (server and PostgreSQL), RSS and live heap.
#
# Environment (all optional):
#   BIG=100000 NAMESPACES=1000 PER_NS=1000 VOCAB=5000   documents (12 words each, drawn from w0..w<VOCAB-1>)
#   DURATION=20 CONNECTIONS=16 THREADS=2 LAG_SAMPLES=200   load shape
#   MAX_OPEN=1000   --search-max-open of the server (below NAMESPACES+1 the small namespaces' indexes are evicted)
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres BENCH_DB=datafn_search_bench   (the database is dropped and re-created)
#   PORT=28472 DB_POOL=16 JAVA_OPTS="-Xms1g -Xmx1g" REBUILD=1 SERVER_JAR=path OUT=bench/out/search-<timestamp>
#
# Everything targets 127.0.0.1 and stops by itself; the server started here is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BIG=${BIG:-100000}
NAMESPACES=${NAMESPACES:-1000}
PER_NS=${PER_NS:-1000}
VOCAB=${VOCAB:-5000}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
LAG_SAMPLES=${LAG_SAMPLES:-200}
MAX_OPEN=${MAX_OPEN:-1000}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
BENCH_DB=${BENCH_DB:-datafn_search_bench}
PORT=${PORT:-28472}
DB_POOL=${DB_POOL:-16}
JAVA_OPTS=${JAVA_OPTS:--Xms1g -Xmx1g}
REBUILD=${REBUILD:-0}
OUT=${OUT:-bench/out/search-$(date +%Y%m%d-%H%M%S)}
JAR=${SERVER_JAR:-datafn-server/target/datafn-server.jar}
BASE=http://127.0.0.1:$PORT/datafn
SECRET=search-bench-secret-of-at-least-32-bytes

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

case "$PGHOST" in 127.0.0.1|localhost|::1) ;; *) die "PGHOST must be loopback (got $PGHOST)";; esac
case "$BENCH_DB" in test|postgres|template0|template1) die "refusing to drop database '$BENCH_DB'; pick a dedicated one";; esac
[[ "$BENCH_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB must be a plain lower-case identifier"
for t in wrk psql java jcmd curl awk python3; do command -v $t >/dev/null || die "$t not found"; done
export PGHOST PGPORT PGUSER
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
"${PSQL[@]}" -d postgres -c 'select 1' >/dev/null || die "cannot reach PostgreSQL at $PGHOST:$PGPORT as $PGUSER"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
say "results in $OUT"

if [ -n "${SERVER_JAR:-}" ]; then
    [ -f "$JAR" ] || die "SERVER_JAR $JAR not found"
elif [ "$REBUILD" = 1 ] || [ ! -f "$JAR" ] || \
   [ -n "$(find pom.xml datafn-*/pom.xml datafn-*/src/main -newer "$JAR" -print -quit 2>/dev/null)" ]; then
    say "building $JAR"
    ./mvnw -q -o -DskipTests package -pl datafn-server -am
fi
cp "$JAR" "$OUT/server.jar"

{
    echo "date:       $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit:     $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo ' (+ local changes)')"
    echo "cpu:        $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "java:       $(java -version 2>&1 | head -2 | tail -1)"
    echo "postgresql: $("${PSQL[@]}" -d postgres -Atc 'show server_version')"
    echo "data:       $BIG documents in one namespace, $NAMESPACES x $PER_NS, vocabulary $VOCAB words, 12 words a document"
    echo "load:       $CONNECTIONS connections, $THREADS wrk threads, ${DURATION}s per run; $LAG_SAMPLES lag samples"
    echo "server:     java $JAVA_OPTS -jar server.jar --auth jwt --search-max-open $MAX_OPEN --db-pool $DB_POOL"
    echo "loadavg:    $(cut -d' ' -f1-3 /proc/loadavg) (before the run)"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# ------------------------------------------------------------------------------------------------------- tokens
# HS256 tokens: "big" for the big namespace (user:big), n0000.. for the small ones (user:n0000, ...)
python3 - "$SECRET" "$OUT" "$NAMESPACES" <<'PY'
import base64, hashlib, hmac, json, sys
secret, out, n = sys.argv[1].encode(), sys.argv[2], int(sys.argv[3])
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def token(sub):
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps({"sub": sub}).encode())
    return head + "." + b64(hmac.new(secret, head.encode(), hashlib.sha256).digest())
open(out + "/big.tokens", "w").write(token("big") + "\n")
open(out + "/many.tokens", "w").write("".join(token("n%04d" % i) + "\n" for i in range(n)))
open(out + "/lag.tokens", "w").write("".join(token(s) + "\n" for s in ["big"] + ["n%04d" % i for i in range(min(n, 9))]))
PY
BIG_TOKEN=$(cat "$OUT/big.tokens")

# ------------------------------------------------------------------------------------------------------- server
say "re-creating database $BENCH_DB"
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"

SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
trap stop_server EXIT INT TERM

start_server() { # <log name>
    # shellcheck disable=SC2086
    java $JAVA_OPTS -jar "$OUT/server.jar" --schema bench/search.schema.json --host 127.0.0.1 --port "$PORT" \
        --db "jdbc:postgresql://$PGHOST:$PGPORT/$BENCH_DB?user=$PGUSER" --db-pool "$DB_POOL" \
        --auth jwt --jwt-secret "$SECRET" --search-dir "$OUT/search" --search-max-open "$MAX_OPEN" \
        --access-log false > "$OUT/$1.log" 2>&1 &
    SERVER_PID=$!
    for i in $(seq 1 120); do
        if curl -fs -H "Authorization: Bearer $BIG_TOKEN" "$BASE/status" >/dev/null 2>&1; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/$1.log" >&2; die "the server exited"; }
        [ "$i" = 120 ] && die "the server did not answer within 60 s"
        sleep 0.5
    done
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
search_once() { # <token> <word>: one search, its answer on stdout
    curl -fs -X POST "$BASE/search" -H 'Content-Type: application/json' -H "Authorization: Bearer $1" \
        -d "{\"query\":\"$2\",\"limit\":20}"
}
memory() { # live heap after a full GC, RSS
    jcmd "$SERVER_PID" GC.run >/dev/null
    local heap rss
    heap=$(jcmd "$SERVER_PID" GC.heap_info | awk '/used/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i + 1); sub(/K,?/, "", v); printf "%.0f", v / 1024; exit}}')
    rss=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/"$SERVER_PID"/status)
    echo "live heap ${heap} MiB, RSS ${rss} MiB"
}

# ------------------------------------------------------------------------------------------------------- measuring
# CPU from the kernel's per-thread run times (/proc/PID/task/*/schedstat, ns): the server, and the PostgreSQL
# backends connected to $BENCH_DB.
tasks_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
pg_ns() {
    local files
    files=$(grep -l -a -F " $BENCH_DB " /proc/[0-9]*/cmdline 2>/dev/null | sed 's/cmdline$/schedstat/' || true)
    # shellcheck disable=SC2086
    [ -z "$files" ] && echo 0 || { cat $files 2>/dev/null || true; } | awk '{s += $1} END {printf "%.0f\n", s}'
}

cpu_s() { awk -v a="$1" -v b="$(tasks_ns "$SERVER_PID")" 'BEGIN {printf "%.1f", (b - a) / 1e9}'; }

start_server server
say "server up (pid $SERVER_PID): $(memory)"

# ------------------------------------------------------------------------------------------------------- data
say "loading $BIG + $NAMESPACES x $PER_NS documents with INSERT ... SELECT"
t0=$(now)
"${PSQL[@]}" -d "$BENCH_DB" <<SQL
SELECT setseed(0.42);
INSERT INTO docs ("__ns", id, title, body)
SELECT ns, 'doc:' || lpad(g::text, 7, '0'),
       (SELECT string_agg('w' || floor(random() * $VOCAB)::int, ' ') FROM generate_series(1, 2) x WHERE g > 0),
       (SELECT string_agg('w' || floor(random() * $VOCAB)::int, ' ') FROM generate_series(1, 10) x WHERE g > 0)
FROM (SELECT 'user:big' AS ns, g FROM generate_series(1, $BIG) g
      UNION ALL
      SELECT 'user:n' || lpad(((g - 1) / $PER_NS)::text, 4, '0'), g FROM generate_series(1, $NAMESPACES * $PER_NS) g) s;
VACUUM ANALYZE docs;
SQL
LOADED=$(since "$t0")
say "loaded in $LOADED s: $("${PSQL[@]}" -d "$BENCH_DB" -Atc 'select count(*) from docs') documents"

# ------------------------------------------------------------------------------------------------------- index build
say "index build: the first search of each namespace"
t0=$(now); c0=$(tasks_ns "$SERVER_PID")
first=$(search_once "$BIG_TOKEN" w1)
BUILD_BIG="$(since "$t0") s (server CPU $(cpu_s "$c0") s)"
case "$first" in '{"ok":true'*'"results":[{'*) ;; *) die "unexpected search answer: ${first:0:300}";; esac
say "big namespace ($BIG documents) indexed by its first search in $BUILD_BIG"
HEAP_ONE=$(memory)
t0=$(now); c0=$(tasks_ns "$SERVER_PID")
python3 - "$BASE" "$OUT/many.tokens" <<'PY'
import http.client, json, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
for token in open(sys.argv[2]).read().split():
    conn.request("POST", url.path + "/search", json.dumps({"query": "w1", "limit": 1}),
                 {"Content-Type": "application/json", "Authorization": "Bearer " + token})
    reply = json.loads(conn.getresponse().read())
    if not reply.get("ok"):
        sys.exit("unexpected search answer: %s" % reply)
PY
BUILD_MANY="$(since "$t0") s (server CPU $(cpu_s "$c0") s)"
HEAP_ALL=$(memory)
DISK=$(du -sm "$OUT/search" | cut -f1)
say "$NAMESPACES small namespaces indexed by their first searches in $BUILD_MANY; $HEAP_ALL; index folder $DISK MiB"

RESULTS="$OUT/results.md"
printf '| Scenario | Searches/s | p50 ms | p99 ms | failed | CPU ms per search: server / PostgreSQL |\n|---|---:|---:|---:|---:|---|\n' > "$RESULTS"
run_wrk() { # <name> <tokens> <description>
    local s0 p0 s1 p1 res
    s0=$(tasks_ns "$SERVER_PID"); p0=$(pg_ns)
    BENCH_DIR="$ROOT/bench" TOKENS="$2" VOCAB="$VOCAB" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
        -s bench/wrk-search.lua "http://127.0.0.1:$PORT" > "$OUT/$1.txt" 2>&1
    s1=$(tasks_ns "$SERVER_PID"); p1=$(pg_ns)
    res=$(grep '^RESULT' "$OUT/$1.txt") || { cat "$OUT/$1.txt" >&2; die "wrk $1 produced no result"; }
    grep '^FIRST_BAD' "$OUT/$1.txt" >&2 || true
    awk -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v d="$3" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        n = v["requests"] > 0 ? v["requests"] : 1
        printf "| %s | **%.0f** | %.2f | %.2f | %d | %.3f / %.3f |\n", d, v["rps"], v["p50_ms"], v["p99_ms"],
            v["bad"] + v["sockerr"], s / n / 1e6, p / n / 1e6
    }' <<<"$res" | tee -a "$RESULTS" >&2
}

say "searching the big namespace (${DURATION}s)"
run_wrk search-big "$OUT/big.tokens" "one namespace of $BIG documents, a random word"
say "searching random small namespaces (${DURATION}s)"
run_wrk search-many "$OUT/many.tokens" "a random one of $NAMESPACES namespaces of $PER_NS, a random word"
HEAP_AFTER=$(memory)

say "index lag, no other load ($LAG_SAMPLES samples)"
LAG_IDLE=$(python3 bench/search-lag.py "$BASE" "$OUT/lag.tokens" "$LAG_SAMPLES")
say "$LAG_IDLE"
say "index lag under the search load of the small namespaces"
BENCH_DIR="$ROOT/bench" TOKENS="$OUT/many.tokens" VOCAB="$VOCAB" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" \
    --timeout 10s -s bench/wrk-search.lua "http://127.0.0.1:$PORT" > "$OUT/search-under-lag.txt" 2>&1 &
WRK_PID=$!
sleep 2
LAG_LOAD=$(python3 bench/search-lag.py "$BASE" "$OUT/lag.tokens" "$LAG_SAMPLES")
wait "$WRK_PID" || true
say "$LAG_LOAD ($(sed -n 's/^RESULT rps=\([0-9.]*\).*/\1/p' "$OUT/search-under-lag.txt") searches/s meanwhile)"

say "restart on the same database and index folder"
stop_server
start_server server-restart
t0=$(now)
first=$(search_once "$BIG_TOKEN" w1)
RESUME_BIG=$(since "$t0")
case "$first" in '{"ok":true'*'"results":[{'*) ;; *) die "unexpected search answer after the restart: ${first:0:300}";; esac
grep -q 'indexed .* records' "$OUT/server-restart.log" && REBUILT="rebuilt (see server-restart.log)" || REBUILT="resumed from its checkpoint, not rebuilt"
say "first search of the big namespace after the restart: $RESUME_BIG s, $REBUILT"

{
    echo
    echo "| Index build and memory | |"
    echo "|---|---|"
    echo "| bulk load ($BIG + $NAMESPACES x $PER_NS rows, SQL) | $LOADED s |"
    echo "| big namespace: first search builds its index | $BUILD_BIG |"
    echo "| $NAMESPACES small namespaces: first search of each, one after the other | $BUILD_MANY |"
    echo "| memory with the big index open | $HEAP_ONE |"
    echo "| memory with all $((NAMESPACES + 1)) open (max open $MAX_OPEN) | $HEAP_ALL |"
    echo "| memory after the search runs | $HEAP_AFTER |"
    echo "| index folder on disk | $DISK MiB |"
    echo "| index lag, no other load | $(sed 's/^LAG //' <<<"$LAG_IDLE") |"
    echo "| index lag under search load | $(sed 's/^LAG //' <<<"$LAG_LOAD") |"
    echo "| restart: first search of the big namespace | $RESUME_BIG s, $REBUILT |"
} >> "$RESULTS"
echo
cat "$OUT/machine.txt"
cat "$RESULTS"
echo
echo "raw outputs and server logs: $OUT"
