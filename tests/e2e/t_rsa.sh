#!/bin/bash
# RSA-2048 end to end (some devices require it, interop.md): an RSA PKI,
# sztpd with an RSA server key over TLS 1.2, owner signing with RSA, every
# artifact verified with OpenSSL.
. "$(dirname "$0")/lib.sh"
e2e_init t_rsa

PKI=$TMP/pki
DB=$(e2e_db r) || exit 1
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
"$BIN/sztp-pki" init --rsa --out "$PKI" --serial SN-RSA >/dev/null || { echo "pki failed"; exit 1; }
check "server key is RSA-2048" sh -c "openssl pkey -in '$PKI/server/key.pem' -text_pub -noout | grep -q '2048 bit'"
check "owner signer is RSA" sh -c "openssl pkey -in '$PKI/owner/signer.key' -text_pub -noout | grep -q 'Modulus'"
printf 'cfg\n' >"$TMP/c.txt"
check "init" "$BIN/sztpctl" init
check "owner set" "$BIN/sztpctl" owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile" "$BIN/sztpctl" profile onboarding p --config "$TMP/c.txt" --config-handling merge --sign always
check "device" "$BIN/sztpctl" device add SN-RSA --profile p --voucher "$PKI/devices/SN-RSA/voucher.vcj"
PORT=$(free_port)
cat >"$TMP/sztpd.conf" <<CONF
port = $PORT
tls-cert = $PKI/server/chain.pem
tls-key = $PKI/server/key.pem
client-ca = $PKI/manufacturer/root.pem
database = $DB
yang-dir = $TOP/yang
allow-root = yes
CONF
e2e_bg "$TMP/sztpd.log" "$BIN/sztpd" -c "$TMP/sztpd.conf"
wait_https "$PORT" || { cat "$TMP/sztpd.log"; exit 1; }
code=$(curl -s -o "$TMP/out" -w '%{http_code}' --tlsv1.2 --tls-max 1.2 --cacert "$PKI/owner/ca.pem" \
	--cert "$PKI/devices/SN-RSA/chain.pem" --key "$PKI/devices/SN-RSA/idevid.key" \
	-H 'Content-Type: application/yang-data+json' -d '{"ietf-sztp-bootstrap-server:input":{}}' \
	"https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data")
check_eq "RSA device over TLS 1.2: 200 (profile always signs)" "$code" 200
O='."ietf-sztp-bootstrap-server:output"'
for a in conveyed-information owner-certificate ownership-voucher; do
	jq -r "$O.\"$a\"" "$TMP/out" | base64 -d >"$TMP/$a.der"
done
openssl pkcs7 -inform DER -in "$TMP/owner-certificate.der" -print_certs -out "$TMP/oc.pem"
check "openssl: voucher verifies" openssl cms -verify -inform DER -binary -in "$TMP/ownership-voucher.der" \
	-CAfile "$PKI/manufacturer/root.pem" -purpose any -out "$TMP/v.json"
jq -r '."ietf-voucher:voucher"."pinned-domain-cert"' "$TMP/v.json" | base64 -d | openssl x509 -inform DER -out "$TMP/pinned.pem"
check "openssl: RSA-signed conveyed information verifies" openssl cms -verify -inform DER -binary \
	-in "$TMP/conveyed-information.der" -certfile "$TMP/oc.pem" -CAfile "$TMP/pinned.pem" -purpose any -out "$TMP/ci.json"
openssl cms -cmsout -print -inform DER -in "$TMP/conveyed-information.der" >"$TMP/ci.print"
check_contains "signature algorithm sha256WithRSAEncryption" "$TMP/ci.print" "sha256WithRSAEncryption"
check_contains "eContentType .43" "$TMP/ci.print" "1.2.840.113549.1.9.16.1.43"
check_eq "configuration delivered" "$(jq -r '."ietf-sztp-conveyed-info:onboarding-information".configuration' "$TMP/ci.json" | base64 -d)" cfg
e2e_finish
