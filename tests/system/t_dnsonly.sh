#!/bin/bash
# System test, DNS only (RFC 8572 s4.2): Kea DHCPv4 through the relay
# sends NO option 143, only the domain name and BIND's address; the hook
# starts sztp-agent without an option and the agent's DNS source finds the
# device's data in the zone `sztpctl dns` made from sztpd #1's registry:
#   SN-SYS-8  TXT SN-SYS-8._sztp.sztp.test (signed redirect + owner
#             certificate + voucher) -> onboard.sztp.test -> complete;
#   SN-SYS-7  its TXT left out of this run's zone: SRV _sztp._tcp.sztp.test
#             -> bootstrap.sztp.test (unsigned redirect information) ->
#             signed redirect -> onboard.sztp.test -> complete;
#   SN-SYS-6  searching a domain without the records (lab.sztp.test:
#             NXDOMAIN): not bootstrapped, the lookups in syslog.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net.sh"
. "$(dirname "$0")/dhcp.sh"
. "$(dirname "$0")/services.sh"
e2e_init t_dnsonly
trap 'svc_stop; net_down; e2e_cleanup' EXIT
sys_preflight
net_up
# svc_start_all, with SN-SYS-7's TXT records taken out of the fragment
if svc_pki && svc_content && svc_sztpd_pair "$NET_SVC" && svc_rsyslog "$NET_SVC" &&
	svc_nginx "$NET_SVC" && svc_dns_zone "$TMP/dns/all.zone" >/dev/null; then
	pass
else
	fail "the services did not come up"
	e2e_finish
	exit 1
fi
check_contains "the zone has SN-SYS-8's TXT" "$TMP/dns/all.zone" "SN-SYS-8._sztp.sztp.test."
check_contains "the zone has the SRV record" "$TMP/dns/all.zone" "_sztp._tcp.sztp.test."
# a device's records run from its "; device SN: ..." comment to the next comment
awk '/^; device SN-SYS-7:/ { skip = 1; next } /^;/ { skip = 0 } !skip' "$TMP/dns/all.zone" \
	>"$TMP/dns/zone"
check_not_contains "SN-SYS-7's TXT left out" "$TMP/dns/zone" "SN-SYS-7._sztp"
check "named with the fragment" svc_named "$NET_SVC" "$TMP/dns/zone"

check "kea-dhcp4 without option 143" kea4_start "$NET_SVC" "$TMP/kea4" ""
check "dhcrelay -4 in the router" relay4_start "$TMP/relay4"
# the three devices boot at once
for n in 8 7 6; do
	net_device "dev$n" routed
	eval "NS$n=\$NS"
	extra=()
	[ "$n" = 6 ] && extra=("dns-domain = lab.sztp.test")
	sys_device_conf "SN-SYS-$n" "$TMP/dev$n" "${extra[@]}"
	check_contains "SN-SYS-$n: the agent's DNS source is on" "$TMP/dev$n/agent.conf" "dns = yes"
	dhclient_start "$NS" "$TMP/dev$n" 4 "$TMP/dev$n/agent.conf"
done

# dnsonly_device N SOURCE: SN-SYS-N bootstrapped from SOURCE without an option.
dnsonly_device() {
	local n=$1 src=$2 ns D R IP
	ns=NS$n
	ns=${!ns}
	D=$TMP/dev$n
	R=$D/run/result.json
	check "SN-SYS-$n: the agent ran to its end" dev_wait_result "$D" 120
	IP=$(dev_addr "$ns" 4)
	check_contains "SN-SYS-$n: the lease had no option 143" "$D/run/agent.log" "option absent"
	check "SN-SYS-$n: no option file" test ! -e "$D/run/dhcp-option-v4"
	check_contains "SN-SYS-$n: resolv.conf's search list from the lease" "$D/resolv.conf" sztp.test
	check_eq "SN-SYS-$n: result status" "$(jq -r .status "$R")" bootstrap-complete
	check_eq "SN-SYS-$n: result source" "$(jq -r .source "$R")" "$src"
	sys_onboarded_checks "SN-SYS-$n" "$D" "$IP"
}
dnsonly_device 8 dns-txt
check_contains "SN-SYS-8: asked for its TXT record" "$TMP/dev8/run/agent.log" "SN-SYS-8._sztp.sztp.test"
dnsonly_device 7 dns-srv
check_contains "SN-SYS-7: followed the SRV target" "$TMP/dev7/run/agent.log" \
	"connect: bootstrap.sztp.test (10.143.0.10) untrusted"

D=$TMP/dev6
check "SN-SYS-6: the agent ran to its end" dev_wait_result "$D" 120
IP=$(dev_addr "$NS6" 4)
check_eq "SN-SYS-6: not bootstrapped" "$(jq -r .status "$D/run/result.json")" failed
check_eq "SN-SYS-6: exit code" "$(jq -r '."exit-code"' "$D/run/result.json")" 2
check_contains "SN-SYS-6: asked lab.sztp.test" "$D/run/agent.log" "SN-SYS-6._sztp.lab.sztp.test"
check_contains "SN-SYS-6: the operator reads the lookups in syslog" "$(svc_syslog_file "$IP")" \
	"lab.sztp.test"
check_contains "SN-SYS-6: ... and that it is not bootstrapped" "$(svc_syslog_file "$IP")" \
	"not bootstrapped"
check "SN-SYS-6: nothing installed" test ! -e "$D/root/boot/images"
check_eq "SN-SYS-6: sztpd #2 got no report" "$(dev_progress_types SN-SYS-6 | wc -l)" 0
e2e_finish
