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
DB=$(e2e_db a) || exit 1
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
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
database = $DB
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
	agent_conf_file "$1" "$2" "os-name = demo-os" "os-version = 1.0" "hw-model = sim-1 <&>" \
		"http-timeout = 10" "yang-dir = $TOP/yang" "log-level = debug" "${@:3}"
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
ta_json=$(db_q "select trust_anchors from progress where serial='SN-TA' and type='bootstrap-complete'" | jq -c '.["trust-anchor-cert"]')
check_eq "trust anchors: two CMS stored with bootstrap-complete" "$(echo "$ta_json" | jq length)" 2
check_eq "trust anchors: only with bootstrap-complete" \
	"$(db_q "select count(*) from progress where serial='SN-TA' and trust_anchors is not null")" 1
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
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1Ll/Dr4jV0j8r2/qrJaDCTFcCVAM0Dkwl3eCpHFRSD root@dev" >"$TMP/hostkey.pub"
agent_conf xt SN-XT "$TRUST" "$WK" "encoding = xml" "report-trust-anchors = $PKI/owner/ca.pem" \
	"ssh-host-key = $TMP/hostkey.pub"
run xt
check_eq "xml trusted: exit 0" "$EXIT" 0
check "xml trusted: config applied" applied xt
check_contains "xml trusted: the conveyed information was XML" "$TMP/xt.out" "conveyed information is XML"
check_contains "xml trusted: unsigned" "$TMP/xt.out" "unsigned conveyed information accepted"
check_eq "xml trusted: XML reports stored, trust anchor included" \
	"$(db_q "select trust_anchors from progress where serial='SN-XT' and type='bootstrap-complete'" | jq '.["trust-anchor-cert"] | length')" 1
check_eq "xml trusted: ssh host key in the XML report" \
	"$(db_q "select count(*) from progress where serial='SN-XT' and type='bootstrap-complete' and ssh_host_keys like '%ssh-ed25519%AAAAC3NzaC1lZDI1NTE5AAAAIB1Ll%'")" 1
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
	"$(db_q "select count(*) from progress where serial='SN-XS' and type in ('parsing-complete','config-complete','bootstrap-complete')")" 3
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

# ---- 4. revocation: domain-cert-revocation-checks -----------------------------------
# An owner chain minted with openssl: root (pinned in the vouchers) ->
# intermediate (CRL DP: root.crl) -> signer (CRL DP: int.crl); CRLs from
# `openssl ca -gencrl`, served by nginx over HTTPS.
NGPORT=$(free_port)
while [ "$NGPORT" = "$PA" ]; do NGPORT=$(free_port); done
RV=$TMP/rev
mkdir -p "$RV" "$TMP/www"
cat >"$RV/ext.cnf" <<EXT
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[int]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:https://127.0.0.1:$NGPORT/root.crl
[signer]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:https://127.0.0.1:$NGPORT/int.crl
EXT
eckey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$RV/$1.key" 2>/dev/null; chmod 600 "$RV/$1.key"; }
eckey root
openssl req -new -x509 -key "$RV/root.key" -subj "/O=Rev Owner/CN=Rev Owner Root" -days 365 \
	-config "$RV/ext.cnf" -extensions root -out "$RV/root.pem" 2>/dev/null
issue() { # NAME SUBJECT ISSUER SECTION
	eckey "$1"
	openssl req -new -key "$RV/$1.key" -subj "$2" -out "$RV/$1.csr" 2>/dev/null
	openssl x509 -req -in "$RV/$1.csr" -CA "$RV/$3.pem" -CAkey "$RV/$3.key" -CAcreateserial -days 365 \
		-sha256 -extfile "$RV/ext.cnf" -extensions "$4" -out "$RV/$1.pem" 2>/dev/null
}
issue int "/O=Rev Owner/CN=Rev Owner Intermediate" root int
issue signer "/O=Rev Owner/CN=Rev Owner Signer" int signer
cat "$RV/signer.pem" "$RV/int.pem" >"$RV/chain.pem"
check "revocation: openssl built the owner chain" openssl verify -CAfile "$RV/root.pem" -untrusted "$RV/int.pem" "$RV/signer.pem"
check_contains "revocation: the signer names its CRL" <(openssl x509 -in "$RV/signer.pem" -noout -ext crlDistributionPoints) \
	"https://127.0.0.1:$NGPORT/int.crl"
cadb() { # NAME: a fresh openssl ca database for CA NAME
	rm -rf "$RV/db-$1"
	mkdir "$RV/db-$1"
	: >"$RV/db-$1/index.txt"
	echo 01 >"$RV/db-$1/crlnumber"
	printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\ndefault_crl_days = 7\n' \
		"$RV/db-$1/index.txt" "$RV/db-$1/crlnumber" >"$RV/db-$1/ca.cnf"
}
ca() { # NAME ARGS...: openssl ca as CA NAME
	local n=$1
	shift
	openssl ca -config "$RV/db-$n/ca.cnf" -keyfile "$RV/$n.key" -cert "$RV/$n.pem" "$@" 2>/dev/null
}
cadb int
ca int -gencrl -out "$RV/int-good.crl"
ca int -gencrl -crl_lastupdate 20200101000000Z -crl_nextupdate 20200201000000Z -out "$RV/int-stale.crl"
ca int -revoke "$RV/signer.pem"
ca int -gencrl -out "$RV/int-revoked.crl"
cadb root
ca root -gencrl -out "$RV/root-good.crl"
ca root -revoke "$RV/int.pem"
ca root -gencrl -out "$RV/root-revoked.crl"
# a look-alike intermediate (same name, its own key) whose CRL revokes nothing
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$RV/fake.key" 2>/dev/null
openssl req -new -x509 -key "$RV/fake.key" -subj "/O=Rev Owner/CN=Rev Owner Intermediate" -days 30 \
	-config "$RV/ext.cnf" -extensions root -out "$RV/fake.pem" 2>/dev/null
cadb fake
ca fake -gencrl -out "$RV/int-fake.crl"
for f in int-good int-revoked int-stale root-good root-revoked int-fake; do
	check "revocation: openssl made $f.crl" test -s "$RV/$f.crl"
done
check_contains "revocation: int-revoked.crl lists the signer" <(openssl crl -in "$RV/int-revoked.crl" -noout -text) \
	"$(openssl x509 -in "$RV/signer.pem" -noout -serial | cut -d= -f2)"
serve() { cp "$RV/$1.crl" "$TMP/www/int.crl" && cp "$RV/$2.crl" "$TMP/www/root.crl"; }
serve int-good root-good

start_nginx_https "$TMP/ng" "$NGPORT" "$PKI/server/chain.pem" "$PKI/server/key.pem" "$TMP/www"
NGINX=$E2E_LAST_PID
wait_https "$NGPORT" || true
check "nginx serves the CRL over HTTPS" curl -sfk -o /dev/null "https://127.0.0.1:$NGPORT/int.crl"

# the owner identity and a profile signed by it; vouchers pinning its root,
# re-signed by the manufacturer with domain-cert-revocation-checks true
check "revocation: owner rev" CTL owner set --name rev --chain "$RV/chain.pem" --key "$RV/signer.key"
check "revocation: profile" CTL profile onboarding revp --config "$TMP/config.txt" --config-handling replace \
	--sign always --owner rev --reporting verbose
rvoucher() { # SERIAL FLAG OUT
	"$BIN/sztp-pki" voucher --pki "$PKI" --serial "$1" --pinned "$RV/root.pem" --out "$3.plain" >/dev/null
	openssl cms -verify -inform DER -binary -in "$3.plain" -noverify -out "$3.json" 2>/dev/null
	jq -c ".\"ietf-voucher:voucher\".\"domain-cert-revocation-checks\" = $2" "$3.json" >"$3.flag.json"
	openssl cms -sign -binary -nodetach -in "$3.flag.json" -econtent_type "$CT_VOUCHER" \
		-signer "$PKI/manufacturer/voucher-signer.pem" -inkey "$PKI/manufacturer/voucher-signer.key" \
		-certfile "$PKI/manufacturer/root.pem" -outform DER -out "$3" 2>/dev/null
}
for s in SN-RG SN-RV SN-RD SN-RL; do
	rvoucher "$s" true "$RV/$s.vcj"
	check "revocation: $s voucher verifies with openssl" openssl cms -verify -inform DER -binary -in "$RV/$s.vcj" \
		-CAfile "$PKI/manufacturer/root.pem" -purpose any -out "$RV/$s.check.json"
	check_eq "revocation: $s voucher asks for revocation checks" \
		"$(jq -r '."ietf-voucher:voucher"."domain-cert-revocation-checks"' "$RV/$s.check.json")" true
	check "revocation: enrol $s" CTL device add "$s" --profile revp --voucher "$RV/$s.vcj"
done
rvoucher SN-RS false "$RV/SN-RS.vcj"
check "revocation: enrol SN-RS (no checks asked)" CTL device add SN-RS --profile revp --voucher "$RV/SN-RS.vcj"
crl_gets() { grep -c 'GET /[a-z]*\.crl' "$TMP/ng/access.log" 2>/dev/null; }
bserr() { db_q "select count(*) from progress where serial='$1' and type='bootstrap-error'"; }

agent_conf rg SN-RG "$TRUST" "$WK"
run rg
check_eq "revocation good: exit 0" "$EXIT" 0
check "revocation good: config applied" applied rg
check_contains "revocation good: the signer checked with int.crl" "$TMP/rg.out" \
	"\"CN=Rev Owner Signer,O=Rev Owner\" not revoked (CRL https://127.0.0.1:$NGPORT/int.crl)"
check_contains "revocation good: the intermediate checked with root.crl" "$TMP/rg.out" \
	"\"CN=Rev Owner Intermediate,O=Rev Owner\" not revoked (CRL https://127.0.0.1:$NGPORT/root.crl)"
check_contains "revocation good: nginx served int.crl" "$TMP/ng/access.log" "GET /int.crl"
check_contains "revocation good: nginx served root.crl" "$TMP/ng/access.log" "GET /root.crl"
# a voucher without the flag: no CRL fetched, nothing else changes
n0=$(crl_gets)
agent_conf rs SN-RS "$TRUST" "$WK"
run rs
check_eq "no revocation checks asked: exit 0" "$EXIT" 0
check_eq "no revocation checks asked: no CRL fetched" "$(crl_gets)" "$n0"
check_not_contains "no revocation checks asked: nothing checked" "$TMP/rs.out" "revocation"
# revoked signer: refused, bootstrap-error to the trusted server, nothing applied
rvfail() { # NAME SERIAL REASON [extra conf]
	local name=$1 sn=$2 why=$3 before
	shift 3
	before=$(bserr "$sn")
	agent_conf "$name" "$sn" "$TRUST" "$WK" "$@"
	run "$name"
	check_eq "$name: exit 2" "$EXIT" 2
	jq -r .error "$R" >"$TMP/$name.err" 2>/dev/null
	check_contains "$name: reason" "$TMP/$name.err" "$why"
	check_fails "$name: nothing applied" applied "$name"
	check_eq "$name: bootstrap-error reported" "$(bserr "$sn")" $((before + 1))
}
serve int-revoked root-good
rvfail rv-signer SN-RV "\"CN=Rev Owner Signer,O=Rev Owner\" is revoked (CRL https://127.0.0.1:$NGPORT/int.crl)"
check_contains "revoked: the report names the certificate" \
	<(db_q "select message from progress where serial='SN-RV' and type='bootstrap-error'") \
	"CN=Rev Owner Signer,O=Rev Owner\" is revoked"
serve int-good root-revoked
rvfail rv-int SN-RV "\"CN=Rev Owner Intermediate,O=Rev Owner\" is revoked (CRL https://127.0.0.1:$NGPORT/root.crl)"
serve int-stale root-good
rvfail rv-stale SN-RV "past its nextUpdate"
serve int-fake root-good
rvfail rv-fake SN-RV "signature does not verify with the issuer's key"
rm -f "$TMP/www/int.crl"
rvfail rv-404 SN-RV "int.crl: HTTP status 404"
serve int-good root-good
# local crl-file: used first, no download; a revoking one refuses offline
n0=$(crl_gets)
agent_conf rl SN-RL "$TRUST" "$WK" "crl-file = $RV/int-good.crl" "crl-file = $RV/root-good.crl"
run rl
check_eq "crl-file: exit 0" "$EXIT" 0
check_contains "crl-file: used" "$TMP/rl.out" "not revoked (CRL crl-file)"
check_eq "crl-file: nothing downloaded" "$(crl_gets)" "$n0"
stop_pid "$NGINX"
# the CRL server down: status unobtainable, refused (fail closed)
rvfail rv-down SN-RD "revocation status of \"CN=Rev Owner Signer,O=Rev Owner\" cannot be obtained"
check_contains "CRL server down: the URL and the failure named" "$TMP/rv-down.err" \
	"https://127.0.0.1:$NGPORT/int.crl: Couldn't connect to server"
# crl-file covers the signer only: the intermediate's status is unobtainable
rvfail rv-partial SN-RL "\"CN=Rev Owner Intermediate,O=Rev Owner\" cannot be obtained" "crl-file = $RV/int-good.crl"
rvfail rv-local SN-RL "CN=Rev Owner Signer,O=Rev Owner\" is revoked (CRL crl-file)" "crl-file = $RV/int-revoked.crl" \
	"crl-file = $RV/root-good.crl"
agent_conf rl2 SN-RL "$TRUST" "$WK" "crl-file = $RV/int-good.crl" "crl-file = $RV/root-good.crl"
run rl2
check_eq "crl-file, CRL server down: exit 0" "$EXIT" 0
# a stale local CRL is refused with a trusted clock, used with clock-trusted = no
rvfail rv-local-stale SN-RL "past its nextUpdate" "crl-file = $RV/int-stale.crl" "crl-file = $RV/root-good.crl"
agent_conf rl3 SN-RL "$TRUST" "$WK" "crl-file = $RV/int-stale.crl" "crl-file = $RV/root-good.crl" "clock-trusted = no"
run rl3
check_eq "stale crl-file, clock not trusted: exit 0 (nothing revoked)" "$EXIT" 0
check_contains "clock not trusted: said so" "$TMP/rl3.out" "CRL thisUpdate/nextUpdate not checked"

check "sztpd still running" kill -0 "$SZTPD"
e2e_finish
