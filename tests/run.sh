#!/bin/sh
# Runs the unit test binaries and the end-to-end scripts, adds up what
# each one reports ("name: N passed, N failed") and ends with the total.
# Usage: tests/run.sh [unit|e2e|all|system]   (BUILD selects the build dir;
# SZTP_E2E_PASSES="sqlite pg" by default: the e2e backends, see below)
# system: tests/system/t_*.sh, the reference network (tests/system/run.sh
# checks first that the machine can run them), each with its duration
set -u
BUILD=${BUILD:-build}
what=${1:-all}
top=$(cd "$(dirname "$0")/.." && pwd)
export SZTP_TOP="$top" SZTP_BUILD="$top/$BUILD"
passed=0; failed=0; broken=""
log=$(mktemp)
# One throw-away PostgreSQL for the whole run (tests/pg.sh): the tests
# that run on both registry backends create their databases on it
# (SZTP_TEST_PG).  Not reachable = those tests fail, they do not skip.
pgdir=""
if [ "$what" != system ]; then
	pgdir=$(mktemp -d /tmp/sztp-test-pg.XXXXXX)
	if pguri=$(sh "$top/tests/pg.sh" start "$pgdir/pg"); then
		export SZTP_TEST_PG="${pguri%/*}"
	else
		echo "** tests/pg.sh could not start PostgreSQL"
		export SZTP_TEST_PG="postgresql://sztp@127.0.0.1:1"
	fi
fi
stop_pg() {
	[ -n "$pgdir" ] || return 0
	sh "$top/tests/pg.sh" stop "$pgdir/pg" || true
	rm -rf "$pgdir"
	pgdir=""
}
trap 'stop_pg; rm -f "$log"' EXIT
trap 'exit 130' INT TERM
run_one() {
	name=$1; shift
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(grep -E '^[A-Za-z0-9_.:-]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "** $name printed no result line (exit $rc)"
		failed=$((failed + 1)); broken="$broken $name"; return
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
		broken="$broken $name"
		[ "$f" -eq 0 ] && failed=$((failed + 1))
	fi
}
if [ "$what" = unit ] || [ "$what" = all ]; then
	for t in "$top/$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "$(basename "$t")" "$t"
	done
fi
# The e2e scripts run twice: on SQLite (a registry file in each script's
# temp dir), then on PostgreSQL (SZTP_E2E_BACKEND=pg: each registry a new
# database on SZTP_TEST_PG, tests/e2e/lib.sh e2e_db), named pg:t_x.  These
# run in the first pass only: they are about the SQLite file itself, use no
# registry, or start their own PostgreSQL whatever the pass:
first_pass_only() {
	case $1 in
	t_registry_file) echo "the registry file removed, replaced, made read-only under sztpd" ;;
	t_diskfill) echo "a full file system under the registry file" ;;
	t_privileges) echo "the registry file's and its -wal/-shm owner and mode after dropping root" ;;
	t_sztpctl) echo "compares sqlite3 .dump before and after failed commands; file paths (typo, empty, foreign, left-over -wal)" ;;
	t_config) echo "a relative and a quoted database file name, resolved against the config's directory" ;;
	t_demo) echo "scripts/demo.sh (the README's demo) makes its own SQLite registry" ;;
	t_lint) echo "no registry (source checks)" ;;
	t_pki) echo "no registry (sztp-pki only)" ;;
	t_sztpctl_dhcp) echo "no registry (DHCP option encoding)" ;;
	t_migrate) echo "starts its own PostgreSQL and moves a registry from SQLite to it and back: both backends in one run" ;;
	t_scaleout) echo "starts its own PostgreSQL (three sztpd behind HAProxy)" ;;
	t_failover) echo "starts its own PostgreSQL primary and standby" ;;
	*) return 1 ;;
	esac
}
e2e_pass() { # BACKEND
	local t n start
	start=$(date +%s)
	if [ "$1" = pg ]; then export SZTP_E2E_BACKEND=pg; else unset SZTP_E2E_BACKEND; fi
	for t in "$top"/tests/e2e/t_*.sh; do
		[ -f "$t" ] || continue
		n=$(basename "$t" .sh)
		if [ "$1" = pg ]; then
			first_pass_only "$n" >/dev/null && continue
			run_one "pg:$n" bash "$t"
		else
			run_one "$n" bash "$t"
		fi
	done
	echo "(e2e on $1: $(($(date +%s) - start)) s)"
}
# SZTP_E2E_PASSES="sqlite" (or "pg") runs one pass only
if [ "$what" = e2e ] || [ "$what" = all ]; then
	for b in ${SZTP_E2E_PASSES:-sqlite pg}; do
		if [ "$b" = pg ]; then
			echo "e2e on PostgreSQL: run in the first pass only:"
			for t in "$top"/tests/e2e/t_*.sh; do
				n=$(basename "$t" .sh)
				why=$(first_pass_only "$n") && echo "  $n: $why"
			done
		fi
		e2e_pass "$b"
	done
	unset SZTP_E2E_BACKEND
fi
if [ "$what" = system ]; then
	for t in "$top"/tests/system/t_*.sh; do
		[ -f "$t" ] || continue
		start=$(date +%s)
		run_one "$(basename "$t" .sh)" bash "$t"
		echo "($(basename "$t" .sh): $(($(date +%s) - start)) s)"
	done
fi
stop_pg
rm -f "$log"
[ -n "$broken" ] && echo "failing:$broken"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
