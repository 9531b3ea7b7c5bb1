# Shell functions shared by the bench/ commands (sourced by run.sh, sync.sh, peers.sh, curves.sh; not run itself).
# The caller sets -euo pipefail, cds to the project root and sets OUT (where logs and per-run files go) before
# calling the functions that write files. Everything here targets 127.0.0.1.

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "== $*" >&2; }

# ------------------------------------------------------------------------------------------------------- tools
bench_apt() { # <package>...: apt-get install, through sudo when not root
    say "installing $*"
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq "$@" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$@" >/dev/null; }
    else sudo apt-get install -y -qq "$@" >/dev/null || { sudo apt-get update -qq && sudo apt-get install -y -qq "$@" >/dev/null; }; fi
}
bench_need() { # <command> [package]: installs the package (default: the command's name) when the command is missing
    command -v "$1" >/dev/null || bench_apt "${2:-$1}"
    command -v "$1" >/dev/null || die "$1 not found"
}

# ------------------------------------------------------------------------------------------------------- PostgreSQL
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

bench_pg_check() {
    case "$PGHOST" in 127.0.0.1|localhost|::1) ;; *) die "PGHOST must be loopback (got $PGHOST)";; esac
    bench_need psql postgresql-client
    "${PSQL[@]}" -d postgres -c 'select 1' >/dev/null || die "cannot reach PostgreSQL at $PGHOST:$PGPORT as $PGUSER"
}
bench_pg_recreate() { # <db>: drops and creates a dedicated database
    case "$1" in test|postgres|template0|template1) die "refusing to drop database '$1'; pick a dedicated one";; esac
    [[ "$1" =~ ^[a-z_][a-z0-9_]*$ ]] || die "database names must be plain lower-case identifiers (got '$1')"
    say "re-creating database $1"
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
}
bench_jdbc() { echo "jdbc:postgresql://$PGHOST:$PGPORT/$1?user=$PGUSER"; }

# ------------------------------------------------------------------------------------------------------- our server
# bench_jar: builds datafn-server's jar when missing or older than the sources (REBUILD=1 forces it; SERVER_JAR=path
# measures that jar instead) and copies it to $OUT/server.jar, so that the run keeps its own binary even if the project
# is rebuilt meanwhile. Sets JAR to the copy.
bench_jar() {
    local jar=${SERVER_JAR:-datafn-server/target/datafn-server.jar}
    if [ -n "${SERVER_JAR:-}" ]; then
        [ -f "$jar" ] || die "SERVER_JAR $jar not found"
    elif [ "${REBUILD:-0}" = 1 ] || [ ! -f "$jar" ] || \
       [ -n "$(find pom.xml datafn-*/pom.xml datafn-*/src/main -newer "$jar" -print -quit 2>/dev/null)" ]; then
        say "building $jar"
        # a package over an existing shaded jar can keep its old classes (the jar is not rebuilt, then shaded again)
        rm -f "$jar" datafn-server/target/original-datafn-server.jar
        ./mvnw -q -DskipTests package -pl datafn-server -am
    fi
    cp "$jar" "$OUT/server.jar"
    JAR=$OUT/server.jar
}

# bench_start <name> <url> <command...>: starts a server in the background (output in $OUT/<name>.log), waits until
# <url> answers (at most 90 s) and sets STARTED_PID. bench_stop_all (installed as the EXIT trap by bench_traps) stops
# every server started this way, by its PID.
BENCH_PIDS=()
bench_start() {
    local name=$1 url=$2; shift 2
    "$@" > "$OUT/$name.log" 2>&1 &
    STARTED_PID=$!
    BENCH_PIDS+=("$STARTED_PID")
    local i
    for i in $(seq 1 180); do
        curl -s -o /dev/null "$url" 2>/dev/null && return 0
        kill -0 "$STARTED_PID" 2>/dev/null || { tail -20 "$OUT/$name.log" >&2; die "$name exited"; }
        [ "$i" = 180 ] && { tail -20 "$OUT/$name.log" >&2; die "$name did not answer $url within 90 s"; }
        sleep 0.5
    done
}
# bench_datafn <name> <port> <server args...>: our server (java $JAVA_OPTS -jar $JAR) on 127.0.0.1:<port>
bench_datafn() {
    local name=$1 port=$2; shift 2
    # shellcheck disable=SC2086
    bench_start "$name" "http://127.0.0.1:$port/datafn/status" \
        java ${JAVA_OPTS:--Xms1g -Xmx1g} "${JFR_OPTS[@]}" -jar "$JAR" --host 127.0.0.1 --port "$port" "$@"
}
JFR_OPTS=()
bench_stop_all() {
    local p
    for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${BENCH_PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$p" 2>/dev/null || true
    done
    BENCH_PIDS=()
}
bench_traps() { trap bench_stop_all EXIT; trap 'exit 130' INT TERM; }

# ------------------------------------------------------------------------------------------------------- machine
bench_machine() { # prints the machine description; extra lines are given as arguments
    echo "date:       $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit:     $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo ' (+ local changes)')"
    echo "cpu:        $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "memory:     $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "os:         $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "java:       $(java -version 2>&1 | head -2 | tail -1)"
    if "${PSQL[@]}" -d postgres -c 'select 1' >/dev/null 2>&1; then
        echo "postgresql: $("${PSQL[@]}" -d postgres -Atc 'show server_version')," \
             "shared_buffers=$("${PSQL[@]}" -d postgres -Atc 'show shared_buffers')," \
             "synchronous_commit=$("${PSQL[@]}" -d postgres -Atc 'show synchronous_commit')," \
             "fsync=$("${PSQL[@]}" -d postgres -Atc 'show fsync')"
    fi
    echo "wrk:        $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
    local line; for line in "$@"; do echo "$line"; done
    echo "loadavg:    $(cut -d' ' -f1-3 /proc/loadavg) (before the run)"
}

# ------------------------------------------------------------------------------------------------------- measuring
# CPU is attributed from the kernel's per-thread run times (/proc/PID/task/*/schedstat, nanoseconds): the server
# process (every thread), the load generator, and the PostgreSQL backends connected to a given database (sampled
# every 0.25 s, since short-lived backends exit with their client). "foreign" is the rest of the machine's busy time:
# other processes on a shared machine.
CLK=$(getconf CLK_TCK)
tasks_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
bench_backends() { # <db>: "pid ns" for every backend of the database (nothing when db is empty)
    local files
    [ -n "$1" ] || return 0
    files=$(grep -l -a -F " $1 " /proc/[0-9]*/cmdline 2>/dev/null | sed 's/cmdline$/schedstat/')
    # shellcheck disable=SC2086
    [ -z "$files" ] || awk '{split(FILENAME, p, "/"); print p[3], $1}' $files 2>/dev/null
}
machine_ticks() { awk '/^cpu / {busy = $2 + $3 + $4 + $7 + $8; print busy, busy + $5 + $6}' /proc/stat; }

# measure_cpu <name> <server-pid> <pg-db or ""> <command...>: runs the load generator in the background while
# sampling; prints "server_ns pg_ns gen_ns foreign% idle%" after it ends. Its output goes to $OUT/<name>.txt.
measure_cpu() {
    local name=$1 pid=$2 db=$3; shift 3
    local samples="$OUT/$name.cpu" gen s0 s1 m0 m1
    bench_backends "$db" | sed 's/^/start /' > "$samples"
    s0=$(tasks_ns "$pid")
    m0=$(machine_ticks)
    "$@" > "$OUT/$name.txt" 2>&1 &
    gen=$!
    while kill -0 "$gen" 2>/dev/null; do
        { bench_backends "$db" | sed 's/^/pg /'; echo "gen $gen $(tasks_ns "$gen")"; } >> "$samples"
        sleep 0.25
    done
    wait "$gen" || echo "EXIT $?" >> "$OUT/$name.txt"
    s1=$(tasks_ns "$pid")
    m1=$(machine_ticks)
    awk -v s=$((s1 - s0)) -v m0="$m0" -v m1="$m1" -v clk="$CLK" '
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

# quiet: this machine may be shared; before each measured run wait (at most QUIET_WAIT s, default 180) until the
# cores are idle, so that another process's burst does not start inside one side of a comparison only.
quiet() {
    local waited=0 a b idle
    while :; do
        a=$(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat)
        sleep 2
        b=$(awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat)
        idle=$(awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); d = y[2] - x[2]; print (d > 0) ? int(100 * (y[1] - x[1]) / d) : 100}')
        [ "$idle" -ge 90 ] && return 0
        if [ "$waited" -ge "${QUIET_WAIT:-180}" ]; then say "WARNING: machine still busy (idle ${idle}%), measuring anyway"; return 0; fi
        [ "$waited" = 0 ] && say "waiting for the machine to be idle (idle ${idle}%)"
        waited=$((waited + 2))
    done
}

per_request() { # <"server_ns pg_ns gen_ns foreign idle"> <count>: CPU ms per request (or per whatever count counts)
    awk -v n="$2" '{ if (n <= 0) n = 1; printf "%.5f %.5f %.5f %s %s", $1 / n / 1e6, $2 / n / 1e6, $3 / n / 1e6, $4, $5 }' <<<"$1"
}

# bench_load <name> <server-pid> <pg-db or ""> <command...>: runs a load generator that prints one line
# "RESULT rps=.. requests=.. ok=.. bad=.. sockerr=.. p50_ms=.. p99_ms=.." (bench/wrk-common.lua, bench/peers/client.mjs)
# under measure_cpu. Prints "rate p50_ms p99_ms ok failed server_ms pg_ms gen_ms foreign% idle%", the *_ms columns
# being CPU milliseconds per request; warns about failed requests.
bench_load() {
    local name=$1 pid=$2 db=$3; shift 3
    local cpu res bad n
    cpu=$(measure_cpu "$name" "$pid" "$db" "$@")
    kill -0 "$pid" 2>/dev/null || { tail -5 "$OUT/"*.log >&2; die "the server stopped during $name"; }
    res=$(grep '^RESULT' "$OUT/$name.txt" || true)
    [ -n "$res" ] || { cat "$OUT/$name.txt" >&2; die "$name produced no result"; }
    bad=$(sed -n 's/.* bad=\([0-9]*\).*/\1/p' <<<"$res")
    if [ "$bad" != 0 ]; then
        grep '^FIRST_BAD' "$OUT/$name.txt" >&2 || true
        say "WARNING: $bad failed responses in $name"
    fi
    n=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$res")
    awk -v cpu="$(per_request "$cpu" "$n")" '{
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "%s %s %s %s %s %s\n", v["rps"], v["p50_ms"], v["p99_ms"], v["ok"], v["bad"] + v["sockerr"], cpu
    }' <<<"$res"
}
# bench_wrk <name> <server-pid> <pg-db or ""> <base-url> <lua> <seconds> <connections>: wrk through bench_load
# (BENCH_DIR and BENCH_RUN_ID are passed to the Lua scripts; at most 2 client threads)
bench_wrk() {
    local name=$1 pid=$2 db=$3 url=$4 lua=$5 secs=$6 conns=$7
    local threads=$(( conns < ${THREADS:-2} ? conns : ${THREADS:-2} ))
    BENCH_DIR="$ROOT/bench" BENCH_RUN_ID="$name-$(date +%s%N)" bench_load "$name" "$pid" "$db" \
        wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s -s "$lua" "$url"
}

# ------------------------------------------------------------------------------------------------------- results
# A results table: one TSV line per measured run (bench_record), read back by the report's awk program, which starts
# with BENCH_AWK_RESULTS: median(list) of a space-separated list; per scenario+side key k (order[1..nk], seen[k]),
# col[k, c] the values of column c over the rounds, runs[k] the rounds' rates ("412, 398"), failed[k].
bench_results_init() { # sets RESULTS=$OUT/results.tsv and writes its header
    RESULTS="$OUT/results.tsv"
    printf 'scenario\tside\tround\trate\tp50_ms\tp99_ms\tok\tfailed\tserver_cpu_ms\tpg_cpu_ms\tgen_cpu_ms\tforeign_pct\tidle_pct\n' > "$RESULTS"
}
bench_record() { # <scenario> <side> <round> <bench_load line>
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(tr ' ' '\t' <<<"$4")" >> "$RESULTS"
    say "$1 / $2 / round $3: $(awk '{printf "%s per s, p50 %s ms, p99 %s ms, CPU ms per request: server %s, PostgreSQL %s, load generator %s; foreign %s%%, idle %s%%", $1, $2, $3, $6, $7, $8, $9, $10}' <<<"$4")"
}
BENCH_AWK_RESULTS='
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
    runs[k] = runs[k] (runs[k] == "" ? "" : ", ") sprintf("%.0f", $4)
    if ($8 + 0 > 0) failed[k] += $8
}
'
