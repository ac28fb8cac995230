#!/bin/bash
# End-to-end (issue 9): device passwords.  `sztpctl device add SERIAL
# --password-generate` prints a random password once and it works with
# curl's HTTP Basic; `device set --password-generate` replaces it (the
# old one is refused at once, even though it was just verified and
# remembered); the stored hash carries its cost (the default 600,000, or
# sztpd's password-cost when sztpctl reads sztpd's file); a hash of the
# old 4096-iteration format still verifies.
. "$(dirname "$0")/lib.sh"
e2e_init t_passwords

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
CTL init >/dev/null || { echo "sztpctl init failed"; exit 1; }
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 >/dev/null || { echo "sztp-pki init failed"; exit 1; }
printf 'hostname demo\n' >"$TMP/config.txt"
check "profile" CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge --sign never

CTL device add SN-G --profile onb --password-generate >"$TMP/add.out" 2>&1
check_eq "device add --password-generate" "$?" 0
PW=$(sed -n 's/^password: //p' "$TMP/add.out")
check "a 24-character password is printed" bash -c "[[ '$PW' =~ ^[A-Za-z0-9]{24}\$ ]]"
check_eq "printed once: one line" "$(grep -c '^password: ' "$TMP/add.out")" 1
CTL device show SN-G >"$TMP/show.out" 2>&1
check_not_contains "device show never prints it" "$TMP/show.out" "$PW"
HASH=$(db_q "select password_hash from devices where serial='SN-G'")
check "the stored hash carries its cost (600000)" bash -c "[[ '$HASH' == '\$pbkdf2-sha256\$600000\$'* ]]"
check_not_contains "the password is not in the database" "$DB" "$PW"

PORT=$(free_port)
sztpd_conf "threads = 2" "password-cost = 20000" >"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID
BASE=https://localhost:$PORT
GBD=$BASE/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data
RP=$BASE/restconf/operations/ietf-sztp-bootstrap-server:report-progress
JSON='Content-Type: application/yang-data+json'
# basic USER:PASS URL BODY: the status code
basic() {
	curl -s -o "$TMP/out" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" -u "$1" -H "$JSON" -d "$3" "$2"
}
GIN='{"ietf-sztp-bootstrap-server:input":{}}'
PIN='{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated"}}'

# ---- the generated password, with curl ---------------------------------------------------
t0=$(date +%s%N)
check_eq "curl -u SN-G:<generated>: get-bootstrapping-data" "$(basic "SN-G:$PW" "$GBD" "$GIN")" 200
t1=$(date +%s%N)
check_eq "its follow-up report-progress" "$(basic "SN-G:$PW" "$RP" "$PIN")" 204
t2=$(date +%s%N)
echo "t_passwords: first request (PBKDF2 600000) $(((t1 - t0) / 1000000)) ms, follow-up (remembered) $(((t2 - t1) / 1000000)) ms"
check_eq "a wrong password: 401" "$(basic "SN-G:${PW}x" "$GBD" "$GIN")" 401

# ---- replaced: the old one is refused at once, the new one works ---------------------------
CTL device set SN-G --password-generate >"$TMP/set.out" 2>&1
check_eq "device set --password-generate" "$?" 0
PW2=$(sed -n 's/^password: //p' "$TMP/set.out")
check "a new password" test -n "$PW2" -a "$PW2" != "$PW"
check_eq "the old password (verified a moment ago): 401" "$(basic "SN-G:$PW" "$GBD" "$GIN")" 401
check_eq "the new one: 200" "$(basic "SN-G:$PW2" "$GBD" "$GIN")" 200

# ---- cost: sztpd's password-cost, read by sztpctl from sztpd's file ----------------------------
"$BIN/sztpctl" -c "$TMP/sztpd.conf" device add SN-C --profile onb --password 'cost-pw' >/dev/null
check_eq "sztpctl -c: the hash carries sztpd's password-cost" \
	"$(db_q "select password_hash from devices where serial='SN-C'" | cut -d'$' -f3)" 20000
check_eq "that device authenticates" "$(basic 'SN-C:cost-pw' "$GBD" "$GIN")" 200

# ---- an old-format hash (4096 iterations, made by Python's hashlib) still verifies -----------
OLD=$(python3 -c "
import base64, hashlib
salt = b'0123456789abcdef'
dk = hashlib.pbkdf2_hmac('sha256', b'legacy-pw', salt, 4096)
print('\$pbkdf2-sha256\$4096\$' + base64.b64encode(salt).decode() + '\$' + base64.b64encode(dk).decode())")
check "enrol SN-OLD" CTL device add SN-OLD --profile onb
check "plant an old-format hash" db_q "update devices set password_hash='$OLD' where serial='SN-OLD'"
check_eq "the old hash verifies" "$(basic 'SN-OLD:legacy-pw' "$GBD" "$GIN")" 200
check_eq "and refuses a wrong password" "$(basic 'SN-OLD:legacy-pX' "$GBD" "$GIN")" 401
check_not_contains "no password in the log" "$TMP/sztpd.log" "$PW2"
check "sztpd stops cleanly" stop_clean "$SZTPD"
e2e_finish
