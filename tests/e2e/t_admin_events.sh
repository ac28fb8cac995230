#!/bin/bash
# t_admin_events.sh - the events outbox and webhook subscriptions through
# the admin API and sztpctl against a real sztpd:
#  - admin_client.py events: each admin change writes exactly its event
#    (with the client's address and the actor), a refused change none;
#    GET /events filters; webhook CRUD with every validation error, the
#    secret never shown, changes audited but not events; dead letters;
#    every answer valid against docs/openapi.json;
#  - sztpctl, local (-d) and --server: webhook add|list|show|set|remove,
#    events [list], events dead-letters, events replay, their errors; the
#    local mode's events have no peer and a local: actor.
# Prints "t_admin_events: N passed, N failed" last.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/admin_lib.sh"
e2e_init t_admin_events

admin_sztpd || { e2e_finish; exit; }

python3 "$TOP/tests/e2e/admin_client.py" events --base "$ABASE" --cacert "$CA" \
	--token-file "$TOKEN_FILE" --doc "$TOP/docs/openapi.json" --pki "$PKI" \
	--ca-pem "$PKI/owner/ca.pem" >"$TMP/client.out" 2>&1
check_eq "admin_client events exits 0" "$?" 0
grep -E '^FAIL|Traceback|Error' "$TMP/client.out"
admin_counts "$TMP/client.out"

CTL="$BIN/sztpctl"
R=(--server "$ABASE" --cacert "$CA" --token-file "$TOKEN_FILE")
chmod 600 "$TOKEN_FILE"

# ---- sztpctl events ---------------------------------------------------------------
"$CTL" "${R[@]}" events --serial EV-1 --json >"$TMP/ev1.json" 2>"$TMP/ev1.err"
check_eq "events --serial EV-1 --json" "$?" 0
check_eq "... its types" "$(jq -r '[.[].type] | join(",")' "$TMP/ev1.json")" \
	"device.enrolled,device.changed"
"$CTL" "${R[@]}" events list --type device.deleted >"$TMP/del.txt"
check_eq "events list --type: a header and one row" "$(wc -l <"$TMP/del.txt")" 2
check_contains "... EV-3's" "$TMP/del.txt" "EV-3"
check_contains "... with the data" "$TMP/del.txt" '"action":"device.delete"'
LAST=$(jq -r '.[-1].id' "$TMP/ev1.json")
"$CTL" "${R[@]}" events --after-id "$LAST" --json >"$TMP/after.json"
check_eq "events --after-id: only later ones" \
	"$(jq "[.[] | select(.id <= $LAST)] | length" "$TMP/after.json")" 0
"$CTL" "${R[@]}" events --limit 2 --json >"$TMP/lim.json"
check_eq "events --limit 2: the newest two" "$(jq -r '[.[].id] | join(",")' "$TMP/lim.json")" \
	"$("$CTL" "${R[@]}" events --json | jq -r '[.[-2:][].id] | join(",")')"
"$CTL" "${R[@]}" events --type nope >"$TMP/nope.out" 2>&1
check_eq "events --type nope fails" "$?" 1
check_contains "... naming the types" "$TMP/nope.out" "device.enrolled"

# a voucher attached and detached: their events, after the enrolment's
"$CTL" "${R[@]}" device add SN-1 >/dev/null &&
	"$CTL" "${R[@]}" voucher attach SN-1 "$PKI/devices/SN-1/voucher.vcj" \
		--masa-ca "$PKI/manufacturer/root.pem" >/dev/null 2>"$TMP/va.err" &&
	"$CTL" "${R[@]}" voucher detach SN-1 >/dev/null
check_eq "SN-1 enrolled, its voucher attached and detached" "$?" 0
"$CTL" "${R[@]}" events --serial SN-1 --json >"$TMP/sn1.json"
check_eq "... their events" "$(jq -r '[.[].type] | join(",")' "$TMP/sn1.json")" \
	"device.enrolled,voucher.attached,voucher.detached"
check_eq "... the attachment's revision is the device's then" \
	"$(jq -r '.[1].data.action + " " + (.[1].data.revision | length | tostring)' "$TMP/sn1.json")" \
	"voucher.attach 16"

# a change through sztpctl on the registry file: its event has no peer
N0=$("$CTL" "${R[@]}" events --json | jq length)
"$CTL" -d "$DB" device add LOC-1 >/dev/null
check_eq "sztpctl -d device add" "$?" 0
"$CTL" -d "$DB" events --serial LOC-1 --json >"$TMP/loc.json"
check_eq "its event, read locally" "$(jq -r '.[0].type + " [" + .[0].peer + "]"' "$TMP/loc.json")" \
	"device.enrolled []"
check_contains "... by a local: actor" "$TMP/loc.json" '"actor": "local:'
"$CTL" -d "$DB" device add LOC-1 >/dev/null 2>&1
check_eq "enrolling LOC-1 again fails" "$?" 1
check_eq "... and adds no event" "$("$CTL" "${R[@]}" events --json | jq length)" $((N0 + 1))

# ---- sztpctl webhook -----------------------------------------------------------------
printf 'short\n' >"$TMP/short.secret"
printf 'a-secret-of-enough-bytes\n' >"$TMP/good.secret"
printf 'no certificate here\n' >"$TMP/bad.pem"
wh_fails() { # DESCRIPTION TEXT ARGS...: webhook add fails, saying TEXT
	local d=$1 t=$2
	shift 2
	"$CTL" "${R[@]}" webhook add bad "$@" >"$TMP/wh.out" 2>&1
	check_eq "webhook add $d fails" "$?" 1
	check_contains "... saying why" "$TMP/wh.out" "$t"
}
wh_fails "with an http url" "https://" --url http://127.0.0.1:9/ --secret-file "$TMP/good.secret"
wh_fails "with an unknown type" "device.exploded" --url https://127.0.0.1:9/ \
	--secret-file "$TMP/good.secret" --types device.enrolled,device.exploded
wh_fails "with a short secret" "at least 16 bytes" --url https://127.0.0.1:9/ \
	--secret-file "$TMP/short.secret"
wh_fails "with a CA file that is no PEM" "ca-certificates" --url https://127.0.0.1:9/ \
	--secret-file "$TMP/good.secret" --ca-cert "$TMP/bad.pem"
wh_fails "without a secret" "--secret-file" --url https://127.0.0.1:9/
"$CTL" "${R[@]}" webhook show bad >/dev/null 2>&1
check_eq "... none was made" "$?" 1

"$CTL" "${R[@]}" webhook add hook1 --url https://127.0.0.1:9/in --secret-generate \
	--types device.enrolled,device.deleted --ca-cert "$PKI/owner/ca.pem" --disable \
	>"$TMP/add.out" 2>"$TMP/add.err"
check_eq "webhook add --secret-generate" "$?" 0
SECRET=$(head -n 1 "$TMP/add.out")
check_eq "... prints a 64-hex secret" "$(echo "$SECRET" | grep -cE '^[0-9a-f]{64}$')" 1
check_contains "... once" "$TMP/add.err" "shown this once"
check_contains "... and what it added" "$TMP/add.out" "added webhook 'hook1'"
"$CTL" "${R[@]}" webhook add hook2 --url https://127.0.0.1:9/two \
	--secret-file "$TMP/good.secret" --disable --json >"$TMP/add2.json"
check_eq "webhook add --secret-file --json" "$?" 0
check_eq "... every type" "$(jq -c .types "$TMP/add2.json")" "[]"
check_eq "... no secret in the answer" "$(jq 'has("secret")' "$TMP/add2.json")" false

"$CTL" "${R[@]}" webhook list --json >"$TMP/list.json"
check_eq "webhook list --json" "$(jq -r '[.[].name] | join(",")' "$TMP/list.json")" \
	"hook1,hook2,nms"
"$CTL" "${R[@]}" webhook list >"$TMP/list.txt"
check_contains "webhook list: hook1's types" "$TMP/list.txt" "device.enrolled,device.deleted"
"$CTL" "${R[@]}" webhook show hook1 >"$TMP/show.txt"
check_contains "webhook show: its url" "$TMP/show.txt" "https://127.0.0.1:9/in"
check_contains "webhook show: its CA" "$TMP/show.txt" "given (PEM)"
check_contains "webhook show: disabled" "$TMP/show.txt" "enabled         no"
for f in "$TMP/list.json" "$TMP/list.txt" "$TMP/show.txt"; do
	check_not_contains "$(basename "$f"): no secret" "$f" "$SECRET"
	check_not_contains "$(basename "$f"): no secret file's" "$f" "a-secret-of-enough-bytes"
done
"$CTL" -d "$DB" webhook show hook1 --json >"$TMP/show.json"
check_eq "webhook show locally: the same webhook" "$(jq -r .url "$TMP/show.json")" \
	"https://127.0.0.1:9/in"

"$CTL" "${R[@]}" webhook set hook1 --all-types --no-ca-cert --url https://127.0.0.1:9/new \
	>"$TMP/set.out" 2>&1
check_eq "webhook set" "$?" 0
"$CTL" "${R[@]}" webhook show hook1 --json >"$TMP/show2.json"
check_eq "... changed what it was given" \
	"$(jq -r '"\(.url) \(.types | length) \(.["ca-certificates"]) \(.enabled)"' "$TMP/show2.json")" \
	"https://127.0.0.1:9/new 0 null false"
"$CTL" "${R[@]}" webhook set hook1 >"$TMP/set0.out" 2>&1
check_eq "webhook set with nothing to change fails" "$?" 1
"$CTL" "${R[@]}" webhook set hook1 --types device.exploded >"$TMP/set1.out" 2>&1
check_eq "webhook set --types with an unknown type fails" "$?" 1
check_eq "... and changes nothing" "$("$CTL" "${R[@]}" webhook show hook1 --json | jq -c .types)" "[]"
"$CTL" "${R[@]}" webhook set hook1 --secret-file "$TMP/good.secret" --secret-generate \
	>"$TMP/set2.out" 2>&1
check_eq "webhook set with two secrets fails" "$?" 1

# ---- dead letters ------------------------------------------------------------------------
# the delivery worker gives events up; here two rows written the way it does
EID=$(jq -r '.[0].id' "$TMP/ev1.json")
EID2=$(jq -r '.[1].id' "$TMP/ev1.json")
db_q "INSERT INTO dead_letters (webhook, event_id, time, attempts, last_error) VALUES ('hook1', $EID, 1800000000, 9, 'HTTP 503'), ('hook1', $EID2, 1800000000, 9, 'HTTP 503');" \
	>/dev/null 2>"$TMP/sql.err"
check_eq "two dead letters of hook1" "$?" 0
"$CTL" "${R[@]}" events dead-letters --json >"$TMP/dead.json"
check_eq "events dead-letters: every webhook's" \
	"$(jq -r '[.[] | "\(.webhook):\(.event.id)"] | join(",")' "$TMP/dead.json")" \
	"hook1:$EID,hook1:$EID2"
"$CTL" "${R[@]}" events dead-letters hook1 >"$TMP/dead.txt"
check_contains "events dead-letters hook1: the event's serial" "$TMP/dead.txt" "EV-1"
check_contains "... and the error" "$TMP/dead.txt" "HTTP 503"
"$CTL" "${R[@]}" events dead-letters hook2 --json >"$TMP/dead2.json"
check_eq "events dead-letters hook2: none" "$(jq length "$TMP/dead2.json")" 0
"$CTL" "${R[@]}" events replay hook1 "$EID" >"$TMP/rep.out"
check_eq "events replay hook1 EVENT-ID" "$?" 0
check_contains "... queued 1" "$TMP/rep.out" "queued 1 dead letter"
check_eq "... it is queued" "$("$CTL" "${R[@]}" events dead-letters hook1 --json | jq -r '[.[].replay] | join(",")')" \
	"true,false"
"$CTL" "${R[@]}" --json events replay hook1 --all >"$TMP/repall.json"
check_eq "events replay --all" "$(jq .queued "$TMP/repall.json")" 2
"$CTL" "${R[@]}" events replay hook1 999999 >"$TMP/rep404.out" 2>&1
check_eq "replaying a dead letter that is none fails" "$?" 1
check_contains "... saying so" "$TMP/rep404.out" "no dead letter of event 999999"
"$CTL" "${R[@]}" events replay hook1 >"$TMP/rep0.out" 2>&1
check_eq "events replay without EVENT-ID or --all fails" "$?" 1
"$CTL" "${R[@]}" events replay nope --all >"$TMP/repnope.out" 2>&1
check_eq "events replay of no webhook fails" "$?" 1
check_contains "... naming it" "$TMP/repnope.out" "nope"

"$CTL" "${R[@]}" webhook remove hook1 >"$TMP/rm.out"
check_eq "webhook remove hook1" "$?" 0
check_eq "... its dead letters went with it" "$(db_q 'SELECT count(*) FROM dead_letters')" 0
"$CTL" "${R[@]}" webhook remove hook1 >/dev/null 2>&1
check_eq "removing it again fails" "$?" 1
"$CTL" "${R[@]}" audit --resource webhooks/ --json >"$TMP/audit.json"
check_eq "webhook changes audited" "$(jq -r '[.[].action] | unique | join(",")' "$TMP/audit.json")" \
	"dead-letters.delete,dead-letters.replay,webhook.create,webhook.delete,webhook.update"
check_eq "... never with a secret" "$(grep -c -e "$SECRET" -e a-secret-of-enough "$TMP/audit.json")" 0

check "sztpd still runs" kill -0 "$SZTPD"
check_not_contains "sztpd logged no error" "$TMP/sztpd.log" "[err]"
check "sztpd stops cleanly" stop_clean "$SZTPD"
e2e_finish
