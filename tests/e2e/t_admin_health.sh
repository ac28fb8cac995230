#!/bin/bash
# t_admin_health.sh - /healthz and /readyz on sztpd's admin listener, the
# probes of load balancers and orchestrators (issue 12): answered without
# credentials, GET and HEAD only, no query; /readyz says 503 with the
# failing check while the owner identity is missing, after the registry
# file is deleted, once the device port's certificate has expired and
# while the registry's file system is full (root: a tmpfs), 200 otherwise; successful probes stay out of the admin audit trail; the
# device port serves neither.
. "$(dirname "$0")/lib.sh"
e2e_init t_admin_health

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }

"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 >/dev/null ||
	{ echo "sztp-pki init failed"; echo "t_admin_health: 0 passed, 1 failed"; exit 1; }
check "sztpctl init" CTL init
admin_ports
AU=https://127.0.0.1
# probe NAME PATH [CURL ARGS...]: no credentials; status in $code, body $TMP/NAME.b
probe() {
	local name=$1 path=$2
	shift 2
	code=$(curl -sk -o "$TMP/$name.b" -D "$TMP/$name.h" -w '%{http_code}' "$@" \
		"$AU:$APORT$path")
}
conf() {
	sztpd_conf "threads = 2" "admin-port = $APORT" "$@"
}

# ---- 1. no owner identity yet: alive, not ready --------------------------------------
conf >"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID
check "the admin port answers" wait_https "$APORT"
probe healthz /healthz
check_eq "/healthz without credentials: 200" "$code" 200
check_eq "/healthz: alive" "$(jq -r .status "$TMP/healthz.b")" alive
check_contains "/healthz: no-store" "$TMP/healthz.h" "no-store"
probe ready0 /readyz
check_eq "/readyz without an owner identity: 503" "$code" 503
check_eq "/readyz: not-ready" "$(jq -r .status "$TMP/ready0.b")" not-ready
check_eq "/readyz: the owner check says why" "$(jq -r .checks.owner "$TMP/ready0.b")" \
	"no owner identity is set"
check_eq "/readyz: the registry is fine" "$(jq -r .checks.registry "$TMP/ready0.b")" ok
check_eq "/readyz: the certificate is fine" "$(jq -r .checks.certificate "$TMP/ready0.b")" ok
check_contains "/readyz 503: Retry-After" "$TMP/ready0.h" "Retry-After: 30"
check_contains "not ready: logged" "$TMP/sztpd.log" "/readyz: not ready"

# ---- 2. owner set: ready ---------------------------------------------------------------
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
probe ready1 /readyz
check_eq "/readyz with the owner identity: 200" "$code" 200
check_eq "/readyz: ready, every check ok" "$(jq -c . "$TMP/ready1.b")" \
	'{"status":"ready","checks":{"registry":"ok","owner":"ok","certificate":"ok"}}'
out=$(curl -sk -I -o /dev/null -w '%{http_code} %{size_download}' "$AU:$APORT/readyz")
check_eq "HEAD /readyz: 200 without a body" "$out" "200 0"
probe post /healthz -X POST -d x
check_eq "POST /healthz: 405" "$code" 405
check_contains "POST /healthz: Allow" "$TMP/post.h" "Allow: GET, HEAD"
check_eq "POST /healthz: problem+json" "$(jq -r .status "$TMP/post.b")" 405
probe query "/readyz?verbose=1"
check_eq "a query: 400" "$code" 400
probe other /healthzz
check_eq "/healthzz is no probe: 404" "$code" 404
code=$(curl -sk -o /dev/null -w '%{http_code}' "$AU:$PORT/healthz")
check "the device port does not serve /healthz" test "$code" != 200
# the audit trail: refused probes are there, successful ones are not
check_contains "a refused probe is audited" "$TMP/sztpd.log" 'method=POST path=/healthz status=405'
check "successful probes are not audited" \
	test "$(grep -c 'admin-audit.*path=/\(healthz\|readyz\) status=200' "$TMP/sztpd.log")" = 0

# ---- 3. the registry file deleted under sztpd --------------------------------------------
# (SQLite only: a PostgreSQL registry has no file; its server going away
# is t_failover's)
if ! e2e_pg; then
rm -f "$DB"
for i in $(seq 1 50); do
	probe lost /readyz
	[ "$code" = 503 ] && break
	sleep 0.1
done
check_eq "/readyz after the registry was deleted: 503" "$code" 503
check_eq "/readyz: the registry check says why" "$(jq -r .checks.registry "$TMP/lost.b")" \
	"the registry file was deleted or replaced under sztpd"
check "/readyz: no path in the answer" test "$(grep -c "$TMP" "$TMP/lost.b")" = 0
check_contains "/readyz: the log has the detail" "$TMP/sztpd.log" "/readyz: registry: registry $DB"
fi
probe alive2 /healthz
check_eq "/healthz still alive" "$code" 200
stop_pid "$SZTPD"

# ---- 4. the device port's certificate expires while sztpd runs -----------------------------
DB=$(e2e_db sztp2)
export SZTP_DB=$DB
check "sztpctl init (a second registry)" CTL init
check "owner set again" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
"$BIN/sztp-pki" ca --out "$TMP/ca" --name "Short CA" >/dev/null
EXP=$(date -u -d '+6 seconds' +%Y-%m-%dT%H:%M:%SZ)
check "a server certificate valid for 6 more seconds" "$BIN/sztp-pki" leaf --ca "$TMP/ca" \
	--out "$TMP/short" --serial SHORT --server --san DNS:localhost,IP:127.0.0.1 --not-after "$EXP"
chmod 600 "$TMP/short.key"
conf | sed -e "s|^tls-cert = .*|tls-cert = $TMP/short-chain.pem|" \
	-e "s|^tls-key = .*|tls-key = $TMP/short.key|" >"$TMP/short.conf"
start_sztpd "$TMP/short.conf" "$TMP/short.log"
probe ready2 /readyz
check_eq "/readyz while the certificate is valid: 200" "$code" 200
for i in $(seq 1 100); do
	probe expired /readyz
	[ "$code" = 503 ] && break
	sleep 0.1
done
check_eq "/readyz once the certificate expired: 503" "$code" 503
check_eq "/readyz: the certificate check says why" \
	"$(jq -r .checks.certificate "$TMP/expired.b")" "the server certificate has expired"
stop_pid "$E2E_LAST_PID"

# ---- 5. the registry's file system fills up: not writable, then writable again --------
# A small tmpfs of the test's own (root only: mount); the registry lives
# there, a filler file takes the rest of the space.
# (SQLite only: the PostgreSQL pass has no registry file)
if ! e2e_pg && [ "$(id -u)" = 0 ] && mkdir -p "$TMP/small" && mount -t tmpfs -o size=4m tmpfs "$TMP/small"; then
	trap 'umount -l "$TMP/small" 2>/dev/null; e2e_cleanup' EXIT
	DB=$TMP/small/sztp.db
	export SZTP_DB=$DB
	check "sztpctl init (registry on a 4 MiB tmpfs)" CTL init
	check "owner set there" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
	conf | sed "s|^database = .*|database = $DB|" >"$TMP/small.conf"
	start_sztpd "$TMP/small.conf" "$TMP/small.log"
	probe ready3 /readyz
	check_eq "/readyz with room on the disk: 200" "$code" 200
	# until ENOSPC, to the last page (tmpfs counts 4 KiB pages)
	dd if=/dev/zero of="$TMP/small/filler" bs=64k 2>/dev/null
	dd if=/dev/zero of="$TMP/small/filler2" bs=4k 2>/dev/null
	# a probe that still fits in the write-ahead log's own space is right
	# to pass: a write can be committed; the next ones cannot
	for i in $(seq 1 20); do
		probe full /readyz
		[ "$code" = 503 ] && break
	done
	check_eq "/readyz on a full file system: 503" "$code" 503
	check_eq "/readyz: the registry check says why" "$(jq -r .checks.registry "$TMP/full.b")" \
		"the registry cannot be written"
	check "/readyz: no path in the answer" test "$(grep -c "$TMP" "$TMP/full.b")" = 0
	check_contains "/readyz: the log has SQLite's reason" "$TMP/small.log" "a test write failed: registry: committing failed: database or disk is full"
	probe alive3 /healthz
	check_eq "/healthz: still alive" "$code" 200
	rm -f "$TMP/small/filler" "$TMP/small/filler2"
	probe ready4 /readyz
	check_eq "/readyz once there is room again: 200" "$code" 200
	stop_pid "$E2E_LAST_PID"
	umount "$TMP/small"
else
	echo "t_admin_health: PostgreSQL pass, not root, or no tmpfs: the full-disk case is skipped"
fi
e2e_finish
