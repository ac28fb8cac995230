#!/bin/bash
# End-to-end: revocation of IDevIDs with CRLs (client-crl).  sztp-pki
# issues the CRLs (checked with openssl), sztpd loads them, the real curl
# shows a revoked IDevID refused with the same 401 as any failure and the
# reason "revoked" in sztpd's log; a CRL of another CA changes nothing;
# a root CRL revoking the manufacturer intermediate refuses its whole
# fleet; sztpd -n refuses a file that is not a CRL, naming it.
. "$(dirname "$0")/lib.sh"
e2e_init t_crl

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
M=$PKI/manufacturer

"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 --serial SN-2 --serial SN-3 >/dev/null ||
	{ echo "sztp-pki init failed"; exit 1; }
# ---- sztp-pki crl ---------------------------------------------------------
check "sztp-pki crl --revoke SN-2" "$BIN/sztp-pki" crl --pki "$PKI" --revoke SN-2
check "the CRL is at manufacturer/intermediate.crl" test -s "$M/intermediate.crl"
check "openssl: the CRL verifies against the intermediate" \
	openssl crl -in "$M/intermediate.crl" -CAfile "$M/intermediate.pem" -noout
sn2=$(openssl x509 -in "$PKI/devices/SN-2/idevid.pem" -noout -serial | sed 's/serial=//')
openssl crl -in "$M/intermediate.crl" -noout -text >"$TMP/crl.txt"
check_contains "openssl: SN-2's certificate is listed" "$TMP/crl.txt" "Serial Number: $sn2"
check "openssl verify -crl_check: SN-2 revoked" sh -c "! openssl verify -crl_check \
	-CRLfile '$M/intermediate.crl' -CAfile '$M/root.pem' -untrusted '$M/intermediate.pem' \
	'$PKI/devices/SN-2/idevid.pem' >/dev/null 2>&1"
check "openssl verify -crl_check: SN-1 good" openssl verify -crl_check \
	-CRLfile "$M/intermediate.crl" -CAfile "$M/root.pem" -untrusted "$M/intermediate.pem" \
	"$PKI/devices/SN-1/idevid.pem"
check "sztp-pki crl --issuer root revoking the intermediate" "$BIN/sztp-pki" crl --pki "$PKI" \
	--issuer root --revoke-cert "$M/intermediate.pem" --out "$TMP/root.crl"
check "a stale CRL (--next-update in the past)" "$BIN/sztp-pki" crl --pki "$PKI" --revoke SN-2 \
	--next-update 2021-01-01T00:00:00Z --out "$TMP/stale.crl"
openssl crl -in "$TMP/stale.crl" -noout -nextupdate >"$TMP/stale.txt"
check_contains "stale CRL nextUpdate" "$TMP/stale.txt" "Jan  1 00:00:00 2021 GMT"
"$BIN/sztp-pki" crl --pki "$PKI" --revoke SN-9 >"$TMP/nosn.out" 2>&1
check_eq "crl --revoke of an unknown device fails" "$?" 1
"$BIN/sztp-pki" crl --pki "$PKI" --ca "$TMP" >"$TMP/both.out" 2>&1
check_eq "crl --pki with --ca is a usage error" "$?" 2
# another CA, its own leaf with SN-1's serial number attribute, revoked by it
"$BIN/sztp-pki" ca --out "$TMP/other" --name "Other CA" >/dev/null
"$BIN/sztp-pki" leaf --ca "$TMP/other" --out "$TMP/other/dev" --serial SN-1 --client >/dev/null
check "sztp-pki crl --ca (another CA)" "$BIN/sztp-pki" crl --ca "$TMP/other" \
	--revoke-cert "$TMP/other/dev.pem"

printf 'hostname demo\n' >"$TMP/config.txt"
check "sztpctl init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile" CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge
for s in SN-1 SN-2 SN-3; do
	check "enrol $s" CTL device add "$s" --profile onb --voucher "$PKI/devices/$s/voucher.vcj"
done

# conf PORT [client-crl lines...]
conf() {
	local port=$1 f
	shift
	cat <<CONF
port = $port
tls-cert = $PKI/server/chain.pem
tls-key = $PKI/server/key.pem
client-ca = $M/root.pem
allow-root = yes
database = $DB
yang-dir = $TOP/yang
threads = 2
CONF
	for f in "$@"; do echo "client-crl = $f"; done
}
gbd() { # PORT SN: the HTTP status of get-bootstrapping-data with SN's IDevID
	curl -s -o "$TMP/gbd.out" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" -X POST \
		--cert "$PKI/devices/$2/chain.pem" --key "$PKI/devices/$2/idevid.key" \
		"https://localhost:$1/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data"
}
start() { # NAME CONF: sztpd in the background, its PID in SZTPD
	e2e_bg "$TMP/$1.log" "$BIN/sztpd" -c "$2"
	SZTPD=$E2E_LAST_PID
	wait_https "$PORT" || { cat "$TMP/$1.log"; echo "sztpd did not start"; exit 1; }
}

# ---- sztpd -n ---------------------------------------------------------------
PORT=$(free_port)
echo "not a CRL" >"$TMP/notacrl.pem"
conf "$PORT" "$TMP/notacrl.pem" >"$TMP/bad.conf"
"$BIN/sztpd" -n -c "$TMP/bad.conf" >"$TMP/bad.out" 2>&1
check_eq "sztpd -n refuses a client-crl that is not a CRL" "$?" 1
check_contains "...naming the file" "$TMP/bad.out" "notacrl.pem"
conf "$PORT" "$M/intermediate.crl" "$TMP/other/ca.crl" >"$TMP/crl.conf"
check "sztpd -n accepts the CRLs" "$BIN/sztpd" -n -c "$TMP/crl.conf"

# ---- the intermediate's CRL (and another CA's) -----------------------------
start crl "$TMP/crl.conf"
check_eq "SN-1 (not revoked): 200" "$(gbd "$PORT" SN-1)" 200
check_eq "SN-2 (revoked): 401" "$(gbd "$PORT" SN-2)" 401
check_contains "the same 401 body as any failure" "$TMP/gbd.out" "authentication failed"
check_eq "SN-2 again (nothing cached): 401" "$(gbd "$PORT" SN-2)" 401
check_eq "SN-3 (not revoked, cached issuer): 200" "$(gbd "$PORT" SN-3)" 200
check_eq "SN-1 again: 200" "$(gbd "$PORT" SN-1)" 200
check_contains "the log says why: revoked" "$TMP/crl.log" "is revoked (listed in CRL $M/intermediate.crl)"
check_contains "...for SN-2's certificate" "$TMP/crl.log" "serialNumber=SN-2"
check_not_contains "SN-1 is never called revoked" "$TMP/crl.log" "serialNumber=SN-1,CN=SN-1,O=Demo Manufacturer is revoked"
check "sztpd stops with status 0" stop_clean "$SZTPD"

# ---- a stale CRL still revokes ------------------------------------------------
PORT=$(free_port)
conf "$PORT" "$TMP/stale.crl" >"$TMP/stale.conf"
start stale "$TMP/stale.conf"
check_eq "stale CRL: SN-2 still 401" "$(gbd "$PORT" SN-2)" 401
check_eq "stale CRL: SN-1 200" "$(gbd "$PORT" SN-1)" 200
check "sztpd stops with status 0" stop_clean "$SZTPD"

# ---- the root revokes the intermediate: the whole fleet is refused -----------
PORT=$(free_port)
conf "$PORT" "$TMP/root.crl" >"$TMP/root.conf"
start root "$TMP/root.conf"
for s in SN-1 SN-3; do
	check_eq "intermediate revoked: $s 401" "$(gbd "$PORT" "$s")" 401
done
check_contains "the log names the revoked intermediate" "$TMP/root.log" "CN=Demo Manufacturer IDevID CA,O=Demo Manufacturer is revoked"
check "sztpd stops with status 0" stop_clean "$SZTPD"
e2e_finish
