#!/bin/bash
# t_admin_metrics.sh - /metrics on sztpd's admin listener (issue 12): the
# Prometheus text format checked by the real promtool on every scrape; a
# scraper needs a token or an admin client certificate (401 otherwise),
# GET/HEAD only; the counters move exactly as the test's own requests say
# (signed answers, 401s, reports, the histogram's count), and the expiry
# gauges carry the certificates' real not-after times (read by openssl).
. "$(dirname "$0")/lib.sh"
e2e_init t_admin_metrics

command -v promtool >/dev/null ||
	{ echo "promtool missing (Debian package prometheus: scripts/deps.sh)"; echo "t_admin_metrics: 0 passed, 1 failed"; exit 1; }
PKI=$TMP/pki
DB=$TMP/sztp.db
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 --serial SN-2 >/dev/null ||
	{ echo "sztp-pki init failed"; echo "t_admin_metrics: 0 passed, 1 failed"; exit 1; }
check "sztpctl init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
printf 'hostname demo\n' >"$TMP/config.txt"
check "profile" CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge
check "enrol SN-1" CTL device add SN-1 --profile onb --voucher "$PKI/devices/SN-1/voucher.vcj"
check "a read token for the scraper" ctl_token "$DB" prometheus read "$TMP/token"
admin_ports
sztpd_conf "threads = 2" "admin-port = $APORT" >"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
check "the admin port answers" wait_https "$APORT"

AU=https://127.0.0.1:$APORT
BASE=https://localhost:$PORT
GBD=$BASE/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data
RP=$BASE/restconf/operations/ietf-sztp-bootstrap-server:report-progress
JSON='Content-Type: application/yang-data+json'
SDP='{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null]}}'
dev() { echo "--cert $PKI/devices/$1/chain.pem --key $PKI/devices/$1/idevid.key"; }
# scrape NAME: /metrics with the token into $TMP/NAME.m, checked by promtool
scrape() {
	curl -sfk -H "Authorization: Bearer $(cat "$TMP/token")" -o "$TMP/$1.m" "$AU/metrics" &&
		promtool check metrics <"$TMP/$1.m"
}
# val FILE SERIES: the value of one exact series (0 when absent)
val() {
	awk -v s="$2" '$1 == s { v = $2 } END { print v == "" ? 0 : v }' "$1"
}
GBD200='sztpd_requests_total{listener="device",endpoint="get-bootstrapping-data",status="200"}'
GBD401='sztpd_requests_total{listener="device",endpoint="get-bootstrapping-data",status="401"}'
RP204='sztpd_requests_total{listener="device",endpoint="report-progress",status="204"}'
SIGNED='sztpd_bootstrap_outcomes_total{outcome="signed"}'
GBDN='sztpd_request_duration_seconds_count{listener="device",endpoint="get-bootstrapping-data"}'
GBDINF='sztpd_request_duration_seconds_bucket{listener="device",endpoint="get-bootstrapping-data",le="+Inf"}'

# ---- who may scrape ----------------------------------------------------------------------
code=$(curl -sk -o "$TMP/anon.b" -D "$TMP/anon.h" -w '%{http_code}' "$AU/metrics")
check_eq "/metrics without credentials: 401" "$code" 401
check_contains "401: WWW-Authenticate" "$TMP/anon.h" "WWW-Authenticate: Bearer"
check_eq "401: problem+json" "$(jq -r .status "$TMP/anon.b")" 401
code=$(curl -sk -o /dev/null -D "$TMP/post.h" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $(cat "$TMP/token")" "$AU/metrics")
check_eq "POST /metrics: 405" "$code" 405
check_contains "405: Allow" "$TMP/post.h" "Allow: GET, HEAD"
code=$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$TMP/token")" \
	"$AU/metrics?x=1")
check_eq "/metrics with a query: 400" "$code" 400

# ---- counters follow the requests ---------------------------------------------------------
check "first scrape passes promtool" scrape m0
check_contains "text format content type" \
	<(curl -sk -D - -o /dev/null -H "Authorization: Bearer $(cat "$TMP/token")" "$AU/metrics") \
	"Content-Type: text/plain; version=0.0.4"
for i in 1 2 3; do
	# shellcheck disable=SC2046
	curl -sk -o /dev/null $(dev SN-1) -H "$JSON" -d "$SDP" "$GBD"
done
# SN-2 has a valid IDevID but is not enrolled: 401
# shellcheck disable=SC2046
curl -sk -o /dev/null $(dev SN-2) -H "$JSON" -d "$SDP" "$GBD"
# shellcheck disable=SC2046
code=$(curl -sk -o /dev/null -w '%{http_code}' --cacert "$PKI/owner/ca.pem" $(dev SN-1) -H "$JSON" \
	-d '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated"}}' "$RP")
check_eq "a progress report stored" "$code" 204
check "second scrape passes promtool" scrape m1
d() { echo $(($(val "$TMP/m1.m" "$1") - $(val "$TMP/m0.m" "$1"))); }
check_eq "get-bootstrapping-data 200: +3" "$(d "$GBD200")" 3
check_eq "signed outcomes: +3" "$(d "$SIGNED")" 3
check_eq "get-bootstrapping-data 401: +1" "$(d "$GBD401")" 1
check_eq "report-progress 204: +1" "$(d "$RP204")" 1
check_eq "latency histogram count: +4 (200s and 401)" "$(d "$GBDN")" 4
check_eq "histogram +Inf bucket equals its count" "$(val "$TMP/m1.m" "$GBDINF")" \
	"$(val "$TMP/m1.m" "$GBDN")"
check_eq "one earlier scrape counted" \
	"$(val "$TMP/m1.m" 'sztpd_requests_total{listener="admin",endpoint="metrics",status="200"}')" \
	"$(($(val "$TMP/m0.m" 'sztpd_requests_total{listener="admin",endpoint="metrics",status="200"}') + 2))"
check_eq "registry ok" "$(val "$TMP/m1.m" sztpd_registry_ok)" 1

# ---- certificate expiry: what openssl reads -----------------------------------------------
na() { date -u -d "$(openssl x509 -noout -enddate -in "$1" | cut -d= -f2)" +%s; }
check_eq "server certificate expiry" \
	"$(val "$TMP/m1.m" 'sztpd_certificate_expiry_timestamp_seconds{certificate="server",index="0"}')" \
	"$(na "$PKI/server/chain.pem")"
check_eq "owner certificate expiry" \
	"$(val "$TMP/m1.m" 'sztpd_certificate_expiry_timestamp_seconds{certificate="owner",index="0"}')" \
	"$(na "$PKI/owner/chain.pem")"
check_eq "manufacturer anchor expiry" \
	"$(val "$TMP/m1.m" 'sztpd_certificate_expiry_timestamp_seconds{certificate="client-ca",index="0"}')" \
	"$(na "$PKI/manufacturer/root.pem")"
e2e_finish
