#!/bin/bash
# System test, the failure variants: for each, what the device does and
# what the operator sees (sztpd #2's reports, rsyslog's file, the
# device's result).  Kea DHCPv4 through the relay, dhclient + exit hook;
# one device and one Kea configuration per variant:
#   SN-SYS-5  option 143 malformed: ignored (the reason logged), the next
#             source (a configured bootstrap-url) bootstraps the device;
#   SN-SYS-6  the first URI of option 143 unreachable: the next URI is used;
#   SN-SYS-3  the image's hash does not match: nothing installed, the
#             failure reported to sztpd #2 and to syslog;
#   SN-SYS-7  the URI's name is not in DNS: not bootstrapped, the reason
#             in syslog, nothing reaches the servers.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net.sh"
. "$(dirname "$0")/dhcp.sh"
. "$(dirname "$0")/services.sh"
e2e_init t_failures
trap 'svc_stop; net_down; e2e_cleanup' EXIT
sys_preflight
net_up
sys_services
check "dhcrelay -4 in the router" relay4_start "$TMP/relay4"
KEA4_PID=

# variant NAME SERIAL OPTION-DATA-JSON [AGENT-CONF-LINE]...: Kea with that
# option 143, a fresh device behind the router with dhclient, waited for;
# D (its directory), IP, R (its result.json), LOG (its messages in rsyslog).
variant() {
	local name=$1 sn=$2 opt=$3
	shift 3
	[ -n "$KEA4_PID" ] && stop_pid "$KEA4_PID"
	check "$name: kea-dhcp4" kea4_start "$NET_SVC" "$TMP/kea-$name" "$opt"
	net_device "$name" routed
	D=$TMP/$name
	sys_device_conf "$sn" "$D" "$@"
	dhclient_start "$NS" "$D" 4 "$D/agent.conf"
	check "$sn: the agent ran to its end" dev_wait_result "$D" 120
	IP=$(dev_addr "$NS" 4)
	R=$D/run/result.json
	LOG=$(svc_syslog_file "$IP")
	stop_pid "$DHCLIENT_PID"
}

# nothing_installed SERIAL: the device root holds no image and no config.
nothing_installed() {
	check "$1: no image installed" test -z "$(ls -A "$D/root/boot/images" 2>/dev/null)"
	check "$1: no image recorded for the next start" test ! -e "$D/root/boot/next-image"
	check "$1: still running the old image" test ! -e "$D/root/boot/running"
	check "$1: no partial download left" \
		test -z "$(find "$D/root" -name 'image.partial*' 2>/dev/null)"
	check "$1: no configuration applied" test ! -e "$D/root/etc/config"
}

# ---- SN-SYS-5: option 143 malformed -------------------------------------------
# a URI entry whose length (0x00ff) runs past the option's end
SN="SN-SYS-5"
variant malformed "$SN" "$(dhcp_kea_opt 4 00ff68747470733a2f2f62)" \
	"dns = no" "bootstrap-url = $SVC_BS_URL"
check_contains "$SN: the hook handed the malformed option over" "$D/run/dhcp-option-v4" "0:ff:68"
check_contains "$SN: the agent says why it ignored the option" "$D/run/agent.log" \
	"source: DHCPv4 option 143:"
check_contains "$SN: ... and the operator reads it in syslog" "$LOG" "DHCPv4 option 143:"
check_contains "$SN: the next source (bootstrap-url) was used" "$D/run/agent.log" \
	"source: url $SVC_BS_URL"
check_eq "$SN: result status" "$(jq -r .status "$R")" bootstrap-complete
check_eq "$SN: result source" "$(jq -r .source "$R")" url
sys_onboarded_checks "$SN" "$D" "$IP"

# ---- SN-SYS-6: the first URI unreachable ---------------------------------------
SN="SN-SYS-6"
check "dhcp --json with an unreachable first URI" \
	dhcp_json "$TMP/dhcp6.json" https://10.143.0.99 "$SVC_BS_URL"
variant unreachable "$SN" "$(jq -c .kea4 "$TMP/dhcp6.json")" "dns = no"
check_contains "$SN: the first URI tried" "$D/run/agent.log" "source: dhcpv4 https://10.143.0.99"
check_contains "$SN: ... and its failure logged" "$LOG" "10.143.0.99"
check_contains "$SN: the second URI used" "$D/run/agent.log" "source: dhcpv4 $SVC_BS_URL"
check_eq "$SN: result status" "$(jq -r .status "$R")" bootstrap-complete
check_eq "$SN: result source" "$(jq -r .source "$R")" dhcpv4
sys_onboarded_checks "$SN" "$D" "$IP"

# ---- SN-SYS-3: the image's hash does not match ----------------------------------
SN="SN-SYS-3"
check "dhcp --json" dhcp_json "$TMP/dhcp.json" "$SVC_BS_URL"
variant badhash "$SN" "$(jq -c .kea4 "$TMP/dhcp.json")" "dns = no"
check_eq "$SN: result status" "$(jq -r .status "$R")" failed
check_eq "$SN: exit code (not bootstrapped)" "$(jq -r '."exit-code"' "$R")" 2
check "$SN: the result names the hash" grep -qi 'sha-\?256\|hash' <(jq -r .error "$R")
nothing_installed "$SN"
check "$SN: nginx served the tampered image to the device" \
	grep -q "^$IP .*GET /image-2.0-tampered.img HTTP/1.1\" 200" "$SVC_NGINX_LOG"
dev_progress_types "$SN" >"$D/progress.types"
check_contains "$SN: sztpd #2 got boot-image-error" "$D/progress.types" boot-image-error
check_not_contains "$SN: ... and no bootstrap-complete" "$D/progress.types" bootstrap-complete
svc_progress "$SN" >"$D/progress.json"
check "$SN: the report says why" grep -qi 'sha-\?256\|hash' "$D/progress.json"
svc_ctl2 device show "$SN" >"$D/device-show.txt" 2>&1
check_not_contains "$SN: sztpctl device show: not complete" "$D/device-show.txt" \
	"state:      bootstrap-complete"
check_contains "$SN: sztpctl device show: the error" "$D/device-show.txt" boot-image-error
check_contains "$SN: syslog has the boot-image error" "$LOG" "boot-image"
check "$SN: ... at severity err (<27>: daemon.err)" grep -q '^<27>' \
	<(grep "SN-SYS-3" "$TMP/syslog/raw.log" | grep boot-image)

# ---- SN-SYS-7: the URI's name is not in DNS ------------------------------------
SN="SN-SYS-7"
check "dhcp --json with a name DNS does not know" \
	dhcp_json "$TMP/dhcp7.json" https://nosuch.sztp.test
check "BIND answers NXDOMAIN for it" grep -q 'status: NXDOMAIN' \
	<(ip netns exec "$NET_SVC" dig +time=1 +tries=1 @10.143.0.3 nosuch.sztp.test A)
variant nodns "$SN" "$(jq -c .kea4 "$TMP/dhcp7.json")" "dns = no"
check_eq "$SN: result status" "$(jq -r .status "$R")" failed
check_eq "$SN: exit code (not bootstrapped)" "$(jq -r '."exit-code"' "$R")" 2
check_contains "$SN: the agent tried the name" "$D/run/agent.log" "nosuch.sztp.test"
check "$SN: the operator reads in syslog that the name does not resolve" \
	grep -qi 'resolve' <(grep nosuch.sztp.test "$LOG")
check_contains "$SN: the operator reads that it is not bootstrapped" "$LOG" "not bootstrapped"
nothing_installed "$SN"
check_eq "$SN: sztpd #2 got no report" "$(dev_progress_types "$SN" | wc -l)" 0
e2e_finish
