#!/bin/bash
# End-to-end (issue 9): IDevID pinning per profile.  Under a profile with
# --pin-idevid the first key a device authenticates with is recorded (the
# SHA-256 of its SubjectPublicKeyInfo, checked against openssl's); a
# second key with the same serial, from the same manufacturer CA, gets
# the same 401 and body as any failure (the reason only in the log);
# `sztpctl device set SERIAL --reset-idevid-pin` lets the next key in; a
# key given at enrolment (`device add --idevid`) is enforced from the
# first contact; a profile without pinning ignores pins.
. "$(dirname "$0")/lib.sh"
e2e_init t_pinning

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_YANG_DIR=$TOP/yang SZTP_MASA_CA=$PKI/manufacturer/root.pem
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
CTL init >/dev/null || { echo "sztpctl init failed"; exit 1; }
"$BIN/sztp-pki" init --out "$PKI" --serial SN-P --serial SN-Q --serial SN-R >/dev/null ||
	{ echo "sztp-pki init failed"; exit 1; }
# each device's first IDevID kept aside, then a second key with the same
# serial from the same manufacturer (sztp-pki device --force re-mints it)
for sn in SN-P SN-Q SN-R; do
	mkdir -p "$TMP/first/$sn"
	cp "$PKI/devices/$sn/chain.pem" "$PKI/devices/$sn/idevid.key" "$TMP/first/$sn/"
	"$BIN/sztp-pki" device --pki "$PKI" --serial "$sn" --no-voucher --force >/dev/null ||
		{ echo "sztp-pki device failed"; exit 1; }
	mkdir -p "$TMP/second/$sn"
	cp "$PKI/devices/$sn/chain.pem" "$PKI/devices/$sn/idevid.key" "$TMP/second/$sn/"
done
spki() { # PEM: SHA-256 of the leaf's DER SubjectPublicKeyInfo, by openssl
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -c1-64
}
check "the second key differs" test "$(spki "$TMP/first/SN-P/chain.pem")" != "$(spki "$TMP/second/SN-P/chain.pem")"

printf 'hostname demo\n' >"$TMP/config.txt"
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile with --pin-idevid" CTL profile onboarding pinned --config "$TMP/config.txt" \
	--config-handling merge --pin-idevid
check_contains "it says so" "$TMP/.check.out" "IDevID pinned"
CTL profile show pinned --json >"$TMP/prof.json"
check_eq "profile show --json: pin-idevid" "$(jq -r '."pin-idevid"' "$TMP/prof.json")" true
check "profile without pinning" CTL profile onboarding open --config "$TMP/config.txt" --config-handling merge
check "enrol SN-P (pinned on first use)" CTL device add SN-P --profile pinned
check "enrol SN-Q with --idevid" CTL device add SN-Q --profile pinned --idevid "$TMP/first/SN-Q/chain.pem"
check_contains "it says the key is pinned" "$TMP/.check.out" "IDevID key pinned"
check "enrol SN-R in the open profile" CTL device add SN-R --profile open
CTL device add SN-X --idevid "$TMP/first/SN-P/chain.pem" >"$TMP/wrong.out" 2>&1
check "--idevid of another serial is refused" test $? -ne 0
check_contains "and why" "$TMP/wrong.out" "names serial number 'SN-P', not 'SN-X'"

PORT=$(free_port)
sztpd_conf "threads = 2" >"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID
GBD=https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data

# gbd WHICH SERIAL OUT: get-bootstrapping-data with the first or second key
gbd() {
	curl -s -o "$3" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" --cert "$TMP/$1/$2/chain.pem" \
		--key "$TMP/$1/$2/idevid.key" -H 'Content-Type: application/yang-data+json' \
		-d '{"ietf-sztp-bootstrap-server:input":{}}' "$GBD"
}
pin_of() { CTL device show "$1" --json | jq -r '."idevid-pin"'; }

# ---- pinned on first use --------------------------------------------------------------
check_eq "SN-P: no pin before its first contact" "$(pin_of SN-P)" null
check_eq "SN-P, first key: served" "$(gbd first SN-P "$TMP/p1")" 200
check_eq "SN-P: its key is pinned (openssl's SPKI hash)" "$(pin_of SN-P)" "$(spki "$TMP/first/SN-P/chain.pem")"
check_contains "device show prints the pin" <(CTL device show SN-P) "idevid pin: sha256 $(spki "$TMP/first/SN-P/chain.pem")"
check_eq "SN-P, first key again: served" "$(gbd first SN-P "$TMP/p2")" 200
check_eq "SN-P, second key, same serial and CA: 401" "$(gbd second SN-P "$TMP/p3")" 401
# the same body as any other failure: an unknown serial's
curl -s -o "$TMP/unknown" --cacert "$PKI/owner/ca.pem" -u 'SN-NOBODY:x' \
	-H 'Content-Type: application/yang-data+json' -d '{"ietf-sztp-bootstrap-server:input":{}}' "$GBD"
check "the 401 body is the one of every failure" cmp "$TMP/p3" "$TMP/unknown"
check_contains "the reason is logged" "$TMP/sztpd.log" "serial SN-P: IDevID key differs from the pinned one"
check_eq "the pin did not move" "$(pin_of SN-P)" "$(spki "$TMP/first/SN-P/chain.pem")"

# ---- reset: the next key is pinned ----------------------------------------------------------
check "device set --reset-idevid-pin" CTL device set SN-P --reset-idevid-pin
check_contains "it says what happens next" "$TMP/.check.out" "IDevID pin removed"
check_eq "SN-P: no pin" "$(pin_of SN-P)" null
check_eq "SN-P, second key after the reset: served" "$(gbd second SN-P "$TMP/p4")" 200
check_eq "SN-P: the second key is pinned now" "$(pin_of SN-P)" "$(spki "$TMP/second/SN-P/chain.pem")"
check_eq "SN-P, first key now: 401" "$(gbd first SN-P "$TMP/p5")" 401

# ---- pinned at enrolment ----------------------------------------------------------------------
check_eq "SN-Q: pinned before any contact" "$(pin_of SN-Q)" "$(spki "$TMP/first/SN-Q/chain.pem")"
check_eq "SN-Q, another key at its first contact: 401" "$(gbd second SN-Q "$TMP/q1")" 401
check_eq "SN-Q, the enrolled key: served" "$(gbd first SN-Q "$TMP/q2")" 200
check "device set --idevid pins another key" CTL device set SN-Q --idevid "$TMP/second/SN-Q/chain.pem"
check_eq "SN-Q, the new key: served" "$(gbd second SN-Q "$TMP/q3")" 200
check_eq "SN-Q, the old key: 401" "$(gbd first SN-Q "$TMP/q4")" 401

# ---- a profile without pinning: keys may change ------------------------------------------------
check_eq "SN-R (open profile), first key" "$(gbd first SN-R "$TMP/r1")" 200
check_eq "SN-R, second key" "$(gbd second SN-R "$TMP/r2")" 200
check_eq "SN-R: nothing recorded" "$(pin_of SN-R)" null
# replacing the profile without the option keeps its setting
check "profile pinned replaced without --pin-idevid" CTL profile onboarding pinned \
	--config "$TMP/config.txt" --config-handling replace
check_eq "it still pins" "$(CTL profile show pinned --json | jq -r '."pin-idevid"')" true
check "--no-pin-idevid" CTL profile onboarding pinned --config "$TMP/config.txt" \
	--config-handling replace --no-pin-idevid
check_eq "SN-P's old key under a profile that stopped pinning" "$(gbd first SN-P "$TMP/p6")" 200
check "sztpd stops cleanly" stop_clean "$SZTPD"
e2e_finish
