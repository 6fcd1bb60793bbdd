# Shared helpers for scripts/test-cluster.sh and scripts/test.sh. Source it; do not run it.
# Everything here logs to stderr: stdout is reserved for the `export` lines callers eval.

# log MESSAGE...: one line on stderr, prefixed with the script's name.
log() {
    printf '%s: %s\n' "${PGCDC_SCRIPT_NAME:-pgcdc}" "$*" >&2
}

# die MESSAGE...: log and exit 1.
die() {
    log "error: $*"
    exit 1
}

# is_root: true when we run as uid 0.
is_root() {
    [[ "$(id -u)" == 0 ]]
}

# server_user: the OS user that runs initdb/postgres. PostgreSQL refuses root, so as root this is `postgres`
# when it exists, else a system user `pgcdc` created on first use. As a normal user it is that user.
server_user() {
    if ! is_root; then
        id -un
        return
    fi
    if id -u postgres >/dev/null 2>&1; then
        echo postgres
        return
    fi
    if ! id -u pgcdc >/dev/null 2>&1; then
        log "creating system user pgcdc to run PostgreSQL (it refuses to run as root)"
        useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin pgcdc >&2 \
            || die "could not create the system user pgcdc"
    fi
    echo pgcdc
}

# as_server CMD...: run CMD as the server user, from / (initdb warns when the cwd is not accessible).
as_server() {
    local user
    user="$(server_user)"
    if is_root; then
        (cd / && runuser -u "$user" -- "$@")
    else
        (cd / && "$@")
    fi
}

# server_can_read PATH: true when the server user can read (and, for a dir, enter) PATH.
server_can_read() {
    if [[ -d "$1" ]]; then
        as_server test -r "$1" -a -x "$1" 2>/dev/null
    else
        as_server test -r "$1" 2>/dev/null
    fi
}

# port_is_free PORT: nothing listens on 127.0.0.1:PORT (checked with ss when present, and a /dev/tcp probe).
port_is_free() {
    local port="$1"
    if command -v ss >/dev/null 2>&1; then
        if [[ -n "$(ss -ltnH "sport = :$port" 2>/dev/null)" ]]; then
            return 1
        fi
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        return 1
    fi
    return 0
}

# free_port: print a free loopback port from PGCDC_TEST_PORTS (LOW-HIGH, default 20000-32000, below Linux's
# ephemeral range so outgoing connections do not take it).
free_port() {
    local range="${PGCDC_TEST_PORTS:-20000-32000}"
    local low="${range%-*}" high="${range#*-}"
    [[ "$low" =~ ^[0-9]+$ && "$high" =~ ^[0-9]+$ && "$low" -le "$high" ]] \
        || die "PGCDC_TEST_PORTS must look like LOW-HIGH, got '$range'"
    local span=$((high - low + 1)) tries port
    for ((tries = 0; tries < 200; tries++)); do
        port=$((low + (RANDOM * 32768 + RANDOM) % span))
        if port_is_free "$port"; then
            echo "$port"
            return 0
        fi
    done
    die "no free port found in $range"
}

# repo_root: the repository this script belongs to.
repo_root() {
    (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
}
