#!/bin/bash
# End-to-end (issue 9): `sztpd -n` loads everything the start loads, and
# both fail with the same message naming the one real cause: a tls-cert
# that holds a key, a key of another certificate, tls-priority = GARBAGE,
# anchors, YANG modules, a file that is not a registry, an owner identity
# key sztpd could not use, a user that does not exist, root without user
# or allow-root.  A port in use is the one thing -n does not see (another
# sztpd may hold it while -n checks a new file): the start names it.
. "$(dirname "$0")/lib.sh"
e2e_init t_startup

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
CTL init >/dev/null || { echo "sztpctl init failed"; exit 1; }
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 >/dev/null || { echo "sztp-pki init failed"; exit 1; }
CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key" >/dev/null ||
	{ echo "owner set failed"; exit 1; }
PORT=$(free_port)

# conf NAME [SED-EXPRESSION]: a config from the good one, changed by sed
cat >"$TMP/good.conf" <<CONF
listen-address = 127.0.0.1
port = $PORT
tls-cert = $PKI/server/chain.pem
tls-key = $PKI/server/key.pem
client-ca = $PKI/manufacturer/root.pem
database = $DB
yang-dir = $TOP/yang
threads = 2
allow-root = yes
CONF
conf() {
	sed "${2:-}" "$TMP/good.conf" >"$TMP/$1.conf"
}

# last_error FILE: the last "sztpd: ..." line (the error; -n and the start
# print it alike)
last_error() { grep '^sztpd: ' "$1" | tail -n 1; }

# both_fail NAME MESSAGE: sztpd -n and sztpd (the real start) both exit
# non-zero, both with exactly the same error line, containing MESSAGE.
both_fail() {
	local name=$1 msg=$2 rc n s
	"$BIN/sztpd" -n -c "$TMP/$name.conf" >"$TMP/$name.n" 2>&1
	rc=$?
	check "$name: sztpd -n exits non-zero" test "$rc" -ne 0
	check_contains "$name: sztpd -n names the cause" "$TMP/$name.n" "$msg"
	check_not_contains "$name: sztpd -n does not say valid" "$TMP/$name.n" "is valid"
	timeout 20 "$BIN/sztpd" -c "$TMP/$name.conf" >"$TMP/$name.start" 2>&1
	rc=$?
	check "$name: the start fails (exit $rc, not a timeout)" test "$rc" -ne 0 -a "$rc" -ne 124
	check_contains "$name: the start names the cause" "$TMP/$name.start" "$msg"
	n=$(last_error "$TMP/$name.n")
	s=$(last_error "$TMP/$name.start")
	check_eq "$name: the same message from -n and the start" "$s" "$n"
	check_not_contains "$name: no ambiguous message" "$TMP/$name.start" "port in use, bad certificate"
}

# ---- the good configuration ---------------------------------------------------
check "good: sztpd -n" "$BIN/sztpd" -n -c "$TMP/good.conf"
check_contains "good: valid" "$TMP/.check.out" "configuration $TMP/good.conf is valid"

# ---- TLS: each piece on its own ------------------------------------------------
conf cert-is-key "s|^tls-cert = .*|tls-cert = $PKI/server/key.pem|"
both_fail cert-is-key "tls-cert $PKI/server/key.pem holds a private key, not a certificate chain"

cp "$PKI/devices/SN-1/idevid.key" "$TMP/other.key" && chmod 600 "$TMP/other.key"
conf mismatch "s|^tls-key = .*|tls-key = $TMP/other.key|"
both_fail mismatch "tls-key $TMP/other.key does not match the certificate in tls-cert $PKI/server/chain.pem"

cp "$PKI/server/cert.pem" "$TMP/cert-as-key.pem" && chmod 600 "$TMP/cert-as-key.pem"
conf key-is-cert "s|^tls-key = .*|tls-key = $TMP/cert-as-key.pem|"
both_fail key-is-cert "tls-key $TMP/cert-as-key.pem holds a certificate, not a private key"

conf garbage-priority 's|^threads = 2|threads = 2\ntls-priority = GARBAGE|'
both_fail garbage-priority "tls-priority 'GARBAGE': GnuTLS refuses it at 'GARBAGE'"

cp "$PKI/server/key.pem" "$TMP/loose.key" && chmod 644 "$TMP/loose.key"
conf loose-key "s|^tls-key = .*|tls-key = $TMP/loose.key|"
both_fail loose-key "tls-key: key file $TMP/loose.key has mode 0644"

conf no-cert "s|^tls-cert = .*|tls-cert = $TMP/nonexistent.pem|"
both_fail no-cert "tls-cert: $TMP/nonexistent.pem: No such file or directory"

# ---- anchors, YANG, registry ----------------------------------------------------
conf bad-ca "s|^client-ca = .*|client-ca = $PKI/server/key.pem|"
both_fail bad-ca "client-ca: $PKI/server/key.pem: no CERTIFICATE block"

conf bad-yang "s|^yang-dir = .*|yang-dir = $TMP|"
both_fail bad-yang "$TMP"

printf 'this is not an SQLite database, but it is long enough to be read as a header....\n%.0s' 1 2 3 4 5 6 7 8 >"$TMP/junk.db"
conf not-a-db "s|^database = .*|database = $TMP/junk.db|"
both_fail not-a-db "$TMP/junk.db"
check "the check changed nothing in the junk file" grep -q 'not an SQLite' "$TMP/junk.db"

# ---- a database URI (PostgreSQL pass): shown without its password; one
# with a password in a file others may read is refused as a key file is
if e2e_pg; then
	PWDB=$(echo "$DB" | sed 's|^postgresql://\([^@/]*\)@|postgresql://\1:s3cret-pw@|')
	conf uri-pw "s|^database = .*|database = $PWDB|"
	chmod 644 "$TMP/uri-pw.conf"
	both_fail uri-pw "$TMP/uri-pw.conf has mode 0644 and its database URI holds a password"
	check_not_contains "uri-pw: -n does not show the password" "$TMP/uri-pw.n" "s3cret-pw"
	chmod 600 "$TMP/uri-pw.conf"
	check "uri-pw: mode 0600: sztpd -n" "$BIN/sztpd" -n -c "$TMP/uri-pw.conf"
	check_contains "uri-pw: -n names the database, password hidden" "$TMP/.check.out" \
		"database ${PWDB/s3cret-pw/***}: PostgreSQL, schema version"
	check_not_contains "uri-pw: -n does not show the password" "$TMP/.check.out" "s3cret-pw"
	check "good: sztpd -n names the URI as it is" grep -qF "database $DB: PostgreSQL" \
		<("$BIN/sztpd" -n -c "$TMP/good.conf" 2>&1)
fi

# ---- the owner identity key, read as the user sztpd runs as ------------------------
if e2e_pg; then
	ODB=$(e2e_db owner) || exit 1
	"$BIN/sztpctl" -d "$ODB" init >/dev/null
else
	ODB=$TMP/owner.db
	cp "$DB" "$ODB"
fi
cp "$PKI/owner/signer.key" "$TMP/owner.key" && chmod 600 "$TMP/owner.key"
"$BIN/sztpctl" -d "$ODB" owner set --chain "$PKI/owner/chain.pem" --key "$TMP/owner.key" >/dev/null
chmod 640 "$TMP/owner.key"
conf owner-key "s|^database = .*|database = $ODB|"
both_fail owner-key "owner identity 'default': key file $TMP/owner.key has mode 0640"
rm -f "$TMP/owner.key"
both_fail owner-key "owner identity 'default': cannot stat key file $TMP/owner.key"

# ---- privileges -----------------------------------------------------------------------
conf no-user 's|^allow-root = yes|user = sztp-no-such-user|'
conf group-alone 's|^allow-root = yes|allow-root = yes\ngroup = nogroup|'
both_fail group-alone "group = nogroup needs user = NAME too"
if [ "$(id -u)" -eq 0 ]; then
	both_fail no-user "user = sztp-no-such-user: no such user"
	conf root 's|^allow-root = yes||'
	both_fail root "refusing to run as root: set user = NAME"
	conf root-user 's|^allow-root = yes|user = root|'
	both_fail root-user "user = root is root"
else
	echo "t_startup: not root: the root-only cases are in t_privileges (which says so)"
fi

# ---- a port in use: -n does not bind; the start says which port and why ---------------
e2e_bg "$TMP/first.log" "$BIN/sztpd" -c "$TMP/good.conf"
FIRST=$E2E_LAST_PID
check "the first sztpd serves" wait_https "$PORT"
check "sztpd -n of the same file while it runs" "$BIN/sztpd" -n -c "$TMP/good.conf"
timeout 20 "$BIN/sztpd" -c "$TMP/good.conf" >"$TMP/second.log" 2>&1
rc=$?
check "a second sztpd on the same port fails" test "$rc" -ne 0 -a "$rc" -ne 124
check_contains "it names the port and the reason" "$TMP/second.log" \
	"sztpd: cannot listen on [127.0.0.1]:$PORT: Address already in use (another process holds this port)"
check "the first one still serves" wait_https "$PORT"
check "the first one stops cleanly" stop_clean "$FIRST"

# ---- the systemd unit: the pre-start check, and the user from sztpd.conf ----------------
UNIT=$TOP/conf/sztpd.service
check "the unit checks the configuration before each start" grep -q '^ExecStartPre=.*sztpd -n -c ' "$UNIT"
check "the unit starts sztpd as root (no User=): sztpd drops to its user" bash -c "! grep -q '^User=' '$UNIT'"
check "the example configuration names that user" grep -q '^user = sztp$' "$TOP/conf/sztpd.conf"
check "the unit reloads with SIGHUP" grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' "$UNIT"
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/local/sbin/sztpd|$BIN/sztpd|g" "$UNIT" >"$TMP/sztpd.service"
	check "systemd-analyze verify accepts the unit" systemd-analyze verify "$TMP/sztpd.service"
else
	echo "t_startup: NOTE: systemd-analyze is not installed: the unit's syntax is not verified"
fi
e2e_finish
