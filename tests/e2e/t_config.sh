#!/bin/bash
# t_config.sh - one configuration file, one meaning.  sztpd and sztpctl
# read sztpd.conf through the same loader and the same table (lib/conf.c,
# server/config.c).  A config with relative paths, used by sztpctl and by
# sztpd each from another working directory, names one database: the
# device sztpctl enrols is served by sztpd, and no stray database appears
# in either working directory.  A config with inline comments and quotes
# gives both the same values; a malformed one is refused by both with the
# same message.
. "$(dirname "$0")/lib.sh"
e2e_init t_config

unset SZTP_DB SZTP_MASA_CA
export SZTP_YANG_DIR=$TOP/yang
ETC=$TMP/site/etc
PKI=$ETC/pki
mkdir -p "$ETC" "$TMP/cwd-ctl" "$TMP/cwd-ctl2" "$TMP/cwd-sztpd"
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 --serial SN-2 >/dev/null ||
	{ echo "sztp-pki init failed"; echo "t_config: 0 passed, 1 failed"; exit 1; }
printf 'hostname x\n' >"$ETC/device.cfg"

# ctl DIR ARGS...: sztpctl run from DIR (output in $TMP/ctl.out, .err)
ctl() {
	local dir=$1
	shift
	(cd "$dir" && "$BIN/sztpctl" "$@") >"$TMP/ctl.out" 2>"$TMP/ctl.err"
}
# gbd PORT SERIAL: get-bootstrapping-data as that device; prints the status
gbd() {
	curl -s -o "$TMP/gbd.out" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
		--cert "$PKI/devices/$2/chain.pem" --key "$PKI/devices/$2/idevid.key" \
		-H 'Content-Type: application/yang-data+json' \
		-d '{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null]}}' \
		"https://localhost:$1/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data"
}
# no_stray_files: nothing was created in the working directories
no_stray_files() { [ -z "$(find "$TMP/cwd-ctl" "$TMP/cwd-ctl2" "$TMP/cwd-sztpd" -mindepth 1)" ]; }

# ---- 1. relative paths: resolved against the file's directory --------------
PORT=$(free_port)
cat >"$ETC/sztpd.conf" <<CONF
# every path relative to this file's directory
port = $PORT
tls-cert = pki/server/chain.pem
tls-key = pki/server/key.pem
client-ca = pki/manufacturer/root.pem
database = rel.db
threads = 1
allow-root = yes
CONF

ctl "$TMP/cwd-ctl" -c ../site/etc/sztpd.conf init
check_eq "sztpctl -c (relative paths): init" "$?" 0
ctl "$TMP/cwd-ctl" -c ../site/etc/sztpd.conf owner set --chain ../site/etc/pki/owner/chain.pem \
	--key ../site/etc/pki/owner/signer.key
check_eq "sztpctl -c (relative paths): owner set" "$?" 0
ctl "$TMP/cwd-ctl" -c ../site/etc/sztpd.conf profile onboarding onb \
	--config ../site/etc/device.cfg --config-handling merge
check_eq "sztpctl -c: profile onboarding" "$?" 0
ctl "$TMP/cwd-ctl" -c ../site/etc/sztpd.conf device add SN-1 --profile onb \
	--voucher ../site/etc/pki/devices/SN-1/voucher.vcj --masa-ca ../site/etc/pki/manufacturer/root.pem
check_eq "sztpctl -c: device add SN-1" "$?" 0
check "the database is next to the config file" test -s "$ETC/rel.db"
check "no rel.db in sztpctl's working directory" test ! -e "$TMP/cwd-ctl/rel.db"

(cd "$TMP/cwd-sztpd" && "$BIN/sztpd" -n -c ../site/etc/sztpd.conf) >"$TMP/n.out" 2>&1
check_eq "sztpd -n -c (relative paths) from another directory" "$?" 0
check_contains "sztpd -n: valid" "$TMP/n.out" "configuration ../site/etc/sztpd.conf is valid"

e2e_bg "$TMP/sztpd.log" env -C "$TMP/cwd-sztpd" "$BIN/sztpd" -c ../site/etc/sztpd.conf
SZTPD=$E2E_LAST_PID
wait_https "$PORT" || { cat "$TMP/sztpd.log"; echo "sztpd did not start"; }
check_contains "sztpd opened the database next to the config" "$TMP/sztpd.log" \
	"(database $(cd "$ETC" && pwd -P)/rel.db: SQLite, schema version"
check_eq "the device sztpctl enrolled gets its bootstrapping data from sztpd" "$(gbd "$PORT" SN-1)" 200
check "the answer is signed conveyed information" \
	jq -e '."ietf-sztp-bootstrap-server:output"."conveyed-information" and ."ietf-sztp-bootstrap-server:output"."owner-certificate"' "$TMP/gbd.out"
check_eq "a device sztpctl did not enrol is refused" "$(gbd "$PORT" SN-2)" 401
# the request sztpd logged is in the database sztpctl reads (a third cwd)
sztpd_logged() {
	ctl "$TMP/cwd-ctl2" -c ../site/etc/sztpd.conf log SN-1 --json
	jq -r '.[0].status' "$TMP/ctl.out"
}
check_eventually "sztpctl reads the log sztpd wrote" 200 sztpd_logged
check "sztpd stops cleanly" stop_clean "$SZTPD"
check "no stray database in any working directory" no_stray_files

# ---- 2. inline comments and quotes: the same values for both ----------------
PORT2=$(free_port)
cat >"$ETC/quoted.conf" <<CONF
port = $PORT2                     # an inline comment after a number
tls-cert = "pki/server/chain.pem" # a quoted relative path
tls-key = pki/server/key.pem	# a comment after a tab
client-ca = pki/manufacturer/root.pem
database = "db #2.db"   # quoted: the '#' and the space are part of the name
threads = 1 # one worker
tls-priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3"  # TLS 1.3 only
allow-root = yes
CONF
ctl "$TMP/cwd-ctl" -c ../site/etc/quoted.conf init
check_eq "sztpctl -c (comments, quotes): init" "$?" 0
ctl "$TMP/cwd-ctl" -c ../site/etc/quoted.conf owner set --chain ../site/etc/pki/owner/chain.pem \
	--key ../site/etc/pki/owner/signer.key
check_eq "sztpctl -c (comments, quotes): owner set" "$?" 0
ctl "$TMP/cwd-ctl" -c ../site/etc/quoted.conf profile onboarding onb2 \
	--config ../site/etc/device.cfg --config-handling replace
check_eq "sztpctl -c (comments, quotes): profile onboarding" "$?" 0
ctl "$TMP/cwd-ctl" -c ../site/etc/quoted.conf device add SN-2 --profile onb2 \
	--voucher ../site/etc/pki/devices/SN-2/voucher.vcj --masa-ca ../site/etc/pki/manufacturer/root.pem
check_eq "sztpctl -c (comments, quotes): device add SN-2" "$?" 0
check "sztpctl used the quoted database name" test -s "$ETC/db #2.db"
check "sztpctl did not touch rel.db's devices" \
	test "$(sqlite3 "$ETC/rel.db" "select count(*) from devices where serial='SN-2'")" = 0

e2e_bg "$TMP/sztpd2.log" env -C "$TMP/cwd-sztpd" "$BIN/sztpd" -c "$ETC/quoted.conf"
SZTPD2=$E2E_LAST_PID
wait_https "$PORT2" || { cat "$TMP/sztpd2.log"; echo "sztpd did not start"; }
check_contains "sztpd read the quoted database name" "$TMP/sztpd2.log" "/db #2.db: SQLite"
check_eq "sztpd serves the device sztpctl enrolled in the same database" "$(gbd "$PORT2" SN-2)" 200
check_eq "and not the device of the other database" "$(gbd "$PORT2" SN-1)" 401
# tls-priority without its comment: TLS 1.2 is refused
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$PKI/owner/ca.pem" --tls-max 1.2 \
	"https://localhost:$PORT2/.well-known/host-meta")
check_eq "tls-priority read without its comment (TLS 1.2 refused)" "$code" 000
check "sztpd stops cleanly" stop_clean "$SZTPD2"
check "still no stray file in any working directory" no_stray_files

# ---- 3. a malformed file: both refuse it with the same message -------------
# refused_alike NAME LINE WANT: sztpd -n and sztpctl both fail with exactly
# "<prog prefix><file>:<WANT>"
refused_alike() {
	local f=$ETC/$1 want=$2
	(cd "$TMP/cwd-sztpd" && "$BIN/sztpd" -n -c "$f") >"$TMP/d.out" 2>"$TMP/d.err"
	check_eq "$1: sztpd refuses" "$?" 1
	check_eq "$1: sztpd's message" "$(cat "$TMP/d.err")" "sztpd: $f$want"
	ctl "$TMP/cwd-ctl" -c "$f" device list
	check_eq "$1: sztpctl refuses" "$?" 1
	check_eq "$1: sztpctl's message" "$(cat "$TMP/ctl.err")" "sztpctl: error: $f$want"
	check "$1: nothing created" no_stray_files
}
sed 's/^database = .*/database = "rel.db   # the quote is never closed/' "$ETC/sztpd.conf" >"$ETC/unterminated.conf"
refused_alike unterminated.conf ":6: database: unterminated quote"
sed 's/^database = .*/database = rel.db" # a stray quote/' "$ETC/sztpd.conf" >"$ETC/stray.conf"
refused_alike stray.conf ":6: database: '\"' inside an unquoted value (quote the whole value)"
sed 's/^database = .*/database = "rel.db" trailing/' "$ETC/sztpd.conf" >"$ETC/trailing.conf"
refused_alike trailing.conf ":6: database: text after the closing quote"
grep -v '^tls-key' "$ETC/sztpd.conf" >"$ETC/nokey.conf"
refused_alike nokey.conf ": 'tls-key' is required"
printf 'database = a.db\ndatabase = b.db\n' >"$ETC/twice.conf"
refused_alike twice.conf ":2: 'database' is set twice"

# ---- sztpd --help: usage on stdout, no error line, exit 0 -------------------
for h in --help -h; do
	"$BIN/sztpd" "$h" >"$TMP/h.out" 2>"$TMP/h.err"
	check_eq "sztpd $h exits 0" "$?" 0
	check_contains "sztpd $h: usage on stdout" "$TMP/h.out" "usage: sztpd [-n] [-c FILE]"
	check "sztpd $h: nothing on stderr" test ! -s "$TMP/h.err"
done
"$BIN/sztpd" --bogus >"$TMP/h.out" 2>"$TMP/h.err"
check_eq "sztpd with an unknown option exits 2" "$?" 2
check_contains "its usage goes to stderr" "$TMP/h.err" "usage: sztpd"

e2e_finish
