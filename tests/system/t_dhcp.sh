#!/bin/bash
# System test: the DHCP plumbing of the reference network with a stand-in
# agent (tests/system/fake-agent.sh records what the hook handed over).
# Kea DHCPv4 through isc-dhcp-relay to dhclient with the real
# dhclient-script and our exit hook; dnsmasq to busybox udhcpc with our
# udhcpc.script and to dhclient -6; Kea DHCPv6 directly and through the
# DHCPv6 relay; a 442-byte option 143 (RFC 3396: Kea splits, dhclient
# joins); a lease without option 143; `dhcpd -t` on the generated
# snippets; the host's /etc untouched.  The option values come from
# `sztpctl dhcp --json`.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net.sh"
. "$(dirname "$0")/dhcp.sh"
e2e_init t_dhcp
trap 'net_down; e2e_cleanup' EXIT
net_preflight kea-dhcp4 kea-dhcp6 dnsmasq dhcpd dhcrelay dhclient busybox jq
host_etc() { md5sum /etc/resolv.conf 2>/dev/null; ls -la /etc /etc/dhcp /etc/dhcp/*.d | md5sum; }
host_before=$(host_etc)
net_up

URIS=(https://bootstrap.sztp.test https://10.143.0.10:443 "https://[fd00:143::10]")
check "sztpctl dhcp --json" dhcp_json "$TMP/dhcp.json" "${URIS[@]}"
printf '%s\n' "${URIS[@]}" >"$TMP/uris.want"
check "dhcpd -t takes the generated dhcpd and dhcpd -6 snippets" dhcpd_check "$TMP/dhcpd" "$TMP/dhcp.json"
jq -r .dnsmasq "$TMP/dhcp.json" >"$TMP/dnsmasq.lines"
SZTP_AGENT=$TOP/tests/system/fake-agent.sh
DEV_ENV=("SZTP_REAL_AGENT=$BIN/sztp-agent")

# dev_checks NAME DIR VERSION ADDRESS-PREFIX: the lease configured the
# interface, the hook wrote the option and started the agent with it once.
dev_checks() {
	local n=$1 d=$2 v=$3 pre=$4
	check "$n: the hook started the agent" dev_wait_result "$d" 30
	check_contains "$n: address from the pool" <(ip -n "$NS" addr show dev eth0) "inet${v/4/} $pre"
	check_eq "$n: agent ran once" "$(cat "$d/run/fake-runs" 2>/dev/null)" 1
	check_contains "$n: agent got the option file" "$d/run/fake-args" \
		"--dhcp-option $d/run/dhcp-option-v$v --dhcp-version $v --result $d/run/result.json"
	check "$n: the option decodes to the URIs" diff "$TMP/uris.want" "$d/run/fake-uris-v$v"
}

# ---- Kea DHCPv4 through the relay, dhclient + exit hook ----------------------
check "kea-dhcp4 starts" kea4_start "$NET_SVC" "$TMP/kea4" "$(jq -c .kea4 "$TMP/dhcp.json")"
check "dhcrelay -4 starts in the router" relay4_start "$TMP/relay4"
net_device kea4 routed
dhclient_start "$NS" "$TMP/kea4dev" 4 /dev/null
dev_checks "kea4+relay+dhclient" "$TMP/kea4dev" 4 10.144.0.1
check_contains "kea4: default route via the router" <(ip -n "$NS" route) "default via 10.144.0.1"
check_contains "kea4: resolv.conf from the lease" "$TMP/kea4dev/resolv.conf" "nameserver 10.143.0.3"
check_contains "kea4: search domain from the lease" "$TMP/kea4dev/resolv.conf" "sztp.test"
check_contains "kea4: the request came through the relay (giaddr)" "$TMP/kea4/kea4.log" "10.144.0.1"
check "kea4: the device reaches the services segment" ip netns exec "$NS" busybox ping -c1 -W2 10.143.0.10
stop_pid "$DHCLIENT_PID"
stop_pid "$KEA4_PID"

# ---- dnsmasq: udhcpc (v4) and dhclient -6, directly on the services segment --
check "dnsmasq starts" dnsmasq_start "$NET_SVC" "$TMP/dnsmasq" "$TMP/dnsmasq.lines"
net_device udhcpc direct
udhcpc_start "$NS" "$TMP/udhcpcdev" /dev/null
dev_checks "dnsmasq+udhcpc" "$TMP/udhcpcdev" 4 10.143.0.1
check_contains "udhcpc: default route" <(ip -n "$NS" route) "default via 10.143.0.254"
check_contains "udhcpc: resolv.conf from the lease" "$TMP/udhcpcdev/resolv.conf" "nameserver 10.143.0.3"
check_contains "udhcpc: search domain" "$TMP/udhcpcdev/resolv.conf" "search sztp.test"
net_device dnsm6 direct
dhclient_start "$NS" "$TMP/dnsm6dev" 6 /dev/null
dev_checks "dnsmasq+dhclient -6" "$TMP/dnsm6dev" 6 fd00:143::1
check_contains "dnsmasq v6: resolv.conf from the lease" "$TMP/dnsm6dev/resolv.conf" "nameserver fd00:143::3"
stop_pid "$DNSMASQ_PID"

# ---- Kea DHCPv6: direct and through the DHCPv6 relay, dhclient -6 ------------
check "kea-dhcp6 starts" kea6_start "$NET_SVC" "$TMP/kea6" "$(jq -c .kea6 "$TMP/dhcp.json")"
net_device kea6 direct
dhclient_start "$NS" "$TMP/kea6dev" 6 /dev/null
dev_checks "kea6+dhclient -6" "$TMP/kea6dev" 6 fd00:143::1
check_contains "kea6: resolv.conf from the lease" "$TMP/kea6dev/resolv.conf" "nameserver fd00:143::3"
check "dhcrelay -6 starts in the router" relay6_start "$TMP/relay6"
net_device kea6r routed
dhclient_start "$NS" "$TMP/kea6rdev" 6 /dev/null
dev_checks "kea6+relay6+dhclient -6" "$TMP/kea6rdev" 6 fd00:144::1
check "kea6 relayed: the device reaches the services segment" \
	ip netns exec "$NS" busybox ping -c1 -W2 fd00:143::10
stop_pid "$KEA6_PID"

# ---- a 442-byte option 143: Kea splits it (RFC 3396), dhclient joins it ------
L=$(printf 'a%.0s' $(seq 1 60)).$(printf 'b%.0s' $(seq 1 60))
URIS=("https://$L.one.sztp.test" "https://$L.two.sztp.test:8443" "https://$L.three.sztp.test")
printf '%s\n' "${URIS[@]}" >"$TMP/uris.want"
check "sztpctl dhcp --json, long URIs" dhcp_json "$TMP/dhcp-long.json" "${URIS[@]}"
check "the value is longer than one DHCPv4 option" test "$(jq .dhcpv4.length "$TMP/dhcp-long.json")" -gt 255
check "kea-dhcp4 with the long option" \
	kea4_start "$NET_SVC" "$TMP/kea4l" "$(jq -c .kea4 "$TMP/dhcp-long.json")"
net_device long routed
dhclient_start "$NS" "$TMP/longdev" 4 /dev/null
dev_checks "long option 143 (split and joined)" "$TMP/longdev" 4 10.144.0.1
stop_pid "$DHCLIENT_PID"
stop_pid "$KEA4_PID"

# ---- a lease without option 143: the agent starts all the same --------------
check "kea-dhcp4 without option 143" kea4_start "$NET_SVC" "$TMP/kea4n" ""
net_device noopt routed
dhclient_start "$NS" "$TMP/nooptdev" 4 /dev/null
check "no option: the hook started the agent" dev_wait_result "$TMP/nooptdev" 30
check_not_contains "no option: no --dhcp-option" "$TMP/nooptdev/run/fake-args" "--dhcp-option"
check "no option: no option file" test ! -e "$TMP/nooptdev/run/dhcp-option-v4"
check_contains "no option: the hook says so" "$TMP/nooptdev/run/agent.log" "option absent"

check_eq "the host's /etc and /etc/dhcp unchanged" "$(host_etc)" "$host_before"
e2e_finish
