#!/bin/bash
# End-to-end: sztp-agent's DNS source (RFC 8572 s4.2) against a real BIND
# named on loopback (its own config and zones in $TMP, foreground, stopped
# by the trap) and a real sztpd.  Zones: sztp.test holds a device-specific
# TXT record set with signed data made by OpenSSL (ci, oc, ov as binary
# multi-string TXT RRs: the answer exceeds 512 bytes, so glibc's resolver
# must retry over TCP) and SRV records to sztpd; bare.test holds a
# tampered signed TXT set, unsigned onboarding in TXT, a duplicate key and
# no SRV.  Checks: signed TXT -> onboarded (source dns-txt), no TXT ->
# SRV in priority/weight order -> sztpd's signed onboarding (dns-srv),
# the same over an IPv6 server, the resolver's search list as the default
# domains, tampered -> rejected and the next source used, unsigned
# onboarding refused, duplicate keys refused, NXDOMAIN / a closed port /
# a server that never answers -> the next source within a bounded time,
# dns = no queries nothing, config errors with file:line.
. "$(dirname "$0")/lib.sh"
e2e_init t_agent_dns

NAMED=$(command -v named || echo /usr/sbin/named)
if [ ! -x "$NAMED" ]; then # fail loudly, never skip silently
	fail "BIND named not installed (apt-get install bind9; scripts/deps.sh)"
	e2e_finish
	exit 1
fi
PKI=$TMP/pki
AGENT=$BIN/sztp-agent
OWNER_CT=1.2.840.113549.1.9.16.1.43
export SZTP_YANG_DIR=$TOP/yang SZTP_MASA_CA=$PKI/manufacturer/root.pem

# ---- PKI, sztpd ------------------------------------------------------------------
"$BIN/sztp-pki" init --out "$PKI" --serial SN-D1 --serial SN-D2 --serial SN-D3 \
	--serial SN-D4 --serial SN-D5 --serial SN-D7 >/dev/null || { echo "sztp-pki init failed"; exit 1; }
printf 'hostname dns-device\n' >"$TMP/config.txt"
printf 'hostname from-sztpd\n' >"$TMP/config-srv.txt"
DB=$(e2e_db s)
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
check "sztpctl init" CTL init
check "owner" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile" CTL profile onboarding cfg --config "$TMP/config-srv.txt" --config-handling replace
for s in SN-D2 SN-D3 SN-D5; do
	check "enrol $s" CTL device add "$s" --profile cfg --voucher "$PKI/devices/$s/voucher.vcj"
done
PORT=$(free_port)
sztpd_conf "threads = 2" "log-level = warn" >"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
DEAD=$(free_port) # nothing listens here: the first SRV target fails
DEAD2=$(free_port)

# ---- the device-specific artifacts, made with OpenSSL ---------------------------------
# artifacts DIR SERIAL JSON: DIR/ci.cms (signed by the owner), oc.cms, ov.vcj
artifacts() {
	mkdir -p "$1"
	printf '%s' "$3" >"$1/ci.json"
	openssl cms -sign -binary -nodetach -in "$1/ci.json" -econtent_type "$OWNER_CT" \
		-signer "$PKI/owner/signer.pem" -inkey "$PKI/owner/signer.key" -nocerts -outform DER \
		-out "$1/ci.cms" 2>"$1/openssl.err" || cat "$1/openssl.err"
	openssl crl2pkcs7 -nocrl -certfile "$PKI/owner/chain.pem" -outform DER -out "$1/oc.cms"
	cp "$PKI/devices/$2/voucher.vcj" "$1/ov.vcj"
}
ONB=$(printf '{"ietf-sztp-conveyed-info:onboarding-information":{"configuration-handling":"replace","configuration":"%s"}}' \
	"$(base64 -w0 "$TMP/config.txt")")
artifacts "$TMP/d1" SN-D1 "$ONB"
artifacts "$TMP/d3" SN-D3 "$ONB"
# tampered: one byte of the signed content (inside the configuration) flipped
python3 - "$TMP/d3/ci.cms" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.index(b'"configuration":"') + 20
b[i] ^= 1
open(sys.argv[1], "wb").write(b)
PY
# unsigned onboarding information: a bare ContentInfo around the JSON
python3 - "$TMP/d4.cms" "$ONB" <<'PY'
import sys
c = sys.argv[2].encode()
def tlv(t, v):
    n = len(v)
    l = bytes([n]) if n < 128 else (bytes([0x81, n]) if n < 256 else bytes([0x82, n >> 8, n & 255]))
    return bytes([t]) + l + v
oid = bytes.fromhex("060b2a864886f70d010910012b")  # 1.2.840.113549.1.9.16.1.43
open(sys.argv[1], "wb").write(tlv(0x30, oid + tlv(0xa0, tlv(0x04, c))))
PY

# txt OWNER KEY FILE|-TEXT: one TXT RR whose strings (<= 255 bytes each,
# every byte outside [A-Za-z0-9] as \DDD) concatenate to KEY=<contents>
txt() {
	python3 - "$@" <<'PY'
import sys
owner, key, src = sys.argv[1:4]
v = key.encode() + b"=" + (src[1:].encode() if src.startswith("-") else open(src, "rb").read())
strs = [v[i:i + 255] for i in range(0, len(v), 255)]
esc = lambda s: '"' + "".join(chr(c) if chr(c).isalnum() and c < 128 else "\\%03d" % c for c in s) + '"'
print(owner + " 60 IN TXT (")
for s in strs:
    print("\t" + esc(s))
print(")")
PY
}

# ---- named ---------------------------------------------------------------------------
NS=$TMP/named
mkdir -p "$NS"
DNSPORT=$(free_port_tu)
soa() {
	printf '$TTL 60\n@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 60\n@ IN NS ns.%s.\nns IN A 127.0.0.1\n' "$1" "$1" "$1"
}
{
	soa sztp.test
	# priority 5 first (nothing listens), then weight 100 before weight 1 at priority 10
	echo "_sztp._tcp.sztp.test. 60 IN SRV 10 1 $DEAD2 localhost."
	echo "_sztp._tcp.sztp.test. 60 IN SRV 10 100 $PORT localhost."
	echo "_sztp._tcp.sztp.test. 60 IN SRV 5 0 $DEAD localhost."
	txt SN-D1._sztp.sztp.test. ci "$TMP/d1/ci.cms"
	txt SN-D1._sztp.sztp.test. oc "$TMP/d1/oc.cms"
	txt SN-D1._sztp.sztp.test. ov "$TMP/d1/ov.vcj"
	txt SN-D1._sztp.sztp.test. vendor-note -ignored
	echo "SN-D5._sztp.sztp.test. 60 IN A 127.0.0.1"
} >"$NS/sztp.test.zone"
{
	soa bare.test
	txt SN-D3._sztp.bare.test. ci "$TMP/d3/ci.cms"
	txt SN-D3._sztp.bare.test. oc "$TMP/d3/oc.cms"
	txt SN-D3._sztp.bare.test. ov "$TMP/d3/ov.vcj"
	txt SN-D4._sztp.bare.test. ci "$TMP/d4.cms"
	txt SN-D7._sztp.bare.test. ci "$TMP/d1/ci.cms"
	txt SN-D7._sztp.bare.test. CI "$TMP/d1/ci.cms"
} >"$NS/bare.test.zone"
cat >"$NS/named.conf" <<CONF
options {
	directory "$NS";
	pid-file "$NS/named.pid";
	session-keyfile "$NS/session.key";
	managed-keys-directory "$NS";
	listen-on port $DNSPORT { 127.0.0.1; };
	listen-on-v6 port $DNSPORT { ::1; };
	recursion no;
	dnssec-validation no;
	notify no;
	querylog yes;
	check-names primary ignore; // _sztp labels on an A record (the NODATA case)
};
controls { };
zone "sztp.test" { type primary; file "$NS/sztp.test.zone"; };
zone "bare.test" { type primary; file "$NS/bare.test.zone"; };
CONF
# -g: foreground, every log line (queries too) on stderr
e2e_bg "$NS/named.log" "$NAMED" -g -n 1 -c "$NS/named.conf"
for i in $(seq 1 100); do
	grep -q "running" "$NS/named.log" && break
	sleep 0.1
done
check_contains "named loaded sztp.test" "$NS/named.log" "zone sztp.test/IN: loaded serial 1"
check_contains "named loaded bare.test" "$NS/named.log" "zone bare.test/IN: loaded serial 1"
check_contains "named running" "$NS/named.log" "running"

# ---- the device -----------------------------------------------------------------------
# agent_conf NAME SERIAL [extra lines...]
agent_conf() {
	agent_conf_file "$1" "$2" "http-timeout = 5" "yang-dir = $TOP/yang" "${@:3}"
}
DNS4="dns-server = 127.0.0.1:$DNSPORT"
URL="bootstrap-url = https://localhost:$PORT"
# run NAME: EXIT, R = result.json, SECS = wall time
run() {
	local t0 t1
	t0=$(date +%s%N)
	"$AGENT" -c "$TMP/$1.conf" >"$TMP/$1.out" 2>&1
	EXIT=$?
	t1=$(date +%s%N)
	SECS=$(((t1 - t0) / 1000000000))
	R=$TMP/dev/$1/var/lib/sztp/result.json
}
jr() { jq -r "$1" "$R" 2>/dev/null; }
nothing_applied() { [ ! -e "$TMP/dev/$1/etc/config" ]; }
# line_before FILE A B: a line with A comes before a line with B
line_before() {
	local a b
	a=$(grep -nF -- "$2" "$1" | head -1 | cut -d: -f1)
	b=$(grep -nF -- "$3" "$1" | head -1 | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}

# ---- config ----------------------------------------------------------------------------
agent_conf cfg SN-D1 "dns = yes" "dns-server = 127.0.0.1" "dns-server = 192.0.2.1:5353" \
	"dns-server = [::1]:53" "dns-domain = sztp.test" "dns-domain = example.com."
check "config: dns keys accepted" "$AGENT" -n -c "$TMP/cfg.conf"
for bad in "dns-server = 1.2.3.4:99999" "dns-server = localhost" "dns-server = [1.2.3.4]:53" \
	"dns-domain = a..b" "dns = maybe"; do
	agent_conf cfgbad SN-D1 "$bad"
	"$AGENT" -n -c "$TMP/cfgbad.conf" >"$TMP/cfgbad.out" 2>&1
	check_eq "config: '$bad' refused" "$?" 1
	check_contains "config: '$bad' named with file:line" "$TMP/cfgbad.out" "cfgbad.conf:7:"
done
agent_conf cfg4 SN-D1 "dns = yes" "$DNS4" "$DNS4" "$DNS4" "$DNS4"
"$AGENT" -n -c "$TMP/cfg4.conf" >"$TMP/cfg4.out" 2>&1
check_eq "config: a fourth dns-server refused (resolver holds 3)" "$?" 1

# ---- 1. signed TXT -> onboarded, DNS before bootstrap-url -----------------------------------
agent_conf d1 SN-D1 "dns = yes" "$DNS4" "dns-domain = sztp.test" "$URL"
run d1
check_eq "txt: exit 0" "$EXIT" 0
check_eq "txt: source dns-txt" "$(jr .source)" dns-txt
check_eq "txt: untrusted source" "$(jr .trusted)" false
check "txt: config committed" cmp "$TMP/dev/d1/etc/config" "$TMP/config.txt"
check_contains "txt: the query logged" "$TMP/d1.out" "DNS: TXT SN-D1._sztp.sztp.test?"
check_contains "txt: 4 RRs, 1 ignored" "$TMP/d1.out" "records of other keys ignored"
check_contains "txt: 4 RRs found" "$TMP/d1.out" "DNS: TXT SN-D1._sztp.sztp.test: 4 records"
check_contains "txt: signed data verified" "$TMP/d1.out" "signed conveyed information accepted"
check_not_contains "txt: bootstrap-url not needed" "$TMP/d1.out" "source: url "
size=$(sed -n 's/.*4 records (\([0-9]*\) bytes).*/\1/p' "$TMP/d1.out")
check "txt: the answer exceeds UDP's 512 bytes ($size)" test "${size:-0}" -gt 512
# glibc sent the TXT query over UDP, got TC, and asked again over TCP (named's "T" flag)
check "txt: the resolver fell back to TCP" \
	grep -Eq "query: SN-D1\._sztp\.sztp\.test IN TXT [+-][A-Z()0-9]*T" "$NS/named.log"
check "txt: the first try was over UDP" \
	grep -Eq "query: SN-D1\._sztp\.sztp\.test IN TXT [+-]( |\()" "$NS/named.log"

# the resolver's search list as the default domains (LOCALDOMAIN overrides
# resolv.conf's search line for glibc)
agent_conf d1s SN-D1 "dns = yes" "$DNS4"
LOCALDOMAIN="nothing.test sztp.test" run d1s
check_eq "search list: exit 0" "$EXIT" 0
check_eq "search list: source dns-txt" "$(jr .source)" dns-txt
check_contains "search list: named as the domains' origin" "$TMP/d1s.out" "2 domain(s) from the resolver's search list"
check "search list: nothing.test tried first" line_before "$TMP/d1s.out" \
	"TXT SN-D1._sztp.nothing.test?" "TXT SN-D1._sztp.sztp.test?"
check_contains "search list: nothing.test refused (named not authoritative)" "$TMP/d1s.out" \
	"SRV _sztp._tcp.nothing.test: the server refused the query or failed"

# dns = no (the default): no DNS query
agent_conf d1n SN-D1 "$DNS4" "dns-domain = sztp.test"
run d1n
check_eq "dns off: not bootstrapped" "$EXIT" 2
check_not_contains "dns off: no DNS query" "$TMP/d1n.out" "DNS:"

# ---- 2. no TXT -> SRV in order -> sztpd's signed onboarding ----------------------------------
agent_conf d2 SN-D2 "dns = yes" "$DNS4" "dns-domain = sztp.test"
run d2
check_eq "srv: exit 0" "$EXIT" 0
check_eq "srv: source dns-srv" "$(jr .source)" dns-srv
check_eq "srv: onboarded by sztpd" "$(jr .server)" "https://localhost:$PORT/restconf"
check "srv: sztpd's config committed" cmp "$TMP/dev/d2/etc/config" "$TMP/config-srv.txt"
check_contains "srv: TXT NXDOMAIN logged" "$TMP/d2.out" "DNS: TXT SN-D2._sztp.sztp.test: NXDOMAIN; skipped"
check_contains "srv: 1st by priority" "$TMP/d2.out" "1. localhost port $DEAD (priority 5, weight 0)"
check_contains "srv: 2nd by weight" "$TMP/d2.out" "2. localhost port $PORT (priority 10, weight 100)"
check_contains "srv: 3rd" "$TMP/d2.out" "3. localhost port $DEAD2 (priority 10, weight 1)"
check "srv: the unreachable first target tried before sztpd" line_before "$TMP/d2.out" \
	"trying localhost:$DEAD" "trying localhost:$PORT"
check_not_contains "srv: the third not needed" "$TMP/d2.out" "trying localhost:$DEAD2"
check_contains "srv: signed data from sztpd verified" "$TMP/d2.out" "signed conveyed information accepted"
# the same over IPv6 to named
agent_conf d2v6 SN-D2 "dns = yes" "dns-server = [::1]:$DNSPORT" "dns-domain = sztp.test"
run d2v6
check_eq "srv over IPv6: exit 0" "$EXIT" 0
check_eq "srv over IPv6: source dns-srv" "$(jr .source)" dns-srv
check_contains "srv over IPv6: server named" "$TMP/d2v6.out" "DNS: servers [::1]:$DNSPORT"
check "srv over IPv6: named saw the query on ::1" grep -q "client @[^ ]* ::1#.*_sztp._tcp.sztp.test IN SRV" "$NS/named.log"

# ---- 3. tampered signed TXT -> rejected, next source -----------------------------------------
agent_conf d3 SN-D3 "dns = yes" "$DNS4" "dns-domain = bare.test" "$URL"
run d3
check_eq "tampered: exit 0 (through the next source)" "$EXIT" 0
check_eq "tampered: source url" "$(jr .source)" url
check_contains "tampered: rejected" "$TMP/d3.out" "response rejected"
check "tampered: rejected before the next source" line_before "$TMP/d3.out" "response rejected" "source: url "
check_contains "tampered: no SRV in bare.test" "$TMP/d3.out" "DNS: SRV _sztp._tcp.bare.test: NXDOMAIN; skipped"
check "tampered: sztpd's config, not the tampered one" cmp "$TMP/dev/d3/etc/config" "$TMP/config-srv.txt"

# ---- 4. unsigned onboarding in TXT -> refused -----------------------------------------------
agent_conf d4 SN-D4 "dns = yes" "$DNS4" "dns-domain = bare.test"
run d4
check_eq "unsigned: exit 2" "$EXIT" 2
check_contains "unsigned: reason" "$R" "unsigned onboarding information from an untrusted source refused"
check "unsigned: nothing applied" nothing_applied d4

# duplicate key -> the set is refused
agent_conf d7 SN-D7 "dns = yes" "$DNS4" "dns-domain = bare.test"
run d7
check_eq "duplicate key: exit 2" "$EXIT" 2
check_contains "duplicate key: reason logged" "$TMP/d7.out" "key 'ci' given twice in the TXT records; skipped"
check "duplicate key: nothing applied" nothing_applied d7

# ---- 5. nothing in DNS, DNS down: the next source, quickly ---------------------------------------
agent_conf d5 SN-D5 "dns = yes" "$DNS4" "dns-domain = bare.test" "$URL"
run d5
check_eq "no records: exit 0 via bootstrap-url" "$EXIT" 0
check_eq "no records: source url" "$(jr .source)" url
check_contains "no records: TXT NXDOMAIN" "$TMP/d5.out" "DNS: TXT SN-D5._sztp.bare.test: NXDOMAIN; skipped"
check_contains "no records: SRV NXDOMAIN" "$TMP/d5.out" "DNS: SRV _sztp._tcp.bare.test: NXDOMAIN; skipped"
check "no records: within 5 s ($SECS s)" test "$SECS" -lt 5
# a name that exists without TXT records (NODATA), then the zone's SRV
agent_conf d5n SN-D5 "dns = yes" "$DNS4" "dns-domain = sztp.test"
run d5n
check_contains "no data: TXT has no records" "$TMP/d5n.out" "DNS: TXT SN-D5._sztp.sztp.test: no TXT records; skipped"
check_eq "no data: then SRV" "$(jr .source)" dns-srv
# DNS server down: a closed port (ICMP unreachable)
CLOSED=$(free_port_tu)
agent_conf d5c SN-D5 "dns = yes" "dns-server = 127.0.0.1:$CLOSED" "dns-domain = bare.test" \
	"dns-domain = sztp.test" "$URL"
run d5c
check_eq "server down: exit 0 via bootstrap-url" "$EXIT" 0
check_eq "server down: source url" "$(jr .source)" url
check_contains "server down: reason logged" "$TMP/d5c.out" "TXT SN-D5._sztp.bare.test: server unreachable (connection refused); skipped"
check_contains "server down: the next domain still tried" "$TMP/d5c.out" "SRV _sztp._tcp.sztp.test: server unreachable"
check "server down: within 5 s ($SECS s)" test "$SECS" -lt 5
# a server that never answers: bounded by the resolver's timeout
SILENT=$(free_port_tu)
e2e_bg "$TMP/silent.log" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(300)' "$SILENT"
SILENT_PID=$E2E_LAST_PID
sleep 0.3
agent_conf d5s SN-D5 "dns = yes" "dns-server = 127.0.0.1:$SILENT" "dns-domain = bare.test" \
	"dns-domain = sztp.test" "$URL"
run d5s
check_eq "silent server: exit 0 via bootstrap-url" "$EXIT" 0
check_eq "silent server: source url" "$(jr .source)" url
check_contains "silent server: timed out" "$TMP/d5s.out" "TXT SN-D5._sztp.bare.test: no answer, timed out after"
check_contains "silent server: the source gives up" "$TMP/d5s.out" "DNS: the name servers do not answer; DNS source given up"
check_not_contains "silent server: no other name waited for" "$TMP/d5s.out" "SRV _sztp._tcp.bare.test?"
check "silent server: within 10 s ($SECS s)" test "$SECS" -lt 10
stop_pid "$SILENT_PID"

check "named still running" kill -0 "$(cat "$NS/named.pid")"
e2e_finish
