#!/bin/bash
# End-to-end: one address cannot lock the other devices out.  While
# 127.0.0.1 holds as many idle connections as it can (300 sockets) and
# trickles headers on others, a device connecting from 127.0.0.2 is served
# promptly; 127.0.0.1 holds at most max-connections-per-address at once,
# and a connection whose request is not complete within request-timeout is
# closed even though bytes keep coming (first request and kept-alive
# next request alike).  Loopback only; counts and times are bounded.
. "$(dirname "$0")/lib.sh"
e2e_init t_flood

PKI=$TMP/pki
DB=$(e2e_db sztp)
PER_ADDR=24
RT=3 # request-timeout, s
IDLE=300
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }

"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 >/dev/null || { echo "sztp-pki init failed"; exit 1; }
printf 'hostname demo\n' >"$TMP/config.txt"
check "sztpctl init" CTL init
CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key" >/dev/null
CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge >/dev/null
check "enrol SN-1" CTL device add SN-1 --profile onb --voucher "$PKI/devices/SN-1/voucher.vcj"

PORT=$(free_port)
# max-connections 100: without the per-address limit, 300 idle sockets from
# one address would take every slot
cat >"$TMP/sztpd.conf" <<CONF
listen-address = 0.0.0.0
port = $PORT
tls-cert = $PKI/server/chain.pem
tls-key = $PKI/server/key.pem
client-ca = $PKI/manufacturer/root.pem
allow-root = yes
database = $DB
yang-dir = $TOP/yang
threads = 2
max-connections = 100
max-connections-per-address = $PER_ADDR
connection-timeout = 30
request-timeout = $RT
CONF
check "sztpd -n accepts the limits" "$BIN/sztpd" -n -c "$TMP/sztpd.conf"
e2e_bg "$TMP/sztpd.log" "$BIN/sztpd" -c "$TMP/sztpd.conf"
SZTPD=$E2E_LAST_PID
wait_https "$PORT" || { cat "$TMP/sztpd.log"; echo "sztpd did not start"; exit 1; }
check_contains "the limits are announced" "$TMP/sztpd.log" "at most 100 connections ($PER_ADDR per address), request-timeout ${RT}s"

GBD=https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data
# device FROM-ADDRESS OUT: one get-bootstrapping-data of SN-1; "STATUS SECONDS"
device() {
	curl -s -o "$2" -w '%{http_code} %{time_total}' -m 10 --interface "$1" \
		--resolve "localhost:$PORT:127.0.0.1" --cacert "$PKI/owner/ca.pem" \
		--cert "$PKI/devices/SN-1/chain.pem" --key "$PKI/devices/SN-1/idevid.key" \
		-H 'Content-Type: application/yang-data+json' \
		-d '{"ietf-sztp-bootstrap-server:input":{}}' "$GBD"
}
read -r st _ <<<"$(device 127.0.0.2 "$TMP/warm.json")"
check_eq "a device from 127.0.0.2 is served (before the flood)" "$st" 200

# ---- the flood, from 127.0.0.1 ------------------------------------------------
cat >"$TMP/flood.py" <<'PY'
import socket, ssl, sys, threading, time
import os
port, ca, n_idle, duration = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
ready_file, server_pid = sys.argv[5], sys.argv[6]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
res = {}
lock = threading.Lock()
t_start = time.monotonic()

def tls():
    s = socket.create_connection(('127.0.0.1', port), timeout=20)
    return ctx.wrap_socket(s, server_hostname='localhost')

def trickle(s, t0, name):
    """one header line every 0.5 s until the server closes; seconds since t0"""
    i = 0
    try:
        while time.monotonic() - t0 < 30:
            s.sendall(b'X-Trickle-%d: a\r\n' % i)
            i += 1
            s.settimeout(0.5)
            try:
                if not s.recv(4096):
                    break
            except (socket.timeout, TimeoutError):
                pass
    except (OSError, ssl.SSLError):
        pass
    with lock:
        res[name] = '%.2f' % (time.monotonic() - t0)

def trickle_first():
    t0 = time.monotonic()
    s = tls()
    s.sendall(b'GET /restconf HTTP/1.1\r\nHost: localhost\r\n')
    trickle(s, t0, 'trickle_first_closed_after')

def trickle_next():
    s = tls()
    s.sendall(b'GET /.well-known/host-meta HTTP/1.1\r\nHost: localhost\r\n\r\n')
    got = b''
    while b'</XRD>' not in got:
        b = s.recv(4096)
        if not b:
            break
        got += b
    with lock:
        res['trickle_next_first_answer'] = got.split(b' ')[1].decode() if got else 'none'
    t0 = time.monotonic()
    s.sendall(b'GET /restconf HTTP/1.1\r\nHost: localhost\r\n')
    trickle(s, t0, 'trickle_next_closed_after')

spans = []  # (open, close) of connections the server kept (> 0.5 s)
refused = [0]

def idle_slot():
    while time.monotonic() - t_start < duration:
        t0 = time.monotonic()
        try:
            s = socket.create_connection(('127.0.0.1', port), timeout=5)
        except OSError:
            time.sleep(0.05)
            continue
        s.settimeout(30)
        try:
            s.recv(1)  # the server sends nothing: returns when it closes
        except OSError:
            pass
        t1 = time.monotonic()
        s.close()
        with lock:
            if t1 - t0 > 0.5:
                spans.append((t0, t1))
            else:
                refused[0] += 1
        time.sleep(0.25)  # ~1,200 connections/s at most: a flood, not a machine-wide one

def held_now():
    """sztpd's accepted sockets from 127.0.0.1 (its descriptors, peers from
    /proc/net/tcp): what the server holds, not what the clients think"""
    inodes = set()
    for fd in os.listdir('/proc/%s/fd' % server_pid):
        try:
            l = os.readlink('/proc/%s/fd/%s' % (server_pid, fd))
        except OSError:
            continue
        if l.startswith('socket:['):
            inodes.add(l[8:-1])
    mine = set()
    with open('/proc/net/tcp') as f:
        next(f)
        for line in f:
            v = line.split()
            local, remote, ino = v[1], v[2], v[9]
            if ino in inodes and int(local.split(':')[1], 16) == port \
                    and remote.split(':')[0] == '0100007F':
                mine.add(ino)
    return mine

def sampler():
    # a socket counts when it is there in two samples 20 ms apart: one
    # accepted only to be closed at once (over the limit) does not
    prev, best = set(), 0
    while time.monotonic() - t_start < duration:
        cur = held_now()
        best = max(best, len(cur & prev))
        prev = cur
        time.sleep(0.02)
    res['held_max'] = best

ts = [threading.Thread(target=trickle_first), threading.Thread(target=trickle_next),
      threading.Thread(target=sampler)]
for t in ts:
    t.start()
time.sleep(0.5)  # the tricklers have their slots
idle = [threading.Thread(target=idle_slot) for _ in range(n_idle)]
for t in idle:
    t.start()
time.sleep(1.0)
open(ready_file, 'w').write('ready\n')
for t in ts + idle:
    t.join()
res['held_total'] = len(spans)
res['refused'] = refused[0]
res['held_longest'] = '%.2f' % max([b - a for a, b in spans] or [0])
for k in sorted(res):
    print(k, res[k])
PY
python3 "$TMP/flood.py" "$PORT" "$PKI/owner/ca.pem" "$IDLE" 8 "$TMP/ready" "$SZTPD" >"$TMP/flood.out" 2>"$TMP/flood.err" &
FLOOD=$!
for _ in $(seq 1 100); do
	[ -e "$TMP/ready" ] && break
	sleep 0.1
done
check "the flood is under way" test -e "$TMP/ready"
# the device, three times during the flood
for i in 1 2 3; do
	read -r st secs <<<"$(device 127.0.0.2 "$TMP/dev$i.json")"
	echo "device from 127.0.0.2 during the flood: status $st in ${secs}s"
	check_eq "device served during the flood ($i)" "$st" 200
	sleep 1.5
done
check_contains "the device got its conveyed information" "$TMP/dev3.json" "conveyed-information"
wait "$FLOOD"
check_eq "the flood script ran" "$?" 0
cat "$TMP/flood.err" >&2
val() { sed -n "s/^$1 //p" "$TMP/flood.out"; }
cat "$TMP/flood.out" | sed 's/^/flood: /'
check "127.0.0.1 held at most $PER_ADDR connections at once (held $(val held_max))" \
	test "$(val held_max)" -le "$PER_ADDR"
check "the per-address limit refused most of the $IDLE sockets ($(val refused))" \
	test "$(val refused)" -ge "$IDLE"
check "and the flood did fill them (held $(val held_max) at once)" \
	test "$(val held_max)" -ge $((PER_ADDR / 2))
# the deadline: request-timeout from accept, plus the reaper's tick and slack
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
check "no idle connection outlived request-timeout ($(val held_longest)s)" \
	within "$(val held_longest)" 0 $((RT + 2))
check "a trickled first request is closed at its deadline ($(val trickle_first_closed_after)s)" \
	within "$(val trickle_first_closed_after)" $((RT - 1)) $((RT + 2))
check_eq "kept-alive: the first request was answered" "$(val trickle_next_first_answer)" 200
check "a trickled next request is closed at its deadline ($(val trickle_next_closed_after)s)" \
	within "$(val trickle_next_closed_after)" $((RT - 1)) $((RT + 2))
check_contains "sztpd logs the connections it closed" "$TMP/sztpd.log" \
	"whose request was not complete within request-timeout (${RT}s)"

# ---- afterwards ---------------------------------------------------------------
read -r st _ <<<"$(device 127.0.0.1 "$TMP/after.json")"
check_eq "127.0.0.1 is served again once it lets go" "$st" 200
check "sztpd still runs" kill -0 "$SZTPD"
check "sztpd stops on SIGTERM with status 0" stop_clean "$SZTPD"
e2e_finish
