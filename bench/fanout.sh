#!/usr/bin/env bash
# WebSocket fan-out benchmark (issue 8): N sockets subscribed as the DataFn client is, writes at a steady rate, and for
# each write the time from sending the mutation to each socket of its namespace receiving the cursor message for it
# (p50/p99/max), messages/s, server CPU per write and per delivered message (/proc), server RSS and heap. Scenarios:
# one shared namespace (no auth) and sockets spread over many namespaces (--auth jwt, one token per user); one node,
# and two nodes on one PostgreSQL (--bus postgres, and --bus redis) with the sockets split over both and the writes
# sent to the first. Everything runs on 127.0.0.1 and stops by itself.
#
# Usage: bench/fanout.sh [SOCKETS...]          default: 100 1000 2000 10000
#   WRITES=100 RATE=10 NAMESPACES="100 1000" NODES="1 2" BUSES="postgres redis" DB=datafn_bench_fanout
#   SERVER_JAR=path measures another build (before/after). SCENARIOS=shared,spread limits the namespace scenarios.
#   SERVER_OPTS="-XX:..." adds options to the server's JVM (another GC, a JFR recording).
#   FANOUT_CSV=file (bench/curves.sh): the shared namespace on one node for each of SOCKETS_LIST, and a CSV
#   `sockets,p50_ms,p99_ms,msgs_per_s` written to file.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-datafn_bench_fanout}
PORT=${PORT:-18960}
HEAP=${HEAP:-512m}
WRITES=${WRITES:-100}
RATE=${RATE:-10}
NAMESPACES=${NAMESPACES:-"100 1000"}
NODES=${NODES:-"1 2"}
BUSES=${BUSES:-"postgres redis"}
SCENARIOS=${SCENARIOS:-shared,spread}
SECRET=bench-secret-bench-secret-bench-secret-0
SOCKETS=("$@"); [ ${#SOCKETS[@]} -gt 0 ] || read -r -a SOCKETS <<< "${SOCKETS_LIST:-100 1000 2000 10000}"
if [ -n "${FANOUT_CSV:-}" ]; then NODES=1; SCENARIOS=shared; fi
OUT=bench/out/fanout-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

JAR=${SERVER_JAR:-datafn-server/target/datafn-server.jar}
[ -f "$JAR" ] || ./mvnw -q -o package -DskipTests -pl datafn-server -am

# every socket is a file descriptor in the server and one in the load program
max=0; for n in "${SOCKETS[@]}"; do [ "$n" -gt $max ] && max=$n; done
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((max + 1000)) ]; then
  echo "fd limit $(ulimit -n) is too low for $max sockets (raise the hard limit: ulimit -Hn)" >&2; exit 1
fi

NODE_PIDS=()
stop_nodes() { for p in "${NODE_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
               for p in "${NODE_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done; NODE_PIDS=(); }
trap stop_nodes EXIT

# start_nodes COUNT BUS AUTH: fresh database, COUNT server processes on ports PORT, PORT+1, ...
start_nodes() {
  local count=$1 bus=$2 auth=$3
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
  local args=(--schema bench/sync.schema.json --host 127.0.0.1 --db "jdbc:postgresql://127.0.0.1:5432/$DB?user=postgres"
    --db-pool 16 --bus "$bus" --ws-max-sockets $((max + 100)) --ws-max-per-namespace $((max + 100))
    --ws-max-per-source 0 --max-connections-per-source 0)
  [ "$bus" = redis ] && args+=(--redis redis://127.0.0.1:6379)
  [ "$auth" = jwt ] && args+=(--auth jwt --jwt-secret "$SECRET")
  for i in $(seq 0 $((count - 1))); do
    java -Xmx$HEAP ${SERVER_OPTS:-} -jar "$JAR" "${args[@]}" --port $((PORT + i)) > "$OUT/server-$count-$bus-$auth-$i.log" 2>&1 &
    NODE_PIDS+=($!)
    for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$((PORT + i))/datafn/status" >/dev/null && break; sleep 1; done
  done
}

# scenario NODES BUS SOCKETS NAMESPACES: one table row
scenario() {
  local nodes=$1 bus=$2 n=$3 ns=$4 ws="" pids
  for i in $(seq 0 $((nodes - 1))); do ws+="${ws:+,}ws://127.0.0.1:$((PORT + i))/datafn/ws"; done
  pids=$(IFS=,; echo "${NODE_PIDS[*]}")
  local auth=(); [ "$ns" -gt 1 ] && auth=(--secret "$SECRET")
  local label=""; [ "$nodes" -gt 1 ] && label="bus $bus"
  timeout $((300 + n / 20)) java -Xmx1g -cp "$JAR" bench/FanOut.java --ws "$ws" --http "http://127.0.0.1:$PORT/datafn" \
    --sockets "$n" --namespaces "$ns" --writes "$WRITES" --rate "$RATE" --pids "$pids" "${auth[@]}" \
    --run "r$n-$ns-$nodes-$RANDOM" ${label:+--label "$label"} 2>>"$OUT/load.log" | tee -a "$OUT/results.md" \
    || echo "| scenario $n sockets, $ns ns, $nodes node(s) $bus failed (see $OUT/load.log) |" | tee -a "$OUT/results.md"
}

{ echo "fan-out $(date -u +%Y-%m-%dT%H:%MZ), $WRITES writes at $RATE/s per scenario, $(nproc) cores"; echo; } | tee "$OUT/results.md"
java -cp "$JAR" bench/FanOut.java --header | tee -a "$OUT/results.md"
for nodes in $NODES; do
  buses=local; [ "$nodes" -gt 1 ] && buses=$BUSES
  for bus in $buses; do
    if [[ $SCENARIOS == *shared* ]]; then
      start_nodes "$nodes" "$bus" none
      for n in "${SOCKETS[@]}"; do scenario "$nodes" "$bus" "$n" 1; done
      stop_nodes
    fi
    if [[ $SCENARIOS == *spread* ]]; then
      start_nodes "$nodes" "$bus" jwt
      for n in "${SOCKETS[@]}"; do
        for ns in $NAMESPACES; do [ "$ns" -le "$n" ] && scenario "$nodes" "$bus" "$n" "$ns"; done
      done
      stop_nodes
    fi
  done
done
if [ -n "${FANOUT_CSV:-}" ]; then
  # the table's columns: | scenario | socks | ns | nodes | writes | delivered | missed | p50 | p99 | max | msgs/s | ...
  { echo "sockets,p50_ms,p99_ms,msgs_per_s"
    awk -F'|' '$2 ~ /shared ns, 1 node/ {gsub(/ /, ""); print $3 "," $9 "," $10 "," $12}' "$OUT/results.md"; } > "$FANOUT_CSV"
fi
echo "results in $OUT/results.md"
