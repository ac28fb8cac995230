#!/bin/bash
# t_syslog.sh - the outbox's events as RFC 5424 messages to a real rsyslogd
# (Debian rsyslog + rsyslog-gnutls) that this test starts with its own
# configuration, work directory and pid file in $TMP, on free ports
# (imudp; imtcp; imtcp with the gtls driver, StreamDriver.Mode 1, and a
# certificate of a test CA; the same asking for a client certificate),
# never touching a system rsyslog.  rsyslogd
# parses what it receives and writes, per input, PRI, facility, severity,
# APP-NAME, PROCID, MSGID, STRUCTURED-DATA and MSG, which the test checks
# against the registry's events table: UDP, TCP (octet counting) and TLS
# (the collector's certificate and name verified); the collector stopped
# and started again (TCP, TLS): nothing lost, in order; the cursor kept
# across sztpd restarts (no event twice between transports); an untrusted
# certificate or a wrong name: nothing sent, the reason logged; a client
# certificate (syslog-cert, syslog-key) where the collector wants one; sztpd -n
# refuses bad syslog-* settings.
. "$(dirname "$0")/lib.sh"
e2e_init t_syslog

RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
if [ ! -x "$RSYSLOGD" ] || ! ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1; then
	fail "rsyslog and rsyslog-gnutls are needed (scripts/deps.sh)"
	e2e_finish
	exit 1
fi

PKI=$TMP/pki
DB=$(e2e_db sztp)
SL=$TMP/slog
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 --serial SN-2 >/dev/null ||
	{ echo "sztp-pki init failed"; echo "t_syslog: 0 passed, 1 failed"; exit 1; }
printf 'hostname demo\n' >"$TMP/config.txt"
check "init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile onb" CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge
check "enrol SN-1 (profile onb, voucher)" CTL device add SN-1 --profile onb \
	--voucher "$PKI/devices/SN-1/voucher.vcj"
check "enrol SN-2 (no profile)" CTL device add SN-2

# ---- the collector's PKI: a CA, a server certificate for "localhost"
# only (DNS SAN), and another CA that signed nothing of it ------------------------------
mkdir -p "$SL" "$TMP/rs"
(
	cd "$SL" || exit 1
	umask 077
	ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
	ec ca.key && ec bad.key && ec srv.key && ec client.key || exit 1
	openssl req -x509 -key ca.key -subj "/CN=t_syslog collector CA" -days 2 -out ca.pem \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null &&
		openssl req -x509 -key bad.key -subj "/CN=t_syslog other CA" -days 2 -out bad.pem \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null &&
		openssl req -new -key srv.key -subj /CN=localhost -out srv.csr 2>/dev/null &&
		printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >srv.ext &&
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
			-extfile srv.ext -out srv.pem 2>/dev/null &&
		openssl req -new -key client.key -subj /CN=sztpd-client -out client.csr 2>/dev/null &&
		printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' >client.ext &&
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
			-extfile client.ext -out client.pem 2>/dev/null
) || { fail "collector PKI"; e2e_finish; exit 1; }

# ---- rsyslogd on free ports --------------------------------------------------------
free_udp_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		[ -z "$(ss -Huan "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
	done
}
UPORT=$(free_udp_port)
TPORT=$(free_port)
SPORT=$(free_port)
while [ "$SPORT" = "$TPORT" ]; do SPORT=$(free_port); done
MPORT=$(free_port) # TLS asking for a client certificate
while [ "$MPORT" = "$TPORT" ] || [ "$MPORT" = "$SPORT" ]; do MPORT=$(free_port); done
cat >"$TMP/rsyslog.conf" <<EOF
global(workDirectory="$TMP/rs" maxMessageSize="64k"
       DefaultNetstreamDriverCAFile="$SL/ca.pem"
       DefaultNetstreamDriverCertFile="$SL/srv.pem"
       DefaultNetstreamDriverKeyFile="$SL/srv.key")
module(load="imudp")
module(load="imtcp" MaxSessions="50")
template(name="fields" type="string"
         string="%pri%|%syslogfacility-text%|%syslogseverity-text%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\n")
ruleset(name="udp") { action(type="omfile" file="$TMP/udp.log" template="fields") }
ruleset(name="tcp") { action(type="omfile" file="$TMP/tcp.log" template="fields") }
ruleset(name="tls") { action(type="omfile" file="$TMP/tls.log" template="fields") }
ruleset(name="mtls") { action(type="omfile" file="$TMP/mtls.log" template="fields") }
input(type="imudp" address="127.0.0.1" port="$UPORT" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="$TPORT" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="$SPORT" ruleset="tls"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" address="127.0.0.1" port="$MPORT" ruleset="mtls"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")
EOF
touch "$TMP/udp.log" "$TMP/tcp.log" "$TMP/tls.log" "$TMP/mtls.log"
RS=""
rs_start() {
	local i
	e2e_bg "$TMP/rsyslogd.out" "$RSYSLOGD" -n -f "$TMP/rsyslog.conf" -i "$TMP/rs/rsyslogd.pid"
	RS=$E2E_LAST_PID
	for i in $(seq 1 100); do
		if [ -n "$(ss -Hltn "sport = :$TPORT")" ] && [ -n "$(ss -Hltn "sport = :$SPORT")" ] &&
			[ -n "$(ss -Hltn "sport = :$MPORT")" ] &&
			[ -n "$(ss -Hlun "sport = :$UPORT")" ]; then
			return 0
		fi
		sleep 0.1
	done
	cat "$TMP/rsyslogd.out" >&2
	return 1
}
rs_stop() { stop_pid "$RS"; RS=""; }
check "rsyslogd -N1 accepts the test's configuration" "$RSYSLOGD" -N1 -f "$TMP/rsyslog.conf"
check "rsyslogd starts on the test's ports" rs_start

# ---- helpers -------------------------------------------------------------------------
PORT=$(free_port)
while [ "$PORT" = "$TPORT" ] || [ "$PORT" = "$SPORT" ]; do PORT=$(free_port); done
RP=https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:report-progress
# report SERIAL TYPE: a progress report; 204 expected
report() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
		--cert "$PKI/devices/$1/chain.pem" --key "$PKI/devices/$1/idevid.key" \
		-H 'Content-Type: application/yang-data+json' \
		-d "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":\"$2\",\"message\":\"step $2\"}}" "$RP")
	check_eq "report $1 $2: 204" "$code" 204
}
# gbd SERIAL: get-bootstrapping-data; its HTTP status on stdout
gbd() {
	curl -s -o /dev/null -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
		--cert "$PKI/devices/$1/chain.pem" --key "$PKI/devices/$1/idevid.key" \
		-H 'Content-Type: application/yang-data+json' \
		-d '{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null]}}' \
		"https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data"
}
last_id() { db_q "select coalesce(max(id),0) from events"; }
syslog_cursor() { db_q "select cursor from event_cursors where name='syslog'" 2>/dev/null; }
# msgs FILE: lines rsyslogd wrote for our SD-ID
msgs() { grep -c '\[sztp@32473 ' "$1"; }
# expect_all FILE AFTER: every event with id > AFTER is in FILE, as RFC 5424
# fields (PRI by type and facility, APP-NAME, PROCID, MSGID, SD params in
# order: id, type, serial, peer), exactly once and in id order
FAC=16
expect_all() {
	local f=$1 after=$2 id type serial peer sev pri line n=0 ok=1 prev=0 order
	while IFS='|' read -r id type serial peer; do
		n=$((n + 1))
		case $type in
		bootstrap.refused | device.failed) sev=4 ;;
		progress.reported) sev=6 ;;
		*) sev=5 ;;
		esac
		pri=$((FAC * 8 + sev))
		line="$pri|$FACNAME|$(sevname $sev)|sztpd|$SZTPD_PID|$type|[sztp@32473 id=\"$id\" type=\"$type\" serial=\"$serial\" peer=\"$peer\""
		if [ "$(grep -cF -- "$line" "$f")" != 1 ]; then
			fail "$f: event $id ($type $serial) not there exactly once as '$line'"
			ok=0
		fi
	done < <(db_q "select id, type, replace(replace(replace(serial,'\\','\\\\'),'\"','\\\"'),']','\\]'), peer from events where id > $after order by id")
	[ "$ok" = 1 ] && pass
	check_eq "$f: as many messages as events after $after" "$(grep -c 'sztp@32473 id="' "$f")" \
		"$(db_q "select count(*) from events where id > $after")"
	order=$(grep -o 'sztp@32473 id="[0-9]*"' "$f" | grep -o '[0-9]*"$' | tr -d '"' | tr '\n' ' ')
	check_eq "$f: in id order" "$order" "$(db_q "select id from events where id > $after order by id" | tr '\n' ' ')"
}
sevname() { case $1 in 4) echo warning ;; 5) echo notice ;; 6) echo info ;; esac; }
# wait_msgs FILE N [SECONDS]: FILE holds N of our messages
wait_msgs() {
	local i
	for i in $(seq 1 $((${3:-10} * 10))); do
		[ "$(msgs "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "$(msgs "$1") messages in $1, want $2"
	return 1
}
SZTPD=""
start() {
	sztpd_conf "threads = 2" "$@" >"$TMP/sztpd.conf"
	start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
	SZTPD=$E2E_LAST_PID
	SZTPD_PID=$SZTPD
}
stop() { check "sztpd stops cleanly" stop_clean "$SZTPD"; }

# ---- sztpd -n: bad syslog-* settings are refused, naming the key ----------------------
conf_n() { sztpd_conf "$@" >"$TMP/n.conf"; "$BIN/sztpd" -n -c "$TMP/n.conf" >"$TMP/n.out" 2>&1; }
check_fails "-n: a target without a port" conf_n "syslog-target = tcp://127.0.0.1"
check_contains "-n: ... names file, line, key and value" "$TMP/n.out" "n.conf:9: syslog-target: 'tcp://127.0.0.1' is not"
check_fails "-n: tls without syslog-ca" conf_n "syslog-target = tls://localhost:$SPORT"
check_contains "-n: ... says syslog-ca is needed" "$TMP/n.out" "needs syslog-ca"
check_fails "-n: syslog-ca on a udp target" conf_n "syslog-target = udp://127.0.0.1:$UPORT" \
	"syslog-ca = $SL/ca.pem"
check_fails "-n: an unknown facility" conf_n "syslog-target = udp://127.0.0.1:$UPORT" \
	"syslog-facility = local9"
cp "$SL/client.key" "$SL/loose.key" && chmod 0644 "$SL/loose.key"
check_fails "-n: a client key others can read" conf_n "syslog-target = tls://localhost:$SPORT" \
	"syslog-ca = $SL/ca.pem" "syslog-cert = $SL/client.pem" "syslog-key = $SL/loose.key"
check_contains "-n: ... names syslog-key and the mode" "$TMP/n.out" "syslog-key: key file"
check "-n: a good tls setting" conf_n "syslog-target = tls://localhost:$SPORT" "syslog-ca = $SL/ca.pem"

# ---- 1. UDP: the first start begins at the newest event -------------------------------
# an event from before syslog was configured: not sent
db_q "insert into events(time, type, serial, peer, data) values ($(date +%s), 'device.enrolled', 'SN-OLD', '', '{}')"
BEFORE=$(last_id)
start "syslog-target = udp://127.0.0.1:$UPORT"
FACNAME=local0
check_eventually "the first start puts the cursor at the newest event" "$BEFORE" syslog_cursor
check_eq "SN-1 gets its data" "$(gbd SN-1)" 200
check "SN-2 (no profile) is refused" test "$(gbd SN-2)" -ge 400
report SN-1 bootstrap-initiated
report SN-2 bootstrap-initiated
report SN-1 bootstrap-complete # progress.reported + device.completed
report SN-2 config-error # progress.reported + device.failed
# a serial with the characters RFC 5424 escapes, straight into the outbox
db_q "insert into events(time, type, serial, peer, data) values ($(date +%s), 'device.enrolled', 'S\"N]\\1', '192.0.2.9', '{\"actor\":\"local\",\"action\":\"device.create\"}')"
N=$(db_q "select count(*) from events where id > $BEFORE")
check "udp: every event arrives" wait_msgs "$TMP/udp.log" "$N"
expect_all "$TMP/udp.log" "$BEFORE"
check_not_contains "udp: not the event from before" "$TMP/udp.log" "SN-OLD"
check_contains "udp: escaped serial as rsyslog parsed it" "$TMP/udp.log" 'serial="S\"N\]\\1" peer="192.0.2.9" actor="local" action="device.create"]|device S"N]\1 enrolled by local'
check_contains "udp: data members follow" "$TMP/udp.log" 'progress-type="bootstrap-complete" message="step bootstrap-complete"]|device SN-1 reported bootstrap-complete'
check_contains "udp: served: notice, data, sentence" "$TMP/udp.log" 'serial="SN-1" peer="127.0.0.1" status="200" outcome="signed" profile="onb" kind="onboarding-information" signed="true"]|device SN-1 was served onboarding-information (profile onb), signed'
check_contains "udp: served: local0.notice" "$TMP/udp.log" "133|local0|notice|sztpd|$SZTPD_PID|bootstrap.served|"
check_contains "udp: refused: local0.warning" "$TMP/udp.log" "132|local0|warning|sztpd|$SZTPD_PID|bootstrap.refused|[sztp@32473 id="
check_contains "udp: refused: the sentence" "$TMP/udp.log" "|device SN-2 was refused bootstrapping data ("
check_contains "udp: terminal outcome, notice" "$TMP/udp.log" "133|local0|notice|sztpd|$SZTPD_PID|device.completed|"
check_contains "udp: failure, warning" "$TMP/udp.log" "132|local0|warning|sztpd|$SZTPD_PID|device.failed|"
check_eventually "udp: the cursor is at the last event" "$(last_id)" syslog_cursor
stop
UDP_LAST=$(last_id)

# ---- 2. TCP (octet counting), facility local3; the collector stopped and started --------
FAC=19 FACNAME=local3
start "syslog-target = tcp://127.0.0.1:$TPORT" "syslog-facility = local3"
report SN-1 informational
check "tcp: the first message arrives" wait_msgs "$TMP/tcp.log" 1
check_eq "tcp: nothing from before the restart is sent again" "$(msgs "$TMP/tcp.log")" 1
rs_stop
for i in 1 2 3; do report SN-2 informational; done
sleep 1.5 # the sender finds the collector gone, backs off
for i in 1 2; do report SN-1 informational; done
check "rsyslogd starts again" rs_start
N=$(db_q "select count(*) from events where id > $UDP_LAST")
check "tcp: after the collector is back, every event arrives" wait_msgs "$TMP/tcp.log" "$N" 20
expect_all "$TMP/tcp.log" "$UDP_LAST"
check_contains "tcp: the outage is logged" "$TMP/sztpd.log" "syslog tcp://127.0.0.1:$TPORT: "
check_contains "tcp: and the recovery" "$TMP/sztpd.log" "syslog tcp://127.0.0.1:$TPORT: connected again"
check_not_contains "tcp: no udp message after the switch" "$TMP/udp.log" "|local3|"
stop
TCP_LAST=$(last_id)

# ---- 3. TLS: the collector's certificate checked against syslog-ca, and its name ---------
FAC=16 FACNAME=local0
# an untrusted certificate: nothing sent, the reason logged
start "syslog-target = tls://localhost:$SPORT" "syslog-ca = $SL/bad.pem"
report SN-1 informational
check_eventually "tls, other CA: the failure is logged" 1 \
	grep -c "does not verify against syslog-ca" "$TMP/sztpd.log"
check_eq "tls, other CA: nothing sent" "$(msgs "$TMP/tls.log")" 0
check_eq "tls, other CA: the cursor stays" "$(syslog_cursor)" "$TCP_LAST"
stop
# the right CA, the wrong name (the certificate is for localhost, not 127.0.0.1)
start "syslog-target = tls://127.0.0.1:$SPORT" "syslog-ca = $SL/ca.pem"
check_eventually "tls, wrong name: the failure is logged" 1 \
	grep -c "does not verify against syslog-ca for 127.0.0.1" "$TMP/sztpd.log"
check_eq "tls, wrong name: nothing sent" "$(msgs "$TMP/tls.log")" 0
stop
# the right CA and name: what waited is sent now, then the collector stops and starts
start "syslog-target = tls://localhost:$SPORT" "syslog-ca = $SL/ca.pem"
report SN-2 informational
N=$(db_q "select count(*) from events where id > $TCP_LAST")
check "tls: events arrive, those queued while it failed too" wait_msgs "$TMP/tls.log" "$N"
rs_stop
for i in 1 2 3; do report SN-1 informational; done
sleep 1.5
report SN-2 bootstrap-complete
check "rsyslogd starts again" rs_start
N=$(db_q "select count(*) from events where id > $TCP_LAST")
check "tls: after the collector is back, every event arrives" wait_msgs "$TMP/tls.log" "$N" 20
expect_all "$TMP/tls.log" "$TCP_LAST"
check_contains "tls: the outage is logged" "$TMP/sztpd.log" "syslog tls://localhost:$SPORT: connected again"
stop

# ---- 4. a collector that asks for a client certificate: syslog-cert, syslog-key ---------
MTLS_FROM=$(last_id)
start "syslog-target = tls://localhost:$MPORT" "syslog-ca = $SL/ca.pem"
report SN-1 informational
check_eventually "mtls, no client certificate: the refusal is logged" 1 \
	grep -c "syslog tls://localhost:$MPORT: the collector ended the TLS session after the handshake: .*syslog-cert" "$TMP/sztpd.log"
sleep 0.5
check_eq "mtls, no client certificate: nothing arrives" "$(msgs "$TMP/mtls.log")" 0
check_eq "mtls, no client certificate: the cursor stays" "$(syslog_cursor)" "$MTLS_FROM"
stop
start "syslog-target = tls://localhost:$MPORT" "syslog-ca = $SL/ca.pem" \
	"syslog-cert = $SL/client.pem" "syslog-key = $SL/client.key"
report SN-2 informational
N=$(db_q "select count(*) from events where id > $MTLS_FROM")
check "mtls, with the client certificate: every event arrives" wait_msgs "$TMP/mtls.log" "$N"
expect_all "$TMP/mtls.log" "$MTLS_FROM"
stop

# ---- 5. syslog-target removed: the cursor goes, retention is not held back -------------
start
check_eventually "no syslog-target: the cursor is dropped" "" syslog_cursor
stop
e2e_finish
