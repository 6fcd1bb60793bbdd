#!/usr/bin/env bash
# The test command: build, then run every test against a PostgreSQL 15 primary with a standby, then the
# integration tests against PostgreSQL 18. Starts and stops its own throwaway clusters. See docs/testing.md.
#
# Environment: PGCDC_TEST_FILTER (passed to `swift test --filter`), PGCDC_TEST_PG18=0|1 (default 1),
# PGCDC_TEST_RUN_TIMEOUT (seconds one `swift test` run may take, default 900).
set -euo pipefail

PGCDC_SCRIPT_NAME="test.sh"
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/install.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/install.sh"

cd "$(repo_root)"
CLUSTER=scripts/test-cluster.sh
FILTER="${PGCDC_TEST_FILTER:-}"
RUN_PG18="${PGCDC_TEST_PG18:-1}"
RUN_TIMEOUT="${PGCDC_TEST_RUN_TIMEOUT:-900}"
[[ "$RUN_PG18" == 0 || "$RUN_PG18" == 1 ]] || die "PGCDC_TEST_PG18 must be 0 or 1, got '$RUN_PG18'"

STARTED=()  # base dirs of the clusters we started
LOGDIR="$(mktemp -d /tmp/pgcdc-test-logs-XXXXXX)"
SUMMARY=()  # one line per step

cleanup() {
    local base
    for base in "${STARTED[@]}"; do
        "$CLUSTER" stop "$base" || log "warning: could not stop the cluster in $base"
    done
    STARTED=()
    rm -rf "$LOGDIR"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# start_cluster VAR ARGS...: start a cluster, remember its base dir for cleanup, store its exports in VAR.
# (Not in a $(...) subshell: STARTED must be updated in this shell.)
start_cluster() {
    local var="$1" exports base
    shift
    exports="$("$CLUSTER" start "$@")" || return 1
    base="$(sed -n 's/^export PGCDC_TEST_CLUSTER=//p' <<<"$exports")"
    # test-cluster.sh %q-quotes values; its base dirs are /tmp/pgcdc-XXXXXX, which need no quoting.
    [[ -n "$base" ]] || die "test-cluster.sh printed no PGCDC_TEST_CLUSTER"
    STARTED+=("$base")
    printf -v "$var" '%s' "$exports"
}

# run_swift_test NAME EXPORTS SWIFT-TEST-ARGS...: swift test in a subshell with the cluster's environment;
# keeps the output (streamed as it runs) to repeat its summary line at the end.
run_swift_test() {
    local name="$1" exports="$2" rc=0
    shift 2
    log "swift test $* (against $name)"
    (
        eval "$exports"
        export PGCDC_REQUIRE_POSTGRES=1
        # A hung test must not hang CI: timeout signals its whole process group (swift test and the test binary).
        timeout --kill-after=30 "$RUN_TIMEOUT" swift test --skip-build "$@"
    ) 2>&1 | tee "$LOGDIR/$name.log" || rc=$?
    # pipefail: rc is swift test's status unless tee itself failed.
    local closing
    closing="$({ grep -E 'Test run with ' "$LOGDIR/$name.log" || true; } | tail -n 1)"
    if [[ "$rc" == 0 ]]; then
        SUMMARY+=("$name: passed. $closing")
    else
        if [[ "$rc" == 124 || "$rc" == 137 ]]; then closing="timed out after ${RUN_TIMEOUT}s. $closing"; fi
        SUMMARY+=("$name: FAILED (swift test exit $rc). $closing")
    fi
    return "$rc"
}

failed=0

log "installing what is missing"
"$CLUSTER" install --version 15 >/dev/null
if [[ "$RUN_PG18" == 1 ]]; then
    "$CLUSTER" install --version 18 >/dev/null
fi

log "swift build --build-tests"
swift build --build-tests --explicit-target-dependency-import-check error \
    || die "swift build failed"

# The failover tests run their own primaries and standbys and crash them: they run alone, after the rest, so
# that their timing does not compete with two hundred other tests on two cores.
filter_args=(--skip FailoverTests)
if [[ -n "$FILTER" ]]; then filter_args=(--filter "$FILTER"); fi

log "starting PostgreSQL 15 with a standby"
start_cluster exports15 --version 15 --standby || die "could not start PostgreSQL 15"
run_swift_test pg15 "$exports15" "${filter_args[@]}" || failed=1
if [[ -z "$FILTER" ]]; then
    run_swift_test pg15-failover "$exports15" --filter FailoverTests || failed=1
fi
# Free the cores and memory before the next cluster (cleanup would stop it anyway).
"$CLUSTER" stop "${STARTED[-1]}" || true

if [[ "$RUN_PG18" == 1 ]]; then
    log "starting PostgreSQL 18"
    start_cluster exports18 --version 18 || die "could not start PostgreSQL 18"
    pg18_filter="IntegrationTests"
    if [[ -n "$FILTER" ]]; then pg18_filter="IntegrationTests.*(${FILTER})"; fi
    if [[ -n "$FILTER" ]]; then
        run_swift_test pg18 "$exports18" --filter "$pg18_filter" || failed=1
    else
        run_swift_test pg18 "$exports18" --filter "$pg18_filter" --skip FailoverTests || failed=1
        run_swift_test pg18-failover "$exports18" --filter FailoverTests || failed=1
    fi
else
    SUMMARY+=("pg18: skipped (PGCDC_TEST_PG18=0)")
fi

log "summary:"
for line in "${SUMMARY[@]}"; do log "  $line"; done
if [[ "$failed" != 0 ]]; then
    die "some tests failed"
fi
log "all tests passed"
