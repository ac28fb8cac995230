#!/usr/bin/env bash
# t_sztpctl.sh - end-to-end test of the admin CLI: drives build/sztpctl
# with a PKI minted by build/sztp-pki on every run, and checks its work
# with independent tools (sqlite3 .dump for "a failed command changes
# nothing", sha256sum, base64, openssl pkcs7, jq).
set -u
TOP=${SZTP_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${SZTP_BUILD:-$TOP/build}
case "$BIN" in /*) ;; *) BIN="$TOP/$BIN" ;; esac
CTL=$BIN/sztpctl
PKI_TOOL=$BIN/sztp-pki
T=$(mktemp -d /tmp/t_sztpctl.XXXXXX)
trap 'rm -rf "$T"' EXIT
PASS=0 FAIL=0

export SZTP_DB=$T/reg.db SZTP_YANG_DIR=$TOP/yang
unset SZTP_MASA_CA
DB=$SZTP_DB

ok() { PASS=$((PASS + 1)); }
no() { FAIL=$((FAIL + 1)); echo "FAIL: $*" >&2; }
show_out() { sed 's/^/    | /' "$T/out" "$T/err" | head -15 >&2; }

# run CMD...: output in $T/out, $T/err, status in $RC
run() { "$@" >"$T/out" 2>"$T/err"; RC=$?; }

# good DESC CMD...: the command succeeds
good() {
	local d=$1; shift
	run "$@"
	if [ "$RC" -eq 0 ]; then ok; else no "$d (exit $RC)"; show_out; fi
}

# refused DESC REGEX CMD...: the command fails (non-zero), prints one
# "sztpctl: error:" line matching REGEX, and the database is unchanged.
refused() {
	local d=$1 re=$2; shift 2
	sqlite3 "$DB" .dump >"$T/before" 2>/dev/null
	run "$@"
	sqlite3 "$DB" .dump >"$T/after" 2>/dev/null
	if [ "$RC" -eq 0 ]; then no "$d: command succeeded"; show_out; return; fi
	if ! grep -q '^sztpctl: error: ' "$T/err"; then no "$d: no 'sztpctl: error:' line"; show_out; return; fi
	if ! grep -Eq "$re" "$T/err"; then no "$d: message does not match /$re/"; show_out; return; fi
	if ! cmp -s "$T/before" "$T/after"; then no "$d: database changed"; diff "$T/before" "$T/after" | head >&2; return; fi
	ok
}

# expect DESC: test a condition given as the remaining arguments
expect() { local d=$1; shift; if "$@"; then ok; else no "$d"; fi; }
out_has() { grep -Eq -- "$1" "$T/out"; }
out_lacks() { ! grep -Eq -- "$1" "$T/out" "$T/err"; }

for tool in sqlite3 openssl jq sha256sum base64; do
	command -v "$tool" >/dev/null || { echo "t_sztpctl: needs $tool"; echo "t_sztpctl: 0 passed, 1 failed"; exit 1; }
done
if [ ! -x "$CTL" ] || [ ! -x "$PKI_TOOL" ]; then
	echo "t_sztpctl: $CTL or $PKI_TOOL not built"
	echo "t_sztpctl: 0 passed, 1 failed"
	exit 1
fi

# ---- basics ---------------------------------------------------------------
good "version" "$CTL" version
expect "version prints a version" out_has '^sztpctl [0-9]'
good "help" "$CTL" help
expect "help lists every command group" bash -c "grep -q 'device import' '$T/out' && grep -q 'voucher attach' '$T/out' && grep -q 'profile redirect' '$T/out' && grep -q '^  log' '$T/out'"
# help asked for: usage on stdout, exit 0, nothing on stderr (no error line first)
helped() { # helped DESC WANT-IN-STDOUT CMD...
	local d=$1 want=$2; shift 2
	run "$@"
	if [ "$RC" -eq 0 ] && [ ! -s "$T/err" ] && grep -qF -- "$want" "$T/out"; then ok; else no "$d (exit $RC)"; show_out; fi
}
helped "sztpctl --help" "  device add SERIAL" "$CTL" --help
# every option a usage line shows (test_ctl_usage: = every option accepted)
# is documented in the operator guide
for opt in $(grep -o -- '--[a-z][a-z-]*' "$T/out" | sort -u); do
	expect "docs/operator-guide.md documents $opt" grep -qE -- "$opt([^a-z-]|\$)" "$TOP/docs/operator-guide.md"
done
helped "sztpctl -h" "  owner set --chain" "$CTL" -h
helped "sztpctl device --help" "  device import FILE.csv [--masa-ca ROOT.pem]" "$CTL" device --help
expect "group help lists only that group" out_lacks '^  owner set'
helped "sztpctl owner --help" "[--force | --strict]" "$CTL" owner --help
helped "sztpctl device add --help" "  device add SERIAL [--profile P] [--password PW | --password-file F | --password-generate] [--voucher F.vcj [--masa-ca ROOT.pem]] [--idevid IDEVID.pem]" "$CTL" device add --help
expect "command help shows only that command" bash -c "[ \$(grep -c '^      [^ ]' '$T/out') -eq 1 ]"
helped "sztpctl help device" "  device show SERIAL [--masa-ca ROOT.pem] [--expiring-within DAYS] [--json]" "$CTL" help device
helped "sztpctl help voucher show" "  voucher show SERIAL [--masa-ca ROOT.pem] [--expiring-within DAYS] [--json]" "$CTL" help voucher show
helped "sztpctl progress --help" "  progress [SERIAL] [--limit N] [--json]" "$CTL" progress --help
run "$CTL" help nosuch
expect "help of an unknown command fails" bash -c "[ $RC -ne 0 ] && grep -q \"no command 'nosuch'\" '$T/err'"
run "$CTL" device
expect "a group without subcommand: error and the group's usage on stderr" bash -c "[ $RC -eq 2 ] && grep -q \"'device' needs a subcommand\" '$T/err' && grep -q 'device add' '$T/err' && [ ! -s '$T/out' ]"
run env -u SZTP_DB "$CTL" -c /nonexistent device list
expect "no database is an error" bash -c "[ $RC -ne 0 ] && grep -q 'no database: use -d FILE' '$T/err' && grep -q '/nonexistent: No such file' '$T/err'"
# sztpctl reads sztpd's config through sztpd's table: a complete file,
# inline comments allowed (details in t_config.sh)
printf '# test\nport = 443\ntls-cert = c.pem\ntls-key = k.pem\nclient-ca = ca.pem\ndatabase = %s  # the registry\n' "$T/conf.db" >"$T/sztpd.conf"
good "init with the database from -c CONF" env -u SZTP_DB "$CTL" -c "$T/sztpd.conf" init
expect "-c CONF: init created its database" [ -f "$T/conf.db" ]
good "database from -c CONF" env -u SZTP_DB "$CTL" -c "$T/sztpd.conf" device list
printf 'port = 443\ndatabase = %s\n' "$T/conf2.db" >"$T/incomplete.conf"
run env -u SZTP_DB "$CTL" -c "$T/incomplete.conf" device list
expect "a config sztpd would refuse is refused with sztpd's message" bash -c "[ $RC -ne 0 ] && grep -qx \"sztpctl: error: $T/incomplete.conf: 'tls-cert' is required\" '$T/err' && [ ! -e '$T/conf2.db' ]"
run "$CTL" frobnicate
expect "unknown command fails" bash -c "[ $RC -ne 0 ] && grep -q 'unknown command' '$T/err'"
run "$CTL" device frob
expect "unknown subcommand lists the group" bash -c "[ $RC -ne 0 ] && grep -q 'unknown command .device frob' '$T/err' && grep -q 'device import' '$T/err'"
run "$CTL" device add
expect "missing argument fails" bash -c "[ $RC -ne 0 ] && grep -q 'missing argument' '$T/err'"
run "$CTL" device list --bogus
expect "unknown option fails" bash -c "[ $RC -ne 0 ] && grep -q 'unknown option --bogus' '$T/err'"
run "$CTL" device remove SN-1 --json
expect "--json refused by a command without JSON output" bash -c "[ $RC -ne 0 ] && grep -q \"unknown option --json for 'device remove'\" '$T/err'"
run "$CTL" --json prune --older-than 1
expect "global --json refused by a command without JSON output" bash -c "[ $RC -ne 0 ] && grep -q \"'prune' has no JSON output\" '$T/err'"

# ---- PKI ------------------------------------------------------------------
if ! "$PKI_TOOL" init --out "$T/pki" --serial SN-1 --serial SN-2 --serial SN-3 >"$T/out" 2>&1; then
	no "sztp-pki init"; show_out
	echo "t_sztpctl: $PASS passed, $FAIL failed"; exit 1
fi
P=$T/pki
MASA=$P/manufacturer/root.pem

# ---- only init creates a registry ------------------------------------------
# A mistyped path is named and refused, never created: every command but
# init opens an existing registry only (and exits non-zero).
for cmd in "progress" "log" "device list" "device add SN-X" "profile list" "owner show" \
	"prune --older-than 1"; do
	# shellcheck disable=SC2086
	run "$CTL" -d "$T/typo.db" $cmd
	expect "'$cmd' on a missing registry fails and names it" bash -c \
		"[ $RC -eq 1 ] && grep -qx \"sztpctl: error: no registry $T/typo.db (from -d): check the path, or create a new one with 'sztpctl init'\" '$T/err'"
	expect "'$cmd' created no file" [ ! -e "$T/typo.db" ]
done
printf 'serial,profile,password,voucher\nSN-X,,,\n' >"$T/one.csv"
run "$CTL" -d "$T/typo.db" device import "$T/one.csv"
expect "device import on a missing registry fails" bash -c "[ $RC -eq 1 ] && grep -q \"sztpctl init\" '$T/err'"
expect "device import created no file" [ ! -e "$T/typo.db" ]
run env SZTP_DB="$T/typo.db" "$CTL" device list
expect "a missing \$SZTP_DB is named as such" bash -c "[ $RC -eq 1 ] && grep -q 'no registry $T/typo.db (from \$SZTP_DB)' '$T/err'"
run env -u SZTP_DB "$CTL" -c "$T/incomplete.conf" init
expect "init with a config sztpd would refuse creates nothing" bash -c "[ $RC -ne 0 ] && [ ! -e '$T/conf2.db' ]"
: >"$T/empty.db"
run "$CTL" -d "$T/empty.db" device list
expect "an empty file is not a registry" bash -c "[ $RC -eq 1 ] && grep -q 'empty.db is not an sztp registry' '$T/err'"
expect "the empty file is left as it was" [ ! -s "$T/empty.db" ]
sqlite3 "$T/other.db" 'create table t(x)'
run "$CTL" -d "$T/other.db" device add SN-X
expect "another program's database is refused" bash -c "[ $RC -eq 1 ] && grep -q 'other.db is not an sztp registry' '$T/err'"
expect "and not migrated" bash -c "[ \"\$(sqlite3 '$T/other.db' .tables)\" = t ]"
good "init" "$CTL" init
expect "init says what it created" out_has "^created registry $DB \(schema version [0-9]+\)$"
expect "the new registry is owner-only" bash -c "[ \"\$(stat -c %a '$DB')\" = 600 ]"
refused "init refuses an existing registry" "registry $DB already exists \(from \\\$SZTP_DB\); init creates a new registry only" "$CTL" init
printf 'stale' >"$T/stale.db-wal"
run "$CTL" -d "$T/stale.db" init
expect "init refuses a left-over WAL" bash -c "[ $RC -eq 1 ] && grep -q 'stale.db-wal is left over' '$T/err' && [ ! -e '$T/stale.db' ]"
good "an empty registry lists no progress" "$CTL" progress

# ---- devices --------------------------------------------------------------
good "device add" "$CTL" device add SN-1
good "device add (-d)" env -u SZTP_DB "$CTL" -d "$DB" device add SN-9
good "device list" "$CTL" device list
expect "list shows SN-1 and SN-9" bash -c "grep -q '^SN-1 ' '$T/out' && grep -q '^SN-9 ' '$T/out'"
good "device show" "$CTL" device show SN-1
expect "show: no password" out_has '^password: +not set'
refused "duplicate add" 'already enrolled' "$CTL" device add SN-1 --password x
refused "add with unknown profile" "no profile named 'nosuch'" "$CTL" device add SN-7 --profile nosuch
refused "bad serial" 'control character' "$CTL" device add "$(printf 'a\033b')"
refused "both password options" 'not both' "$CTL" device add SN-7 --password a --password-file /dev/null
printf 's3cret\n' >"$T/pw"
good "device add with password file" "$CTL" device add SN-8 --password-file "$T/pw"
good "device show SN-8" "$CTL" device show SN-8
expect "show: password set" out_has '^password: +set'
good "device list --json" "$CTL" device list --json
expect "list --json is JSON with 3 devices" bash -c "jq -e 'length == 3' '$T/out' >/dev/null"
expect "passwords and hashes never printed" out_lacks 'pbkdf2|s3cret'
good "device remove" "$CTL" device remove SN-9
refused "remove absent device" "no device with serial 'SN-9'" "$CTL" device remove SN-9
refused "show absent device" "no device" "$CTL" device show SN-9

# ---- owner identity -------------------------------------------------------
refused "owner key not matching" 'does not belong' "$CTL" owner set --chain "$P/owner/chain.pem" --key "$P/devices/SN-1/idevid.key"
cp "$P/owner/signer.key" "$T/open.key"; chmod 644 "$T/open.key"
refused "owner key mode 644" '0?644' "$CTL" owner set --chain "$P/owner/chain.pem" --key "$T/open.key"
refused "owner chain missing" 'owner set needs' "$CTL" owner set --key "$P/owner/signer.key"
(cd "$P/owner" && "$CTL" owner set --chain chain.pem --key signer.key >"$T/out" 2>"$T/err"); RC=$?
expect "owner set (relative key path)" [ "$RC" -eq 0 ]
expect "absolute key path stored" bash -c "sqlite3 '$DB' 'select key_path from owners' | grep -qx '$P/owner/signer.key'"
good "owner show" "$CTL" owner show
expect "owner show lists the signer" out_has 'Owner Signer'

# ---- vouchers ---------------------------------------------------------------
refused "attach without anchor" 'no voucher trust anchor' "$CTL" voucher attach SN-1 "$P/devices/SN-1/voucher.vcj"
refused "attach wrong serial" "for serial-number 'SN-2', not 'SN-1'" "$CTL" voucher attach SN-1 "$P/devices/SN-2/voucher.vcj" --masa-ca "$MASA"
"$PKI_TOOL" voucher --pki "$P" --serial SN-1 --out "$T/expired.vcj" --created-on 2020-01-01T00:00:00Z --expires-on 2021-01-01T00:00:00Z >/dev/null 2>&1
refused "attach expired" 'expired \(expires-on 2021-01-01' "$CTL" voucher attach SN-1 "$T/expired.vcj" --masa-ca "$MASA"
"$PKI_TOOL" voucher --pki "$P" --serial SN-1 --out "$T/future.vcj" --created-on 2099-01-01T00:00:00Z --expires-on 2099-06-01T00:00:00Z >/dev/null 2>&1
refused "attach not yet valid" 'not yet valid' "$CTL" voucher attach SN-1 "$T/future.vcj" --masa-ca "$MASA"
refused "attach wrong anchor" 'signature does not verify' "$CTL" voucher attach SN-1 "$P/devices/SN-1/voucher.vcj" --masa-ca "$P/owner/ca.pem"
head -c 700 "$P/devices/SN-1/voucher.vcj" >"$T/trunc.vcj"
refused "attach truncated" 'malformed' "$CTL" voucher attach SN-1 "$T/trunc.vcj" --masa-ca "$MASA"
echo 'not a voucher' >"$T/junk.vcj"
refused "attach junk" 'malformed' "$CTL" voucher attach SN-1 "$T/junk.vcj" --masa-ca "$MASA"
: >"$T/empty.vcj"
refused "attach empty" 'malformed' "$CTL" voucher attach SN-1 "$T/empty.vcj" --masa-ca "$MASA"
"$PKI_TOOL" voucher --pki "$P" --serial SN-1 --out "$T/pinned-other.vcj" --pinned "$MASA" >/dev/null 2>&1
refused "attach pinned to another CA" 'does not anchor the chain of owner' "$CTL" voucher attach SN-1 "$T/pinned-other.vcj" --masa-ca "$MASA"
refused "attach to absent device" "no device" "$CTL" voucher attach SN-404 "$P/devices/SN-1/voucher.vcj" --masa-ca "$MASA"
good "voucher attach" "$CTL" voucher attach SN-1 "$P/devices/SN-1/voucher.vcj" --masa-ca "$MASA"
want=$(od -An -v -tx1 "$P/devices/SN-1/voucher.vcj" | tr -d ' \n' | tr a-f A-F)
got=$(sqlite3 "$DB" "select hex(voucher) from devices where serial='SN-1'")
expect "voucher stored byte for byte" [ "$want" = "$got" ]
good "voucher show" env SZTP_MASA_CA="$MASA" "$CTL" voucher show SN-1
expect "voucher show: serial, assertion, verified" bash -c "grep -q 'serial-number *SN-1' '$T/out' && grep -q 'assertion' '$T/out' && grep -q 'verified against' '$T/out'"
good "device show with voucher" "$CTL" device show SN-1
expect "device show: voucher summary" bash -c "grep -q 'expires-on' '$T/out' && grep -q 'progress: *no reports' '$T/out'"
refused "voucher show without voucher" 'has no voucher' "$CTL" voucher show SN-8
good "device add --voucher" env SZTP_MASA_CA="$MASA" "$CTL" device add SN-2 --voucher "$P/devices/SN-2/voucher.vcj"
refused "device add --voucher wrong serial" 'not .SN-3' env SZTP_MASA_CA="$MASA" "$CTL" device add SN-3 --voucher "$P/devices/SN-2/voucher.vcj"
# a chain the enrolled vouchers do not pin: warn, or refuse with --strict
"$PKI_TOOL" ca --out "$T/other" --name "Other Owner" >/dev/null 2>&1
"$PKI_TOOL" leaf --ca "$T/other" --out "$T/other/signer" --serial X >/dev/null 2>&1
chmod 600 "$T/other/signer.key" 2>/dev/null
refused "owner set --strict with unpinned vouchers" 'do(es)? not anchor' "$CTL" owner set --chain "$T/other/signer-chain.pem" --key "$T/other/signer.key" --strict

# ---- profiles -----------------------------------------------------------------
head -c 100000 /dev/urandom >"$T/image.bin"
good "profile onboarding with image" "$CTL" profile onboarding img --image-name os --image-version 1.2 --image-file "$T/image.bin" --image-uri https://example.com/image.bin
hash=$(sha256sum "$T/image.bin" | cut -c1-64 | sed 's/../&:/g; s/:$//')
stored=$(sqlite3 "$DB" "select conveyed_json from profiles where name='img'" | jq -r '.["ietf-sztp-conveyed-info:onboarding-information"]["boot-image"]["image-verification"][0]["hash-value"]')
expect "stored hash is sha256sum in colon form" [ "$hash" = "$stored" ]
good "profile show" "$CTL" profile show img
expect "profile show prints the document" bash -c "jq -e '.[\"ietf-sztp-conveyed-info:onboarding-information\"][\"boot-image\"][\"os-version\"] == \"1.2\"' '$T/out' >/dev/null"
refused "image file without uri" 'image-uri' "$CTL" profile onboarding img2 --image-file "$T/image.bin"
refused "config-handling without config: the option to add" '^sztpctl: error: profile cfg: --config-handling needs --config FILE' "$CTL" profile onboarding cfg --config-handling merge
refused "config without config-handling: the option to add" '^sztpctl: error: profile cfg: --config needs --config-handling merge\|replace' "$CTL" profile onboarding cfg --config "$T/pw"
expect "no libyang wording reaches the operator" bash -c "! grep -q 'Must condition' '$T/err'"
refused "bad sign value" 'sign' "$CTL" profile onboarding cfg --config "$T/pw" --config-handling merge --sign sometimes
refused "empty onboarding" 'needs a boot image' "$CTL" profile onboarding empty
printf '<config/>' >"$T/cfg.xml"
printf '#!/bin/sh\necho hi\n' >"$T/pre.sh"
good "profile onboarding config+script" "$CTL" profile onboarding cfg --config "$T/cfg.xml" --config-handling replace --pre-script "$T/pre.sh" --sign always --reporting verbose
doc=$(sqlite3 "$DB" "select conveyed_json from profiles where name='cfg'")
expect "config base64 round-trips" [ "$(jq -r '.["ietf-sztp-conveyed-info:onboarding-information"].configuration' <<<"$doc" | base64 -d)" = '<config/>' ]
expect "members in YANG order, compact" [ "$(jq -c -r '.["ietf-sztp-conveyed-info:onboarding-information"] | keys_unsorted | join(",")' <<<"$doc")" = "configuration-handling,pre-configuration-script,configuration" ]
expect "stored JSON is compact" bash -c "! grep -q ' ' <<<'$doc'"
good "profile redirect" "$CTL" profile redirect red --server "bs.example.com:8443,$P/server/chain.pem" --server '[::1]:9443' --server 192.0.2.7
doc=$(sqlite3 "$DB" "select conveyed_json from profiles where name='red'")
jq -r '.["ietf-sztp-conveyed-info:redirect-information"]["bootstrap-server"][0]["trust-anchor"]' <<<"$doc" | base64 -d >"$T/ta.der"
openssl pkcs7 -inform DER -in "$T/ta.der" -print_certs -noout >"$T/ta.txt" 2>&1
subj=$(openssl x509 -in "$P/server/cert.pem" -noout -subject | sed 's/^subject= *//')
expect "trust-anchor is a certs-only CMS holding the server cert" grep -qF "$subj" "$T/ta.txt"
expect "port given is kept, IPv6 unbracketed" [ "$(jq -c '.["ietf-sztp-conveyed-info:redirect-information"]["bootstrap-server"][1]' <<<"$doc")" = '{"address":"::1","port":9443}' ]
expect "port omitted when not given" [ "$(jq -c '.["ietf-sztp-conveyed-info:redirect-information"]["bootstrap-server"][2]' <<<"$doc")" = '{"address":"192.0.2.7"}' ]
refused "redirect duplicate server" 'listed twice' "$CTL" profile redirect red2 --server a.example --server a.example:1234
refused "invalid UTF-8 image name" 'UTF-8' "$CTL" profile onboarding bad8 --image-name "$(printf 'os\xff')" --image-uri http://x/y
sqlite3 "$DB" "select conveyed_json from profiles where name='cfg'" >"$T/doc1"
good "rebuild the same profile" "$CTL" profile onboarding cfg --config "$T/cfg.xml" --config-handling replace --pre-script "$T/pre.sh" --sign always --reporting verbose
sqlite3 "$DB" "select conveyed_json from profiles where name='cfg'" >"$T/doc2"
expect "same input, same bytes" cmp -s "$T/doc1" "$T/doc2"
refused "redirect without server" 'at least one --server' "$CTL" profile redirect red2
refused "redirect bad port" 'port' "$CTL" profile redirect red2 --server host:99999
refused "redirect bad host" 'not valid conveyed information' "$CTL" profile redirect red2 --server 'bad host!'
refused "redirect missing anchor file" 'red2|ta|No such|cannot' "$CTL" profile redirect red2 --server "h,$T/nonexistent.pem"
good "profile list" "$CTL" profile list
expect "profile list shows the three" bash -c "grep -q '^img ' '$T/out' && grep -q '^cfg ' '$T/out' && grep -q '^red .*redirect' '$T/out'"
good "device set --profile" "$CTL" device set SN-8 --profile img
refused "profile remove in use" 'used by 1 device' "$CTL" profile remove img
refused "device set unknown profile" 'no profile' "$CTL" device set SN-8 --profile nosuch
good "device set --no-profile --no-password" "$CTL" device set SN-8 --no-profile --no-password
# a profile served by another owner: the device's voucher must pin that owner
good "owner set --name other" "$CTL" owner set --name other --chain "$T/other/signer-chain.pem" --key "$T/other/signer.key"
good "profile for the other owner" "$CTL" profile onboarding oth --config "$T/cfg.xml" --config-handling merge --owner other
refused "device set --profile of an owner its voucher does not pin" 'voucher of device SN-1 pins .* does not anchor the chain of owner identity .other.' \
	"$CTL" device set SN-1 --profile oth
good "device set --profile of the owner its voucher pins" "$CTL" device set SN-1 --profile cfg
refused "profile moved to an owner its devices' vouchers do not pin" \
	"profile cfg cannot move to owner 'other': 1 of its devices .*first: voucher of device SN-1" \
	"$CTL" profile onboarding cfg --config "$T/cfg.xml" --config-handling replace --owner other
good "device set back to no profile" "$CTL" device set SN-1 --no-profile
good "profile moves to another owner once no device's voucher objects" \
	"$CTL" profile onboarding cfg --config "$T/cfg.xml" --config-handling replace --owner other
good "profile back to the default owner" "$CTL" profile onboarding cfg --config "$T/cfg.xml" --config-handling replace --pre-script "$T/pre.sh" --sign always --reporting verbose
good "device show after set" "$CTL" device show SN-8
expect "profile and password cleared" bash -c "grep -q 'profile: *(none)' '$T/out' && grep -q 'password: *not set' '$T/out'"
good "profile remove" "$CTL" profile remove img
refused "profile remove absent" 'no profile' "$CTL" profile remove img

# ---- import -------------------------------------------------------------------
mkdir -p "$T/csvdir"
{
	echo serial,profile,password,voucher
	for i in $(seq 1 999); do echo "IMP-$i,cfg,pw$i,"; done
	echo "SN-3,,,../pki/devices/SN-3/voucher.vcj"
} >"$T/csvdir/import.csv"
n_before=$(sqlite3 "$DB" 'select count(*) from devices')
good "import 1000 rows" env SZTP_MASA_CA="$MASA" "$CTL" device import "$T/csvdir/import.csv"
expect "import reports count and rate" out_has 'imported 1000 device\(s\) .* devices/s'
expect "1000 devices added" [ "$(sqlite3 "$DB" 'select count(*) from devices')" -eq $((n_before + 1000)) ]
expect "imported voucher stored" [ "$(sqlite3 "$DB" "select length(voucher) from devices where serial='SN-3'")" -gt 100 ]
{
	echo serial,profile,password,voucher
	for i in $(seq 2 499); do echo "BAD-$i,,,"; done
	echo "BAD-500,nosuchprofile,,"
	for i in $(seq 501 1000); do echo "BAD-$i,,,"; done
} >"$T/bad.csv"
refused "import with bad line 500" 'line 500: .*nothing imported' "$CTL" device import "$T/bad.csv"
{ echo serial,profile,password,voucher; echo "X-1,,,"; echo "X-2,,"; } >"$T/short.csv"
refused "import short row" 'line 3: expected 4 fields' "$CTL" device import "$T/short.csv"
{ echo serial,profile,password,voucher; echo "X-1,,,"; echo "X-1,,,"; } >"$T/dup.csv"
refused "import duplicate in file" 'line 3: .*already enrolled' "$CTL" device import "$T/dup.csv"
# RFC 4180 quoting: a password with a comma and a quote survives intact
{ echo serial,profile,password,voucher; echo '"Q-1",,"pa,""ss",'; echo 'Q-2,"",plain,'; } >"$T/quoted.csv"
good "import quoted fields" "$CTL" device import "$T/quoted.csv"
expect "quoted import: both rows" [ "$(sqlite3 "$DB" "select count(*) from devices where serial in ('Q-1','Q-2')")" = 2 ]
pw_is() { # pw_is SERIAL PASSWORD: the stored PBKDF2 hash is of PASSWORD
	sqlite3 "$DB" "select password_hash from devices where serial='$1'" | python3 -c '
import base64, hashlib, sys
_, alg, it, salt, dk = sys.stdin.read().strip().split("$")
ok = alg == "pbkdf2-sha256" and hashlib.pbkdf2_hmac("sha256", sys.argv[1].encode(),
     base64.b64decode(salt), int(it), len(base64.b64decode(dk))) == base64.b64decode(dk)
sys.exit(0 if ok else 1)' "$2"
}
expect "quoted password with comma and quote stored exactly" pw_is Q-1 'pa,"ss'
expect "unquoted password beside an empty quoted field" pw_is Q-2 plain
{ echo serial,profile,password,voucher; echo 'Q-3,"open,,'; } >"$T/q1.csv"
refused "import unterminated quote" 'line 2: malformed quoting' "$CTL" device import "$T/q1.csv"
{ echo serial,profile,password,voucher; echo 'Q-3,a"b,,'; } >"$T/q2.csv"
refused "import quote inside a bare field" 'line 2: malformed quoting' "$CTL" device import "$T/q2.csv"
{ echo serial,profile,password,voucher; echo '"Q-3"x,,,'; } >"$T/q3.csv"
refused "import text after a closing quote" 'line 2: malformed quoting' "$CTL" device import "$T/q3.csv"
{ echo serial,password; echo "X-1,a"; } >"$T/hdr.csv"
refused "import bad header" 'line 1: header' "$CTL" device import "$T/hdr.csv"
{ echo serial,profile,password,voucher; echo "X-1,,,../pki/devices/SN-1/voucher.vcj"; } >"$T/csvdir/wrongv.csv"
refused "import voucher for another serial" 'line 2: .*serial-number' env SZTP_MASA_CA="$MASA" "$CTL" device import "$T/csvdir/wrongv.csv"

# ---- progress and log ---------------------------------------------------------
sqlite3 "$DB" "insert into progress(serial,time,peer,type,message) values('SN-1',1700000000,'192.0.2.1','bootstrap-initiated',NULL),('SN-1',1700000060,'192.0.2.1','bootstrap-complete','all done')" "insert into bootstrap_log(serial,time,peer,endpoint,result,status,duration_us) values('SN-1',1700000000,'192.0.2.1','get-bootstrapping-data','signed',200,1234)"
good "progress" "$CTL" progress
expect "progress lists the reports" bash -c "grep -q 'SN-1 .*bootstrap-complete *all done' '$T/out' && grep -q '2023-11-14T22:13:20Z' '$T/out'"
good "progress --limit 1 --json" "$CTL" progress SN-1 --limit 1 --json
expect "limit keeps the newest" bash -c "jq -e 'length == 1 and .[0].type == \"bootstrap-complete\"' '$T/out' >/dev/null"
good "device show with progress" "$CTL" device show SN-1
expect "device show: count and last state" out_has 'progress: +2 report\(s\), last bootstrap-complete'
good "log" "$CTL" log SN-1
expect "log lists the request" out_has 'get-bootstrapping-data +signed +200'
good "progress SERIAL --limit" "$CTL" progress SN-1 --limit 5
good "log --json" "$CTL" --json log --limit 10
expect "log --json is a JSON array" bash -c "jq -e 'type == \"array\"' '$T/out' >/dev/null"
run "$CTL" progress --limit zero
expect "bad --limit fails" bash -c "[ $RC -ne 0 ] && grep -q 'limit' '$T/err'"

# ---- JSON output ends with a newline ---------------------------------------
ends_nl() { [ -s "$T/out" ] && [ "$(tail -c 1 "$T/out" | od -An -tx1 | tr -d ' ')" = 0a ] && jq -e . "$T/out" >/dev/null; }
good "owner show --json" "$CTL" owner show --json
expect "owner show --json: JSON ending with a newline" ends_nl
good "device show --json" env SZTP_MASA_CA="$MASA" "$CTL" device show SN-1 --json
expect "device show --json: JSON ending with a newline" ends_nl
good "device list --json" "$CTL" device list --json --profile cfg
expect "device list --json: JSON ending with a newline" ends_nl
good "voucher show --json" "$CTL" voucher show SN-1 --json --masa-ca "$MASA"
expect "voucher show --json: JSON ending with a newline" ends_nl
good "profile show --json" "$CTL" profile show cfg --json
expect "profile show --json: JSON ending with a newline" ends_nl
good "profile show" "$CTL" profile show cfg
expect "profile show: JSON ending with a newline" ends_nl
good "profile list --json" "$CTL" profile list --json
expect "profile list --json: JSON ending with a newline" ends_nl
good "progress --json" "$CTL" progress --json
expect "progress --json: JSON ending with a newline" ends_nl
good "log --json" "$CTL" log --json
expect "log --json: JSON ending with a newline" ends_nl

# ---- owner change the enrolled vouchers do not pin: refused, or --force ----
pinned_bad=$(sqlite3 "$DB" "select count(*) from devices where length(voucher) > 0 and (coalesce(profile, '') = '' or profile in (select name from profiles where owner = 'default'))")
refused "owner set with unpinned vouchers is refused, naming the devices" \
	"owner identity 'default' not changed \(--force overrides\): $pinned_bad device\(s\) hold vouchers .*does not anchor this chain.*: SN-1, SN-2" \
	"$CTL" owner set --chain "$T/other/signer-chain.pem" --key "$T/other/signer.key"
expect "refused: the owner chain is unchanged" bash -c "'$CTL' owner show | grep -q 'Owner Signer' && ! '$CTL' owner show | grep -q 'Other Owner'"
refused "--force and --strict together" 'not both' "$CTL" owner set --chain "$T/other/signer-chain.pem" --key "$T/other/signer.key" --force --strict
good "owner set --force with unpinned vouchers" "$CTL" owner set --chain "$T/other/signer-chain.pem" --key "$T/other/signer.key" --force
expect "--force warns what it overrode" grep -q "^sztpctl: warning: --force: owner identity 'default' set although the vouchers of $pinned_bad device(s) (SN-1, SN-2.*) pin a certificate that does not anchor this chain" "$T/err"
expect "--force: no error line" bash -c "! grep -q 'error' '$T/err'"
expect "new owner chain stored" bash -c "'$CTL' owner show | grep -q 'Other Owner'"

# ---- near expiry: vouchers and owner certificates ---------------------------
# A fresh registry and PKI: owner certificates valid 10 days (--days), SN-A's
# voucher 5 days, SN-B's a year, SN-X's expired (planted: sztpctl refuses it).
XDB=$T/expiry.db
XP=$T/xpki
X() { "$CTL" -d "$XDB" "$@"; }
"$PKI_TOOL" init --out "$XP" --serial SN-A --serial SN-B --serial SN-X --days 10 >/dev/null 2>&1 ||
	no "sztp-pki init for expiry"
"$PKI_TOOL" voucher --pki "$XP" --serial SN-A --voucher-days 5 >/dev/null 2>&1
"$PKI_TOOL" voucher --pki "$XP" --serial SN-X --created-on 2020-01-01T00:00:00Z \
	--expires-on 2021-01-01T00:00:00Z --out "$T/x-expired.vcj" >/dev/null 2>&1
good "expiry: sztpctl init" X init
good "expiry: owner set" X owner set --chain "$XP/owner/chain.pem" --key "$XP/owner/signer.key"
for sn in SN-A SN-B SN-X; do
	good "expiry: enrol $sn" X device add "$sn" --voucher "$XP/devices/$sn/voucher.vcj" --masa-ca "$XP/manufacturer/root.pem"
done
sqlite3 "$XDB" "update devices set voucher=readfile('$T/x-expired.vcj'), voucher_expires=1609459200 where serial='SN-X'"
good "voucher show (5 days left)" X voucher show SN-A
expect "voucher show flags it: EXPIRES in 4 or 5 days (within 30)" out_has '^  expiry +EXPIRES in [45] days \(within 30\)'
good "voucher show --expiring-within 3" X voucher show SN-A --expiring-within 3
expect "...not flagged within 3 days" out_has '^  expiry +ok \(more than 3 days left\)'
good "voucher show --json" X voucher show SN-A --json
expect "voucher show --json: expiry expiring, days-left 4 or 5" bash -c "jq -e '.expiry == \"expiring\" and (.\"days-left\" | . == 4 or . == 5)' '$T/out' >/dev/null"
good "voucher show (a year left)" X voucher show SN-B
expect "a year left: ok" out_has '^  expiry +ok \(more than 30 days left\)'
good "voucher show (expired)" X voucher show SN-X
expect "expired: EXPIRED" out_has '^  expiry +EXPIRED [0-9]+ days ago'
good "device show (5 days left)" X device show SN-A
expect "device show flags the voucher" out_has '^  expiry +EXPIRES in'
good "device list" X device list
expect "device list: SN-A expiring, SN-B yes, SN-X EXPIRED" bash -c "grep -Eq '^SN-A .* expiring ' '$T/out' && grep -Eq '^SN-B .* yes ' '$T/out' && grep -Eq '^SN-X .* EXPIRED ' '$T/out'"
good "device list --expiring-within 3" X device list --expiring-within 3
expect "within 3 days SN-A is not flagged" bash -c "grep -Eq '^SN-A .* yes ' '$T/out'"
good "device list --json" X device list --json
expect "device list --json: voucher-expiry of each" bash -c "jq -e '[.[] | .\"voucher-expiry\"] == [\"expiring\", \"ok\", \"expired\"] and (.[2].\"voucher-expires\" == \"2021-01-01T00:00:00Z\")' '$T/out' >/dev/null"
good "owner show (certificates valid 10 days)" X owner show
expect "owner show flags the owner certificate" out_has 'valid .* \.\. .*  EXPIRES in (9|10) days \(within 30\)'
good "owner show --json" X owner show --json
expect "owner show --json: chain[0].expiry expiring" bash -c "jq -e '.chain[0].expiry == \"expiring\" and .chain[1].expiry == \"ok\"' '$T/out' >/dev/null"
good "owner show --expiring-within 5" X owner show --expiring-within 5
expect "...not flagged within 5 days" bash -c "! grep -q EXPIRES '$T/out'"
refused "bad --expiring-within" 'expiring-within wants a number' X owner show --expiring-within soon
# sztpctl expiring: every voucher and owner certificate, exit 1 when any
run X expiring
expect "expiring: exit status 1" [ "$RC" -eq 1 ]
expect "expiring lists SN-A, SN-X and the owner certificate, not SN-B" bash -c "grep -Eq '^voucher +SN-A ' '$T/out' && grep -Eq '^voucher +SN-X .*EXPIRED' '$T/out' && grep -Eq '^owner +default\[0\] ' '$T/out' && ! grep -q 'SN-B' '$T/out'"
expect "expiring says how many on stderr" grep -q '^sztpctl: error: 3 voucher(s) or owner certificate(s) expired or expire within 30 days' "$T/err"
run X expiring --expiring-within 0
expect "expiring --expiring-within 0: only what has expired" bash -c "[ $RC -eq 1 ] && grep -q 'SN-X' '$T/out' && ! grep -q 'SN-A' '$T/out' && ! grep -q '^owner' '$T/out'"
run X --json expiring
expect "expiring --json: 3 entries, exit 1" bash -c "[ $RC -eq 1 ] && jq -e 'length == 3 and ([.[].expiry] | sort) == [\"expired\", \"expiring\", \"expiring\"]' '$T/out' >/dev/null"
# nothing near expiry: exit 0
good "expiry: SN-A and SN-X removed" bash -c "'$CTL' -d '$XDB' device remove SN-A && '$CTL' -d '$XDB' device remove SN-X"
run X expiring --expiring-within 5
expect "expiring: nothing within 5 days -> exit 0" bash -c "[ $RC -eq 0 ] && grep -q '(none: no voucher or owner certificate expires within 5 days)' '$T/out'"

echo "t_sztpctl: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
