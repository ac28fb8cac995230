#!/bin/sh
# tests/pg.sh - a throw-away PostgreSQL 15 (Debian's postgresql-15) for the
# tests: a new cluster in a folder the caller owns, on a free port of
# 127.0.0.1, its socket in that folder, run as an unprivileged user
# (postgres refuses to run as root: as root the cluster belongs to the
# "postgres" user the Debian package creates).  Nothing outside the folder
# is touched; `stop` stops only the server whose pid file is in it.
#
#   tests/pg.sh start DIR [PORT]   initdb + start; prints the registry URI
#                                  (postgresql://sztp@127.0.0.1:PORT/sztp)
#   tests/pg.sh stop DIR           stop it (fast shutdown), keep DIR
#   tests/pg.sh uri DIR            the URI again
#   tests/pg.sh createdb DIR NAME  one more database; prints its URI
set -eu
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
	echo "usage: tests/pg.sh start|stop|uri|createdb DIR [PORT|NAME]" >&2
	exit 2
}
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
case $cmd in
start)
	[ -x "$PGBIN/initdb" ] || {
		echo "tests/pg.sh: $PGBIN/initdb missing (apt-get install postgresql-15)" >&2
		exit 1
	}
	port=${3:-$(free_port)}
	mkdir -p "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$dir"
		# the postgres user must reach DIR: a mktemp -d parent is 0700
		chmod o+x "$(dirname "$dir")"
	fi
	as_owner "$PGBIN/initdb" -D "$dir/data" -A trust -U sztp --no-sync -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	echo "$port" >"$dir/port"
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" \
		start >/dev/null || {
		cat "$dir/server.log" >&2
		exit 1
	}
	as_owner "$PGBIN/psql" -h "$dir" -p "$port" -U sztp -d postgres -qAt \
		-c "CREATE DATABASE sztp" >/dev/null
	echo "postgresql://sztp@127.0.0.1:$port/sztp"
	;;
stop)
	[ -f "$dir/data/postmaster.pid" ] || exit 0
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	;;
uri)
	echo "postgresql://sztp@127.0.0.1:$(cat "$dir/port")/sztp"
	;;
createdb)
	name=${3:?database name}
	port=$(cat "$dir/port")
	as_owner "$PGBIN/psql" -h "$dir" -p "$port" -U sztp -d postgres -qAt \
		-c "CREATE DATABASE \"$name\"" >/dev/null
	echo "postgresql://sztp@127.0.0.1:$port/$name"
	;;
*)
	echo "tests/pg.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
