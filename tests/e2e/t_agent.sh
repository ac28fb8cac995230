#!/bin/bash
# End-to-end: sztp-agent (the RFC 8572 s5 device) against real sztpd
# instances, images served by a real nginx over HTTPS, artifacts for the
# removable-storage source made with OpenSSL.  Covers trusted onboarding
# with a boot image (download, sha-256, install, reboot, skip), untrusted
# -> signed onboarding from a DHCP option source, untrusted -> signed
# redirect -> trusted onboarding on a second sztpd, a redirect loop
# stopped by the limit, a tampered image, each s5.4 rejection (with the
# progress report a trusted server gets, none for an untrusted one, and
# nothing applied), RFC 5424 syslog, and a 200-device fleet run.
. "$(dirname "$0")/lib.sh"
e2e_init t_agent

PKI=$TMP/pki
AGENT=$BIN/sztp-agent
export SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
ADB=$(e2e_db a) && BDB=$(e2e_db b) || exit 1
CTLA() { "$BIN/sztpctl" -d "$ADB" "$@"; }
CTLB() { "$BIN/sztpctl" -d "$BDB" "$@"; }
OWNER_CT=1.2.840.113549.1.9.16.1.43

# ---- PKI -------------------------------------------------------------------
SERIALS="SN-T SN-U SN-R SN-L SN-IB SN-TV SN-OC SN-KEY SN-RS SN-WS SN-EXP SN-NA"
args=()
for s in $SERIALS; do args+=(--serial "$s"); done
"$BIN/sztp-pki" init --out "$PKI" "${args[@]}" --count 200 --prefix SN-F- >/dev/null ||
	{ echo "sztp-pki init failed"; exit 1; }
"$BIN/sztp-pki" ca --out "$TMP/evil" --name "Evil CA" >/dev/null
"$BIN/sztp-pki" leaf --ca "$TMP/evil" --out "$TMP/evil/signer" --serial owner-evil >/dev/null

# ---- content: image, tampered image, config, scripts -------------------------
mkdir -p "$TMP/www"
head -c 200000 /dev/urandom >"$TMP/www/image-2.0.img"
cp "$TMP/www/image-2.0.img" "$TMP/www/tampered.img"
# one byte changed for sure (writing a fixed 'X' left the random image
# unchanged once in 256 runs: the byte was an 'X' already)
b=$(od -An -tu1 -j 1000 -N 1 "$TMP/www/image-2.0.img" | tr -d ' ')
printf "\\$(printf '%03o' $(((b + 1) % 256)))" |
	dd of="$TMP/www/tampered.img" bs=1 seek=1000 conv=notrunc 2>/dev/null
cmp -s "$TMP/www/image-2.0.img" "$TMP/www/tampered.img" && { echo "the image was not tampered"; exit 1; }
printf 'hostname dev\nntp 192.0.2.1\n' >"$TMP/config.txt"
printf '#!/bin/sh\necho "pre ran in $PWD"\ntouch pre-ran\n' >"$TMP/pre.sh"
printf '#!/bin/sh\necho post ran\n' >"$TMP/post.sh"
printf 'hostname second-server\n' >"$TMP/config-b.txt"

# ---- nginx over HTTPS for images ---------------------------------------------
NGPORT=$(free_port)
start_nginx_https "$TMP/ng" "$NGPORT" "$PKI/server/chain.pem" "$PKI/server/key.pem" "$TMP/www"
NGINX=$E2E_LAST_PID
IMGURL=https://127.0.0.1:$NGPORT

# ---- registries --------------------------------------------------------------
PA=$(free_port)
PB=$(free_port)
while [ "$PB" = "$PA" ]; do PB=$(free_port); done
check "A: init" CTLA init
check "B: init" CTLB init
check "A: owner" CTLA owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "A: evil owner" CTLA owner set --name evil --chain "$TMP/evil/signer-chain.pem" --key "$TMP/evil/signer.key"
check "A: profile image" CTLA profile onboarding img --image-name demo-os --image-version 2.0 \
	--image-file "$TMP/www/image-2.0.img" --image-uri "$IMGURL/missing.img" --image-uri "$IMGURL/image-2.0.img" \
	--config "$TMP/config.txt" --config-handling merge --pre-script "$TMP/pre.sh" \
	--post-script "$TMP/post.sh" --reporting verbose
check "A: profile bad image" CTLA profile onboarding badimg --image-name demo-os --image-version 2.0 \
	--image-file "$TMP/www/image-2.0.img" --image-uri "$IMGURL/tampered.img" \
	--config "$TMP/config.txt" --config-handling replace
check "A: profile config" CTLA profile onboarding cfg --config "$TMP/config.txt" --config-handling replace \
	--pre-script "$TMP/pre.sh"
check "A: profile always signed" CTLA profile onboarding always --config "$TMP/config.txt" \
	--config-handling replace --sign always
check "A: profile signed by another key" CTLA profile onboarding evilkey --config "$TMP/config.txt" \
	--config-handling replace --sign always --owner evil
check "A: profile redirect to B" CTLA profile redirect toB --server "localhost:$PB,$PKI/owner/ca.pem"
check "A: profile redirect loop" CTLA profile redirect loop --server "localhost:$PA,$PKI/owner/ca.pem"
check "A: profile fleet" CTLA profile onboarding fleet --config "$TMP/config.txt" --config-handling merge \
	--reporting verbose
for s_p in SN-T:img SN-U:cfg SN-R:toB SN-L:loop SN-IB:badimg SN-TV:always SN-OC:always; do
	s=${s_p%%:*}
	check "A: enrol $s" CTLA device add "$s" --profile "${s_p#*:}" --voucher "$PKI/devices/$s/voucher.vcj"
done
# sztpctl refuses a voucher not anchoring the profile's owner: plant it
check "A: enrol SN-KEY" CTLA device add SN-KEY --profile evilkey
check "A: plant SN-KEY's voucher" db_qr "$ADB" "update devices set voucher=$(db_blob "$PKI/devices/SN-KEY/voucher.vcj") where serial='SN-KEY'"
# tampered voucher: last byte of the signature flipped (sztpd still serves it)
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[-1]^=1; open(sys.argv[2],"wb").write(b)' \
	"$PKI/devices/SN-TV/voucher.vcj" "$TMP/tampered.vcj"
check "A: plant tampered voucher" db_qr "$ADB" "update devices set voucher=$(db_blob "$TMP/tampered.vcj") where serial='SN-TV'"
# voucher pinning another CA than the one the owner certificate chains to
"$BIN/sztp-pki" voucher --pki "$PKI" --serial SN-OC --pinned "$TMP/evil/ca.pem" --out "$TMP/pinned-evil.vcj" >/dev/null
check "A: plant voucher pinning another CA" db_qr "$ADB" "update devices set voucher=$(db_blob "$TMP/pinned-evil.vcj") where serial='SN-OC'"
{
	echo serial,profile,password,voucher
	for d in "$PKI"/devices/SN-F-*; do echo "$(basename "$d"),fleet,,pki/devices/$(basename "$d")/voucher.vcj"; done
} >"$TMP/fleet.csv"
check "A: import 200 fleet devices" CTLA device import "$TMP/fleet.csv"
check "B: owner" CTLB owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "B: profile" CTLB profile onboarding second --config "$TMP/config-b.txt" --config-handling replace --reporting verbose
check "B: enrol SN-R" CTLB device add SN-R --profile second --voucher "$PKI/devices/SN-R/voucher.vcj"

server_conf() { # NAME PORT DB
	cat >"$TMP/$1.conf" <<CONF
port = $2
tls-cert = $PKI/server/chain.pem
tls-key = $PKI/server/key.pem
client-ca = $PKI/manufacturer/root.pem
database = $3
yang-dir = $TOP/yang
threads = 2
log-level = warn
allow-root = yes
CONF
}
server_conf a "$PA" "$ADB"
server_conf b "$PB" "$BDB"
e2e_bg "$TMP/a.log" "$BIN/sztpd" -c "$TMP/a.conf"
e2e_bg "$TMP/b.log" "$BIN/sztpd" -c "$TMP/b.conf"
wait_https "$PA" && wait_https "$PB" || { cat "$TMP/a.log" "$TMP/b.log"; echo "sztpd did not start"; exit 1; }
wait_https "$NGPORT" || true
check "nginx serves the image over HTTPS" curl -sfk -o /dev/null "$IMGURL/image-2.0.img"

# ---- syslog server: the real rsyslogd, RFC 5424 over UDP on loopback ----------
SYSPORT=$(free_port)
mkdir -p "$TMP/rsyslog"
cat >"$TMP/rsyslog.conf" <<RSYS
global(workDirectory="$TMP/rsyslog")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$SYSPORT")
template(name="raw" type="string" string="%rawmsg%\n")
template(name="parsed" type="string" string="app=%app-name% proc=%procid% sd=%structured-data% msg=%msg%\n")
*.* action(type="omfile" file="$TMP/syslog.txt" template="raw")
*.* action(type="omfile" file="$TMP/syslog-parsed.txt" template="parsed")
RSYS
e2e_bg "$TMP/rsyslog.err" /usr/sbin/rsyslogd -n -f "$TMP/rsyslog.conf" -i "$TMP/rsyslog.pid"
for i in $(seq 1 50); do
	[ -n "$(ss -Hlun "sport = :$SYSPORT" 2>/dev/null)" ] && break
	sleep 0.1
done

# agent_conf NAME SERIAL [extra lines...]: a device config
agent_conf() {
	agent_conf_file "$1" "$2" "os-name = demo-os" "os-version = 1.0" "hw-model = sim-1" \
		"http-timeout = 10" "script-timeout = 10" "yang-dir = $TOP/yang" "${@:3}"
}
TRUST="server-trust-anchors = $PKI/owner/ca.pem"
# run NAME: run the agent, EXIT = its status, R = result.json
run() {
	"$AGENT" -c "$TMP/$1.conf" >"$TMP/$1.out" 2>&1
	EXIT=$?
	R=$TMP/dev/$1/var/lib/sztp/result.json
}
jr() { jq -r "$1" "$R" 2>/dev/null; }
# nothing_applied NAME: no config, image or script output in the device root
nothing_applied() {
	local r=$TMP/dev/$1
	[ ! -e "$r/etc/config" ] && [ -z "$(ls -A "$r/boot/images" 2>/dev/null)" ] &&
		[ ! -e "$r/boot/running" ] && [ ! -e "$r/var/log/sztp" ] && [ ! -e "$r/pre-ran" ]
}

# ---- config checks ---------------------------------------------------------------
agent_conf t SN-T "$TRUST" "well-known-server = https://localhost:$PA" "syslog-server = 127.0.0.1:$SYSPORT" \
	"ssh-host-key = $TMP/hostkey.pub"
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1Ll/Dr4jV0j8r2/qrJaDCTFcCVAM0Dkwl3eCpHFRSD root@dev" >"$TMP/hostkey.pub"
"$AGENT" -n -c "$TMP/t.conf" >"$TMP/n.out" 2>&1
check_eq "-n accepts a good config" "$?" 0
check_contains "-n reads the serial from the IDevID" "$TMP/n.out" "serial number SN-T"
printf 'device-root = x\nidevid-key = k\nidevid-chain = c\nvoucher-trust-anchors = v\nredirect-limt = 3\n' >"$TMP/bad.conf"
"$AGENT" -n -c "$TMP/bad.conf" >"$TMP/bad.out" 2>&1
check_eq "-n rejects an unknown key" "$?" 1
check_contains "error names file and line" "$TMP/bad.out" "bad.conf:5: unknown key 'redirect-limt'"
printf 'redirect-limit = 99\n' >"$TMP/bad2.conf"
"$AGENT" -n -c "$TMP/bad2.conf" >"$TMP/bad2.out" 2>&1
check_contains "out-of-range value rejected" "$TMP/bad2.out" "bad2.conf:1: redirect-limit"

# ---- 1. trusted onboarding with a boot image from nginx --------------------------
run t
check_eq "trusted: exit 0" "$EXIT" 0
check_eq "trusted: status" "$(jr .status)" bootstrap-complete
check_eq "trusted: trusted" "$(jr .trusted)" true
check_eq "trusted: rebooted once into the image" "$(jr .reboots)" 1
check_eq "trusted: running os-version" "$(jr '."os-version"')" 2.0
check "trusted: image installed, hash equal" cmp "$TMP/dev/t/boot/images/demo-os-2.0.img" "$TMP/www/image-2.0.img"
check_eq "trusted: image recorded for start-up" "$(jq -r .file "$TMP/dev/t/boot/running")" boot/images/demo-os-2.0.img
check "trusted: config committed" cmp "$TMP/dev/t/etc/config" "$TMP/config.txt"
check_contains "trusted: pre-script output captured" "$TMP/dev/t/var/log/sztp/pre-configuration-script.log" "pre ran in $TMP/dev/t"
check_contains "trusted: post-script output captured" "$TMP/dev/t/var/log/sztp/post-configuration-script.log" "post ran"
check_contains "trusted: tried the first download-uri" "$TMP/ng/access.log" "GET /missing.img"
CTLA progress SN-T --limit 100 >"$TMP/prog-t.txt"
for t in bootstrap-initiated boot-image-initiated boot-image-installed-rebooting pre-script-complete \
	config-complete post-script-complete bootstrap-complete; do
	check_contains "trusted: report $t" "$TMP/prog-t.txt" "$t"
done
# strict order: boot image, then (after reboot) pre-script, config, post-script
order=$(db_qr "$ADB" "select type from progress where serial='SN-T' order by id" | tr '\n' ' ')
case "$order" in
*boot-image-installed-rebooting*bootstrap-initiated*pre-script-initiated*pre-script-complete*config-initiated*config-complete*post-script-initiated*post-script-complete*bootstrap-complete*) pass ;;
*) fail "trusted: report order: $order" ;;
esac
check_eq "trusted: ssh host key sent with bootstrap-complete" \
	"$(db_qr "$ADB" "select count(*) from progress where serial='SN-T' and type='bootstrap-complete' and ssh_host_keys like '%ssh-ed25519%'")" 1
sleep 0.2
check_contains "syslog: RFC 5424 header" "$TMP/syslog.txt" "<30>1 "
check_contains "syslog: app-name and serial" "$TMP/syslog.txt" "sztp-agent"
check_contains "syslog: serial in structured data" "$TMP/syslog.txt" 'serial="SN-T"'
check_contains "syslog: completion" "$TMP/syslog.txt" "bootstrap complete"
check_contains "rsyslog parsed the RFC 5424 app-name" "$TMP/syslog-parsed.txt" "app=sztp-agent "
check_contains "rsyslog parsed the structured data" "$TMP/syslog-parsed.txt" 'serial="SN-T"' 
# second start: already running 2.0 -> the image is skipped, nothing downloaded
n_get=$(grep -c 'GET /image-2.0.img' "$TMP/ng/access.log")
run t
check_eq "rerun: exit 0" "$EXIT" 0
check_eq "rerun: no reboot" "$(jr .reboots)" 0
check_eq "rerun: image not downloaded again" "$(grep -c 'GET /image-2.0.img' "$TMP/ng/access.log")" "$n_get"

# ---- 2. untrusted DHCP source -> signed onboarding ----------------------------------
# option 143 value as dhclient hands it (hex, colon separated), with an invalid entry first
python3 -c '
import sys
def e(u): return len(u).to_bytes(2, "big") + u.encode()
v = e("http://not-https.example") + e("https://localhost:" + sys.argv[1])
print(":".join("%x" % b for b in v))' "$PA" >"$TMP/opt143.hex"
"$AGENT" dhcp-parse "$TMP/opt143.hex" >"$TMP/dhcp.out" 2>"$TMP/dhcp.err"
check_eq "dhcp-parse prints the valid URI only" "$(cat "$TMP/dhcp.out")" "https://localhost:$PA"
check_contains "dhcp-parse counts the invalid entry" "$TMP/dhcp.err" "1 invalid entries ignored"
agent_conf u SN-U "dhcp-option-file = $TMP/opt143.hex"
run u
check_eq "untrusted: exit 0" "$EXIT" 0
check_eq "untrusted: source dhcpv4" "$(jr .source)" dhcpv4
check_eq "untrusted: not trusted" "$(jr .trusted)" false
check_contains "untrusted: signed data accepted" "$TMP/u.out" "signed conveyed information accepted"
check "untrusted: config committed" cmp "$TMP/dev/u/etc/config" "$TMP/config.txt"
check_eq "untrusted: no progress reports sent" "$(db_qr "$ADB" "select count(*) from progress where serial='SN-U'")" 0

# ---- 3. untrusted -> signed redirect to B with trust anchor -> trusted on B ------------
agent_conf r SN-R "bootstrap-url = https://localhost:$PA"
run r
check_eq "redirect: exit 0" "$EXIT" 0
check_eq "redirect: onboarded by B" "$(jr .server)" "https://localhost:$PB/restconf"
check_eq "redirect: B trusted via the redirect's trust anchor" "$(jr .trusted)" true
check "redirect: B's config committed" cmp "$TMP/dev/r/etc/config" "$TMP/config-b.txt"
check_eq "redirect: no reports to A (untrusted)" "$(db_qr "$ADB" "select count(*) from progress where serial='SN-R'")" 0
CTLB progress SN-R >"$TMP/prog-r.txt"
check_contains "redirect: B got bootstrap-complete" "$TMP/prog-r.txt" bootstrap-complete
check_contains "redirect: B got config-complete (verbose)" "$TMP/prog-r.txt" config-complete

# ---- 4. redirect loop stopped by the limit --------------------------------------------
agent_conf l SN-L "$TRUST" "well-known-server = https://localhost:$PA" "redirect-limit = 4"
run l
check_eq "loop: exit 2" "$EXIT" 2
check_contains "loop: limit named" "$R" "redirect limit (4) reached"
check_eventually "loop: requests = limit + 1" 5 \
	db_qr "$ADB" "select count(*) from bootstrap_log where serial='SN-L' and endpoint like '%get-bootstrapping-data%'"

# ---- 5. tampered image --------------------------------------------------------------
agent_conf ib SN-IB "$TRUST" "well-known-server = https://localhost:$PA"
run ib
check_eq "tampered image: exit 2" "$EXIT" 2
check_contains "tampered image: hash mismatch" "$R" "does not match its sha-256"
check_contains "tampered image: boot-image-error report" <(CTLA progress SN-IB) boot-image-error
check "tampered image: nothing applied" nothing_applied ib
check "tampered image: no partial download left" test -z "$(ls "$TMP/dev/ib/var/lib/sztp/" | grep partial)"

# ---- 6. s5.4 rejections from a server: untrusted (no report) then trusted (report) -------
# neg NAME SERIAL FRAGMENT
neg() {
	local name=$1 sn=$2 frag=$3
	agent_conf "$name-u" "$sn" "well-known-server = https://localhost:$PA"
	run "$name-u"
	check_eq "$name (untrusted): exit 2" "$EXIT" 2
	check_contains "$name (untrusted): reason" "$R" "$frag"
	check_eq "$name (untrusted): no report" "$(db_qr "$ADB" "select count(*) from progress where serial='$sn'")" 0
	check "$name (untrusted): nothing applied" nothing_applied "$name-u"
	agent_conf "$name-t" "$sn" "$TRUST" "well-known-server = https://localhost:$PA"
	run "$name-t"
	check_eq "$name (trusted): exit 2" "$EXIT" 2
	check_contains "$name (trusted): reason" "$R" "$frag"
	check_eq "$name (trusted): bootstrap-error report" \
		"$(db_qr "$ADB" "select count(*) from progress where serial='$sn' and type='bootstrap-error'")" 1
	check "$name (trusted): nothing applied" nothing_applied "$name-t"
}
neg tampered-voucher SN-TV "verif"
neg owner-not-pinned SN-OC "does not chain to the voucher's pinned-domain-cert"
# an owner identity of another CA: its chain and signature do not lead to the pinned cert
neg other-owner SN-KEY "does not chain to the voucher's pinned-domain-cert"

# ---- 7. s5.4 rejections from removable storage (OpenSSL-made artifacts) -------------------
# usb NAME SERIAL VOUCHER [openssl-cms-extra-args]
usb() {
	local name=$1 sn=$2 v=$3
	shift 3
	local dir=$TMP/usb/$name
	mkdir -p "$dir"
	printf '{"ietf-sztp-conveyed-info:onboarding-information":{"configuration-handling":"replace","configuration":"%s"}}' \
		"$(base64 -w0 "$TMP/config.txt")" >"$dir/ci.json"
	openssl cms -sign -binary -nodetach -in "$dir/ci.json" -econtent_type "$OWNER_CT" \
		-signer "${SIGNER:-$PKI/owner/signer.pem}" -inkey "${SIGNKEY:-$PKI/owner/signer.key}" -nocerts -outform DER \
		-out "$dir/conveyed-information.cms" "$@" 2>"$dir/openssl.err"
	openssl crl2pkcs7 -nocrl -certfile "$PKI/owner/chain.pem" -outform DER -out "$dir/owner-certificate.cms"
	cp "$v" "$dir/ownership-voucher.vcj"
	rm "$dir/ci.json"
	agent_conf "$name" "$sn" "removable-storage = $dir"
	run "$name"
}
usb usb-good SN-RS "$PKI/devices/SN-RS/voucher.vcj"
check_eq "usb good: exit 0" "$EXIT" 0
check_eq "usb good: source" "$(jr .source)" removable-storage
check "usb good: config committed" cmp "$TMP/dev/usb-good/etc/config" "$TMP/config.txt"
usb usb-wrong-serial SN-WS "$PKI/devices/SN-RS/voucher.vcj"
check_eq "wrong-serial voucher: exit 2" "$EXIT" 2
check_contains "wrong-serial voucher: reason" "$R" 'voucher is for serial number \"SN-RS\", not this device'
check "wrong-serial voucher: nothing applied" nothing_applied usb-wrong-serial
"$BIN/sztp-pki" voucher --pki "$PKI" --serial SN-EXP --out "$TMP/expired.vcj" \
	--created-on 2020-01-01T00:00:00Z --expires-on 2020-06-01T00:00:00Z >/dev/null
usb usb-expired SN-EXP "$TMP/expired.vcj"
check_eq "expired voucher: exit 2" "$EXIT" 2
check_contains "expired voucher: reason" "$R" "voucher expired at 2020-06-01T00:00:00Z"
check "expired voucher: nothing applied" nothing_applied usb-expired
echo "clock-trusted = no" >>"$TMP/usb-expired.conf"
rm -rf "$TMP/dev/usb-expired"
run usb-expired
check_eq "expired voucher, clock not trusted: accepted" "$EXIT" 0
# a voucher that demands revocation checks, an owner chain without CRL distribution points
# and no crl-file: the status cannot be obtained, refused (RFC 8572 s5.4 step 7; t_agent_rfc)
openssl cms -verify -inform DER -binary -in "$PKI/devices/SN-RS/voucher.vcj" -noverify -out "$TMP/rv.json" 2>/dev/null
jq -c '."ietf-voucher:voucher"."domain-cert-revocation-checks" = true' "$TMP/rv.json" >"$TMP/rv2.json"
openssl cms -sign -binary -nodetach -in "$TMP/rv2.json" -econtent_type 1.2.840.113549.1.9.16.1.40 \
	-signer "$PKI/manufacturer/voucher-signer.pem" -inkey "$PKI/manufacturer/voucher-signer.key" \
	-certfile "$PKI/manufacturer/root.pem" -outform DER -out "$TMP/revocation.vcj"
usb usb-revocation SN-RS "$TMP/revocation.vcj"
check_eq "revocation-checks voucher: exit 2" "$EXIT" 2
check_contains "revocation-checks voucher: reason" "$R" "domain-cert-revocation-checks"
check "revocation-checks voucher: nothing applied" nothing_applied usb-revocation
# the right owner-certificate, but the conveyed information signed by another key
SIGNER=$TMP/evil/signer.pem SIGNKEY=$TMP/evil/signer.key usb usb-other-key SN-NA "$PKI/devices/SN-NA/voucher.vcj"
check_eq "signed by another key: exit 2" "$EXIT" 2
check_contains "signed by another key: reason" "$R" "conveyed information is not signed by the owner certificate"
check "signed by another key: nothing applied" nothing_applied usb-other-key
usb usb-noattr SN-NA "$PKI/devices/SN-NA/voucher.vcj" -noattr
check_eq "missing signed attributes: exit 2" "$EXIT" 2
check_contains "missing signed attributes: reason" "$R" "signed attributes"
check "missing signed attributes: nothing applied" nothing_applied usb-noattr
# unsigned onboarding information from an untrusted source is refused (s5.3)
mkdir -p "$TMP/usb/unsigned"
printf '{"ietf-sztp-conveyed-info:onboarding-information":{"configuration-handling":"replace","configuration":"%s"}}' \
	"$(base64 -w0 "$TMP/config.txt")" >"$TMP/usb/unsigned/ci.json"
python3 - "$TMP/usb/unsigned/ci.json" "$TMP/usb/unsigned/conveyed-information.cms" <<'PY'
import sys
c = open(sys.argv[1], "rb").read()
def tlv(t, v):
    n = len(v)
    l = bytes([n]) if n < 128 else (bytes([0x81, n]) if n < 256 else bytes([0x82, n >> 8, n & 255]))
    return bytes([t]) + l + v
oid = bytes.fromhex("060b2a864886f70d010910012b")  # 1.2.840.113549.1.9.16.1.43
open(sys.argv[2], "wb").write(tlv(0x30, oid + tlv(0xa0, tlv(0x04, c))))
PY
rm "$TMP/usb/unsigned/ci.json"
agent_conf usb-unsigned SN-NA "removable-storage = $TMP/usb/unsigned"
run usb-unsigned
check_eq "unsigned onboarding from USB: refused" "$EXIT" 2
check_contains "unsigned onboarding from USB: reason" "$R" "unsigned onboarding information from an untrusted source refused"
check "unsigned onboarding from USB: nothing applied" nothing_applied usb-unsigned

# ---- 8. fleet: 200 devices, all complete -----------------------------------------------
cat >"$TMP/fleet.conf" <<CONF
voucher-trust-anchors = $PKI/manufacturer/root.pem
$TRUST
well-known-server = https://localhost:$PA
os-name = demo-os
os-version = 1.0
yang-dir = $TOP/yang
CONF
"$AGENT" fleet -c "$TMP/fleet.conf" --pki "$PKI" --prefix SN-F- --count 200 --concurrency 16 \
	--work-dir "$TMP/fleet" --json "$TMP/fleet.json" >"$TMP/fleet.out" 2>&1
check_eq "fleet: exit 0" "$?" 0
cat "$TMP/fleet.out"
check_eq "fleet: 200 devices" "$(jq -r .devices "$TMP/fleet.json")" 200
check_eq "fleet: 200 bootstrapped" "$(jq -r .bootstrapped "$TMP/fleet.json")" 200
check "fleet: p99 of total reported" jq -e '."latency-ms".total.p99 > 0' "$TMP/fleet.json"
check "fleet: devices/s reported" jq -e '."devices-per-second" > 0' "$TMP/fleet.json"
check_eq "fleet: each device root has its config" "$(ls "$TMP"/fleet/SN-F-*/etc/config | wc -l)" 200
check_eq "fleet: server saw 200 bootstrap-complete" \
	"$(db_qr "$ADB" "select count(distinct serial) from progress where serial like 'SN-F-%' and type='bootstrap-complete'")" 200

check "sztpd A still running" kill -0 "$(pgrep -f "sztpd -c $TMP/a.conf" | head -1)"
stop_pid "$NGINX"
e2e_finish
