#!/bin/bash
# bench/run.sh - `make bench` (issue 4): how many devices per second sztpd
# bootstraps, against the TLS ceiling of its own stack (bench/ceiling.c) and
# Debian's nginx, and how that changes with the number of enrolled devices;
# and sztpd again with its admin listener enabled and an NMS polling it
# (issue 10: the device path must not slow down), and with a webhook and
# remote syslog taking every event (issue 12: within 5 %); and sztpd on
# PostgreSQL (issue 14: its own throw-away server, tests/pg.sh, with
# pg_stat_statements): devices/s, server CPU, the database's CPU, its
# statements (round trips) and commits per device.
# Prints figures; it is not a pass/fail test.  Every file lives in a mktemp
# directory (removed on exit unless BENCH_KEEP=1); only processes started
# here are stopped.  Results (markdown table, per-run JSON) go to BENCH_OUT.
#
# Settings (environment):
#   BENCH_DEVICES=1000   devices per run, each with its own IDevID
#   BENCH_RUNS=5         runs per measurement (median, min, max reported)
#   BENCH_CONC=50        devices in flight
#   BENCH_REPORTS=3      report-progress calls per device
#   BENCH_SIZES="1000 100000 1000000"   enrolled devices in the registry
#   BENCH_RSS_CONC=500   concurrency of the RSS run at the largest size
#   BENCH_THREADS=nproc  ceiling threads / nginx workers
#   BENCH_SZTPD_THREADS=0  sztpd threads (0 = its default, one per core)
#   BENCH_OUT=$BUILD/bench/out
#   BENCH_PERF=1         also `perf record` sztpd during one run (perf.txt)
#   BENCH_KEEP=1         keep the temp directory
#   BENCH_PG=0           skip the sztpd-on-PostgreSQL runs (issue 14; default on
#                        when PostgreSQL 15 is installed)
set -u
shopt -u patsub_replacement 2>/dev/null
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) BIN=$BUILD ;; *) BIN=$TOP/$BUILD ;; esac
export SZTP_BUILD=$BIN
E2E_KEEP=${BENCH_KEEP:-}
. "$TOP/tests/e2e/lib.sh"

D=${BENCH_DEVICES:-1000}
R=${BENCH_RUNS:-5}
C=${BENCH_CONC:-50}
K=${BENCH_REPORTS:-3}
SIZES=${BENCH_SIZES:-1000 100000 1000000}
RSS_C=${BENCH_RSS_CONC:-500}
NPROC=$(nproc)
THREADS=${BENCH_THREADS:-$NPROC}
OUT=${BENCH_OUT:-$BIN/bench/out}
TCK=$(getconf CLK_TCK)
NGINX=${BENCH_NGINX:-/usr/sbin/nginx}
LOAD=$BIN/bench/sztp-load
CEILING=$BIN/bench/ceiling

e2e_init bench
mkdir -p "$OUT"
rm -f "$OUT"/run-*.json "$OUT"/runs.tsv
T0=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$*" >&2; }
die() {
	say "ERROR: $*"
	exit 1
}

for p in "$BIN/sztpd" "$BIN/sztpctl" "$BIN/sztp-pki" "$LOAD" "$CEILING"; do
	[ -x "$p" ] || die "$p missing (run make bench)"
done
[ -x "$NGINX" ] || say "no $NGINX: the nginx column is skipped"
command -v jq >/dev/null || die "jq is needed"

PKI=$TMP/pki
DB=$TMP/sztp.db
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }

# ---- helpers ---------------------------------------------------------------

# pids of a process and its children (nginx master + workers)
family() { echo "$1" $(pgrep -P "$1" 2>/dev/null); }
# cpu_ticks PID: utime+stime of the process (and its children)
cpu_ticks() {
	local t=0 p
	for p in $(family "$1"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
# kib PID FIELD: VmHWM / VmRSS in KiB (summed over the family)
kib() {
	local t=0 p
	for p in $(family "$1"); do
		t=$((t + $(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# wait_up PORT PID: seconds until the server answers host-meta (10 ms polling)
wait_up() {
	local t0 i
	t0=$(date +%s.%N)
	for i in $(seq 1 3000); do
		kill -0 "$2" 2>/dev/null || return 1
		if curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:$1/.well-known/host-meta"; then
			awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# load NAME PORT PID LABEL CONC: one run; appends a line to runs.tsv
RUN_N=0
load() {
	local name=$1 port=$2 pid=$3 label=$4 conc=$5 c0 c1 b0 b1 j
	RUN_N=$((RUN_N + 1))
	j=$OUT/run-$RUN_N-$name-$label.json
	c0=$(cpu_ticks "$pid")
	b0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat)
	"$LOAD" --url-base "https://localhost:$port" --resolve "localhost:$port:127.0.0.1" \
		--pki "$PKI" --devices "$D" --concurrency "$conc" --reports "$K" \
		--json "$j" >"$TMP/load.out" 2>&1
	c1=$(cpu_ticks "$pid")
	b1=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat)
	[ -s "$j" ] || {
		cat "$TMP/load.out" >&2
		die "$name: load tool failed"
	}
	jq -r --arg n "$name" --arg l "$label" --argjson cpu "$((c1 - c0))" --argjson tck "$TCK" \
		--argjson busy "$((b1 - b0))" --argjson ncpu "$NPROC" \
		--argjson hwm "$(kib "$pid" VmHWM)" --argjson rss "$(kib "$pid" VmRSS)" \
		'[$n, $l, .dev_per_s, .req_per_s, .req_p50_ms, .req_p95_ms, .req_p99_ms,
		  .dev_p50_ms, .dev_p95_ms, .dev_p99_ms,
		  (if .devices_ok > 0 then $cpu / $tck * 1000 / .devices_ok else 0 end),
		  $hwm, $rss, .requests_failed, .gbd_bytes,
		  ([.failures | to_entries[] | "\(.key)=\(.value)"] | join(";")), .tls,
		  (($busy - $cpu) / $tck - .client_cpu_s) / (.elapsed_s * $ncpu) * 100] | @tsv' \
		"$j" >>"$OUT/runs.tsv"
	say "$(tail -1 "$OUT/runs.tsv" | awk -F'\t' '{ printf "%-8s %-13s %6.1f devices/s %7.1f req/s  p99 %6.1f ms  cpu %.2f ms/device  failed %s  other load %.0f%%", $1, $2, $3, $4, $7, $11, $14, $18 }')"
}

# stat NAME LABEL COL: "median [min-max]" of a runs.tsv column
st3() {
	awk -F'\t' -v n="$1" -v l="$2" -v c="$3" '$1 == n && $2 == l { print $c }' "$OUT/runs.tsv" |
		sort -g | awk -v f="${4:-%.1f}" '{ v[NR] = $1 } END {
			if (!NR) { print "-"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf f " [" f "–" f "]", m, v[1], v[NR] }'
}
med() {
	awk -F'\t' -v n="$1" -v l="$2" -v c="$3" '$1 == n && $2 == l { print $c }' "$OUT/runs.tsv" |
		sort -g | awk '{ v[NR] = $1 } END { if (!NR) print 0; else print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
sumcol() { awk -F'\t' -v n="$1" -v l="$2" -v c="$3" '$1 == n && $2 == l { s += $c } END { print s + 0 }' "$OUT/runs.tsv"; }
maxcol() { awk -F'\t' -v n="$1" -v l="$2" -v c="$3" '$1 == n && $2 == l && $c > m { m = $c } END { print m + 0 }' "$OUT/runs.tsv"; }

# ---- PKI and the registry with the load devices -----------------------------
say "minting a PKI with $D devices (ECDSA P-256)"
"$BIN/sztp-pki" init --out "$PKI" --count "$D" --prefix BN- >"$TMP/pki.out" 2>&1 ||
	{ cat "$TMP/pki.out"; die "sztp-pki init failed"; }
printf 'benchmark boot image\n%.0s' $(seq 1 64) >"$TMP/image.img"
printf 'hostname bench\ninterface eth0\n description uplink\n' >"$TMP/config.txt"
CTL init >/dev/null || die "sztpctl init failed"
CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key" >/dev/null ||
	die "owner set failed"
CTL profile onboarding onb --image-name bench-os --image-version 1.0 \
	--image-file "$TMP/image.img" --image-uri https://files.example.net/bench-os.img \
	--config "$TMP/config.txt" --config-handling merge --reporting verbose >/dev/null ||
	die "profile failed"
echo "serial,profile,password,voucher" >"$TMP/load.csv"
ls "$PKI/devices" | sort | head -n "$D" |
	awk -v p="$PKI/devices" '{ print $1 ",onb,," p "/" $1 "/voucher.vcj" }' >>"$TMP/load.csv"
ENROLLED=$D
t0=$(date +%s.%N)
CTL device import "$TMP/load.csv" >"$TMP/import.out" 2>&1 || { cat "$TMP/import.out"; die "import failed"; }
ENROL_VOUCHER_RATE=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$D" 'BEGIN { printf "%.0f", n / (b - a) }')
say "enrolled $D load devices with vouchers: $ENROL_VOUCHER_RATE devices/s"

PORT_S=$(free_port)
cat >"$TMP/sztpd.conf" <<CONF
listen-address = 127.0.0.1
port = $PORT_S
tls-cert = $PKI/server/chain.pem
tls-key = $PKI/server/key.pem
client-ca = $PKI/manufacturer/root.pem
database = $DB
yang-dir = $TOP/yang
threads = ${BENCH_SZTPD_THREADS:-0}
log-level = info
# the load generator is one address holding up to BENCH_RSS_CONC connections
max-connections-per-address = 0
allow-root = yes
CONF

# The admin listener's run: the same sztpd with admin-port set and an NMS
# (one curl, one kept-alive connection, admin client certificate) asking
# GET /api/v1/devices?limit=100 and GET /api/v1/progress every 100 ms.
PORT_A=$(free_port)
while [ "$PORT_A" = "$PORT_S" ]; do PORT_A=$(free_port); done
"$BIN/sztp-pki" ca --out "$TMP/nmsca" --name "NMS CA" >/dev/null || die "NMS CA failed"
"$BIN/sztp-pki" leaf --ca "$TMP/nmsca" --out "$TMP/nmsca/nms" --serial NMS-1 --client >/dev/null ||
	die "NMS certificate failed"
{
	cat "$TMP/sztpd.conf"
	printf '%s\n' "admin-port = $PORT_A" "admin-client-ca = $TMP/nmsca/ca.pem"
} >"$TMP/sztpd-admin.conf"
for i in $(seq 1 6000); do # 10 minutes of polling at most
	printf 'url = "https://localhost:%s/api/v1/devices?limit=100"\noutput = "/dev/null"\n' "$PORT_A"
	printf 'url = "https://localhost:%s/api/v1/progress"\noutput = "/dev/null"\n' "$PORT_A"
done >"$TMP/nms.curl"
NMS=
# nms_start / nms_stop: the NMS around one run; nms.tsv: run, status, count
: >"$OUT/nms.tsv"
nms_start() {
	wait_up "$PORT_A" "$SZTPD" >/dev/null || die "the admin listener did not start"
	e2e_bg /dev/null curl -s --rate 20/s --cacert "$PKI/owner/ca.pem" \
		--cert "$TMP/nmsca/nms.pem" --key "$TMP/nmsca/nms.key" -K "$TMP/nms.curl"
	NMS=$E2E_LAST_PID
}
nms_stop() {
	stop_pid "$NMS"
	NMS=
	# what sztpd answered, from its admin-audit lines
	sed -n 's/.* admin-audit .* path=\/api\/v1[^ ]* status=\([0-9]*\) .*/\1/p' "$TMP/sztpd.log" | sort | uniq -c |
		awk -v r="$RUN_N" '{ print r "\t" $2 "\t" $1 }' >>"$OUT/nms.tsv"
}

# The events run (issue 12): the same sztpd with a webhook (the Python
# receiver of docs/nms-integration.md, HTTPS, HMAC checked, fsync before
# each 204) and remote syslog (rsyslogd over TCP, octet counting), both on
# loopback and started once.  The webhook exists only around these runs
# (added before, so its cursor starts at the newest event; removed after,
# so the other runs deliver nothing); the other runs have no syslog-target.
# events.tsv: run, events of the run, seconds after the run until both
# consumers had all of them.
PORT_W=$(free_port)
PORT_Y=$(free_port)
while [ "$PORT_Y" = "$PORT_W" ]; do PORT_Y=$(free_port); done
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
EVENTS=
: >"$OUT/events.tsv"
# The receivers stand in for machines of their own: what they store goes
# to a tmpfs directory, so their fsyncs do not queue with sztpd's on this
# machine's one disk, and they run under SCHED_IDLE (chrt --idle), so on
# these 2 cores they take only what sztpd and the load tool leave idle
# (they catch up after a run if they must: the line under the table says
# how long that took).
EV_DIR=$(mktemp -d /dev/shm/sztp-bench-events.XXXXXX 2>/dev/null || mktemp -d "$TMP/events.XXXXXX")
trap 'e2e_cleanup; rm -rf "$EV_DIR"' EXIT
if [ -x "$RSYSLOGD" ] && [ -f "$TOP/tests/e2e/webhook_receiver.py" ]; then
	EVENTS=1
	(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/hook.secret")
	e2e_bg "$TMP/receiver.log" chrt --idle 0 python3 "$TOP/tests/e2e/webhook_receiver.py" --port "$PORT_W" \
		--cert "$PKI/server/chain.pem" --key "$PKI/server/key.pem" \
		--secret-file "$TMP/hook.secret" --out "$EV_DIR/hook.jsonl"
	RECV=$E2E_LAST_PID
	mkdir -p "$TMP/rs"
	cat >"$TMP/rsyslog.conf" <<RS
global(workDirectory="$TMP/rs" maxMessageSize="64k")
module(load="imtcp")
template(name="line" type="string" string="%msgid% %structured-data%\n")
ruleset(name="tcp") { action(type="omfile" file="$EV_DIR/syslog.log" template="line") }
input(type="imtcp" address="127.0.0.1" port="$PORT_Y" ruleset="tcp")
RS
	e2e_bg "$TMP/rsyslogd.log" chrt --idle 0 "$RSYSLOGD" -n -f "$TMP/rsyslog.conf" -i "$TMP/rs/pid"
	RSYS=$E2E_LAST_PID
	{
		cat "$TMP/sztpd.conf"
		echo "syslog-target = tcp://127.0.0.1:$PORT_Y"
	} >"$TMP/sztpd-events.conf"
else
	say "no rsyslogd or webhook receiver: the sztpd+events row is skipped"
fi
events_start() {
	CTL webhook remove bench >/dev/null 2>&1
	CTL webhook add bench --url "https://localhost:$PORT_W/sztp" --secret-file "$TMP/hook.secret" \
		--ca-cert "$PKI/owner/ca.pem" >/dev/null 2>&1 || die "webhook add failed"
	EV_FROM=$(sqlite3 "$DB" "select coalesce(max(id), 0) from events")
}
events_run() {
	events_start
	start_sztpd events
	load sztpd+events "$PORT_S" "$SZTPD" cmp "$C"
	events_stop
}
# events_stop: after the run, until the webhook's and syslog's cursors
# reach the newest event (60 s at most), then the webhook goes
events_stop() {
	local t0 last i
	t0=$(date +%s.%N)
	last=$(sqlite3 "$DB" "select coalesce(max(id), 0) from events")
	for i in $(seq 1 600); do
		[ "$(sqlite3 "$DB" "select (select cursor from webhooks where name = 'bench') >= $last and
			(select cursor from event_cursors where name = 'syslog') >= $last")" = 1 ] && break
		sleep 0.1
	done
	printf '%s\t%s\t%s\n' "$RUN_N" $((last - EV_FROM)) \
		"$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" >>"$OUT/events.tsv"
	stop_pid "$SZTPD"
	SZTPD=
	CTL webhook remove bench >/dev/null 2>&1
}

# sztpd on PostgreSQL (issue 14): a throw-away PostgreSQL 15 (tests/pg.sh
# makes and starts it; it is restarted here with fsync on, as a real
# primary runs, and pg_stat_statements loaded) holding a copy of the
# registry made by `sztpctl migrate` once the first size is enrolled.
# Per run (pg.tsv): the CPU of every postgres process (the postmaster's
# own and its children's, the exited backends' included through cutime),
# the statements sztpd ran (pg_stat_statements calls: each one round trip)
# and the transactions it committed (pg_stat_database xact_commit), read
# before sztpd starts and after it stopped (a backend's counters are
# flushed at its exit).
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGB=$TMP/pg
PG_URI=
PGB_ON=
if [ "${BENCH_PG:-1}" != 0 ] && [ -x "$PGBIN/pg_ctl" ] && command -v psql >/dev/null; then
	PGB_ON=1
else
	say "no PostgreSQL 15 (or BENCH_PG=0): the sztpd+pg row is skipped"
fi
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_bench_start() {
	PG_URI=$(sh "$TOP/tests/pg.sh" start "$PGB") || die "tests/pg.sh start failed"
	sh "$TOP/tests/pg.sh" stop "$PGB" || die "tests/pg.sh stop failed"
	as_pg "$PGBIN/pg_ctl" -D "$PGB/data" -l "$PGB/server.log" -w -t 60 \
		-o "-p $(cat "$PGB/port") -k $PGB -c listen_addresses=127.0.0.1 -c fsync=on -c shared_preload_libraries=pg_stat_statements" \
		start >/dev/null || { cat "$PGB/server.log" >&2; die "PostgreSQL did not restart"; }
	PG_ADMIN=${PG_URI%/*}/postgres
	psql -XAtq "$PG_ADMIN" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" ||
		die "CREATE EXTENSION pg_stat_statements failed"
	trap 'e2e_cleanup_pg; e2e_cleanup; rm -rf "$EV_DIR"' EXIT
}
e2e_cleanup_pg() { sh "$TOP/tests/pg.sh" stop "$PGB" >/dev/null 2>&1; }
pg_bench_stop() {
	# what sztpd ran, over all its runs: the statements by calls
	[ -n "$PG_URI" ] && psql -XAtq -F ' | ' "$PG_ADMIN" -c "select calls, rows,
		round(total_exec_time::numeric / calls * 1000) || ' us', left(regexp_replace(query, '\s+', ' ', 'g'), 110)
		from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = 'sztp'
		order by calls desc limit 25" >"$OUT/pg-statements.txt" 2>&1
	[ -n "$PG_URI" ] && sh "$TOP/tests/pg.sh" stop "$PGB" >/dev/null 2>&1
	PG_URI=
}
# pg_counters: "ticks statements commits wal-syncs" of the cluster / database
# sztp now (WAL syncs: the flushes the commits waited for, group commit
# merging concurrent ones; cluster-wide, reported by each process at its
# exit or within a second)
pg_counters() {
	local pm t=0 p
	pm=$(head -1 "$PGB/data/postmaster.pid")
	t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")
	for p in $(pgrep -P "$pm"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t $(psql -XAtq -F ' ' "$PG_ADMIN" -c "select
		(select coalesce(sum(calls), 0) from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = 'sztp'),
		(select xact_commit from pg_stat_database where datname = 'sztp'),
		(select wal_sync from pg_stat_wal)")"
}
# pg_idle: until no session is left on database sztp (10 s at most)
pg_idle() {
	local i
	for i in $(seq 1 100); do
		[ "$(psql -XAtq "$PG_ADMIN" -c "select count(*) from pg_stat_activity where datname = 'sztp'")" = 0 ] && return 0
		sleep 0.1
	done
}
# pg_run: one sztpd+pg run; a line in pg.tsv: run, DB CPU ms/device,
# statements/device, commits/device, sztpd's sessions at the end of the load,
# WAL syncs/device
: >"$OUT/pg.tsv"
pg_run() {
	local a b devs conns
	pg_idle
	a=$(pg_counters)
	start_sztpd pg
	load sztpd+pg "$PORT_S" "$SZTPD" cmp "$C"
	conns=$(psql -XAtq "$PG_ADMIN" -c "select count(*) from pg_stat_activity where datname = 'sztp'")
	stop_pid "$SZTPD"
	SZTPD=
	pg_idle
	sleep 1.2 # the WAL writer's counters
	b=$(pg_counters)
	devs=$(jq -r .devices_ok "$OUT/run-$RUN_N-sztpd+pg-cmp.json")
	echo "$a $b" | awk -v r="$RUN_N" -v n="$devs" -v tck="$TCK" -v k="$conns" '{
		if (n <= 0) n = 1
		printf "%s\t%.3f\t%.2f\t%.2f\t%s\t%.2f\n", r, ($5 - $1) / tck * 1000 / n, ($6 - $2) / n, ($7 - $3) / n, k, ($8 - $4) / n }' >>"$OUT/pg.tsv"
	say "$(tail -1 "$OUT/pg.tsv" | awk -F'\t' '{ printf "sztpd+pg database: %.2f ms CPU, %.1f statements, %.1f commits, %.2f WAL syncs per device", $2, $3, $4, $6 }')"
}
# pgst COL [FORMAT]: "median [min-max]" of a pg.tsv column
pgst() {
	awk -F'\t' -v c="$1" '{ print $c }' "$OUT/pg.tsv" | sort -g | awk -v f="${2:-%.2f}" '{ v[NR] = $1 } END {
		if (!NR) { print "-"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf f " [" f "–" f "]", m, v[1], v[NR] }'
}
pgmed() {
	awk -F'\t' -v c="$1" '{ print $c }' "$OUT/pg.tsv" | sort -g |
		awk '{ v[NR] = $1 } END { if (!NR) print 0; else print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# start_sztpd [SIZE|admin]: a new sztpd on the growing registry, on the
# copy made at SIZE enrolled devices, or with the admin listener.  Every sztpd run starts a new process: the
# devices of a run are then new to it, as a fleet's are (no verified chain
# cached from an earlier run).
SZTPD=
start_sztpd() {
	local conf=$TMP/sztpd.conf
	[ -n "${1:-}" ] && conf=$TMP/sztpd-$1.conf
	[ -n "$SZTPD" ] && stop_pid "$SZTPD"
	e2e_bg "$TMP/sztpd.log" "$BIN/sztpd" -c "$conf"
	SZTPD=$E2E_LAST_PID
	STARTUP=$(wait_up "$PORT_S" "$SZTPD") || { cat "$TMP/sztpd.log"; die "sztpd did not start"; }
	START_RSS=$(kib "$SZTPD" VmRSS)
}

# grow_to SIZE: bulk-enrol plain filler devices up to SIZE; sets RATE
filler=0
grow_to() {
	local n t0
	RATE=-
	[ "$1" -gt "$ENROLLED" ] || return 0
	n=$(($1 - ENROLLED))
	t0=$(date +%s.%N)
	# `sztpctl device import` takes at most 100,000 devices a call (the
	# admin API's bulk limit): a million goes in ten calls
	local done=0 k
	while [ "$done" -lt "$n" ]; do
		k=$((n - done))
		[ "$k" -le 100000 ] || k=100000
		echo "serial,profile,password,voucher" >"$TMP/fill.csv"
		awk -v a="$((filler + done))" -v n="$k" 'BEGIN { for (i = a + 1; i <= a + n; i++) printf "BF-%08d,onb,,\n", i }' >>"$TMP/fill.csv"
		CTL device import "$TMP/fill.csv" >"$TMP/import.out" 2>&1 || { cat "$TMP/import.out"; die "filler import failed"; }
		done=$((done + k))
	done
	RATE=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$n" 'BEGIN { printf "%.0f", n / (b - a) }')
	filler=$((filler + n))
	ENROLLED=$1
	rm -f "$TMP/fill.csv"
	say "bulk enrolment of $n more devices: $RATE devices/s"
}
FLEET=$OUT/fleet.tsv
: >"$FLEET"
# fleet_row SIZE: start-up and memory of the run just made (one per run)
fleet_row() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$STARTUP" "$START_RSS" \
		"$(kib "$SZTPD" VmRSS)" "$(kib "$SZTPD" VmHWM)" >>"$FLEET"
}
# fmed SIZE COL: median of a fleet.tsv column at SIZE; fmax: maximum
fmed() {
	awk -F'\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$FLEET" | sort -g |
		awk '{ v[NR] = $1 } END { if (!NR) print 0; else print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
fmax() { awk -F'\t' -v n="$1" -v c="$2" '$1 == n && $c > m { m = $c } END { print m + 0 }' "$FLEET"; }

# ---- the response size -------------------------------------------------------
FIRST_SIZE=${SIZES%% *}
grow_to "$FIRST_SIZE"
declare -A GROW_RATE
GROW_RATE[$FIRST_SIZE]=$RATE
start_sztpd
SDP='{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null]}}'
st=$(curl -s -o "$TMP/gbd.json" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
	--cert "$PKI/devices/BN-0001/chain.pem" --key "$PKI/devices/BN-0001/idevid.key" \
	-H 'Content-Type: application/yang-data+json' -d "$SDP" \
	"https://localhost:$PORT_S/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data")
[ "$st" = 200 ] || { cat "$TMP/gbd.json"; die "sztpd get-bootstrapping-data: $st"; }
jq -e '."ietf-sztp-bootstrap-server:output"."owner-certificate"' "$TMP/gbd.json" >/dev/null ||
	die "sztpd reply is not signed onboarding information"
BODY_SIZE=$(wc -c <"$TMP/gbd.json")
# the fixed servers answer sztpd's own reply, byte for byte
cp "$TMP/gbd.json" "$TMP/body"
say "sztpd signed get-bootstrapping-data reply: $BODY_SIZE bytes; fixed body $(wc -c <"$TMP/body") bytes"

# ---- the PostgreSQL copy ----------------------------------------------------------
if [ -n "$PGB_ON" ]; then
	stop_pid "$SZTPD"
	SZTPD=
	pg_bench_start
	t0=$(date +%s.%N)
	"$BIN/sztpctl" migrate --from "sqlite:$DB" --to "$PG_URI" >"$TMP/migrate.out" 2>&1 ||
		{ cat "$TMP/migrate.out"; die "sztpctl migrate to PostgreSQL failed"; }
	MIGRATE_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	sed "s|^database = .*|database = $PG_URI|" "$TMP/sztpd.conf" >"$TMP/sztpd-pg.conf"
	say "registry migrated to PostgreSQL in ${MIGRATE_S}s ($(tail -1 "$TMP/migrate.out"))"
fi

# ---- ceiling and nginx ---------------------------------------------------------
PORT_C=$(free_port)
e2e_bg "$TMP/ceiling.log" "$CEILING" --port "$PORT_C" --cert "$PKI/server/chain.pem" \
	--key "$PKI/server/key.pem" --trust "$PKI/manufacturer/root.pem" \
	--body-file "$TMP/body" --threads "$THREADS"
CEIL=$E2E_LAST_PID
wait_up "$PORT_C" "$CEIL" >/dev/null || { cat "$TMP/ceiling.log"; die "ceiling did not start"; }
PORT_V=$(free_port)
e2e_bg "$TMP/ceiling-v.log" "$CEILING" --port "$PORT_V" --cert "$PKI/server/chain.pem" \
	--key "$PKI/server/key.pem" --trust "$PKI/manufacturer/root.pem" \
	--body-file "$TMP/body" --threads "$THREADS" --verify-chain
CEILV=$E2E_LAST_PID
wait_up "$PORT_V" "$CEILV" >/dev/null || { cat "$TMP/ceiling-v.log"; die "ceiling --verify-chain did not start"; }

NGX=
if [ -x "$NGINX" ]; then
	PORT_N=$(free_port)
	ND=$TMP/nginx
	mkdir -p "$ND"
	conf=$(<"$TOP/bench/nginx.conf.in")
	cp "$TMP/body" "$ND/body.json"
	# nginx started by root serves files as an unprivileged worker user
	chmod 711 "$TMP" && chmod 755 "$ND" && chmod 644 "$ND/body.json"
	conf=${conf//@WORKERS@/$THREADS}
	conf=${conf//@DIR@/$ND}
	conf=${conf//@PORT@/$PORT_N}
	conf=${conf//@CERT@/$PKI/server/chain.pem}
	conf=${conf//@KEY@/$PKI/server/key.pem}
	conf=${conf//@CLIENT_CA@/$PKI/manufacturer/root.pem}
	conf=${conf//@CURVES@/${BENCH_NGINX_CURVES:-prime256v1:X25519}}
	printf '%s\n' "$conf" >"$ND/nginx.conf"
	e2e_bg "$ND/stderr.log" "$NGINX" -p "$ND" -c "$ND/nginx.conf" -e "$ND/error.log" -g 'daemon off;'
	NGX=$E2E_LAST_PID
	wait_up "$PORT_N" "$NGX" >/dev/null || { cat "$ND/stderr.log" "$ND/error.log"; die "nginx did not start"; }
fi

# ---- the three servers, runs interleaved ------------------------------------------
say "servers: $R runs x $D devices, concurrency $C, $K report-progress calls per device"
for r in $(seq 1 "$R"); do
	load ceiling "$PORT_C" "$CEIL" cmp "$C"
	load ceil+vfy "$PORT_V" "$CEILV" cmp "$C"
	[ -n "$NGX" ] && load nginx "$PORT_N" "$NGX" cmp "$C"
	# sztpd and sztpd+events side by side, their order swapped every
	# round, so drift of the machine within a round falls on both alike
	if [ -n "$EVENTS" ] && [ $((r % 2)) = 0 ]; then
		events_run
		start_sztpd
		load sztpd "$PORT_S" "$SZTPD" cmp "$C"
	else
		start_sztpd
		load sztpd "$PORT_S" "$SZTPD" cmp "$C"
		[ -n "$EVENTS" ] && events_run
	fi
	start_sztpd admin
	nms_start
	load sztpd+nms "$PORT_S" "$SZTPD" cmp "$C"
	nms_stop
	[ -n "$PGB_ON" ] && pg_run
done
pg_bench_stop
[ -n "$EVENTS" ] && stop_pid "$RECV" && stop_pid "$RSYS"
EVENTS_HOOK=$([ -f "$EV_DIR/hook.jsonl" ] && wc -l <"$EV_DIR/hook.jsonl" || echo 0)
EVENTS_SYSLOG=$([ -f "$EV_DIR/syslog.log" ] && wc -l <"$EV_DIR/syslog.log" || echo 0)
if [ -n "${BENCH_PERF:-}" ] && command -v perf >/dev/null; then
	say "perf record on sztpd during one extra run"
	start_sztpd
	# DWARF call graphs: Debian's libraries have no frame pointers
	perf record -F 999 --call-graph dwarf,16384 -o "$TMP/perf.data" -p "$SZTPD" >/dev/null 2>&1 &
	PERF=$!
	load sztpd "$PORT_S" "$SZTPD" perf "$C"
	kill -INT "$PERF"
	wait "$PERF"
	{
		echo "# by library"
		perf report -i "$TMP/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
			grep '%' | head -20
		echo "# by function"
		perf report -i "$TMP/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
			grep '%' | head -60
	} >"$OUT/perf.txt"
	perf report -i "$TMP/perf.data" --children --sort sym --stdio -g none 2>/dev/null |
		grep '%' | head -80 >"$OUT/perf-children.txt"
fi
CEIL_HWM=$(kib "$CEIL" VmHWM)
CEILV_HWM=$(kib "$CEILV" VmHWM)
stop_pid "$CEILV"
NGX_HWM=$([ -n "$NGX" ] && kib "$NGX" VmHWM || echo 0)
stop_pid "$CEIL"
[ -n "$NGX" ] && stop_pid "$NGX"

stop_pid "$SZTPD"
SZTPD=

# ---- fleet size --------------------------------------------------------------------
# One registry file per size (grown, then copied), and the sizes' runs
# interleaved like the servers', so drift of the machine does not fall on
# one size.
for size in $SIZES; do
	grow_to "$size"
	[ "$size" = "$FIRST_SIZE" ] || GROW_RATE[$size]=$RATE
	sqlite3 "$DB" ".backup '$TMP/sztp-$size.db'" || die "cannot copy the registry at $size"
	sed "s|^database = .*|database = $TMP/sztp-$size.db|" "$TMP/sztpd.conf" >"$TMP/sztpd-$size.conf"
done
say "fleet size: $R runs x sizes $SIZES, interleaved"
for r in $(seq 1 "$R"); do
	for size in $SIZES; do
		start_sztpd "$size"
		say "sztpd with $size enrolled: up in ${STARTUP}s, RSS $(mib "$START_RSS") MiB"
		load sztpd "$PORT_S" "$SZTPD" "fleet-$size" "$C"
		fleet_row "$size"
	done
done
LARGEST=${SIZES##* }
say "RSS run: $RSS_C concurrent devices with $LARGEST enrolled"
start_sztpd "$LARGEST"
load sztpd "$PORT_S" "$SZTPD" rss "$RSS_C"
RSS_HWM=$(kib "$SZTPD" VmHWM)
stop_pid "$SZTPD"

# ---- the table ------------------------------------------------------------------------
{
	echo "## Servers"
	echo
	echo "$D devices per run (one IDevID each, a new mTLS connection each), $C in flight, $K"
	echo "report-progress calls after get-bootstrapping-data on the same connection; $R runs,"
	echo "median [min–max]; ceiling $THREADS threads, nginx $THREADS workers, sztpd threads = ${BENCH_SZTPD_THREADS:-0} (0 = one per core); reply body $BODY_SIZE bytes;"
	echo "sztpd registry: $FIRST_SIZE enrolled devices; a new sztpd process for each run."
	echo
	echo "| server | devices/s | requests/s | request p50 ms | p95 ms | p99 ms | device p50 ms | device p99 ms | server CPU ms/device | peak RSS MiB | failed requests | other load % |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	for s in ceiling ceil+vfy nginx sztpd sztpd+nms sztpd+events; do
		grep -q "^$s	cmp	" "$OUT/runs.tsv" || continue
		case $s in
		ceiling) hwm=$CEIL_HWM ;; ceil+vfy) hwm=$CEILV_HWM ;; nginx) hwm=$NGX_HWM ;;
		sztpd) hwm=$(maxcol sztpd cmp 12) ;;
		sztpd+nms) hwm=$(maxcol sztpd+nms cmp 12) ;;
		sztpd+events) hwm=$(maxcol sztpd+events cmp 12) ;;
		esac
		echo "| $s | $(st3 $s cmp 3) | $(st3 $s cmp 4) | $(st3 $s cmp 5 %.2f) | $(st3 $s cmp 6 %.2f) | $(st3 $s cmp 7 %.2f) | $(st3 $s cmp 8 %.1f) | $(st3 $s cmp 10 %.1f) | $(st3 $s cmp 11 %.2f) | $(mib "${hwm:-0}") | $(sumcol $s cmp 14) | $(st3 $s cmp 18 %.0f) |"
	done
	echo
	sm=$(med sztpd cmp 3) cm=$(med ceiling cmp 3) nm=$(med nginx cmp 3) vm=$(med ceil+vfy cmp 3)
	awk -v s="$sm" -v c="$cm" -v n="$nm" -v v="$vm" 'BEGIN {
		printf "Ratios of median devices/s: **sztpd/ceiling = %.2f**", (c > 0 ? s / c : 0)
		if (v > 0) printf ", sztpd/ceil+vfy = %.2f", s / v
		if (n > 0) printf ", **sztpd/nginx = %.2f**", s / n
		printf " (goal: sztpd >= 0.9 x ceiling).\n" }'
	echo
	awk -v s="$(med sztpd cmp 11)" -v c="$(med ceiling cmp 11)" -v n="$(med nginx cmp 11)" -v v="$(med ceil+vfy cmp 11)" 'BEGIN {
		printf "Ratios of median server CPU per device (capacity, less sensitive to other load): "
		printf "**ceiling/sztpd = %.2f**", (s > 0 ? c / s : 0)
		if (v > 0) printf ", ceil+vfy/sztpd = %.2f", v / s
		if (n > 0) printf ", **nginx/sztpd = %.2f**", n / s
		printf ".\n" }'
	echo
	awk -v a="$(med sztpd cmp 3)" -v b="$(med sztpd+nms cmp 3)" -v ca="$(med sztpd cmp 11)" -v cb="$(med sztpd+nms cmp 11)" 'BEGIN {
		printf "Admin listener: **sztpd+nms/sztpd = %.2f** of median devices/s, server CPU per device %.2f / %.2f ms (goal: unchanged).\n", (a > 0 ? b / a : 0), cb, ca }'
	awk -F'\t' '{ n[$2] += $3; t += $3 } END {
		printf "sztpd+nms: sztpd with admin-port set and an NMS (one curl, one kept-alive connection, admin client certificate) asking GET /api/v1/devices?limit=100 and GET /api/v1/progress every 100 ms during each run; answers: "
		s = ""; for (k in n) { printf "%s%s %d", s, k, n[k]; s = ", " }
		printf " (%d in all).\n", t }' "$OUT/nms.tsv"
	if [ -s "$OUT/events.tsv" ]; then
		awk -v a="$(med sztpd cmp 3)" -v b="$(med sztpd+events cmp 3)" -v ca="$(med sztpd cmp 11)" -v cb="$(med sztpd+events cmp 11)" 'BEGIN {
			printf "Events: **sztpd+events/sztpd = %.2f** of median devices/s (goal: >= 0.95), server CPU per device %.2f / %.2f ms.\n", (a > 0 ? b / a : 0), cb, ca }'
		awk -F'\t' -v h="$EVENTS_HOOK" -v y="$EVENTS_SYSLOG" '{ n += $2; if ($3 > m) m = $3 } END {
			printf "sztpd+events: a webhook (Python HTTPS receiver, HMAC checked, fsync per delivery) and syslog over TCP to rsyslogd, both under SCHED_IDLE writing to tmpfs (they stand in for other machines); %d events in the runs, the receiver stored %d, rsyslog wrote %d; both consumers had every event at most %.1f s after a run ended.\n", n, h, y, m }' "$OUT/events.tsv"
	fi
	echo
	echo "ceiling: the MHD+GnuTLS stack with sztpd's TLS settings answering the fixed body (the"
	echo "handshake proves possession of the IDevID key; no chain check).  ceil+vfy: the same, also"
	echo "verifying the client chain to the manufacturer root once per connection, as nginx does."
	echo
	echo "TLS negotiated (first connection): ceiling \`$(awk -F'\t' '$1 == "ceiling" { print $17; exit }' "$OUT/runs.tsv")\`, nginx \`$(awk -F'\t' '$1 == "nginx" { print $17; exit }' "$OUT/runs.tsv")\`, sztpd \`$(awk -F'\t' '$1 == "sztpd" { print $17; exit }' "$OUT/runs.tsv")\`."
	echo
	if [ -s "$OUT/pg.tsv" ]; then
		echo "## sztpd on PostgreSQL"
		echo
		echo "The same $R x $D devices against sztpd on PostgreSQL 15 (this machine, its own throw-away"
		echo "server: fsync on, synchronous_commit on, pg_stat_statements) holding the registry that"
		echo "\`sztpctl migrate\` copied from the SQLite file ($FIRST_SIZE enrolled, ${MIGRATE_S}s); runs interleaved"
		echo "with the rows above.  Database CPU: every postgres process (backends, WAL writer,"
		echo "checkpointer...); statements: pg_stat_statements calls (each one round trip);"
		echo "commits: pg_stat_database xact_commit (read-only ones included); WAL syncs: pg_stat_wal"
		echo "wal_sync (the flushes commits waited for); per device of the run."
		echo
		echo "| registry | devices/s | request p99 ms | server CPU ms/device | database CPU ms/device | statements/device | commits/device | WAL syncs/device | sessions |"
		echo "|---|---|---|---|---|---|---|---|---|"
		echo "| SQLite (in sztpd) | $(st3 sztpd cmp 3) | $(st3 sztpd cmp 7 %.2f) | $(st3 sztpd cmp 11 %.2f) | (in sztpd's) | - | - | - | - |"
		echo "| PostgreSQL | $(st3 sztpd+pg cmp 3) | $(st3 sztpd+pg cmp 7 %.2f) | $(st3 sztpd+pg cmp 11 %.2f) | $(pgst 2) | $(pgst 3 %.1f) | $(pgst 4 %.1f) | $(pgst 6) | $(pgst 5 %.0f) |"
		echo
		awk -v a="$(med sztpd cmp 3)" -v b="$(med sztpd+pg cmp 3)" -v s="$(med sztpd+pg cmp 11)" -v d="$(pgmed 2)" 'BEGIN {
			printf "sztpd+pg/sztpd = %.2f of median devices/s.  ", (a > 0 ? b / a : 0)
			if (s > 0 && d > 0) printf "Capacity per core (medians): one sztpd core %.0f devices/s, one PostgreSQL core %.0f devices/s: one primary core carries %.1f sztpd cores.\n", 1000 / s, 1000 / d, s / d }'
		echo
	fi
	echo "## Fleet size (sztpd)"
	echo
	echo "Bulk enrolment of the $D load devices with ownership vouchers (each voucher verified): $ENROL_VOUCHER_RATE devices/s."
	echo
	echo "| enrolled devices | bulk enrolment devices/s | start-up s | RSS after start-up MiB | devices/s | request p99 ms | server CPU ms/device | RSS after load MiB | peak RSS MiB | other load % |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	for n in $SIZES; do
		echo "| $n | ${GROW_RATE[$n]:--} | $(printf %.3f "$(fmed "$n" 2)") | $(mib "$(fmed "$n" 3)") | $(st3 sztpd "fleet-$n" 3) | $(st3 sztpd "fleet-$n" 7 %.2f) | $(st3 sztpd "fleet-$n" 11 %.2f) | $(mib "$(fmed "$n" 4)") | $(mib "$(fmax "$n" 5)") | $(st3 sztpd "fleet-$n" 18 %.0f) |"
	done
	echo
	echo "Each run a new sztpd process on the registry file of that size; sizes interleaved;"
	echo "start-up and RSS are medians over the runs, peak RSS the maximum."
	echo
	awk -v a="$(med sztpd "fleet-$FIRST_SIZE" 3)" -v b="$(med sztpd "fleet-$LARGEST" 3)" -v n="$LARGEST" -v m="$FIRST_SIZE" 'BEGIN {
		printf "Throughput at %d enrolled / at %d enrolled: %.2f (goal: no loss).\n", n, m, (a > 0 ? b / a : 0) }'
	awk -v a="$(med sztpd "fleet-$FIRST_SIZE" 11)" -v b="$(med sztpd "fleet-$LARGEST" 11)" 'BEGIN {
		printf "Server CPU per device at the largest / at the smallest size: %.2f.\n", (a > 0 ? b / a : 0) }'
	echo
	echo "## $RSS_C concurrent connections, $LARGEST enrolled"
	echo
	echo "| devices/s | request p99 ms | device p99 ms | failed requests | sztpd peak RSS MiB (goal < 64) |"
	echo "|---|---|---|---|---|"
	echo "| $(st3 sztpd rss 3) | $(st3 sztpd rss 7 %.2f) | $(st3 sztpd rss 10 %.1f) | $(sumcol sztpd rss 14) | $(mib "$RSS_HWM") |"
	fails=$(awk -F'\t' '$16 != "" { print $1 " " $2 ": " $16 }' "$OUT/runs.tsv" | sort -u)
	if [ -n "$fails" ]; then
		echo
		echo "Failures by cause:"
		echo
		echo "$fails" | sed 's/^/- /'
	fi
} >"$OUT/results.md"
{
	echo
	echo "Machine: $NPROC cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), Linux $(uname -r); load generator and servers share the cores."
	echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). Total time $(($(date +%s) - T0)) s."
} >>"$OUT/results.md"
echo
cat "$OUT/results.md"
echo
echo "(written to $OUT/results.md; per-run figures in $OUT/runs.tsv and $OUT/run-*.json; PostgreSQL's statements in $OUT/pg-statements.txt)"
