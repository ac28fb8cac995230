#!/bin/bash
# System test, the device directly on the services segment (no router, no
# relay): dnsmasq is the DHCP server with the lines `sztpctl dhcp` made
# for it (--port=0: no DNS, BIND answers), the device runs busybox udhcpc
# -O 143 with agent/hooks/udhcpc.script, which configures the interface
# and resolv.conf itself and starts sztp-agent with the option (hex, as
# busybox exports it).  The device bootstraps to the end (SN-SYS-2) with
# `reboot = exit`: the agent exits 3 after installing the image and the
# script's runner starts it again, as the device's boot would.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net.sh"
. "$(dirname "$0")/dhcp.sh"
. "$(dirname "$0")/services.sh"
e2e_init t_direct
trap 'svc_stop; net_down; e2e_cleanup' EXIT
sys_preflight
net_up
sys_services

SN="SN-SYS-2"
check "sztpctl dhcp --json" dhcp_json "$TMP/dhcp.json" "$SVC_BS_URL"
jq -r .dnsmasq "$TMP/dhcp.json" >"$TMP/dnsmasq.lines"
check "dnsmasq with the generated lines" dnsmasq_start "$NET_SVC" "$TMP/dnsmasq" "$TMP/dnsmasq.lines"
net_device dev2 direct
D=$TMP/dev2
sys_device_conf "$SN" "$D" "reboot = exit"
udhcpc_start "$NS" "$D" "$D/agent.conf"
check "$SN: the agent ran to its end" dev_wait_result "$D" 120
IP=$(dev_addr "$NS" 4)
check "$SN: leased an address of the services segment's pool" \
	grep -qE '^10\.143\.0\.1[0-9][0-9]$' <<<"$IP"
check_contains "$SN: udhcpc.script wrote resolv.conf" "$D/resolv.conf" "nameserver 10.143.0.3"
check_contains "$SN: udhcpc.script handed the option over" "$D/run/agent.log" \
	"starting $BIN/sztp-agent (DHCPv4 option $D/run/dhcp-option-v4)"
check_eq "$SN: the option as busybox exports it (hex)" "$(cat "$D/run/dhcp-option-v4")" \
	"$(jq -r .dhcpv4.hex "$TMP/dhcp.json")"
check_contains "$SN: dnsmasq leased to the device" "$TMP/dnsmasq/dnsmasq.leases" "$IP"
check_contains "$SN: the agent exited 3 (image installed, rebooting)" "$D/run/agent.log" \
	"sztp-agent exited 3"
check_eq "$SN: ... and was started again, once" "$(grep -c "starting $BIN/sztp-agent" "$D/run/agent.log")" 2
check_contains "$SN: the second run started from the new image" "$D/run/agent.log" \
	"starting (running demo-os 2.0)"
R=$D/run/result.json
check_eq "$SN: result status" "$(jq -r .status "$R")" bootstrap-complete
check_eq "$SN: source" "$(jq -r .source "$R")" dhcpv4
check_eq "$SN: running the new version" "$(jq -r '."os-version"' "$R")" 2.0
sys_onboarded_checks "$SN" "$D" "$IP"
e2e_finish
