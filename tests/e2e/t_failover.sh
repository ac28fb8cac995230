#!/bin/bash
# t_failover.sh - sztpd follows a PostgreSQL failover (issue 14,
# docs/scale-out.md): a primary (tests/pg.sh) with a streaming-replication
# standby (pg_basebackup -R -X stream, synchronous: an acknowledged commit
# is on both), sztpd on the two-host URI with target_session_attrs=
# read-write, a fleet running.  The primary is killed mid-fleet (pg_ctl
# stop -m immediate): while no read-write server answers, requests get 503
# (never a wrong answer, never a crash) and /readyz says not ready; the
# standby is promoted (pg_ctl promote) and sztpd serves again without a
# restart; the fleet completes (devices start over: sztp-agent fleet
# --attempts) and every progress report the fleet saw acknowledged is on
# the promoted server.  Runs once in make test (it has its own servers).
. "$(dirname "$0")/lib.sh"
e2e_init t_failover

N=${SZTP_FAILOVER_N:-400}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PKI=$TMP/pki
t0=$(date +%s)
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
STARTED=""
pg_cleanup() {
	local d
	for d in $STARTED; do
		[ -f "$d/data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1
	done
	e2e_cleanup
}
trap pg_cleanup EXIT

# ---- the primary and its standby ------------------------------------------------------
URI1=$(sh "$TOP/tests/pg.sh" start "$TMP/pg1") || { fail "tests/pg.sh start"; e2e_finish; exit 1; }
STARTED="$TMP/pg1"
P1=$(cat "$TMP/pg1/port")
P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
mkdir -p "$TMP/pg2"
[ "$(id -u)" -eq 0 ] && chown postgres "$TMP/pg2"
check "pg_basebackup of the primary (-R -X stream)" as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 \
	-p "$P1" -U sztp -D "$TMP/pg2/data" -R -X stream -c fast
echo "$P2" >"$TMP/pg2/port"
check "the standby starts" as_pg "$PGBIN/pg_ctl" -D "$TMP/pg2/data" -l "$TMP/pg2/server.log" \
	-w -t 30 -o "-p $P2 -k $TMP/pg2 -c listen_addresses=127.0.0.1 -c fsync=off" start
STARTED="$STARTED $TMP/pg2"
URI2=postgresql://sztp@127.0.0.1:$P2/sztp
# synchronous replication: a commit sztpd acknowledges is on the standby too
psql "$URI1" -qAtX -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" >/dev/null
for i in $(seq 1 100); do
	[ "$(psql "$URI1" -qAtX -c "select sync_state from pg_stat_replication")" = sync ] && break
	sleep 0.1
done
check_eq "the standby replicates synchronously" \
	"$(psql "$URI1" -qAtX -c "select sync_state from pg_stat_replication")" sync
check_eq "the standby is read-only" "$(psql "$URI2" -qAtX -c "select pg_is_in_recovery()")" t

DB="postgresql://sztp@127.0.0.1:$P1,127.0.0.1:$P2/sztp?target_session_attrs=read-write"
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
"$BIN/sztp-pki" init --out "$PKI" --count "$N" --prefix SN-V- >/dev/null ||
	{ fail "sztp-pki init"; e2e_finish; exit 1; }
printf 'hostname failover\n' >"$TMP/config.txt"
check "sztpctl init (two-host URI)" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile fleet" CTL profile onboarding fleet --config "$TMP/config.txt" \
	--config-handling merge --reporting verbose
{
	echo "serial,profile,password,voucher"
	for d in "$PKI"/devices/SN-V-*; do
		echo "$(basename "$d"),fleet,,$d/voucher.vcj"
	done
} >"$TMP/fleet.csv"
check "import $N devices" CTL device import "$TMP/fleet.csv"
ctl_token "$DB" ops read "$TMP/read.token" || fail "token create"

admin_ports
sztpd_conf "threads = 2" "admin-port = $APORT" \
	"admin-cert = $PKI/server/chain.pem" "admin-key = $PKI/server/key.pem" \
	"log-failures-per-address-per-minute = 0" "auth-failures-per-address-per-minute = 0" \
	>"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID
readyz() { curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$APORT/readyz"; }
check_eq "/readyz: ready on the primary" "$(readyz)" 200
# api: the admin API with a bearer token (looked up in the registry)
api() {
	curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$TMP/read.token")" \
		"https://127.0.0.1:$APORT/api/v1/devices?limit=1"
}
check_eq "admin API with a token: 200" "$(api)" 200

GBD=restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data
# gbd SERIAL: the status of one get-bootstrapping-data (body in $TMP/gbd)
gbd() {
	curl -sk -o "$TMP/gbd" -w '%{http_code}' --cert "$PKI/devices/$1/chain.pem" \
		--key "$PKI/devices/$1/idevid.key" -H 'Content-Type: application/yang-data+json' \
		-d '{"ietf-sztp-bootstrap-server:input":{"hw-model":"m1","os-name":"x","os-version":"1"}}' \
		"https://127.0.0.1:$PORT/$GBD"
}
# report SERIAL TYPE: the status of one report-progress
report() {
	curl -sk -o /dev/null -w '%{http_code}' --cert "$PKI/devices/$1/chain.pem" \
		--key "$PKI/devices/$1/idevid.key" -H 'Content-Type: application/yang-data+json' \
		-d "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":\"$2\"}}" \
		"https://127.0.0.1:$PORT/restconf/operations/ietf-sztp-bootstrap-server:report-progress"
}

# ---- the fleet; the primary killed mid-run -------------------------------------------------
cat >"$TMP/agent.conf" <<CONF
voucher-trust-anchors = $PKI/manufacturer/root.pem
server-trust-anchors = $PKI/owner/ca.pem
well-known-server = https://localhost:$PORT
os-name = demo-os
os-version = 1.0
yang-dir = $TOP/yang
CONF
tf=$(date +%s)
"$BIN/sztp-agent" fleet -c "$TMP/agent.conf" --pki "$PKI" --prefix SN-V- --count "$N" \
	--concurrency 8 --attempts 30 --work-dir "$TMP/fleet" --json "$TMP/fleet.json" \
	--acked "$TMP/acked.txt" >"$TMP/fleet.out" 2>&1 &
FLEET=$!
E2E_PIDS+=("$FLEET")
done_devices() { psql "$URI1" -qAtX -c "select count(distinct serial) from progress where type = 'bootstrap-complete'" 2>/dev/null; }
for i in $(seq 1 600); do
	[ "$(done_devices)" -ge $((N / 3)) ] 2>/dev/null && break
	kill -0 "$FLEET" 2>/dev/null || break
	sleep 0.1
done
check "the fleet still runs when the primary goes" kill -0 "$FLEET"
echo "stopping the primary (immediate) after $(done_devices) devices completed"
check "the primary is killed (pg_ctl stop -m immediate)" as_pg "$PGBIN/pg_ctl" -D "$TMP/pg1/data" \
	-m immediate -w stop
td=$(date +%s%N)

# ---- no read-write server: 503, never a wrong answer ---------------------------------------
codes=""
for i in 1 2 3 4 5; do
	codes="$codes $(gbd SN-V-0001)/$(report SN-V-0001 bootstrap-initiated)"
	sleep 0.3
done
echo "while down (get-bootstrapping-data/report-progress):$codes"
check_eq "while down: every request 503" "$(echo $codes | tr ' /' '\n\n' | sort -u | tr '\n' ' ')" "503 "
check_contains "503: the device is told to retry" "$TMP/gbd" "retry later"
check_eq "/readyz while down: 503" "$(readyz)" 503
check_eq "admin API with a token while down: 503 (not 401)" "$(api)" 503
check "sztpd still runs" kill -0 "$SZTPD"

# ---- the standby promoted: served again, no restart ------------------------------------------
check "the standby is promoted (pg_ctl promote)" as_pg "$PGBIN/pg_ctl" -D "$TMP/pg2/data" -w promote
tp=$(date +%s%N)
st=""
for i in $(seq 1 100); do
	st=$(gbd SN-V-0002)
	[ "$st" = 200 ] && break
	sleep 0.1
done
echo "down for $(((tp - td) / 1000000)) ms until the promotion; served again $(( ($(date +%s%N) - tp) / 1000000 )) ms after it"
check_eq "after the promotion: get-bootstrapping-data 200 (same sztpd)" "$st" 200
# each registry handle (device path, admin listener) reconnects on its own,
# at most every 500 ms: within a second of each other
for i in $(seq 1 30); do
	[ "$(readyz)" = 200 ] && [ "$(api)" = 200 ] && break
	sleep 0.1
done
echo "admin listener ready again $(( ($(date +%s%N) - tp) / 1000000 )) ms after the promotion"
check_eq "/readyz after the promotion: 200" "$(readyz)" 200
check_eq "admin API with a token after the promotion: 200" "$(api)" 200
wait "$FLEET"
forget_pid "$FLEET"
echo "fleet: $(($(date +%s) - tf)) s"
sed -n '1,2p' "$TMP/fleet.out"
F() { jq -r "$1" "$TMP/fleet.json"; }
check_eq "fleet: every device bootstrapped" "$(F .bootstrapped)" "$N"
echo "fleet: $(F .runs) runs for $N devices"
check "some devices started over (the outage was mid-fleet)" test "$(F .runs)" -gt "$N"

# ---- nothing acknowledged lost: the promoted server has every acknowledged report --------------
psql "$URI2" -qAtX -c "select serial, count(*), sum(case when type = 'bootstrap-complete' then 1 else 0 end)
   from progress where serial like 'SN-V-%' group by serial" | tr '|' ' ' | sort >"$TMP/stored.txt"
sort "$TMP/acked.txt" >"$TMP/acked.sorted"
check_eq "acknowledged: one line per device" "$(wc -l <"$TMP/acked.sorted")" "$N"
missing=$(join -a 1 -e 0 -o 1.1,1.4,1.6,2.2,2.3 "$TMP/acked.sorted" "$TMP/stored.txt" |
	awk '$4 < $2 || $5 < $3' | tee "$TMP/missing.txt" | wc -l)
check_eq "every acknowledged report is on the promoted server (devices short of one)" "$missing" 0
head -5 "$TMP/missing.txt"
echo "reports: $(awk '{s += $4} END {print s}' "$TMP/acked.txt") acknowledged, $(awk '{s += $2} END {print s}' "$TMP/stored.txt") stored"
check_contains "sztpd logged the outage" "$TMP/sztpd.log" "REGISTRY UNAVAILABLE"
check_contains "sztpd logged the recovery" "$TMP/sztpd.log" "the registry answers again: storing resumes"
check_not_contains "no 500 while down" "$TMP/sztpd.log" "status=500"
check "sztpd stops cleanly" stop_clean "$SZTPD"
echo "t_failover: $(($(date +%s) - t0)) s"
e2e_finish
