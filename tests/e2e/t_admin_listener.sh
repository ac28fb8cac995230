#!/bin/bash
# t_admin_listener.sh - sztpd's admin API listener (issue 10), the real
# sztpd driven by the real curl: the admin port (loopback) serves /api/v1
# with its own certificate and nothing else; the device port never serves
# /api/v1; who may ask (an admin client certificate from admin-client-ca,
# a bearer token, nobody: 401 with WWW-Authenticate; a device's IDevID is
# nobody here); bodies over admin-max-body get 413 and a stranger's body
# is never taken; problem+json everywhere; one audit line per request;
# sztpd -n refuses a bad admin key; SIGHUP swaps the admin certificate
# alone; the stop is clean.
. "$(dirname "$0")/lib.sh"
e2e_init t_admin_listener

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }

# ---- PKI: the fleet's, an admin CA (NMS clients, the admin server cert) ----
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 >/dev/null ||
	{ echo "sztp-pki init failed"; echo "t_admin_listener: 0 passed, 1 failed"; exit 1; }
A=$TMP/admin
mkdir -p "$A"
"$BIN/sztp-pki" ca --out "$A/ca" --name "Admin CA" >/dev/null
"$BIN/sztp-pki" leaf --ca "$A/ca" --out "$A/nms" --serial NMS-1 --client >/dev/null
"$BIN/sztp-pki" leaf --ca "$A/ca" --out "$A/srv" --serial ADMIN-SRV --server \
	--san DNS:localhost,IP:127.0.0.1 >/dev/null
"$BIN/sztp-pki" ca --out "$A/ca2" --name "Admin CA 2" >/dev/null
"$BIN/sztp-pki" leaf --ca "$A/ca2" --out "$A/srv2" --serial ADMIN-SRV-2 --server \
	--san DNS:localhost,IP:127.0.0.1 >/dev/null
chmod 600 "$A"/*.key
check "sztpctl init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
printf 'hostname demo\n' >"$TMP/config.txt"
check "profile" CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge
check "enrol SN-1" CTL device add SN-1 --profile onb --voucher "$PKI/devices/SN-1/voucher.vcj"

OPENAPI=$TOP/docs/openapi.json
admin_ports
admin_conf() {
	sztpd_conf "threads = 2" "admin-port = $APORT" "admin-cert = $A/srv-chain.pem" \
		"admin-key = $A/srv.key" "admin-client-ca = $A/ca/ca.pem" "admin-max-body = 65536" \
		"masa-ca = $PKI/manufacturer/root.pem" "admin-openapi = $OPENAPI" "$@"
}
admin_conf >"$TMP/sztpd.conf"

# ---- sztpd -n: the admin listener's files, checked like the device port's --
check "sztpd -n accepts the admin listener's config" "$BIN/sztpd" -n -c "$TMP/sztpd.conf"
# refused WHAT WANT SED: sztpd -n refuses the config edited by SED, saying WANT
refused() {
	admin_conf | sed "$3" >"$TMP/refused.conf"
	"$BIN/sztpd" -n -c "$TMP/refused.conf" >"$TMP/refused.out" 2>&1
	check_eq "sztpd -n refuses $1" "$?" 1
	check_contains "sztpd -n: $1, named" "$TMP/refused.out" "$2"
}
cp "$A/srv.key" "$TMP/loose.key" && chmod 644 "$TMP/loose.key"
refused "an admin key others can read" "admin-key: key file $TMP/loose.key has mode 0644" \
	"s|^admin-key = .*|admin-key = $TMP/loose.key|"
refused "an admin key of another certificate" \
	"admin-key $PKI/server/key.pem does not match the certificate in admin-cert $A/srv-chain.pem" \
	"s|^admin-key = .*|admin-key = $PKI/server/key.pem|"
refused "admin-cert without admin-key" "admin-cert and admin-key go together" "/^admin-key/d"
refused "a missing admin-client-ca" "admin-client-ca $TMP/nope.pem" \
	"s|^admin-client-ca = .*|admin-client-ca = $TMP/nope.pem|"
refused "admin-port = port" "admin-port $PORT is the device port" "s|^admin-port = .*|admin-port = $PORT|"
refused "a missing admin-openapi" "admin-openapi $TMP/nope.json: cannot be read" \
	"s|^admin-openapi = .*|admin-openapi = $TMP/nope.json|"

# ---- start --------------------------------------------------------------------
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID
check "the admin port answers" wait_https "$APORT"
check_contains "admin listener on loopback" "$TMP/sztpd.log" "admin: listening on [127.0.0.1]:$APORT, 2 threads"

AU=https://localhost:$APORT
DU=https://localhost:$PORT
NMS=(--cacert "$A/ca/ca.pem" --cert "$A/nms-chain.pem" --key "$A/nms.key")
DEV=(--cert "$PKI/devices/SN-1/chain.pem" --key "$PKI/devices/SN-1/idevid.key")
# req NAME ARGS...: curl; status in $code, headers $TMP/NAME.h, body $TMP/NAME.b
req() {
	local n=$1
	shift
	code=$(curl -s -D "$TMP/$n.h" -o "$TMP/$n.b" -w '%{http_code}' "$@")
}
GBD=/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data

# its own certificate: the admin CA's server certificate, not the device port's
req tls-a --cacert "$A/ca/ca.pem" "$AU/api/v1/devices"
check_eq "admin port: TLS verifies with the admin CA" "$code" 401
curl -s -o /dev/null --cacert "$PKI/owner/ca.pem" "$AU/api/v1/devices"
check_eq "admin port: not the device port's certificate (curl exit 60)" "$?" 60
req tls-d --cacert "$PKI/owner/ca.pem" "${DEV[@]}" -H 'Content-Type: application/yang-data+json' \
	-d '{"ietf-sztp-bootstrap-server:input":{}}' "$DU$GBD"
check_eq "device port: its own certificate, device served" "$code" 200

# nobody: 401, problem+json, the Bearer challenge, no-store
req anon --cacert "$A/ca/ca.pem" "$AU/api/v1/devices"
check_eq "no credentials: 401" "$code" 401
check_contains "401 is problem+json" "$TMP/anon.h" "Content-Type: application/problem+json"
check_contains "401 names the Bearer scheme" "$TMP/anon.h" 'WWW-Authenticate: Bearer realm="sztpd"'
check_contains "admin answers are not cached" "$TMP/anon.h" "Cache-Control: no-store"
check_contains "401 body" "$TMP/anon.b" '"type":"urn:sztp:problem:unauthorized"'
check_contains "401 body status" "$TMP/anon.b" '"status":401'
req idevid --cacert "$A/ca/ca.pem" "${DEV[@]}" "$AU/api/v1/devices"
check_eq "a device's IDevID is no admin credential: 401" "$code" 401
req badtok --cacert "$A/ca/ca.pem" -H 'Authorization: Bearer sztp_not-a-token' "$AU/api/v1/devices"
check_eq "an unknown bearer token: 401" "$code" 401
req basic --cacert "$A/ca/ca.pem" -u SN-1:pw "$AU/api/v1/devices"
check_eq "HTTP Basic is no admin credential: 401" "$code" 401

# an admin client certificate from admin-client-ca authenticates
req nms "${NMS[@]}" "$AU/api/v1/devices"
case $code in 200 | 501) pass ;; *) fail "admin client certificate: GET /api/v1/devices: $code" ;; esac
check_not_contains "admin client certificate: not 401" "$TMP/nms.b" "unauthorized"
req doc "${NMS[@]}" "$AU/api/v1"
check_eq "GET /api/v1: the OpenAPI document" "$code" 200
check "the document served is admin-openapi's" cmp "$TMP/doc.b" "$OPENAPI"
etag=$(sed -n 's/^ETag: \(.*\)\r$/\1/p' "$TMP/doc.h")
check "the document has an ETag" test -n "$etag"
req doc304 "${NMS[@]}" -H "If-None-Match: $etag" "$AU/api/v1"
check_eq "If-None-Match with its ETag: 304" "$code" 304
req m405 "${NMS[@]}" -X PUT "$AU/api/v1/devices"
check_eq "PUT /api/v1/devices: 405" "$code" 405
check_contains "405 says what is allowed" "$TMP/m405.h" "Allow: GET, POST"
# the path reaches the API still percent-encoded: %2F is part of a serial
req enc "${NMS[@]}" "$AU/api/v1/devices/SN%2F1"
check_not_contains "%2F stays inside one segment" "$TMP/enc.b" "no such route"
req dec "${NMS[@]}" "$AU/api/v1/devices/SN/1"
check_eq "a real / is another route: 404" "$code" 404
check_contains "... no such route" "$TMP/dec.b" "no such route: /api/v1/devices/SN/1"
req nul "${NMS[@]}" "$AU/api/v1/devices/SN%001"
check_eq "a %00 in the target: 400" "$code" 400
check_contains "400 is problem+json" "$TMP/nul.b" '"type":"urn:sztp:problem:malformed-request"'

# ---- each port serves only its own routes ----------------------------------------
for p in /.well-known/host-meta /restconf /restconf/operations /restconf/yang-library-version; do
	req dp "${NMS[@]}" "$AU$p"
	check_eq "admin port: GET $p is 404" "$code" 404
	check_contains "admin port: $p answered by the admin API" "$TMP/dp.b" '"type":"urn:sztp:problem:not-found"'
done
req dgbd --cacert "$A/ca/ca.pem" "${DEV[@]}" -H 'Content-Type: application/yang-data+json' \
	-d '{"ietf-sztp-bootstrap-server:input":{}}' "$AU$GBD"
check_eq "admin port: a device's get-bootstrapping-data is 404" "$code" 404
for p in /api/v1 /api/v1/devices /api/v1/progress /api/v1/tokens; do
	req ap --cacert "$PKI/owner/ca.pem" "${DEV[@]}" "$DU$p"
	check_eq "device port: GET $p is 404" "$code" 404
	check_contains "device port: $p answered by RESTCONF" "$TMP/ap.b" '"error-message":"no such resource"'
done
req ap2 --cacert "$PKI/owner/ca.pem" --cert "$A/nms-chain.pem" --key "$A/nms.key" "$DU/api/v1/devices"
check_eq "device port: /api/v1/devices with an admin certificate is 404 too" "$code" 404

# ---- bodies -----------------------------------------------------------------------
head -c 100000 /dev/zero | tr '\0' ' ' >"$TMP/big.json"
req big "${NMS[@]}" -H 'Content-Type: application/json' -H 'Expect: 100-continue' \
	--data-binary @"$TMP/big.json" "$AU/api/v1/bulk/devices"
check_eq "a body over admin-max-body (waiting for 100 Continue): 413" "$code" 413
check_contains "413 is problem+json" "$TMP/big.b" '"type":"urn:sztp:problem:too-large"'
check_contains "413 names the limit" "$TMP/big.b" "admin-max-body"
req big2 "${NMS[@]}" -H 'Content-Type: application/json' -H 'Expect:' \
	--data-binary @"$TMP/big.json" "$AU/api/v1/bulk/devices"
check_eq "a body over admin-max-body (sent at once): 413" "$code" 413
req big3 --cacert "$A/ca/ca.pem" -H 'Content-Type: application/json' -H 'Expect:' \
	--data-binary @"$TMP/big.json" "$AU/api/v1/bulk/devices"
check_eq "a stranger's body: 401, not taken" "$code" 401
req small "${NMS[@]}" -H 'Content-Type: application/json' -d '{"devices":[]}' "$AU/api/v1/bulk/devices"
case $code in 400 | 501) pass ;; *) fail "a body under the limit reaches the API: $code" ;; esac

# HEAD: the GET's head, no body
code=$(curl -s -o /dev/null -D "$TMP/head.h" -w '%{http_code}' "${NMS[@]}" -I "$AU/api/v1")
check_eq "HEAD /api/v1: 200" "$code" 200
check_contains "HEAD: the GET's ETag" "$TMP/head.h" "ETag: $etag"

# ---- the registry file lost: writes are refused (503), not lost ----------------------
# (SQLite only: a PostgreSQL registry has no file; its server going away
# is t_failover's)
if ! e2e_pg; then
mv "$DB" "$DB.away"
for i in $(seq 1 40); do
	req lost "${NMS[@]}" -H 'Content-Type: application/json' -d '{"serial":"SN-L"}' "$AU/api/v1/devices"
	[ "$code" = 503 ] && break
	sleep 0.1
done
check_eq "registry lost: an admin write is 503" "$code" 503
check_contains "503 says when to come back" "$TMP/lost.h" "Retry-After: 30"
check_contains "503 is problem+json" "$TMP/lost.b" '"type":"urn:sztp:problem:unavailable"'
mv "$DB.away" "$DB"
for i in $(seq 1 40); do
	req back "${NMS[@]}" -H 'Content-Type: application/json' -d '{"serial":"SN-L"}' "$AU/api/v1/devices"
	[ "$code" != 503 ] && break
	sleep 0.1
done
check "registry back: admin writes are served again" test "$code" != 503
fi

# ---- the audit line -------------------------------------------------------------
check_contains "audit: the certificate's actor" "$TMP/sztpd.log" 'admin-audit actor="cert:serialNumber=NMS-1,CN=NMS-1'
check_contains "audit: method, raw path, status" "$TMP/sztpd.log" "method=GET path=/api/v1/devices/SN%2F1 status="
check_contains "audit: nobody is -" "$TMP/sztpd.log" "admin-audit actor=- peer=127.0.0.1 method=GET path=/api/v1/devices status=401"
check_contains "audit: why a certificate was refused" "$TMP/sztpd.log" 'reason="client certificate: certificate serialNumber=SN-1'
check_not_contains "audit: never the token" "$TMP/sztpd.log" "sztp_not-a-token"

# ---- bearer tokens (sztpctl token) ------------------------------------------------
check "sztpctl token create (write) prints a token" ctl_token "$DB" nms-rw write "$TMP/tok"
check "sztpctl token create (read) prints a token" ctl_token "$DB" nms-ro read "$TMP/tokr"
TOK=$(cat "$TMP/tok")
TOKR=$(cat "$TMP/tokr")
req tok --cacert "$A/ca/ca.pem" -H "Authorization: Bearer $TOK" "$AU/api/v1/devices"
check_eq "a write token reads: 200" "$code" 200
req tokr --cacert "$A/ca/ca.pem" -H "Authorization: Bearer $TOKR" \
	-H 'Content-Type: application/json' -d '{"serial":"SN-T"}' "$AU/api/v1/devices"
check_eq "a read token writes: 403" "$code" 403
check_contains "audit: the token's name" "$TMP/sztpd.log" "admin-audit actor=token:nms-rw"
check_not_contains "audit: never the secret" "$TMP/sztpd.log" "$TOK"
check "sztpctl token revoke" CTL token revoke nms-rw
req tokx --cacert "$A/ca/ca.pem" -H "Authorization: Bearer $TOK" "$AU/api/v1/devices"
check_eq "a revoked token: 401" "$code" 401

# ---- SIGHUP: the admin certificate alone is swapped -------------------------------
cp "$A/srv2-chain.pem" "$A/srv-chain.pem"
cp "$A/srv2.key" "$A/srv.key"
kill -HUP "$SZTPD"
for i in $(seq 1 50); do
	grep -q "reload: admin certificate" "$TMP/sztpd.log" && break
	sleep 0.1
done
check_contains "SIGHUP reloads the admin certificate" "$TMP/sztpd.log" "reload: admin certificate serialNumber=ADMIN-SRV-2"
req hup --cacert "$A/ca2/ca.pem" "$AU/api/v1/devices"
check_eq "admin port: the new certificate after SIGHUP" "$code" 401
req hupd --cacert "$PKI/owner/ca.pem" "${DEV[@]}" -H 'Content-Type: application/yang-data+json' \
	-d '{"ietf-sztp-bootstrap-server:input":{}}' "$DU$GBD"
check_eq "device port: its own certificate still" "$code" 200
req hupn --cacert "$A/ca2/ca.pem" --cert "$A/nms-chain.pem" --key "$A/nms.key" "$AU/api/v1/devices"
check_not_contains "the admin client CA still authenticates" "$TMP/hupn.b" "unauthorized"

# ---- admin-client-scope = read: a certificate that may only read ---------------------
check "graceful stop" stop_clean "$SZTPD"
check_contains "stopped through the signal" "$TMP/sztpd.log" "stopping"
admin_conf "admin-client-scope = read" >"$TMP/ro.conf"
start_sztpd "$TMP/ro.conf" "$TMP/ro.log"
check "the admin port answers (read scope)" wait_https "$APORT"
req ro --cacert "$A/ca2/ca.pem" --cert "$A/nms-chain.pem" --key "$A/nms.key" \
	-H 'Content-Type: application/json' -d '{"serial":"SN-X"}' "$AU/api/v1/devices"
check_eq "read scope writing: 403" "$code" 403
check_contains "403 is problem+json" "$TMP/ro.b" '"type":"urn:sztp:problem:forbidden"'
check "graceful stop (read scope)" stop_clean "$E2E_LAST_PID"

# ---- no admin-port: no admin listener ---------------------------------------------
sztpd_conf >"$TMP/off.conf"
start_sztpd "$TMP/off.conf" "$TMP/off.log"
check_not_contains "admin-port 0: no admin listener" "$TMP/off.log" "admin: listening"
curl -s -o /dev/null --cacert "$A/ca2/ca.pem" "$AU/api/v1/devices"
check_eq "admin-port 0: nothing listens on the admin port (curl exit 7)" "$?" 7
check "graceful stop (no admin)" stop_clean "$E2E_LAST_PID"
e2e_finish
