#!/bin/bash
# A fleet with an NMS listening (issue 12): 200 simulated devices
# (sztp-agent fleet) against one sztpd that has a webhook (the Python
# receiver of docs/nms-integration.md, HTTPS, HMAC checked) and remote
# syslog (a real rsyslogd over TCP, RFC 6587 octet counting).  Some
# devices are not enrolled (refused), some run a pre-script that fails
# (device.failed), the rest complete.  The events each consumer received,
# counted by type, must equal exactly what the fleet says the server
# acknowledged: 200 answers, refusals, 204 reports, error reports,
# bootstrap-complete reports.
. "$(dirname "$0")/lib.sh"
e2e_init t_events_fleet

RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || { fail "rsyslogd is not installed (scripts/deps.sh)"; e2e_finish; exit 1; }
PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
Q() { db_q "$1"; }
N=200 REFUSED=10 FAILING=5

"$BIN/sztp-pki" init --out "$PKI" --count "$N" --prefix SN-F- >/dev/null ||
	{ echo "sztp-pki init failed"; exit 1; }
printf 'hostname fleet\n' >"$TMP/config.txt"
printf '#!/bin/sh\necho "pre-script fails on purpose" >&2\nexit 3\n' >"$TMP/fail.sh"
check "sztpctl init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile fleet" CTL profile onboarding fleet --config "$TMP/config.txt" \
	--config-handling merge --reporting verbose
check "profile failing (pre-script exits 3)" CTL profile onboarding failing \
	--config "$TMP/config.txt" --config-handling merge --pre-script "$TMP/fail.sh" \
	--reporting verbose
# the first REFUSED serials are not enrolled, the next FAILING get the failing profile
{
	echo "serial,profile,password,voucher"
	i=0
	for d in "$PKI"/devices/SN-F-*; do
		s=$(basename "$d")
		i=$((i + 1))
		[ "$i" -le "$REFUSED" ] && continue
		p=fleet
		[ "$i" -le $((REFUSED + FAILING)) ] && p=failing
		echo "$s,$p,,$d/voucher.vcj"
	done
} >"$TMP/fleet.csv"
check "import $((N - REFUSED)) devices" CTL device import "$TMP/fleet.csv"

# ---- the receivers -------------------------------------------------------------------
WPORT=$(free_port)
TPORT=$(free_port)
while [ "$TPORT" = "$WPORT" ]; do TPORT=$(free_port); done
PORT=$(free_port)
while [ "$PORT" = "$WPORT" ] || [ "$PORT" = "$TPORT" ]; do PORT=$(free_port); done
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/secret")
e2e_bg "$TMP/receiver.log" python3 "$TOP/tests/e2e/webhook_receiver.py" --port "$WPORT" \
	--cert "$PKI/server/chain.pem" --key "$PKI/server/key.pem" \
	--secret-file "$TMP/secret" --out "$TMP/events.jsonl"
RECV=$E2E_LAST_PID
mkdir -p "$TMP/rs"
cat >"$TMP/rsyslog.conf" <<EOF
global(workDirectory="$TMP/rs" maxMessageSize="64k")
module(load="imtcp" MaxSessions="20")
template(name="fields" type="string" string="%msgid%|%structured-data%\n")
ruleset(name="tcp") { action(type="omfile" file="$TMP/syslog.log" template="fields") }
input(type="imtcp" address="127.0.0.1" port="$TPORT" ruleset="tcp")
EOF
touch "$TMP/syslog.log"
e2e_bg "$TMP/rsyslogd.out" "$RSYSLOGD" -n -f "$TMP/rsyslog.conf" -i "$TMP/rs/rsyslogd.pid"
for i in $(seq 1 100); do
	[ -n "$(ss -Hltn "sport = :$TPORT")" ] && [ -n "$(ss -Hltn "sport = :$WPORT")" ] && break
	sleep 0.1
done
check "rsyslogd and the receiver listen" test -n "$(ss -Hltn "sport = :$TPORT")" -a -n "$(ss -Hltn "sport = :$WPORT")"

check "webhook add" CTL webhook add nms --url "https://localhost:$WPORT/sztp" \
	--secret-file "$TMP/secret" --ca-cert "$PKI/owner/ca.pem"
L=$(Q "select coalesce(max(id), 0) from events")
sztpd_conf "threads = 2" "syslog-target = tcp://127.0.0.1:$TPORT" \
	"log-failures-per-address-per-minute = 0" "auth-failures-per-address-per-minute = 0" \
	>"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID

# ---- the fleet ------------------------------------------------------------------------
cat >"$TMP/agent.conf" <<CONF
voucher-trust-anchors = $PKI/manufacturer/root.pem
server-trust-anchors = $PKI/owner/ca.pem
well-known-server = https://localhost:$PORT
os-name = demo-os
os-version = 1.0
yang-dir = $TOP/yang
CONF
"$BIN/sztp-agent" fleet -c "$TMP/agent.conf" --pki "$PKI" --prefix SN-F- --count "$N" \
	--concurrency 16 --work-dir "$TMP/fleet" --json "$TMP/fleet.json" >"$TMP/fleet.out" 2>&1
sed -n '1,3p' "$TMP/fleet.out"
F() { jq -r "$1" "$TMP/fleet.json"; }
check_eq "fleet: $((N - REFUSED - FAILING)) bootstrapped" "$(F .bootstrapped)" $((N - REFUSED - FAILING))
check_eq "fleet: the refused devices were refused once each" "$(F .acknowledged.refused)" "$REFUSED"
check_eq "fleet: the failing devices reported one error each" "$(F '.acknowledged."error-reports"')" "$FAILING"
ACK_DATA=$(F '.acknowledged."bootstrapping-data"')
ACK_REPORTS=$(F .acknowledged.reports)
ACK_DONE=$(F '.acknowledged."complete-reports"')
check "fleet: reports acknowledged" test "$ACK_REPORTS" -gt $((3 * (N - REFUSED)))

# ---- what the outbox holds, and what each consumer received ----------------------------
TOTAL=$(Q "select count(*) from events where id > $L")
echo "acknowledged: $ACK_DATA answers, $REFUSED refusals, $ACK_REPORTS reports ($FAILING errors, $ACK_DONE complete); $TOTAL events" 
check_eq "outbox: one event per acknowledged answer, refusal and report, plus outcomes" \
	"$TOTAL" $((ACK_DATA + REFUSED + ACK_REPORTS + ACK_DONE + FAILING))
got_hook() { [ -f "$TMP/events.jsonl" ] && jq -r "select(.id > $L) | .id" "$TMP/events.jsonl" | wc -l; }
got_syslog() { grep -c 'sztp@32473' "$TMP/syslog.log"; }
for i in $(seq 1 300); do
	[ "$(got_hook)" = "$TOTAL" ] && [ "$(got_syslog)" = "$TOTAL" ] && break
	sleep 0.1
done
check_eq "webhook: every event arrived" "$(got_hook)" "$TOTAL"
check_eq "syslog: every event arrived" "$(got_syslog)" "$TOTAL"
# hook_count TYPE / syslog_count TYPE
hook_count() { jq -r "select(.id > $L and .type == \"$1\") | .id" "$TMP/events.jsonl" | wc -l; }
syslog_count() { grep -c "^$1|" "$TMP/syslog.log"; }
for pair in "bootstrap.served:$ACK_DATA" "bootstrap.refused:$REFUSED" \
	"progress.reported:$ACK_REPORTS" "device.completed:$ACK_DONE" "device.failed:$FAILING"; do
	t=${pair%%:*} want=${pair#*:}
	check_eq "webhook: $t events = what the fleet saw acknowledged ($want)" "$(hook_count "$t")" "$want"
	check_eq "syslog: $t messages = the same" "$(syslog_count "$t")" "$want"
done
check_eq "device.completed = bootstrapped devices" "$ACK_DONE" "$(F .bootstrapped)"
check_eq "webhook: events in id order (per device order follows)" \
	"$(jq -r .id "$TMP/events.jsonl" | sort -n -c 2>&1 && echo sorted)" sorted
check_eq "webhook: no event twice" "$(jq -r .id "$TMP/events.jsonl" | sort | uniq -d | wc -l)" 0
check_eq "webhook: each device's served before its first report" \
	"$(jq -rs 'map(select(.serial != "")) | group_by(.serial) |
		map(select(.[0].type != "bootstrap.served" and .[0].type != "bootstrap.refused")) | length' \
		"$TMP/events.jsonl")" 0
check_eq "webhook: refused devices have no other event" \
	"$(jq -rs '[.[] | select(.type == "bootstrap.refused") | .serial] as $r |
		[.[] | select((.serial as $s | $r | index($s)) and .type != "bootstrap.refused")] | length' \
		"$TMP/events.jsonl")" 0
# every delivery holds to the contract the OpenAPI document's webhooks
# section gives receivers (components/schemas/Event, per type)
check_eq "webhook: every event matches docs/openapi.json's Event schema" "$(python3 - \
	"$TOP/tests/e2e" "$TOP/docs/openapi.json" "$TMP/events.jsonl" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from openapi_check import Spec
spec = Spec(sys.argv[2])
bad = 0
for line in open(sys.argv[3]):
    errors = spec.schema_errors({"$ref": "#/components/schemas/Event"}, json.loads(line))
    if errors:
        bad += 1
        if bad <= 3:
            print(errors, file=sys.stderr)
print(bad)
PY
)" 0
check_eq "webhook state: nothing failed, nothing dead" \
	"$(Q "select failed || ',' || dead from webhooks where name = 'nms'")" "0,0"
check "sztpd stops cleanly" stop_clean "$SZTPD"
stop_pid "$RECV"
e2e_finish
