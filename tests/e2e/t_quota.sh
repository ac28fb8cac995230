#!/bin/bash
# Per-device quotas on report-progress (issue 9): a report's message,
# ssh-host-keys and trust-anchor-certs together at most report-max-bytes
# (413 too-big, not stored, not counted), and at most
# reports-per-device-per-hour reports (429 with Retry-After, not stored);
# another device keeps its own quota.
. "$(dirname "$0")/lib.sh"
e2e_init t_quota

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 --serial SN-2 >/dev/null || { echo "sztp-pki init failed"; exit 1; }
check "init" CTL init
check "enrol SN-1" CTL device add SN-1
check "enrol SN-2" CTL device add SN-2

PORT=$(free_port)
sztpd_conf "threads = 2" "report-max-bytes = 2000" "reports-per-device-per-hour = 5" >"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"

RP=https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:report-progress
# report SERIAL MESSAGE: sets STATUS; body in $TMP/r, headers in $TMP/r.h
report() {
	STATUS=$(curl -s -o "$TMP/r" -D "$TMP/r.h" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
		--cert "$PKI/devices/$1/chain.pem" --key "$PKI/devices/$1/idevid.key" \
		-H 'Content-Type: application/yang-data+json' \
		-d "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":\"informational\",\"message\":\"$2\"}}" "$RP")
}
stored() { db_q "select count(*) from progress where serial='$1'"; }

big=$(head -c 2001 /dev/zero | tr '\0' 'x')
report SN-1 "$big"
check_eq "a report over report-max-bytes: 413" "$STATUS" 413
check_eq "413 error-tag" "$(jq -r '."ietf-restconf:errors".error[0]."error-tag"' "$TMP/r")" too-big
check_contains "413 says how big and the limit" "$TMP/r" "are 2001 bytes, more than the 2000 bytes allowed"
check_eq "... and it is not stored" "$(stored SN-1)" 0
report SN-1 "$(head -c 2000 /dev/zero | tr '\0' 'y')"
check_eq "a report of exactly report-max-bytes: 204" "$STATUS" 204
for i in 2 3 4 5; do
	report SN-1 "report-$i"
	check_eq "report $i of 5 in the hour: 204" "$STATUS" 204
done
report SN-1 "report-6"
check_eq "the 6th report in the hour: 429" "$STATUS" 429
check_eq "429 error-tag" "$(jq -r '."ietf-restconf:errors".error[0]."error-tag"' "$TMP/r")" resource-denied
check_contains "429 says why" "$TMP/r" "more than 5 progress reports from this device within an hour"
check "429 carries Retry-After (about 12 minutes: 5 an hour)" \
	grep -Eq '^Retry-After: (7[0-9][0-9]|[1-9][0-9]{2})' "$TMP/r.h"
check_eq "the refused report is not stored" "$(stored SN-1)" 5
report SN-2 "other device"
check_eq "another device has its own quota" "$STATUS" 204
failed_statuses() {
	db_q "select status from bootstrap_log where endpoint='report-progress' order by id" | paste -sd, -
}
check_eventually "failed reports are in the bootstrapping log" "413,429" failed_statuses
e2e_finish
