#!/bin/bash
# t_admin_api.sh - the admin API end to end, through a Python client on
# the standard library alone (tests/e2e/admin_client.py) against a real
# sztpd: CRUD round trips of every resource, a bulk create of 10,000
# devices (its time is printed), pagination edges, every kind of bad
# credentials and bad JSON with its exact status and nothing changed, a
# stale If-Match, and every answer validated against docs/openapi.json.
# Prints "t_admin_api: N passed, N failed" last.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/admin_lib.sh"
e2e_init t_admin_api

admin_sztpd || { e2e_finish; exit; }
# 200 vouchers from the manufacturer of this PKI, for a bulk with vouchers
mkdir -p "$TMP/vouchers"
for i in $(seq -w 1 200); do
	"$BIN/sztp-pki" voucher --pki "$PKI" --serial "BV-$i" --out "$TMP/vouchers/BV-$i.vcj" \
		>/dev/null || break
done
python3 "$TOP/tests/e2e/admin_client.py" scenario --base "$ABASE" --device-base "$DBASE" \
	--cacert "$CA" --token-file "$TOKEN_FILE" --doc "$TOP/docs/openapi.json" --pki "$PKI" \
	--max-body "$MAX_BODY" --voucher-dir "$TMP/vouchers" >"$TMP/client.out" 2>&1
check_eq "admin_client scenario exits 0" "$?" 0
grep -E '^(time|FAIL):|Traceback|Error' "$TMP/client.out" | grep -v '^admin_client:' || true
admin_counts "$TMP/client.out"

# sztpctl on the registry file and the API change one device at once
"$BIN/sztpctl" -d "$DB" profile onboarding p0 --config "$TMP/sztpd.conf" \
	--config-handling merge >/dev/null &&
	"$BIN/sztpctl" -d "$DB" profile onboarding p1 --config "$TMP/sztpd.conf" \
		--config-handling replace >/dev/null
check_eq "profiles p0, p1" "$?" 0
python3 "$TOP/tests/e2e/admin_client.py" concurrent --base "$ABASE" --cacert "$CA" \
	--token-file "$TOKEN_FILE" --doc "$TOP/docs/openapi.json" --sztpctl "$BIN/sztpctl" \
	--db "$DB" >"$TMP/concurrent.out" 2>&1
check_eq "sztpctl and the API at once" "$?" 0
grep -E '^FAIL|Traceback|Error' "$TMP/concurrent.out"
admin_counts "$TMP/concurrent.out"

check "sztpd still runs" kill -0 "$SZTPD"
check_not_contains "sztpd logged no error" "$TMP/sztpd.log" "[err]"
check "sztpd stops cleanly" stop_clean "$SZTPD"
e2e_finish
