#!/bin/bash
# End-to-end: the agent's RFC 8572 pieces beyond the basic flow, against a
# real sztpd and a real nginx: HTTP Basic from a password-file (sent to a
# trusted server, withheld from an untrusted one), trust-anchor-certs in
# the bootstrap-complete report (stored by sztpd, read back with OpenSSL),
# encoding = xml (XML requests, XML output, XML conveyed information .42
# signed and unsigned, also from OpenSSL-made removable-storage artifacts),
# and revocation checks for vouchers with domain-cert-revocation-checks:
# CRLs from the owner chain's CRL distribution points served by nginx over
# HTTPS, local crl-file, revoked / good / unobtainable (fail closed).
# Every CMS is also read by openssl cms.
. "$(dirname "$0")/lib.sh"
e2e_init t_agent_rfc

PKI=$TMP/pki
AGENT=$BIN/sztp-agent
export SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$TMP/a.db" "$@"; }
CT_XML=1.2.840.113549.1.9.16.1.42
CT_JSON=1.2.840.113549.1.9.16.1.43
CT_VOUCHER=1.2.840.113549.1.9.16.1.40

SERIALS="SN-BA SN-BW SN-TA SN-XT SN-XU SN-XS SN-XR SN-RV SN-RG SN-RD SN-RL SN-RS"
args=()
for s in $SERIALS; do args+=(--serial "$s"); done
"$BIN/sztp-pki" init --out "$PKI" "${args[@]}" >/dev/null || { echo "sztp-pki init failed"; exit 1; }
printf 'hostname rfc\n' >"$TMP/config.txt"

# ---- sztpd -------------------------------------------------------------------
PA=$(free_port)
check "init" CTL init
check "owner" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile cfg" CTL profile onboarding cfg --config "$TMP/config.txt" --config-handling replace
check "profile signed" CTL profile onboarding signed --config "$TMP/config.txt" \
	--config-handling replace --sign always --reporting verbose
printf 'correct horse:battery\n' >"$TMP/pw.txt"
chmod 600 "$TMP/pw.txt"
printf 'wrong password\n' >"$TMP/pw-wrong.txt"
chmod 600 "$TMP/pw-wrong.txt"
check "enrol SN-BA with a password" CTL device add SN-BA --profile cfg --password-file "$TMP/pw.txt" \
	--voucher "$PKI/devices/SN-BA/voucher.vcj"
for s_p in SN-TA:cfg SN-XT:cfg SN-XU:cfg SN-XS:signed; do
	check "enrol ${s_p%%:*}" CTL device add "${s_p%%:*}" --profile "${s_p#*:}" \
		--voucher "$PKI/devices/${s_p%%:*}/voucher.vcj"
done
cat >"$TMP/a.conf" <<CONF
port = $PA
tls-cert = $PKI/server/chain.pem
tls-key = $PKI/server/key.pem
client-ca = $PKI/manufacturer/root.pem
database = $TMP/a.db
yang-dir = $TOP/yang
threads = 2
log-level = info
allow-root = yes
CONF
e2e_bg "$TMP/a.log" "$BIN/sztpd" -c "$TMP/a.conf"
SZTPD=$E2E_LAST_PID
wait_https "$PA" || { cat "$TMP/a.log"; echo "sztpd did not start"; exit 1; }

# agent_conf NAME SERIAL [extra lines...]: a device config
agent_conf() {
	local name=$1 sn=$2
	shift 2
	{
		echo "idevid-key = $PKI/devices/$sn/idevid.key"
		echo "idevid-chain = $PKI/devices/$sn/chain.pem"
		echo "voucher-trust-anchors = $PKI/manufacturer/root.pem"
		echo "device-root = $TMP/dev/$name"
		echo "os-name = demo-os"
		echo "os-version = 1.0"
		echo "hw-model = sim-1 <&>"
		echo "http-timeout = 10"
		echo "yang-dir = $TOP/yang"
		echo "log-level = debug"
		for l in "$@"; do echo "$l"; done
	} >"$TMP/$name.conf"
}
TRUST="server-trust-anchors = $PKI/owner/ca.pem"
WK="well-known-server = https://localhost:$PA"
run() {
	"$AGENT" -c "$TMP/$1.conf" >"$TMP/$1.out" 2>&1
	EXIT=$?
	R=$TMP/dev/$1/var/lib/sztp/result.json
}
jr() { jq -r "$1" "$R" 2>/dev/null; }
applied() { cmp -s "$TMP/dev/$1/etc/config" "$TMP/config.txt"; }
auth_fail_count() { grep -c "auth: .*SN-BA.*wrong or unset password" "$TMP/a.log"; }

# ---- 1. HTTP Basic from a password-file ------------------------------------------
agent_conf ba SN-BA "$TRUST" "$WK" "password-file = $TMP/pw.txt"
run ba
check_eq "basic: trusted, right password: exit 0" "$EXIT" 0
check "basic: config applied" applied ba
check_not_contains "basic: the password is not in the agent's log" "$TMP/ba.out" "battery"
check_not_contains "basic: the password is not in the result" "$R" "battery"
agent_conf bw SN-BA "$TRUST" "$WK" "password-file = $TMP/pw-wrong.txt"
run bw
check_eq "basic: trusted, wrong password: refused (so it was sent)" "$EXIT" 2
check_contains "basic: wrong password: 401" "$R" "status 401"
check_contains "basic: sztpd saw the wrong password" "$TMP/a.log" "wrong or unset password"
n_fail=$(auth_fail_count)
# untrusted server (no server-trust-anchors): the password is withheld; the
# wrong one would be refused, so success proves it was not sent
agent_conf bu SN-BA "$WK" "password-file = $TMP/pw-wrong.txt"
run bu
check_eq "basic: untrusted server: exit 0 (signed data, no password sent)" "$EXIT" 0
check_eq "basic: untrusted: not trusted" "$(jr .trusted)" false
check_contains "basic: untrusted: withheld, and said so" "$TMP/bu.out" "HTTP Basic password withheld"
check_eq "basic: untrusted: sztpd saw no password" "$(auth_fail_count)" "$n_fail"
check_not_contains "basic: the wrong password is not logged either" "$TMP/bu.out" "wrong password"
# a password file readable by others is refused like a key
printf 'pw\n' >"$TMP/pw-open.txt"
chmod 644 "$TMP/pw-open.txt"
agent_conf bo SN-BA "$TRUST" "$WK" "password-file = $TMP/pw-open.txt"
"$AGENT" -n -c "$TMP/bo.conf" >"$TMP/bo.out" 2>&1
check_eq "basic: group/world-readable password-file: config error" "$?" 1
check_contains "basic: mode named" "$TMP/bo.out" "has mode 0644"
: >"$TMP/pw-empty.txt"
chmod 600 "$TMP/pw-empty.txt"
agent_conf be SN-BA "$TRUST" "$WK" "password-file = $TMP/pw-empty.txt"
"$AGENT" -n -c "$TMP/be.conf" >"$TMP/be.out" 2>&1
check_eq "basic: empty password-file: config error" "$?" 1
check_contains "basic: empty: reason" "$TMP/be.out" "the first line must hold"

# ---- 2. trust-anchor-certs in the bootstrap-complete report -------------------------
agent_conf ta SN-TA "$TRUST" "$WK" "report-trust-anchors = $PKI/owner/chain.pem" \
	"report-trust-anchors = $PKI/manufacturer/root.pem"
run ta
check_eq "trust anchors: exit 0" "$EXIT" 0
ta_json=$(sqlite3 "$TMP/a.db" "select json_extract(trust_anchors, '\$.trust-anchor-cert') from progress where serial='SN-TA' and type='bootstrap-complete'")
check_eq "trust anchors: two CMS stored with bootstrap-complete" "$(echo "$ta_json" | jq length)" 2
check_eq "trust anchors: only with bootstrap-complete" \
	"$(sqlite3 "$TMP/a.db" "select count(*) from progress where serial='SN-TA' and trust_anchors is not null")" 1
CTL --json progress SN-TA >"$TMP/ta-progress.json"
check_eq "trust anchors: sztpctl progress shows them" \
	"$(jq -r '[.[] | select(.type == "bootstrap-complete")][0]."trust-anchor-certs"."trust-anchor-cert" | length' "$TMP/ta-progress.json")" 2
fp() { openssl x509 -noout -fingerprint -sha256 -in "$1"; }
# each: a certs-only SignedData (no signers, no content) holding the file's chain
i=0
for f in "$PKI/owner/chain.pem" "$PKI/manufacturer/root.pem"; do
	echo "$ta_json" | jq -r ".[$i]" | base64 -d >"$TMP/ta$i.der"
	openssl cms -cmsout -print -inform DER -in "$TMP/ta$i.der" >"$TMP/ta$i.txt" 2>&1
	check_contains "trust anchors $i: openssl cms reads a signedData" "$TMP/ta$i.txt" "contentType: pkcs7-signedData"
	check_contains "trust anchors $i: no signers" "$TMP/ta$i.txt" "signerInfos:"
	check_not_contains "trust anchors $i: not one signer" "$TMP/ta$i.txt" "signatureAlgorithm:"
	openssl pkcs7 -inform DER -in "$TMP/ta$i.der" -print_certs -out "$TMP/ta$i.pem" 2>/dev/null
	check_eq "trust anchors $i: the certificates of $(basename "$f")" \
		"$(grep -c 'BEGIN CERTIFICATE' "$TMP/ta$i.pem")" "$(grep -c 'BEGIN CERTIFICATE' "$f")"
	check_eq "trust anchors $i: same first certificate" "$(fp "$TMP/ta$i.pem")" "$(fp "$f")"
	i=$((i + 1))
done

# ---- 3. encoding = xml -----------------------------------------------------------------
# trusted, unsigned XML (.42), reports (with trust anchors) in XML too
agent_conf xt SN-XT "$TRUST" "$WK" "encoding = xml" "report-trust-anchors = $PKI/owner/ca.pem"
run xt
check_eq "xml trusted: exit 0" "$EXIT" 0
check "xml trusted: config applied" applied xt
check_contains "xml trusted: the conveyed information was XML" "$TMP/xt.out" "conveyed information is XML"
check_contains "xml trusted: unsigned" "$TMP/xt.out" "unsigned conveyed information accepted"
check_eq "xml trusted: XML reports stored, trust anchor included" \
	"$(sqlite3 "$TMP/a.db" "select json_array_length(trust_anchors, '\$.trust-anchor-cert') from progress where serial='SN-XT' and type='bootstrap-complete'")" 1
# the same request with curl, as the agent makes it: XML output, .42 inside
curl_xml() { # SERIAL BODY OUT
	curl -s --cacert "$PKI/owner/ca.pem" --cert "$PKI/devices/$1/chain.pem" --key "$PKI/devices/$1/idevid.key" \
		-H 'Content-Type: application/yang-data+xml' -H 'Accept: application/yang-data+xml' \
		--data-binary "$2" -o "$3" -w '%{http_code} %{content_type}' \
		"https://localhost:$PA/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data"
}
NSB=urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server
check_eq "xml trusted: curl gets XML" "$(curl_xml SN-XT "<input xmlns=\"$NSB\"/>" "$TMP/xt.xml")" \
	"200 application/yang-data+xml"
xml_leaf() { sed -n "s|.*<$1>\([^<]*\)</$1>.*|\1|p" "$2"; }
xml_leaf conveyed-information "$TMP/xt.xml" | base64 -d >"$TMP/xt-ci.der"
openssl cms -cmsout -print -inform DER -in "$TMP/xt-ci.der" >"$TMP/xt-ci.txt" 2>&1
check_contains "xml trusted: openssl reads the unsigned ContentInfo as .42" "$TMP/xt-ci.txt" "contentType: undefined ($CT_XML)"
# untrusted: signed XML (eContentType .42) verified against the voucher
agent_conf xu SN-XU "$WK" "encoding = xml"
run xu
check_eq "xml untrusted: exit 0" "$EXIT" 0
check_contains "xml untrusted: signed XML accepted" "$TMP/xu.out" "signed conveyed information accepted"
check_contains "xml untrusted: XML" "$TMP/xu.out" "conveyed information is XML"
check "xml untrusted: config applied" applied xu
check_eq "xml untrusted: curl gets signed XML" \
	"$(curl_xml SN-XU "<input xmlns=\"$NSB\"><signed-data-preferred/></input>" "$TMP/xu.xml")" \
	"200 application/yang-data+xml"
xml_leaf conveyed-information "$TMP/xu.xml" | base64 -d >"$TMP/xu-ci.der"
check "xml signed: openssl cms verifies it with the owner CA" openssl cms -verify -inform DER -in "$TMP/xu-ci.der" \
	-binary -certfile "$PKI/owner/signer.pem" -CAfile "$PKI/owner/ca.pem" -purpose any -out "$TMP/xu-ci.xml"
openssl cms -cmsout -print -inform DER -in "$TMP/xu-ci.der" >"$TMP/xu-ci.txt" 2>&1
check_contains "xml signed: eContentType .42" "$TMP/xu-ci.txt" "eContentType: undefined ($CT_XML)"
check_contains "xml signed: content is XML onboarding information" "$TMP/xu-ci.xml" "<onboarding-information"
# trusted, profile signing always, verbose reports in XML
agent_conf xs SN-XS "$TRUST" "$WK" "encoding = xml"
run xs
check_eq "xml trusted signed: exit 0" "$EXIT" 0
check_contains "xml trusted signed: signed" "$TMP/xs.out" "signed conveyed information accepted"
check_eq "xml trusted signed: verbose XML reports" \
	"$(sqlite3 "$TMP/a.db" "select count(*) from progress where serial='SN-XS' and type in ('parsing-complete','config-complete','bootstrap-complete')")" 3
# removable storage, OpenSSL-made: signed XML and a malformed XML document
usb_xml() { # NAME SERIAL XMLFILE
	local dir=$TMP/usb/$1
	mkdir -p "$dir"
	openssl cms -sign -binary -nodetach -in "$3" -econtent_type "$CT_XML" \
		-signer "$PKI/owner/signer.pem" -inkey "$PKI/owner/signer.key" -nocerts -outform DER \
		-out "$dir/conveyed-information.cms" 2>"$dir/openssl.err"
	openssl crl2pkcs7 -nocrl -certfile "$PKI/owner/chain.pem" -outform DER -out "$dir/owner-certificate.cms"
	cp "$PKI/devices/$2/voucher.vcj" "$dir/ownership-voucher.vcj"
	agent_conf "$1" "$2" "removable-storage = $dir"
	run "$1"
}
NSC=urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info
printf '<onboarding-information xmlns="%s"><configuration-handling>replace</configuration-handling><configuration>%s</configuration></onboarding-information>' \
	"$NSC" "$(base64 -w0 "$TMP/config.txt")" >"$TMP/onb.xml"
usb_xml usb-xml SN-XR "$TMP/onb.xml"
check_eq "xml usb (openssl-signed .42): exit 0" "$EXIT" 0
check "xml usb: config applied" applied usb-xml
check "xml usb: openssl verifies what was used" openssl cms -verify -inform DER \
	-in "$TMP/usb/usb-xml/conveyed-information.cms" -binary -certfile "$PKI/owner/signer.pem" -CAfile "$PKI/owner/ca.pem" -purpose any -out /dev/null
printf '<onboarding-information xmlns="%s"><configuration>%s</configuration><surprise/></onboarding-information>' \
	"$NSC" "$(base64 -w0 "$TMP/config.txt")" >"$TMP/bad.xml"
usb_xml usb-xml-bad SN-XR "$TMP/bad.xml"
check_eq "xml usb, unknown element: refused" "$EXIT" 2
check_contains "xml usb, unknown element: reason" "$R" "surprise"
check_fails "xml usb, unknown element: nothing applied" applied usb-xml-bad
# JSON conveyed information signed as .42 is refused by the XML parser
printf '{"ietf-sztp-conveyed-info:onboarding-information":{"configuration":"%s"}}' \
	"$(base64 -w0 "$TMP/config.txt")" >"$TMP/json-as-xml.txt"
usb_xml usb-xml-json SN-XR "$TMP/json-as-xml.txt"
check_eq "xml usb, JSON labelled .42: refused" "$EXIT" 2
check_fails "xml usb, JSON labelled .42: nothing applied" applied usb-xml-json
agent_conf enc SN-XR "encoding = yaml"
"$AGENT" -n -c "$TMP/enc.conf" >"$TMP/enc.out" 2>&1
check_eq "encoding = yaml: config error" "$?" 1
check_contains "encoding = yaml: named" "$TMP/enc.out" "encoding"

#REVOCATION#

check "sztpd still running" kill -0 "$SZTPD"
e2e_finish
