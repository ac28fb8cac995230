#!/bin/bash
# The registry file under a running sztpd (issue 9): deleted, replaced by
# another file (mv), renamed away and back.  Once its path no longer
# names the file sztpd has open, no report is acknowledged into the lost
# file: report-progress and get-bootstrapping-data get 503 with
# Retry-After (never a 204), the log says why once, and the reports answered
# 503 are in no file.  Moved back, sztpd stores again.
. "$(dirname "$0")/lib.sh"
e2e_init t_registry_file

PKI=$TMP/pki
export SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 >/dev/null || { echo "sztp-pki init failed"; exit 1; }
printf 'hostname x\n' >"$TMP/config.txt"

# registry DB: a new registry with SN-1 enrolled
registry() {
	"$BIN/sztpctl" -d "$1" init >/dev/null &&
		"$BIN/sztpctl" -d "$1" profile onboarding onb --config "$TMP/config.txt" \
			--config-handling merge >/dev/null &&
		"$BIN/sztpctl" -d "$1" device add SN-1 --profile onb >/dev/null
}
# start DB: sztpd on it (SZTPD, PORT, LOG)
start() {
	PORT=$(free_port)
	LOG=$TMP/sztpd-$(basename "$1").log
	cat >"$TMP/sztpd.conf" <<CONF
listen-address = 127.0.0.1
port = $PORT
tls-cert = $PKI/server/chain.pem
tls-key = $PKI/server/key.pem
client-ca = $PKI/manufacturer/root.pem
allow-root = yes
database = $1
yang-dir = $TOP/yang
threads = 2
CONF
	e2e_bg "$LOG" "$BIN/sztpd" -c "$TMP/sztpd.conf"
	SZTPD=$E2E_LAST_PID
	wait_https "$PORT" || { cat "$LOG"; echo "sztpd did not start"; exit 1; }
}
# rpc NAME BODY: as SN-1 with its IDevID; sets STATUS, body in $TMP/r
rpc() {
	STATUS=$(curl -s -o "$TMP/r" -D "$TMP/r.h" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
		--cert "$PKI/devices/SN-1/chain.pem" --key "$PKI/devices/SN-1/idevid.key" \
		-H 'Content-Type: application/yang-data+json' -d "$2" \
		"https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:$1")
}
report() { rpc report-progress "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":\"informational\",\"message\":\"$1\"}}"; }
gbd() { rpc get-bootstrapping-data '{"ietf-sztp-bootstrap-server:input":{}}'; }
stored() { sqlite3 "$1" "select count(*) from progress where message='$2'"; }
# expect_503 NAME: the last reply was 503 with Retry-After, no detail
expect_503() {
	check_eq "$1: 503" "$STATUS" 503
	check_contains "$1: Retry-After" "$TMP/r.h" "Retry-After: 30"
	check_eq "$1: error-tag" "$(jq -r '."ietf-restconf:errors".error[0]."error-tag"' "$TMP/r")" operation-failed
	check_not_contains "$1: the path is not told to the device" "$TMP/r" "$TMP"
}

# ---- deleted ------------------------------------------------------------------
check "registry A" registry "$TMP/a.db"
start "$TMP/a.db"
report before-delete
check_eq "a report before: 204" "$STATUS" 204
check_eq "... stored" "$(stored "$TMP/a.db" before-delete)" 1
rm -f "$TMP/a.db"
report after-delete
expect_503 "a report after the registry was deleted"
check_contains "the log says why" "$LOG" "REGISTRY LOST: registry $TMP/a.db was deleted or replaced while in use"
gbd
expect_503 "get-bootstrapping-data after the registry was deleted"
report after-delete-2
expect_503 "a second report"
check_eq "the loss is logged once" "$(grep -c 'REGISTRY LOST' "$LOG")" 1
check "sztpd stops cleanly" stop_clean "$SZTPD"
check "sztpctl does not make a new registry in its place" test ! -e "$TMP/a.db"

# ---- replaced by another file (mv) --------------------------------------------
# (the files are read only after sztpd stopped: a main file moved without
# its WAL cannot be read meanwhile)
check "registry B" registry "$TMP/b.db"
check "another registry C" registry "$TMP/c.db"
ln "$TMP/c.db" "$TMP/c.keep"
start "$TMP/b.db"
report before-replace
check_eq "a report before: 204" "$STATUS" 204
mv "$TMP/b.db" "$TMP/b.away"
report while-away
expect_503 "a report while the registry is renamed away"
mv "$TMP/c.db" "$TMP/b.db"
report replaced
expect_503 "a report after another file took its path"
check_contains "the log says why" "$LOG" "REGISTRY LOST: registry $TMP/b.db was deleted or replaced while in use"
# ---- and back -------------------------------------------------------------------
mv "$TMP/b.away" "$TMP/b.db"
for i in $(seq 1 30); do # readiness follows within the writer's tick (1 s)
	report "back-$i"
	[ "$STATUS" = 204 ] && break
	check_eq "while it is noticed: 503, never 204" "$STATUS" 503
	sleep 0.1
done
check_eq "the original back in place: 204" "$STATUS" 204
gbd
check_eq "get-bootstrapping-data served again" "$STATUS" 200
check_contains "the recovery is logged" "$LOG" "registry file is in place again"
check "sztpd stops cleanly" stop_clean "$SZTPD"
check_eq "the report before is stored" "$(stored "$TMP/b.db" before-replace)" 1
check_eq "the report after is stored" "$(stored "$TMP/b.db" "back-$i")" 1
check_eq "no report answered 503 is stored" \
	"$(sqlite3 "$TMP/b.db" "select count(*) from progress where message in ('while-away', 'replaced') or (message like 'back-%' and message <> 'back-$i')")" 0
check_eq "nothing went into the impostor" "$(stored "$TMP/c.keep" replaced)" 0
e2e_finish
