#!/bin/bash
# End-to-end (issue 13): one sztpd serving every client class of
# docs/interop.md at once, each replayed with programs that are not ours
# (openssl s_client, curl) as ../shared/spec/interop.md describes its wire
# behaviour:
#  - an IOS-XE-like switch: TLS 1.2 offering only RSA PKCS#1 v1.5 signature
#    algorithms, an RSA SUDI-style IDevID (serialNumber "PID:... SN:...")
#    under a manufacturer CA whose intermediate is SHA-1-signed, host-meta
#    discovery, signed data with voucher and owner certificate;
#  - the OPI agent: HTTP Basic plus a certificate, no Accept header, an
#    empty nonce: served on a lenient profile, refused with the exact YANG
#    error on a strict one;
#  - a strict RFC 8572 client: TLS 1.3, a real nonce, ECDSA.
. "$(dirname "$0")/lib.sh"
e2e_init t_interop

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
"$BIN/sztp-pki" init --out "$PKI" --serial OPI-1 --serial OPI-2 --serial SN-RFC >/dev/null ||
	{ echo "sztp-pki init failed"; exit 1; }
CTL init >/dev/null || { echo "sztpctl init failed"; exit 1; }
CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key" >/dev/null ||
	{ echo "sztpctl owner set failed"; exit 1; }

# ---- the RSA server certificate, minted by OpenSSL under the owner CA ------
S=$TMP/rsa-server
mkdir -p "$S"
openssl req -new -newkey rsa:2048 -nodes -keyout "$S/key.pem" -subj '/O=Demo Owner/CN=SZTP Bootstrap Server (RSA)' \
	-out "$S/csr.pem" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$S/ext"
openssl x509 -req -in "$S/csr.pem" -CA "$PKI/owner/ca.pem" -CAkey "$PKI/owner/ca.key" -CAcreateserial \
	-days 30 -sha256 -extfile "$S/ext" -out "$S/cert.pem" 2>/dev/null
cat "$S/cert.pem" "$PKI/owner/ca.pem" >"$S/chain.pem"
chmod 600 "$S/key.pem"
check "openssl minted the RSA server certificate" openssl verify -CAfile "$PKI/owner/ca.pem" "$S/cert.pem"

# ---- a Cisco-like manufacturer: RSA root, SHA-1-signed intermediate, SUDI --
C=$TMP/sudi
mkdir -p "$C"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >"$C/ca.ext"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\nauthorityKeyIdentifier=keyid\n' >"$C/leaf.ext"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$C/root.key" -out "$C/root.pem" -days 30 -sha256 \
	-subj '/O=Cisco/CN=Cisco Root CA 2048 (test)' -addext 'basicConstraints=critical,CA:TRUE' \
	-addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout "$C/int.key" -subj '/O=Cisco/CN=ACT2 SUDI CA (test)' \
	-out "$C/int.csr" 2>/dev/null
openssl x509 -req -in "$C/int.csr" -CA "$C/root.pem" -CAkey "$C/root.key" -CAcreateserial -days 30 \
	-sha1 -extfile "$C/ca.ext" -out "$C/int.pem" 2>/dev/null
XE_SN=FOC2233X0AB
openssl req -new -newkey rsa:2048 -nodes -keyout "$C/sudi.key" \
	-subj "/serialNumber=PID:C9300-24T SN:$XE_SN/CN=C9300-24T/OU=ACT-2 Lite SUDI/O=Cisco" \
	-out "$C/sudi.csr" 2>/dev/null
openssl x509 -req -in "$C/sudi.csr" -CA "$C/int.pem" -CAkey "$C/int.key" -CAcreateserial -days 30 \
	-sha256 -extfile "$C/leaf.ext" -out "$C/sudi.pem" 2>/dev/null
openssl x509 -in "$C/int.pem" -noout -text >"$C/int.txt"
check_contains "the SUDI intermediate is SHA-1-signed" "$C/int.txt" "sha1WithRSAEncryption"
check_contains "the SUDI subject has the PID/SN form" <(openssl x509 -in "$C/sudi.pem" -noout -subject) \
	"serialNumber = PID:C9300-24T SN:$XE_SN"

# ---- profiles and devices ---------------------------------------------------
printf 'hostname switch\n' >"$TMP/cfg.txt"
printf 'image' >"$TMP/img.bin"
IMG=(--image-name c9300 --image-version 17.06.01 --image-file "$TMP/img.bin"
	--image-uri "https://files.example.net/c9300.bin")
check "profile ios (always signs)" CTL profile onboarding ios "${IMG[@]}" --config "$TMP/cfg.txt" \
	--config-handling merge --sign always
check "profile opi (never signs, lenient)" CTL profile onboarding opi "${IMG[@]}" --config "$TMP/cfg.txt" \
	--config-handling merge --sign never --lenient empty-nonce,omit-os-fields,empty-report-members
check "profile opi-strict (never signs, strict)" CTL profile onboarding opi-strict "${IMG[@]}" \
	--config "$TMP/cfg.txt" --config-handling merge --sign never
check "profile rfc" CTL profile onboarding rfc "${IMG[@]}" --config "$TMP/cfg.txt" --config-handling merge
"$BIN/sztp-pki" voucher --pki "$PKI" --serial "$XE_SN" --out "$TMP/xe.vcj" >/dev/null
check "enrol the SUDI device by its SN: part" CTL device add "$XE_SN" --profile ios --voucher "$TMP/xe.vcj"
printf 'opi-secret-1\n' >"$TMP/pw1"
printf 'opi-secret-2\n' >"$TMP/pw2"
check "enrol OPI-1 (lenient)" CTL device add OPI-1 --profile opi --password-file "$TMP/pw1"
check "enrol OPI-2 (strict)" CTL device add OPI-2 --profile opi-strict --password-file "$TMP/pw2"
check "enrol SN-RFC" CTL device add SN-RFC --profile rfc --voucher "$PKI/devices/SN-RFC/voucher.vcj"

# ---- one sztpd for all of them -----------------------------------------------
PORT=$(free_port)
sztpd_conf "tls-alt-cert = $S/chain.pem" "tls-alt-key = $S/key.pem" \
	"manufacturer-ca = $C/root.pem serial=sudi allow=sha1" >"$TMP/sztpd.conf"
check "sztpd -n accepts the configuration" "$BIN/sztpd" -n -c "$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"

RPC=/operations/ietf-sztp-bootstrap-server
# ---- IOS-XE-like: TLS 1.2, RSA PKCS#1 v1.5 only ------------------------------
# (SECLEVEL 0: OpenSSL would not send a chain with a SHA-1 signature otherwise)
XE_TLS=(-connect "127.0.0.1:$PORT" -servername localhost -tls1_2 -sigalgs 'RSA+SHA256:RSA+SHA1'
	-cipher 'DEFAULT:@SECLEVEL=0'
	-cert "$C/sudi.pem" -key "$C/sudi.key" -cert_chain "$C/int.pem")
# xe_http OUT METHOD PATH [BODY]: one HTTP/1.1 request over s_client;
# OUT gets the response, OUT.body its body.
xe_http() {
	local out=$1 m=$2 p=$3 body=${4:-}
	{
		printf '%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n' "$m" "$p"
		if [ -n "$body" ]; then
			printf 'Content-Type: application/yang-data+json\r\nAccept: application/yang-data+json\r\n'
			printf 'Content-Length: %d\r\n' "${#body}"
		else
			printf 'Accept: application/xrd+xml\r\n'
		fi
		printf '\r\n%s' "$body"
	} | timeout 20 openssl s_client "${XE_TLS[@]}" -quiet -ign_eof >"$out" 2>"$out.err"
	sed '1,/^\r$/d' "$out" >"$out.body"
}
timeout 20 openssl s_client "${XE_TLS[@]}" </dev/null >"$TMP/xe.hs" 2>&1
check_contains "IOS-XE-like: TLS 1.2" "$TMP/xe.hs" "Protocol  : TLSv1.2"
check_contains "IOS-XE-like: gets the RSA-2048 server certificate" "$TMP/xe.hs" "Server public key is 2048 bit"
check "IOS-XE-like: PKCS#1 v1.5 handshake signature (not RSA-PSS)" grep -qx 'Peer signature type: RSA' "$TMP/xe.hs"
xe_http "$TMP/xe.meta" GET /.well-known/host-meta
check_contains "IOS-XE-like: host-meta 200" <(head -n 1 "$TMP/xe.meta") "200"
ROOT=$(sed -n "s:.*rel=['\"]restconf['\"] *href=['\"]\([^'\"]*\)['\"].*:\1:p" "$TMP/xe.meta.body")
check_eq "IOS-XE-like: host-meta names the RESTCONF root" "$ROOT" /restconf
# a DHCP URI that already has the path, appended again: a clear 404
xe_http "$TMP/xe.double" POST "/restconf$ROOT$RPC:get-bootstrapping-data" '{"ietf-sztp-bootstrap-server:input":{}}'
check_contains "IOS-XE-like: a doubled RESTCONF path is 404" <(head -n 1 "$TMP/xe.double") "HTTP/1.1 404"
check_contains "... saying there is no such resource" "$TMP/xe.double.body" "no such resource"
xe_http "$TMP/xe.gbd" POST "$ROOT$RPC:get-bootstrapping-data" \
	'{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null],"hw-model":"C9300-24T","os-version":"17.03.04"}}'
check_contains "IOS-XE-like: get-bootstrapping-data 200" <(head -n 1 "$TMP/xe.gbd") "HTTP/1.1 200"
O='."ietf-sztp-bootstrap-server:output"'
for a in conveyed-information owner-certificate ownership-voucher; do
	jq -r "$O.\"$a\"" "$TMP/xe.gbd.body" | base64 -d >"$TMP/xe-$a.der"
	check "IOS-XE-like: $a present" test -s "$TMP/xe-$a.der"
done
check "openssl: the voucher verifies against the MASA" openssl cms -verify -inform DER -binary \
	-in "$TMP/xe-ownership-voucher.der" -CAfile "$PKI/manufacturer/root.pem" -purpose any -out "$TMP/xe-v.json"
check_eq "voucher serial is the SN: part" \
	"$(jq -r '."ietf-voucher:voucher"."serial-number"' "$TMP/xe-v.json")" "$XE_SN"
jq -r '."ietf-voucher:voucher"."pinned-domain-cert"' "$TMP/xe-v.json" | base64 -d |
	openssl x509 -inform DER -out "$TMP/xe-pinned.pem"
openssl pkcs7 -inform DER -in "$TMP/xe-owner-certificate.der" -print_certs -out "$TMP/xe-oc.pem"
check "openssl: conveyed information verifies to the pinned domain cert" openssl cms -verify -inform DER \
	-binary -in "$TMP/xe-conveyed-information.der" -certfile "$TMP/xe-oc.pem" -CAfile "$TMP/xe-pinned.pem" \
	-purpose any -out "$TMP/xe-ci.json"
openssl cms -cmsout -print -inform DER -in "$TMP/xe-conveyed-information.der" >"$TMP/xe-ci.print"
check_contains "IOS-XE-like: eContentType .43 (JSON)" "$TMP/xe-ci.print" "1.2.840.113549.1.9.16.1.43"
check_contains "IOS-XE-like: signed attributes present" "$TMP/xe-ci.print" "signedAttrs:"
check_eq "IOS-XE-like: boot-image keeps os-version (else it skips the update)" \
	"$(jq -r '."ietf-sztp-conveyed-info:onboarding-information"."boot-image"."os-version"' "$TMP/xe-ci.json")" \
	17.06.01

# ---- the OPI agent: Basic + certificate, no Accept, empty nonce ---------------
GBD=https://localhost:$PORT/restconf$RPC:get-bootstrapping-data
RP=https://localhost:$PORT/restconf$RPC:report-progress
OPI_BODY='{"ietf-sztp-bootstrap-server:input":{"hw-model":"model","os-name":"linux","os-version":"1.0","nonce":""}}'
# opi OUT SERIAL PASSWORD-FILE URL BODY: the agent's request; sets STATUS
opi() {
	STATUS=$(curl -sk -o "$1" -D "$1.h" -w '%{http_code}' -H 'Accept:' \
		-H 'Content-Type: application/yang-data+json' -u "$2:$(cat "$3")" \
		--cert "$PKI/devices/$2/chain.pem" --key "$PKI/devices/$2/idevid.key" -d "$5" "$4")
}
opi "$TMP/opi1" OPI-1 "$TMP/pw1" "$GBD" "$OPI_BODY"
check_eq "OPI agent on the lenient profile: 200" "$STATUS" 200
check_eq "OPI: no owner-certificate member (its decoder refuses unknown members)" \
	"$(jq -r "$O | keys | join(\",\")" "$TMP/opi1")" conveyed-information
jq -r "$O.\"conveyed-information\"" "$TMP/opi1" | base64 -d >"$TMP/opi1.der"
# the unsigned ContentInfo's OCTET STRING: the JSON after its header
line=$(openssl asn1parse -inform DER -in "$TMP/opi1.der" | grep 'OCTET STRING' | head -n 1)
off=$(echo "$line" | sed 's/^ *\([0-9]*\):.*/\1/')
hl=$(echo "$line" | sed 's/.*hl= *\([0-9]*\).*/\1/')
tail -c +"$((off + hl + 1))" "$TMP/opi1.der" >"$TMP/opi1.json"
check "OPI: the conveyed information is JSON" jq -e . "$TMP/opi1.json"
check_eq "OPI: boot-image without os-name/os-version" \
	"$(jq -r '."ietf-sztp-conveyed-info:onboarding-information"."boot-image" | has("os-name") or has("os-version")' "$TMP/opi1.json")" false
check_eq "OPI: the image is still there" \
	"$(jq -r '."ietf-sztp-conveyed-info:onboarding-information"."boot-image"."download-uri"[0]' "$TMP/opi1.json")" \
	"https://files.example.net/c9300.bin"
# its reports carry empty ssh-host-keys / trust-anchor-certs whatever the type
OPI_REPORT='{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated","message":"opi","ssh-host-keys":{},"trust-anchor-certs":{}}}'
opi "$TMP/opi1r" OPI-1 "$TMP/pw1" "$RP" "$OPI_REPORT"
check_eq "OPI: its report-progress (no Accept, empty members) on the lenient profile: 204" "$STATUS" 204
check_eq "OPI: the report is stored" \
	"$(CTL --json progress OPI-1 | jq -r '[.[] | select(.message == "opi")] | length')" 1
opi "$TMP/opi2r" OPI-2 "$TMP/pw2" "$RP" "$OPI_REPORT"
check_eq "OPI: the same report on a strict profile: 400" "$STATUS" 400
check_contains "strict: the YANG when error" "$TMP/opi2r" "When condition \\\"../progress-type = 'bootstrap-complete'\\\" not satisfied."
opi "$TMP/opi2" OPI-2 "$TMP/pw2" "$GBD" "$OPI_BODY"
check_eq "OPI agent on a strict profile: 400" "$STATUS" 400
check_eq "strict: error-tag invalid-value" \
	"$(jq -r '."ietf-restconf:errors".error[0]."error-tag"' "$TMP/opi2")" invalid-value
check_eq "strict: the exact YANG error" "$(cat "$TMP/opi2")" \
	'{"ietf-restconf:errors":{"error":[{"error-type":"protocol","error-tag":"invalid-value","error-message":"get-bootstrapping-data input: /ietf-sztp-bootstrap-server:get-bootstrapping-data/nonce: Unsatisfied length - string \"\" length is not allowed."}]}}'
opi "$TMP/opi2w" OPI-2 "$TMP/pw1" "$GBD" "$OPI_BODY"
check_eq "OPI: a wrong password is 401 whatever the profile" "$STATUS" 401

# ---- a strict RFC client: TLS 1.3, a real nonce, the ECDSA certificate --------
timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -tls1_3 \
	-cert "$PKI/devices/SN-RFC/idevid.pem" -key "$PKI/devices/SN-RFC/idevid.key" </dev/null >"$TMP/rfc.hs" 2>&1
check_contains "RFC client: TLS 1.3" "$TMP/rfc.hs" "New, TLSv1.3"
check_contains "RFC client: gets the ECDSA P-256 certificate" "$TMP/rfc.hs" "Server public key is 256 bit"
NONCE=$(head -c 16 /dev/urandom | base64)
STATUS=$(curl -s -o "$TMP/rfc" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
	--cert "$PKI/devices/SN-RFC/chain.pem" --key "$PKI/devices/SN-RFC/idevid.key" \
	-H 'Content-Type: application/yang-data+json' -H 'Accept: application/yang-data+json' \
	-d "{\"ietf-sztp-bootstrap-server:input\":{\"nonce\":\"$NONCE\",\"signed-data-preferred\":[null]}}" "$GBD")
check_eq "RFC client: 200 (server certificate verified by curl)" "$STATUS" 200
check_eq "RFC client: signed answer with voucher and owner certificate" \
	"$(jq -r "$O | keys | join(\",\")" "$TMP/rfc")" conveyed-information,owner-certificate,ownership-voucher
jq -r "$O.\"ownership-voucher\"" "$TMP/rfc" | base64 -d >"$TMP/rfc-v.der"
check "openssl: the RFC client's voucher verifies" openssl cms -verify -inform DER -binary -in "$TMP/rfc-v.der" \
	-CAfile "$PKI/manufacturer/root.pem" -purpose any -out /dev/null
STATUS=$(curl -s -o "$TMP/rfc-bad" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
	--cert "$PKI/devices/SN-RFC/chain.pem" --key "$PKI/devices/SN-RFC/idevid.key" \
	-H 'Content-Type: application/yang-data+json' -d "$OPI_BODY" "$GBD")
check_eq "RFC client's profile is strict: an empty nonce is 400" "$STATUS" 400

# ---- what the operator sees ----------------------------------------------------
check_contains "the SUDI rule is logged with its anchor" "$TMP/sztpd.log" \
	"auth: serial $XE_SN: IDevID verified under anchor=root.pem serial-rule=sudi allow=sha1"
check_contains "the OPI answer's audit line names the leniencies" "$TMP/sztpd.log" \
	"serial=OPI-1 peer=127.0.0.1 method=POST endpoint=get-bootstrapping-data result=unsigned status=200"
check "... lenient=empty-nonce,omit-os-fields" grep -q 'serial=OPI-1 .*endpoint=get-bootstrapping-data.* lenient=empty-nonce,omit-os-fields$' "$TMP/sztpd.log"
check_fails "the strict RFC client's lines name no leniency" grep -q 'serial=SN-RFC .*lenient=' "$TMP/sztpd.log"
check_eventually "the served event of OPI-1 names the leniencies applied" '["empty-nonce","omit-os-fields"]' \
	sh -c "'$BIN/sztpctl' -d '$DB' --json events list --serial OPI-1 --type bootstrap.served | jq -c '.[0].data.lenient'"
check "sztpd still serving" kill -0 "$E2E_LAST_PID"
e2e_finish
