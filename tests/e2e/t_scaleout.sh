#!/bin/bash
# t_scaleout.sh - several sztpd on one registry (issue 14, docs/scale-out.md):
# its own PostgreSQL (tests/pg.sh), three sztpd on it behind HAProxy in TCP
# mode (mutual TLS ends at sztpd; HAProxy checks each admin port's
# /healthz), a fleet of 1,000 simulated devices through HAProxy, and one
# sztpd killed with SIGKILL mid-run.  Every device completes (a device
# whose connection broke starts over: sztp-agent fleet --attempts), every
# progress report the fleet saw acknowledged (204) is in the registry, per
# device; each sztpd served; a profile changed through one instance's
# admin API is served at once by the other two (the stated bound: the next
# request after the commit); the webhook receiver got every event exactly
# once (one webhook worker delivers, the holder of the "webhooks" lease),
# and so did the syslog collector (rsyslogd over TCP, the "syslog" lease),
# and when that holder is killed another instance takes the lease over and
# delivers within LEASE_TTL_MS + LEASE_RENEW_MS (13 s).
# SZTP_SCALEOUT_DB=sqlite runs the same on one SQLite file (WAL).  Runs
# once in make test (not again in the suite's PostgreSQL pass: it has its
# own database).
. "$(dirname "$0")/lib.sh"
e2e_init t_scaleout

N=${SZTP_SCALEOUT_N:-1000}
BACKEND=${SZTP_SCALEOUT_DB:-postgresql}
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$HAPROXY" ] || { fail "haproxy is not installed (scripts/deps.sh)"; e2e_finish; exit 1; }
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || { fail "rsyslogd is not installed (scripts/deps.sh)"; e2e_finish; exit 1; }
PKI=$TMP/pki
t0=$(date +%s)
PGDIR=""
pg_cleanup() {
	[ -n "$PGDIR" ] && sh "$TOP/tests/pg.sh" stop "$PGDIR" >/dev/null 2>&1
	e2e_cleanup
}
trap pg_cleanup EXIT

if [ "$BACKEND" = postgresql ]; then
	PGDIR=$TMP/pg
	DB=$(sh "$TOP/tests/pg.sh" start "$PGDIR") || { fail "tests/pg.sh start"; e2e_finish; exit 1; }
	Q() { psql "$DB" -qAtX -c "$1"; }
else
	DB=$TMP/sztp.db
	Q() { sqlite3 "$DB" "$1"; }
fi
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }

"$BIN/sztp-pki" init --out "$PKI" --count "$N" --prefix SN-S- >/dev/null ||
	{ fail "sztp-pki init"; e2e_finish; exit 1; }
printf 'hostname fleet\n' >"$TMP/config.txt"
check "sztpctl init ($BACKEND)" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile fleet" CTL profile onboarding fleet --config "$TMP/config.txt" \
	--config-handling merge --reporting verbose
{
	echo "serial,profile,password,voucher"
	for d in "$PKI"/devices/SN-S-*; do
		echo "$(basename "$d"),fleet,,$d/voucher.vcj"
	done
} >"$TMP/fleet.csv"
check "import $N devices" CTL device import "$TMP/fleet.csv"
ctl_token "$DB" ops write "$TMP/write.token" || fail "token create"

# ---- the webhook receiver ----------------------------------------------------------
WPORT=$(free_port)
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/secret")
e2e_bg "$TMP/receiver.log" python3 "$TOP/tests/e2e/webhook_receiver.py" --port "$WPORT" \
	--cert "$PKI/server/chain.pem" --key "$PKI/server/key.pem" \
	--secret-file "$TMP/secret" --out "$TMP/events.jsonl"
check "webhook add" CTL webhook add nms --url "https://localhost:$WPORT/sztp" \
	--secret-file "$TMP/secret" --ca-cert "$PKI/owner/ca.pem"
L=$(Q "select coalesce(max(id), 0) from events")

# ---- three sztpd on the one registry -------------------------------------------------
declare -a PORTS APORTS PIDS
used=" $WPORT "
port_new() {
	local p
	while :; do
		p=$(free_port)
		case $used in *" $p "*) continue ;; esac
		used="$used$p "
		echo "$p"
		return
	done
}
# the syslog collector
TPORT=$(port_new)
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
	[ -n "$(ss -Hltn "sport = :$TPORT")" ] && break
	sleep 0.1
done
check "rsyslogd listens" test -n "$(ss -Hltn "sport = :$TPORT")"
for i in 0 1 2; do
	PORTS[i]=$(port_new)
	APORTS[i]=$(port_new)
	PORT=${PORTS[i]}
	sztpd_conf "threads = 2" "admin-port = ${APORTS[i]}" \
		"admin-cert = $PKI/server/chain.pem" "admin-key = $PKI/server/key.pem" \
		"log-failures-per-address-per-minute = 0" "auth-failures-per-address-per-minute = 0" \
		"syslog-target = tcp://127.0.0.1:$TPORT" >"$TMP/sztpd$i.conf"
	start_sztpd "$TMP/sztpd$i.conf" "$TMP/sztpd$i.log"
	PIDS[i]=$E2E_LAST_PID
done
for i in 0 1 2; do wait_https "${APORTS[i]}" || fail "admin port $i does not answer"; done

# ---- HAProxy in TCP mode in front ------------------------------------------------------
HPORT=$(port_new)
cat >"$TMP/haproxy.cfg" <<EOF
global
	maxconn 2048
	stats socket $TMP/haproxy.sock mode 600 level admin
defaults
	mode tcp
	timeout connect 2s
	timeout client 30s
	timeout server 30s
	retries 3
	option redispatch
frontend devices
	bind 127.0.0.1:$HPORT
	default_backend sztpd
backend sztpd
	balance roundrobin
	option httpchk GET /healthz
	http-check expect status 200
	default-server inter 500ms fall 2 rise 2 check-ssl verify none
	server s0 127.0.0.1:${PORTS[0]} check port ${APORTS[0]}
	server s1 127.0.0.1:${PORTS[1]} check port ${APORTS[1]}
	server s2 127.0.0.1:${PORTS[2]} check port ${APORTS[2]}
EOF
check "haproxy accepts its configuration" "$HAPROXY" -c -q -f "$TMP/haproxy.cfg"
e2e_bg "$TMP/haproxy.log" "$HAPROXY" -db -f "$TMP/haproxy.cfg"
HAP=$E2E_LAST_PID
# show_stat: "server sessions-total status" per server
show_stat() {
	python3 - "$TMP/haproxy.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
lines = data.decode().splitlines()
head = lines[0].lstrip("# ").split(",")
for l in lines[1:]:
    f = dict(zip(head, l.split(",")))
    if f.get("pxname") == "sztpd" and f.get("svname", "").startswith("s"):
        print(f["svname"], f["stot"], f["status"])
PY
}
up=0
for i in $(seq 1 100); do
	up=$(show_stat 2>/dev/null | grep -c ' UP$')
	[ "$up" = 3 ] && break
	sleep 0.1
done
check_eq "haproxy: the three sztpd are up (admin /healthz)" "$up" 3

# ---- the fleet through HAProxy; one sztpd killed mid-run --------------------------------
cat >"$TMP/agent.conf" <<CONF
voucher-trust-anchors = $PKI/manufacturer/root.pem
server-trust-anchors = $PKI/owner/ca.pem
well-known-server = https://localhost:$HPORT
os-name = demo-os
os-version = 1.0
yang-dir = $TOP/yang
CONF
# the victim: not the webhook worker (its delivery stays exactly-once), and
# not the syslog sender when another one is neither
holder_pid() { Q "select holder from leases where name = '${1:-webhooks}'" | cut -d: -f2; }
for i in $(seq 1 50); do
	[ -n "$(holder_pid)" ] && [ -n "$(holder_pid syslog)" ] && break
	sleep 0.1
done
HOLDER=$(holder_pid)
SHOLDER=$(holder_pid syslog)
check "one instance holds the webhook lease" \
	test "$HOLDER" = "${PIDS[0]}" -o "$HOLDER" = "${PIDS[1]}" -o "$HOLDER" = "${PIDS[2]}"
check "one instance holds the syslog lease" \
	test "$SHOLDER" = "${PIDS[0]}" -o "$SHOLDER" = "${PIDS[1]}" -o "$SHOLDER" = "${PIDS[2]}"
V=0
while [ "${PIDS[V]}" = "$HOLDER" ] || { [ "${PIDS[V]}" = "$SHOLDER" ] && [ "$HOLDER" != "$SHOLDER" ]; }; do
	V=$((V + 1))
done
SYSLOG_ONCE=1
[ "${PIDS[V]}" = "$SHOLDER" ] && SYSLOG_ONCE=0 # it moves mid-run: at least once
tf=$(date +%s)
"$BIN/sztp-agent" fleet -c "$TMP/agent.conf" --pki "$PKI" --prefix SN-S- --count "$N" \
	--concurrency 16 --attempts 5 --work-dir "$TMP/fleet" --json "$TMP/fleet.json" \
	--acked "$TMP/acked.txt" >"$TMP/fleet.out" 2>&1 &
FLEET=$!
E2E_PIDS+=("$FLEET")
done_devices() { Q "select count(distinct serial) from progress where type = 'bootstrap-complete'"; }
for i in $(seq 1 600); do
	[ "$(done_devices)" -ge $((N / 3)) ] && break
	kill -0 "$FLEET" 2>/dev/null || break
	sleep 0.1
done
check "the fleet still runs when sztpd $V is killed" kill -0 "$FLEET"
echo "killing sztpd $V (pid ${PIDS[V]}) with SIGKILL after $(done_devices) devices completed"
kill -KILL "${PIDS[V]}"
wait "${PIDS[V]}" 2>/dev/null
forget_pid "${PIDS[V]}"
wait "$FLEET"
forget_pid "$FLEET"
echo "fleet: $(($(date +%s) - tf)) s"
sed -n '1,4p' "$TMP/fleet.out"
F() { jq -r "$1" "$TMP/fleet.json"; }
check_eq "fleet: every device bootstrapped" "$(F .bootstrapped)" "$N"
echo "fleet: $(F .runs) runs for $N devices"
show_stat >"$TMP/stat.txt"
cat "$TMP/stat.txt"
check_eq "haproxy: each sztpd served" "$(awk '$2 > 0' "$TMP/stat.txt" | wc -l)" 3
check_eq "haproxy: the killed one is down" "$(awk -v s="s$V" '$1 == s {print $3}' "$TMP/stat.txt" | cut -c1-4)" DOWN

# the health checks (HTTPS to the admin ports, every 500 ms) are no failed handshakes
for i in 0 1 2; do
	[ "$i" = "$V" ] && continue
	curl -sk -H "Authorization: Bearer $(cat "$TMP/write.token")" \
		"https://127.0.0.1:${APORTS[i]}/metrics" >"$TMP/metrics$i.txt"
	check_eq "sztpd $i: no failed TLS handshake (device and admin ports)" \
		"$(awk '/^sztpd_tls_handshake_failures_total/ {s += $2} END {print s + 0}' "$TMP/metrics$i.txt")" 0
	check_contains "sztpd $i: its metrics were read" "$TMP/metrics$i.txt" 'sztpd_tls_handshake_failures_total{listener="device"}'
done

# ---- nothing acknowledged is missing -------------------------------------------------------
# per device: the registry's reports >= the acknowledged ones, bootstrap-complete too
Q "select serial, count(*), sum(case when type = 'bootstrap-complete' then 1 else 0 end)
   from progress where serial like 'SN-S-%' group by serial" | tr '|' ' ' | sort >"$TMP/stored.txt"
sort "$TMP/acked.txt" >"$TMP/acked.sorted"
check_eq "acknowledged: one line per device" "$(wc -l <"$TMP/acked.sorted")" "$N"
missing=$(join -a 1 -e 0 -o 1.1,1.4,1.6,2.2,2.3 "$TMP/acked.sorted" "$TMP/stored.txt" |
	awk '$4 < $2 || $5 < $3' | tee "$TMP/missing.txt" | wc -l)
check_eq "every acknowledged report is in the registry (devices short of one)" "$missing" 0
head -5 "$TMP/missing.txt"
ACKED=$(awk '{s += $4} END {print s}' "$TMP/acked.txt")
STORED=$(awk '{s += $2} END {print s}' "$TMP/stored.txt")
echo "reports: $ACKED acknowledged, $STORED stored"
check "reports: each device had more than 3 acknowledged" test "$ACKED" -gt $((3 * N))

# ---- a profile changed through one instance, served by the others -------------------------
printf 'hostname changed-%s\n' "$RANDOM" >"$TMP/config2.txt"
CFG64=$(base64 -w0 "$TMP/config2.txt")
A=$(((V + 1) % 3))
check "profile changed through sztpd $A's admin API" "$BIN/sztpctl" \
	--server "https://127.0.0.1:${APORTS[A]}" --cacert "$PKI/owner/ca.pem" \
	--token-file "$TMP/write.token" profile onboarding fleet --config "$TMP/config2.txt" \
	--config-handling merge --reporting verbose
GBD=restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data
# served I SERIAL: the configuration sztpd I sends to SERIAL, as base64
served() {
	curl -sk --cert "$PKI/devices/$2/chain.pem" --key "$PKI/devices/$2/idevid.key" \
		-H 'Content-Type: application/yang-data+json' -H 'Accept: application/yang-data+json' \
		-d '{"ietf-sztp-bootstrap-server:input":{"hw-model":"m1","os-name":"x","os-version":"1"}}' \
		"https://127.0.0.1:${PORTS[$1]}/$GBD" |
		jq -r '."ietf-sztp-bootstrap-server:output"."conveyed-information"' | base64 -d
}
for i in 0 1 2; do
	[ "$i" = "$V" ] && continue
	served "$i" SN-S-0001 >"$TMP/served$i.der" 2>/dev/null
	check "sztpd $i serves the changed profile at once (the next request)" \
		grep -qF "$CFG64" "$TMP/served$i.der"
done

# ---- webhook: every event once; the lease's takeover ----------------------------------------
TOTAL=$(Q "select count(*) from events where id > $L")
got_hook() { [ -f "$TMP/events.jsonl" ] && jq -r "select(.id > $L) | .id" "$TMP/events.jsonl" | sort -u | wc -l; }
for i in $(seq 1 300); do
	[ "$(got_hook)" = "$TOTAL" ] && break
	sleep 0.1
done
syslog_ids() { grep -o 'sztp@32473 id="[0-9]*"' "$TMP/syslog.log" | grep -o '[0-9]*"$' | tr -d '"'; }
got_syslog() { syslog_ids | awk -v l="$L" '$1 > l' | sort -u | wc -l; }
for i in $(seq 1 300); do
	[ "$(got_hook)" = "$TOTAL" ] && [ "$(got_syslog)" = "$TOTAL" ] && break
	sleep 0.1
done
check_eq "webhook: every event arrived" "$(got_hook)" "$TOTAL"
check_eq "webhook: no event twice (one instance delivers)" \
	"$(jq -r .id "$TMP/events.jsonl" | sort | uniq -d | wc -l)" 0
check_eq "syslog: every event arrived" "$(got_syslog)" "$TOTAL"
if [ "$SYSLOG_ONCE" = 1 ]; then
	check_eq "syslog: no event twice (one instance sends)" "$(syslog_ids | sort | uniq -d | wc -l)" 0
else
	echo "syslog: the killed sztpd was the sender: $(syslog_ids | sort | uniq -d | wc -l) events twice"
fi
echo "killing the webhook worker's sztpd (pid $HOLDER) with SIGKILL"
kill -KILL "$HOLDER"
wait "$HOLDER" 2>/dev/null
forget_pid "$HOLDER"
tk=$(date +%s)
S=0
while [ "${PIDS[S]}" = "$HOLDER" ] || [ "$S" = "$V" ]; do S=$((S + 1)); done
BEFORE=$(Q "select max(id) from events")
served "$S" SN-S-0002 >/dev/null 2>&1
LAST=$(Q "select max(id) from events")
check "an event after the holder died" test "$LAST" -gt "$BEFORE"
# LEASE_TTL_MS + LEASE_RENEW_MS = 13 s, then the delivery
for i in $(seq 1 200); do
	jq -e "select(.id == $LAST)" "$TMP/events.jsonl" >/dev/null 2>&1 && break
	sleep 0.1
done
check "webhook: that event arrived (another instance took over within 20 s)" \
	jq -e "select(.id == $LAST)" "$TMP/events.jsonl"
for i in $(seq 1 100); do
	syslog_ids | grep -qx "$LAST" && break
	sleep 0.1
done
check "syslog: that event was sent too" test "$(syslog_ids | grep -cx "$LAST")" -ge 1
echo "webhook takeover: $(($(date +%s) - tk)) s"
check_eq "the webhook lease is the survivor's" "$(holder_pid)" "${PIDS[S]}"
check_contains "the survivor logged the takeover" "$TMP/sztpd$S.log" "webhooks: this instance took the lease over"

check "the last sztpd stops cleanly" stop_clean "${PIDS[S]}"
stop_pid "$HAP"
echo "t_scaleout ($BACKEND): $(($(date +%s) - t0)) s"
e2e_finish
