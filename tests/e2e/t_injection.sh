#!/bin/bash
# Log and terminal injection (issue 9): what an unauthenticated client
# sends as an HTTP Basic user name, and what a device sends as a progress
# message, never starts a line of its own in sztpd's log, never reaches a
# terminal as a control character through sztpctl's tables, and stays
# exact in sztpctl's JSON output.
. "$(dirname "$0")/lib.sh"
e2e_init t_injection

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 >/dev/null || { echo "sztp-pki init failed"; exit 1; }
check "init" CTL init
check "enrol SN-1" CTL device add SN-1

PORT=$(free_port)
sztpd_conf "threads = 2" >"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"

OPS=https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server
JSON='Content-Type: application/yang-data+json'
ESC=$(printf '\033')

# An unauthenticated client whose user name carries a newline, a forged
# audit line and a terminal escape (clear screen).
user=$(printf 'evil\nFORGED sztpd[info] audit serial=SN-1 result=signed status=200\033[2J')
auth=$(printf '%s:pw' "$user" | base64 -w0)
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$PKI/owner/ca.pem" -H "Authorization: Basic $auth" \
	-H "$JSON" -d '{}' "$OPS:get-bootstrapping-data")
check_eq "forged user name: 401" "$st" 401

# A device's progress message with a newline that looks like another row
# (YANG strings allow no control character but tab, CR and LF: a carriage
# return would overwrite the row on a terminal)
msg=$(printf 'done\n2026-01-01T00:00:00Z  SN-1  127.0.0.1  bootstrap-complete  FORGED-ROW\rX')
body=$(jq -cn --arg m "$msg" '{"ietf-sztp-bootstrap-server:input":{"progress-type":"informational","message":$m}}')
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
	--cert "$PKI/devices/SN-1/chain.pem" --key "$PKI/devices/SN-1/idevid.key" \
	-H "$JSON" -d "$body" "$OPS:report-progress")
check_eq "report with a newline in its message: 204" "$st" 204
check_eventually "the failed request is in the bootstrapping log" 1 \
	db_q "select count(*) from bootstrap_log where status = 401"

# sztpd's log: the user name is there, escaped, on the line it belongs to
check "the log has the user name escaped" grep -q 'serial "evil\\x0a' "$TMP/sztpd.log"
check_fails "no line of the log starts with the forged timestamp" grep -q '^2026-01-01T00:00:00Z' "$TMP/sztpd.log"
check_fails "no forged line anywhere at the start of a line" grep -q '^FORGED' "$TMP/sztpd.log"
check_fails "no escape character in the log" grep -q "$ESC" "$TMP/sztpd.log"

# sztpctl log: one row per request, the claimed serial escaped
CTL log >"$TMP/log.txt" 2>&1
rows=$(db_q "select count(*) from bootstrap_log")
check_eq "sztpctl log: header + one line per row" "$(wc -l <"$TMP/log.txt")" "$((rows + 1))"
check_contains "sztpctl log: the newline shown as \\x0a" "$TMP/log.txt" 'evil\x0aFORGED'
check_fails "sztpctl log: no escape character reaches the terminal" grep -q "$ESC" "$TMP/log.txt"

# sztpctl progress: the message cannot forge a row
CTL progress >"$TMP/prog.txt" 2>&1
check_eq "sztpctl progress: header + one line for the one report" "$(wc -l <"$TMP/prog.txt")" 2
check_contains "sztpctl progress: the newline shown as \\x0a" "$TMP/prog.txt" 'done\x0a2026-01-01'
check_contains "sztpctl progress: the carriage return shown as \\x0d" "$TMP/prog.txt" 'FORGED-ROW\x0dX'
check_fails "sztpctl progress: no carriage return" grep -q "$(printf '\r')" "$TMP/prog.txt"
CTL device show SN-1 >"$TMP/show.txt" 2>&1
check_fails "sztpctl device show: no escape character" grep -q "$ESC" "$TMP/show.txt"

# JSON stays exact: the message comes back byte for byte
CTL progress --json >"$TMP/prog.json" 2>&1
check_eq "sztpctl progress --json: the message exactly as sent" \
	"$(jq -r '.[0].message' "$TMP/prog.json")" "$msg"
CTL log --json >"$TMP/log.json" 2>&1
check_eq "sztpctl log --json: the claimed serial exactly as sent" \
	"$(jq -r '[.[] | select(.status == 401)][0].serial' "$TMP/log.json")" "$user"

e2e_finish
