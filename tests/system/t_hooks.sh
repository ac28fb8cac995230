#!/bin/bash
# System test of the device hooks' own logic (agent/hooks/), with the
# stand-in agent (fake-agent.sh): the dhclient exit hook sourced the way
# Debian's dhclient-script sources it (reasons, v4/v6 option variables),
# one agent at a time (flock), once per boot (a completed run is not
# repeated, a failed one is), the restart after exit 3, and that the hook
# never ends the script that sources it.  udhcpc.script's lease handling
# runs in t_direct and t_dhcp.
. "$(dirname "$0")/../e2e/lib.sh"
e2e_init t_hooks
HOOK=$TOP/agent/hooks/dhclient-exit-hook
export SZTP_AGENT=$TOP/tests/system/fake-agent.sh SZTP_REAL_AGENT=$BIN/sztp-agent
export SZTP_AGENT_CONF=/dev/null
V4=0:1b:68:74:74:70:73:3a:2f:2f:62:6f:6f:74:73:74:72:61:70:2e:73:7a:74:70:2e:74:65:73:74

# hook RUN-DIR REASON [NAME=VALUE]...: source the hook as dhclient-script
# does (sh, the lease's variables set, not exported), then say "after".
hook() {
	local run=$1 reason=$2
	shift 2
	env SZTP_RUN_DIR="$run" "$@" sh -c 'reason=$1 interface=eth0
		new_sztp_redirect=${V4:-} new_dhcp6_sztp_redirect=${V6:-}
		unset V4 V6
		. "$0"
		echo "after $?"' "$HOOK" "$reason"
}

# wait_runs RUN-DIR N: until the stand-in ran N times and holds no lock.
wait_runs() {
	local i
	for i in $(seq 1 100); do
		if [ "$(cat "$1/fake-runs" 2>/dev/null)" = "$2" ] && flock -n "$1/agent.lock" true; then
			return 0
		fi
		sleep 0.1
	done
	echo "runs: $(cat "$1/fake-runs" 2>/dev/null), want $2" >&2
	return 1
}

R=$TMP/v4
check_eq "BOUND: the script that sources the hook goes on" "$(hook "$R" BOUND V4=$V4)" "after 0"
check "BOUND: the agent ran" wait_runs "$R" 1
check_eq "BOUND: the option file holds dhclient's value" "$(cat "$R/dhcp-option-v4")" "$V4"
check_contains "BOUND: the agent's arguments" "$R/fake-args" \
	"-c /dev/null --dhcp-option $R/dhcp-option-v4 --dhcp-version 4 --result $R/result.json"
check_eq "BOUND: the agent could decode it" "$(cat "$R/fake-uris-v4")" https://bootstrap.sztp.test
check "BOUND: the agent's output in agent.log" grep -q 'sztp-agent exited 2' "$R/agent.log"
hook "$R" REBOOT V4=$V4 >/dev/null
check "a failed run is retried at the next lease event" wait_runs "$R" 2

R=$TMP/busy
hook "$R" BOUND V4=$V4 FAKE_AGENT_SECONDS=2 >/dev/null
sleep 0.5
hook "$R" RENEW V4=0:5:68:74:74:70:73 FAKE_AGENT_SECONDS=2 >/dev/null
check "RENEW while an agent runs: none started" wait_runs "$R" 1
check_contains "... the log says why" "$R/agent.log" "an agent is running already"
check_eq "... the option file has the renewed value" "$(cat "$R/dhcp-option-v4")" 0:5:68:74:74:70:73

R=$TMP/done
hook "$R" BOUND V4=$V4 FAKE_AGENT_STATUS=bootstrap-complete FAKE_AGENT_EXIT=0 >/dev/null
check "bootstrap-complete run" wait_runs "$R" 1
hook "$R" RENEW V4=$V4 >/dev/null
hook "$R" BOUND V4=$V4 >/dev/null
sleep 0.5
check "once per boot: no run after bootstrap-complete" wait_runs "$R" 1

R=$TMP/reboot
hook "$R" BOUND V4=$V4 FAKE_AGENT_EXIT_FIRST=3 FAKE_AGENT_EXIT=0 \
	FAKE_AGENT_STATUS=bootstrap-complete >/dev/null
check "exit 3 (reboot = exit): the agent is started again" wait_runs "$R" 2
check_contains "... both runs in the log" "$R/agent.log" "sztp-agent exited 3"

R=$TMP/v6
check_eq "BOUND6: the script goes on" \
	"$(hook "$R" BOUND6 V6=0:1b:68:74:74:70:73:3a:2f:2f:62:6f:6f:74:73:74:72:61:70:2e:73:7a:74:70:2e:74:65:73:74)" \
	"after 0"
check "BOUND6: the agent ran" wait_runs "$R" 1
check_contains "BOUND6: option 136 as v6" "$R/fake-args" \
	"--dhcp-option $R/dhcp-option-v6 --dhcp-version 6"
check_eq "BOUND6: decoded" "$(cat "$R/fake-uris-v6")" https://bootstrap.sztp.test
check "BOUND6: no v4 option file" test ! -e "$R/dhcp-option-v4"

R=$TMP/noopt
hook "$R" BOUND >/dev/null
check "no option 143: the agent still starts" wait_runs "$R" 1
check_not_contains "... without --dhcp-option" "$R/fake-args" "--dhcp-option"

for reason in PREINIT EXPIRE RELEASE STOP PREINIT6 DEPREF6 EXPIRE6; do
	R=$TMP/other-$reason
	check_eq "$reason: the script goes on" "$(hook "$R" "$reason" V4=$V4)" "after 0"
	check "$reason: nothing done" test ! -e "$R"
done

check "udhcpc.script leasefail: exit 0, nothing started" \
	env SZTP_RUN_DIR="$TMP/udhcpc" interface=eth0 sh "$TOP/agent/hooks/udhcpc.script" leasefail
check "... no run dir" test ! -e "$TMP/udhcpc"
e2e_finish
