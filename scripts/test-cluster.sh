#!/usr/bin/env bash
# Throwaway PostgreSQL clusters for the tests. See docs/testing.md.
#
#   eval "$(scripts/test-cluster.sh start [--version 15|18] [--port N] [--standby])"
#   scripts/test-cluster.sh stop [BASE]
#
# stdout carries only `export`/`unset` lines; everything else goes to stderr.
set -euo pipefail
# The caller may be connected to another test server: its libpq variables (PGPASSWORD above all, which beats
# the password file) must not leak into the tools this script runs against its own servers.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGPASSFILE PGSSLMODE PGSERVICE PGOPTIONS

PGCDC_SCRIPT_NAME="test-cluster.sh"
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/install.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/install.sh"

MARKER=".pgcdc-test-cluster"
READY_TIMEOUT="${PGCDC_TEST_READY_TIMEOUT:-60}"

usage() {
    cat >&2 <<'EOF'
usage: scripts/test-cluster.sh <command> [arguments]

  start [--version 15|18] [--port N] [--standby] [--wal-level LEVEL]
        Create and start a primary (and with --standby a streaming standby) in a new /tmp/pgcdc-XXXXXX
        base dir, then print `export` lines: eval "$(scripts/test-cluster.sh start)".
        Version: --version, else $PGCDC_PG_VERSION, else 15. --wal-level (default logical) makes a server
        logical replication cannot use, for the tests of what the tools say about it.
  stop [BASE]             Stop every server of BASE (default $PGCDC_TEST_CLUSTER) and remove BASE.
  env [BASE]              Print the export lines again (after promote/rebuild-standby).
  crash-primary [BASE]    Stop the primary with `pg_ctl -m immediate` (a crash).
  stop-standby [BASE]     Stop the standby (fast) and keep its files: it misses what the primary commits next.
  start-standby [BASE]    Start the stopped standby again (it stays in recovery; promote it when the primary is
                          gone to lose what it missed, as asynchronous replication does).
  promote [BASE]          Promote the standby and wait until it leaves recovery; it becomes the primary.
  rebuild-standby [BASE] [--reuse-old-primary-port]
                          Build a new standby from the current primary on a new port (or on the crashed old
                          primary's port, so that a two-host connection string stays valid); print the exports.
  install [--version V]   Install the server binaries when missing and print their bin dir.

Environment: PGCDC_PG_VERSION (default 15), PGCDC_TEST_PORTS=LOW-HIGH (free-port range, default 20000-32000),
PGCDC_TEST_READY_TIMEOUT (seconds, default 60).
EOF
}

# ---- state files in the base dir -------------------------------------------------------------------------------

state_get() { # BASE KEY -> value (empty when missing)
    if [[ -f "$1/state/$2" ]]; then cat "$1/state/$2"; fi
}

state_set() { # BASE KEY VALUE
    mkdir -p "$1/state"
    printf '%s\n' "$3" >"$1/state/$2"
}

state_unset() { # BASE KEY
    rm -f "$1/state/$2"
}

# resolve_base [BASE]: the base dir argument, else $PGCDC_TEST_CLUSTER; must be one of ours.
resolve_base() {
    local base="${1:-${PGCDC_TEST_CLUSTER:-}}"
    [[ -n "$base" ]] || die "no base dir: pass it or export PGCDC_TEST_CLUSTER (printed by start)"
    [[ -d "$base" ]] || die "$base does not exist"
    [[ -f "$base/$MARKER" ]] || die "$base is not a cluster made by test-cluster.sh (no $MARKER)"
    (cd "$base" && pwd)
}

node_port() { state_get "$1" "$2.port"; }

# ---- running servers -------------------------------------------------------------------------------------------

psql_node() { # BASE NODE PSQL-ARGS... (as the server user, over the unix socket, as the superuser)
    local base="$1" node="$2"
    shift 2
    as_server "$(state_get "$base" bindir)/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
        -h "$base/sock" -p "$(node_port "$base" "$node")" -U postgres -d postgres "$@"
}

node_is_running() { # BASE NODE
    local rc=0
    as_server "$(state_get "$1" bindir)/pg_ctl" -D "$1/$2" status >/dev/null 2>&1 || rc=$?
    [[ "$rc" == 0 ]]
}

show_log() { # BASE NODE
    local logfile="$1/$2.log"
    if [[ -f "$logfile" ]]; then
        log "last lines of $logfile:"
        tail -n 40 "$logfile" >&2
    fi
}

# wait_until BASE NODE SQL EXPECTED WHAT: poll until the query prints EXPECTED (fail after READY_TIMEOUT s).
wait_until() {
    local base="$1" node="$2" sql="$3" expected="$4" what="$5"
    local deadline=$((SECONDS + READY_TIMEOUT)) got=""
    while ((SECONDS < deadline)); do
        got="$(psql_node "$base" "$node" -c "$sql" 2>/dev/null || true)"
        if [[ "$got" == "$expected" ]]; then return 0; fi
        if ! node_is_running "$base" "$node"; then
            show_log "$base" "$node"
            die "$node stopped while waiting until $what"
        fi
        sleep 0.2
    done
    show_log "$base" "$node"
    die "$node: timed out after ${READY_TIMEOUT}s waiting until $what (last answer: '$got')"
}

# start_node BASE NODE: pg_ctl start, then wait until it accepts TCP connections.
start_node() {
    local base="$1" node="$2" bindir port
    bindir="$(state_get "$base" bindir)"
    port="$(node_port "$base" "$node")"
    port_is_free "$port" || die "port $port is taken by another process; not starting $node there"
    log "starting $node on 127.0.0.1:$port (log: $base/$node.log)"
    if ! as_server "$bindir/pg_ctl" -D "$base/$node" -l "$base/$node.log" -w -t "$READY_TIMEOUT" start >/dev/null; then
        show_log "$base" "$node"
        die "$node did not start"
    fi
    local deadline=$((SECONDS + READY_TIMEOUT))
    until as_server "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; do
        if ((SECONDS >= deadline)); then
            show_log "$base" "$node"
            die "$node is not accepting connections on 127.0.0.1:$port after ${READY_TIMEOUT}s"
        fi
        sleep 0.2
    done
}

# stop_node BASE NODE MODE: pg_ctl stop; when that fails, signal the postmaster of exactly that data dir.
stop_node() {
    local base="$1" node="$2" mode="$3" bindir
    bindir="$(state_get "$base" bindir)"
    local dir="$base/$node"
    [[ -f "$dir/postmaster.pid" ]] || return 0
    if [[ -n "$bindir" ]] && as_server "$bindir/pg_ctl" -D "$dir" -m "$mode" -w -t 30 stop >/dev/null 2>&1; then
        log "stopped $node ($mode)"
        return 0
    fi
    local pid
    pid="$(head -n 1 "$dir/postmaster.pid" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null || true)" == "$dir" ]]; then
        # The postmaster chdirs into its data dir: this pid is the server of this dir and no other.
        log "pg_ctl could not stop $node; sending SIGQUIT to its postmaster $pid"
        kill -QUIT "$pid" 2>/dev/null || true
        local i
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || return 0
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

# ---- exports ---------------------------------------------------------------------------------------------------

print_env() { # BASE
    local base="$1" primary standby rootcert
    primary="$(state_get "$base" primary)"
    standby="$(state_get "$base" standby)"
    rootcert="$(state_get "$base" ssl_rootcert)"
    printf 'export %s=%q\n' \
        PGHOST 127.0.0.1 \
        PGPORT "$(node_port "$base" "$primary")" \
        PGUSER postgres \
        PGPASSWORD "$(state_get "$base" password)" \
        PGDATABASE postgres \
        PGCDC_TEST_CLUSTER "$base" \
        PGCDC_TEST_SERVER_VERSION "$(state_get "$base" version)" \
        PGCDC_TEST_BINDIR "$(state_get "$base" bindir)"
    if [[ -n "$rootcert" ]]; then
        printf 'export %s=%q\n' PGCDC_TEST_SSL_ROOTCERT "$rootcert"
    else
        echo "unset PGCDC_TEST_SSL_ROOTCERT"
    fi
    if [[ -n "$standby" ]]; then
        printf 'export %s=%q\n' PGCDC_TEST_STANDBY_PORT "$(node_port "$base" "$standby")"
    else
        echo "unset PGCDC_TEST_STANDBY_PORT"
    fi
}

# ---- building blocks of start ----------------------------------------------------------------------------------

make_tls() { # BASE: a CA and a server certificate for DNS:localhost only (not the IP: verify-full must fail there)
    local base="$1" tls="$1/tls"
    command -v openssl >/dev/null 2>&1 || die "openssl is needed for the test server's TLS certificates"
    mkdir -p "$tls"
    local subject_ca="/CN=pgcdc test CA" subject_server="/CN=pgcdc-test-server"
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
        -subj "$subject_ca" -keyout "$tls/ca.key" -out "$tls/ca.crt" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null \
        || die "openssl could not create the test CA"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj "$subject_server" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null \
        || die "openssl could not create the server key"
    printf '%s\n' "subjectAltName=DNS:localhost" "basicConstraints=CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
        -set_serial "0x$(openssl rand -hex 8)" -days 3650 -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null \
        || die "openssl could not sign the server certificate"
    rm -f "$tls/server.csr" "$tls/server.ext" "$tls/ca.key"
    chown -R "$(server_user)" "$tls"
    chmod 0755 "$tls"
    chmod 0644 "$tls/ca.crt" "$tls/server.crt"
    chmod 0600 "$tls/server.key"
}

write_hba() { # DATADIR
    cat >"$1/pg_hba.conf" <<'EOF'
# Written by scripts/test-cluster.sh: one auth method per test role.
# TYPE  DATABASE     USER     ADDRESS        METHOD
local   all          all                     trust
local   replication  all                     trust
host    all          trusty   127.0.0.1/32   trust
host    all          md5user  127.0.0.1/32   md5
host    all          pwuser   127.0.0.1/32   password
host    all          all      127.0.0.1/32   scram-sha-256
host    replication  trusty   127.0.0.1/32   trust
host    replication  md5user  127.0.0.1/32   md5
host    replication  pwuser   127.0.0.1/32   password
host    replication  all      127.0.0.1/32   scram-sha-256
EOF
}

write_primary_conf() { # BASE NODE PORT
    local base="$1" node="$2" port="$3" rootcert
    rootcert="$(state_get "$base" ssl_rootcert)"
    {
        echo ""
        echo "# ---- scripts/test-cluster.sh ----"
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $port"
        echo "unix_socket_directories = '$base/sock'"
        echo "wal_level = $(state_get "$base" wal_level)"
        echo "max_wal_senders = 60"
        echo "max_replication_slots = 60"
        echo "wal_keep_size = 64MB"
        echo "hot_standby = on"
        echo "hot_standby_feedback = on"
        echo "wal_log_hints = on"
        echo "track_commit_timestamp = on"
        echo "password_encryption = 'scram-sha-256'"
        echo "shared_buffers = 32MB"
        echo "max_connections = 120"
        echo "max_prepared_transactions = 10"
        echo "fsync = off"
        echo "logging_collector = off"
        echo "log_connections = on"
        if [[ -n "$rootcert" ]]; then
            echo "ssl = on"
            echo "ssl_cert_file = '$base/tls/server.crt'"
            echo "ssl_key_file = '$base/tls/server.key'"
        fi
    } >>"$base/$node/postgresql.conf"
}

create_roles() { # BASE NODE
    local base="$1" node="$2" pw
    pw="$(state_get "$base" password)"
    # The password goes through stdin, not argv, so it does not show in `ps`.
    psql_node "$base" "$node" -f - <<EOF
ALTER ROLE postgres PASSWORD '$pw';
CREATE ROLE trusty LOGIN REPLICATION PASSWORD '$pw';
SET password_encryption = 'md5';
SET client_min_messages = error; -- PG18 warns that MD5 passwords are deprecated: that is the point here
CREATE ROLE md5user LOGIN REPLICATION PASSWORD '$pw';
RESET client_min_messages;
RESET password_encryption;
CREATE ROLE pwuser LOGIN REPLICATION PASSWORD '$pw';
CREATE ROLE cdc LOGIN REPLICATION PASSWORD '$pw';
CREATE ROLE repl LOGIN REPLICATION PASSWORD '$pw';
-- cdc owns nothing; it may read what postgres creates in public (initial snapshot copies).
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES TO cdc;
EOF
}

# build_standby BASE NODE SLOT: pg_basebackup from the current primary into BASE/NODE, start it, wait until it
# is in recovery and streaming.
build_standby() {
    local base="$1" node="$2" slot="$3" port="${4:-}" bindir version primary
    bindir="$(state_get "$base" bindir)"
    version="$(state_get "$base" version)"
    primary="$(state_get "$base" primary)"
    [[ -n "$port" ]] || port="$(free_port)"
    state_set "$base" "$node.port" "$port"
    log "pg_basebackup from $primary into $node (slot $slot)"
    # -d with dbname: PG17+ writes it into primary_conninfo, which slot sync needs.
    if ! as_server env PGPASSFILE="$base/pgpass" "$bindir/pg_basebackup" \
        -d "host=127.0.0.1 port=$(node_port "$base" "$primary") user=repl dbname=postgres application_name=$node" \
        -D "$base/$node" -R -C -S "$slot" -X stream -c fast >&2; then
        show_log "$base" "$primary"
        die "pg_basebackup into $node failed"
    fi
    # Appended to postgresql.auto.conf, which is read last: it must also override settings the base backup copied
    # from the primary's own postgresql.auto.conf (its synchronized_standby_slots names a slot that does not exist
    # on this standby, and would block failover-slot consumers once it is promoted).
    {
        echo ""
        echo "# ---- scripts/test-cluster.sh: standby ----"
        echo "port = $port"
        echo "hot_standby = on"
        if ((version >= 17)); then
            echo "sync_replication_slots = on"
            echo "synchronized_standby_slots = ''"
        fi
    } >>"$base/$node/postgresql.auto.conf"
    start_node "$base" "$node"
    wait_until "$base" "$node" "SELECT pg_is_in_recovery()" t "it is in recovery"
    wait_until "$base" "$node" "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'" 1 \
        "it streams from the primary"
    if ((version >= 17)); then
        # Failover slots wait for this standby, so a consumer is never ahead of it (docs/testing.md).
        psql_node "$base" "$primary" -c "ALTER SYSTEM SET synchronized_standby_slots = '$slot'" \
            -c "SELECT pg_reload_conf()" >/dev/null
    fi
    state_set "$base" standby "$node"
    log "standby $node streams on 127.0.0.1:$port"
}

# ---- commands --------------------------------------------------------------------------------------------------

cmd_start() {
    local version="${PGCDC_PG_VERSION:-15}" port="" standby=0 wal_level=logical
    while (($#)); do
        case "$1" in
            --version)
                [[ $# -ge 2 ]] || { usage; exit 2; }
                version="$2"
                shift 2
                ;;
            --port)
                [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || { usage; exit 2; }
                port="$2"
                shift 2
                ;;
            --standby)
                standby=1
                shift
                ;;
            --wal-level)
                [[ $# -ge 2 && "$2" =~ ^(replica|logical)$ ]] || { usage; exit 2; }
                wal_level="$2"
                shift 2
                ;;
            *)
                usage
                exit 2
                ;;
        esac
    done
    local bindir
    bindir="$(postgres_bindir "$version")"
    local major
    major="$("$bindir/postgres" --version | awk '{ print $3 }' | cut -d . -f 1)"
    [[ "$major" =~ ^[0-9]+$ ]] || die "cannot tell the major version of $bindir/postgres"
    if [[ -n "$port" ]]; then
        port_is_free "$port" || die "port $port is already in use"
    else
        port="$(free_port)"
    fi

    local base user
    user="$(server_user)"
    base="$(mktemp -d /tmp/pgcdc-XXXXXX)"
    touch "$base/$MARKER"
    # From here on a failure removes what we made.
    trap 'rc=$?; if [[ $rc != 0 ]]; then log "start failed; cleaning up $base"; cmd_stop "$base" >/dev/null 2>&1 || true; fi' EXIT
    # Without these, a signal kills bash without running the EXIT trap.
    trap 'exit 130' INT
    trap 'exit 143' TERM

    state_set "$base" version "$major"
    state_set "$base" bindir "$bindir"
    state_set "$base" primary primary
    state_set "$base" primary.port "$port"
    state_set "$base" wal_level "$wal_level"
    local pw
    pw="$(openssl rand -hex 16 2>/dev/null || head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    state_set "$base" password "$pw"
    printf '*:*:*:*:%s\n' "$pw" >"$base/pgpass"
    printf '%s\n' "$pw" >"$base/pwfile"
    chmod 0600 "$base/pgpass" "$base/pwfile"
    mkdir -p "$base/sock"
    chmod 0700 "$base/sock"
    if server_has_ssl "$bindir"; then
        make_tls "$base"
        state_set "$base" ssl_rootcert "$base/tls/ca.crt"
    else
        log "this PostgreSQL $major build has no TLS support: no PGCDC_TEST_SSL_ROOTCERT"
    fi
    chown "$user" "$base" "$base/sock" "$base/pgpass" "$base/pwfile"
    chmod 0711 "$base"
    chmod 0700 "$base/state"

    log "initdb PostgreSQL $major ($bindir) in $base/primary as $user"
    if ! as_server "$bindir/initdb" -D "$base/primary" -U postgres --pwfile="$base/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync >"$base/initdb.log" 2>&1; then
        cat "$base/initdb.log" >&2
        die "initdb failed"
    fi
    rm -f "$base/pwfile"
    write_hba "$base/primary"
    write_primary_conf "$base" primary "$port"
    start_node "$base" primary
    create_roles "$base" primary
    if [[ "$standby" == 1 ]]; then
        state_set "$base" standby_count 1
        build_standby "$base" standby standby1_slot
    fi
    trap - EXIT INT TERM
    log "ready: PostgreSQL $major primary on 127.0.0.1:$port, base $base"
    print_env "$base"
}

cmd_stop() {
    local base="${1:-${PGCDC_TEST_CLUSTER:-}}"
    [[ -n "$base" ]] || die "no base dir: pass it or export PGCDC_TEST_CLUSTER"
    if [[ ! -e "$base" ]]; then
        log "$base is already gone"
        return 0
    fi
    base="$(resolve_base "$base")"
    local dir node
    for dir in "$base"/*/; do
        dir="${dir%/}"
        [[ -f "$dir/PG_VERSION" ]] || continue
        node="$(basename "$dir")"
        stop_node "$base" "$node" fast
    done
    for dir in "$base"/*/; do
        dir="${dir%/}"
        if [[ -f "$dir/postmaster.pid" ]] && node_is_running "$base" "$(basename "$dir")"; then
            die "$dir is still running; not removing $base"
        fi
    done
    rm -rf "$base"
    log "removed $base"
}

cmd_env() {
    print_env "$(resolve_base "${1:-}")"
}

cmd_crash_primary() {
    local base primary
    base="$(resolve_base "${1:-}")"
    primary="$(state_get "$base" primary)"
    node_is_running "$base" "$primary" || die "the primary $primary is not running"
    as_server "$(state_get "$base" bindir)/pg_ctl" -D "$base/$primary" -m immediate -w -t 30 stop >/dev/null \
        || die "pg_ctl -m immediate stop of $primary failed"
    log "crashed the primary $primary (immediate stop)"
}

cmd_stop_standby() {
    local base standby
    base="$(resolve_base "${1:-}")"
    standby="$(state_get "$base" standby)"
    [[ -n "$standby" ]] || die "$base has no standby"
    node_is_running "$base" "$standby" || die "the standby $standby is not running"
    stop_node "$base" "$standby" fast
    log "stopped the standby $standby; it keeps its files"
}

cmd_start_standby() {
    local base standby
    base="$(resolve_base "${1:-}")"
    standby="$(state_get "$base" standby)"
    [[ -n "$standby" ]] || die "$base has no standby"
    node_is_running "$base" "$standby" && die "the standby $standby is already running"
    start_node "$base" "$standby"
    wait_until "$base" "$standby" "SELECT pg_is_in_recovery()" t "it is in recovery"
    log "started the standby $standby again"
}

cmd_promote() {
    local base primary standby
    base="$(resolve_base "${1:-}")"
    primary="$(state_get "$base" primary)"
    standby="$(state_get "$base" standby)"
    [[ -n "$standby" ]] || die "$base has no standby to promote"
    if node_is_running "$base" "$primary"; then
        log "warning: the old primary $primary is still running: two primaries now (split brain)"
    fi
    as_server "$(state_get "$base" bindir)/pg_ctl" -D "$base/$standby" -w -t "$READY_TIMEOUT" promote >/dev/null \
        || { show_log "$base" "$standby"; die "pg_ctl promote of $standby failed"; }
    wait_until "$base" "$standby" "SELECT pg_is_in_recovery()" f "it has left recovery"
    state_set "$base" primary "$standby"
    state_set "$base" old_primary "$primary"
    state_unset "$base" standby
    log "promoted $standby; it is the primary on 127.0.0.1:$(node_port "$base" "$standby")"
    print_env "$base"
}

cmd_rebuild_standby() {
    local base primary old count port="" arg base_arg=""
    for arg in "$@"; do
        if [[ "$arg" == --reuse-old-primary-port ]]; then
            port=reuse
        else
            base_arg="$arg"
        fi
    done
    base="$(resolve_base "$base_arg")"
    if [[ "$port" == reuse ]]; then
        old="$(state_get "$base" old_primary)"
        [[ -n "$old" ]] || die "there is no old primary whose port could be reused"
        node_is_running "$base" "$old" && die "the old primary $old still runs on its port"
        port="$(node_port "$base" "$old")"
    fi
    primary="$(state_get "$base" primary)"
    node_is_running "$base" "$primary" || die "the primary $primary is not running"
    old="$(state_get "$base" standby)"
    if [[ -n "$old" ]]; then
        log "replacing the current standby $old"
        stop_node "$base" "$old" fast
        state_unset "$base" standby
    fi
    count="$(state_get "$base" standby_count)"
    count=$((${count:-0} + 1))
    state_set "$base" standby_count "$count"
    # A slot of the same name left on this primary (by an earlier standby) would make pg_basebackup -C fail.
    psql_node "$base" "$primary" -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
        WHERE slot_name = 'standby${count}_slot' AND NOT active" >/dev/null
    build_standby "$base" "standby$count" "standby${count}_slot" "$port"
    print_env "$base"
}

cmd_install() {
    local version="${PGCDC_PG_VERSION:-15}"
    if [[ "${1:-}" == --version && $# -ge 2 ]]; then
        version="$2"
    elif (($#)); then
        usage
        exit 2
    fi
    postgres_bindir "$version"
}

main() {
    (($#)) || { usage; exit 2; }
    local command="$1"
    shift
    case "$command" in
        start) cmd_start "$@" ;;
        stop) (($# <= 1)) || { usage; exit 2; }; cmd_stop "$@" ;;
        env) (($# <= 1)) || { usage; exit 2; }; cmd_env "$@" ;;
        crash-primary) (($# <= 1)) || { usage; exit 2; }; cmd_crash_primary "$@" ;;
        stop-standby) (($# <= 1)) || { usage; exit 2; }; cmd_stop_standby "$@" ;;
        start-standby) (($# <= 1)) || { usage; exit 2; }; cmd_start_standby "$@" ;;
        promote) (($# <= 1)) || { usage; exit 2; }; cmd_promote "$@" ;;
        rebuild-standby) (($# <= 2)) || { usage; exit 2; }; cmd_rebuild_standby "$@" ;;
        install) cmd_install "$@" ;;
        -h | --help | help) usage ;;
        *)
            usage
            exit 2
            ;;
    esac
}

main "$@"
