#!/bin/bash
# t_admin_metrics.sh - /metrics on sztpd's admin listener (issue 12): the
# Prometheus text format checked by the real promtool on every scrape; a
# scraper needs a token or an admin client certificate (401 otherwise),
# GET/HEAD only; the counters move exactly as the test's own requests say
# (signed answers, 401s, reports, the histogram's count), and the expiry
# gauges carry the certificates' real not-after times (read by openssl).
# Issue 12: outcomes by profile; authentication failures by reason, each
# provoked by a real request (a certificate from an unknown CA, no
# credentials, an unknown serial, a wrong password, a malformed or
# disagreeing Basic, a key other than the pinned one, a throttled serial); failed TLS handshakes (a client
# that rejects the server's certificate, plain HTTP on the TLS port, a
# connection closed mid-handshake) counted per listener, while complete
# handshakes without a request are not; the outbox: each webhook's backlog
# follows the events the registry holds past its cursor (progress reports
# add theirs), its counts follow its row, a name that needs escaping is
# escaped (promtool reads it); the syslog sender's messages sent equal the
# datagrams a UDP collector received, its backlog drains to 0.
. "$(dirname "$0")/lib.sh"
e2e_init t_admin_metrics

command -v promtool >/dev/null ||
	{ echo "promtool missing (Debian package prometheus: scripts/deps.sh)"; echo "t_admin_metrics: 0 passed, 1 failed"; exit 1; }
command -v python3 >/dev/null ||
	{ echo "python3 missing"; echo "t_admin_metrics: 0 passed, 1 failed"; exit 1; }
PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 --serial SN-2 --serial SN-3 --serial SN-4 >/dev/null ||
	{ echo "sztp-pki init failed"; echo "t_admin_metrics: 0 passed, 1 failed"; exit 1; }
check "sztpctl init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
printf 'hostname demo\n' >"$TMP/config.txt"
check "profile" CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge
check "enrol SN-1" CTL device add SN-1 --profile onb --voucher "$PKI/devices/SN-1/voucher.vcj"
check "profile dc-2" CTL profile onboarding dc-2 --config "$TMP/config.txt" --config-handling merge
check "enrol SN-3 under dc-2" CTL device add SN-3 --profile dc-2 \
	--voucher "$PKI/devices/SN-3/voucher.vcj"
# SN-4 pinned to its first IDevID, then given another key (same serial and CA)
check "profile pinned" CTL profile onboarding pinned --config "$TMP/config.txt" \
	--config-handling merge --pin-idevid
check "enrol SN-4 pinned" CTL device add SN-4 --profile pinned --idevid "$PKI/devices/SN-4/chain.pem"
check "SN-4: another key" "$BIN/sztp-pki" device --pki "$PKI" --serial SN-4 --no-voucher --force
check "a read token for the scraper" ctl_token "$DB" prometheus read "$TMP/token"
admin_ports
# a UDP syslog collector: one line per datagram
SPORT=$(free_port)
e2e_bg "$TMP/collector.log" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        d, _ = s.recvfrom(65535)
        f.write(d.replace(b"\n", b" ") + b"\n")
' "$SPORT" "$TMP/syslog.txt"
: >"$TMP/syslog.txt"
for i in $(seq 1 50); do
	[ -n "$(ss -Hunl "sport = :$SPORT" 2>/dev/null)" ] && break
	sleep 0.1
done
# a serial's Basic failures are throttled after 3 (the "throttled" reason)
sztpd_conf "threads = 2" "admin-port = $APORT" "password-cost = 20000" \
	"auth-failures-per-serial-per-minute = 3" "syslog-target = udp://127.0.0.1:$SPORT" \
	>"$TMP/sztpd.conf"
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
# val FILE SERIES: the value of one exact series (0 when absent); the series
# through the environment, as awk -v would undo its backslashes
val() {
	S=$2 awk '$1 == ENVIRON["S"] { v = $2 } END { print v == "" ? 0 : v }' "$1"
}
# has FILE SERIES: the series is there
has() { S=$2 awk '$1 == ENVIRON["S"] { f = 1 } END { exit !f }' "$1"; }
GBD200='sztpd_requests_total{listener="device",endpoint="get-bootstrapping-data",status="200"}'
GBD401='sztpd_requests_total{listener="device",endpoint="get-bootstrapping-data",status="401"}'
RP204='sztpd_requests_total{listener="device",endpoint="report-progress",status="204"}'
SIGNED='sztpd_bootstrap_outcomes_total{outcome="signed",profile="onb"}'
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
d() { echo $(($(val "$TMP/${2:-m1}.m" "$1") - $(val "$TMP/${3:-m0}.m" "$1"))); }
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

# ---- outcomes by profile ------------------------------------------------------------------
# SN-3 (profile dc-2) without signed-data-preferred: unsigned
# shellcheck disable=SC2046
code=$(curl -sk -o /dev/null -w '%{http_code}' $(dev SN-3) -H "$JSON" \
	-d '{"ietf-sztp-bootstrap-server:input":{}}' "$GBD")
check_eq "SN-3: 200" "$code" 200
check "third scrape passes promtool" scrape m2
check_eq "unsigned outcome under dc-2: +1" \
	"$(d 'sztpd_bootstrap_outcomes_total{outcome="unsigned",profile="dc-2"}' m2 m1)" 1
check_eq "signed under onb: unchanged" "$(d "$SIGNED" m2 m1)" 0
check_eq "nothing signed under dc-2" \
	"$(val "$TMP/m2.m" 'sztpd_bootstrap_outcomes_total{outcome="signed",profile="dc-2"}')" 0

# ---- authentication failures by reason ----------------------------------------------------
A() { echo "sztpd_auth_failures_total{reason=\"$1\"}"; }
for r in no-credentials certificate-rejected basic-disabled basic-malformed serial-mismatch \
	not-enrolled password-wrong password-busy idevid-pin throttled; do
	check_eq "reason $r: present from the start" "$(grep -c "^$(A "$r") " "$TMP/m0.m")" 1
done
check_eq "the 401 of SN-2 (not enrolled) counted" "$(d "$(A not-enrolled)" m1 m0)" 1
# a device certificate from a CA the server does not know
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=rogue/serialNumber=SN-1" -addext "extendedKeyUsage=clientAuth" \
	-keyout "$TMP/rogue.key" -out "$TMP/rogue.pem" 2>/dev/null
gbd() { curl -sk -o /dev/null -w '%{http_code}' -H "$JSON" -d "$SDP" "$@" "$GBD"; }
check_eq "unknown CA: 401" "$(gbd --cert "$TMP/rogue.pem" --key "$TMP/rogue.key")" 401
check_eq "no credentials: 401" "$(gbd)" 401
check_eq "no credentials again: 401" "$(gbd)" 401
check_eq "wrong password: 401" "$(gbd -u SN-1:wrong-password)" 401
check_eq "malformed Basic: 401" "$(gbd -H 'Authorization: Basic !!!')" 401
# shellcheck disable=SC2046
check_eq "certificate SN-1, Basic SN-3: 401" "$(gbd $(dev SN-1) -u SN-3:x)" 401
# shellcheck disable=SC2046
check_eq "SN-4 with a key other than the pinned one: 401" "$(gbd $(dev SN-4))" 401
# an unknown serial over Basic: refused 3 times, then throttled (429)
for i in 1 2 3; do
	check_eq "unknown serial $i: 401" "$(gbd -u SN-NONE:x)" 401
done
check_eq "unknown serial 4: throttled" "$(gbd -u SN-NONE:x)" 429
check "fourth scrape passes promtool" scrape m3
check_eq "certificate-rejected: +1" "$(d "$(A certificate-rejected)" m3 m2)" 1
check_eq "no-credentials: +2" "$(d "$(A no-credentials)" m3 m2)" 2
check_eq "password-wrong: +1" "$(d "$(A password-wrong)" m3 m2)" 1
check_eq "basic-malformed: +1" "$(d "$(A basic-malformed)" m3 m2)" 1
check_eq "serial-mismatch: +1" "$(d "$(A serial-mismatch)" m3 m2)" 1
check_eq "not-enrolled: +3" "$(d "$(A not-enrolled)" m3 m2)" 3
check_eq "throttled: +1" "$(d "$(A throttled)" m3 m2)" 1
check_eq "nothing else: basic-disabled" "$(d "$(A basic-disabled)" m3 m2)" 0
check_eq "idevid-pin: +1" "$(d "$(A idevid-pin)" m3 m2)" 1
check_eq "nothing else: password-busy" "$(d "$(A password-busy)" m3 m2)" 0
check_eq "401s on the wire: the same 10" "$(d "$GBD401" m3 m2)" 10

# ---- TLS handshake failures ---------------------------------------------------------------
H() { echo "sztpd_tls_handshake_failures_total{listener=\"$1\"}"; }
check_eq "handshake failures: none so far (curl's handshakes completed)" \
	"$(val "$TMP/m3.m" "$(H device)")" 0
# hs_delta LISTENER: failed handshakes of LISTENER since m3 (scraped now)
hs_delta() { scrape hs >/dev/null 2>&1 && d "$(H "$1")" hs m3; }
# complete handshakes without a request (a certificate-expiry probe): not failures
for p in "$PORT" "$APORT"; do
	openssl s_client -connect "127.0.0.1:$p" -servername localhost </dev/null \
		>"$TMP/ok.out" 2>&1
	check_contains "s_client to $p: handshake done" "$TMP/ok.out" "Verify return code"
done
# a client that does not trust the server's certificate aborts the handshake
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=other" \
	-keyout "$TMP/other.key" -out "$TMP/other.pem" 2>/dev/null
check_fails "s_client with another CA: refused" openssl s_client -connect "127.0.0.1:$PORT" \
	-servername localhost -CAfile "$TMP/other.pem" -verify_return_error </dev/null
check_eventually "client aborted the handshake: device +1" 1 hs_delta device
# send_close PORT TEXT: TEXT (printf escapes) to the port, wait for its
# answer or close (5 s at most), close
send_close() {
	python3 - "$1" "$(printf "$2" | od -An -tx1 | tr -d ' \n')" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(bytes.fromhex(sys.argv[2]))
s.settimeout(5)
try:
    s.recv(100)
except OSError:
    pass
s.close()
PY
}
# plain HTTP on the TLS port
send_close "$PORT" 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
check_eventually "plain HTTP: device +2" 2 hs_delta device
# a ClientHello, then the connection closed mid-handshake
python3 - "$PORT" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(out.read())
s.settimeout(5)
s.recv(100)
s.close()
PY
check_eventually "closed mid-handshake: device +3" 3 hs_delta device
# the admin listener counts its own
send_close "$APORT" '\026\003\001\000\005hello'
check_eventually "garbage on the admin port: admin +1" 1 hs_delta admin
check_eq "device: still 3" "$(hs_delta device)" 3

# ---- the outbox ---------------------------------------------------------------------------
# the registry is busy with sztpd's writers: wait for the lock as sztpd does
Q() { db_q "$1"; }
# the refusals' events are written behind: wait until the journal is empty
drained() { scrape jd >/dev/null 2>&1 && val "$TMP/jd.m" sztpd_journal_waiting; }
check_eventually "the journal has written everything" 0 drained
# two subscriptions with their delivery state written into the registry
# (disabled: no delivery worker touches them): nms behind from the first
# event on, q"uote (a name the API would refuse) at the newest event
check "webhook rows" Q "insert into webhooks(name, url, secret, enabled, cursor, delivered,
	failed, dead, attempts, last_success, created, revision) values
	('nms', 'https://nms.example/h', '0123456789abcdef', 0, 0, 7, 3, 1, 2, 1700000000, 0, 1),
	('q\"uote', 'https://nms.example/h', '0123456789abcdef', 0,
	 (select coalesce(max(id), 0) from events), 0, 0, 0, 0, 0, 0, 1)"
check "scrape with webhooks passes promtool" scrape w0
OB='sztpd_outbox_events{consumer="webhook:nms"}'
OBQ='sztpd_outbox_events{consumer="webhook:q\"uote"}'
check_eq "nms: every event pending" "$(val "$TMP/w0.m" "$OB")" "$(Q 'select count(*) from events')"
check "nms: some are pending (the progress report's)" test "$(val "$TMP/w0.m" "$OB")" -ge 1
age=$(val "$TMP/w0.m" 'sztpd_outbox_oldest_age_seconds{consumer="webhook:nms"}')
want=$(($(date +%s) - $(Q 'select min(time) from events')))
check "nms: oldest age is the first event's" test "$age" -ge $((want - 2)) -a "$age" -le "$want"
check "q\"uote: its series, label escaped" has "$TMP/w0.m" "$OBQ"
check_eq "q\"uote: nothing pending" "$(val "$TMP/w0.m" "$OBQ")" 0
check_eq "nms deliveries from its row" \
	"$(val "$TMP/w0.m" 'sztpd_webhook_deliveries_total{webhook="nms"}')" 7
check_eq "nms failures from its row" \
	"$(val "$TMP/w0.m" 'sztpd_webhook_failures_total{webhook="nms"}')" 3
check_eq "nms dead letters from its row" \
	"$(val "$TMP/w0.m" 'sztpd_webhook_dead_letters_total{webhook="nms"}')" 1
check_eq "nms consecutive failures" \
	"$(val "$TMP/w0.m" 'sztpd_webhook_consecutive_failures{webhook="nms"}')" 2
check_eq "nms disabled" "$(val "$TMP/w0.m" 'sztpd_webhook_enabled{webhook="nms"}')" 0
check_eq "nms last success" \
	"$(val "$TMP/w0.m" 'sztpd_webhook_last_success_timestamp_seconds{webhook="nms"}')" 1700000000
check "the syslog sender is a consumer" has "$TMP/w0.m" 'sztpd_outbox_events{consumer="syslog"}'
# a progress report stored: its event is pending for both
# shellcheck disable=SC2046
code=$(curl -sk -o /dev/null -w '%{http_code}' $(dev SN-1) -H "$JSON" \
	-d '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-complete"}}' "$RP")
check_eq "bootstrap-complete stored" "$code" 204
new=$(Q "select count(*) from events where id > (select cursor from webhooks where name = 'q\"uote')")
check "the report wrote its events (progress.reported, device.completed)" test "$new" -ge 2
check "scrape after the report passes promtool" scrape w1
check_eq "q\"uote: the report's events pending" "$(val "$TMP/w1.m" "$OBQ")" "$new"
check_eq "nms: the same events more" "$(d "$OB" w1 w0)" "$new"
# the worker (not running here) would move the cursor: the backlog follows it
check "nms caught up" Q "update webhooks set cursor = (select max(id) from events),
	delivered = delivered + 5 where name = 'nms'"
check "scrape after nms caught up" scrape w2
check_eq "nms: nothing pending" "$(val "$TMP/w2.m" "$OB")" 0
check_eq "nms: oldest age 0" \
	"$(val "$TMP/w2.m" 'sztpd_outbox_oldest_age_seconds{consumer="webhook:nms"}')" 0
check_eq "nms deliveries: +5" "$(d 'sztpd_webhook_deliveries_total{webhook="nms"}' w2 w1)" 5

# ---- syslog -------------------------------------------------------------------------------
SENT='sztpd_syslog_messages_total{result="sent"}'
# sent_matches: the sender has caught up and counted exactly what the collector got
sent_matches() {
	scrape sl >/dev/null 2>&1 || return 1
	[ "$(val "$TMP/sl.m" 'sztpd_outbox_events{consumer="syslog"}')" = 0 ] &&
		[ "$(val "$TMP/sl.m" "$SENT")" = "$(wc -l <"$TMP/syslog.txt")" ] && echo yes
}
check_eventually "messages sent = datagrams received, nothing pending" yes sent_matches
check "some were sent (this test's events)" test "$(val "$TMP/sl.m" "$SENT")" -ge 10
check_eq "none expired" "$(val "$TMP/sl.m" 'sztpd_syslog_messages_total{result="expired"}')" 0
check_contains "the collector got the bootstrap-complete report" "$TMP/syslog.txt" \
	'type="device.completed"'

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
