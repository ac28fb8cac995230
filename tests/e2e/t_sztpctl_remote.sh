#!/bin/bash
# End-to-end: sztpctl --server against sztpd's admin listener, with the
# real sztpd and a PKI minted on every run.  The same sequence of sztpctl
# commands runs once locally on registry A and once with --server on
# registry B (sztpd's); each command's output is the same in both modes
# (times aside), and afterwards A and B hold the same devices, profiles,
# owner and vouchers (compared with sztpctl --json on each file, volatile
# members stripped with jq).  --json prints exactly one JSON document for
# every command, the same in both modes.  Then the transport: a client
# certificate instead of a token; the refusals (a wrong CA, no token: the
# 401 detail, a read token writing: 403, a token or key file others may
# read, plain http, a user name in the URL, the device port); sztpctl on
# sztpd's host editing the device the API edits, at once; and the token
# in no output and no log.
. "$(dirname "$0")/lib.sh"
e2e_init t_sztpctl_remote

command -v jq >/dev/null || { echo "t_sztpctl_remote: needs jq (scripts/deps.sh)"; exit 1; }
PKI=$TMP/pki
A=$(e2e_db a) && B=$(e2e_db b) || exit 1
DB=$B
unset SZTP_DB SZTP_SERVER SZTP_TOKEN SZTP_CACERT SZTP_MASA_CA
export SZTP_YANG_DIR=$TOP/yang
MASA=$PKI/manufacturer/root.pem
CTL=$BIN/sztpctl

SERIALS="SN-1 SN-2 SN-3 SN-4 SN-5 SN-6"
"$BIN/sztp-pki" init --out "$PKI" $(printf -- '--serial %s ' $SERIALS) >/dev/null ||
	{ echo "sztp-pki init failed"; exit 1; }
check "init A" "$CTL" -d "$A" init
check "init B" "$CTL" -d "$B" init

# ---- sztpd on B with its admin listener; tokens -------------------------
# token NAME SCOPE FILE: a token made on sztpd's host, in FILE (mode 0600)
token() { ctl_token "$B" "$@" || { echo "token create failed"; exit 1; }; }
token ci write "$TMP/write.token"
token viewer read "$TMP/read.token"
WRITE_TOKEN=$(cat "$TMP/write.token")

# an admin client certificate: the alternative to a token
"$BIN/sztp-pki" ca --out "$TMP/adminca" --name "Admin CA" >/dev/null &&
	"$BIN/sztp-pki" leaf --ca "$TMP/adminca" --out "$TMP/adminca/nms" --serial NMS-1 --client \
		>/dev/null || { echo "sztp-pki ca/leaf failed"; exit 1; }
chmod 600 "$TMP/adminca/nms.key"

admin_ports
sztpd_conf "admin-listen-address = 127.0.0.1" "admin-port = $APORT" \
	"admin-cert = $PKI/server/chain.pem" "admin-key = $PKI/server/key.pem" \
	"admin-client-ca = $TMP/adminca/ca.pem" "masa-ca = $MASA" >"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD_PID=$E2E_LAST_PID
URL=https://127.0.0.1:$APORT
wait_https "$APORT" || { cat "$TMP/sztpd.log"; echo "the admin listener does not answer"; exit 1; }

L() { "$CTL" -d "$A" "$@"; }
R() { "$CTL" --server "$URL" --cacert "$PKI/owner/ca.pem" --token-file "$TMP/write.token" "$@"; }

# ---- inputs -----------------------------------------------------------------
printf 'demo boot image\n' >"$TMP/image.img"
printf 'hostname demo\n' >"$TMP/config.txt"
printf '#!/bin/sh\necho pre\n' >"$TMP/pre.sh"
printf 'pw-from-file-1\n' >"$TMP/pw.txt"
: >"$TMP/empty.vcj"
{
	echo "serial,profile,password,voucher"
	echo "SN-5,onb,,$PKI/devices/SN-5/voucher.vcj"
	echo "SN-6,,pw-csv-6,$PKI/devices/SN-6/voucher.vcj"
	for i in $(seq 1 25); do echo "CSV-$i,spare,,"; done
} >"$TMP/devices.csv"
N=12 # devices added one by one

# ---- the sequence, run by $1 (L or R) into $TMP/$2/ ----------------------------
# step NAME ARGS...: one sztpctl command; its status, stdout and stderr
# (stderr after a marker) in NN-NAME
sequence() {
	local run=$1 dir=$TMP/$2 n=0 i
	mkdir -p "$dir"
	step() {
		local name=$1 f
		shift
		n=$((n + 1))
		f=$dir/$(printf '%02d' "$n")-$name
		"$run" "$@" >"$f" 2>"$f.err"
		echo "rc=$?" >>"$f"
		{ echo "--- stderr"; cat "$f.err"; } >>"$f"
		rm -f "$f.err"
	}
	step owner-set owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
	step owner-show owner show
	step onboarding profile onboarding onb --image-name demo-os --image-version 2.0 \
		--image-file "$TMP/image.img" --image-uri https://files.example.net/image.img \
		--config "$TMP/config.txt" --config-handling merge --pre-script "$TMP/pre.sh" \
		--reporting verbose
	step redirect profile redirect redir --server "localhost:$PORT,$PKI/owner/ca.pem"
	step spare profile onboarding spare --config "$TMP/config.txt" --config-handling replace \
		--sign never
	step doomed profile onboarding doomed --config "$TMP/config.txt" --config-handling merge
	step bad-profile profile onboarding bad --config "$TMP/config.txt"
	step add-v1 device add SN-1 --profile onb --voucher "$PKI/devices/SN-1/voucher.vcj" \
		--masa-ca "$MASA"
	step add-v2 device add SN-2 --profile redir --voucher "$PKI/devices/SN-2/voucher.vcj" \
		--masa-ca "$MASA"
	step add-plain device add SN-3
	step add-pw device add SN-4 --profile onb --password 'pw-Secret-4'
	step add-pwfile device add PW-1 --profile spare --password-file "$TMP/pw.txt"
	step add-gen device add PW-2 --password-generate
	step add-dup device add SN-3
	step add-bad-voucher device add SN-X --voucher "$PKI/devices/SN-1/voucher.vcj" \
		--masa-ca "$MASA"
	step add-no-profile device add SN-Y --profile nosuch
	for i in $(seq 1 "$N"); do
		step add-n device add "DEV-$i" --profile spare
	done
	step set-profile device set SN-3 --profile onb --password 'pw-three'
	step set-nopw device set SN-4 --no-password --no-profile
	step set-missing device set NOPE --profile onb
	step attach voucher attach SN-3 "$PKI/devices/SN-3/voucher.vcj" --masa-ca "$MASA"
	step attach-wrong voucher attach SN-4 "$PKI/devices/SN-3/voucher.vcj" --masa-ca "$MASA"
	step attach-anchor voucher attach SN-4 "$PKI/devices/SN-4/voucher.vcj" \
		--masa-ca "$PKI/owner/ca.pem"
	step attach-empty voucher attach SN-4 "$TMP/empty.vcj" --masa-ca "$MASA"
	step detach voucher detach SN-2
	step detach-none voucher detach SN-2
	step remove device remove DEV-3
	step remove-missing device remove DEV-3
	step import device import "$TMP/devices.csv" --masa-ca "$MASA"
	step import-again device import "$TMP/devices.csv" --masa-ca "$MASA"
	step remove-in-use profile remove spare
	step remove-profile profile remove doomed
	step profile-list profile list
	step profile-show profile show onb
	step device-list device list
	step device-show device show SN-1 --masa-ca "$MASA"
	step device-show-pw device show SN-4
	step voucher-show voucher show SN-3 --masa-ca "$MASA"
	step device-list-json --json device list
	step profile-list-json profile list --json
	step remove-json device remove DEV-4 --json
	step expiring expiring --expiring-within 3650
	step progress progress
	step log log
}
sequence L local
sequence R remote

# ---- the outputs are the same in both modes -------------------------------------
# times, durations, generated passwords and revisions differ by nature
normalize() {
	sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/TIME/g' \
		-e 's/in [0-9.]+ s \([0-9]+ devices\/s\)/in T s (R devices\/s)/' \
		-e 's/^password: .*/password: GENERATED/' \
		-e 's/"password": "[^"]*"/"password": "GENERATED"/' \
		-e 's/"revision": "[0-9a-f]{16}"/"revision": "REV"/' "$1"
}
for f in "$TMP"/local/*; do
	name=$(basename "$f")
	if [ ! -f "$TMP/remote/$name" ]; then
		fail "remote run has no $name"
		continue
	fi
	if diff <(normalize "$f") <(normalize "$TMP/remote/$name") >"$TMP/diff.out"; then
		pass
	else
		fail "'$name' prints differently locally and with --server"
		head -20 "$TMP/diff.out" | sed 's/^/    | /' >&2
	fi
done
check_eq "the sequence ran the same number of commands" \
	"$(ls "$TMP/remote" | wc -l)" "$(ls "$TMP/local" | wc -l)"
# and the sequence did what it says (so equal outputs are not equal failures)
check_contains "owner set worked" "$(ls "$TMP"/local/*-owner-set)" "rc=0"
check_contains "a voucher was enrolled" "$(ls "$TMP"/local/*-add-v1)" "rc=0"
check_contains "a duplicate is refused" "$(ls "$TMP"/local/*-add-dup)" "rc=1"
check_contains "the import worked" "$(ls "$TMP"/local/*-import | head -1)" "rc=0"
check_contains "a profile in use is not removed" "$(ls "$TMP"/local/*-remove-in-use)" "rc=1"
check_contains "the generated password is printed" "$(ls "$TMP"/local/*-add-gen)" "password: "
check_contains "--json remove prints a result object" "$(ls "$TMP"/local/*-remove-json)" '"result": "device DEV-4 removed"'

# ---- and the registries hold the same things ----------------------------------
STRIP='walk(if type == "object" then del(.created, .revision, ."first-seen", ."last-seen", ."days-left") else . end)'
same() { # same WHAT ARGS...: sztpctl --json ARGS on A and on B, compared
	local what=$1
	shift
	"$CTL" -d "$A" --json "$@" 2>&1 | jq -S "$STRIP" >"$TMP/a.json"
	"$CTL" -d "$B" --json "$@" 2>&1 | jq -S "$STRIP" >"$TMP/b.json"
	if [ -s "$TMP/a.json" ] && diff "$TMP/a.json" "$TMP/b.json" >"$TMP/diff.out"; then
		pass
	else
		fail "registries A and B differ in $what"
		head -20 "$TMP/diff.out" | sed 's/^/    | /' >&2
	fi
}
same "devices" device list
check_eq "B holds every device" "$("$CTL" -d "$B" --json device list | jq length)" \
	"$((6 + 2 + N - 1 + 25 - 1))"
for p in onb redir spare; do same "profile $p" profile show "$p"; done
same "profile list" profile list
same "the owner" owner show
for s in SN-1 SN-3 SN-5 SN-6; do same "voucher of $s" voucher show "$s" --masa-ca "$MASA"; done
vouchers() { db_qr "$1" "select serial, $(e2e_pg && echo "upper(encode(voucher, 'hex'))" || echo 'hex(voucher)') from devices where voucher is not null order by serial"; }
check_eq "the same voucher bytes in A and B" "$(vouchers "$B" | md5sum)" "$(vouchers "$A" | md5sum)"
check "B has the vouchers" test "$(vouchers "$B" | wc -l)" -eq 4

# ---- --json: exactly one JSON document from every command, in both modes ----------
printf 'serial,profile,password,voucher\nJ-9,,,\n' >"$TMP/j.csv"
printf '{"ietf-sztp-conveyed-info:redirect-information": {"bootstrap-server": [{"address": "sztp.example.net"}]}}\n' >"$TMP/ci.json"
# one_doc MODE-LABEL FILE RC: a success printed one document, a failure none
one_doc() {
	local n
	n=$(jq -s length "$2" 2>/dev/null)
	if { [ "$3" -eq 0 ] && [ "$n" = 1 ]; } || { [ "$3" -ne 0 ] && [ ! -s "$2" ]; }; then
		pass
	else
		fail "$1: --json printed $n documents (exit $3)"
		head -c 300 "$2" | sed 's/^/    | /' >&2
	fi
}
jsonv() { # jsonv SAME|ANY ARGS...: --json in both modes; SAME: the same answer
	local how=$1 rcl rcr
	shift
	L --json "$@" >"$TMP/jl.out" 2>/dev/null
	rcl=$?
	R --json "$@" >"$TMP/jr.out" 2>/dev/null
	rcr=$?
	one_doc "local '$*'" "$TMP/jl.out" "$rcl"
	one_doc "remote '$*'" "$TMP/jr.out" "$rcr"
	[ "$how" = SAME ] || return 0
	check_eq "'$*' --json: the same status in both modes" "$rcr" "$rcl"
	if diff <(jq -S "$STRIP" "$TMP/jl.out" 2>&1 | normalize /dev/stdin) \
		<(jq -S "$STRIP" "$TMP/jr.out" 2>&1 | normalize /dev/stdin) >"$TMP/diff.out"; then
		pass
	else
		fail "'$*' --json answers differently locally and with --server"
		head -10 "$TMP/diff.out" | sed 's/^/    | /' >&2
	fi
}
jsonv SAME device add J-1 --password-generate
jsonv SAME device set J-1 --profile onb
jsonv SAME device show J-1
jsonv SAME device list --profile redir
jsonv SAME device import "$TMP/j.csv"
jsonv SAME device timeline J-1
jsonv SAME voucher attach J-1 "$PKI/devices/SN-2/voucher.vcj" --masa-ca "$MASA"
jsonv SAME voucher attach SN-2 "$PKI/devices/SN-2/voucher.vcj" --masa-ca "$MASA"
jsonv SAME voucher show SN-2 --masa-ca "$MASA"
jsonv SAME voucher detach SN-2
jsonv SAME device remove J-1
jsonv SAME device remove J-1
jsonv SAME owner show
jsonv SAME owner list
jsonv SAME profile onboarding j-p --config "$TMP/config.txt" --config-handling merge
jsonv SAME profile redirect j-r --server "localhost:$PORT"
jsonv SAME profile show j-p
jsonv SAME profile list
jsonv SAME profile remove j-p
jsonv SAME profile remove j-p
jsonv SAME progress
jsonv SAME log
jsonv SAME expiring
jsonv SAME prune --older-than 1
jsonv SAME validate conveyed-information "$TMP/ci.json"
jsonv SAME version
jsonv SAME help device
jsonv ANY audit --limit 3
jsonv ANY token list
jsonv ANY token create "j-$RANDOM" --scope read
jsonv ANY token revoke j-none

# ---- refusals of the transport ----------------------------------------------------
refused() { # refused DESC WANT CMD...: the command fails and prints WANT
	local d=$1 want=$2
	shift 2
	"$@" >"$TMP/ref.out" 2>&1
	local rc=$?
	if [ "$rc" -ne 0 ] && grep -qF -- "$want" "$TMP/ref.out"; then
		pass
	else
		fail "$d (exit $rc)"
		sed 's/^/    | /' "$TMP/ref.out" | head -5 >&2
	fi
}
refused "a wrong CA: the TLS error, named" "sztpctl: error: $URL: certificate verify failed: " \
	"$CTL" --server "$URL" --cacert "$MASA" --token-file "$TMP/write.token" profile list
refused "no CA given: the system store does not know it" "certificate verify failed" \
	"$CTL" --server "$URL" --token-file "$TMP/write.token" profile list
refused "no token: the server's 401 detail, and how to give one" \
	"(no token was sent: use --token-file FILE or set SZTP_TOKEN)" \
	"$CTL" --server "$URL" --cacert "$PKI/owner/ca.pem" profile list
refused "a read token cannot write (403)" "sztpctl: error: " \
	"$CTL" --server "$URL" --cacert "$PKI/owner/ca.pem" --token-file "$TMP/read.token" \
	profile onboarding ro-1 --config "$TMP/config.txt" --config-handling merge
check_contains "the 403 detail" "$TMP/ref.out" "scope"
check "a read token reads" "$CTL" --server "$URL" --cacert "$PKI/owner/ca.pem" \
	--token-file "$TMP/read.token" profile show onb
check_fails "ro-1 was not created" "$CTL" -d "$B" profile show ro-1
cp "$TMP/write.token" "$TMP/loose.token"
chmod 644 "$TMP/loose.token"
refused "a token file others may read is refused, with its name and mode" \
	"token file $TMP/loose.token has mode 0644" \
	"$CTL" --server "$URL" --cacert "$PKI/owner/ca.pem" --token-file "$TMP/loose.token" profile list
refused "\$SZTP_TOKEN works and a bad one is named, not shown" "the token in \$SZTP_TOKEN is not a bearer token" \
	env SZTP_TOKEN="bad token" "$CTL" --server "$URL" --cacert "$PKI/owner/ca.pem" profile list
check "\$SZTP_TOKEN, \$SZTP_SERVER and \$SZTP_CACERT" env SZTP_TOKEN="$WRITE_TOKEN" \
	SZTP_SERVER="$URL" SZTP_CACERT="$PKI/owner/ca.pem" "$CTL" profile show onb
refused "plain http is refused" "plain HTTP is refused" \
	"$CTL" --server "http://127.0.0.1:$APORT" --token-file "$TMP/write.token" profile list
refused "init stays local" "'init' creates a local registry file and does not work with --server" \
	R init
refused "-d with --server" "-d names a local registry" "$CTL" -d "$A" --server "$URL" profile list
refused "--token-file without --server" "--token-file is an option of --server" \
	"$CTL" -d "$A" --token-file "$TMP/write.token" profile list
refused "the device port is not the admin API" "sztpctl: error: https://127.0.0.1:$PORT" \
	"$CTL" --server "https://127.0.0.1:$PORT" --cacert "$PKI/owner/ca.pem" \
	--token-file "$TMP/write.token" profile list
refused "nobody listening" "sztpctl: error: https://127.0.0.1:1: cannot connect" \
	"$CTL" --server "https://127.0.0.1:1" --token-file "$TMP/write.token" profile list
check "a client certificate instead of a token" "$CTL" --server "$URL" --cacert "$PKI/owner/ca.pem" \
	--cert "$TMP/adminca/nms-chain.pem" --key "$TMP/adminca/nms.key" \
	profile onboarding by-cert --config "$TMP/config.txt" --config-handling merge
check_contains "the audit names the certificate" <(R audit --resource profiles/by-cert) "cert:"
chmod 644 "$TMP/adminca/nms.key"
refused "a client key others may read is refused" "key file $TMP/adminca/nms.key has mode 0644" \
	"$CTL" --server "$URL" --cacert "$PKI/owner/ca.pem" --cert "$TMP/adminca/nms-chain.pem" \
	--key "$TMP/adminca/nms.key" profile list
refused "--cert without --key" "needs both --cert CERT.pem and --key KEY.pem" \
	"$CTL" --server "$URL" --cacert "$PKI/owner/ca.pem" --cert "$TMP/adminca/nms-chain.pem" \
	profile list
refused "user information in the URL" "user information in the URL is refused" \
	"$CTL" --server "https://u:p@127.0.0.1:$APORT" profile list
check "validate runs locally with --server" R validate conveyed-information "$TMP/ci.json"

# ---- the same device, from sztpd's host and through the API, at once -----------
CL() { "$CTL" -d "$B" "$@"; }
editor() { # editor RUNNER PROFILE LOG: 30 edits of SN-1
	local i
	for i in $(seq 1 30); do
		"$1" device set SN-1 --profile "$2" >>"$3" 2>&1
		echo "rc=$?" >>"$3"
	done
}
editor R redir "$TMP/race-remote.log" &
P1=$!
editor CL spare "$TMP/race-local.log" &
P2=$!
wait "$P1" "$P2"
for side in remote local; do
	log=$TMP/race-$side.log
	check_eq "$side edits: each succeeded or failed cleanly" \
		"$(grep -vcE '^(rc=[01]|device SN-1 updated: .*|sztpctl: error: .*)$' "$log")" 0
	check "$side edits: some went through" grep -q '^rc=0' "$log"
done
if e2e_pg; then # the server's business; what is left to see: it answers
	check_eq "the registry answers" "$(db_qr "$B" "select 'ok' from devices where serial = 'SN-1'")" ok
else
	check_eq "the registry is intact" "$(db_qr "$B" 'pragma integrity_check')" ok
fi
final=$(CL --json device show SN-1 | jq -r .profile)
case "$final" in redir | spare) pass ;; *) fail "SN-1's profile after the race: '$final'" ;; esac
check_eq "the API sees what the file holds" \
	"$(R --json device show SN-1 | jq -r .profile)" "$final"

# ---- the token was never shown ---------------------------------------------------
check "sztpd still runs" kill -0 "$SZTPD_PID"
leaks=$(grep -rlF -- "$WRITE_TOKEN" "$TMP/local" "$TMP/remote" "$TMP/sztpd.log" "$TMP"/race-*.log \
	"$TMP/ref.out" 2>/dev/null)
check_eq "the token appears in no output and no log" "$leaks" ""

e2e_finish
