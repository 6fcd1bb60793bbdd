#!/usr/bin/env bash
# Benchmarks (issue 7): throughput, CPU, memory and latency of pgcdc next to pg_recvlogical and pypgcdc.
#
#   scripts/bench.sh                 # full sizes (W1 200k, W2 20k×5, W3 50k+50k, W4 2M, W5 30 s)
#   BENCH_QUICK=1 scripts/bench.sh   # 10× smaller workloads, W5 10 s
#
# Builds the release binaries, starts a throwaway PostgreSQL 15 tuned for benchmarking, runs every workload
# against every consumer (alternating, BENCH_RUNS runs each, default 3), prints a Markdown report and writes it
# to docs/performance.md (BENCH_OUTPUT to change; BENCH_OUTPUT=- prints only).
#
# Environment: BENCH_QUICK=1, BENCH_RUNS=N, BENCH_WORKLOADS="W1 W2 W3 W4 W5 MICRO SNAPSHOT TRIGGERS" (subset), BENCH_SKIP_BUILD=1,
# BENCH_PYPGCDC=0 (skip pypgcdc), BENCH_KEEP=1 (keep the work dir), BENCH_TIMEOUT (seconds per run, default 900).
set -euo pipefail
unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGPASSFILE PGSSLMODE PGSERVICE PGOPTIONS

PGCDC_SCRIPT_NAME="bench.sh"
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

QUICK="${BENCH_QUICK:-0}"
RUNS="${BENCH_RUNS:-3}"
WORKLOADS="${BENCH_WORKLOADS:-W1 W2 W3 W4 W5 MICRO SNAPSHOT TRIGGERS}"
TIMEOUT="${BENCH_TIMEOUT:-900}"
OUTPUT="${BENCH_OUTPUT:-docs/performance.md}"
if [[ "$QUICK" == 1 ]]; then SCALE=10; W5_SECONDS="${BENCH_W5_SECONDS:-10}"; else SCALE=1; W5_SECONDS="${BENCH_W5_SECONDS:-30}"; fi
W1_ROWS=$((200000 / SCALE))
W2_TXNS=$((20000 / SCALE))
W3_ROWS=$((50000 / SCALE))
W4_ROWS=$((2000000 / SCALE))
SNAP_ROWS=$((1000000 / SCALE))
if [[ "$QUICK" == 1 ]]; then TPS_SECONDS=5; else TPS_SECONDS=20; fi
W5_RATE=1000
PUB=bench_pub

WORK="$(mktemp -d /tmp/pgcdc-bench-XXXXXX)"
RESULTS="$WORK/results.tsv"
META="$WORK/meta.txt"
: >"$RESULTS"
: >"$META"
CLUSTER_STARTED=0
BACKGROUND_PIDS=()

cleanup() {
    local pid
    for pid in "${BACKGROUND_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [[ "$CLUSTER_STARTED" == 1 ]]; then scripts/test-cluster.sh stop "$PGCDC_TEST_CLUSTER" || true; fi
    if [[ "${BENCH_KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

meta() { printf '%s=%s\n' "$1" "$2" >>"$META"; }
wants() { [[ " $WORKLOADS " == *" $1 "* ]]; }

# ---- build -----------------------------------------------------------------------------------------------------

# The binaries are built as the README says to build pgcdc for use: release, with the Swift runtime and Foundation
# linked in (--static-swift-stdlib), so the process maps only the parts it uses and needs no Swift toolchain.
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    for product in pgcdc pgcdc-bench pgcdc-microbench; do
        log "swift build -c release --static-swift-stdlib --product $product"
        swift build -c release --static-swift-stdlib --product "$product" 2>&1 | tail -3 >&2
    done
fi
BIN="$(swift build -c release --static-swift-stdlib --show-bin-path)"
for product in pgcdc pgcdc-bench pgcdc-microbench; do
    [[ -x "$BIN/$product" ]] || die "$BIN/$product is missing: build it (or drop BENCH_SKIP_BUILD)"
done

# ---- pypgcdc venv (git-ignored cache) --------------------------------------------------------------------------

VENV="$ROOT/.cache/pypgcdc-venv"
PYPGCDC="${BENCH_PYPGCDC:-1}"
if [[ "$PYPGCDC" == 1 && ! -x "$VENV/bin/python" ]]; then
    log "installing pypgcdc into $VENV"
    if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q 'python-postgres-cdc==0.0.0rc2' psycopg2-binary 'pydantic<2'; } >&2; then
        log "pypgcdc could not be installed; its rows will say so"
        PYPGCDC=0
        meta note.pypgcdc "pypgcdc could not be installed from PyPI on this run."
    fi
fi

# ---- server ----------------------------------------------------------------------------------------------------

eval "$(scripts/test-cluster.sh start --version 15)"
CLUSTER_STARTED=1
PGBIN="$PGCDC_TEST_BINDIR"
PRIMARY_DIR="$PGCDC_TEST_CLUSTER/$(cat "$PGCDC_TEST_CLUSTER/state/primary")"
DSN="host=127.0.0.1 port=$PGPORT user=postgres password=$PGPASSWORD dbname=postgres sslmode=disable"
export PGSSLMODE=disable

sql() { "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$DSN" -c "$1"; }

log "tuning the server for benchmarking (fsync, synchronous_commit, full_page_writes off)"
for setting in "fsync = off" "synchronous_commit = off" "full_page_writes = off" "max_wal_senders = 32" \
    "max_replication_slots = 64" "max_wal_size = '4GB'" "shared_buffers = '256MB'" "checkpoint_timeout = '30min'"; do
    sql "ALTER SYSTEM SET $setting" >/dev/null
done
as_server "$PGBIN/pg_ctl" -D "$PRIMARY_DIR" -l "$PGCDC_TEST_CLUSTER/primary.log" -w -t 60 restart >/dev/null
until "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -t 2; do sleep 0.2; done
[[ "$(sql 'SHOW fsync')" == off ]] || die "fsync is still on after the restart"

sql "CREATE TABLE bench (id integer PRIMARY KEY, json_data jsonb, amount numeric(10,2),
        updated_at timestamptz NOT NULL, text_data text)" >/dev/null
sql "CREATE PUBLICATION $PUB FOR TABLE bench" >/dev/null
sql "CREATE SEQUENCE bench_w5_seq START 100000000" >/dev/null

CLK_TCK="$(getconf CLK_TCK)"
meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
meta nproc "$(nproc)"
meta memory "$(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
meta kernel "$(uname -sr)"
meta postgres "$(sql 'SELECT version()' | cut -d, -f1)"
meta swift "$(swift --version 2>&1 | head -1); binaries: swift build -c release --static-swift-stdlib"
meta git "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
meta mode "$([[ "$QUICK" == 1 ]] && echo 'BENCH_QUICK=1 (10× smaller workloads)' || echo 'full sizes')"
meta runs "$RUNS"
meta consumer.stream_file "pgcdc stream → file (--output, fsync per txn)"
meta consumer.stream_null "pgcdc stream → /dev/null"
meta consumer.stream_null_binary "pgcdc stream --binary → /dev/null"
meta consumer.lib_typed "pgcdc-bench (library, typed)"
meta consumer.lib_typed_binary "pgcdc-bench --binary (library, typed)"
meta consumer.stream_null_v1 "pgcdc stream --protocol-version 1 → /dev/null"
meta consumer.stream_null_v2s "pgcdc stream --protocol-version 2 --streaming → /dev/null"
meta consumer.lib_typed_v1 "pgcdc-bench --protocol-version 1 (library, typed)"
meta consumer.lib_typed_v2s "pgcdc-bench --protocol-version 2 --streaming (library, typed)"
meta consumer.pg_recvlogical "pg_recvlogical (proto 1, --endpos, -f /dev/null)"
meta consumer.pypgcdc "pypgcdc 0.0.0rc2 (DataStore counting)"
meta consumer.stream_pipe "pgcdc stream → pipe → latency reader"

# ---- workloads -------------------------------------------------------------------------------------------------

ROW_SQL="jsonb_build_object('id', g, 'tags', jsonb_build_array('a', 'b', 'c'), 'nested', jsonb_build_object('x', g * 2, 'y', 'text')),
         (g % 100000) / 100.0, now(), md5(g::text) || ' some text payload for the row'"

reset_table() { sql "TRUNCATE bench" >/dev/null; }

generate() { # WORKLOAD
    case "$1" in
    W1) sql "INSERT INTO bench SELECT g, $ROW_SQL FROM generate_series(1, $W1_ROWS) g" >/dev/null ;;
    W2)
        # 5-insert transactions, sent as one script of many transactions through one session.
        awk -v n="$W2_TXNS" -v row="$ROW_SQL" 'BEGIN {
            for (t = 0; t < n; t++) printf "BEGIN; INSERT INTO bench SELECT g, %s FROM generate_series(%d, %d) g; COMMIT;\n", row, t * 5 + 1, t * 5 + 5
        }' >"$WORK/w2.sql"
        "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DSN" -f "$WORK/w2.sql" >/dev/null
        ;;
    W3)
        local start
        for ((start = 1; start <= W3_ROWS; start += 1000)); do
            echo "UPDATE bench SET amount = amount + 1, updated_at = now(), text_data = text_data || '!' WHERE id BETWEEN $start AND $((start + 999));"
        done >"$WORK/w3.sql"
        for ((start = 1; start <= W3_ROWS; start += 1000)); do
            echo "DELETE FROM bench WHERE id BETWEEN $start AND $((start + 999));"
        done >>"$WORK/w3.sql"
        "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DSN" -f "$WORK/w3.sql" >/dev/null
        ;;
    W4) sql "INSERT INTO bench SELECT g, $ROW_SQL FROM generate_series(1, $W4_ROWS) g" >/dev/null ;;
    esac
}

prepare() { # WORKLOAD (rows that must exist before the slots: W3 updates and deletes them)
    reset_table
    if [[ "$1" == W3 ]]; then sql "INSERT INTO bench SELECT g, $ROW_SQL FROM generate_series(1, $W3_ROWS) g" >/dev/null; fi
}

expected_changes() { # WORKLOAD
    case "$1" in
    W1) echo "$W1_ROWS" ;;
    W2) echo $((W2_TXNS * 5)) ;;
    W3) echo $((W3_ROWS * 2)) ;;
    W4) echo "$W4_ROWS" ;;
    esac
}

# wait_flushed LSN: with synchronous_commit=off the walsender only sends WAL the WAL writer flushed.
wait_flushed() {
    sql "CHECKPOINT" >/dev/null
    until [[ "$(sql "SELECT pg_current_wal_flush_lsn() >= '$1'::pg_lsn")" == t ]]; do sleep 0.1; done
}

# ---- consumers -------------------------------------------------------------------------------------------------

# sample_walsender SLOT OUT STOPFILE: the user+sys CPU seconds of the walsender serving SLOT, last sample.
sample_walsender() {
    local slot="$1" out="$2" stop="$3" pid="" stat ticks=""
    while [[ -z "$pid" ]]; do
        pid="$(sql "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$slot'" 2>/dev/null || true)"
        if [[ -z "$pid" ]]; then
            [[ -f "$stop" ]] && { echo "-" >"$out"; return 0; }
            sleep 0.02
        fi
    done
    while stat="$(cat "/proc/$pid/stat" 2>/dev/null)"; do
        # Fields after the command name (which is in parentheses): utime is field 14, stime 15.
        stat="${stat##*) }"
        read -r -a fields <<<"$stat"
        ticks=$((fields[11] + fields[12]))
        sleep 0.02
    done
    if [[ -n "$ticks" ]]; then awk -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f\n", t / hz }' >"$out"; else echo "-" >"$out"; fi
}

consumer_command() { # CONSUMER SLOT N ENDLSN -> sets CMD (array) and REDIRECT
    local consumer="$1" slot="$2" n="$3" end="$4"
    local stream=("$BIN/pgcdc" stream --dsn "$DSN" --slot "$slot" --publication "$PUB" --no-create-slot
        --max-changes "$n" --log-level warning)
    local lib=("$BIN/pgcdc-bench" --dsn "$DSN" --slot "$slot" --publication "$PUB" --count "$n" --typed)
    REDIRECT=/dev/null
    case "$consumer" in
    stream_file) CMD=("${stream[@]}" --output "$WORK/out.jsonl") ;;
    stream_null) CMD=("${stream[@]}") ;;
    stream_null_binary) CMD=("${stream[@]}" --binary) ;;
    stream_null_v1) CMD=("${stream[@]}" --protocol-version 1) ;;
    stream_null_v2s) CMD=("${stream[@]}" --protocol-version 2 --streaming) ;;
    lib_typed) CMD=("${lib[@]}") ;;
    lib_typed_binary) CMD=("${lib[@]}" --binary) ;;
    lib_typed_v1) CMD=("${lib[@]}" --protocol-version 1) ;;
    lib_typed_v2s) CMD=("${lib[@]}" --protocol-version 2 --streaming) ;;
    pg_recvlogical)
        CMD=("$PGBIN/pg_recvlogical" -d "$DSN" --slot "$slot" --start --endpos "$end" --no-loop
            -o proto_version=1 -o "publication_names=$PUB" -f /dev/null)
        ;;
    pypgcdc)
        CMD=(env "BENCH_DSN=$DSN" "BENCH_SLOT=$slot" "BENCH_PUBLICATION=$PUB" "BENCH_COUNT=$n"
            "$VENV/bin/python" "$ROOT/scripts/bench/pypgcdc_count.py")
        ;;
    *) die "unknown consumer $consumer" ;;
    esac
}

run_consumer() { # WORKLOAD CONSUMER RUN SLOT N ENDLSN
    local workload="$1" consumer="$2" run="$3" slot="$4" n="$5" end="$6"
    if [[ "$consumer" == pypgcdc && "$PYPGCDC" != 1 ]]; then
        printf 'run\t%s\t%s\t%s\t%s\t0\t0\t0\t0\t-\tnot installed\n' "$workload" "$consumer" "$run" "$n" >>"$RESULTS"
        return 0
    fi
    consumer_command "$consumer" "$slot" "$n" "$end"
    rm -f "$WORK/out.jsonl" "$WORK/stop" "$WORK/walsender"
    sample_walsender "$slot" "$WORK/walsender" "$WORK/stop" &
    local sampler=$!
    local status=ok rc=0
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" timeout "$TIMEOUT" "${CMD[@]}" >"$REDIRECT" 2>"$WORK/stderr" || rc=$?
    touch "$WORK/stop"
    wait "$sampler" || true
    if [[ "$rc" == 124 ]]; then status=timeout; elif [[ "$rc" != 0 ]]; then status="exit $rc"; fi
    if [[ "$status" != ok ]]; then
        log "$workload $consumer run $run: $status; stderr:"
        tail -n 5 "$WORK/stderr" >&2
    fi
    if [[ "$consumer" == stream_file && "$status" == ok ]]; then
        local lines
        lines="$(wc -l <"$WORK/out.jsonl")"
        [[ "$lines" == "$n" ]] || { status="wrote $lines lines"; log "$workload stream_file: $lines lines, expected $n"; }
    fi
    local wall=0 user=0 sys=0 rss=0
    read -r wall user sys rss < <(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$WORK/time" | tail -1) || true
    printf 'run\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$consumer" "$run" "$n" "$wall" "$user" "$sys" \
        "$rss" "$(cat "$WORK/walsender")" "$status" >>"$RESULTS"
    log "$workload $consumer run $run: ${wall}s cpu $user+$sys rss ${rss}KB walsender $(cat "$WORK/walsender") ($status)"
    sql "SELECT pg_drop_replication_slot('$slot')" >/dev/null 2>&1 || true
}

throughput_workload() { # WORKLOAD CONSUMERS...
    local workload="$1"
    shift
    local consumers=("$@") run consumer slots=()
    log "$workload: preparing"
    prepare "$workload"
    for ((run = 1; run <= RUNS; run++)); do
        for consumer in "${consumers[@]}"; do
            local slot
            slot="$(echo "bench_${workload}_${consumer}_${run}" | tr 'A-Z' 'a-z')"
            sql "SELECT pg_create_logical_replication_slot('$slot', 'pgoutput')" >/dev/null
            slots+=("$slot")
        done
    done
    log "$workload: generating the workload"
    local began=$SECONDS
    generate "$workload"
    local end n
    end="$(sql 'SELECT pg_current_wal_insert_lsn()')"
    n="$(expected_changes "$workload")"
    wait_flushed "$end"
    log "$workload: N=$n end LSN $end ($((SECONDS - began)) s to generate)"
    for ((run = 1; run <= RUNS; run++)); do
        for consumer in "${consumers[@]}"; do
            local slot
            slot="$(echo "bench_${workload}_${consumer}_${run}" | tr 'A-Z' 'a-z')"
            run_consumer "$workload" "$consumer" "$run" "$slot" "$n" "$end"
        done
    done
}

latency_workload() {
    log "W5: ${W5_RATE} txn/s for ${W5_SECONDS}s"
    reset_table
    sql "SELECT pg_create_logical_replication_slot('bench_w5', 'pgoutput')" >/dev/null
    echo "INSERT INTO bench VALUES (nextval('bench_w5_seq'), '{\"k\": 1, \"tags\": [\"a\"]}', 12.34, now(), 'latency probe');" \
        >"$WORK/w5.sql"
    mkfifo "$WORK/w5.fifo"
    python3 "$ROOT/scripts/bench/latency_reader.py" <"$WORK/w5.fifo" >"$WORK/w5.out" &
    local reader=$!
    BACKGROUND_PIDS+=("$reader")
    "$BIN/pgcdc" stream --dsn "$DSN" --slot bench_w5 --publication "$PUB" --no-create-slot --log-level warning \
        >"$WORK/w5.fifo" 2>"$WORK/w5.stderr" &
    local stream=$!
    BACKGROUND_PIDS+=("$stream")
    until [[ -n "$(sql "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'bench_w5'")" ]]; do
        kill -0 "$stream" 2>/dev/null || { tail -n 5 "$WORK/w5.stderr" >&2; die "W5: pgcdc stream exited before streaming"; }
        sleep 0.1
    done
    PGOPTIONS="-c synchronous_commit=on" "$PGBIN/pgbench" -n -f "$WORK/w5.sql" -R "$W5_RATE" -T "$W5_SECONDS" \
        -c 4 -j 2 "$DSN" >"$WORK/w5.pgbench" 2>&1 || { cat "$WORK/w5.pgbench" >&2; die "pgbench failed"; }
    sleep 2
    kill -INT "$stream" 2>/dev/null || true
    # Ctrl-C is a clean exit for pgcdc stream (0); anything else, or a reader that saw no events, fails W5.
    wait "$stream" || { tail -n 5 "$WORK/w5.stderr" >&2; die "W5: pgcdc stream failed"; }
    wait "$reader" || die "W5: the latency reader saw no events ($(cat "$WORK/w5.out"))"
    local result
    result="$(cat "$WORK/w5.out")"
    log "W5: $result"
    local events p50 p99 max
    events="$(sed -n 's/.*events=\([0-9]*\).*/\1/p' <<<"$result")"
    p50="$(sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' <<<"$result")"
    p99="$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$result")"
    max="$(sed -n 's/.*max_ms=\([0-9.]*\).*/\1/p' <<<"$result")"
    printf 'latency\tW5\tstream_pipe\t%s\t%s\t%s\t%s\t%s\t%s\n' "$events" "$p50" "$p99" "$max" "$W5_RATE" "$W5_SECONDS" \
        >>"$RESULTS"
    sql "SELECT pg_drop_replication_slot('bench_w5')" >/dev/null 2>&1 || true
}

# allocations STAGE: heap allocations per event from valgrind's summary at two iteration counts.
allocations() {
    command -v valgrind >/dev/null 2>&1 || { echo "–"; return 0; }
    local stage="$1" a1 a2 e1 e2 micro="$WORK/pgcdc-microbench"
    # valgrind cannot read the DWARF 5 debug info of Swift binaries; the symbol table is enough.
    [[ -x "$micro" ]] || strip --strip-debug -o "$micro" "$BIN/pgcdc-microbench"
    a1="$(valgrind "$micro" --iterations 1 --stage "$stage" 2>&1 >"$WORK/m1" | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,)"
    a2="$(valgrind "$micro" --iterations 3 --stage "$stage" 2>&1 >"$WORK/m2" | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,)"
    e1="$(sed -n 's/.* events=\([0-9]*\).*/\1/p' "$WORK/m1")"
    e2="$(sed -n 's/.* events=\([0-9]*\).*/\1/p' "$WORK/m2")"
    if [[ -n "$a1" && -n "$a2" && -n "$e1" && -n "$e2" && "$e2" != "$e1" ]]; then
        awk -v a1="$a1" -v a2="$a2" -v e1="$e1" -v e2="$e2" 'BEGIN { printf "%.1f\n", (a2 - a1) / (e2 - e1) }'
    else
        echo "–"
    fi
}

micro_benchmark() {
    log "micro-benchmark"
    local iterations=$((300 / SCALE)) stage line
    for stage in decode typed json; do
        line="$("$BIN/pgcdc-microbench" --iterations "$iterations" --stage "$stage")"
        log "$line"
        # stage=S bytes=B events=E seconds=T mb_per_second=M events_per_second=V ns_per_event=N
        read -r -a parts <<<"$(tr ' ' '\n' <<<"$line" | cut -d= -f2 | tr '\n' ' ')"
        printf 'micro\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${parts[@]:0:7}" "$(allocations "$stage")" >>"$RESULTS"
    done
}

# snapshot_workload: the initial snapshot of a fresh slot (`pgcdc stream --snapshot initial-only`, JSON lines to
# /dev/null, 1, 2 and 4 workers) against `psql \copy (SELECT * …) TO '/dev/null'`, on a table of SNAP_ROWS rows.
snapshot_workload() {
    log "SNAPSHOT: $SNAP_ROWS rows"
    sql "CREATE TABLE bench_snap (LIKE bench INCLUDING ALL)" >/dev/null
    sql "INSERT INTO bench_snap SELECT g, $ROW_SQL FROM generate_series(1, $SNAP_ROWS) g" >/dev/null
    sql "VACUUM ANALYZE bench_snap" >/dev/null
    sql "CREATE PUBLICATION bench_snap_pub FOR TABLE bench_snap" >/dev/null
    local run reader rc status wall user sys rss
    for ((run = 1; run <= RUNS; run++)); do
        for reader in copy snap_w1 snap_w2 snap_w4; do
            rc=0
            if [[ "$reader" == copy ]]; then
                /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" timeout "$TIMEOUT" \
                    "$PGBIN/psql" -X -q -d "$DSN" -c "\\copy (SELECT * FROM bench_snap) TO '/dev/null'" \
                    >/dev/null 2>"$WORK/stderr" || rc=$?
            else
                /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" timeout "$TIMEOUT" \
                    "$BIN/pgcdc" stream --dsn "$DSN" --slot "bench_snap_$run" --publication bench_snap_pub \
                    --snapshot initial-only --snapshot-workers "${reader#snap_w}" --log-level warning \
                    >/dev/null 2>"$WORK/stderr" || rc=$?
                sql "SELECT pg_drop_replication_slot('bench_snap_$run')" >/dev/null 2>&1 || true
            fi
            status=ok
            if [[ "$rc" != 0 ]]; then
                status="exit $rc"
                tail -n 5 "$WORK/stderr" >&2
            fi
            read -r wall user sys rss < <(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$WORK/time" | tail -1) || true
            printf 'snapshot\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$reader" "$run" "$SNAP_ROWS" "$wall" "$user" "$sys" \
                "$rss" "$status" >>"$RESULTS"
            log "SNAPSHOT $reader run $run: ${wall}s cpu $user+$sys rss ${rss}KB ($status)"
        done
    done
    sql "DROP PUBLICATION bench_snap_pub; DROP TABLE bench_snap" >/dev/null
}

# trigger_overhead: pgbench TPS on a published table without and with the failover log triggers (`pgcdc failover
# install`), alternating; each transaction updates, inserts and deletes one row (three logged rows).
trigger_overhead() {
    log "TRIGGERS: ${TPS_SECONDS}s pgbench runs without and with the log triggers"
    sql "CREATE TABLE bench_items (id bigint PRIMARY KEY, qty int NOT NULL, note text, updated timestamptz)" >/dev/null
    sql "INSERT INTO bench_items SELECT g, 0, 'item ' || g, now() FROM generate_series(1, 100000) g" >/dev/null
    sql "VACUUM ANALYZE bench_items" >/dev/null
    sql "CREATE PUBLICATION bench_items_pub FOR TABLE bench_items" >/dev/null
    cat >"$WORK/tps.sql" <<'SQL'
\set id random(1, 100000)
\set nid random(100001, 1000000000)
BEGIN;
UPDATE bench_items SET qty = qty + 1, updated = now() WHERE id = :id;
INSERT INTO bench_items VALUES (:nid, 1, 'new', now()) ON CONFLICT (id) DO NOTHING;
DELETE FROM bench_items WHERE id = :nid;
END;
SQL
    local run mode tps latency
    for ((run = 1; run <= RUNS; run++)); do
        for mode in without with; do
            if [[ "$mode" == with ]]; then
                "$BIN/pgcdc" failover install --dsn "$DSN" --publication bench_items_pub \
                    >/dev/null || die "pgcdc failover install failed"
            fi
            "$PGBIN/pgbench" -n -c 4 -j 2 -T "$TPS_SECONDS" -f "$WORK/tps.sql" "$DSN" >"$WORK/tps.out" 2>&1 \
                || { cat "$WORK/tps.out" >&2; die "pgbench failed"; }
            tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/tps.out" | head -1)"
            latency="$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$WORK/tps.out" | head -1)"
            printf 'tps\t%s\t%s\t%s\t%s\n' "$mode" "$run" "$tps" "$latency" >>"$RESULTS"
            log "TRIGGERS $mode run $run: $tps tps, latency $latency ms"
            if [[ "$mode" == with ]]; then
                "$BIN/pgcdc" failover uninstall --dsn "$DSN" >/dev/null \
                    || die "pgcdc failover uninstall failed"
            fi
        done
    done
    sql "DROP PUBLICATION bench_items_pub; DROP TABLE bench_items" >/dev/null
}

# ---- run -------------------------------------------------------------------------------------------------------

MAIN_CONSUMERS=(pg_recvlogical stream_file stream_null lib_typed pypgcdc)
meta workload.W1 "$W1_ROWS inserts in one transaction"
meta workload.W2 "$W2_TXNS transactions of 5 inserts"
meta workload.W3 "$W3_ROWS updates + $W3_ROWS deletes in 1000-row transactions"
meta workload.W4 "$W4_ROWS inserts in one transaction: memory, protocol 1 vs 2 with streaming"
if wants W1; then throughput_workload W1 "${MAIN_CONSUMERS[@]}" stream_null_binary lib_typed_binary; fi
if wants W2; then throughput_workload W2 "${MAIN_CONSUMERS[@]}"; fi
if wants W3; then throughput_workload W3 "${MAIN_CONSUMERS[@]}"; fi
if wants W4; then
    throughput_workload W4 pg_recvlogical stream_null_v1 stream_null_v2s lib_typed_v1 lib_typed_v2s
    meta note.w4 "pypgcdc is left out of W4 (2M pydantic rows per run would dominate the run time)."
fi
if wants W5; then latency_workload; fi
if wants MICRO; then micro_benchmark; fi
if wants SNAPSHOT; then snapshot_workload; fi
if wants TRIGGERS; then trigger_overhead; fi

meta note.profile 'Not measured by this run — a profile taken by hand on 2026-11-25 at commit 5566419 (callgrind end to end, W1 shape, 20k rows, start-up subtracted; rerun it after changing the hot path). Where the CPU target is missed: the library spends about 31k instructions per event: 9.6k on the event-loop thread (5.6k of it in NIO ByteToMessageHandler framing, unspecialised generic code), 7.7k typing values, 6.0k building rows and events in ChangeAssembler (allocations and copies of large structs), 1.9k pgoutput decoding, and 6–7k in async iteration, delivery through the `any ChangeHandler` existential and freeing events; `pgcdc stream` adds about 10k for JSON lines (41k in all; before this round 44.6k and 71.7k). Reaching 2 µs (about 10k instructions) would take a different design: JSON written straight from pgoutput without the event/row/value model, a concrete framing handler, no async call per event. Peak RSS is mostly resident code, not heap (3–5 MB, flat from W1 to W4; MALLOC_ARENA_MAX=1 and one NIO event loop change nothing): linked dynamically (plain `swift build -c release`) the CLI peaks at 33–34 MiB, about 29 MB of it file-backed pages (pgcdc 9.2 MB, libswiftCore 4.9, libFoundation 3.7, FoundationEssentials 2.9, libstdc++ 1.3, ICU 1, libc 1.1); with `--static-swift-stdlib`, as built here and in the README, only the parts used are mapped: 29.6–31 MiB. The file consumer fsyncs per transaction, which dominates W2.'
meta workload.SNAPSHOT "$SNAP_ROWS rows of the bench table copied by a new slot's initial snapshot"
meta workload.TRIGGERS "pgbench -c 4 -j 2 -T $TPS_SECONDS, each transaction 1 update + 1 insert + 1 delete on a published table of 100,000 rows"
meta note.walsender "pg_recvlogical does no more than copy bytes, so its run is as fast as the walsender can decode and send (the walsender CPU column); a ratio of 1.0× means the client keeps up with the server."

REPORT="$(python3 "$ROOT/scripts/bench/report.py" "$RESULTS" "$META")"
echo "$REPORT"
if [[ "$OUTPUT" != - ]]; then
    printf '%s\n' "$REPORT" >"$OUTPUT"
    log "wrote $OUTPUT"
fi
if [[ "${BENCH_KEEP:-0}" == 1 ]]; then cp "$RESULTS" "$META" "$ROOT/.cache/" 2>/dev/null || true; fi
