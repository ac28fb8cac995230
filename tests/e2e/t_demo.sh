#!/bin/bash
# The README's first command, scripts/demo.sh, does what it says: a demo
# PKI, a registry with one enrolled device, sztpd running, and the commands
# it prints work (curl gets signed onboarding information; the agent
# bootstraps untrusted with no reports, and trusted with reports).
. "$(dirname "$0")/lib.sh"
e2e_init t_demo

DEMO=$TMP/demo
PORT=$(free_port)
ADMIN_PORT=$(free_port)
SN=SN-DEMO-0001
BIN=${SZTP_BUILD:-$TOP/build}
CTL() { SZTP_DB=$DEMO/sztp.db "$BIN/sztpctl" "$@"; }

e2e_bg "$TMP/demo.out" env SZTP_DEMO_DIR="$DEMO" SZTP_DEMO_PORT="$PORT" SZTP_DEMO_ADMIN_PORT="$ADMIN_PORT" SZTP_BUILD="$BIN" \
	sh "$TOP/scripts/demo.sh"
DEMO_PID=$E2E_LAST_PID
wait_https "$PORT" || { cat "$TMP/demo.out"; echo "demo.sh did not start sztpd"; exit 1; }

check_contains "demo prints the curl command" "$TMP/demo.out" "https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data"
check_contains "demo prints the trusted agent command" "$TMP/demo.out" "agent-trusted.conf"
check_eq "demo device is enrolled" "$(CTL device list --json | jq -r '.[].serial')" "$SN"

# the printed curl command, as printed
cmd=$(sed -n '/^  curl /,/get-bootstrapping-data$/{p;/get-bootstrapping-data$/q}' "$TMP/demo.out" | sed 's/\\$//' | tr -d '\n')
check "the printed curl command is complete" test -n "$cmd"
eval "$cmd -s -o '$TMP/gbd.json' -w '%{http_code}'" >"$TMP/gbd.status"
check_eq "printed curl: 200" "$(cat "$TMP/gbd.status")" 200
check "printed curl: signed, with the owner certificate and voucher" \
	jq -e '."ietf-sztp-bootstrap-server:output" | ."owner-certificate" and ."ownership-voucher" and ."conveyed-information"' "$TMP/gbd.json"

# the untrusting device: verifies everything, reports nothing
check "agent (untrusted server) bootstraps" "$BIN/sztp-agent" -c "$DEMO/agent.conf"
check_contains "agent verified the signed data" "$TMP/.check.out" "signed conveyed information accepted"
check_contains "agent finished" "$TMP/.check.out" "bootstrap complete"
check_eq "no progress reports from an untrusting device" "$(sqlite3 "$DEMO/sztp.db" "select count(*) from progress")" 0

# the trusting device: reports its progress
check "agent (trusted server) bootstraps" "$BIN/sztp-agent" -c "$DEMO/agent-trusted.conf"
check_contains "trusted agent finished" "$TMP/.check.out" "bootstrap complete"
CTL progress "$SN" >"$TMP/progress.txt" 2>&1
check_contains "its reports are stored: bootstrap-initiated" "$TMP/progress.txt" "bootstrap-initiated"
check_contains "its reports are stored: bootstrap-complete" "$TMP/progress.txt" "bootstrap-complete"
check_contains "device state is bootstrap-complete" <(CTL device show "$SN") "bootstrap-complete"

# the admin API as the demo prints it: the token file, curl, sztpctl --server
check_eq "demo token file is private" "$(stat -c %a "$DEMO/nms.token")" 600
acmd=$(sed -n '/^  curl .*Authorization/,/api\/v1\/devices$/p' "$TMP/demo.out" | sed 's/\\$//' | tr -d '\n')
check "the printed admin curl command is complete" test -n "$acmd"
eval "$acmd -s -o '$TMP/devices.json' -w '%{http_code}'" >"$TMP/devices.status"
check_eq "printed admin curl: 200" "$(cat "$TMP/devices.status")" 200
check_eq "printed admin curl: the demo device" "$(jq -r '.items[].serial' "$TMP/devices.json")" "$SN"
rcmd=$(sed -n '/--server https/,/device list$/p' "$TMP/demo.out" | sed 's/\\$//' | tr -d '\n')
check "the printed sztpctl --server command is complete" test -n "$rcmd"
eval "$rcmd" >"$TMP/remote-list.txt" 2>&1
check_contains "printed sztpctl --server lists the demo device" "$TMP/remote-list.txt" "$SN"

check "the demo's sztpd stops on SIGTERM with status 0" stop_clean "$DEMO_PID"
e2e_finish
