#!/bin/bash
# System self-check of tests/system/services.sh: a services namespace with
# the reference network's addresses (docs/deployment.md), every service
# started by services.sh and asked for real from inside the namespace
# (both sztpd with a device's IDevID, BIND over UDP and TCP, nginx over
# HTTPS, rsyslog over UDP), then one device bootstrapped directly by
# sztp-agent --url https://bootstrap.sztp.test: untrusted -> signed
# redirect -> trusted onboarding server -> signed onboarding, image from
# nginx, hash checked, configuration applied, reports on sztpd #2, its
# messages in rsyslog's file; and SN-SYS-3's tampered image refused.
# Needs root, network namespaces and the programs below: without them it
# fails (loudly), it never skips.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/services.sh"
e2e_init t_services

# ---- prerequisites: fail loudly -------------------------------------------------
missing=""
for p in ip unshare mount named named-checkzone named-checkconf dig /usr/sbin/nginx \
	/usr/sbin/rsyslogd logger curl openssl jq sha256sum ss \
	"$BIN/sztpd" "$BIN/sztpctl" "$BIN/sztp-agent" "$BIN/sztp-pki"; do
	command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ "$(id -u)" -eq 0 ] || { fail "t_services needs root (network namespaces, ports 53/443/514)"; e2e_finish; exit 1; }
[ -z "$missing" ] || { fail "programs missing:$missing (scripts/deps.sh installs them)"; e2e_finish; exit 1; }

NS=sztp$$svc
svc_cleanup() {
	svc_stop
	ip netns del "$NS" 2>/dev/null
	e2e_cleanup
}
trap svc_cleanup EXIT
ip netns add "$NS" 2>"$TMP/netns.err" ||
	{ cat "$TMP/netns.err" >&2; fail "cannot create network namespace $NS"; e2e_finish; exit 1; }
# the services segment: a bridge with one veth port (carrier up), as in
# the full system test where the router and devices attach to it
ip -n "$NS" link set lo up &&
	ip -n "$NS" link add svcbr type bridge &&
	ip -n "$NS" link add svcp0 type veth peer name svcp1 &&
	ip -n "$NS" link set svcp0 master svcbr &&
	ip -n "$NS" link set svcp0 up && ip -n "$NS" link set svcp1 up &&
	ip -n "$NS" link set svcbr up || { fail "cannot make a bridge and a veth pair in $NS"; e2e_finish; exit 1; }
for a in 2 3 10 11 20 30; do
	ip -n "$NS" addr add "10.143.0.$a/24" dev svcbr &&
		ip -n "$NS" addr add "fd00:143::$a/64" dev svcbr nodad ||
		{ fail "cannot add the table's addresses in $NS"; e2e_finish; exit 1; }
done
IN() { ip netns exec "$NS" "$@"; }

# ---- start everything ------------------------------------------------------------------
# a TXT RRset far larger than a UDP answer (512 bytes, 1232 with EDNS): TCP only
big=$(head -c 3000 /dev/zero | tr '\0' 'x' | fold -w 250 | sed 's/.*/"&"/' | tr '\n' ' ')
printf 'big._sztp.sztp.test. 60 IN TXT %s\n' "$big" >"$TMP/big.zone"
if svc_start_all "$NS" "$TMP/big.zone"; then
	pass
else
	fail "svc_start_all: the services did not come up"
	e2e_finish
	exit 1
fi
check_contains "sztpctl dns: signed data for all eight devices" "$SVC_DNS_ZONE" "8 with signed data"
check_contains "sztpctl dns: none skipped" "$SVC_DNS_ZONE" "0 device(s) skipped"

# ---- sztpd #1 and #2 answer a device (its IDevID) with signed data ----------------------------
SN="SN-SYS-1"
RPC=restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data
# ask HOST PORT ADDR CA SERIAL OUT: get-bootstrapping-data (signed data preferred)
ask() {
	local a=$3
	case "$a" in *:*) a="[$a]" ;; esac
	IN curl -sS --fail-with-body --resolve "$1:$2:$a" --cacert "$4" \
		--cert "$SVC_PKI/devices/$5/chain.pem" --key "$SVC_PKI/devices/$5/idevid.key" \
		-H 'Content-Type: application/yang-data+json' -H 'Accept: application/yang-data+json' \
		-d '{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null]}}' \
		"https://$1:$2/$RPC" -o "$6"
}
# conveyed OUT.json -> OUT.ci.json: the conveyed information, its CMS
# signature verified by OpenSSL against the owner certificate chain
conveyed() {
	jq -r '."ietf-sztp-bootstrap-server:output"."conveyed-information"' "$1" | base64 -d >"$1.ci.der" &&
		openssl cms -verify -binary -inform DER -in "$1.ci.der" -certfile "$SVC_PKI/owner/chain.pem" \
			-CAfile "$SVC_PKI/owner/ca.pem" -purpose any -out "$1.ci.json" 2>"$1.verify"
}
for v in "$SVC_BS4" "$SVC_BS6"; do
	out=$TMP/bs-$v.json
	check "sztpd #1 answers $SN at $v" ask bootstrap.sztp.test 443 "$v" "$SVC_BS_CA" "$SN" "$out"
	check "sztpd #1 ($v): conveyed information signed by the owner" conveyed "$out"
	check_eq "sztpd #1 ($v): with an owner certificate and a voucher" \
		"$(jq -r '."ietf-sztp-bootstrap-server:output" | (has("owner-certificate") and has("ownership-voucher"))' "$out")" true
	check_eq "sztpd #1 ($v): redirect to onboard.sztp.test:8443" \
		"$(jq -r '."ietf-sztp-conveyed-info:redirect-information"."bootstrap-server"[0] | "\(.address):\(.port)"' "$out.ci.json")" \
		onboard.sztp.test:8443
	jq -r '."ietf-sztp-conveyed-info:redirect-information"."bootstrap-server"[0]."trust-anchor"' "$out.ci.json" |
		base64 -d >"$TMP/anchor.der"
	check "sztpd #1 ($v): the redirect's trust anchor holds sztpd #2's CA" \
		sh -c "openssl pkcs7 -inform DER -in '$TMP/anchor.der' -print_certs | grep -q 'CN *= *Onboard Server CA'"
done
for v in "$SVC_OB4" "$SVC_OB6"; do
	out=$TMP/ob-$v.json
	check "sztpd #2 answers $SN at $v (its own CA)" ask onboard.sztp.test 8443 "$v" "$SVC_OB_CA" "$SN" "$out"
	check "sztpd #2 ($v): conveyed information signed by the owner" conveyed "$out"
	check_eq "sztpd #2 ($v): image from files.sztp.test" \
		"$(jq -r '."ietf-sztp-conveyed-info:onboarding-information"."boot-image"."download-uri"[0]' "$out.ci.json")" \
		"$SVC_IMAGE_URL"
	check_eq "sztpd #2 ($v): the image's sha-256" \
		"$(jq -r '."ietf-sztp-conveyed-info:onboarding-information"."boot-image"."image-verification"[0]."hash-value"' "$out.ci.json" | tr -d ':')" \
		"$SVC_IMAGE_SHA256"
	check_eq "sztpd #2 ($v): the configuration" \
		"$(jq -r '."ietf-sztp-conveyed-info:onboarding-information".configuration' "$out.ci.json" | base64 -d)" \
		"$(cat "$SVC_CONFIG")"
done
check "sztpd #2 answers $SVC_BAD_SERIAL" ask onboard.sztp.test 8443 "$SVC_OB4" "$SVC_OB_CA" "$SVC_BAD_SERIAL" "$TMP/bad.json"
check "sztpd #2 ($SVC_BAD_SERIAL): signed" conveyed "$TMP/bad.json"
check_eq "sztpd #2 ($SVC_BAD_SERIAL): the tampered image's URI" \
	"$(jq -r '."ietf-sztp-conveyed-info:onboarding-information"."boot-image"."download-uri"[0]' "$TMP/bad.json.ci.json")" \
	"$SVC_IMAGE_BAD_URL"
check_fails "sztpd #1 refuses a client without an IDevID" \
	IN curl -sS --fail --resolve "bootstrap.sztp.test:443:$SVC_BS4" --cacert "$SVC_BS_CA" \
	-H 'Content-Type: application/yang-data+json' -d '{}' "https://bootstrap.sztp.test/$RPC"

# ---- BIND: the table's names, the SRV record, TCP for large answers -----------------------------
for srv in "$SVC_NS4" "$SVC_NS6"; do
	for nm_a in ns:3 bootstrap:10 onboard:11 files:20 syslog:30; do
		nm=${nm_a%%:*}
		check_eq "dig @$srv $nm.sztp.test A (udp)" \
			"$(IN dig +short +notcp "@$srv" "$nm.sztp.test" A)" "10.143.0.${nm_a#*:}"
		check_eq "dig @$srv $nm.sztp.test AAAA (tcp)" \
			"$(IN dig +short +tcp "@$srv" "$nm.sztp.test" AAAA)" "fd00:143::${nm_a#*:}"
	done
done
# PRIORITY WEIGHT PORT TARGET
IN dig +short +notcp @"$SVC_NS4" _sztp._tcp.sztp.test SRV >"$TMP/srv-udp.txt"
IN dig +short +tcp @"$SVC_NS6" _sztp._tcp.sztp.test SRV >"$TMP/srv-tcp.txt"
check "SRV _sztp._tcp.sztp.test -> bootstrap.sztp.test:443 (udp)" \
	grep -qxE '[0-9]+ 0 443 bootstrap\.sztp\.test\.' "$TMP/srv-udp.txt"
check "SRV _sztp._tcp.sztp.test (tcp), the same" cmp "$TMP/srv-udp.txt" "$TMP/srv-tcp.txt"
IN dig +notcp +ignore +bufsize=1232 @"$SVC_NS4" big._sztp.sztp.test TXT >"$TMP/dig-udp.txt"
check "a 3000-byte TXT over UDP is truncated (TC)" grep -qE 'flags:[a-z ]* tc[ ;]' "$TMP/dig-udp.txt"
check_eq "the same TXT over TCP, whole" \
	"$(IN dig +short +tcp @"$SVC_NS4" big._sztp.sztp.test TXT | tr -d '" \n' | wc -c)" 3000
check_eq "dig (no +tcp) retries over TCP and gets it whole" \
	"$(IN dig +short @"$SVC_NS4" big._sztp.sztp.test TXT | tr -d '" \n' | wc -c)" 3000
check_eq "NXDOMAIN for a name not in the zone" \
	"$(IN dig +noall +comments @"$SVC_NS4" nothere.sztp.test A | grep -o 'status: [A-Z]*')" "status: NXDOMAIN"
# the device's s4.2 TXT records (sztpctl dns): kilobytes, whole over TCP
IN dig +tcp +short @"$SVC_NS4" "$SN._sztp.sztp.test" TXT >"$TMP/txt.out"
check_contains "TXT $SN._sztp.sztp.test holds ci= (tcp)" "$TMP/txt.out" '"ci='
check_contains "TXT $SN._sztp.sztp.test holds ov= (tcp)" "$TMP/txt.out" '"ov='
check_contains "TXT $SN._sztp.sztp.test holds oc= (tcp)" "$TMP/txt.out" '"oc='
IN dig +notcp +ignore @"$SVC_NS4" "$SN._sztp.sztp.test" TXT >"$TMP/txt-udp.txt"
check "TXT $SN._sztp.sztp.test over UDP is truncated (TC)" grep -qE 'flags:[a-z ]* tc[ ;]' "$TMP/txt-udp.txt"
check_eq "names resolve through ns.sztp.test in svc_exec" \
	"$(svc_exec "$NS" getent ahostsv4 files.sztp.test | awk 'NR==1{print $1}')" "$SVC_FILES4"

# ---- nginx: the image over HTTPS ---------------------------------------------------------------------
check "curl https://files.sztp.test/image-2.0.img (name via BIND)" \
	svc_exec "$NS" curl -sS --fail --cacert "$SVC_FILES_CA" -o "$TMP/dl.img" "$SVC_IMAGE_URL"
check_eq "downloaded image's sha-256" "$(sha256sum <"$TMP/dl.img" | cut -d' ' -f1)" "$SVC_IMAGE_SHA256"
check "the same over IPv6" IN curl -sS --fail --cacert "$SVC_FILES_CA" \
	--resolve "files.sztp.test:443:[$SVC_FILES6]" -o "$TMP/dl6.img" "$SVC_IMAGE_URL"
check "IPv6 download equals the image" cmp "$TMP/dl6.img" "$SVC_IMAGE"
check_eq "the tampered copy differs" \
	"$(IN curl -sS --cacert "$SVC_FILES_CA" --resolve "files.sztp.test:443:$SVC_FILES4" "$SVC_IMAGE_BAD_URL" | sha256sum | cut -d' ' -f1)" \
	"$(sha256sum <"$SVC_IMAGE_BAD" | cut -d' ' -f1)"
check_eq "404 for a missing file" \
	"$(IN curl -s -o /dev/null -w '%{http_code}' --cacert "$SVC_FILES_CA" --resolve "files.sztp.test:443:$SVC_FILES4" https://files.sztp.test/none.img)" 404
check_contains "nginx access log names the download" "$SVC_NGINX_LOG" '"GET /image-2.0.img HTTP/1.1" 200 300000'

# ---- rsyslog: UDP in, the file out -----------------------------------------------------------------
LOG=$(svc_syslog_file)
tag=svc-check-$$
IN logger -d -n "$SVC_SYSLOG4" -P 514 --rfc5424 -t "$tag" "hello over IPv4"
IN logger -d -n "$SVC_SYSLOG6" -P 514 --rfc5424 -t "$tag" "hello over IPv6"
check "rsyslog wrote the IPv4 message" svc_wait "syslog (IPv4)" grep -q "$tag\[.*hello over IPv4" "$LOG"
check "rsyslog wrote the IPv6 message" svc_wait "syslog (IPv6)" grep -q "$tag\[.*hello over IPv6" "$LOG"
check "the sender's address starts the line" grep -qE "^10\.143\.0\.[0-9]+ .*hello over IPv4" "$LOG"
check "a file per sender" grep -q "hello over IPv6" "$(svc_syslog_file "$SVC_SYSLOG6")"

# ---- one device bootstrapped directly (services segment, --url) -----------------------------------
agent() { # NAME SERIAL [ARG]...: run sztp-agent inside the namespace; EXIT, R
	local name=$1 sn=$2
	shift 2
	[ $# -gt 0 ] || set -- --url "$SVC_BS_URL"
	if [ "$1" = --url ]; then
		svc_agent_conf "$sn" "$TMP/dev/$name" "$TMP/$name.conf" "dns = no" || return 1
	else
		svc_agent_conf "$sn" "$TMP/dev/$name" "$TMP/$name.conf" || return 1
	fi
	svc_exec "$NS" "$BIN/sztp-agent" -c "$TMP/$name.conf" "$@" >"$TMP/$name.out" 2>&1
	EXIT=$?
	R=$TMP/dev/$name/var/lib/sztp/result.json
}
jr() { jq -r "$1" "$R" 2>/dev/null; }
n_get=$(grep -c 'GET /image-2.0.img HTTP/1.1" 200' "$SVC_NGINX_LOG")
agent d1 "$SN"
check_eq "agent: exit 0" "$EXIT" 0
[ "$EXIT" = 0 ] || sed 's/^/    | /' "$TMP/d1.out" >&2
check_eq "agent: bootstrap-complete" "$(jr .status)" bootstrap-complete
check_eq "agent: onboarded by sztpd #2" "$(jr .server)" "$SVC_OB_URL/restconf"
check_eq "agent: sztpd #2 trusted (the redirect's anchor)" "$(jr .trusted)" true
check_contains "agent: the redirect from sztpd #1 was signed" "$TMP/d1.out" "signed conveyed information accepted"
check_eq "agent: rebooted once into the image" "$(jr .reboots)" 1
check_eq "agent: running os-version 2.0" "$(jr '."os-version"')" 2.0
check "agent: the image installed is the one nginx served" \
	cmp "$TMP/dev/d1/boot/images/demo-os-2.0.img" "$SVC_IMAGE"
check "agent: configuration applied" cmp "$TMP/dev/d1/etc/config" "$SVC_CONFIG"
check_eq "nginx served the image to the device (once)" \
	"$(grep -c 'GET /image-2.0.img HTTP/1.1" 200' "$SVC_NGINX_LOG")" $((n_get + 1))
svc_progress "$SN" >"$TMP/progress.json"
for t in bootstrap-initiated boot-image-installed-rebooting config-complete bootstrap-complete; do
	check_contains "sztpd #2 progress: $t" "$TMP/progress.json" "\"$t\""
done
check_eq "sztpd #1 got no reports (untrusted)" "$(svc_ctl1 --json progress "$SN" | grep -c bootstrap-complete)" 0
check "syslog: the agent's messages" svc_wait "agent syslog" grep -q "sztp-agent\[.*serial=\"$SN\".*bootstrap complete" "$LOG"

# ---- SN-SYS-3: the tampered image is refused --------------------------------------------------------
agent d3 "$SVC_BAD_SERIAL"
check_eq "tampered: exit 2" "$EXIT" 2
check_contains "tampered: hash mismatch" "$R" "does not match its sha-256"
check "tampered: nothing installed" test -z "$(ls -A "$TMP/dev/d3/boot/images" 2>/dev/null)"
check_contains "tampered: boot-image-error on sztpd #2" <(svc_progress "$SVC_BAD_SERIAL") boot-image-error
check "tampered: the error in syslog" svc_wait "agent syslog (tampered)" \
	grep -q "serial=\"$SVC_BAD_SERIAL\".*sha-256" "$LOG"

# ---- the DNS source: nothing but dns = yes and the resolver's ns.sztp.test --------------------------
agent d8 SN-SYS-8 --result "$TMP/dev/d8.json"
R=$TMP/dev/d8.json
check_eq "DNS source: exit 0" "$EXIT" 0
[ "$EXIT" = 0 ] || sed 's/^/    | /' "$TMP/d8.out" >&2
check_eq "DNS source: the device's signed TXT records" "$(jr .source)" dns-txt
check_eq "DNS source: bootstrap-complete on sztpd #2" "$(jr .server) $(jr .status)" \
	"$SVC_OB_URL/restconf bootstrap-complete"
check "DNS source: configuration applied" cmp "$TMP/dev/d8/etc/config" "$SVC_CONFIG"
check_contains "DNS source: the TXT answer came whole (over TCP)" "$TMP/d8.out" "3 records"

# ---- svc_stop stops what it started ---------------------------------------------------------------
pids=$(cut -d' ' -f1 "$TMP/services.pids" | tr '\n' ' ')
check_eq "processes started and recorded" "$(wc -l <"$TMP/services.pids")" 7
svc_stop
left=""
for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
check_eq "svc_stop: none left running" "$left" ""
e2e_finish
