# tests/e2e/lib.sh - shared helpers for the end-to-end scripts (bash).
# Every script: sources this, calls e2e_init NAME, runs checks, ends with
# e2e_finish.  Temporary files live in $TMP (removed on exit); processes
# started with e2e_bg are remembered and only those are stopped.
set -u
TOP=${SZTP_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${SZTP_BUILD:-$TOP/build}
case "$BIN" in /*) ;; *) BIN="$TOP/$BIN" ;; esac
E2E_PIDS=()
E2E_PASS=0
E2E_FAIL=0
# The registry backend of this run (tests/run.sh's second pass sets pg):
# sqlite = each registry is a file in $TMP; pg = each is a new database on
# $SZTP_TEST_PG (a server tests/pg.sh started), dropped at exit.
E2E_BACKEND=${SZTP_E2E_BACKEND:-sqlite}
PSQL=${PSQL:-psql}

e2e_cleanup() {
	local p
	for p in "${E2E_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${E2E_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	e2e_db_drop
	[ -n "${TMP:-}" ] && [ -z "${E2E_KEEP:-}" ] && rm -rf "$TMP"
}

e2e_init() {
	E2E_NAME=$1
	TMP=$(mktemp -d "/tmp/sztp-$E2E_NAME.XXXXXX")
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	if [ "$E2E_BACKEND" = pg ]; then
		# the result line names the pass: pg:t_x
		E2E_NAME=pg:$1
		[ -n "${SZTP_TEST_PG:-}" ] || { echo "$E2E_NAME: SZTP_E2E_BACKEND=pg without SZTP_TEST_PG"; exit 1; }
	fi
}

# e2e_db NAME: a new, empty registry for this script, on stdout: the file
# $TMP/NAME.db (SQLite; not created: sztpd or sztpctl init creates it), or
# a new database on $SZTP_TEST_PG (pg pass), its URI; dropped at exit
# (the names are kept in $TMP/.e2e_dbs, so DB=$(e2e_db x) works).
e2e_db() {
	local name
	if [ "$E2E_BACKEND" != pg ]; then
		echo "$TMP/$1.db"
		return 0
	fi
	name="e2e_${E2E_NAME#pg:}_$1_$$_$RANDOM"
	name=$(printf '%s' "$name" | tr -c 'a-zA-Z0-9_' '_' | tr 'A-Z' 'a-z' | cut -c1-63)
	"$PSQL" -X -qAt -d "$SZTP_TEST_PG/postgres" -c "CREATE DATABASE \"$name\"" >&2 || return 1
	echo "$name" >>"$TMP/.e2e_dbs"
	echo "$SZTP_TEST_PG/$name"
}

# The databases e2e_db created (pg pass), dropped even while a process we
# did not stop still holds a connection.
e2e_db_drop() {
	local name
	[ -n "${TMP:-}" ] && [ -f "$TMP/.e2e_dbs" ] || return 0
	[ -n "${E2E_KEEP:-}" ] && return 0
	while read -r name; do
		"$PSQL" -X -qAt -d "$SZTP_TEST_PG/postgres" \
			-c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1
	done <"$TMP/.e2e_dbs"
	rm -f "$TMP/.e2e_dbs"
}

# db_q SQL...: run SQL on the script's registry $DB and print the rows,
# one a line, columns separated by '|' (sqlite3's and psql -At's default);
# db_qr REG SQL...: the same on registry REG.  The registry's own tool:
# sqlite3 (waiting up to 5 s for a lock) or psql.  SQL that differs by
# dialect: pick it with e2e_pg (below).
db_q() { db_qr "$DB" "$@"; }
db_qr() {
	local reg=$1 a args=()
	shift
	case $reg in
	postgresql://* | postgres://*)
		for a in "$@"; do args+=(-c "$a"); done
		"$PSQL" -X -qAt -v ON_ERROR_STOP=1 -d "$reg" "${args[@]}"
		;;
	*)
		sqlite3 -cmd ".timeout 5000" "$reg" "$@"
		;;
	esac
}

# e2e_pg: true in the PostgreSQL pass (for SQL or checks that differ).
e2e_pg() { [ "$E2E_BACKEND" = pg ]; }

# db_blob FILE: FILE's bytes as an SQL expression of the run's dialect
# (X'..' for SQLite, decode('..', 'hex') for PostgreSQL): what sqlite's
# readfile() did, without the database server reading our files.
db_blob() {
	local hex
	hex=$(od -An -v -tx1 "$1" | tr -d ' \n')
	if e2e_pg; then
		echo "decode('$hex', 'hex')"
	else
		echo "X'$hex'"
	fi
}

e2e_finish() {
	echo "$E2E_NAME: $E2E_PASS passed, $E2E_FAIL failed"
	[ "$E2E_FAIL" -eq 0 ]
}

pass() { E2E_PASS=$((E2E_PASS + 1)); }
fail() {
	E2E_FAIL=$((E2E_FAIL + 1))
	echo "FAIL: $*" >&2
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local d=$1
	shift
	if "$@" >"$TMP/.check.out" 2>&1; then
		pass
	else
		fail "$d"
		sed 's/^/    | /' "$TMP/.check.out" | head -20 >&2
	fi
}

# check_fails DESCRIPTION COMMAND...: passes when the command fails.
check_fails() {
	local d=$1
	shift
	if "$@" >"$TMP/.check.out" 2>&1; then
		fail "$d (command succeeded)"
	else
		pass
	fi
}

# check_eq DESCRIPTION GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		pass
	else
		fail "$1: got '$2', want '$3'"
	fi
}

# check_contains DESCRIPTION FILE TEXT
check_contains() {
	if grep -qF -- "$3" "$2"; then
		pass
	else
		fail "$1: '$3' not in $2"
		head -c 600 "$2" | sed 's/^/    | /' >&2
		echo >&2
	fi
}

check_not_contains() {
	if grep -qF -- "$3" "$2"; then
		fail "$1: '$3' found in $2"
	else
		pass
	fi
}

# A TCP port nobody listens on.
free_port() {
	local p
	# below the kernel's ephemeral range (32768-60999 on Debian), so no
	# client connection of this or another test can be holding the port,
	# and free in every TCP state (a listener, a connection, TIME_WAIT)
	while :; do
		p=$((20000 + RANDOM % 12000))
		if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return
		fi
	done
}

# free_port_tu: a port free for both TCP and UDP (named, syslog collectors
# listen on both; free_port looks at TCP only)
free_port_tu() {
	local p
	while :; do
		p=$(free_port)
		[ -z "$(ss -Huan "sport = :$p" 2>/dev/null)" ] && break
	done
	echo "$p"
}

# e2e_bg LOGFILE COMMAND...: start in background, remember the PID in E2E_LAST_PID.
e2e_bg() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	E2E_LAST_PID=$!
	E2E_PIDS+=("$E2E_LAST_PID")
}

# wait_https PORT: wait until a TLS listener answers on 127.0.0.1:PORT.
wait_https() {
	local i
	for i in $(seq 1 100); do
		if curl -sk -o /dev/null "https://127.0.0.1:$1/.well-known/host-meta"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# admin_ports: PORT and APORT, two different free ports (the device port
# and the admin listener's; free_port may name one twice before it is bound).
admin_ports() {
	PORT=$(free_port)
	APORT=$(free_port)
	while [ "$APORT" = "$PORT" ]; do APORT=$(free_port); done
}

# ctl_token DB NAME SCOPE FILE: `sztpctl token create` on registry DB, the
# secret it shows once (sztp_ and 43 characters of base64url) into FILE,
# mode 0600; 1 (with sztpctl's output on stderr) when none was printed.
ctl_token() {
	"$BIN/sztpctl" -d "$1" token create "$2" --scope "$3" >"$TMP/token.out" 2>&1
	(umask 077 && grep -o 'sztp_[A-Za-z0-9_-]\{43\}' "$TMP/token.out" | head -n 1 >"$4")
	[ -s "$4" ] || { cat "$TMP/token.out" >&2; return 1; }
}

# forget_pid PID: a stopped process is no longer ours to kill at exit (its
# PID may be reused).
forget_pid() {
	local p keep=()
	for p in "${E2E_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	E2E_PIDS=("${keep[@]}")
}

# stop_pid PID: stop one process we started.
stop_pid() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	forget_pid "$1"
	return 0
}

# stop_clean PID: SIGTERM one process we started (a child of this shell);
# succeeds only when it exits with status 0.
stop_clean() {
	local rc
	kill -TERM "$1" 2>/dev/null || return 1
	wait "$1"
	rc=$?
	forget_pid "$1"
	return "$rc"
}

# check_eventually DESCRIPTION WANT COMMAND...: the command's output
# becomes WANT within 5 s (for rows sztpd writes behind the request path,
# e.g. the bootstrapping log).
check_eventually() {
	local d=$1 want=$2 got i
	shift 2
	for i in $(seq 1 50); do
		got=$("$@" 2>/dev/null)
		[ "$got" = "$want" ] && break
		sleep 0.1
	done
	check_eq "$d" "$got" "$want"
}

# sztpd_conf [LINE]...: an sztpd configuration on loopback for the test's
# $PKI (as sztp-pki init makes it), $DB and $PORT, followed by LINEs
# ("key = value"), on stdout.
sztpd_conf() {
	printf '%s\n' "listen-address = 127.0.0.1" "port = $PORT" \
		"tls-cert = $PKI/server/chain.pem" "tls-key = $PKI/server/key.pem" \
		"client-ca = $PKI/manufacturer/root.pem" "allow-root = yes" \
		"database = $DB" "yang-dir = $TOP/yang" "$@"
}
# start_sztpd CONF LOG: start sztpd in the background (E2E_LAST_PID) and
# wait until it answers on $PORT; the test ends here when it does not.
start_sztpd() {
	e2e_bg "$2" "$BIN/sztpd" -c "$1"
	wait_https "$PORT" || { cat "$2"; echo "sztpd did not start"; exit 1; }
}

# start_nginx_https DIR PORT CERT KEY ROOT: nginx in the background
# (E2E_LAST_PID) serving ROOT over HTTPS on 127.0.0.1:PORT with CERT (a
# chain) and KEY; its configuration, pid, temp directories and logs
# (access.log, error.log, stdout.log) under DIR.  Does not wait: wait_https
# PORT does.
start_nginx_https() {
	local d=$1 port=$2 cert=$3 key=$4 root=$5
	mkdir -p "$d/logs"
	cat >"$d/nginx.conf" <<NGX
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 64; }
http {
  access_log $d/access.log;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    root $root;
  }
}
NGX
	e2e_bg "$d/stdout.log" /usr/sbin/nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" \
		-g 'daemon off;'
}

# agent_conf_file NAME SERIAL [LINE]...: $TMP/NAME.conf, an sztp-agent
# configuration for device SERIAL of the test's $PKI (its IDevID key and
# chain, the manufacturer's root as voucher trust anchor) with device-root
# $TMP/dev/NAME, followed by LINEs ("key = value").
agent_conf_file() {
	local name=$1 sn=$2
	shift 2
	printf '%s\n' "idevid-key = $PKI/devices/$sn/idevid.key" \
		"idevid-chain = $PKI/devices/$sn/chain.pem" \
		"voucher-trust-anchors = $PKI/manufacturer/root.pem" \
		"device-root = $TMP/dev/$name" "$@" >"$TMP/$name.conf"
}
