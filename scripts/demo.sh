#!/usr/bin/env bash
# The demo command: installs PostgreSQL with apt when no server binaries are found, builds pgcdc, and runs
# `pgcdc demo` (a throwaway PostgreSQL, a small shop, its change stream; everything is removed at the end).
set -euo pipefail

PGCDC_SCRIPT_NAME="demo.sh"
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/install.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/install.sh"

cd "$(repo_root)"

command -v swift >/dev/null 2>&1 || die "swift is not installed: get a Swift 6.2 toolchain from https://swift.org/install"

has_server_binaries() {
    if [[ -n "${PGCDC_PG_BINDIR:-}" && -x "$PGCDC_PG_BINDIR/initdb" ]]; then return 0; fi
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && return 0
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1
}

if ! has_server_binaries; then
    install_debian_postgres 15
fi

log "building pgcdc (the first build takes several minutes)"
swift build --product pgcdc >&2 || die "swift build failed"
exec "$(swift build --show-bin-path)/pgcdc" demo
