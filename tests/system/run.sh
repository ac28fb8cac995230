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

# the same checks the tests make, once, before anything starts
if ! bash -c '. "$1/tests/e2e/lib.sh" && e2e_init system-preflight && . "$1/tests/system/net.sh" &&
	. "$1/tests/system/dhcp.sh" && sys_preflight' preflight "$top"; then
	echo "system: the machine cannot run the system test (see above)"
	echo "0 passed, 1 failed"
	exit 1
fi
exec sh "$top/tests/run.sh" system
