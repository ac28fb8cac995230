#!/bin/bash
# End-to-end (issue 13): the empty-report-members leniency, proven by a
# replay of the OPI sztp-agent's report-progress with curl: POST
# application/yang-data+json with no Accept header, HTTP Basic and its
# client certificate together, and its body, which carries
# "ssh-host-keys":{} and "trust-anchor-certs":{} whatever the
# progress-type (the YANG `when` allows them for bootstrap-complete only).
#  - on a profile with `--lenient empty-report-members`: 204 and stored
#    (sztpctl progress shows it, without the empty members), named in the
#    audit line, the progress.reported event and
#    sztpd_lenient_applied_total;
#  - on a strict profile, on a device without a profile: 400 with today's
#    exact YANG error, nothing stored; an unknown serial: the one 401;
#  - on the lenient profile: a non-empty ssh-host-keys or
#    trust-anchor-certs on a non-complete type is still the same 400; a
#    strict client's reports and bootstrap-complete need nothing and say
#    nothing; XML <ssh-host-keys/>; a *-error report's device.failed;
#  - the list changed on a running sztpd takes effect at once.
. "$(dirname "$0")/lib.sh"
e2e_init t_lenient_reports

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
"$BIN/sztp-pki" init --out "$PKI" --serial SN-RPT --serial SN-STRICT --serial SN-NP >/dev/null ||
	{ echo "sztp-pki init failed"; echo "t_lenient_reports: 0 passed, 1 failed"; exit 1; }
"$BIN/sztp-pki" device --pki "$PKI" --serial SN-NOBODY --no-voucher >/dev/null # never enrolled
check "sztpctl init" CTL init
printf 'hostname demo\n' >"$TMP/config.txt"
onb() {
	CTL profile onboarding "$1" --config "$TMP/config.txt" --config-handling merge \
		--sign never "${@:2}"
}
check "profile rpt (empty-report-members)" onb rpt --lenient empty-report-members
check_contains "sztpctl says what it tolerates" "$TMP/.check.out" "lenient: empty-report-members"
check "profile strict" onb strict
CTL profile show rpt >/dev/null 2>"$TMP/show.err"
check_contains "profile show prints it" "$TMP/show.err" "lenient empty-report-members"
check "enrol SN-RPT" CTL device add SN-RPT --profile rpt --password pw-rpt
check "enrol SN-STRICT" CTL device add SN-STRICT --profile strict --password pw-strict
check "enrol SN-NP (no profile)" CTL device add SN-NP --password pw-np

PORT=$(free_port)
APORT=$(free_port)
while [ "$APORT" = "$PORT" ]; do APORT=$(free_port); done
check "a read token" ctl_token "$DB" scraper read "$TMP/token"
sztpd_conf "threads = 2" "password-cost = 1000" "log-level = info" "admin-port = $APORT" \
	>"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID
RP=https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:report-progress
BS=ietf-sztp-bootstrap-server
# the agent's report, exactly (its progress-type and message vary)
OPI='{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated","message":"starting the bootstrap","ssh-host-keys":{},"trust-anchor-certs":{}}}'
WHEN="When condition \\\"../progress-type = 'bootstrap-complete'\\\" not satisfied."
YERR_TA='{"ietf-restconf:errors":{"error":[{"error-type":"protocol","error-tag":"invalid-value","error-message":"report-progress input: /'$BS':report-progress/trust-anchor-certs: '$WHEN'"}]}}'
YERR_SSH='{"ietf-restconf:errors":{"error":[{"error-type":"protocol","error-tag":"invalid-value","error-message":"report-progress input: /'$BS':report-progress/ssh-host-keys: '$WHEN'"}]}}'

# rp SERIAL PASSWORD OUT BODY: the agent's request (Basic + certificate,
# Content-Type only, curl's default Accept removed); prints the status,
# curl's request head in OUT.head.
rp() {
	curl -sv -o "$3" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
		--cert "$PKI/devices/$1/chain.pem" --key "$PKI/devices/$1/idevid.key" -u "$1:$2" \
		-H 'Content-Type: application/yang-data+json' -H 'Accept:' -d "$4" "$RP" 2>"$3.head"
}
rows() { db_q "select count(*) from progress where serial='$1'"; }

# ---- the agent's report on the lenient profile ------------------------------------------------
check_eq "OPI report on the lenient profile: 204" "$(rp SN-RPT pw-rpt "$TMP/r1" "$OPI")" 204
# 204 means stored: no waiting
check_eq "stored when answered" "$(rows SN-RPT)" 1
check_eq "an empty answer" "$(stat -c %s "$TMP/r1")" 0
check_not_contains "curl sent no Accept header" "$TMP/r1.head" "> Accept"
check_contains "curl sent Basic credentials" "$TMP/r1.head" "> Authorization: Basic"
check_contains "and its client certificate" "$TMP/r1.head" "TLS handshake, CERT verify"
CTL progress SN-RPT >"$TMP/prog.txt" 2>&1
check_eq "sztpctl progress shows it" "$(grep -c 'SN-RPT .*bootstrap-initiated *starting the bootstrap$' "$TMP/prog.txt")" 1
check_eq "without the empty members (taken as absent)" \
	"$(db_q "select coalesce(ssh_host_keys,'-') || coalesce(trust_anchors,'-') from progress where serial='SN-RPT'")" "--"
check_eventually "the audit line names the leniency" 1 \
	grep -c 'serial=SN-RPT .*endpoint=report-progress .*status=204 .*lenient=empty-report-members' "$TMP/sztpd.log"
check_eq "its progress.reported event names it" \
	"$(db_q "select data from events where type='progress.reported' and serial='SN-RPT'")" \
	'{"progress-type":"bootstrap-initiated","message":"starting the bootstrap","lenient":["empty-report-members"]}'
# every other type the agent sends
for t in parsing-initiated parsing-complete informational boot-image-installed-rebooting \
	config-error bootstrap-error; do
	B='{"ietf-sztp-bootstrap-server:input":{"progress-type":"'$t'","message":"m","ssh-host-keys":{},"trust-anchor-certs":{}}}'
	check_eq "OPI $t report on the lenient profile: 204" "$(rp SN-RPT pw-rpt "$TMP/r-$t" "$B")" 204
done
check_eq "all stored" "$(rows SN-RPT)" 7
check_eq "a *-error report's device.failed names the leniency too" \
	"$(db_q "select count(*) from events where type='device.failed' and serial='SN-RPT' and data like '%\"lenient\":[\"empty-report-members\"]%'")" 2
# bootstrap-complete allows the members: nothing to tolerate, nothing said
DONE='{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-complete","message":"done","ssh-host-keys":{},"trust-anchor-certs":{}}}'
check_eq "OPI bootstrap-complete on the lenient profile: 204" "$(rp SN-RPT pw-rpt "$TMP/r2" "$DONE")" 204
check_eventually "and no leniency named for it" 1 \
	grep -c 'serial=SN-RPT .*endpoint=report-progress .*result=bootstrap-complete status=204 .*duration_us=[0-9]*$' "$TMP/sztpd.log"
check_eq "nor in its device.completed event" \
	"$(db_q "select count(*) from events where type='device.completed' and serial='SN-RPT' and data not like '%lenient%'")" 1
# XML: <ssh-host-keys/>
XIN='<input xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"><progress-type>informational</progress-type><ssh-host-keys/><trust-anchor-certs></trust-anchor-certs></input>'
xml() {
	curl -s -o "$3" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" -u "$1:$2" \
		-H 'Content-Type: application/yang-data+xml' -d "$XIN" "$RP"
}
check_eq "XML <ssh-host-keys/> on the lenient profile: 204" "$(xml SN-RPT pw-rpt "$TMP/x1")" 204
check_eq "XML on the strict profile: 400" "$(xml SN-STRICT pw-strict "$TMP/x2")" 400
check_contains "with the YANG error" "$TMP/x2" "report-progress/trust-anchor-certs: When condition"

# ---- what the leniency does not take, on the lenient profile: today's 400 ---------------------
N=$(rows SN-RPT)
SSH1='{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated","message":"m","ssh-host-keys":{"ssh-host-key":[{"algorithm":"ssh-rsa","key-data":"bXlzc2hwYXNz"}]}}}'
check_eq "a non-empty ssh-host-keys on bootstrap-initiated: 400" "$(rp SN-RPT pw-rpt "$TMP/n1" "$SSH1")" 400
check_eq "with the exact YANG error" "$(cat "$TMP/n1")" "$YERR_SSH"
TA1='{"ietf-sztp-bootstrap-server:input":{"progress-type":"informational","ssh-host-keys":{},"trust-anchor-certs":{"trust-anchor-cert":["bXlzc2hwYXNz"]}}}'
check_eq "a non-empty trust-anchor-certs beside an empty ssh-host-keys: 400" "$(rp SN-RPT pw-rpt "$TMP/n2" "$TA1")" 400
check_eq "with the strict error" "$(cat "$TMP/n2")" "$YERR_TA"
check_eq "an empty member with another fault: 400" \
	"$(rp SN-RPT pw-rpt "$TMP/n3" '{"ietf-sztp-bootstrap-server:input":{"progress-type":"informational","ssh-host-keys":{},"bogus":1}}')" 400
check_contains "the fault named as before" "$TMP/n3" '"error-tag":"unknown-element"'
check_eq "an empty member without progress-type: 400" \
	"$(rp SN-RPT pw-rpt "$TMP/n4" '{"ietf-sztp-bootstrap-server:input":{"ssh-host-keys":{}}}')" 400
check_contains "the same strict error" "$TMP/n4" "report-progress/ssh-host-keys: When condition"
check_eq "none of them stored" "$(rows SN-RPT)" "$N"
check_eq "none of them lenient in the log" \
	"$(grep 'serial=SN-RPT .*status=400' "$TMP/sztpd.log" | grep -c 'lenient=')" 0
# a strict client on the lenient profile: nothing applied
check_eq "a strict report on the lenient profile: 204" \
	"$(rp SN-RPT pw-rpt "$TMP/s0" '{"ietf-sztp-bootstrap-server:input":{"progress-type":"informational","message":"strict client"}}')" 204
check_eventually "logged without a leniency" 1 \
	grep -c 'serial=SN-RPT .*result=informational status=204 .*duration_us=[0-9]*$' "$TMP/sztpd.log"

# ---- strict profile, no profile, unknown device: today's answers ------------------------------
check_eq "OPI report on the strict profile: 400" "$(rp SN-STRICT pw-strict "$TMP/s1" "$OPI")" 400
check_eq "with the exact YANG error" "$(cat "$TMP/s1")" "$YERR_TA"
check_eq "not stored" "$(rows SN-STRICT)" 0
check_eq "no leniency logged for the strict profile" "$(grep 'serial=SN-STRICT ' "$TMP/sztpd.log" | grep -c 'lenient=')" 0
check_eq "OPI report from a device without a profile: 400" "$(rp SN-NP pw-np "$TMP/p1" "$OPI")" 400
check_eq "the same exact error" "$(cat "$TMP/p1")" "$YERR_TA"
check_eq "a good report from it is stored as before: 204" \
	"$(rp SN-NP pw-np "$TMP/p2" '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated"}}')" 204
check_eq "unknown serial with the agent's report: 401" "$(rp SN-NOBODY pw "$TMP/u1" "$OPI")" 401
check_contains "the one authentication error" "$TMP/u1" '"error-tag":"access-denied","error-message":"authentication failed"'

# ---- the list changed on a running sztpd ------------------------------------------------------
check "rpt made strict" onb rpt --strict
check_eq "the agent's report is refused at once" "$(rp SN-RPT pw-rpt "$TMP/t1" "$OPI")" 400
check_eq "with the strict error" "$(cat "$TMP/t1")" "$YERR_TA"
check "rpt lenient again, with the others" onb rpt --lenient empty-nonce,empty-report-members
check_eq "the agent's report is stored again" "$(rp SN-RPT pw-rpt "$TMP/t2" "$OPI")" 204
check "a profile re-defined without --lenient keeps its list" onb rpt
check_eq "so it still is" "$(rp SN-RPT pw-rpt "$TMP/t3" "$OPI")" 204

# ---- metric -----------------------------------------------------------------------------------
curl -sk -H "Authorization: Bearer $(cat "$TMP/token")" -o "$TMP/metrics" "https://127.0.0.1:$APORT/metrics"
# 1 + 6 types + XML + 2 after the list changed
check_contains "sztpd_lenient_applied_total{lenient=\"empty-report-members\"}" "$TMP/metrics" \
	'sztpd_lenient_applied_total{lenient="empty-report-members"} 10'
check_contains "no other leniency counted" "$TMP/metrics" 'sztpd_lenient_applied_total{lenient="empty-nonce"} 0'
check_not_contains "no password in the log" "$TMP/sztpd.log" "pw-rpt"
check "sztpd stops cleanly" stop_clean "$SZTPD"
e2e_finish
