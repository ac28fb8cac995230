#!/bin/bash
# t_sztpctl_dhcp.sh - `sztpctl dhcp URI...` (RFC 8572 s8): the option 143
# and 136 values decode back with sztp-agent's parser to the same URIs
# (also a DHCPv4 list over 255 bytes, split as RFC 3396 says and re-joined
# from an options area); the configuration it prints is loaded by the real
# programs' checkers (kea-dhcp4/6 -t, dhcpd -t, dhcpd -6 -t, dnsmasq
# --test); bad URIs are refused with the reason and nothing on stdout; and
# real DHCPv4 exchanges between network namespaces made here deliver the
# value intact: dnsmasq with the generated line to busybox udhcpc -O 143,
# and Kea with a 424-byte list (sent split) to dhclient.  The programs are checked first: missing ones FAIL the test.
# The exchange needs root (CI runs as root): not root, it FAILS unless
# SZTP_E2E_NO_ROOT=1 says root tests are impossible here (then it says so).
. "$(dirname "$0")/lib.sh"
e2e_init t_sztpctl_dhcp
PATH=$PATH:/usr/sbin:/sbin
CTL=$BIN/sztpctl
AGENT=$BIN/sztp-agent

missing=""
for p in kea-dhcp4 kea-dhcp6 dhcpd dnsmasq busybox dhclient jq ip; do
	command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	fail "programs missing:$missing (scripts/deps.sh installs them)"
	e2e_finish
	exit 1
fi

S1=https://bootstrap.sztp.test
S2=https://onboard.sztp.test:8443
S3='https://[fd00:143::10]'
LONG=()
for i in 0 1 2 3 4 5 6 7; do
	LONG+=("https://bootstrap-server-$i.long-domain.example:8443")
done

# The URIs of an option value (hex in FILE) as sztp-agent reads them.
parse() { "$AGENT" dhcp-parse "$@" 2>"$TMP/parse.err"; }
# hex of n (16 bits)
hex16() { printf '%04x' "$1"; }

# ---- the values: JSON contract, decoded back ---------------------------------------------
check "dhcp --json" sh -c '"$0" dhcp --json "$1" "$2" "$3" >"$4"' "$CTL" $S1 $S2 "$S3" "$TMP/s.json"
check "--json is JSON" jq -e . "$TMP/s.json"
check_eq "uris" "$(jq -c .uris "$TMP/s.json")" "[\"$S1\",\"$S2\",\"$S3\"]"
len=$(( 3 * 2 + ${#S1} + ${#S2} + ${#S3} ))
check_eq "keys" "$(jq -c 'keys_unsorted' "$TMP/s.json")" \
	'["uris","dhcpv4","dhcpv6","kea4","kea6","dhcpd","dhcpd6","dnsmasq","notes"]'
check_eq "dhcpv4 code, length, instances" \
	"$(jq -r '[.dhcpv4.code, .dhcpv4.length, .dhcpv4.instances] | join(" ")' "$TMP/s.json")" \
	"143 $len 1"
check_eq "dhcpv6 code, length" \
	"$(jq -r '[.dhcpv6.code, .dhcpv6.length] | join(" ")' "$TMP/s.json")" "136 $len"
HEX=$(jq -r .dhcpv4.hex "$TMP/s.json")
check_eq "same value for 143 and 136" "$(jq -r .dhcpv6.hex "$TMP/s.json")" "$HEX"
check_eq "hex length" "${#HEX}" "$((2 * len))"
check_eq "starts with the first URI's length" "${HEX:0:4}" "$(hex16 ${#S1})"
printf '%s\n' "$S1" "$S2" "$S3" >"$TMP/want.txt"
printf '%s' "$HEX" >"$TMP/v.hex"
check "value decodes" sh -c '"$0" dhcp-parse "$1" >"$2"' "$AGENT" "$TMP/v.hex" "$TMP/got.txt"
check "value decodes to the URIs" cmp "$TMP/want.txt" "$TMP/got.txt"
# DHCPv6: an options area with a client id before option 136
printf '0001000400aabbcc0088%s%s' "$(hex16 "$len")" "$HEX" >"$TMP/v6.hex"
check "v6 options decode" sh -c '"$0" dhcp-parse --v6-options "$1" >"$2"' "$AGENT" \
	"$TMP/v6.hex" "$TMP/got6.txt"
check "v6 options decode to the URIs" cmp "$TMP/want.txt" "$TMP/got6.txt"
# DHCPv4: the options field as encoded (code 143 = 8f, length)
check_eq "encoded option 143" "$(jq -r .dhcpv4.encoded "$TMP/s.json")" \
	"8f$(printf '%02x' "$len")$HEX"
printf '350101%s0304c0000201ff' "$(jq -r .dhcpv4.encoded "$TMP/s.json")" >"$TMP/v4.hex"
check "v4 options decode" sh -c '"$0" dhcp-parse --v4-options "$1" >"$2"' "$AGENT" \
	"$TMP/v4.hex" "$TMP/got4.txt"
check "v4 options decode to the URIs" cmp "$TMP/want.txt" "$TMP/got4.txt"

# Kea entries: code/space/csv-format false/data
check_eq "kea4" "$(jq -c .kea4 "$TMP/s.json")" \
	"{\"code\":143,\"space\":\"dhcp4\",\"csv-format\":false,\"data\":\"$HEX\"}"
check_eq "kea6" "$(jq -c .kea6 "$TMP/s.json")" \
	"{\"code\":136,\"space\":\"dhcp6\",\"csv-format\":false,\"data\":\"$HEX\"}"
COLON=$(printf '%s' "$HEX" | sed 's/../&:/g; s/:$//')
check_eq "dhcpd" "$(jq -r .dhcpd "$TMP/s.json")" \
	"option sztp-redirect code 143 = string;
option sztp-redirect $COLON;"
check_eq "dhcpd6" "$(jq -r .dhcpd6 "$TMP/s.json")" \
	"option dhcp6.sztp-redirect code 136 = string;
option dhcp6.sztp-redirect $COLON;"
check_eq "dnsmasq" "$(jq -r .dnsmasq "$TMP/s.json")" "dhcp-option=143,$COLON
dhcp-option=option6:136,$COLON"
check "notes: an array of sentences" jq -e '.notes | length >= 1 and all(type == "string")' \
	"$TMP/s.json"

# text output: the same values and snippets
check "dhcp (text)" sh -c '"$0" dhcp "$1" "$2" "$3" >"$4"' "$CTL" $S1 $S2 "$S3" "$TMP/s.txt"
check_contains "text: v4 length" "$TMP/s.txt" "DHCPv4 option 143, $len bytes:"
check_contains "text: v6 length" "$TMP/s.txt" "DHCPv6 option 136, $len bytes:"
check_contains "text: hex" "$TMP/s.txt" "  $HEX"
check_contains "text: kea4" "$TMP/s.txt" "$(jq -c .kea4 "$TMP/s.json" | sed 's/,/, /g; s/":/": /g')"
while IFS= read -r l; do
	check_contains "text: config line" "$TMP/s.txt" "$l"
done < <(jq -r '.dhcpd, .dhcpd6, .dnsmasq' "$TMP/s.json")

# ---- over 255 bytes: RFC 3396 ------------------------------------------------------------------
check "dhcp --json, 8 long URIs" sh -c '"$0" dhcp --json "$@" >"'"$TMP/l.json"'"' "$CTL" "${LONG[@]}"
LHEX=$(jq -r .dhcpv4.hex "$TMP/l.json")
check_eq "long: 424 bytes in 2 instances" \
	"$(jq -r '[.dhcpv4.length, .dhcpv4.instances] | join(" ")' "$TMP/l.json")" "424 2"
printf '%s\n' "${LONG[@]}" >"$TMP/lwant.txt"
printf '%s' "$LHEX" >"$TMP/l.hex"
check "long value decodes" sh -c '"$0" dhcp-parse "$1" >"$2"' "$AGENT" "$TMP/l.hex" "$TMP/lgot.txt"
check "long value decodes to the URIs" cmp "$TMP/lwant.txt" "$TMP/lgot.txt"
ENC=$(jq -r .dhcpv4.encoded "$TMP/l.json")
check_eq "long: first piece 255 bytes" "${ENC:0:4}" "8fff"
check_eq "long: second piece 169 bytes" "${ENC:514:4}" "8fa9"
# the options area a client gets: other options before, between and after the pieces
printf '350102%s0304c0000201%sff' "${ENC:0:514}" "${ENC:514}" >"$TMP/l4.hex"
check "long: split options re-joined" sh -c '"$0" dhcp-parse --v4-options "$1" >"$2"' "$AGENT" \
	"$TMP/l4.hex" "$TMP/l4got.txt"
check "long: re-joined to the URIs" cmp "$TMP/lwant.txt" "$TMP/l4got.txt"
# without the second piece the list is cut: its last URIs are lost
printf '350102%sff' "${ENC:0:514}" >"$TMP/l4cut.hex"
parse --v4-options "$TMP/l4cut.hex" >"$TMP/l4cut.txt"
check_eq "long: first piece alone has 4 whole URIs" "$(wc -l <"$TMP/l4cut.txt")" 4
check "long: notes say what the servers do" jq -e '[.notes[] | select(test("Kea 2.2.0") or
	test("dhcpd 4.4.3") or test("dnsmasq 2.90 refuses"))] | length == 3' "$TMP/l.json"
check_contains "long: dnsmasq v4 line left out" <(jq -r .dnsmasq "$TMP/l.json") \
	"# dhcp-option=143 left out: dnsmasq refuses a DHCPv4 option over 255 bytes, this one is 424"
check_contains "long: text says split" <("$CTL" dhcp "${LONG[@]}") \
	"DHCPv4 option 143, 424 bytes, sent as 2 options of at most 255 bytes (RFC 3396):"
# 300 bytes: dnsmasq takes it for DHCPv6 only
M=("https://$(printf 'a%.0s' $(seq 60)).example" "https://$(printf 'b%.0s' $(seq 60)).example"
	"https://$(printf 'c%.0s' $(seq 60)).example" "https://$(printf 'd%.0s' $(seq 48)).example")
check "dhcp --json, 300 bytes" sh -c '"$0" dhcp --json "$@" >"'"$TMP/m.json"'"' "$CTL" "${M[@]}"
check_eq "300 bytes" "$(jq -r .dhcpv4.length "$TMP/m.json")" 300

# ---- the configuration, loaded by the servers' own checkers -------------------------------
kea4_conf() { # JSON OUT: a whole kea-dhcp4 configuration around the entry
	jq '{Dhcp4: {"interfaces-config": {interfaces: []},
		"lease-database": {type: "memfile", persist: false},
		"option-data": [.kea4],
		subnet4: [{id: 1, subnet: "10.143.0.0/24",
			pools: [{pool: "10.143.0.100 - 10.143.0.199"}]}]}}' "$1" >"$2"
}
kea6_conf() {
	jq '{Dhcp6: {"interfaces-config": {interfaces: []},
		"lease-database": {type: "memfile", persist: false},
		"option-data": [.kea6],
		subnet6: [{id: 1, subnet: "fd00:143::/64",
			pools: [{pool: "fd00:143::100 - fd00:143::1ff"}]}]}}' "$1" >"$2"
}
dhcpd_conf() {
	{
		jq -r .dhcpd "$1"
		echo "subnet 10.143.0.0 netmask 255.255.255.0 { range 10.143.0.100 10.143.0.199; }"
	} >"$2"
}
dhcpd6_conf() {
	{
		jq -r .dhcpd6 "$1"
		echo "subnet6 fd00:143::/64 { range6 fd00:143::100 fd00:143::1ff; }"
	} >"$2"
}
# kea's -t writes nothing but may want its lock and pid directories
export KEA_LOCKFILE_DIR="$TMP" KEA_PIDFILE_DIR="$TMP"
for v in s m l; do
	kea4_conf "$TMP/$v.json" "$TMP/kea4-$v.json"
	kea6_conf "$TMP/$v.json" "$TMP/kea6-$v.json"
	dhcpd_conf "$TMP/$v.json" "$TMP/dhcpd-$v.conf"
	dhcpd6_conf "$TMP/$v.json" "$TMP/dhcpd6-$v.conf"
	jq -r .dnsmasq "$TMP/$v.json" >"$TMP/dnsmasq-$v.conf"
	check "kea-dhcp4 -t ($v)" kea-dhcp4 -t "$TMP/kea4-$v.json"
	check "kea-dhcp6 -t ($v)" kea-dhcp6 -t "$TMP/kea6-$v.json"
	check "dhcpd -t ($v)" dhcpd -4 -t -cf "$TMP/dhcpd-$v.conf"
	check "dhcpd -6 -t ($v)" dhcpd -6 -t -cf "$TMP/dhcpd6-$v.conf"
	check "dnsmasq --test ($v)" dnsmasq --test --conf-file="$TMP/dnsmasq-$v.conf"
done
check_contains "300 bytes: dnsmasq gets the v6 line" "$TMP/dnsmasq-m.conf" "dhcp-option=option6:136,"
check_contains "300 bytes: not the v4 line" "$TMP/dnsmasq-m.conf" "# dhcp-option=143 left out"
check_contains "424 bytes: no v6 line either" "$TMP/dnsmasq-l.conf" \
	"# dhcp-option=option6:136 left out: the line would be 1295 characters"
# the checkers do check: what was left out or broken is refused
MCOLON=$(jq -r .dhcpv4.hex "$TMP/m.json" | sed 's/../&:/g; s/:$//')
echo "dhcp-option=143,$MCOLON" >"$TMP/dnsmasq-bad4.conf"
check_fails "dnsmasq refuses a v4 option over 255 bytes" \
	dnsmasq --test --conf-file="$TMP/dnsmasq-bad4.conf"
LCOLON=$(printf '%s' "$LHEX" | sed 's/../&:/g; s/:$//')
echo "dhcp-option=option6:136,$LCOLON" >"$TMP/dnsmasq-bad6.conf"
check_fails "dnsmasq refuses a line over 1024 characters" \
	dnsmasq --test --conf-file="$TMP/dnsmasq-bad6.conf"
jq '.Dhcp4["option-data"][0].data = "00zz"' "$TMP/kea4-s.json" >"$TMP/kea4-bad.json"
check_fails "kea-dhcp4 -t refuses bad data" kea-dhcp4 -t "$TMP/kea4-bad.json"
sed 's/sztp-redirect 00:/sztp-redirect 00:zz:/' "$TMP/dhcpd-s.conf" >"$TMP/dhcpd-bad.conf"
check_fails "dhcpd -t refuses bad data" dhcpd -4 -t -cf "$TMP/dhcpd-bad.conf"

# ---- bad URIs: the reason, exit 1, nothing on stdout -----------------------------------------
refused() { # DESCRIPTION REASON URI...
	local d=$1 why=$2 rc
	shift 2
	"$CTL" dhcp "$@" >"$TMP/bad.out" 2>"$TMP/bad.err"
	rc=$?
	check_eq "$d: exit status" "$rc" 1
	check_eq "$d: stdout empty" "$(wc -c <"$TMP/bad.out")" 0
	check_contains "$d: reason" "$TMP/bad.err" "$why"
	"$CTL" dhcp --json "$@" >"$TMP/bad.out" 2>/dev/null
	check_eq "$d: --json stdout empty" "$(wc -c <"$TMP/bad.out")" 0
}
refused "http" "sztpctl: error: URI 'http://sztp.example': not an https URI" $S1 http://sztp.example
refused "path" "URI 'https://sztp.example/restconf': has a path after the authority" \
	https://sztp.example/restconf
refused "user@" "URI 'https://admin@sztp.example': has user information (user@) before the host" \
	https://admin@sztp.example
refused "bad host" "URI 'https://sztp_example': host is not a valid name or address" \
	https://sztp_example
refused "bad port" "URI 'https://sztp.example:99999': bad port" https://sztp.example:99999
refused "too long" "': longer than 1024 bytes" "https://$(printf 'a%.0s' $(seq 1100))"
refused "empty" "URI '': is empty" ""
"$CTL" dhcp >"$TMP/bad.out" 2>"$TMP/bad.err"
check_eq "no URI: usage error" "$?" 2
check_contains "no URI: says so" "$TMP/bad.err" "missing argument for 'dhcp'"
MANY=()
for i in $(seq 33); do MANY+=("https://h$i.example"); done
"$CTL" dhcp "${MANY[@]}" >"$TMP/bad.out" 2>"$TMP/bad.err"
check_eq "33 URIs: refused" "$?" 2
check_contains "33 URIs: too many" "$TMP/bad.err" "too many arguments for 'dhcp'"

# ---- a real exchange: dnsmasq in one namespace, busybox udhcpc in another -----------------
if [ "$(id -u)" -ne 0 ]; then
	if [ "${SZTP_E2E_NO_ROOT:-}" = 1 ]; then
		echo "************************************************************************"
		echo "t_sztpctl_dhcp: the DHCP exchange is NOT RUN - not root and"
		echo "SZTP_E2E_NO_ROOT=1: option 143 on the wire is NOT TESTED on this machine"
		echo "************************************************************************"
	else
		fail "the DHCP exchange needs root (network namespaces); set SZTP_E2E_NO_ROOT=1 where that is impossible"
	fi
	e2e_finish
	exit
fi
NS_S=sztpdhcp$$s NS_C=sztpdhcp$$c VS=sd$$a VC=sd$$b DNSMASQ_PID="" KEA_PID="" DHCLIENT_PID=""
net_cleanup() {
	local p
	for p in $DNSMASQ_PID $KEA_PID $DHCLIENT_PID; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	e2e_cleanup
}
trap net_cleanup EXIT
check "netns $NS_S" ip netns add "$NS_S"
check "netns $NS_C" ip netns add "$NS_C"
check "veth" ip link add "$VS" type veth peer name "$VC"
check "veth to the namespaces" sh -c 'ip link set "$0" netns "$1" && ip link set "$2" netns "$3"' \
	"$VS" "$NS_S" "$VC" "$NS_C"
check "server address" ip -n "$NS_S" addr add 10.143.0.2/24 dev "$VS"
check "links up" sh -c 'ip -n "$0" link set "$1" up && ip -n "$2" link set "$3" up' \
	"$NS_S" "$VS" "$NS_C" "$VC"
{
	echo "port=0"
	echo "interface=$VS"
	echo "bind-interfaces"
	echo "no-ping"
	echo "dhcp-range=10.143.0.100,10.143.0.199,1h"
	echo "dhcp-leasefile=$TMP/dnsmasq.leases"
	jq -r .dnsmasq "$TMP/s.json"
} >"$TMP/dnsmasq-run.conf"
ip netns exec "$NS_S" dnsmasq -k --conf-file="$TMP/dnsmasq-run.conf" --log-dhcp \
	--log-facility="$TMP/dnsmasq.log" --pid-file="$TMP/dnsmasq.pid" &
DNSMASQ_PID=$!
# the udhcpc script: records each event and the option as udhcpc hands it over
cat >"$TMP/record.sh" <<EOF
#!/bin/sh
echo "\$1 \${opt143:-}" >>"$TMP/udhcpc.events"
EOF
chmod +x "$TMP/record.sh"
sleep 0.5
check "udhcpc gets a lease" timeout 60 ip netns exec "$NS_C" busybox udhcpc -i "$VC" -O 143 -q -n \
	-t 5 -T 3 -s "$TMP/record.sh"
got=$(awk '$1 == "bound" { print $2 }' "$TMP/udhcpc.events" 2>/dev/null)
check_eq "option 143 arrives intact" "$got" "$HEX"
printf '%s' "$got" >"$TMP/wire.hex"
check "what arrived decodes" sh -c '"$0" dhcp-parse "$1" >"$2"' "$AGENT" "$TMP/wire.hex" \
	"$TMP/wire.txt"
check "what arrived decodes to the URIs" cmp "$TMP/want.txt" "$TMP/wire.txt"
check "dnsmasq saw the request for 143" grep -Eq 'requested options:.*\<143\>' "$TMP/dnsmasq.log"
kill "$DNSMASQ_PID" && wait "$DNSMASQ_PID" 2>/dev/null
DNSMASQ_PID=""

# Kea with the 424-byte list: it sends option 143 split (RFC 3396) and
# dhclient (which joins the pieces) hands the whole list to its script
jq --arg iface "$VS" --arg log "$TMP/kea.log" '.Dhcp4["interfaces-config"].interfaces = [$iface] |
	.Dhcp4.loggers = [{name: "kea-dhcp4", severity: "INFO",
		"output_options": [{output: $log}]}]' "$TMP/kea4-l.json" >"$TMP/kea4-run.json"
ip netns exec "$NS_S" kea-dhcp4 -c "$TMP/kea4-run.json" >"$TMP/kea.out" 2>&1 &
KEA_PID=$!
printf 'option sztp-redirect code 143 = string;\nrequest subnet-mask, sztp-redirect;\n' \
	>"$TMP/dhclient.conf"
printf '#!/bin/sh\necho "$reason ${new_sztp_redirect:-}" >>"%s"\n' "$TMP/dhclient.events" \
	>"$TMP/dhclient-record.sh"
chmod +x "$TMP/dhclient-record.sh"
sleep 1
ip netns exec "$NS_C" dhclient -1 -d -cf "$TMP/dhclient.conf" -lf "$TMP/dhclient.leases" \
	-pf "$TMP/dhclient.pid" -sf "$TMP/dhclient-record.sh" "$VC" >"$TMP/dhclient.out" 2>&1 &
DHCLIENT_PID=$!
for i in $(seq 60); do
	grep -q '^BOUND ' "$TMP/dhclient.events" 2>/dev/null && break
	sleep 0.5
done
check "dhclient bound by Kea" grep -q '^BOUND ' "$TMP/dhclient.events"
kill "$DHCLIENT_PID" "$KEA_PID" 2>/dev/null
wait "$DHCLIENT_PID" "$KEA_PID" 2>/dev/null
DHCLIENT_PID="" KEA_PID=""
awk '$1 == "BOUND" { print $2 }' "$TMP/dhclient.events" >"$TMP/kea-wire.txt" 2>/dev/null
check "Kea's split option decodes" sh -c '"$0" dhcp-parse "$1" >"$2"' "$AGENT" \
	"$TMP/kea-wire.txt" "$TMP/kea-wire-uris.txt"
check "all 8 URIs arrive through Kea" cmp "$TMP/lwant.txt" "$TMP/kea-wire-uris.txt"
e2e_finish
