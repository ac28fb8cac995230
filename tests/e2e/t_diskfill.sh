#!/bin/bash
# Unauthenticated disk fill (issue 9): one address floods sztpd with failed
# RPCs over kept-alive connections for FLOOD_S seconds: two clients guess
# the HTTP Basic password of an enrolled device, one sends no credentials,
# one guesses serials that are not enrolled.  The bootstrapping log grows by
# a bounded number of rows (log-failures-per-address-per-minute, and one
# summary row "N more failures" for the rest, N exact); the serial gets 429
# after auth-failures-per-serial-per-minute failures, the address after
# auth-failures-per-address-per-minute, with Retry-After; and the real
# device, presenting its valid IDevID from the same address, still
# bootstraps and reports during the flood.
. "$(dirname "$0")/lib.sh"
e2e_init t_diskfill

FLOOD_S=${FLOOD_S:-10}
FLOODERS=4
PER_CURL=200 # requests per curl process, on one kept-alive connection
LOG_PER_ADDR=20
AUTH_PER_ADDR=30
PKI=$TMP/pki
DB=$TMP/sztp.db
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }

"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 >/dev/null || { echo "sztp-pki init failed"; exit 1; }
printf 'hostname x\n' >"$TMP/config.txt"
check "init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile" CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge
check "enrol SN-1 (IDevID and a password)" CTL device add SN-1 --profile onb \
	--voucher "$PKI/devices/SN-1/voucher.vcj" --password 'the-Real-pw-1'
check "enrol SN-PW (password only)" CTL device add SN-PW --profile onb --password 'pw-2'

PORT=$(free_port)
sztpd_conf "threads = 2" "log-level = info" "log-failures-per-address-per-minute = $LOG_PER_ADDR" "log-failures-per-minute = 1000" "auth-failures-per-address-per-minute = $AUTH_PER_ADDR" "auth-failures-per-serial-per-minute = 10" >"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID

BASE=https://localhost:$PORT
GBD=$BASE/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data
RP=$BASE/restconf/operations/ietf-sztp-bootstrap-server:report-progress
JSON='Content-Type: application/yang-data+json'
IN='{"ietf-sztp-bootstrap-server:input":{}}'
rows() { sqlite3 "$DB" "select count(*) from bootstrap_log"; }
CURL=(curl -s --cacert "$PKI/owner/ca.pem" --resolve "localhost:$PORT:127.0.0.1")

# ---- guessing one serial's password: slowed after 10 -----------------------------
before=$(rows)
g=()
for _ in $(seq 1 12); do g+=("$GBD"); done
"${CURL[@]}" -u 'SN-1:guess' -H "$JSON" -d "$IN" -w '%{stderr}%{http_code}\n' "${g[@]}" \
	>/dev/null 2>"$TMP/guess"
check_eq "Basic guesses for SN-1: 10 x 401, then 429" "$(sort "$TMP/guess" | uniq -c | tr -s ' ' | tr '\n' ';')" \
	" 10 401; 2 429;"
check_contains "the serial's limit is logged" "$TMP/sztpd.log" "auth: serial SN-1: 10 HTTP Basic failures within a minute"
prelude=12

# ---- the flood ------------------------------------------------------------------
urls=()
for _ in $(seq 1 "$PER_CURL"); do urls+=("$GBD"); done
flood() { # flood N: curl after curl until FLOOD_S is over; a status per line
	local end=$(($(date +%s) + FLOOD_S)) cred=() i=0
	while [ "$(date +%s)" -lt "$end" ]; do
		case $1 in
		1 | 2) cred=(-u 'SN-1:guess') ;;		  # the device's password
		3) cred=() ;;					  # nothing
		4) cred=(-u "SN-NOBODY-$((i++)):guess") ;; # serials, not enrolled
		esac
		"${CURL[@]}" --max-time 30 "${cred[@]}" -H "$JSON" -d "$IN" \
			-w '%{stderr}%{http_code}\n' "${urls[@]}" >/dev/null 2>>"$TMP/flood.$1"
	done
}
t0=$(date +%s)
for k in $(seq 1 "$FLOODERS"); do
	: >"$TMP/flood.$k"
	flood "$k" &
	E2E_PIDS+=($!)
	FLOOD_PIDS+=($!)
done

# the real device, from the same address, while the flood goes on
sleep 2
# a device with a password only, from the flooding address: 429, told when
# to come back (the price of sharing an address with an attacker).  Asked
# while the flood surely runs (2 s in, of FLOOD_S): later, a slow build
# (ASan) may reach it after the flood, when the address has refilled.
pw=$("${CURL[@]}" --max-time 10 -o "$TMP/pw.out" -D "$TMP/pw.h" -w '%{http_code}' \
	-u 'SN-PW:pw-2' -H "$JSON" -d "$IN" "$GBD")
real_ok=0 real_n=0
while [ $(($(date +%s) - t0)) -lt $((FLOOD_S - 2)) ]; do
	real_n=$((real_n + 1))
	st=$("${CURL[@]}" --max-time 10 -o "$TMP/real.out" -w '%{http_code}' \
		--cert "$PKI/devices/SN-1/chain.pem" --key "$PKI/devices/SN-1/idevid.key" \
		-H "$JSON" -d '{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null]}}' "$GBD")
	rp=$("${CURL[@]}" --max-time 10 -o /dev/null -w '%{http_code}' \
		--cert "$PKI/devices/SN-1/chain.pem" --key "$PKI/devices/SN-1/idevid.key" -H "$JSON" \
		-d "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":\"informational\",\"message\":\"during-flood-$real_n\"}}" "$RP")
	[ "$st" = 200 ] && [ "$rp" = 204 ] && real_ok=$((real_ok + 1))
	sleep 1
done
wait "${FLOOD_PIDS[@]}"

cat "$TMP"/flood.* >"$TMP/codes"
total=$(wc -l <"$TMP/codes")
n401=$(grep -cx 401 "$TMP/codes")
n429=$(grep -cx 429 "$TMP/codes")
other=$((total - n401 - n429))
echo "flood: $total requests in ${FLOOD_S}s from $FLOODERS keep-alive clients: $n401 x 401, $n429 x 429, $other other" >&2

check "the flood made many requests (>= 500)" test "$total" -ge 500
check_eq "every flood request failed with 401 or 429" "$other" 0
check "429 appears" test "$n429" -gt 0
# 30 per minute per address, refilled at 0.5/s: at most 30 + FLOOD_S/2 + 1
check "at most auth-failures-per-address 401s, then 429s" test "$n401" -le $((AUTH_PER_ADDR + FLOOD_S / 2 + 1))
check "the real device (IDevID) bootstrapped and reported during the flood" test "$real_ok" -ge 3
check_eq "... every time it tried" "$real_ok" "$real_n"
check_eq "its reports are stored" \
	"$(sqlite3 "$DB" "select count(*) from progress where serial='SN-1' and message like 'during-flood-%'")" "$real_n"
check_eq "a password-only device on the flooding address: 429" "$pw" 429
check_contains "429 carries Retry-After" "$TMP/pw.h" "Retry-After: "
check "Retry-After is a number of seconds" grep -Eq '^Retry-After: [1-9][0-9]*' "$TMP/pw.h"
check_eq "429 error-tag" "$(jq -r '."ietf-restconf:errors".error[0]."error-tag"' "$TMP/pw.out")" resource-denied
check_contains "429 message" "$TMP/pw.out" "too many failed authentication attempts"
check_contains "the address's limit is logged" "$TMP/sztpd.log" "auth: peer 127.0.0.1: $AUTH_PER_ADDR authentication failures within a minute"
check "... once each (per minute), not per refused request" test \
	"$(grep -c 'failures within a minute' "$TMP/sztpd.log")" -le 4
check "failures before the limit are logged, refusals after it are not" test \
	"$(grep -c 'auth: peer 127.0.0.1' "$TMP/sztpd.log")" -le $((10 + n401 + 2))

# the stop writes the summary of what was not recorded
check "sztpd stops" stop_clean "$SZTPD"
added=$(($(rows) - before))
failed_rows=$(sqlite3 "$DB" "select count(*) from bootstrap_log where peer='127.0.0.1' and status >= 400")
summary=$(sqlite3 "$DB" "select result from bootstrap_log where endpoint='suppressed' and peer='127.0.0.1'")
echo "bootstrapping log: $added rows added ($failed_rows failure rows, summary '$summary')" >&2
# one minute window at most (FLOOD_S < 60): LOG_PER_ADDR failure rows + 1
# summary (+1 if the flood straddled two windows) + the real device's rows
check "failure rows bounded by log-failures-per-address-per-minute" test "$failed_rows" -le $((2 * LOG_PER_ADDR))
check "the log grew by a bounded number of rows" test "$added" -le $((2 * LOG_PER_ADDR + 2 + real_n + 2))
check "a summary row was written" test -n "$summary"
sum=$(sqlite3 "$DB" "select coalesce(sum(cast(result as integer)), 0) from bootstrap_log where endpoint='suppressed' and peer='127.0.0.1'")
check_eq "summary rows + failure rows = failed requests (+ the password-only device's)" \
	"$((sum + failed_rows))" "$((prelude + n401 + n429 + 1))"
CTL log >"$TMP/log.txt"
check_contains "sztpctl log shows the summary" "$TMP/log.txt" "more failures"
e2e_finish
