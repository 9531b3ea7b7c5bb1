#!/usr/bin/env bash
# HTTP overhead (issue 8): GET <base>/status of the standalone server against a bare Javalin handler returning the same
# JSON body as a constant (bench/BareJavalin.java, the server jar's Javalin and Jetty), wrk side by side, alternating
# rounds with the same connections; prints rate, p50/p99, server CPU per request (/proc) and the ratio. Everything runs
# on 127.0.0.1 and stops by itself.
#
# Usage: bench/http.sh        DURATION=10 ROUNDS=3 WARMUP=10 CONNECTIONS=32 THREADS=2 ACCESS_LOG=true SERVER_JAR=path
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
ACCESS_LOG=${ACCESS_LOG:-true}
PORT=${PORT:-18970}
BARE_PORT=$((PORT + 1))
DB=${DB:-datafn_bench_http}
OUT=bench/out/http-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
JAR=${SERVER_JAR:-datafn-server/target/datafn-server.jar}
[ -f "$JAR" ] || ./mvnw -q -o package -DskipTests -pl datafn-server -am
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }

psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
java -Xms512m -Xmx512m -jar "$JAR" --schema bench/sync.schema.json --host 127.0.0.1 --port $PORT \
  --db "jdbc:postgresql://127.0.0.1:5432/$DB?user=postgres" --access-log "$ACCESS_LOG" \
  --max-connections-per-source 0 > "$OUT/server.log" 2>&1 &
SERVER=$!; PIDS+=($SERVER)
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/datafn/status" >/dev/null && break; sleep 1; done
BODY=$(curl -sf "http://127.0.0.1:$PORT/datafn/status")
java -Xms512m -Xmx512m -cp "$JAR" bench/BareJavalin.java $BARE_PORT "$BODY" > "$OUT/bare.log" 2>&1 &
BARE=$!; PIDS+=($BARE)
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$BARE_PORT/datafn/status" >/dev/null && break; sleep 1; done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# one wrk round against PID at URL: "rate p50 p99 cpu_us_per_request"
round() {
  local pid=$1 url=$2 t0 t1 out
  t0=$(ticks "$pid")
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url")
  t1=$(ticks "$pid")
  echo "$out" >> "$OUT/wrk.txt"
  echo "$out" | awk -v ticks=$((t1 - t0)) '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } / requests in / { n = $1 } /^Requests\/sec/ { rate = $2 }
    END { printf "%.0f %.2f %.2f %.1f\n", rate, p50, p99, ticks * 10000 / n }'
}
# warm-up, not reported (JIT)
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "http://127.0.0.1:$PORT/datafn/status" > /dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "http://127.0.0.1:$BARE_PORT/datafn/status" > /dev/null

{
  echo "http $(date -u +%Y-%m-%dT%H:%MZ): GET /datafn/status, wrk -t$THREADS -c$CONNECTIONS ${DURATION}s x $ROUNDS alternating, access log $ACCESS_LOG, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| round | side | req/s | p50 ms | p99 ms | server CPU µs/req |"
  echo "|---|---|---|---|---|---|"
} | tee "$OUT/results.md"
: > "$OUT/rates"
for r in $(seq 1 "$ROUNDS"); do
  read -r rate p50 p99 cpu < <(round $SERVER "http://127.0.0.1:$PORT/datafn/status")
  echo "| $r | datafn | $rate | $p50 | $p99 | $cpu |" | tee -a "$OUT/results.md"; echo "datafn $rate $cpu" >> "$OUT/rates"
  read -r rate p50 p99 cpu < <(round $BARE "http://127.0.0.1:$BARE_PORT/datafn/status")
  echo "| $r | bare Javalin | $rate | $p50 | $p99 | $cpu |" | tee -a "$OUT/results.md"; echo "bare $rate $cpu" >> "$OUT/rates"
done
awk '{ n[$1]++; r[$1] += $2; c[$1] += $3 }
  END { printf "\nmean: datafn %.0f req/s (%.1f µs CPU/req), bare Javalin %.0f req/s (%.1f µs CPU/req): ratio %.0f %% (rate), %.0f %% (CPU per request, bare/datafn)\n",
        r["datafn"]/n["datafn"], c["datafn"]/n["datafn"], r["bare"]/n["bare"], c["bare"]/n["bare"],
        100 * (r["datafn"]/n["datafn"]) / (r["bare"]/n["bare"]), 100 * (c["bare"]/n["bare"]) / (c["datafn"]/n["datafn"]) }' "$OUT/rates" \
  | tee -a "$OUT/results.md"
echo "results in $OUT/results.md"
