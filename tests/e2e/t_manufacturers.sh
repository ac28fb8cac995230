#!/bin/bash
# End-to-end (issue 13): manufacturer anchors with their own rules.
# `manufacturer-ca = PATH [serial=subject|sudi] [allow=sha1]` next to
# client-ca.  Devices: sztp-pki's demo manufacturer, with SUDI-form
# serialNumbers minted by `sztp-pki device --subject-serial`, and a second
# maker minted by openssl (tests/unit/mkanchors.sh) whose intermediate and
# leaves are signed with ecdsa-with-SHA1 (`openssl x509 -sha1`).  The real
# curl shows: a SUDI device gets its data under serial=sudi; the same
# certificate under a plain anchor is refused (its serial is the whole
# "PID:... SN:..." text: a legal serial, simply not enrolled); a SUDI
# subject without SN: is refused (reason serial-rule in the log and in
# sztpd_auth_failures_total); a SHA-1 chain is refused under client-ca
# (the log names ECDSA-SHA1) and accepted under allow=sha1; one sztpd
# serves both anchors at once; SIGHUP reloads the manufacturer-ca file;
# config errors name the option, the file or the missing key.
. "$(dirname "$0")/lib.sh"
e2e_init t_manufacturers

PKI=$TMP/pki
M=$PKI/manufacturer
B=$TMP/b
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$M/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
SUDI='PID:C9300-24T SN:FOC2233X0AB'

"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 >/dev/null ||
	{ echo "sztp-pki init failed"; echo "t_manufacturers: 0 passed, 1 failed"; exit 1; }
check "sztp-pki device --subject-serial (SUDI form)" "$BIN/sztp-pki" device --pki "$PKI" \
	--serial FOC2233X0AB --subject-serial "$SUDI"
check "sztp-pki device --subject-serial without SN:" "$BIN/sztp-pki" device --pki "$PKI" \
	--serial NOSN1 --subject-serial 'PID:C9300-24T'
check_eq "openssl: the IDevID's serialNumber is the SUDI text" \
	"$(openssl x509 -in "$PKI/devices/FOC2233X0AB/idevid.pem" -noout -subject -nameopt RFC2253)" \
	"subject=serialNumber=$SUDI,CN=FOC2233X0AB,O=Demo Manufacturer"
"$BIN/sztp-pki" device --pki "$PKI" --serial X1 --subject-serial 'a' --no-serial-attr \
	>"$TMP/usage.out" 2>&1
check_eq "--subject-serial with --no-serial-attr: usage error" "$?" 2
check "the second maker's PKI (openssl, SHA-1 intermediate)" sh "$TOP/tests/unit/mkanchors.sh" "$B"
openssl x509 -in "$B/b-int1.pem" -noout -text >"$TMP/int1.txt"
check_contains "openssl: the intermediate is signed with SHA-1" "$TMP/int1.txt" \
	"Signature Algorithm: ecdsa-with-SHA1"
for c in s1 s1b s2 nosn; do
	int=b-int2
	case $c in s1*) int=b-int1 ;; esac
	cat "$B/b-$c.pem" "$B/$int.pem" >"$B/$c-chain.pem"
done

printf 'hostname demo\n' >"$TMP/config.txt"
check "sztpctl init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile" CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge
for s in SN-1 FOC2233X0AB NOSN1; do
	check "enrol $s" CTL device add "$s" --profile onb --voucher "$PKI/devices/$s/voucher.vcj"
done
for s in FOC1 FOC1B FOC2; do
	check "enrol $s (the second maker, no voucher)" CTL device add "$s" --profile onb
done
check "a read token for /metrics" ctl_token "$DB" prometheus read "$TMP/token"
# the admin API reads a SUDI IDevID's serial from its SN: token (pinning)
check "profile pinned" CTL profile onboarding pinned --config "$TMP/config.txt" \
	--config-handling merge --pin-idevid
check "sztp-pki: FOC9 in SUDI form" "$BIN/sztp-pki" device --pki "$PKI" --serial FOC9 \
	--subject-serial 'PID:C9300-24T SN:FOC9'
check "enrol FOC9 pinned with its SUDI IDevID" CTL device add FOC9 --profile pinned \
	--idevid "$PKI/devices/FOC9/chain.pem"
CTL device add FOC8 --profile pinned --idevid "$PKI/devices/FOC9/chain.pem" >"$TMP/pin8.out" 2>&1
check_eq "...another serial with that IDevID: refused" "$?" 1
check_contains "...naming the certificate's serial" "$TMP/pin8.out" "names serial number 'PID:C9300-24T SN:FOC9'"

# conf LINES...: a config with the server's certificate and these lines
conf() {
	printf '%s\n' "listen-address = 127.0.0.1" "port = $PORT" \
		"tls-cert = $PKI/server/chain.pem" "tls-key = $PKI/server/key.pem" \
		"allow-root = yes" "database = $DB" "yang-dir = $TOP/yang" "threads = 2" "$@"
}
start() { # NAME CONF
	e2e_bg "$TMP/$1.log" "$BIN/sztpd" -c "$2"
	SZTPD=$E2E_LAST_PID
	wait_https "$PORT" || { cat "$TMP/$1.log"; echo "sztpd did not start"; exit 1; }
}
# gbd CHAIN KEY: the HTTP status of get-bootstrapping-data (body in gbd.out)
gbd() {
	curl -s -o "$TMP/gbd.out" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" -X POST \
		--cert "$1" --key "$2" \
		"https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data"
}
dev() { gbd "$PKI/devices/$1/chain.pem" "$PKI/devices/$1/idevid.key"; }
# curl's OpenSSL (security level 2 on Debian) will not even load a client
# chain signed with SHA-1 ("ca md too weak"); an old device presents it
# anyway: the second maker's devices run curl at security level 0
printf '%s\n' 'openssl_conf = c' '[c]' 'ssl_conf = s' '[s]' 'system_default = d' '[d]' \
	'CipherString = DEFAULT@SECLEVEL=0' >"$TMP/openssl.cnf"
bdev() { OPENSSL_CONF=$TMP/openssl.cnf gbd "$B/$1-chain.pem" "$B/b-$1.key"; }
nsztpd() { # CONF OUT: sztpd -n's status
	"$BIN/sztpd" -n -c "$1" >"$2" 2>&1
	echo $?
}

# ---- configuration errors (sztpd -n) ------------------------------------------
PORT=$(free_port)
conf "manufacturer-ca = $B/b-root.pem serial=cisco" >"$TMP/e1.conf"
check_eq "unknown option: refused" "$(nsztpd "$TMP/e1.conf" "$TMP/e1.out")" 1
check_contains "...naming it" "$TMP/e1.out" "e1.conf:9: manufacturer-ca: '$B/b-root.pem serial=cisco' is refused: unknown option 'serial=cisco' (options: serial=subject, serial=sudi, allow=sha1)"
conf "manufacturer-ca = $B/b-root.pem allow=sha1 allow=sha1" >"$TMP/e2.conf"
check_eq "an option twice: refused" "$(nsztpd "$TMP/e2.conf" "$TMP/e2.out")" 1
check_contains "...saying so" "$TMP/e2.out" "option 'allow=sha1' given twice"
conf >"$TMP/e3.conf"
check_eq "neither client-ca nor manufacturer-ca: refused" "$(nsztpd "$TMP/e3.conf" "$TMP/e3.out")" 1
check_contains "...naming both" "$TMP/e3.out" "e3.conf: 'client-ca' or 'manufacturer-ca' is required"
lines=()
for i in $(seq 1 17); do lines+=("manufacturer-ca = $B/b-root.pem"); done
conf "${lines[@]}" >"$TMP/e4.conf"
check_eq "17 manufacturer-ca lines: refused" "$(nsztpd "$TMP/e4.conf" "$TMP/e4.out")" 1
check_contains "...at most 16" "$TMP/e4.out" "manufacturer-ca: more than 16 values"
conf "manufacturer-ca = $TMP/nosuch.pem serial=sudi" >"$TMP/e5.conf"
check_eq "a missing anchor file: refused" "$(nsztpd "$TMP/e5.conf" "$TMP/e5.out")" 1
check_contains "...naming the key and the file" "$TMP/e5.out" "manufacturer-ca: "
check_contains "...and the file" "$TMP/e5.out" "$TMP/nosuch.pem"
cp "$B/b-root.pem" "$TMP/rel-root.pem"
conf "manufacturer-ca = rel-root.pem serial=sudi allow=sha1" >"$TMP/ok.conf"
check_eq "manufacturer-ca alone (relative PATH): accepted" "$(nsztpd "$TMP/ok.conf" "$TMP/ok.out")" 0
# a system policy with a minimum verification profile refuses SHA-1 even
# when the verification allows it: allow=sha1 could not work, so it is refused
printf '[overrides]\nmin-verification-profile = medium\n' >"$TMP/gnutls.config"
GNUTLS_SYSTEM_PRIORITY_FILE=$TMP/gnutls.config "$BIN/sztpd" -n -c "$TMP/ok.conf" >"$TMP/pol.out" 2>&1
check_eq "allow=sha1 under min-verification-profile: refused" "$?" 1
check_contains "...naming the policy" "$TMP/pol.out" "allow=sha1: this system's GnuTLS policy refuses SHA-1"
conf "manufacturer-ca = rel-root.pem serial=sudi" >"$TMP/ok2.conf"
GNUTLS_SYSTEM_PRIORITY_FILE=$TMP/gnutls.config "$BIN/sztpd" -n -c "$TMP/ok2.conf" >"$TMP/pol2.out" 2>&1
check_eq "...while serial=sudi alone is fine there" "$?" 0

# ---- serial=sudi on the demo manufacturer's root ------------------------------
conf "manufacturer-ca = $M/root.pem serial=sudi" >"$TMP/sudi.conf"
start sudi "$TMP/sudi.conf"
check_eq "SUDI device under serial=sudi: 200" "$(dev FOC2233X0AB)" 200
check_contains "...its bootstrapping data" "$TMP/gbd.out" "ietf-sztp-bootstrap-server:output"
check_eq "...again (the verification cache): 200" "$(dev FOC2233X0AB)" 200
check_eq "the rule is logged once per verification, not per request" \
	"$(grep -c 'IDevID verified under anchor=root.pem serial-rule=sudi' "$TMP/sudi.log")" 1
check_eq "SUDI subject without SN: under serial=sudi: 401" "$(dev NOSN1)" 401
check_contains "...the one 401 body" "$TMP/gbd.out" "authentication failed"
check_contains "...the log says why" "$TMP/sudi.log" \
	"client certificate refused by anchor=root.pem serial-rule=sudi: serialNumber 'PID:C9300-24T' has no SN: token"
check_eq "a plain serialNumber (SN-1) under serial=sudi: 401" "$(dev SN-1)" 401
check_eq "the pinned SUDI device FOC9: 200" "$(dev FOC9)" 200
check "sztp-pki: FOC9 gets another key" "$BIN/sztp-pki" device --pki "$PKI" --serial FOC9 \
	--subject-serial 'PID:C9300-24T SN:FOC9' --no-voucher --force
check_eq "...refused by its pin: 401" "$(dev FOC9)" 401
check_contains "...the log says why" "$TMP/sudi.log" "IDevID key differs from the pinned one"
check "sztpd stops with status 0" stop_clean "$SZTPD"

# ---- the same certificate under a plain anchor (client-ca) -----------------------
PORT=$(free_port)
conf "client-ca = $M/root.pem" >"$TMP/plain.conf"
start plain "$TMP/plain.conf"
check_eq "SUDI device under client-ca: 401" "$(dev FOC2233X0AB)" 401
check_contains "...its serial is the whole text, not enrolled" "$TMP/plain.log" \
	"serial \"$SUDI\": serial is not enrolled"
check_not_contains "...a legal serial: pki_serial_check passed" "$TMP/plain.log" "serialNumber contains"
check_eq "SN-1 under client-ca: 200" "$(dev SN-1)" 200
check_not_contains "the default rule logs no anchor line" "$TMP/plain.log" "IDevID verified under"
check "sztpd stops with status 0" stop_clean "$SZTPD"

# ---- SHA-1 under client-ca, and under manufacturer-ca without allow=sha1 --------
PORT=$(free_port)
conf "client-ca = $B/b-root.pem" >"$TMP/sha1no.conf"
start sha1no "$TMP/sha1no.conf"
check_eq "SHA-1 chain under client-ca: 401" "$(bdev s1)" 401
check_contains "...the log names the algorithm" "$TMP/sha1no.log" \
	"is signed with ECDSA-SHA1, an insecure signature algorithm"
check "sztpd stops with status 0" stop_clean "$SZTPD"
PORT=$(free_port)
conf "manufacturer-ca = $B/b-root.pem serial=sudi" >"$TMP/sha1no2.conf"
start sha1no2 "$TMP/sha1no2.conf"
check_eq "SHA-1 chain under manufacturer-ca without allow=sha1: 401" "$(bdev s1)" 401
check_contains "...the log names the algorithm" "$TMP/sha1no2.log" "ECDSA-SHA1"
check_eq "...its SHA-256 sibling: 200" "$(bdev s2)" 200
check "sztpd stops with status 0" stop_clean "$SZTPD"

# ---- both anchors at once, with /metrics ------------------------------------------
admin_ports
conf "client-ca = $M/root.pem" "manufacturer-ca = $B/b-root.pem serial=sudi allow=sha1" \
	"admin-port = $APORT" >"$TMP/both.conf"
check_eq "sztpd -n accepts both" "$(nsztpd "$TMP/both.conf" "$TMP/both.n")" 0
start both "$TMP/both.conf"
check "the admin port answers" wait_https "$APORT"
check_eq "client-ca device SN-1: 200" "$(dev SN-1)" 200
check_eq "SHA-1 SUDI device FOC1 under allow=sha1: 200" "$(bdev s1)" 200
check_eq "FOC1B through the cached SHA-1 intermediate: 200" "$(bdev s1b)" 200
check_eq "SHA-256 SUDI device FOC2: 200" "$(bdev s2)" 200
check_eq "SUDI without SN: under it: 401" "$(bdev nosn)" 401
check_eq "the demo SUDI device (plain client-ca): 401" "$(dev FOC2233X0AB)" 401
check_contains "the rule in the log" "$TMP/both.log" \
	"serial FOC1: IDevID verified under anchor=b-root.pem serial-rule=sudi allow=sha1"
check_contains "...for the cached issuer's device too" "$TMP/both.log" \
	"serial FOC1B: IDevID verified under anchor=b-root.pem serial-rule=sudi allow=sha1"
check_not_contains "...none for client-ca's devices" "$TMP/both.log" "serial SN-1: IDevID verified"
curl -sfk -H "Authorization: Bearer $(cat "$TMP/token")" -o "$TMP/m.txt" \
	"https://127.0.0.1:$APORT/metrics"
check_contains "sztpd_auth_failures_total{reason=\"serial-rule\"} counts the SN:-less one" \
	"$TMP/m.txt" 'sztpd_auth_failures_total{reason="serial-rule"} 1'
check_contains "...the plain anchor's SUDI text as not-enrolled" "$TMP/m.txt" \
	'sztpd_auth_failures_total{reason="not-enrolled"} 1'
check_contains "both anchor files' expiry" "$TMP/m.txt" \
	'sztpd_certificate_expiry_timestamp_seconds{certificate="client-ca",index="1"}'
check "sztpd stops with status 0" stop_clean "$SZTPD"

# ---- SIGHUP reloads a manufacturer-ca file (no client-ca) -------------------------
PORT=$(free_port)
cp "$B/a-root.pem" "$TMP/mfr.pem"
conf "manufacturer-ca = $TMP/mfr.pem serial=sudi allow=sha1" >"$TMP/hup.conf"
start hup "$TMP/hup.conf"
check_eq "another maker's root in the file: FOC1 401" "$(bdev s1)" 401
reloads() { grep -c 'reload: manufacturer anchors' "$TMP/hup.log"; }
hup() { # N: SIGHUP, wait for the Nth reload line
	kill -HUP "$SZTPD"
	for i in $(seq 1 50); do
		[ "$(reloads)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
cp "$B/b-root.pem" "$TMP/mfr.pem"
check "SIGHUP: reloaded" hup 1
check_eq "the maker's root now: FOC1 200" "$(bdev s1)" 200
cp "$B/a-root.pem" "$TMP/mfr.pem"
check "SIGHUP again: reloaded" hup 2
check_eq "its root gone: FOC1 401 (nothing cached across the reload)" "$(bdev s1)" 401
echo "not a certificate" >"$TMP/mfr.pem"
kill -HUP "$SZTPD"
for i in $(seq 1 50); do
	grep -q 'reload: keeping the manufacturer anchors in use: manufacturer-ca: ' "$TMP/hup.log" && break
	sleep 0.1
done
check_contains "a bad file keeps the anchors in use" "$TMP/hup.log" \
	"reload: keeping the manufacturer anchors in use: manufacturer-ca: "
check_eq "...still serving: FOC1 401 as before" "$(bdev s1)" 401
check "sztpd stops with status 0" stop_clean "$SZTPD"

e2e_finish
