#!/usr/bin/env bash
# t_webhook.sh - sztpd's webhook delivery (events/webhook.c) against real
# HTTPS receivers: tests/e2e/webhook_receiver.py, which is also the example
# of docs/nms-integration.md (the test first checks that the document holds
# this file verbatim).  Devices report progress with curl; each report's
# 204 means its events are in the outbox.  Cases:
#  A. a receiver refusing the first 3 deliveries: every event arrives, the
#     signature verified, in order per device; a wrong secret gets 401 and
#     delivers nothing; a type list gets only its types; one warning per
#     state change, not per retry;
#  B. the receiver stopped, reports stored meanwhile, receiver restarted:
#     everything arrives;
#  C. sztpd SIGKILLed while requests stream in and deliveries go out,
#     restarted: after dropping repeats by id the receiver holds exactly
#     the outbox, which holds the events of every acknowledged request
#     (get-bootstrapping-data 200, report 204, admin enrolment 201);
#  D. a receiver whose certificate the webhook's CA (or the system store)
#     does not trust gets nothing; last_error says why;
#  E. webhook-max-age: undeliverable events become dead letters, later
#     events still flow, a replay delivers the dead ones; retention deletes
#     old events every consumer is done with and keeps the others.
# Webhooks are managed with sztpctl (the admin API in-process); their
# delivery state is read back with sqlite3 or psql.  Admin changes are made
# through sztpd's admin listener (device enrolments, 201).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init t_webhook
for tool in jq python3 curl; do
	command -v "$tool" >/dev/null || { fail "needs $tool"; e2e_finish; exit 1; }
done

PKI=$TMP/pki
DB=$(e2e_db sztp)
RECV=$TOP/tests/e2e/webhook_receiver.py
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
SQL() { db_q "$@"; }

# ---- the receiver is the document's example -------------------------------------
awk '/^```python webhook_receiver.py$/ {on = 1; next} on && /^```$/ {exit} on' \
	"$TOP/docs/nms-integration.md" >"$TMP/doc_receiver.py"
check "docs/nms-integration.md holds webhook_receiver.py verbatim" cmp "$TMP/doc_receiver.py" "$RECV"

# ---- PKI, registry, sztpd ---------------------------------------------------------
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 --serial SN-2 --serial SN-3 --serial SN-4 \
	>/dev/null || { echo "sztp-pki init failed"; exit 1; }
# the NMS's receivers: one CA the webhooks trust, one they do not
"$BIN/sztp-pki" ca --out "$TMP/nms" --name "NMS CA" >/dev/null &&
	"$BIN/sztp-pki" leaf --ca "$TMP/nms" --out "$TMP/nms/recv" --serial recv --server \
		--san DNS:localhost,IP:127.0.0.1 >/dev/null &&
	"$BIN/sztp-pki" ca --out "$TMP/evil" --name "Evil CA" >/dev/null &&
	"$BIN/sztp-pki" leaf --ca "$TMP/evil" --out "$TMP/evil/recv" --serial recv --server \
		--san DNS:localhost,IP:127.0.0.1 >/dev/null || { echo "receiver PKI failed"; exit 1; }
printf 'hostname demo\n' >"$TMP/config.txt"
check "sztpctl init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile" CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge \
	--reporting verbose
for sn in SN-1 SN-2 SN-3 SN-4; do
	check "enrol $sn" CTL device add "$sn" --profile onb --voucher "$PKI/devices/$sn/voucher.vcj"
done
(umask 077 && printf 'nms-webhook-secret-0123456789' >"$TMP/secret" &&
	printf 'not-the-right-secret-0123456789' >"$TMP/secret2")

check "admin token" ctl_token "$DB" nms write "$TMP/token"
admin_ports
P1=$(free_port); P2=$(free_port); P3=$(free_port); P4=$(free_port)
ADMIN="admin-listen-address = 127.0.0.1
admin-port = $APORT"
sztpd_conf "threads = 2" "$ADMIN" "reports-per-device-per-hour = 0" "webhook-batch = 5" "webhook-backoff-max = 1" "webhook-timeout = 5" \
	"webhook-max-age = 3600" >"$TMP/sztpd.conf"
sztpd_conf "threads = 2" "$ADMIN" "reports-per-device-per-hour = 0" "webhook-batch = 5" "webhook-backoff-max = 1" "webhook-timeout = 5" \
	"webhook-max-age = 2" "event-retention-days = 7" >"$TMP/sztpd-age.conf"
check "sztpd -n accepts the webhook keys" "$BIN/sztpd" -n -c "$TMP/sztpd.conf"
sztpd_conf "webhook-batch = 0" >"$TMP/bad.conf"
check_fails "sztpd -n refuses webhook-batch = 0" "$BIN/sztpd" -n -c "$TMP/bad.conf"
check_contains "... naming the key" "$TMP/.check.out" "webhook-batch"

# hook_add NAME PORT SECRET-FILE [CA-FILE|-] [TYPES]: a subscription (its
# cursor starts at the newest event)
hook_add() {
	local args=(--url "https://localhost:$2/events" --secret-file "$3")
	[ "${4:--}" != - ] && args+=(--ca-cert "$4")
	[ -n "${5:-}" ] && args+=(--types "$5")
	CTL webhook add "$1" "${args[@]}"
}
# hook NAME COLUMN: a webhook's state column
hook() { SQL "select coalesce(cast($2 as text), 'NULL') from webhooks where name = '$1'"; }
dead_count() { SQL "select count(*) from dead_letters where webhook = '$1'"; }
event_count() { SQL "select count(*) from events where id = $1"; }
max_id() { SQL 'select max(id) from events'; }
TERMINAL="and type in ('device.completed', 'device.failed')"
# receiver LOG PORT OUT [ARGS]: start one (RPID) and wait until it listens
receiver() {
	local log=$1 port=$2 out=$3 i
	shift 3
	e2e_bg "$log" python3 "$RECV" --port "$port" --cert "$TMP/nms/recv-chain.pem" \
		--key "$TMP/nms/recv.key" --secret-file "$TMP/secret" --out "$out" "$@"
	RPID=$E2E_LAST_PID
	for i in $(seq 1 50); do
		grep -q '^listening' "$log" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$log"
	return 1
}
# the ids a receiver kept / the outbox holds (one line, sorted)
got_ids() { [ -s "$1" ] && jq -r .id "$1" | sort -n | paste -sd, -; }
db_ids() { SQL "select id from events where id > $BASE ${1:-} order by id" | paste -sd, -; }
# wait_for SECONDS 'SHELL TEXT': until it succeeds (evaluated anew each time)
wait_for() {
	local n=$(($1 * 10)) i
	for i in $(seq 1 "$n"); do
		eval "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
same_ids() { [ "$(got_ids "$1")" = "$(db_ids "${2:-}")" ]; }
# each device's events in id order, in the order they were stored
in_order() {
	jq -s 'reduce .[] as $e ({}; .[$e.serial] += [$e.id]) | to_entries
	       | map(.value == (.value | sort)) | all' "$1" | grep -qx true
}

RP=https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:report-progress
GBD=https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data
# gbd SN: the HTTP status of one get-bootstrapping-data
gbd() {
	curl -s -o /dev/null -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
		--cert "$PKI/devices/$1/chain.pem" --key "$PKI/devices/$1/idevid.key" \
		-H 'Content-Type: application/yang-data+json' \
		-d '{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null]}}' "$GBD"
}
# report SN TYPE MESSAGE: the HTTP status of one progress report
report() {
	curl -s -o /dev/null -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
		--cert "$PKI/devices/$1/chain.pem" --key "$PKI/devices/$1/idevid.key" \
		-H 'Content-Type: application/yang-data+json' \
		-d "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":\"$2\",\"message\":\"$3\"}}" \
		"$RP"
}
# enrol SN [status]: a device enrolled through the admin listener (201),
# or with "status" its HTTP status printed
enrol() {
	local st
	st=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
		-H "Authorization: Bearer $(cat "$TMP/token")" -H 'Content-Type: application/json' \
		-d "{\"serial\":\"$1\"}" "https://localhost:$APORT/api/v1/devices")
	[ -n "${2:-}" ] && echo "$st"
	[ "$st" = 201 ]
}
# reports SN TYPE:MESSAGE...: all must be answered 204
reports() {
	local sn=$1 t st bad=0
	shift
	for t in "$@"; do
		st=$(report "$sn" "${t%%:*}" "${t#*:}")
		[ "$st" = 204 ] || { echo "$sn ${t%%:*}: $st"; bad=1; }
	done
	return $bad
}

# ---- A: refused first, then accepted; signatures; type lists ----------------------
BASE=$(SQL 'select coalesce(max(id), 0) from events') # enrolments before the webhooks
receiver "$TMP/r1.log" "$P1" "$TMP/r1.jsonl" --refuse 3 || { fail "receiver 1"; e2e_finish; exit 1; }
R1=$RPID
receiver "$TMP/r3.log" "$P3" "$TMP/r3.jsonl" || { fail "receiver 3"; e2e_finish; exit 1; }
check "webhook nms (every type)" hook_add nms "$P1" "$TMP/secret" "$TMP/nms/ca.pem"
check "webhook wrongkey (another secret)" hook_add wrongkey "$P1" "$TMP/secret2" "$TMP/nms/ca.pem"
check "webhook terminal (two types)" hook_add terminal "$P3" "$TMP/secret" "$TMP/nms/ca.pem" \
	device.completed,device.failed
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID
wait_https "$APORT" || fail "the admin listener did not start"
check_eq "SN-1 gets its bootstrapping data" "$(gbd SN-1)" 200
check "SN-1 reports, to bootstrap-complete" reports SN-1 bootstrap-initiated:a1 informational:a2 \
	bootstrap-complete:a3
check "SN-2 reports, to config-error" reports SN-2 bootstrap-initiated:b1 config-error:b2
check "SN-3 reports 6 times" reports SN-3 bootstrap-initiated:c1 informational:c2 \
	informational:c3 informational:c4 informational:c5 informational:c6
check "an enrolment through the admin API" enrol SN-5
check_eq "the outbox: 1 served, 11 reports, 2 terminal events, 1 enrolment" \
	"$(SQL "select count(*) from events where id > $BASE")" 15
check "every event reaches the receiver that refused 3 deliveries" \
	wait_for 30 'same_ids "$TMP/r1.jsonl"'
check_eq "... ids: exactly the outbox's" "$(got_ids "$TMP/r1.jsonl")" "$(db_ids)"
check "... each device's events in order" in_order "$TMP/r1.jsonl"
check_eq "... 3 deliveries refused" "$(grep -c 'answered 503: refused on purpose' "$TMP/r1.log")" 3
check "the receiver saw X-SZTP-Webhook and User-Agent" \
	grep -Eq 'webhook nms \(sztpd/[0-9.]+\): [0-9]+ events' "$TMP/r1.log"
check_eq "nms: failed attempts counted" "$(hook nms failed)" 3
check_eq "nms: delivered" "$(hook nms delivered)" 15
check_eq "nms: attempts reset, last status, no error" \
	"$(hook nms "attempts || ' ' || last_status || ' ' || coalesce(last_error, '-')")" "0 204 -"
check_eq "nms: cursor at the newest event" "$(hook nms cursor)" "$(max_id)"
check "nms: last success set" test "$(hook nms last_success)" -gt 0
check_eq "one warning when nms started failing (not one per retry)" \
	"$(grep -c 'webhook nms: delivery to https://localhost:'"$P1"'/events failed: the receiver answered HTTP 503' "$TMP/sztpd.log")" 1
check_eq "one line when it recovered" "$(grep -c 'webhook nms: delivering again after 3 failed' "$TMP/sztpd.log")" 1
jq -r '"\(.id) \(.type) \(.serial) \(.data["progress-type"]) \(.data.message)"' "$TMP/r1.jsonl" \
	>"$TMP/r1.txt"
check_contains "an envelope: progress.reported with its data" "$TMP/r1.txt" \
	"progress.reported SN-1 bootstrap-initiated a1"
check_contains "an envelope: bootstrap.served" <(jq -r 'select(.type == "bootstrap.served")
	| "\(.serial) \(.data.status) \(.data.profile)"' "$TMP/r1.jsonl") "SN-1 200 onb"
check_contains "an envelope: device.enrolled, by the token" <(jq -r 'select(.type == "device.enrolled")
	| "\(.serial) \(.data.actor) \(.peer)"' "$TMP/r1.jsonl") "SN-5 token:nms 127.0.0.1"
check_contains "an envelope: device.completed" "$TMP/r1.txt" "device.completed SN-1 bootstrap-complete a3"
check_contains "an envelope: device.failed" "$TMP/r1.txt" "device.failed SN-2 config-error b2"
check "envelopes carry time and peer" eval "jq -s 'all(.[]; (.time | test(\"^20[0-9-]+T[0-9:]+Z\$\"))
	and .peer == \"127.0.0.1\")' '$TMP/r1.jsonl' | grep -qx true"
check "wrongkey: the receiver refuses its signature (401)" \
	wait_for 10 'test "$(hook wrongkey last_status)" = 401'
check_eq "wrongkey: nothing delivered, cursor unmoved" \
	"$(hook wrongkey "delivered || ' ' || cursor")" "0 $BASE"
check_contains "wrongkey: last_error has the receiver's answer" <(hook wrongkey last_error) \
	"HTTP 401: bad signature"
check_contains "the receiver logged the bad signatures" "$TMP/r1.log" "answered 401: bad signature"
check "wrongkey disabled" CTL webhook set wrongkey --disable
check "terminal: its two events arrive" wait_for 10 'same_ids "$TMP/r3.jsonl" "$TERMINAL"'
check_eq "terminal: only device.completed and device.failed" \
	"$(jq -r .type "$TMP/r3.jsonl" | sort | paste -sd, -)" "device.completed,device.failed"
check "terminal: its cursor passed the skipped events" wait_for 5 'test "$(hook terminal cursor)" = "$(max_id)"'
# the receiver itself: a forged delivery is refused, a signed repeat dropped
body='{"events":[{"id":999999,"type":"device.deleted","serial":"X","peer":"","time":"2026-01-01T00:00:00Z","data":{}}]}'
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/nms/ca.pem" -H "X-SZTP-Timestamp: $(date +%s)" \
	-H "X-SZTP-Signature: sha256=$(printf '%064d' 0)" -d "$body" "https://localhost:$P1/events")
check_eq "the receiver refuses a forged delivery" "$st" 401
first=$(head -n 1 "$TMP/r1.jsonl")
body="{\"events\":[$first]}"
ts=$(date +%s)
sig=$(printf '%s.%s' "$ts" "$body" | python3 -c 'import hmac,hashlib,sys
print(hmac.new(open(sys.argv[1],"rb").read().strip(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())' "$TMP/secret")
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/nms/ca.pem" -H "X-SZTP-Timestamp: $ts" \
	-H "X-SZTP-Signature: sha256=$sig" -d "$body" "https://localhost:$P1/events")
check_eq "a signed repeat is acknowledged" "$st" 204
check_eq "... and dropped" "$(wc -l <"$TMP/r1.jsonl")" 15
check_not_contains "the forged event was not kept" "$TMP/r1.jsonl" 999999

# ---- B: receiver stopped, then restarted ------------------------------------------
stop_pid "$R1"
check "SN-3 reports while the receiver is down" reports SN-3 informational:d1 informational:d2 \
	informational:d3
check "nms: failing attempts are recorded" wait_for 10 'test "$(hook nms attempts)" -ge 2'
check_eq "nms: transport error, no HTTP status" "$(hook nms last_status)" 0
check_contains "nms: last_error says why" <(hook nms last_error) "onnect"
receiver "$TMP/r1b.log" "$P1" "$TMP/r1.jsonl" || fail "receiver 1 restarted"
R1=$RPID
check "after the restart everything arrives" wait_for 20 'same_ids "$TMP/r1.jsonl"'
check "... in order per device" in_order "$TMP/r1.jsonl"
# the receiver stores before its 204, sztpd records after it: wait for that
check "nms: delivering again (attempts back to 0)" wait_for 10 'test "$(hook nms attempts)" = 0'

# ---- C: sztpd SIGKILLed while reports stream in ---------------------------------
(i=0; while [ ! -e "$TMP/stop" ] && [ "$i" -lt 3000 ]; do
	i=$((i + 1))
	echo "gbd $(gbd SN-4)"
	echo "$i $(report SN-4 informational "k$i")"
	echo "enrol K-$i $(enrol "K-$i" status)"
done) >"$TMP/kill.txt" 2>&1 &
LOOP=$!
sleep 1
{ kill -KILL "$SZTPD" && wait "$SZTPD"; } 2>/dev/null
forget_pid "$SZTPD"
sleep 0.3
touch "$TMP/stop"
wait "$LOOP"
acked=$(awk '$1 != "gbd" && $1 != "enrol" && $2 == 204 {print "k" $1}' "$TMP/kill.txt" | sort)
check "some reports were acknowledged before the kill" test -n "$acked"
check "some were not (sztpd was down)" grep -Eqv ' (200|201|204)$' "$TMP/kill.txt"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd2.log"
SZTPD=$E2E_LAST_PID
check "after the restart the receiver holds exactly the outbox" \
	wait_for 30 'same_ids "$TMP/r1.jsonl"'
check "... in order per device" in_order "$TMP/r1.jsonl"
missing=$(comm -23 <(printf '%s\n' "$acked") \
	<(jq -r 'select(.type == "progress.reported" and .serial == "SN-4") | .data.message' \
		"$TMP/r1.jsonl" | sort))
check_eq "every acknowledged report's event arrived" "$missing" ""
served=$(jq -r 'select(.type == "bootstrap.served" and .serial == "SN-4") | .id' "$TMP/r1.jsonl" | wc -l)
check "every acknowledged get-bootstrapping-data's event arrived" \
	test "$served" -ge "$(grep -c '^gbd 200$' "$TMP/kill.txt")" -a "$served" -ge 1
check "... and none of a request never made" test "$served" -le "$(grep -c '^gbd' "$TMP/kill.txt")"
missing=$(comm -23 <(awk '$1 == "enrol" && $3 == 201 {print $2}' "$TMP/kill.txt" | sort) \
	<(jq -r 'select(.type == "device.enrolled") | .serial' "$TMP/r1.jsonl" | sort))
check "some enrolments were acknowledged" grep -q '^enrol K-[0-9]* 201$' "$TMP/kill.txt"
check_eq "every acknowledged enrolment's event arrived" "$missing" ""
echo "t_webhook: SIGKILL: $(echo "$acked" | wc -l) acknowledged, receiver: $(grep -o '[0-9]* repeats dropped' "$TMP/r1b.log" | tail -n 1)"

# ---- D: a receiver with a certificate the webhook does not trust ----------------------
e2e_bg "$TMP/r2.log" python3 "$RECV" --port "$P2" --cert "$TMP/evil/recv-chain.pem" \
	--key "$TMP/evil/recv.key" --secret-file "$TMP/secret" --out "$TMP/r2.jsonl"
wait_for 5 'grep -q ^listening "$TMP/r2.log"'
check "webhook untrusted (the NMS CA)" hook_add untrusted "$P2" "$TMP/secret" "$TMP/nms/ca.pem"
check "webhook untrusted-system (the system store)" hook_add untrusted-system "$P2" "$TMP/secret"
check "SN-1 reports" reports SN-1 informational:e1
check "untrusted: the failure is recorded" wait_for 10 'test "$(hook untrusted attempts)" -ge 1'
check "untrusted-system: the failure is recorded" \
	wait_for 10 'test "$(hook untrusted-system attempts)" -ge 1'
check_contains "untrusted: last_error says why" <(hook untrusted last_error) "certificate"
check_contains "untrusted-system: last_error says why" <(hook untrusted-system last_error) \
	"certificate"
check_eq "untrusted: nothing delivered, no HTTP status" \
	"$(hook untrusted "delivered || ' ' || last_status")" "0 0"
check "the untrusted receiver got nothing" test ! -s "$TMP/r2.jsonl"
check_not_contains "... not one request" "$TMP/r2.log" "POST"
check "nms still delivers meanwhile" wait_for 10 'same_ids "$TMP/r1.jsonl"'

# ---- E: dead letters, replay, retention ---------------------------------------------
check "sztpd stops cleanly" stop_clean "$SZTPD"
# an old event everyone is done with (below every cursor), and an old one
# the failing webhooks have not passed: retention deletes the first only
now=$(date +%s)
# (PostgreSQL: the id is an identity column, set here on purpose)
SQL "insert into events(id, time, type, serial, peer, data) $(e2e_pg && echo overriding system value)
     values(-5, $((now - 30 * 86400)), 'progress.reported', 'SN-OLD', '', '{}')"
SQL "insert into events(time, type, serial, peer, data)
     values($((now - 30 * 86400)), 'progress.reported', 'SN-OLD2', '', '{}')"
keep=$(SQL "select max(id) from events")
check "webhook dl (nobody listening yet)" hook_add dl "$P4" "$TMP/secret" "$TMP/nms/ca.pem"
start_sztpd "$TMP/sztpd-age.conf" "$TMP/sztpd3.log"
SZTPD=$E2E_LAST_PID
check "SN-2 reports 3 times" reports SN-2 informational:f1 informational:f2 informational:f3
dead_ids=$(db_ids "and serial = 'SN-2' and data like '%\"f_\"%'")
check "after webhook-max-age the 3 become dead letters" \
	wait_for 15 'test "$(dead_count dl)" = 3'
check_eq "dl: counted as dead" "$(hook dl dead)" 3
check_eq "dl: the dead letters are those events" \
	"$(SQL "select event_id from dead_letters where webhook = 'dl' order by event_id" | paste -sd, -)" \
	"$dead_ids"
check "dl: the cursor passed them" test "$(hook dl cursor)" -ge "${dead_ids##*,}"
check_contains "dl: a dead letter keeps the last error" \
	<(SQL "select last_error from dead_letters where webhook = 'dl' limit 1") "onnect"
# in one line, or in two when the events' ages crossed max-age at different
# attempts (a slow run): the lines add up to the 3
check_eq "sztpd logs the dead letters" \
	"$(sed -n 's/.*webhook dl: \([0-9]*\) event(s) older than 2 s.*/\1/p' "$TMP/sztpd3.log" |
		awk '{ n += $1 } END { print n + 0 }')" 3
receiver "$TMP/r4.log" "$P4" "$TMP/r4.jsonl" || fail "receiver 4"
check "SN-2 reports twice more" reports SN-2 informational:f4 informational:f5
check "later events still flow" \
	wait_for 15 'test "$(jq -r .data.message "$TMP/r4.jsonl" | paste -sd, -)" = f4,f5'
CTL events dead-letters dl --json >"$TMP/dead.json"
check_eq "sztpctl lists the dead letters, with why" \
	"$(jq -r '[.[] | .event.id] | map(tostring) | join(",")' "$TMP/dead.json")" "$dead_ids"
check "... and the error that made them" \
	jq -e 'all(.[]; (."last-error" | test("onnect")) and .replay == false)' "$TMP/dead.json"
check "sztpctl queues them for replay" CTL events replay dl --all
check "a replay delivers the dead letters" wait_for 15 'test "$(wc -l <"$TMP/r4.jsonl")" = 5'
check_eq "... the five events, once each" "$(jq -r .data.message "$TMP/r4.jsonl" | sort | paste -sd, -)" \
	"f1,f2,f3,f4,f5"
check "... and they leave the dead-letter list" wait_for 5 'test "$(dead_count dl)" = 0'
check_eq "dl: delivered" "$(hook dl delivered)" 5
check "retention deleted the old event every consumer is done with" \
	wait_for 5 'test "$(event_count -5)" = 0'
check_eq "... and kept the one the untrusted webhooks have not delivered" \
	"$(SQL "select count(*) from events where id = $keep")" 1
check "sztpd is still running" kill -0 "$SZTPD"
check "sztpd stops cleanly" stop_clean "$SZTPD"
e2e_finish
