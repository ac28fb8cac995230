#!/bin/bash
# System test, the main path (RFC 8572 as an operator deploys it): a
# device behind a router boots; dhclient gets a lease from Kea DHCPv4
# through isc-dhcp-relay with option 143 (from `sztpctl dhcp`), the real
# dhclient-script runs our exit hook, which starts sztp-agent; the agent
# resolves bootstrap.sztp.test through BIND, is untrusted -> gets a signed
# redirect -> onboard.sztp.test (trusted through the redirect's anchor)
# -> signed onboarding -> image from nginx, hash checked, "restart" into
# it -> configuration applied -> every progress report.  Then the
# operator's view: rsyslog's file holds the device's messages, sztpctl
# on sztpd #2 says bootstrap-complete, the device root holds the new image
# and configuration.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net.sh"
. "$(dirname "$0")/dhcp.sh"
. "$(dirname "$0")/services.sh"
e2e_init t_main
trap 'svc_stop; net_down; e2e_cleanup' EXIT
sys_preflight
net_up
sys_services

SN="SN-SYS-1"
check "sztpctl dhcp --json $SVC_BS_URL" dhcp_json "$TMP/dhcp.json" "$SVC_BS_URL"
check "kea-dhcp4 with the generated option 143" \
	kea4_start "$NET_SVC" "$TMP/kea4" "$(jq -c .kea4 "$TMP/dhcp.json")"
check "dhcrelay -4 in the router" relay4_start "$TMP/relay4"
net_device dev1 routed
D=$TMP/dev1
sys_device_conf "$SN" "$D"
dhclient_start "$NS" "$D" 4 "$D/agent.conf"
check "$SN: the agent ran to its end" dev_wait_result "$D" 120
IP=$(dev_addr "$NS" 4)
check "$SN: leased an address of the device segment" test -n "$IP"
check_contains "$SN: the lease holds option 143" "$D/dhclient4.leases" "option sztp-redirect"
check_contains "$SN: the hook handed the option over" "$D/run/agent.log" \
	"starting $BIN/sztp-agent (DHCPv4 option $D/run/dhcp-option-v4)"
check_contains "$SN: the agent resolved the URI's name (BIND)" "$D/run/agent.log" \
	"connect: bootstrap.sztp.test (10.143.0.10) untrusted"
check_contains "$SN: redirected to the onboarding server, trusted" "$D/run/agent.log" \
	"connect: onboard.sztp.test (10.143.0.11) trusted"
R=$D/run/result.json
check_eq "$SN: result status" "$(jq -r .status "$R")" bootstrap-complete
check_eq "$SN: exit code" "$(jq -r '."exit-code"' "$R")" 0
check_eq "$SN: source" "$(jq -r .source "$R")" dhcpv4
check_eq "$SN: trusted in the end" "$(jq -r .trusted "$R")" true
check_eq "$SN: rebooted once into the image" "$(jq -r .reboots "$R")" 1
check_eq "$SN: running the new version" "$(jq -r '."os-version"' "$R")" 2.0
check_contains "$SN: name resolved through BIND (resolv.conf from the lease)" "$D/resolv.conf" \
	"nameserver 10.143.0.3"
sys_onboarded_checks "$SN" "$D" "$IP"
e2e_finish
