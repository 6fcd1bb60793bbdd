#!/usr/bin/env bash
# Re-records the pgoutput decoder fixtures in Tests/PGOutputTests/Fixtures from a real PostgreSQL server.
#
# Starts a throwaway cluster of its own (as the postgres user when run as root), runs one workload per scenario
# against a fresh pgoutput slot, and writes what `pg_logical_slot_peek_binary_changes` returns into
# `<scenario>.hex`: `#` header lines (the protocol version and the options used), then one line per message:
# `lsn<TAB>xid<TAB>hex bytes`. Stops and removes the cluster when done.
#
# No v4 scenario: a v4 Stream Abort carries the abort LSN and time only with streaming 'parallel', and PostgreSQL 16+
# does not stream a transaction it already knows to be aborted, which is always the case when the SQL functions decode
# after the fact. The decoder tests build that message by hand.
#
# Environment:
#   PGBIN        server binaries (default /usr/lib/postgresql/15/bin: protocol versions 1-3)
#   PORT         port to use (default: the first free one in 56300-56399)
#   FIXTURES     output directory (default: Tests/PGOutputTests/Fixtures next to this script)
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
FIXTURES="${FIXTURES:-$here/Tests/PGOutputTests/Fixtures}"
mkdir -p "$FIXTURES"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
    local p
    for p in $(seq "${1:-56300}" 56399); do
        if port_free "$p"; then echo "$p"; return 0; fi
    done
    echo "no free port in 56300-56399" >&2
    return 1
}

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

BASE=""
CLUSTER_BIN=""
stop_cluster() {
    if [ -n "$BASE" ] && [ -f "$BASE/data/postmaster.pid" ]; then
        (cd /tmp && as_pg "$CLUSTER_BIN/pg_ctl" -D "$BASE/data" -m fast -w stop >/dev/null) || true
    fi
    if [ -n "$BASE" ]; then rm -rf "$BASE"; fi
    BASE=""
}
trap stop_cluster EXIT

# start_cluster BIN PORT: a fresh cluster with logical decoding, prepared transactions and a tiny work_mem.
start_cluster() {
    CLUSTER_BIN="$1"
    PORT="$2"
    BASE="$(mktemp -d /tmp/pgoutput-pg.XXXXXX)"
    mkdir -p "$BASE/sock"
    if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$BASE"; fi
    cd /tmp
    as_pg "$CLUSTER_BIN/initdb" -D "$BASE/data" -U postgres -A trust --no-sync >/dev/null
    cat >>"$BASE/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$BASE/sock'
wal_level = logical
max_prepared_transactions = 10
max_replication_slots = 10
max_wal_senders = 10
logical_decoding_work_mem = 64kB
shared_buffers = 32MB
max_connections = 20
fsync = off
CONF
    as_pg "$CLUSTER_BIN/pg_ctl" -D "$BASE/data" -l "$BASE/log" -w start >/dev/null
}

sql() { as_pg "$CLUSTER_BIN/psql" -h "$BASE/sock" -p "$PORT" -U postgres -d postgres -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# record NAME PROTO TWO_PHASE_SLOT OPTIONS WORKLOAD: runs WORKLOAD against a new slot and writes NAME.hex.
record() {
    local name="$1" proto="$2" two_phase="$3" options="$4" workload="$5"
    sql -c "SELECT 1 FROM pg_create_logical_replication_slot('s', 'pgoutput', false, $two_phase)" >/dev/null
    # The trailing transaction writes catalog WAL and so flushes at commit: the peek reads only up to the flush
    # position and would miss a trailing non-transactional message. A temporary table is never published.
    printf '%s\nCREATE TEMP TABLE flush_wal (x integer);\n' "$workload" | sql -f - >/dev/null
    {
        echo "# scenario: $name"
        echo "# protocol: $proto"
        echo "# options: proto_version $proto, publication_names pub$options"
        echo "# recorded from: $(sql -c 'SHOW server_version')"
        sql -F $'\t' -c "SELECT lsn::text, xid::text, encode(data, 'hex')
            FROM pg_logical_slot_peek_binary_changes('s', NULL, NULL,
                 'proto_version', '$proto', 'publication_names', 'pub'$(options_sql "$options"))"
    } >"$FIXTURES/$name.hex"
    sql -c "SELECT pg_drop_replication_slot('s')" >/dev/null
    echo "recorded $name.hex ($(grep -vc '^#' "$FIXTURES/$name.hex") messages)"
}

# ", binary true, messages true" -> ", 'binary', 'true', 'messages', 'true'"
options_sql() {
    local opts="$1" out="" pair key value
    IFS=',' read -ra pairs <<<"${opts#, }"
    for pair in "${pairs[@]}"; do
        [ -z "${pair// /}" ] && continue
        read -r key value <<<"$pair"
        out+=", '$key', '$value'"
    done
    printf '%s' "$out"
}

SCHEMA="
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE TABLE types_default (
    id integer PRIMARY KEY, small smallint, big bigint, num numeric(12, 3), real_value real,
    double_value double precision, label text, short varchar(20), fixed char(5), flag boolean, day date,
    moment timestamp, moment_tz timestamptz, clock time, span interval, uid uuid, doc jsonb, raw bytea,
    numbers integer[], words text[], address inet
);
CREATE TABLE identity_full (id integer, name text, score integer);
ALTER TABLE identity_full REPLICA IDENTITY FULL;
CREATE TABLE identity_index (id integer PRIMARY KEY, code text NOT NULL, note text);
CREATE UNIQUE INDEX identity_index_code ON identity_index (code);
ALTER TABLE identity_index REPLICA IDENTITY USING INDEX identity_index_code;
CREATE TABLE toasted (id integer PRIMARY KEY, counter integer, body text);
ALTER TABLE toasted ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE TABLE evolving (id integer PRIMARY KEY, a text);
CREATE TABLE custom_types (id integer PRIMARY KEY, feeling mood, amount positive_int);
CREATE TABLE bulk (id integer PRIMARY KEY, payload text);
CREATE PUBLICATION pub FOR ALL TABLES;
"

INSERT_TYPES="
INSERT INTO types_default VALUES
  (1, -32768, 9223372036854775807, 12345.678, 1.5, -2.25, 'hello, world', 'short', 'abc', true, '2024-02-29',
   '2024-02-29 12:34:56.789', '2024-02-29 12:34:56.789+00', '23:59:59', '1 day 2 hours', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
   '{\"k\": [1, 2, 3]}', '\\xdeadbeef', '{1,2,3}', '{\"a b\",c}', '192.168.0.1/24'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"

record_pg15() {
    start_cluster "$PGBIN" "$(pick_port 56300)"
    sql -c "$SCHEMA"

    record v1-types-default 1 false "" "
$INSERT_TYPES
UPDATE types_default SET label = 'changed' WHERE id = 1;
UPDATE types_default SET id = 3 WHERE id = 2;
DELETE FROM types_default WHERE id = 1;
TRUNCATE types_default;
TRUNCATE identity_full, identity_index RESTART IDENTITY CASCADE;
"
    record v1-binary 1 false ", binary true" "
$INSERT_TYPES
UPDATE types_default SET big = 42 WHERE id = 1;
DELETE FROM types_default WHERE id = 1;
"
    sql -c "TRUNCATE types_default"

    record v1-identity-full 1 false "" "
INSERT INTO identity_full VALUES (1, 'one', 10), (2, NULL, 20);
UPDATE identity_full SET score = 11 WHERE id = 1;
DELETE FROM identity_full WHERE id = 2;
"
    record v1-identity-index 1 false "" "
INSERT INTO identity_index VALUES (1, 'A-1', 'first');
UPDATE identity_index SET note = 'second' WHERE id = 1;
UPDATE identity_index SET code = 'B-2' WHERE id = 1;
DELETE FROM identity_index WHERE id = 1;
"
    record v1-toast-unchanged 1 false "" "
INSERT INTO toasted SELECT 1, 0, string_agg(md5(random()::text), '') FROM generate_series(1, 200);
UPDATE toasted SET counter = counter + 1 WHERE id = 1;
DELETE FROM toasted WHERE id = 1;
"
    record v1-messages 1 false ", messages true" "
BEGIN;
INSERT INTO evolving VALUES (100, 'with message');
SELECT pg_logical_emit_message(true, 'cdc.tx', 'inside a transaction');
COMMIT;
SELECT pg_logical_emit_message(false, 'cdc.now', '\\x00ff10'::bytea);
BEGIN;
SELECT pg_logical_emit_message(false, 'cdc.rolledback', 'survives rollback');
ROLLBACK;
"
    record v1-alter-table 1 false "" "
INSERT INTO evolving VALUES (1, 'before');
BEGIN;
INSERT INTO evolving VALUES (2, 'same transaction, before');
ALTER TABLE evolving ADD COLUMN b integer;
INSERT INTO evolving VALUES (3, 'same transaction, after', 3);
COMMIT;
ALTER TABLE evolving DROP COLUMN a;
INSERT INTO evolving VALUES (4, 4);
"
    record v1-type-message 1 false "" "
INSERT INTO custom_types VALUES (1, 'happy', 7);
"
    sql -c "SELECT pg_replication_origin_create('upstream')" >/dev/null
    record v1-origin 1 false "" "
SELECT pg_replication_origin_session_setup('upstream');
BEGIN;
SELECT pg_replication_origin_xact_setup('0/ABCDEF', '2024-01-01 00:00:00+00');
INSERT INTO evolving VALUES (10, 10);
COMMIT;
"
    record v2-stream-commit 2 false ", streaming on, messages true" "
BEGIN;
INSERT INTO bulk SELECT g, 'row ' || g FROM generate_series(1, 5000) g;
SELECT pg_logical_emit_message(true, 'cdc.stream', 'inside a streamed transaction');
TRUNCATE evolving;
COMMIT;
"
    record v2-stream-abort 2 false ", streaming on" "
BEGIN;
INSERT INTO bulk SELECT g, 'kept ' || g FROM generate_series(10001, 13000) g;
SAVEPOINT sp;
INSERT INTO bulk SELECT g, 'undone ' || g FROM generate_series(20001, 23000) g;
ROLLBACK TO SAVEPOINT sp;
INSERT INTO bulk VALUES (30001, 'after savepoint');
COMMIT;
BEGIN;
INSERT INTO bulk SELECT g, 'aborted ' || g FROM generate_series(40001, 45000) g;
ROLLBACK;
"
    record v3-two-phase 3 true ", two_phase true" "
BEGIN;
INSERT INTO evolving VALUES (20, 20);
PREPARE TRANSACTION 'gid-commit';
COMMIT PREPARED 'gid-commit';
BEGIN;
INSERT INTO evolving VALUES (21, 21);
PREPARE TRANSACTION 'gid-rollback';
ROLLBACK PREPARED 'gid-rollback';
"
    record v3-stream-prepare 3 true ", two_phase true, streaming on" "
BEGIN;
INSERT INTO bulk SELECT g, 'prepared ' || g FROM generate_series(50001, 55000) g;
PREPARE TRANSACTION 'gid-streamed';
COMMIT PREPARED 'gid-streamed';
"
    stop_cluster
}

record_pg15
