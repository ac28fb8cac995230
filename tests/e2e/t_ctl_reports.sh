#!/usr/bin/env bash
# t_ctl_reports.sh - sztpctl's reports, tokens and audit through the
# admin API (in-process on the registry file): --limit N is still the
# newest N rows although the API pages oldest first (checked against
# sqlite3 / psql on a log of 120,000 rows, through both of its paths), the new
# filters, device timeline, a token shown once and stored as its SHA-256
# only (sha256sum, and grep of the database file), revocation, and the
# audit trail of these changes.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init t_ctl_reports
for tool in jq sha256sum; do
	command -v "$tool" >/dev/null || { fail "needs $tool"; e2e_finish; exit 1; }
done
DB=$(e2e_db reg) || exit 1
export SZTP_DB=$DB SZTP_YANG_DIR=$TOP/yang
unset SZTP_MASA_CA SZTP_TOKEN
CTL() { "$BIN/sztpctl" "$@"; }
# ids of a --json listing, one line
ids() { jq -r '[.[].id] | map(tostring) | join(",")' "$TMP/out.json"; }
# ids from the registry's own tool (sqlite3, psql): the newest N of a query's rows, oldest first
newest() { db_q "select id from ($1) as q order by id desc limit $2" | sort -n | paste -sd, -; }
# a long id list in short: count, first, last and a hash
brief() { printf '%s' "$1" | awk -F, '{ printf "%d rows %s..%s ", NF, $1, $NF }'; printf '%s' "$1" | sha256sum | cut -c1-16; }

check "init" CTL init
for sn in SN-1 SN-2 SN-3; do check "device add $sn" CTL device add "$sn"; done
now=$(date +%s)
t0=$((now - 5 * 86400))
# 120,000 log rows: every fifth SN-2, every seventh auth-failed without a serial
db_q "with recursive n(i) as (select 1 union all select i + 1 from n where i < 120000)
	insert into bootstrap_log(serial, time, peer, endpoint, result, status, duration_us)
	select case when i % 7 = 0 then '' when i % 5 = 0 then 'SN-2' else 'SN-1' end,
	       $t0 + i, '192.0.2.9', 'get-bootstrapping-data',
	       case when i % 7 = 0 then 'auth-failed' else 'signed' end,
	       case when i % 7 = 0 then 401 else 200 end, i from n"
db_q "insert into progress(serial, time, peer, type, message) values
	('SN-1', $t0, '192.0.2.1', 'bootstrap-initiated', NULL),
	('SN-1', $((t0 + 20)), '192.0.2.1', 'informational', 'two'),
	('SN-2', $((t0 + 30)), '192.0.2.2', 'bootstrap-initiated', NULL),
	('SN-1', $((t0 + 40)), '192.0.2.1', 'bootstrap-complete', 'done')"

# ---- --limit: the newest N, whatever the list's size ---------------------------
CTL log --limit 5 --json >"$TMP/out.json"
check_eq "log --limit 5: the newest 5 rows" "$(ids)" "$(newest 'select id from bootstrap_log' 5)"
CTL log SN-2 --limit 999 --json >"$TMP/out.json"
check_eq "log SN-2 --limit 999 (the largest searched)" "$(brief "$(ids)")" \
	"$(brief "$(newest "select id from bootstrap_log where serial = 'SN-2'" 999)")"
CTL log --result auth-failed --limit 3 --json >"$TMP/out.json"
check_eq "log --result auth-failed --limit 3" "$(ids)" \
	"$(newest "select id from bootstrap_log where result = 'auth-failed'" 3)"
CTL log --limit 1500 --json >"$TMP/out.json"
check_eq "log --limit 1500 (several pages, a ring)" "$(brief "$(ids)")" \
	"$(brief "$(newest 'select id from bootstrap_log' 1500)")"
CTL log --limit 5 --after-id 119990 --json >"$TMP/out.json"
check_eq "log --after-id with --limit" "$(ids)" "119996,119997,119998,119999,120000"
CTL log --after-id 119997 --json >"$TMP/out.json"
check_eq "log --after-id: the rows after it" "$(ids)" "119998,119999,120000"
CTL log --limit 200000 --json >"$TMP/out.json"
check_eq "log --limit above the row count: every row" "$(jq length "$TMP/out.json")" 120000
since=$(date -u -d "@$((t0 + 100))" +%Y-%m-%dT%H:%M:%SZ)
before=$(date -u -d "@$((t0 + 110))" +%Y-%m-%dT%H:%M:%SZ)
CTL log --since "$since" --before "$before" --json >"$TMP/out.json"
check_eq "log --since/--before: [since, before)" "$(ids)" "100,101,102,103,104,105,106,107,108,109"
CTL log --limit 3 --result auth-failed >"$TMP/log.txt"
check_eq "log --limit 3: header and three lines" "$(wc -l <"$TMP/log.txt")" 4
check "log text: the unauthenticated row shows '-'" grep -Eq '^[0-9T:Z-]+ +- +192.0.2.9 +get-bootstrapping-data +auth-failed +401' "$TMP/log.txt"
check_fails "log --since not a time" CTL log --since yesterday
check_contains "...names the parameter" "$TMP/.check.out" "'since' is not an RFC 3339 time"

# ---- progress ---------------------------------------------------------------------
CTL progress --type bootstrap-initiated --json >"$TMP/out.json"
check_eq "progress --type" "$(jq -r '[.[].serial] | join(",")' "$TMP/out.json")" "SN-1,SN-2"
CTL progress SN-1 --limit 2 --json >"$TMP/out.json"
check_eq "progress SN-1 --limit 2: the newest two" "$(jq -r '[.[].type] | join(",")' "$TMP/out.json")" \
	"informational,bootstrap-complete"
check "progress --json: the API's members" jq -e '.[0] | has("id") and has("ssh-host-keys") and .message == "two"' "$TMP/out.json"
CTL progress >"$TMP/prog.txt"
check "progress text as before" grep -Eq '^[0-9T:Z-]+ +SN-1 +192.0.2.1 +bootstrap-complete +done$' "$TMP/prog.txt"

# ---- device timeline ------------------------------------------------------------------
db_q "insert into bootstrap_log(serial, time, peer, endpoint, result, status, duration_us)
	values ('SN-3', $((t0 + 50)), '192.0.2.3', 'get-bootstrapping-data', 'signed', 200, 7)"
db_q "insert into progress(serial, time, peer, type, message) values
	('SN-3', $((t0 + 50)), '192.0.2.3', 'bootstrap-initiated', 'go'),
	('SN-3', $((t0 + 10)), '192.0.2.3', 'informational', 'early')"
check "device timeline" CTL device timeline SN-3
check_eq "timeline: header and three entries" "$(wc -l <"$TMP/.check.out")" 4
CTL device timeline SN-3 --json >"$TMP/out.json"
check_eq "timeline --json: by time, log before progress at the same second" \
	"$(jq -r '[.[] | .source + ":" + (.message // .endpoint)] | join(",")' "$TMP/out.json")" \
	"progress:early,log:get-bootstrapping-data,progress:go"
check_fails "timeline of a serial never seen" CTL device timeline NOBODY
check_contains "...says so" "$TMP/.check.out" "sztpctl: error: serial 'NOBODY' is not enrolled and has no progress reports or log rows"

# ---- tokens ------------------------------------------------------------------------
CTL token create nms --scope read --expires 30d >"$TMP/tok.out" 2>"$TMP/tok.err"
check_eq "token create: one line on stdout" "$(wc -l <"$TMP/tok.out")" 1
check "token create: the token alone" grep -Eqx 'sztp_[A-Za-z0-9_-]{43}' "$TMP/tok.out"
check_contains "token create: shown this once (stderr)" "$TMP/tok.err" "is shown this once"
tok=$(cat "$TMP/tok.out")
check_eq "only the SHA-256 is stored" "$(if e2e_pg; then db_q "select encode(hash, 'hex') from admin_tokens where name = 'nms'"; else db_q "select lower(hex(hash)) from admin_tokens where name = 'nms'"; fi)" \
	"$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)"
if e2e_pg; then
	pg_dump -d "$DB" >"$TMP/dump.sql" || fail "pg_dump"
	check_fails "the token's text is nowhere in the database" grep -qF "${tok#sztp_}" "$TMP/dump.sql"
else
	check_fails "the token's text is nowhere in the database" grep -qF "${tok#sztp_}" "$SZTP_DB" "$SZTP_DB-wal"
fi
check "token create (write, no expiry)" CTL token create ops --scope write
check_fails "token create: a taken name" CTL token create nms --scope read
check_contains "...refused" "$TMP/.check.out" "token 'nms' exists"
check_fails "token create without --scope" CTL token create x
check_fails "token create: bad scope" CTL token create x --scope admin
check_contains "...names the values" "$TMP/.check.out" "'scope' must be \"read\" or \"write\""
check_fails "token create: bad duration" CTL token create x --expires 3w --scope read
check_contains "...says what a duration is" "$TMP/.check.out" "--expires wants a duration such as 30d"
check "token list" CTL token list
cp "$TMP/.check.out" "$TMP/tokens.txt"
check "token list: nms read active" grep -Eq '^nms +read +active ' "$TMP/tokens.txt"
check "token list: ops never expires" grep -Eq '^ops +write +active +[0-9T:Z-]+ +- +-$' "$TMP/tokens.txt"
CTL token list --json >"$TMP/out.json"
check "token list --json: no secret" jq -e 'length == 2 and all(.[]; has("token") | not)' "$TMP/out.json"
check_fails "token list --json: the token's text is not in it" grep -qF "${tok#sztp_}" "$TMP/out.json"
check "token revoke" CTL token revoke nms
check_contains "...says so" "$TMP/.check.out" "revoked token 'nms'"
check "token list: nms revoked" bash -c "'$BIN/sztpctl' token list | grep -Eq '^nms +read +revoked '"
check_fails "token revoke: no such token" CTL token revoke nosuch
check_contains "...names it" "$TMP/.check.out" "token 'nosuch' does not exist"

# ---- prune and audit ---------------------------------------------------------------------
rows_before=$(db_q "select count(*) from bootstrap_log")
check "prune --older-than 4" CTL prune --older-than 4
cp "$TMP/.check.out" "$TMP/prune.txt"
gone=$((rows_before - $(db_q "select count(*) from bootstrap_log")))
check "prune removed the old rows" [ "$gone" -gt 80000 ]
check "prune: what it removed" grep -Eq "^pruned $gone log rows and 6 progress reports from before " "$TMP/prune.txt"
check_eq "prune: no log row older than 4 days is left" \
	"$(db_q "select count(*) from bootstrap_log where time < $(date +%s) - 4 * 86400 - 60")" 0
CTL audit --json >"$TMP/out.json"
check_eq "audit: every change, oldest first" "$(jq -r '[.[].action] | join(",")' "$TMP/out.json")" \
	"device.create,device.create,device.create,token.create,token.create,token.revoke,prune"
check_eq "audit: sztpctl's actor" "$(jq -r '.[0].actor' "$TMP/out.json")" "local:$(id -un)"
check "audit: prune's detail" jq -e '.[6].detail."progress-deleted" == 6 and .[6].resource == ""' "$TMP/out.json"
CTL audit --resource tokens/n --json >"$TMP/out.json"
check_eq "audit --resource (a prefix)" "$(jq -r '[.[].action] | join(",")' "$TMP/out.json")" "token.create,token.revoke"
CTL audit --limit 1 >"$TMP/audit.txt"
check "audit --limit 1: the newest" grep -Eq "^[0-9T:Z-]+ +local:$(id -un) +prune " "$TMP/audit.txt"
check_eq "audit --limit 1: header and one line" "$(wc -l <"$TMP/audit.txt")" 2
CTL audit --actor nobody --json >"$TMP/out.json"
check_eq "audit --actor: nobody made nothing" "$(jq length "$TMP/out.json")" 0
e2e_finish
