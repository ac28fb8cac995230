#!/bin/bash
# End-to-end (issue 9): SIGHUP reloads the server certificate and key and
# the manufacturer anchors without dropping connections or losing
# reports.  New handshakes see the new certificate (openssl s_client,
# fingerprints compared); a connection opened before keeps working (a
# keep-alive connection of Python's http.client, the same socket before
# and after); reports sent by several clients while sztpd reloads again
# and again are all answered 204 and all stored; a reload that cannot
# load (a key of another certificate, anchors that do not parse) keeps
# what is in use and logs why; new anchors apply at once (the cache of
# verified chains is emptied).
. "$(dirname "$0")/lib.sh"
e2e_init t_reload

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_YANG_DIR=$TOP/yang SZTP_MASA_CA=$PKI/manufacturer/root.pem
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
CTL init >/dev/null || { echo "sztpctl init failed"; exit 1; }
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 --serial SN-2 >/dev/null || { echo "sztp-pki init failed"; exit 1; }
# a second server certificate from the same CA, and one from elsewhere
"$BIN/sztp-pki" leaf --ca "$PKI/owner" --out "$TMP/srv2" --serial SRV-2 --server \
	--san DNS:localhost,IP:127.0.0.1 >/dev/null || { echo "sztp-pki leaf failed"; exit 1; }
printf 'hostname demo\n' >"$TMP/config.txt"
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile" CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge --reporting verbose
check "enrol SN-1" CTL device add SN-1 --profile onb
check "enrol SN-2" CTL device add SN-2 --profile onb

# the files sztpd is configured with; the test replaces them
mkdir -m 700 "$TMP/etc"
cp "$PKI/server/chain.pem" "$TMP/etc/chain.pem"
install -m 600 "$PKI/server/key.pem" "$TMP/etc/key.pem"
cp "$PKI/manufacturer/root.pem" "$TMP/etc/ca.pem"
PORT=$(free_port)
cat >"$TMP/sztpd.conf" <<CONF
listen-address = 127.0.0.1
port = $PORT
tls-cert = $TMP/etc/chain.pem
tls-key = $TMP/etc/key.pem
client-ca = $TMP/etc/ca.pem
database = $DB
yang-dir = $TOP/yang
threads = 2
allow-root = yes
CONF
e2e_bg "$TMP/sztpd.log" "$BIN/sztpd" -c "$TMP/sztpd.conf"
SZTPD=$E2E_LAST_PID
wait_https "$PORT" || { cat "$TMP/sztpd.log"; echo "sztpd did not start"; exit 1; }

BASE=https://localhost:$PORT
RP=$BASE/restconf/operations/ietf-sztp-bootstrap-server:report-progress
GBD=$BASE/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data
JSON='Content-Type: application/yang-data+json'
fpr() { openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//'; }
# the fingerprint of the leaf a new handshake gets
served() {
	openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -showcerts </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//'
}
# hup N: SIGHUP, then wait until the log shows N reload lines
hup() {
	local i
	kill -HUP "$SZTPD"
	for i in $(seq 1 50); do
		[ "$(grep -c 'SIGHUP: reloading' "$TMP/sztpd.log")" -ge "$1" ] &&
			[ "$(grep -cE 'reload: (server certificate|keeping the server)' "$TMP/sztpd.log")" -ge "$1" ] &&
			[ "$(grep -cE 'reload: (manufacturer anchors|keeping the manufacturer)' "$TMP/sztpd.log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
OLD=$(fpr "$PKI/server/cert.pem")
NEW=$(fpr "$TMP/srv2.pem")
check_eq "before: the first certificate is served" "$(served)" "$OLD"

# ---- a connection opened before the reload ------------------------------------------
cat "$PKI/owner/ca.pem" >"$TMP/cas.pem"
cat >"$TMP/keepalive.py" <<'PY'
import hashlib, http.client, os, ssl, sys, time
port, ca, cert, key, flag, out = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
c = http.client.HTTPSConnection("localhost", int(port), context=ctx, timeout=20)
c.request("GET", "/.well-known/host-meta")
r = c.getresponse(); r.read()
first = (r.status, r.will_close)
sock = c.sock
peer = hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest()
open(out + ".ready", "w").close()
for _ in range(200):                       # until the reload is done
    if os.path.exists(flag):
        break
    time.sleep(0.05)
body = '{"ietf-sztp-bootstrap-server:input":{"progress-type":"informational","message":"kept-alive"}}'
c.request("POST", "/restconf/operations/ietf-sztp-bootstrap-server:report-progress", body,
          {"Content-Type": "application/yang-data+json"})
r = c.getresponse(); r.read()
same = c.sock is sock
with open(out, "w") as f:
    f.write("first=%d,%s second=%d same-socket=%s peer=%s\n" % (first[0], first[1], r.status, same, peer))
PY
python3 "$TMP/keepalive.py" "$PORT" "$TMP/cas.pem" "$PKI/devices/SN-1/chain.pem" \
	"$PKI/devices/SN-1/idevid.key" "$TMP/reloaded" "$TMP/keepalive.out" >"$TMP/keepalive.err" 2>&1 &
KA=$!
for i in $(seq 1 100); do [ -e "$TMP/keepalive.out.ready" ] && break; sleep 0.1; done
check "the kept-alive connection is open" test -e "$TMP/keepalive.out.ready"

# ---- replace the certificate and key, SIGHUP ---------------------------------------------
cp "$TMP/srv2-chain.pem" "$TMP/etc/chain.pem.new" && mv "$TMP/etc/chain.pem.new" "$TMP/etc/chain.pem"
install -m 600 "$TMP/srv2.key" "$TMP/etc/key.pem.new" && mv "$TMP/etc/key.pem.new" "$TMP/etc/key.pem"
check "SIGHUP 1 done" hup 1
check_eq "after: a new handshake gets the new certificate" "$(served)" "$NEW"
check_contains "the log names it" "$TMP/sztpd.log" "reload: server certificate serialNumber=SRV-2,CN=SRV-2"
touch "$TMP/reloaded"
wait "$KA"
check_eq "the connection opened before: still served, same socket" \
	"$(sed 's/ peer=.*//' "$TMP/keepalive.out" 2>/dev/null)" "first=200,False second=204 same-socket=True"
OLD_HEX=$(echo "$OLD" | tr -d ':' | tr 'A-F' 'a-f')
check_contains "and it still speaks with the old certificate" "$TMP/keepalive.out" "peer=$OLD_HEX"
check_eq "its report is stored" "$(db_q "select count(*) from progress where message='kept-alive'")" 1

# ---- a reload that cannot load keeps what is in use --------------------------------------
install -m 600 "$PKI/server/key.pem" "$TMP/etc/key.pem" # the key of the other certificate
check "SIGHUP 2 done" hup 2
check_contains "the bad pair is refused, and why" "$TMP/sztpd.log" \
	"reload: keeping the server certificate in use: tls-key $TMP/etc/key.pem does not match the certificate in tls-cert $TMP/etc/chain.pem"
check_eq "the certificate in use stays" "$(served)" "$NEW"
cp "$PKI/server/chain.pem" "$TMP/etc/chain.pem" # now they match again (the first pair)

# ---- reports around reloads: every one answered and stored --------------------------------
sender() { # SERIAL TAG N: N reports, each on a new connection; prints the status codes
	local i
	for i in $(seq 1 "$3"); do
		curl -s -o /dev/null -w '%{http_code}\n' --cacert "$TMP/cas.pem" \
			--cert "$PKI/devices/$1/chain.pem" --key "$PKI/devices/$1/idevid.key" -H "$JSON" \
			-d "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":\"informational\",\"message\":\"$2-$i\"}}" "$RP"
	done
}
N=40
sender SN-1 a "$N" >"$TMP/a.codes" &
PA=$!
sender SN-2 b "$N" >"$TMP/b.codes" &
PB=$!
sender SN-1 c "$N" >"$TMP/c.codes" &
PC=$!
k=2
for swap in 1 2 3 4; do
	sleep 0.3
	if [ $((swap % 2)) -eq 1 ]; then
		cp "$TMP/srv2-chain.pem" "$TMP/etc/chain.pem" && install -m 600 "$TMP/srv2.key" "$TMP/etc/key.pem"
	else
		cp "$PKI/server/chain.pem" "$TMP/etc/chain.pem" && install -m 600 "$PKI/server/key.pem" "$TMP/etc/key.pem"
	fi
	k=$((k + 1))
	hup "$k" || fail "SIGHUP $k not done"
done
wait "$PA" "$PB" "$PC"
check_eq "every report answered 204" "$(cat "$TMP"/[abc].codes | sort | uniq -c | sed 's/^ *//')" "$((3 * N)) 204"
check_eq "every report stored" \
	"$(db_q "select count(*) from progress where message like 'a-%' or message like 'b-%' or message like 'c-%'")" \
	"$((3 * N))"
check "sztpd is the same process" kill -0 "$SZTPD"

# ---- anchors: new ones apply at once (the verified chains are forgotten) --------------------
gbd() {
	curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/cas.pem" --cert "$PKI/devices/SN-1/chain.pem" \
		--key "$PKI/devices/SN-1/idevid.key" -H "$JSON" -d '{"ietf-sztp-bootstrap-server:input":{}}' "$GBD"
}
check_eq "SN-1 bootstraps" "$(gbd)" 200
"$BIN/sztp-pki" ca --out "$TMP/other-ca" --name "Other Manufacturer" >/dev/null
cp "$TMP/other-ca/ca.pem" "$TMP/etc/ca.pem"
k=$((k + 1))
check "SIGHUP $k done (other anchors)" hup "$k"
check_eq "SN-1's IDevID is refused at once (no stale cache)" "$(gbd)" 401
printf 'not a certificate\n' >"$TMP/etc/ca.pem"
k=$((k + 1))
check "SIGHUP $k done (anchors that do not parse)" hup "$k"
check_contains "unparsable anchors are refused, and why" "$TMP/sztpd.log" \
	"reload: keeping the manufacturer anchors in use: client-ca: $TMP/etc/ca.pem"
check_eq "the anchors in use stay (still refused)" "$(gbd)" 401
cp "$PKI/manufacturer/root.pem" "$TMP/etc/ca.pem"
k=$((k + 1))
check "SIGHUP $k done (the manufacturer again)" hup "$k"
check_eq "SN-1 bootstraps again" "$(gbd)" 200
check "sztpd stops cleanly" stop_clean "$SZTPD"
e2e_finish
