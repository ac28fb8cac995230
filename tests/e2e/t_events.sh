#!/bin/bash
# The outbox (issue 12): what sztpd writes into the registry's events
# table, read with the registry's own tool (sqlite3, psql).  A get-bootstrapping-data 200 and a
# report's 204 are sent only after their events are committed, so the
# events are there the moment curl returns, even when sztpd is killed with
# SIGKILL right after; refusals get bootstrap.refused events (bounded by
# the log filter like their log rows); bootstrap-log = no keeps the events
# but writes no log rows; terminal reports add device.completed /
# device.failed.  The consumers (webhooks, syslog) have their own tests.
. "$(dirname "$0")/lib.sh"
e2e_init t_events

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
Q() { db_q "$1"; }

"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 --serial SN-2 --serial SN-3 >/dev/null ||
	{ echo "sztp-pki init failed"; exit 1; }
"$BIN/sztp-pki" device --pki "$PKI" --serial SN-UNKNOWN --no-voucher >/dev/null
printf 'hostname demo\n' >"$TMP/config.txt"
PORT=$(free_port)
check "sztpctl init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile onboarding" CTL profile onboarding onb --config "$TMP/config.txt" \
	--config-handling merge
check "profile redirect" CTL profile redirect redir --server "localhost:$PORT,$PKI/owner/ca.pem"
check "enrol SN-1" CTL device add SN-1 --profile onb --voucher "$PKI/devices/SN-1/voucher.vcj"
check "enrol SN-2" CTL device add SN-2 --profile redir --voucher "$PKI/devices/SN-2/voucher.vcj"
check "enrol SN-3 (no profile)" CTL device add SN-3

BASE=https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server
# rpc SERIAL NAME BODY: sets STATUS (curl trusts the owner CA for the server)
rpc() {
	STATUS=$(curl -s -o "$TMP/r" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
		--cert "$PKI/devices/$1/chain.pem" --key "$PKI/devices/$1/idevid.key" \
		-H 'Content-Type: application/yang-data+json' -d "$3" "$BASE:$2")
}
gbd() { rpc "$1" get-bootstrapping-data \
	'{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null]}}'; }
report() { rpc "$1" report-progress \
	"{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":\"$2\",\"message\":\"$3\"}}"; }
# ev ID-AFTER SERIAL TYPE JSONPATH: the value at JSONPATH in the data of
# the first event after ID-AFTER of that serial and type
# (jq reads the stored text on both backends; true/false print as 1/0 as
# SQLite's json_extract did)
ev() {
	Q "select data from events where id > $1 and serial = '$2' and type = '$3' order by id limit 1" |
		jq -r --arg p "${4#\$.}" 'getpath($p | split(".")) | if . == null then empty elif . == true then 1 elif . == false then 0 else . end'
}
last() { Q "select coalesce(max(id), 0) from events"; }

sztpd_conf "threads = 2" >"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
PID=$E2E_LAST_PID

# ---- served: the event is committed before the 200 -------------------------
L=$(last)
gbd SN-1
check_eq "SN-1 gets its data" "$STATUS" 200
# no waiting here: the answer came after the commit
check_eq "bootstrap.served is there when the 200 arrives" \
	"$(Q "select count(*) from events where id > $L and type = 'bootstrap.served' and serial = 'SN-1'")" 1
check_eq "... status" "$(ev "$L" SN-1 bootstrap.served '$.status')" 200
check_eq "... profile" "$(ev "$L" SN-1 bootstrap.served '$.profile')" onb
check_eq "... kind" "$(ev "$L" SN-1 bootstrap.served '$.kind')" onboarding-information
check_eq "... signed (asked for, voucher enrolled)" "$(ev "$L" SN-1 bootstrap.served '$.signed')" 1
check_eq "... peer" "$(Q "select peer from events where id > $L and serial = 'SN-1'")" 127.0.0.1
check "... time is now" test "$(Q "select case when abs(time - $(date +%s)) < 60 then 1 else 0 end from events where id > $L")" = 1
check_eq "... and its log row" \
	"$(Q "select result || ',' || status from bootstrap_log where serial = 'SN-1' order by id desc limit 1")" \
	"signed,200"
gbd SN-2
check_eq "SN-2 gets a redirect" "$STATUS" 200
check_eq "... redirect-information" "$(ev "$L" SN-2 bootstrap.served '$.kind')" redirect-information

# ---- reports: progress.reported, and the terminal outcome ------------------
L=$(last)
report SN-1 bootstrap-initiated "starting"
check_eq "report 204" "$STATUS" 204
check_eq "progress.reported is there when the 204 arrives" \
	"$(ev "$L" SN-1 progress.reported '$.progress-type')" bootstrap-initiated
check_eq "... with the message" "$(ev "$L" SN-1 progress.reported '$.message')" starting
report SN-1 config-error "bad line 3"
check_eq "device.failed on a *-error report" "$(ev "$L" SN-1 device.failed '$.progress-type')" config-error
report SN-1 bootstrap-complete "done"
check_eq "device.completed on bootstrap-complete" \
	"$(ev "$L" SN-1 device.completed '$.message')" done
check_eq "events of the three reports, in order" \
	"$(Q "select type from events where id > $L order by id" | paste -sd' ' -)" \
	"progress.reported progress.reported device.failed progress.reported device.completed"
check_eq "one progress.reported per stored report" \
	"$(Q "select count(*) from events where type = 'progress.reported' and serial = 'SN-1'")" \
	"$(Q "select count(*) from progress where serial = 'SN-1'")"

# ---- refused: bootstrap.refused with what the device was told --------------
L=$(last)
gbd SN-3
check_eq "SN-3 (no profile): 404" "$STATUS" 404
check_eventually "bootstrap.refused for SN-3" 404 ev "$L" SN-3 bootstrap.refused '$.status'
check_contains "... its reason is the device's error message" \
	<(ev "$L" SN-3 bootstrap.refused '$.reason') "no bootstrapping data"
gbd SN-UNKNOWN
check_eq "not enrolled: 401" "$STATUS" 401
check_eventually "bootstrap.refused for the claimed serial" 401 ev "$L" SN-UNKNOWN bootstrap.refused '$.status'
report SN-3 "no-such-type" "x"
check_eq "a malformed report: 400" "$STATUS" 400
sleep 0.3
check_eq "a refused report is no event" \
	"$(Q "select count(*) from events where id > $L and serial = 'SN-3' and type like 'progress%'")" 0

# ---- SIGKILL right after the answers: nothing acknowledged is missing ------
L=$(last)
gbd SN-2
s1=$STATUS
report SN-2 bootstrap-initiated "before the kill"
s2=$STATUS
kill -KILL "$PID"
wait "$PID" 2>/dev/null
forget_pid "$PID"
check_eq "answered 200 and 204 before SIGKILL" "$s1,$s2" "200,204"
check_eq "both events survived SIGKILL" \
	"$(Q "select type from events where id > $L and serial = 'SN-2' order by id" | paste -sd' ' -)" \
	"bootstrap.served progress.reported"

# ---- bootstrap-log = no: events, no log rows -------------------------------
sztpd_conf "threads = 2" "bootstrap-log = no" >"$TMP/sztpd2.conf"
start_sztpd "$TMP/sztpd2.conf" "$TMP/sztpd2.log"
L=$(last)
LOGS=$(Q "select count(*) from bootstrap_log")
gbd SN-1
check_eq "bootstrap-log = no: 200" "$STATUS" 200
check_eq "... its event" "$(ev "$L" SN-1 bootstrap.served '$.status')" 200
gbd SN-3
check_eventually "... a refusal's event" 404 ev "$L" SN-3 bootstrap.refused '$.status'
check_eq "... and no log rows" "$(Q "select count(*) from bootstrap_log")" "$LOGS"
check "sztpd stops cleanly" stop_clean "$E2E_LAST_PID"
check_eq "every event's data is a JSON object" \
	"$(Q "select data from events" | jq -s 'map(select(type != "object")) | length')" 0
check_eq "ids are unique and ascending" "$(Q "select case when count(distinct id) = count(*) then 1 else 0 end from events")" 1
e2e_finish
