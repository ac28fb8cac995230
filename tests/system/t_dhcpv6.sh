#!/bin/bash
# System test, DHCPv6 only: the device behind the router has no IPv4 at
# all; Kea DHCPv6 sends option 136 (from `sztpctl dhcp`) through the
# DHCPv6 relay (isc-dhcp-relay -6 -l/-u), dhclient -6 runs the real
# dhclient-script and our exit hook with new_dhcp6_sztp_redirect, the
# agent reaches every service over IPv6 (names resolved to AAAA through
# BIND at fd00:143::3, syslog to [fd00:143::30]:514) and bootstraps to
# the end (SN-SYS-4).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net.sh"
. "$(dirname "$0")/dhcp.sh"
. "$(dirname "$0")/services.sh"
e2e_init t_dhcpv6
trap 'svc_stop; net_down; e2e_cleanup' EXIT
sys_preflight
net_up
sys_services

SN="SN-SYS-4"
check "sztpctl dhcp --json" dhcp_json "$TMP/dhcp.json" "$SVC_BS_URL"
check "kea-dhcp6 with the generated option 136" \
	kea6_start "$NET_SVC" "$TMP/kea6" "$(jq -c .kea6 "$TMP/dhcp.json")"
check "dhcrelay -6 in the router" relay6_start "$TMP/relay6"
net_device dev4 routed
D=$TMP/dev4
sys_device_conf "$SN" "$D" "syslog-server = [fd00:143::30]:514"
dhclient_start "$NS" "$D" 6 "$D/agent.conf"
check "$SN: the agent ran to its end" dev_wait_result "$D" 120
IP=$(dev_addr "$NS" 6)
check "$SN: leased an address of the device segment" grep -q '^fd00:144::1' <<<"$IP"
check_eq "$SN: no IPv4 address on the device" "$(dev_addr "$NS" 4)" ""
check_contains "$SN: the lease holds option 136" "$D/dhclient6.leases" "option dhcp6.sztp-redirect"
check_contains "$SN: resolv.conf from the lease" "$D/resolv.conf" "nameserver fd00:143::3"
check_contains "$SN: the hook handed the option over" "$D/run/agent.log" \
	"starting $BIN/sztp-agent (DHCPv6 option $D/run/dhcp-option-v6)"
check_contains "$SN: bootstrap.sztp.test over IPv6" "$D/run/agent.log" \
	"connect: bootstrap.sztp.test (fd00:143::10) untrusted"
R=$D/run/result.json
check_eq "$SN: result status" "$(jq -r .status "$R")" bootstrap-complete
check_eq "$SN: source" "$(jq -r .source "$R")" dhcpv6
check_eq "$SN: running the new version" "$(jq -r '."os-version"' "$R")" 2.0
sys_onboarded_checks "$SN" "$D" "$IP"
e2e_finish
