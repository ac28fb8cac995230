#!/usr/bin/env bash
# t_sztpctl_dns.sh - `sztpctl dns ZONE`: the RFC 8572 s4.2 records of a
# registry's devices, loaded by named-checkzone and served by a real BIND
# named (foreground, on 127.0.0.1 and a free port, its own config in $TMP,
# stopped at exit); dig +tcp fetches the TXT (kilobytes) and SRV records;
# the values re-assembled from dig's text are checked with openssl: a
# device with a voucher gets ci signed by the owner (verified against the
# owner chain from oc), oc, and ov (verified against the manufacturer
# root, for its serial); a redirect profile without voucher its own
# unsigned redirect; an onboarding device without voucher an unsigned
# redirect to the --server list; no profile and a serial longer than a
# DNS label are skipped with the reason.  Serials with '.' and ' ' are
# escaped labels.  sztp-agent's DNS source, pointed at that named, onboards
# SN-1 from the records and follows SN 3's redirect and the SRV records.  The same through `sztpctl --server` (the admin API of
# a running sztpd) prints the same (the signature of a signed ci aside:
# ECDSA signatures and signing times differ per signing).  Bad zones,
# server URIs and TTLs are refused with the reason and exit 1.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/admin_lib.sh"
e2e_init t_sztpctl_dns
for tool in named named-checkzone dig openssl jq python3; do
	command -v "$tool" >/dev/null || { fail "needs $tool (scripts/deps.sh)"; e2e_finish; exit 1; }
done
unset SZTP_DB SZTP_SERVER SZTP_TOKEN SZTP_MASA_CA
export SZTP_YANG_DIR=$TOP/yang
ZONE=sztp.test
LONG=SN-$(printf 'x%.0s' $(seq 1 70))

# sztpd with its admin listener ($PKI with SN-1, SN-2; $DB; $TOKEN_FILE)
admin_sztpd || { e2e_finish; exit 1; }
for sn in "SN.2" "SN 3" SN-5 SN-7; do
	check "sztp-pki device '$sn'" "$BIN/sztp-pki" device --pki "$PKI" --serial "$sn"
done
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
RCTL() { "$BIN/sztpctl" --server "$ABASE" --token-file "$TOKEN_FILE" --cacert "$CA" "$@"; }
echo "hostname device" >"$TMP/config.txt"
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "onboarding profile" CTL profile onboarding onb --config "$TMP/config.txt" \
	--config-handling merge
check "redirect profile" CTL profile redirect red --server onboard.example.net:8443
# SN-1: onboarding with voucher (signed); SN.2: redirect without voucher
# (its own, unsigned); SN 3: onboarding without voucher (to --server);
# SN-5: redirect with voucher (signed); SN-2: no profile; LONG: too long;
# SN-6 and sn-6: one DNS name
MASA=(--masa-ca "$PKI/manufacturer/root.pem")
check "device SN-1" CTL device add SN-1 --profile onb --voucher "$PKI/devices/SN-1/voucher.vcj" \
	"${MASA[@]}"
check "device SN.2" CTL device add "SN.2" --profile red
check "device SN 3" CTL device add "SN 3" --profile onb
check "device SN-5" CTL device add SN-5 --profile red --voucher "$PKI/devices/SN-5/voucher.vcj" \
	"${MASA[@]}"
check "device SN-2" CTL device add SN-2
check "device LONG" CTL device add "$LONG" --profile red
# SN-7: signed data larger than a TXT record holds
head -c 60000 /dev/urandom >"$TMP/big.bin"
check "big profile" CTL profile onboarding big --config "$TMP/big.bin" --config-handling replace
check "device SN-7" CTL device add SN-7 --profile big --voucher "$PKI/devices/SN-7/voucher.vcj" \
	"${MASA[@]}"
# one DNS name: DNS ignores letter case (RFC 4343)
check "device SN-6" CTL device add SN-6 --profile red
check "device sn-6" CTL device add sn-6 --profile red

SRV_ARGS=(--server https://bootstrap.sztp.test --server https://onboard.sztp.test:8443)
CTL dns "$ZONE" "${SRV_ARGS[@]}" --ttl 600 >"$TMP/frag.zone" 2>"$TMP/frag.err"
check_eq "sztpctl dns exits 0" "$?" 0
CTL dns "$ZONE" "${SRV_ARGS[@]}" --ttl 600 --json >"$TMP/local.json" 2>/dev/null
check_eq "sztpctl dns --json exits 0" "$?" 0
check_contains "header comment" "$TMP/frag.zone" "; RFC 8572 s4.2 bootstrapping records for zone sztp.test."
check_contains "SN.2 is an escaped label" "$TMP/frag.zone" 'SN\.2._sztp.sztp.test.'
check_contains "SN 3 is an escaped label" "$TMP/frag.zone" 'SN\0323._sztp.sztp.test.'
check_contains "no profile: skipped with the reason (zone comment)" "$TMP/frag.zone" \
	"; skipped SN-2: no bootstrapping data is configured for this device (no profile)"
check_contains "too long: skipped with the reason" "$TMP/frag.zone" \
	"; skipped $LONG: the serial number is 73 bytes: a DNS label holds at most 63"
check_contains "too large for a TXT record: skipped" "$TMP/frag.zone" \
	"; skipped SN-7: its ci is larger than a TXT record holds (64 KiB)"
check_contains "names differing in case only: skipped" "$TMP/frag.zone" \
	"; skipped sn-6: its DNS name is that of device SN-6 (DNS ignores letter case)"
check_contains "skipped devices are warnings on stderr" "$TMP/frag.err" \
	"sztpctl: warning: device 'SN-2' has no DNS records"
check_eq "JSON: zone" "$(jq -r .zone "$TMP/local.json")" "$ZONE."
check_eq "JSON: ttl" "$(jq -r .ttl "$TMP/local.json")" 600
check_eq "JSON: TXT records per device" \
	"$(jq -r '[.records[] | select(.type == "TXT") | "\(.serial)/\(.key)/\(.signed)"] | join(",")' \
		"$TMP/local.json")" \
	"SN 3/ci/false,SN-1/ci/true,SN-1/oc/true,SN-1/ov/true,SN-5/ci/true,SN-5/oc/true,SN-5/ov/true,SN.2/ci/false"
check_eq "JSON: skipped" "$(jq -r '[.skipped[].serial] | join(",")' "$TMP/local.json")" \
	"SN-2,SN-6,SN-7,$LONG,sn-6"
# every character-string at most 255 bytes: the longest quoted string
longest=$(grep -o '"[^"]*"' "$TMP/frag.zone" | python3 -c '
import re, sys
n = 0
for s in sys.stdin.read().split("\n"):
    if s:
        n = max(n, len(re.sub(r"\\([0-9]{3}|.)", "x", s[1:-1])))
print(n)')
check_eq "the longest TXT character-string is 255 bytes" "$longest" 255

# ---- BIND: named-checkzone, then named serving it ---------------------------------
cat >"$TMP/sztp.test.zone" <<EOF
\$TTL 600
sztp.test.	600	IN	SOA	ns.sztp.test. hostmaster.sztp.test. 1 3600 600 86400 600
sztp.test.	600	IN	NS	ns.sztp.test.
ns.sztp.test.	600	IN	A	127.0.0.1
bootstrap.sztp.test.	600	IN	A	127.0.0.1
onboard.sztp.test.	600	IN	A	127.0.0.1
\$INCLUDE "$TMP/frag.zone"
EOF
check "named-checkzone loads the fragment" named-checkzone -k fail -i local "$ZONE" \
	"$TMP/sztp.test.zone"
NPORT=$(free_port_tu) # named listens on TCP and UDP
mkdir -p "$TMP/named"
cat >"$TMP/named.conf" <<EOF
options {
	directory "$TMP/named";
	pid-file "$TMP/named/named.pid";
	session-keyfile "$TMP/named/session.key";
	listen-on port $NPORT { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
};
controls { };
zone "$ZONE" { type primary; file "$TMP/sztp.test.zone"; };
EOF
e2e_bg "$TMP/named.log" named -g -c "$TMP/named.conf"
NAMED=$E2E_LAST_PID
DIG() { dig +tcp +time=2 +tries=1 @127.0.0.1 -p "$NPORT" "$@"; }
for i in $(seq 1 300); do # named starts slowly on a loaded machine (make tsan)
	[ "$(DIG +short SOA "$ZONE" 2>/dev/null)" ] && break
	kill -0 "$NAMED" 2>/dev/null || break
	sleep 0.1
done
check_eq "named serves the zone" "$(DIG +short SOA "$ZONE" | awk '{print $3}')" 1
DIG +short SRV "_sztp._tcp.$ZONE" | sort >"$TMP/srv.out"
check_eq "SRV records served" "$(paste -sd, "$TMP/srv.out")" \
	"0 0 443 bootstrap.sztp.test.,10 0 8443 onboard.sztp.test."

# TXT values as bytes: dig's presentation text (quoted strings, \DDD and
# \X escapes) re-assembled into DIR/<key>.der, one file per RR
txt() {
	local dir=$1
	shift
	mkdir -p "$dir"
	DIG +short TXT "$@" >"$dir/dig.out" 2>&1
	python3 -c "$TXT_PY" "$dir"
}
TXT_PY=$(cat <<'PY'
import re, sys
d = sys.argv[1]
for line in open(d + "/dig.out").read().splitlines():
    out = bytearray()
    for s in re.findall(r'"((?:[^"\\]|\\.)*)"', line):
        i = 0
        while i < len(s):
            if s[i] == "\\" and s[i + 1:i + 4].isdigit():
                out.append(int(s[i + 1:i + 4])); i += 4
            elif s[i] == "\\":
                out += s[i + 1].encode(); i += 2
            else:
                out += s[i].encode("latin-1"); i += 1
    key, _, val = bytes(out).partition(b"=")
    open("%s/%s.der" % (d, key.decode()), "wb").write(val)
PY
)
# the same values as the fragment printed them: DIR/<key>.der of the TXT
# groups of owner name NAME (as printed)
frag_txt() {
	mkdir -p "$2"
	python3 - "$TMP/frag.zone" "$1" >"$2/dig.out" <<'PY'
import sys
name, rr, out = sys.argv[2], None, []
for l in open(sys.argv[1]).read().split("\n"):
    if l.startswith(name + "\t") and "\tIN\tTXT\t(" in l:
        rr = []
    elif rr is not None:
        rr.append(l.strip().rstrip(")").strip())
        if l.endswith(" )"):
            out.append(" ".join(rr)); rr = None
print("\n".join(out))
PY
	python3 -c "$TXT_PY" "$2"
}
# the conveyed information of a bare ContentInfo (unsigned): its OCTET STRING
content_info() {
	python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
def tlv(b, i):
    t, n = b[i], b[i + 1]; i += 2
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(b[i:i + k], "big"); i += k
    return t, i, n
t, i, n = tlv(b, 0)          # ContentInfo SEQUENCE
t, j, m = tlv(b, i)          # contentType OID
oid = b[j:j + m].hex()
t, k, p = tlv(b, j + m)      # [0]
t, s, q = tlv(b, k)          # OCTET STRING
assert oid == "2a864886f70d010910012b", oid   # id-ct-sztpConveyedInfoJSON (.43)
sys.stdout.write(b[s:s + q].decode())
PY
}
# signed data: ci verifies against the owner CA with oc's certificates,
# ov against the manufacturer root and names the device
signed_device() {
	local sn=$1 label=$2 want=$3 d=$TMP/txt-$1
	txt "$d" "$label._sztp.$ZONE"
	check_eq "$sn: TXT keys served" "$(ls "$d" | grep der | paste -sd, -)" "ci.der,oc.der,ov.der"
	frag_txt "$label._sztp.$ZONE." "$d/printed"
	for k in ci oc ov; do
		check "$sn: served $k is what sztpctl printed" cmp "$d/$k.der" "$d/printed/$k.der"
	done
	check "$sn: ov is what the JSON has" cmp "$d/ov.der" \
		<(jq -r --arg s "$sn" '.records[] | select(.serial == $s and .key == "ov") | .data' \
			"$TMP/local.json" | base64 -d)
	openssl pkcs7 -inform DER -in "$d/oc.der" -print_certs -out "$d/oc.pem" 2>"$d/oc.err"
	check_eq "$sn: oc holds the owner chain" "$(grep -c 'BEGIN CERT' "$d/oc.pem")" \
		"$(grep -c 'BEGIN CERT' "$PKI/owner/chain.pem")"
	check "$sn: ci verifies against the owner CA (openssl cms -verify)" openssl cms -verify \
		-binary -inform DER -in "$d/ci.der" -certfile "$d/oc.pem" -CAfile "$PKI/owner/ca.pem" \
		-purpose any -out "$d/ci.json"
	check "$sn: ci holds $want" jq -e ".[\"ietf-sztp-conveyed-info:$want\"]" "$d/ci.json"
	check "$sn: ov verifies against the manufacturer root" openssl cms -verify -binary \
		-inform DER -in "$d/ov.der" -CAfile "$PKI/manufacturer/root.pem" -purpose any \
		-out "$d/ov.json"
	check_eq "$sn: ov is the device's voucher" \
		"$(jq -r '.["ietf-voucher:voucher"]["serial-number"]' "$d/ov.json")" "$sn"
	check "$sn: ov is the enrolled voucher byte for byte" cmp "$d/ov.der" \
		"$PKI/devices/$sn/voucher.vcj"
}
signed_device SN-1 SN-1 onboarding-information
signed_device SN-5 SN-5 redirect-information
check_eq "SN-1: the signed configuration" \
	"$(jq -r '.["ietf-sztp-conveyed-info:onboarding-information"].configuration' \
		"$TMP/txt-SN-1/ci.json" | base64 -d)" "hostname device"

d=$TMP/txt-sn3
txt "$d" "SN\\0323._sztp.$ZONE"
check_eq "SN 3: only ci (unsigned)" "$(ls "$d" | grep der | paste -sd, -)" "ci.der"
content_info "$d/ci.der" >"$d/ci.json" 2>"$d/ci.err"
check_eq "SN 3: an unsigned redirect to the --server list" \
	"$(jq -c '.["ietf-sztp-conveyed-info:redirect-information"]["bootstrap-server"]' "$d/ci.json")" \
	'[{"address":"bootstrap.sztp.test"},{"address":"onboard.sztp.test","port":8443}]'
d=$TMP/txt-sn2
txt "$d" "SN\\.2._sztp.$ZONE"
content_info "$d/ci.der" >"$d/ci.json" 2>"$d/ci.err"
check_eq "SN.2: its profile's own redirect, unsigned" \
	"$(jq -c '.["ietf-sztp-conveyed-info:redirect-information"]["bootstrap-server"]' "$d/ci.json")" \
	'[{"address":"onboard.example.net","port":8443}]'
check_eq "SN.2: as the profile holds it" "$(cat "$d/ci.json")" \
	"$(CTL profile show red --json | jq -c '.["conveyed-information"]')"
check_eq "SN-2 (no profile) has no TXT record" "$(DIG +short TXT "SN-2._sztp.$ZONE")" ""

# ---- the agent's DNS source takes them (lib/dns_msg, agent/dns.c) ---------------------
agent() { # agent NAME SERIAL: sztp-agent with only DNS as its source
	mkdir -p "$TMP/dev/$1"
	printf '%s\n' "idevid-key = $PKI/devices/$2/idevid.key" \
		"idevid-chain = $PKI/devices/$2/chain.pem" \
		"voucher-trust-anchors = $PKI/manufacturer/root.pem" "device-root = $TMP/dev/$1" \
		"http-timeout = 3" "yang-dir = $TOP/yang" "dns = yes" \
		"dns-server = 127.0.0.1:$NPORT" "dns-domain = $ZONE" >"$TMP/$1.conf"
	"$BIN/sztp-agent" -c "$TMP/$1.conf" >"$TMP/$1.out" 2>&1
}
agent a1 SN-1
check_eq "agent SN-1: onboarded from the published signed data" "$?" 0
check_eq "agent SN-1: source dns-txt" \
	"$(jq -r .source "$TMP/dev/a1/var/lib/sztp/result.json" 2>/dev/null)" dns-txt
check_eq "agent SN-1: configuration applied" "$(cat "$TMP/dev/a1/etc/config" 2>/dev/null)" \
	"hostname device"
check_contains "agent SN-1: signed data verified" "$TMP/a1.out" \
	"signed conveyed information accepted"
agent a3 "SN 3"
check_contains "agent 'SN 3': its escaped name found" "$TMP/a3.out" \
	'DNS: TXT SN\0323._sztp.sztp.test: 1 records'
check_contains "agent 'SN 3': follows the unsigned redirect to both servers" "$TMP/a3.out" \
	"redirect: untrusted redirect to 2 server(s)"
check_contains "agent 'SN 3': then the SRV records, in order" "$TMP/a3.out" \
	"SRV _sztp._tcp.sztp.test: 2. onboard.sztp.test port 8443 (priority 10, weight 0)"

# ---- the same through the admin API ------------------------------------------------
# the signed ci differ in their signatures only: compare with each one's
# verified content in place of its signature
unsig() {
	python3 - "$1" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
# drop the first TXT group after each "signed data" comment (its ci)
res, state = [], 0
for l in lines:
    if l.startswith("; device "):
        state = 1 if l.endswith(": signed data") else 0
        res.append(l); continue
    if state == 1 and "\tIN\tTXT\t(" in l:
        state = 2; res.append(l.split("\t")[0] + " <signed ci>"); continue
    if state == 2:
        if l.endswith(" )"):
            state = 3
        continue
    res.append(l)
print("\n".join(res))
PY
}
RCTL dns "$ZONE" "${SRV_ARGS[@]}" --ttl 600 >"$TMP/remote.zone" 2>"$TMP/remote.err"
check_eq "sztpctl --server dns exits 0" "$?" 0
check_eq "remote: same zone fragment (signed ci aside)" "$(unsig "$TMP/remote.zone" | sha256sum)" \
	"$(unsig "$TMP/frag.zone" | sha256sum)"
check_eq "remote: the signed ci blanked out are the two devices" \
	"$(unsig "$TMP/remote.zone" | grep -c '<signed ci>')" 2
check "remote: same warnings" cmp "$TMP/remote.err" "$TMP/frag.err"
RCTL dns "$ZONE" "${SRV_ARGS[@]}" --ttl 600 --json >"$TMP/remote.json" 2>/dev/null
NOSIG='del(.records[] | select(.key == "ci" and .signed) | .data)'
check_eq "remote: same JSON (signed ci aside)" "$(jq -S "$NOSIG" "$TMP/remote.json" | sha256sum)" \
	"$(jq -S "$NOSIG" "$TMP/local.json" | sha256sum)"
jq -r '.records[] | select(.serial == "SN-1" and .key == "ci") | .data' "$TMP/remote.json" |
	base64 -d >"$TMP/remote-ci.der"
check "remote: SN-1's ci verifies too" openssl cms -verify -binary -inform DER \
	-in "$TMP/remote-ci.der" -certfile "$TMP/txt-SN-1/oc.pem" -CAfile "$PKI/owner/ca.pem" \
	-purpose any -out "$TMP/remote-ci.json"
check "remote: with the same content" cmp "$TMP/remote-ci.json" "$TMP/txt-SN-1/ci.json"
RCTL dns "$ZONE" --serial "SN 3" --serial SN-1 --serial "SN 3" --serial NOPE --json \
	>"$TMP/sel.json" 2>/dev/null
check_eq "--serial selects devices; without --server: no SRV, SN 3 skipped" \
	"$(jq -r '[.records[] | "\(.type)/\(.serial)/\(.key)"] + [.skipped[].serial] | join(",")' \
		"$TMP/sel.json")" "TXT/SN-1/ci,TXT/SN-1/oc,TXT/SN-1/ov,SN 3,NOPE"
check_eq "--serial of no device: skipped, not enrolled" \
	"$(jq -r '.skipped[] | select(.serial == "NOPE") | .reason' "$TMP/sel.json")" "not enrolled"
check_contains "SN 3 without --server: why" "$TMP/sel.json" \
	"signed data is required, but no ownership voucher is enrolled for this device, and no server was given to redirect it to"

# ---- refused: the reason and exit 1, locally and remotely ---------------------------
refused() {
	local what=$1 reason=$2
	shift 2
	"$BIN/sztpctl" -d "$DB" dns "$@" >"$TMP/bad.out" 2>"$TMP/bad.err"
	check_eq "$what: exit 1" "$?" 1
	check_eq "$what: nothing on stdout" "$(wc -c <"$TMP/bad.out")" 0
	check_contains "$what: the reason" "$TMP/bad.err" "$reason"
	RCTL dns "$@" >"$TMP/bad.out" 2>"$TMP/rbad.err"
	check_eq "$what (--server): exit 1" "$?" 1
	check_eq "$what (--server): same message" "$(cat "$TMP/rbad.err")" "$(cat "$TMP/bad.err")"
}
refused "zone with a space" "zone 'bad zone' has a character other than letters" "bad zone"
refused "zone with an empty label" "zone 'a..b' has an empty label" "a..b"
refused "http server" "server URI 'http://b.sztp.test': not an https URI" "$ZONE" \
	--server http://b.sztp.test
refused "IPv4 server" "server URI 'https://192.0.2.1': an IP address" "$ZONE" \
	--server https://192.0.2.1
refused "IPv6 server" "server URI 'https://[2001:db8::1]:443': an IP address" "$ZONE" \
	--server "https://[2001:db8::1]:443"
refused "server with a path" "server URI 'https://b.sztp.test/x': has a path" "$ZONE" \
	--server https://b.sztp.test/x
refused "server with a bad port" "server URI 'https://b.sztp.test:0': bad port" "$ZONE" \
	--server https://b.sztp.test:0
refused "ttl out of range" "ttl" "$ZONE" --ttl 2147483648
curl -s --cacert "$CA" -H "Authorization: Bearer $(cat "$TOKEN_FILE")" \
	"$ABASE/api/v1/dns-records?zone=bad_-.x" -o "$TMP/problem.json" -w '%{http_code} %{content_type}' \
	>"$TMP/problem.st"
check_eq "API: a bad zone is a 400 problem" "$(cat "$TMP/problem.st")" "400 application/problem+json"
check_eq "API: the problem names the parameter" "$(jq -r .parameter "$TMP/problem.json")" zone

stop_pid "$NAMED"
e2e_finish
