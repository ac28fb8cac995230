#!/bin/sh
# tests/system/fake-agent.sh - stands in for sztp-agent where a system test
# checks only the DHCP plumbing: records its command line, the option file
# it was given (as `sztp-agent dhcp-parse` decodes it), waits
# FAKE_AGENT_SECONDS (default 0), writes a result.json (status
# FAKE_AGENT_STATUS, default failed) and exits FAKE_AGENT_EXIT (default 2;
# FAKE_AGENT_EXIT_FIRST on its first run).
args="$*"
opt="" ver="" res=""
while [ $# -gt 0 ]; do
	case $1 in
	--dhcp-option) opt=$2; shift ;;
	--dhcp-version) ver=$2; shift ;;
	--result) res=$2; shift ;;
	esac
	shift
done
dir=$(dirname "$res")
n=$(cat "$dir/fake-runs" 2>/dev/null || echo 0)
echo $((n + 1)) >"$dir/fake-runs"
echo "$args" >"$dir/fake-args"
if [ -n "$opt" ]; then
	"$SZTP_REAL_AGENT" dhcp-parse "$opt" >"$dir/fake-uris-v$ver" 2>&1
fi
sleep "${FAKE_AGENT_SECONDS:-0}"
printf '{"status": "%s"}\n' "${FAKE_AGENT_STATUS:-failed}" >"$res"
[ "$n" -eq 0 ] && [ -n "${FAKE_AGENT_EXIT_FIRST:-}" ] && exit "$FAKE_AGENT_EXIT_FIRST"
exit "${FAKE_AGENT_EXIT:-2}"
