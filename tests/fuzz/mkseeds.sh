#!/bin/sh
# mkseeds.sh - (re)generate the seed corpora under tests/fuzz/corpus/ with
# OpenSSL only (independent of the code under test): a throw-away P-256
# PKI, SignedData with each SZTP eContentType (with/without signed
# attributes and certificates), certs-only SignedData, bare ContentInfo,
# vouchers, PEM lists, plus hand-written RPC bodies, conveyed information,
# configuration files and request lines.  Keys are random, so the DER seeds
# differ on every run; the committed copies are just one such run.
# Run from the top of the repo:  sh tests/fuzz/mkseeds.sh
set -eu
top=$(pwd)
C=$top/tests/fuzz/corpus
[ -f "$top/lib/cms.h" ] || { echo "run from the repo top" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
umask 077

cat > ext.cnf <<'X'
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
X
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
key root
openssl req -new -x509 -key root.key -subj "/CN=Seed Root" -days 3650 -sha256 \
	-extensions ca -config ext.cnf -out root.pem 2>/dev/null
key leaf
openssl req -new -key leaf.key -subj "/CN=Seed Signer/serialNumber=SN-0001" -out leaf.csr 2>/dev/null
openssl x509 -req -in leaf.csr -CA root.pem -CAkey root.key -CAcreateserial -days 365 \
	-sha256 -extfile ext.cnf -extensions leaf -out leaf.pem 2>/dev/null
cat leaf.pem root.pem > chain.pem
openssl x509 -in root.pem -outform DER -out root.der
root_b64=$(openssl base64 -A -in root.der)

CI='1.2.840.113549.1.9.16.1'
redirect='{"ietf-sztp-conveyed-info:redirect-information":{"bootstrap-server":[{"address":"sztp1.example.com","port":8443,"trust-anchor":"MIIB"},{"address":"192.0.2.1"}]}}'
onboard='{"ietf-sztp-conveyed-info:onboarding-information":{"boot-image":{"os-name":"VendorOS","os-version":"17.2R1.6","download-uri":["https://example.com/img"],"image-verification":[{"hash-algorithm":"sha-256","hash-value":"ba:ec:cf:a5:67:82:b4:10:77:c6:67:a6:22:ab:7d:50:04:a7:8b:8f:0e:db:02:8b:f4:75:55:fb:c1:13:b2:33"}]},"configuration-handling":"merge","pre-configuration-script":"IyEv","configuration":"PHRvcC8+","post-configuration-script":"IyEv"}}'
redirect_xml='<redirect-information xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info"><bootstrap-server><address>a.example</address><port>443</port></bootstrap-server></redirect-information>'
voucher="{\"ietf-voucher:voucher\":{\"created-on\":\"2024-01-01T00:00:00Z\",\"expires-on\":\"2034-01-01T00:00:00Z\",\"assertion\":\"verified\",\"serial-number\":\"SN-0001\",\"pinned-domain-cert\":\"$root_b64\"}}"
voucher_nonce="{\"ietf-voucher:voucher\":{\"created-on\":\"2024-01-01T00:00:00.5+02:00\",\"assertion\":\"proximity\",\"serial-number\":\"SN-0001\",\"nonce\":\"AAAAAAAAAAA=\",\"domain-cert-revocation-checks\":false,\"pinned-domain-cert\":\"$root_b64\"}}"

sign() { # out content econtent_oid|- extra-options...
	out=$1 content=$2 oid=$3
	shift 3
	printf '%s' "$content" > content.bin
	if [ "$oid" = - ]; then set -- "$@"; else set -- -econtent_type "$oid" "$@"; fi
	openssl cms -sign -nodetach -binary -outform DER -md sha256 -in content.bin \
		-signer leaf.pem -inkey leaf.key "$@" -out "$out"
}
content_info() { # out oid content
	hex=$(printf '%s' "$3" | od -An -tx1 -v | tr -d ' \n')
	if [ -n "$hex" ]; then val="FORMAT:HEX,OCTETSTRING:$hex"; else val="OCTETSTRING:"; fi
	printf 'asn1=SEQUENCE:ci\n[ci]\ntype=OID:%s\ncontent=EXPLICIT:0,%s\n' "$2" "$val" > ci.cnf
	openssl asn1parse -genconf ci.cnf -noout -out "$1"
}

# keep the reproducers of found bugs (crash-*, timeout-*, leak-*, oom-*)
[ -d "$C" ] && find "$C" -type f ! -name 'crash-*' ! -name 'timeout-*' ! -name 'leak-*' \
	! -name 'oom-*' -exec rm -f {} +
for t in log_kv_quote cms_signed_parse cms_certs_only_parse cms_content_info_parse cms_outer_type \
	voucher_parse b64_decode time_parse_rfc3339 pki_pem_certs_parse yang_rpc_input \
	yang_conveyed_validate yang_voucher_validate config_load restconf_handle; do
	mkdir -p "$C/$t"
done

# ---- CMS -------------------------------------------------------------------
d=$C/cms_signed_parse
sign "$d/ci-json-chain" "$redirect" "$CI.43" -certfile root.pem
sign "$d/ci-json-noattr" "$onboard" "$CI.43" -noattr
sign "$d/ci-xml-nocerts" "$redirect_xml" "$CI.42" -nocerts
sign "$d/voucher" "$voucher" "$CI.40" -certfile root.pem
sign "$d/id-data" "plain" -
sign "$d/empty-content" "" "$CI.43"
openssl crl2pkcs7 -nocrl -certfile chain.pem -outform DER -out "$d/certs-only"
d=$C/cms_certs_only_parse
openssl crl2pkcs7 -nocrl -certfile chain.pem -outform DER -out "$d/chain"
openssl crl2pkcs7 -nocrl -certfile root.pem -outform DER -out "$d/one"
openssl crl2pkcs7 -nocrl -outform DER -out "$d/none"
cp "$C/cms_signed_parse/ci-xml-nocerts" "$d/signed"
d=$C/cms_content_info_parse
content_info "$d/ci-json" "$CI.43" "$redirect"
content_info "$d/ci-xml" "$CI.42" "$redirect_xml"
content_info "$d/empty" "$CI.43" ""
printf 'x' > content.bin
openssl cms -data_create -in content.bin -outform DER -out "$d/id-data"
d=$C/cms_outer_type
cp "$C/cms_content_info_parse/ci-json" "$d/ci-json"
cp "$C/cms_certs_only_parse/one" "$d/certs-only"
cp "$C/cms_signed_parse/id-data" "$d/signed"
d=$C/voucher_parse
sign "$d/expiring" "$voucher" "$CI.40" -certfile root.pem
sign "$d/nonce-id-data" "$voucher_nonce" -
sign "$d/noattr" "$voucher" "$CI.40" -noattr -nocerts

# ---- PEM, base64, time -----------------------------------------------------
d=$C/pki_pem_certs_parse
cp root.pem "$d/one"
cp chain.pem "$d/chain"
{ echo "subject=CN = junk before"; cat leaf.pem; echo; echo "# trailing"; } > "$d/comments"
printf -- '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' > "$d/short"
d=$C/b64_decode
printf '' > "$d/empty"
printf 'QQ==' > "$d/pad2"
printf 'QUI=' > "$d/pad1"
printf 'QUJD' > "$d/nopad"
printf 'AAAAAAAAAAA=' > "$d/nonce8"
openssl rand 48 | openssl base64 -A > "$d/rand48"
d=$C/time_parse_rfc3339
printf '2024-01-01T00:00:00Z' > "$d/utc"
printf '2026-11-27T02:19:33.123456+05:30' > "$d/frac-offset"
printf '1985-04-12T23:20:50.52-08:00' > "$d/rfc3339-example"
printf '1970-01-01T00:00:00z' > "$d/epoch"

# ---- YANG: first byte selects RPC/encoding (see the harnesses) -------------
BS='ietf-sztp-bootstrap-server'
XNS="urn:ietf:params:xml:ns:yang:$BS"
N16='QUFBQUFBQUFBQUFBQUFBQQ=='
d=$C/yang_rpc_input
printf '\000' > "$d/gbd-empty"
printf '\000{"%s:input":{"signed-data-preferred":[null],"nonce":"%s","hw-model":"model-x","os-name":"VendorOS","os-version":"17.3R2.1"}}' "$BS" "$N16" > "$d/gbd-json"
printf '\000{"%s:input":{"%s:hw-model":"m"}}' "$BS" "$BS" > "$d/gbd-json-prefixed"
printf '\001{"%s:input":{"progress-type":"bootstrap-complete","message":"done","ssh-host-keys":{"ssh-host-key":[{"algorithm":"ssh-ed25519","key-data":"AAAA"}]},"trust-anchor-certs":{"trust-anchor-cert":["MIIB"]}}}' "$BS" > "$d/rp-json"
printf '\001{"%s:input":{"progress-type":"config-error","message":"bad"}}' "$BS" > "$d/rp-json-error"
printf '\002<?xml version="1.0"?>\n<input xmlns="%s"><signed-data-preferred/><hw-model>m&amp;x</hw-model><nonce>%s</nonce></input>\n' "$XNS" "$N16" > "$d/gbd-xml"
printf "\\002<!-- c --><s:input xmlns:s='%s'><s:os-name><![CDATA[a<b>]]></s:os-name></s:input >" "$XNS" > "$d/gbd-xml-prefix"
printf '\003<input xmlns="%s"><progress-type>bootstrap-complete</progress-type><ssh-host-keys><ssh-host-key><algorithm>ssh-rsa</algorithm><key-data>AAAA</key-data></ssh-host-key></ssh-host-keys><trust-anchor-certs><trust-anchor-cert>MIIB</trust-anchor-cert></trust-anchor-certs></input>' "$XNS" > "$d/rp-xml"
# bit 2: also with the empty-nonce leniency (the Go agent's body; XML <nonce/> among others)
printf '\004{"%s:input":{"hw-model":"Example-DPU","os-name":"Debian","os-version":"12","nonce":""}}' "$BS" > "$d/gbd-json-empty-nonce"
printf '\006<input xmlns="%s">\n <hw-model>m</hw-model><nonce/><!-- <nonce/> --><os-name><![CDATA[<nonce></nonce>]]></os-name><nonce ></nonce ></input>' "$XNS" > "$d/gbd-xml-empty-nonce"
# bit 2 on report-progress: the empty-report-members leniency (the Go agent's report)
printf '\005{"%s:input":{"progress-type":"bootstrap-initiated","message":"starting","ssh-host-keys":{},"trust-anchor-certs":{}}}' "$BS" > "$d/rp-json-empty-members"
printf '\007<input xmlns="%s"><progress-type>informational</progress-type><ssh-host-keys/><trust-anchor-certs>\n</trust-anchor-certs></input>' "$XNS" > "$d/rp-xml-empty-members"
d=$C/yang_conveyed_validate
printf '\000%s' "$redirect" > "$d/redirect-json"
printf '\000%s' "$onboard" > "$d/onboard-json"
printf '\000{"ietf-sztp-conveyed-info:onboarding-information":{"configuration":"PHRvcC8+","configuration-handling":"replace"}}' > "$d/onboard-config-json"
printf '\001%s' "$redirect_xml" > "$d/redirect-xml"
printf '\001<onboarding-information xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info"><boot-image><os-name>V</os-name><download-uri>https://x/i</download-uri><image-verification><hash-algorithm>sha-256</hash-algorithm><hash-value>ab:cd</hash-value></image-verification></boot-image><configuration-handling>merge</configuration-handling><configuration>AA==</configuration></onboarding-information>' > "$d/onboard-xml"
d=$C/yang_voucher_validate
printf '%s' "$voucher" > "$d/expiring"
printf '%s' "$voucher_nonce" > "$d/nonce"

# ---- sztpd.conf ------------------------------------------------------------
d=$C/config_load
grep -v '^#' "$top/conf/sztpd.conf" | grep -v '^$' > "$d/example"
printf '# comment\n\ntls-cert = c.pem\ntls-key = k.pem\nclient-ca = /abs/ca.pem\nport = 8443\n  threads=3  \nbasic-auth = no\nlog-level = debug\nbootstrap-log = off\nmax-body = 1024\n' > "$d/relative"
printf 'tls-cert = c.pem\ntls-key = k.pem\nclient-ca = ca.pem\nport = 1\nport = 2\n' > "$d/twice"

# ---- RESTCONF: METHOD\nURL\nCONTENT-TYPE\nACCEPT\nFLAGS\nBODY -------------
d=$C/restconf_handle
OPS=/restconf/operations/$BS
printf 'GET\n/.well-known/host-meta' > "$d/host-meta"
printf 'GET\n/restconf\n\napplication/yang-data+xml\n0\n' > "$d/root-xml"
printf 'HEAD\n/restconf/yang-library-version\n\napplication/yang-data+json;q=0.5, application/yang-data+xml\n0\n' > "$d/q-values"
printf 'GET\n/restconf/operations\n\n*/*\n0\n' > "$d/operations"
printf 'GET\n%s:get-bootstrapping-data' "$OPS" > "$d/gbd-405"
printf 'POST\n%s:report-progress\ntext/plain\n\n0\nx' "$OPS" > "$d/rp-415"
printf 'POST\n%s:get-bootstrapping-data\napplication/yang-data+json\ntext/html\n0\n{}' "$OPS" > "$d/gbd-406"
printf 'POST\n%s:get-bootstrapping-data\napplication/yang-data+xml; charset=utf-8\napplication/*\n1\n' "$OPS" > "$d/gbd-413"
printf 'POST\n%s:nope\napplication/yang-data+json\n\n0\n{}' "$OPS" > "$d/unknown-rpc"

# ---- audit values: first byte = buffer size ---------------------------------
d=$C/log_kv_quote
printf '\100SN-0001' > "$d/plain"
printf '\100a b="c"\\\n' > "$d/escape"
printf '\006x y' > "$d/tiny"

# ---- DNS responses (RFC 8572 s4.2): TXT and SRV answers, hand-built -------
mkdir -p "$C/dns_msg"
python3 - "$C/dns_msg" <<'PY'
import struct, sys
d = sys.argv[1]
def name(n): return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"
def msg(q, qtype, rrs, rcode=0, flags=0x8180):
    return struct.pack(">HHHHHH", 0x1234, flags | rcode, 1, len(rrs), 0, 0) + name(q) + \
        struct.pack(">HH", qtype, 1) + b"".join(rrs)
def rr(typ, data, owner=b"\xc0\x0c"): return owner + struct.pack(">HHIH", typ, 1, 60, len(data)) + data
def txt(*strs): return rr(16, b"".join(bytes([len(s)]) + s for s in strs))
def srv(p, w, port, t): return rr(33, struct.pack(">HHH", p, w, port) + name(t))
Q = "SN-0001._sztp.example.com"
seeds = {
    "txt-multi": msg(Q, 16, [txt(b"ci=0\x82\x01\x00" + b"A" * 247, b"B" * 200), txt(b"oc=", b"x"),
                             txt(b"ov=\x30\x03\x02\x01\x01"), txt(b"other=1")]),
    "txt-dup": msg(Q, 16, [txt(b"ci=1"), txt(b"CI=2")]),
    "txt-cname": msg(Q, 16, [rr(5, name("real.example.net")),
                             rr(16, b"\x06ci=abc", owner=b"\xc0" + bytes([12 + len(name(Q)) + 4 + 12]))]),
    "nxdomain": msg(Q, 16, [], rcode=3),
    "srv-order": msg("_sztp._tcp.example.com", 33, [srv(20, 0, 443, "c.example.com"), srv(10, 5, 8443, "b.example.com"),
                                                   srv(10, 50, 443, "a.example.com"), srv(0, 0, 443, "")]),
    "srv-compressed": msg("_sztp._tcp.example.com", 33, [rr(33, struct.pack(">HHH", 1, 1, 443) + b"\x04sztp\xc0\x17")]),
    "loop": msg(Q, 16, [rr(16, b"\x04ci=x", owner=b"\xc0\x3f")]),
}
for k, v in seeds.items():
    open(d + "/" + k, "wb").write(v)
PY

# the SZTP redirect DHCP option (RFC 8572 s8): a URI list, a hook's hex,
# a DHCPv4 options area with the list split (RFC 3396), DHCPv6 options
mkdir -p "$C/dhcp_option"
python3 - "$C/dhcp_option" <<'PY'
import struct, sys
d = sys.argv[1]
def lst(*u): return b"".join(struct.pack(">H", len(x)) + x for x in u)
two = lst(b"https://bootstrap.example.com", b"https://[2001:db8::1]:8443")
big = lst(*[b"https://bootstrap-%02d.example.com:8443" % i for i in range(10)])
v4 = b"\x35\x01\x05" + b"".join(bytes([143, len(big[i:i + 255])]) + big[i:i + 255]
                             for i in range(0, len(big), 255)) + b"\xff"
seeds = {
    "list": two,
    "hex": (":".join("%02x" % b for b in two)).encode(),
    "bad-entries": lst(b"http://x", b"", b"https://a/b", b"https://ok.example"),
    "truncated": two[:-3],
    "v4-split": v4,
    "v6": struct.pack(">HH", 1, 2) + b"ab" + struct.pack(">HH", 136, len(two)) + two,
}
for k, v in seeds.items():
    open(d + "/" + k, "wb").write(v)
PY

# tls_hello: ClientHello bodies (RFC 5246 s7.4.1.2) as a TLS 1.2 client
# offering only ECDHE-RSA sends them, one offering ECDSA too, and broken ones
mkdir -p "$C/tls_hello"
python3 - "$C/tls_hello" <<'PY'
import os, struct, sys
d = sys.argv[1]
def hello(suites, sid=b"\x11" * 32, ext=b""):
    cs = b"".join(struct.pack(">H", x) for x in suites)
    body = b"\x03\x03" + bytes(range(32)) + bytes([len(sid)]) + sid
    body += struct.pack(">H", len(cs)) + cs + b"\x01\x00"
    return body + struct.pack(">H", len(ext)) + ext
sigalgs = struct.pack(">HHH", 13, 4, 2) + struct.pack(">H", 0x0401)
seeds = {
    "rsa-only": hello([0xC02F, 0xC030], ext=sigalgs),
    "ecdsa-and-rsa": hello([0x1301, 0x1302, 0xC02B, 0xC02C, 0xC02F, 0xC030, 0x009E]),
    "no-session-id": hello([0xC02B], sid=b""),
    "odd-length": hello([0xC02B])[:35 + 33] + b"\x00\x03\xc0\x2b\x00",
    "truncated": hello([0xC02B, 0xC02F])[:72],
}
for k, v in seeds.items():
    open(d + "/" + k, "wb").write(v)
PY

for t in "$C"/*; do
	printf '%-28s %3d files %6d bytes\n' "$(basename "$t")" "$(ls "$t" | wc -l)" \
		"$(cat "$t"/* | wc -c)"
done
