#!/bin/bash
# t_tls_certs.sh - two server certificates on one port (issue 13): sztpd
# serves an ECDSA pair (tls-cert, from sztp-pki) and an RSA pair
# (tls-alt-cert, minted here with openssl: an independent implementation),
# and each handshake gets the ECDSA one when the client takes it, else the
# RSA one.  openssl s_client checks the key it is given: TLS 1.3 and 1.2
# defaults (ECDSA), TLS 1.2 with RSA PKCS#1 v1.5 signature algorithms only
# (RSA, signed PKCS#1 v1.5), TLS 1.2 with an ECDHE-RSA cipher only (RSA),
# TLS 1.3 with rsa_pss_rsae_sha256 only (RSA, signed with PSS); a full
# get-bootstrapping-data with curl over TLS 1.2 restricted to RSA; the
# configuration errors with their exact messages (sztpd -n); what -n
# prints of both pairs; /metrics (handshakes by key, both expiries); a
# SIGHUP that swaps the RSA pair, and one that cannot load and keeps both.
. "$(dirname "$0")/lib.sh"
e2e_init t_tls_certs

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 >/dev/null ||
	{ echo "sztp-pki init failed"; echo "t_tls_certs: 0 passed, 1 failed"; exit 1; }
check "sztpctl init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
printf 'hostname demo\n' >"$TMP/config.txt"
check "profile" CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge
check "enrol SN-1" CTL device add SN-1 --profile onb --voucher "$PKI/devices/SN-1/voucher.vcj"
check "a read token for /metrics" ctl_token "$DB" prometheus read "$TMP/token"

# rsa NAME: an RSA-2048 server certificate from the owner CA, by openssl
rsa() {
	(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$TMP/etc/$1.key" 2>/dev/null) &&
		openssl req -new -key "$TMP/etc/$1.key" -subj "/O=Demo Owner/CN=$1" \
			-out "$TMP/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$TMP/$1.csr" -CA "$PKI/owner/ca.pem" -CAkey "$PKI/owner/ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 \
			-extfile "$TMP/server.ext" -out "$TMP/$1.pem" 2>/dev/null &&
		cat "$TMP/$1.pem" "$PKI/owner/ca.pem" >"$TMP/etc/$1-chain.pem"
}
mkdir -m 700 "$TMP/etc"
printf '%s\n' "basicConstraints = critical,CA:FALSE" \
	"keyUsage = critical,digitalSignature,keyEncipherment" \
	"extendedKeyUsage = serverAuth" "subjectAltName = DNS:localhost,IP:127.0.0.1" >"$TMP/server.ext"
check "openssl: the RSA pair" rsa rsa1
check "openssl: a second RSA pair" rsa rsa2
check "the RSA key is RSA-2048" sh -c "openssl pkey -in '$TMP/etc/rsa1.key' -text_pub -noout | grep -q '2048 bit'"
cp "$PKI/server/chain.pem" "$TMP/etc/ec-chain.pem"
install -m 600 "$PKI/server/key.pem" "$TMP/etc/ec.key"
cp "$TMP/etc/rsa1-chain.pem" "$TMP/etc/alt-chain.pem"
install -m 600 "$TMP/etc/rsa1.key" "$TMP/etc/alt.key"
# another ECDSA server certificate (sztp-pki), for "two of one type"
check "sztp-pki: a second ECDSA server certificate" "$BIN/sztp-pki" leaf --ca "$PKI/owner" \
	--out "$TMP/etc/ec2" --serial SRV-2 --server --san DNS:localhost >/dev/null

PORT=$(free_port)
APORT=$(free_port)
while [ "$APORT" = "$PORT" ]; do APORT=$(free_port); done
conf() {
	printf '%s\n' "listen-address = 127.0.0.1" "port = $PORT" \
		"tls-cert = $TMP/etc/ec-chain.pem" "tls-key = $TMP/etc/ec.key" \
		"client-ca = $PKI/manufacturer/root.pem" "allow-root = yes" \
		"database = $DB" "yang-dir = $TOP/yang" "threads = 2" "$@"
}

# ---- configuration errors: sztpd -n, exact messages --------------------------------
# nerr DESCRIPTION MESSAGE LINE...: sztpd -n fails and says MESSAGE
nerr() {
	local d=$1 m=$2
	shift 2
	conf "$@" >"$TMP/bad.conf"
	if "$BIN/sztpd" -n -c "$TMP/bad.conf" >"$TMP/bad.out" 2>&1; then
		fail "$d: sztpd -n succeeded"
	else
		check_contains "$d" "$TMP/bad.out" "$m"
	fi
}
nerr "tls-alt-cert without tls-alt-key" \
	"sztpd: tls-alt-cert is set but tls-alt-key is not: a second server certificate needs both (or neither)" \
	"tls-alt-cert = $TMP/etc/alt-chain.pem"
nerr "tls-alt-key without tls-alt-cert" \
	"sztpd: tls-alt-key is set but tls-alt-cert is not: a second server certificate needs both (or neither)" \
	"tls-alt-key = $TMP/etc/alt.key"
nerr "two ECDSA pairs" \
	"sztpd: tls-alt-cert $TMP/etc/ec2-chain.pem has an ECDSA key like tls-cert $TMP/etc/ec-chain.pem: the second server certificate must have the other key type (one ECDSA, one RSA)" \
	"tls-alt-cert = $TMP/etc/ec2-chain.pem" "tls-alt-key = $TMP/etc/ec2.key"
nerr "an RSA key of another certificate" \
	"sztpd: tls-alt-key $TMP/etc/rsa2.key does not match the certificate in tls-alt-cert $TMP/etc/alt-chain.pem" \
	"tls-alt-cert = $TMP/etc/alt-chain.pem" "tls-alt-key = $TMP/etc/rsa2.key"
chmod 644 "$TMP/etc/rsa2.key"
nerr "a group/world-readable tls-alt-key" "sztpd: tls-alt-key: " \
	"tls-alt-cert = $TMP/etc/rsa2-chain.pem" "tls-alt-key = $TMP/etc/rsa2.key"
check_contains "  ... naming the mode" "$TMP/bad.out" "chmod 600"
chmod 600 "$TMP/etc/rsa2.key"
nerr "the key as the certificate" \
	"sztpd: tls-alt-cert $TMP/etc/alt.key holds a private key, not a certificate chain" \
	"tls-alt-cert = $TMP/etc/alt.key" "tls-alt-key = $TMP/etc/alt.key"

# ---- sztpd -n prints both pairs ------------------------------------------------------
conf "tls-alt-cert = $TMP/etc/alt-chain.pem" "tls-alt-key = $TMP/etc/alt.key" \
	"admin-port = $APORT" >"$TMP/sztpd.conf"
check "sztpd -n: two pairs are valid" sh -c "'$BIN/sztpd' -n -c '$TMP/sztpd.conf' >'$TMP/n.out' 2>&1"
check_contains "-n: tls-cert, ECDSA" "$TMP/n.out" "sztpd: tls-cert $TMP/etc/ec-chain.pem: ecdsa key, subject CN=SZTP Bootstrap Server,O=Demo Owner"
check_contains "-n: tls-alt-cert, RSA" "$TMP/n.out" "sztpd: tls-alt-cert $TMP/etc/alt-chain.pem: rsa key, subject CN=rsa1,O=Demo Owner"
NA=$(date -u -d "$(openssl x509 -in "$TMP/rsa1.pem" -noout -enddate | sed 's/notAfter=//')" +%Y-%m-%dT%H:%M:%SZ)
check_contains "-n: tls-alt-cert's notAfter" "$TMP/n.out" "not after $NA"
check_contains "-n: valid" "$TMP/n.out" "is valid"

# ---- which key each client gets ------------------------------------------------------
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID
check "the admin port answers" wait_https "$APORT"
check_contains "the log names both keys (ECDSA)" "$TMP/sztpd.log" "server certificate CN=SZTP Bootstrap Server,O=Demo Owner, ecdsa key"
check_contains "the log names both keys (RSA)" "$TMP/sztpd.log" "server certificate CN=rsa1,O=Demo Owner, rsa key"
# sc NAME OPTION...: openssl s_client to the device port, verifying against
# the owner CA; output in $TMP/NAME.sc, the leaf in $TMP/NAME.leaf
sc() {
	local n=$1
	shift
	openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
		-CAfile "$PKI/owner/ca.pem" -verify_return_error "$@" </dev/null >"$TMP/$n.sc" 2>&1
	openssl x509 -in "$TMP/$n.sc" -noout -text >"$TMP/$n.leaf" 2>/dev/null
}
fpr() { openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//'; }
# leaf_is NAME ec|rsa: the handshake completed, verified, with that key
leaf_is() {
	local want=id-ecPublicKey
	[ "$2" = rsa ] && want=rsaEncryption
	check_contains "$1: verified" "$TMP/$1.sc" "Verify return code: 0 (ok)"
	check_contains "$1: the $2 certificate" "$TMP/$1.leaf" "Public Key Algorithm: $want"
}
AU=https://127.0.0.1:$APORT
scrape() { curl -sfk -H "Authorization: Bearer $(cat "$TMP/token")" -o "$TMP/$1.m" "$AU/metrics"; }
val() { S=$2 awk '$1 == ENVIRON["S"] { v = $2 } END { print v == "" ? 0 : v }' "$1"; }
check "scrape before" scrape m0

sc t13 -tls1_3
leaf_is t13 ec
check_contains "t13: TLS 1.3" "$TMP/t13.sc" "TLSv1.3"
sc t12 -tls1_2
leaf_is t12 ec
check_contains "t12: an ECDHE-ECDSA suite" "$TMP/t12.sc" "Cipher is ECDHE-ECDSA-"
sc t12sig -tls1_2 -sigalgs 'RSA+SHA256:RSA+SHA1'
leaf_is t12sig rsa
check_contains "t12sig: signed PKCS#1 v1.5" "$TMP/t12sig.sc" "Peer signature type: RSA"
check_not_contains "t12sig: not PSS" "$TMP/t12sig.sc" "Peer signature type: RSA-PSS"
check_contains "t12sig: SHA-256" "$TMP/t12sig.sc" "Peer signing digest: SHA256"
sc t12cs -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
leaf_is t12cs rsa
check_contains "t12cs: the RSA suite" "$TMP/t12cs.sc" "Cipher is ECDHE-RSA-AES128-GCM-SHA256"
sc t13pss -tls1_3 -sigalgs rsa_pss_rsae_sha256
leaf_is t13pss rsa
check_contains "t13pss: signed RSA-PSS" "$TMP/t13pss.sc" "Peer signature type: RSA-PSS"
check_eq "the RSA leaf served is rsa1" "$(fpr "$TMP/t12cs.sc")" "$(fpr "$TMP/rsa1.pem")"
check_eq "the ECDSA leaf served is tls-cert's" "$(fpr "$TMP/t13.sc")" "$(fpr "$PKI/server/cert.pem")"

# a full bootstrapping request over TLS 1.2 restricted to RSA (curl/OpenSSL)
GBD=https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data
code=$(curl -sv -o "$TMP/gbd.out" -w '%{http_code}' --tlsv1.2 --tls-max 1.2 \
	--ciphers ECDHE-RSA-AES128-GCM-SHA256 --cacert "$PKI/owner/ca.pem" \
	--cert "$PKI/devices/SN-1/chain.pem" --key "$PKI/devices/SN-1/idevid.key" \
	-H 'Content-Type: application/yang-data+json' -d '{"ietf-sztp-bootstrap-server:input":{}}' \
	"$GBD" 2>"$TMP/gbd.err")
check_eq "curl, TLS 1.2, RSA only: get-bootstrapping-data 200" "$code" 200
check_contains "  ... over the RSA suite" "$TMP/gbd.err" "TLSv1.2 / ECDHE-RSA-AES128-GCM-SHA256"
check_contains "  ... with the conveyed information" "$TMP/gbd.out" "ietf-sztp-bootstrap-server:output"
# and the same device with curl's defaults gets the ECDSA certificate
code=$(curl -sv -o /dev/null -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
	--cert "$PKI/devices/SN-1/chain.pem" --key "$PKI/devices/SN-1/idevid.key" \
	-H 'Content-Type: application/yang-data+json' -d '{"ietf-sztp-bootstrap-server:input":{}}' \
	"$GBD" 2>"$TMP/gbd2.err")
check_eq "curl defaults: 200" "$code" 200
check_contains "  ... with the ECDSA certificate" "$TMP/gbd2.err" "TLSv1.3"
check_contains "  ... (its subject)" "$TMP/gbd2.err" "CN=SZTP Bootstrap Server"

# ---- /metrics: handshakes by key, both expiries ---------------------------------------
check "scrape after" scrape m1
R0=$(val "$TMP/m0.m" 'sztpd_tls_server_cert_total{key="rsa"}')
R1=$(val "$TMP/m1.m" 'sztpd_tls_server_cert_total{key="rsa"}')
E0=$(val "$TMP/m0.m" 'sztpd_tls_server_cert_total{key="ecdsa"}')
E1=$(val "$TMP/m1.m" 'sztpd_tls_server_cert_total{key="ecdsa"}')
check_eq "metrics: four RSA handshakes (3 s_client, 1 curl)" "$((R1 - R0))" 4
# t13, t12, curl defaults, the scrape itself (the admin port serves tls-cert)
check_eq "metrics: four ECDSA handshakes" "$((E1 - E0))" 4
check_eq "metrics: tls-alt-cert's expiry (index 1)" \
	"$(val "$TMP/m1.m" 'sztpd_certificate_expiry_timestamp_seconds{certificate="server",index="1"}')" \
	"$(date -u -d "$(openssl x509 -in "$TMP/rsa1.pem" -noout -enddate | sed 's/notAfter=//')" +%s)"
check_eq "metrics: tls-cert's expiry (index 0)" \
	"$(val "$TMP/m1.m" 'sztpd_certificate_expiry_timestamp_seconds{certificate="server",index="0"}')" \
	"$(date -u -d "$(openssl x509 -in "$PKI/server/cert.pem" -noout -enddate | sed 's/notAfter=//')" +%s)"

# ---- SIGHUP: a new RSA pair; then one that cannot load ------------------------------
# hup N: SIGHUP, then wait until the log shows N reload outcomes
hup() {
	local i
	kill -HUP "$SZTPD"
	for i in $(seq 1 50); do
		[ "$(grep -cE 'reload: (server certificate CN=SZTP|keeping the server)' "$TMP/sztpd.log")" -ge "$1" ] &&
			[ "$(grep -cE 'reload: (manufacturer anchors|keeping the manufacturer)' "$TMP/sztpd.log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
cp "$TMP/etc/rsa2-chain.pem" "$TMP/etc/alt-chain.pem"
install -m 600 "$TMP/etc/rsa2.key" "$TMP/etc/alt.key"
check "SIGHUP" hup 1
check_contains "the reload names the new RSA certificate" "$TMP/sztpd.log" "reload: server certificate CN=rsa2,O=Demo Owner, rsa key"
sc h1 -tls1_2 -sigalgs 'RSA+SHA256:RSA+SHA1'
leaf_is h1 rsa
check_eq "after SIGHUP: an RSA-only client gets the new RSA certificate" "$(fpr "$TMP/h1.sc")" "$(fpr "$TMP/rsa2.pem")"
sc h1e -tls1_3
check_eq "after SIGHUP: a default client still gets the ECDSA one" "$(fpr "$TMP/h1e.sc")" "$(fpr "$PKI/server/cert.pem")"
# a key of another certificate: both pairs in use stay
install -m 600 "$TMP/etc/rsa1.key" "$TMP/etc/alt.key"
check "SIGHUP (bad)" hup 2
check_contains "the bad reload says why" "$TMP/sztpd.log" \
	"reload: keeping the server certificates in use: tls-alt-key $TMP/etc/alt.key does not match the certificate in tls-alt-cert $TMP/etc/alt-chain.pem"
sc h2 -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
leaf_is h2 rsa
check_eq "after a bad reload: rsa2 still served" "$(fpr "$TMP/h2.sc")" "$(fpr "$TMP/rsa2.pem")"
sc h2e -tls1_2
leaf_is h2e ec
check "sztpd stops cleanly" stop_clean "$SZTPD"

# ---- an expired RSA pair: -n warns, /readyz says so -------------------------------
check "sztp-pki: an expired RSA server certificate" "$BIN/sztp-pki" leaf --ca "$PKI/owner" \
	--out "$TMP/etc/old" --serial OLD --server --rsa --san DNS:localhost \
	--not-before 2020-01-01T00:00:00Z --not-after 2021-01-01T00:00:00Z
conf "tls-alt-cert = $TMP/etc/old-chain.pem" "tls-alt-key = $TMP/etc/old.key" \
	"admin-port = $APORT" >"$TMP/old.conf"
check "sztpd -n: an expired second certificate still loads" \
	sh -c "'$BIN/sztpd' -n -c '$TMP/old.conf' >'$TMP/old.n' 2>&1"
check_contains "-n warns" "$TMP/old.n" "server certificate serialNumber=OLD,CN=OLD,O=Demo Owner (tls-alt-cert) has expired"
check_contains "  ... and shows its notAfter" "$TMP/old.n" "not after 2021-01-01T00:00:00Z"
start_sztpd "$TMP/old.conf" "$TMP/old.log"
check "the admin port answers" wait_https "$APORT"
code=$(curl -sk -o "$TMP/ready.b" -w '%{http_code}' "$AU/readyz")
check_eq "/readyz with tls-alt-cert expired: 503" "$code" 503
check_eq "/readyz: the certificate check says which" "$(jq -r .checks.certificate "$TMP/ready.b")" \
	"the second server certificate (tls-alt-cert) has expired"
stop_pid "$E2E_LAST_PID"
e2e_finish
