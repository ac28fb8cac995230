#!/bin/bash
# End-to-end: SIGTERM under load loses no acknowledgement.  Devices send
# report-progress calls on kept-alive connections, each report with its own
# message, while sztpd is stopped.  Afterwards every report in the registry
# was answered 204 to its device and every 204 is in the registry (counted
# exactly on both sides).  The devices then resend what was not
# acknowledged to a restarted sztpd, and every report is stored exactly
# once: a stop makes no duplicates.
. "$(dirname "$0")/lib.sh"
e2e_init t_stop

PKI=$TMP/pki
DB=$(e2e_db sztp)
NDEV=8
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }

serials=()
for i in $(seq 1 $NDEV); do serials+=(--serial "SN-$i"); done
"$BIN/sztp-pki" init --out "$PKI" "${serials[@]}" >/dev/null || { echo "sztp-pki init failed"; exit 1; }
check "sztpctl init" CTL init
CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key" >/dev/null
for i in $(seq 1 $NDEV); do
	CTL device add "SN-$i" >/dev/null || fail "enrol SN-$i"
done

PORT=$(free_port)
sztpd_conf "threads = 2" >"$TMP/sztpd.conf"

# devices.py PORT PKI N OUT MODE: N devices report on kept-alive connections.
# MODE load: until the server is gone (60 s at most), each line of OUT is
# "MESSAGE OUTCOME" (204, another status, or the error before an answer).
# MODE resend FILE: send each message of FILE again (one device per serial).
cat >"$TMP/devices.py" <<'PY'
import http.client, json, ssl, sys, threading, time
port, pki, n, out, mode = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
PATH = '/restconf/operations/ietf-sztp-bootstrap-server:report-progress'
lock = threading.Lock()
lines = []

def conn_for(i):
    ctx = ssl.create_default_context(cafile=pki + '/owner/ca.pem')
    ctx.check_hostname = False
    d = '%s/devices/SN-%d/' % (pki, i)
    ctx.load_cert_chain(d + 'chain.pem', d + 'idevid.key')
    return http.client.HTTPSConnection('127.0.0.1', port, context=ctx, timeout=10)

def report(c, msg):
    body = json.dumps({'ietf-sztp-bootstrap-server:input': {
        'progress-type': 'informational', 'message': msg}})
    try:
        c.request('POST', PATH, body, {'Content-Type': 'application/yang-data+json'})
        r = c.getresponse()
        r.read()
        if r.getheader('Connection', '').lower() == 'close':
            c.close()
        return str(r.status)
    except Exception as e:
        c.close()
        return type(e).__name__

def load(i):
    c = conn_for(i)
    t0, seq, failed = time.monotonic(), 0, 0
    while time.monotonic() - t0 < 60 and failed < 20:
        msg = 'SN-%d-%d' % (i, seq)
        seq += 1
        o = report(c, msg)
        with lock:
            lines.append('%s %s' % (msg, o))
        if o == '204':
            failed = 0
        else:
            failed += 1
            time.sleep(0.05)

def resend(i, msgs):
    c = conn_for(i)
    for m in msgs:
        o = report(c, m)
        with lock:
            lines.append('%s %s' % (m, o))

if mode == 'load':
    ts = [threading.Thread(target=load, args=(i,)) for i in range(1, n + 1)]
else:
    todo = {}
    for m in open(sys.argv[6]).read().split():
        todo.setdefault(int(m.split('-')[1]), []).append(m)
    ts = [threading.Thread(target=resend, args=(i, todo[i])) for i in todo]
for t in ts:
    t.start()
for t in ts:
    t.join()
open(out, 'w').write(''.join(l + '\n' for l in lines))
PY

start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID

python3 "$TMP/devices.py" "$PORT" "$PKI" $NDEV "$TMP/load.out" load 2>"$TMP/load.err" &
LOAD=$!
# SIGTERM once the load is going (slow builds, e.g. make tsan, take longer)
for _ in $(seq 1 400); do
	n=$(db_q 'select count(*) from progress' 2>/dev/null || echo 0)
	[ "${n:-0}" -ge 200 ] && break
	sleep 0.05
done
sleep 0.5
check "sztpd stops on SIGTERM under load with status 0" stop_clean "$SZTPD"
wait "$LOAD"
check_eq "the devices ran" "$?" 0
cat "$TMP/load.err" >&2

awk '$2 == "204" { print $1 }' "$TMP/load.out" | sort >"$TMP/acked"
db_q 'select message from progress' | sort >"$TMP/stored"
sent=$(wc -l <"$TMP/load.out")
acked=$(wc -l <"$TMP/acked")
stored=$(wc -l <"$TMP/stored")
echo "reports sent $sent, answered 204: $acked, stored: $stored; the others:"
awk '$2 != "204" { print $2 }' "$TMP/load.out" | sort | uniq -c | sed 's/^/   /'
check "there was load ($acked reports acknowledged)" test "$acked" -ge 200
check "the devices saw the stop ($((sent - acked)) reports not acknowledged)" test "$sent" -gt "$acked"
check_eq "every report stored was answered 204, every 204 is stored" \
	"$(comm -3 "$TMP/acked" "$TMP/stored" | wc -l)" 0
comm -3 "$TMP/acked" "$TMP/stored" | head -5 | sed 's/^/    | /' >&2
check_contains "the stop is logged" "$TMP/sztpd.log" "signal 15: stopping"
check_not_contains "no answer was left unsent" "$TMP/sztpd.log" "answer(s) not sent"

# ---- the devices resend what was not acknowledged --------------------------------
awk '$2 != "204" { print $1 }' "$TMP/load.out" >"$TMP/unacked"
e2e_bg "$TMP/sztpd2.log" "$BIN/sztpd" -c "$TMP/sztpd.conf"
SZTPD=$E2E_LAST_PID
wait_https "$PORT" || { cat "$TMP/sztpd2.log"; echo "sztpd did not restart"; exit 1; }
python3 "$TMP/devices.py" "$PORT" "$PKI" $NDEV "$TMP/resend.out" resend "$TMP/unacked"
check_eq "every resent report is acknowledged" \
	"$(awk '$2 != "204"' "$TMP/resend.out" | wc -l)" 0
check "sztpd stops with status 0" stop_clean "$SZTPD"
check_eq "every report sent is stored" \
	"$(db_q 'select count(distinct message) from progress')" "$sent"
check_eq "and stored once: no duplicates from resends" \
	"$(db_q 'select count(*) - count(distinct message) from progress')" 0
e2e_finish
