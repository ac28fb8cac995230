# tests/e2e/admin_lib.sh - a loopback sztpd with its admin listener, for the
# admin API's end-to-end scripts (sourced after lib.sh and e2e_init).
#
# admin_sztpd [CONF-LINE]...: mints a PKI ($PKI: devices SN-1, SN-2),
# creates a registry ($DB) with a write token "nms" (its secret in
# $TOKEN_FILE), starts sztpd (pid $SZTPD) with the device port $PORT and
# the admin listener on $APORT serving docs/openapi.json, and waits until
# both answer.  $ABASE / $DBASE are their URLs, $CA the CA that signed
# the server's certificate, $MAX_BODY the admin-max-body it runs with.
# A step that fails is a failed check (with its output) and returns 1.
admin_sztpd() {
	PKI=$TMP/pki
	DB=$(e2e_db sztp) || { admin_broke "no registry" /dev/null; return 1; }
	CA=$PKI/owner/ca.pem
	TOKEN_FILE=$TMP/nms.token
	MAX_BODY=2097152
	"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 --serial SN-2 >"$TMP/pki.out" 2>&1 ||
		{ admin_broke "sztp-pki init failed" "$TMP/pki.out"; return 1; }
	"$BIN/sztpctl" -d "$DB" init >"$TMP/init.out" 2>&1 ||
		{ admin_broke "sztpctl init failed" "$TMP/init.out"; return 1; }
	ctl_token "$DB" nms write "$TOKEN_FILE" 2>"$TMP/token.err" ||
		{ admin_broke "sztpctl token create printed no token" "$TMP/token.err"; return 1; }
	admin_ports
	sztpd_conf "threads = 2" "log-level = info" \
		"admin-listen-address = 127.0.0.1" "admin-port = $APORT" \
		"admin-openapi = $TOP/docs/openapi.json" "admin-max-body = $MAX_BODY" \
		"masa-ca = $PKI/manufacturer/root.pem" "$@" >"$TMP/sztpd.conf"
	e2e_bg "$TMP/sztpd.log" "$BIN/sztpd" -c "$TMP/sztpd.conf"
	SZTPD=$E2E_LAST_PID
	wait_https "$PORT" || { admin_broke "sztpd did not start" "$TMP/sztpd.log"; return 1; }
	ABASE=https://localhost:$APORT
	DBASE=https://localhost:$PORT
	wait_https "$APORT" && return 0
	admin_broke "sztpd's admin listener does not answer on $APORT" "$TMP/sztpd.log"
	return 1
}

# admin_broke WHAT FILE: a failed check, FILE's last lines with it.
admin_broke() {
	fail "$1"
	tail -20 "$2" | sed 's/^/    | /' >&2
}

# admin_counts FILE: add the "NAME: N passed, N failed" line a Python part
# printed last to this script's counts; no such line is one failure.
admin_counts() {
	local line p f
	line=$(grep -E '^[A-Za-z0-9_]+: [0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		fail "$1 has no result line (the Python part broke)"
		tail -20 "$1" | sed 's/^/    | /' >&2
		return
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	E2E_PASS=$((E2E_PASS + p))
	E2E_FAIL=$((E2E_FAIL + f))
}
