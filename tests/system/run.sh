#!/bin/sh
# Runs every system test (tests/system/t_*.sh: the reference SZTP network
# in network namespaces, docs/deployment.md), adds up what each reports
# ("name: N passed, N failed") and ends with the total, like tests/run.sh.
# Needs root, network namespaces, veth, bridges, unshare and the Debian
# packages of scripts/deps.sh: it checks them first and fails loudly
# (never skips).  BUILD selects the build dir.
set -u
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
export SZTP_TOP="$top" SZTP_BUILD="$top/$BUILD"
passed=0; failed=0; broken=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# the same checks the tests make, once, before anything starts
if ! bash -c '. "$1/tests/e2e/lib.sh" && e2e_init system-preflight && . "$1/tests/system/net.sh" &&
	. "$1/tests/system/dhcp.sh" && sys_preflight' preflight "$top"; then
	echo "system: the machine cannot run the system test (see above)"
	echo "0 passed, 1 failed"
	exit 1
fi
for t in "$top"/tests/system/t_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	start=$(date +%s)
	bash "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	echo "($name: $(($(date +%s) - start)) s)"
	line=$(grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "** $name printed no result line (exit $rc)"
		failed=$((failed + 1)); broken="$broken $name"; continue
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
		broken="$broken $name"
		[ "$f" -eq 0 ] && failed=$((failed + 1))
	fi
done
[ -n "$broken" ] && echo "failing:$broken"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
