#!/bin/bash
# t_pki.sh - end-to-end test of sztp-pki: mints PKIs into a temporary
# directory and checks every artifact with independent tools: OpenSSL
# (chains, expiry, key usage, SANs, CMS signature and structure of the
# RFC 8366 vouchers), yanglint (voucher JSON against ietf-voucher) and jq.
# Prints "t_pki: N passed, N failed" last; exits non-zero on failure.
set -u
top=${SZTP_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SZTP_BUILD:-$top/build}
PKI=$build/sztp-pki
tmp=$(mktemp -d "${TMPDIR:-/tmp}/t_pki.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
VOUCHER_OID=1.2.840.113549.1.9.16.1.40

ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $1"
	[ -s "$tmp/out" ] && sed 's/^/    /' "$tmp/out" | head -n 15
}
# check DESC CMD...: CMD must succeed.
check() {
	local d=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok; else bad "$d"; fi
}
# check_fails DESC REGEX CMD...: CMD must fail and print REGEX.
check_fails() {
	local d=$1 re=$2
	shift 2
	if "$@" >"$tmp/out" 2>&1; then
		bad "$d (succeeded)"
	elif ! grep -Eq -- "$re" "$tmp/out"; then
		bad "$d (no message matching /$re/)"
	else
		ok
	fi
}
# check_eq DESC EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok
	else
		: >"$tmp/out"
		bad "$1: expected '$2', got '$3'"
	fi
}

der_b64() { openssl x509 -in "$1" -outform DER | base64 -w0; }
hex_of_b64() { printf '%s' "$1" | base64 -d | od -An -tx1 | tr -d ' \n'; }
aki_hex() {
	openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | tail -n 1 |
		sed 's/^ *//; s/keyid://; s/://g' | tr 'A-F' 'a-f'
}
cert_der_hex() { openssl x509 -in "$1" -outform DER | od -An -tx1 | tr -d ' \n'; }
# voucher_json FILE.vcj ANCHOR.pem OUT.json: verify and extract.
voucher_json() {
	openssl cms -verify -inform DER -in "$1" -CAfile "$2" -purpose any -out "$3"
}
field() {
	jq -r --arg k "$2" '."ietf-voucher:voucher" | if has($k) then .[$k] else "ABSENT" end' "$1"
}

for tool in openssl jq; do
	if ! command -v $tool >/dev/null; then
		echo "t_pki: $tool is required"
		echo "t_pki: 0 passed, 1 failed"
		exit 1
	fi
done
if [ ! -x "$PKI" ]; then
	echo "t_pki: $PKI not built"
	echo "t_pki: 0 passed, 1 failed"
	exit 1
fi

# ---- init with three devices ---------------------------------------------
D=$tmp/pki
SNS="SN-A1 SN-B2 SN-C3"
check "init with 3 serials" "$PKI" init --out "$D" --serial SN-A1 --serial SN-B2 --serial SN-C3
cp "$tmp/out" "$tmp/summary"
check "summary names the devices" grep -q "3 device(s): SN-A1 SN-B2 SN-C3" "$tmp/summary"

for f in manufacturer/root.pem manufacturer/root.key manufacturer/intermediate.pem \
	manufacturer/intermediate.key manufacturer/voucher-signer.pem \
	manufacturer/voucher-signer.key owner/ca.pem owner/ca.key owner/signer.pem \
	owner/signer.key owner/chain.pem server/cert.pem server/key.pem server/chain.pem; do
	check "layout: $f" test -s "$D/$f"
done

# Keys 0600 in 0700 directories (sztpd refuses group/world-readable keys).
for k in $(cd "$D" && find . -name '*.key' -o -name key.pem); do
	check_eq "mode of $k" 600 "$(stat -c %a "$D/$k")"
done
for dir in manufacturer owner server devices/SN-A1; do
	check_eq "mode of $dir/" 700 "$(stat -c %a "$D/$dir")"
done

# Every key belongs to its certificate.
for pair in manufacturer/root manufacturer/intermediate manufacturer/voucher-signer \
	owner/ca owner/signer; do
	check_eq "$pair.key matches $pair.pem" \
		"$(openssl x509 -in "$D/$pair.pem" -noout -pubkey)" \
		"$(openssl pkey -in "$D/$pair.key" -pubout)"
done
check_eq "server key matches cert" "$(openssl x509 -in "$D/server/cert.pem" -noout -pubkey)" \
	"$(openssl pkey -in "$D/server/key.pem" -pubout)"

# CA and leaf extensions.
ext() { openssl x509 -in "$D/$1" -noout -ext "$2" 2>/dev/null | tail -n +2 | sed 's/^ *//'; }
check_eq "root basicConstraints" "CA:TRUE, pathlen:1" "$(ext manufacturer/root.pem basicConstraints)"
check_eq "intermediate basicConstraints" "CA:TRUE, pathlen:0" \
	"$(ext manufacturer/intermediate.pem basicConstraints)"
check_eq "owner CA keyUsage" "Certificate Sign, CRL Sign" "$(ext owner/ca.pem keyUsage)"
check_eq "owner signer basicConstraints" "CA:FALSE" "$(ext owner/signer.pem basicConstraints)"
check_eq "owner signer keyUsage" "Digital Signature" "$(ext owner/signer.pem keyUsage)"
for c in manufacturer/root.pem manufacturer/intermediate.pem manufacturer/voucher-signer.pem \
	owner/ca.pem owner/signer.pem server/cert.pem devices/SN-A1/idevid.pem; do
	check "SKI on $c" test -n "$(ext "$c" subjectKeyIdentifier)"
	check "AKI on $c" test -n "$(ext "$c" authorityKeyIdentifier)"
done
serials=$(for c in "$D"/manufacturer/*.pem "$D"/owner/ca.pem "$D"/owner/signer.pem \
	"$D"/server/cert.pem "$D"/devices/*/idevid.pem; do
	openssl x509 -in "$c" -noout -serial; done)
check_eq "certificate serials are distinct" "$(echo "$serials" | wc -l)" \
	"$(echo "$serials" | sort -u | wc -l)"
check_eq "certificate serials are 16 bytes" 32 \
	"$(openssl x509 -in "$D/owner/ca.pem" -noout -serial | sed 's/serial=//' | tr -d '\n' | wc -c)"

# Owner and server certificates chain to the owner CA.
check "owner signer verifies" openssl verify -CAfile "$D/owner/ca.pem" "$D/owner/signer.pem"
check "server cert verifies (serverAuth)" openssl verify -CAfile "$D/owner/ca.pem" \
	-purpose sslserver "$D/server/cert.pem"
san=$(ext server/cert.pem subjectAltName)
check "server SAN has localhost" grep -q "DNS:localhost" <<<"$san"
check "server SAN has 127.0.0.1" grep -q "IP Address:127.0.0.1" <<<"$san"
check_eq "owner/chain.pem = signer + CA" \
	"$(cat "$D/owner/signer.pem" "$D/owner/ca.pem")" "$(cat "$D/owner/chain.pem")"
check_eq "server/chain.pem = cert + CA" \
	"$(cat "$D/server/cert.pem" "$D/owner/ca.pem")" "$(cat "$D/server/chain.pem")"

# ---- devices and their vouchers ------------------------------------------
owner_b64=$(der_b64 "$D/owner/ca.pem")
for sn in $SNS; do
	dd=$D/devices/$sn
	check "$sn: IDevID verifies" openssl verify -CAfile "$D/manufacturer/root.pem" \
		-untrusted "$D/manufacturer/intermediate.pem" -purpose sslclient "$dd/idevid.pem"
	check "$sn: chain.pem verifies" openssl verify -CAfile "$D/manufacturer/root.pem" \
		-untrusted "$dd/chain.pem" "$dd/idevid.pem"
	check_eq "$sn: subject" "serialNumber=$sn,CN=$sn,O=Demo Manufacturer" \
		"$(openssl x509 -in "$dd/idevid.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')"
	check_eq "$sn: key matches" "$(openssl x509 -in "$dd/idevid.pem" -noout -pubkey)" \
		"$(openssl pkey -in "$dd/idevid.key" -pubout)"
	check_eq "$sn: EKU" "TLS Web Client Authentication" \
		"$(openssl x509 -in "$dd/idevid.pem" -noout -ext extendedKeyUsage | tail -n 1 | sed 's/^ *//')"
	check "$sn: voucher CMS verifies against the manufacturer root" \
		voucher_json "$dd/voucher.vcj" "$D/manufacturer/root.pem" "$tmp/$sn.json"
	check_eq "$sn: voucher serial-number" "$sn" "$(field "$tmp/$sn.json" serial-number)"
	check_eq "$sn: voucher pinned-domain-cert = owner CA" "$owner_b64" \
		"$(field "$tmp/$sn.json" pinned-domain-cert)"
	check_eq "$sn: voucher idevid-issuer = IDevID AKI" "$(aki_hex "$dd/idevid.pem")" \
		"$(hex_of_b64 "$(field "$tmp/$sn.json" idevid-issuer)")"
	check_eq "$sn: assertion" verified "$(field "$tmp/$sn.json" assertion)"
	check_eq "$sn: domain-cert-revocation-checks" false \
		"$(field "$tmp/$sn.json" domain-cert-revocation-checks)"
	c=$(date -u -d "$(field "$tmp/$sn.json" created-on)" +%s)
	x=$(date -u -d "$(field "$tmp/$sn.json" expires-on)" +%s)
	check_eq "$sn: voucher valid 365 days" $((365 * 86400)) $((x - c))
	now=$(date -u +%s)
	check "$sn: created-on is now" test $((now - c)) -lt 600 -a $((c - now)) -lt 60
done

v=$D/devices/SN-A1/voucher.vcj
openssl cms -cmsout -print -inform DER -in "$v" >"$tmp/print.txt" 2>&1
check "voucher eContentType is id-ct-animaJSONVoucher" grep -q "eContentType: .*($VOUCHER_OID)" "$tmp/print.txt"
check "voucher SignedData version 3" grep -q "^    version: 3" "$tmp/print.txt"
check "voucher has signed attributes" grep -q "signedAttrs:" "$tmp/print.txt"
for a in contentType messageDigest signingTime; do
	check "voucher signed attribute $a" grep -q "object: $a " "$tmp/print.txt"
done
openssl cms -verify -inform DER -in "$v" -CAfile "$D/manufacturer/root.pem" -purpose any \
	-out /dev/null -certsout "$tmp/vcerts.pem" >/dev/null 2>&1
awk -v dir="$tmp" '/BEGIN CERT/ {n++} {print > (dir "/split-" n ".pem")}' "$tmp/vcerts.pem"
check_eq "voucher certificates = voucher-signer + root" \
	"$(for c in "$D/manufacturer/voucher-signer.pem" "$D/manufacturer/root.pem"; do
		cert_der_hex "$c"; echo; done | sort | paste -sd' ')" \
	"$(for c in "$tmp"/split-*.pem; do cert_der_hex "$c"; echo; done | sort | paste -sd' ')"
check_fails "voucher does not verify against the owner CA" "[Vv]erif" \
	openssl cms -verify -inform DER -in "$v" -CAfile "$D/owner/ca.pem" -purpose any -out /dev/null

# ---- YANG: the voucher JSON against ietf-voucher --------------------------
# yanglint 2.1 cannot address rc:yang-data (voucher-artifact) directly
# ("Node voucher not found"), so a wrapper module instantiates the same
# grouping (voucher-artifact-grouping) as ordinary data and the JSON's
# top-level member is renamed to it: types, patterns, mandatory leaves and
# must expressions of ietf-voucher all apply unchanged.
yang_ok() { # FILE.json: yanglint must exit 0 and print nothing
	local w=${1%.json}.wrapped.json msg
	sed 's/"ietf-voucher:voucher"/"voucher-check:voucher"/' "$1" >"$w" || return 1
	msg=$(yanglint -p "$top/yang" -p "$tmp/yang" "$tmp/yang/voucher-check.yang" "$w" 2>&1) &&
		[ -z "$msg" ] && return 0
	echo "$msg"
	return 1
}
if command -v yanglint >/dev/null; then
	mkdir -p "$tmp/yang"
	cat >"$tmp/yang/voucher-check.yang" <<-'EOF'
		module voucher-check {
		  yang-version 1.1;
		  namespace "urn:sztp:test:voucher-check";
		  prefix vc;
		  import ietf-voucher { prefix vch; }
		  uses vch:voucher-artifact-grouping;
		}
	EOF
	for sn in $SNS; do
		check "$sn: voucher JSON valid per ietf-voucher" yang_ok "$tmp/$sn.json"
	done
	jq -c '."ietf-voucher:voucher".assertion = "bogus"' "$tmp/SN-A1.json" >"$tmp/bogus.json"
	check_fails "yanglint rejects a bad assertion (checker can fail)" "enumeration" \
		yang_ok "$tmp/bogus.json"
else
	: >"$tmp/out"
	bad "yanglint missing (libyang2-tools, scripts/deps.sh): voucher JSON not validated"
fi

# ---- --rsa ------------------------------------------------------------------
R=$tmp/rsa
check "init --rsa" "$PKI" init --out "$R" --serial R-1 --rsa
for c in manufacturer/root.pem owner/signer.pem server/cert.pem devices/R-1/idevid.pem; do
	check "RSA key in $c" grep -q "Public-Key: (2048 bit)" \
		<(openssl x509 -in "$R/$c" -noout -text | grep -A1 rsaEncryption)
done
check "RSA IDevID verifies" openssl verify -CAfile "$R/manufacturer/root.pem" \
	-untrusted "$R/manufacturer/intermediate.pem" "$R/devices/R-1/idevid.pem"
check "RSA server cert verifies" openssl verify -CAfile "$R/owner/ca.pem" "$R/server/cert.pem"
check "RSA voucher verifies" voucher_json "$R/devices/R-1/voucher.vcj" \
	"$R/manufacturer/root.pem" "$tmp/r.json"
check_eq "RSA voucher serial" R-1 "$(field "$tmp/r.json" serial-number)"

# ---- option errors -----------------------------------------------------------
check_fails "no command" "usage" "$PKI"
check_fails "unknown command" "unknown command" "$PKI" frobnicate
check_fails "unknown option" "unknown option --bogus" "$PKI" init --out "$tmp/x" --bogus
check_fails "missing value" "--out needs a value" "$PKI" init --out
check_fails "option as value" "--out needs a value" "$PKI" init --out --rsa
check_fails "init without --out" "--out DIR is required" "$PKI" init
check_fails "bad time" "bad time" "$PKI" device --pki "$D" --serial T1 --not-after 2020-13-45
check_fails "bad time (not RFC 3339)" "bad time" "$PKI" voucher --pki "$D" --serial SN-A1 \
	--created-on yesterday
check_fails "existing non-empty --out" "not empty.*--force" "$PKI" init --out "$D"
check_fails "bad serial (path)" "bad serial" "$PKI" init --out "$tmp/x" --serial ../evil
check_fails "duplicate serial" "given twice" "$PKI" init --out "$tmp/x" --serial A --serial A
check_fails "bad --count" "--count" "$PKI" init --out "$tmp/x" --count 0
check_fails "bad SAN" "SAN" "$PKI" init --out "$tmp/x" --server-san FTP:x
check_fails "bad SAN IP" "IP address" "$PKI" init --out "$tmp/x" --server-san IP:1.2.3
check_fails "bad assertion" "assertion" "$PKI" voucher --pki "$D" --serial SN-A1 --assertion maybe
check_fails "bad nonce" "nonce" "$PKI" voucher --pki "$D" --serial SN-A1 --nonce 'a b'
check_fails "--no-expiry with --expires-on" "no-expiry" "$PKI" voucher --pki "$D" --serial SN-A1 \
	--no-expiry --expires-on 2030-01-01T00:00:00Z
check_fails "--signer-key alone" "go together" "$PKI" voucher --pki "$D" --serial SN-A1 \
	--signer-key "$D/owner/signer.key"
check_fails "device twice" "already exists" "$PKI" device --pki "$D" --serial SN-A1
check_fails "missing PKI" "No such file" "$PKI" device --pki "$tmp/nope" --serial Z
check "failed inits created nothing" test ! -e "$tmp/x"
mkdir "$tmp/pki2"
check "init into an existing empty directory" "$PKI" init --out "$tmp/pki2" --serial F1
check "--force overwrites a non-empty directory" "$PKI" init --out "$tmp/pki2" --serial F2 --force
check "world-readable key refused" chmod 644 "$tmp/pki2/manufacturer/intermediate.key"
check_fails "device with a world-readable CA key" "intermediate.key" \
	"$PKI" device --pki "$tmp/pki2" --serial F3

# ---- device: expired, no serial attribute, hardwareModuleName ------------
check "device with --not-after in the past" "$PKI" device --pki "$D" --serial OLD-1 \
	--not-after 2020-01-01T00:00:00Z
check_fails "expired IDevID reported expired" "certificate has expired" \
	openssl verify -CAfile "$D/manufacturer/root.pem" \
	-untrusted "$D/manufacturer/intermediate.pem" "$D/devices/OLD-1/idevid.pem"
check "device with --not-before in the future" "$PKI" device --pki "$D" --serial NEW-1 \
	--not-before 2099-01-01T00:00:00Z --not-after 2099-12-31T00:00:00Z --no-voucher
check_fails "future IDevID reported not yet valid" "not yet valid" \
	openssl verify -CAfile "$D/manufacturer/root.pem" \
	-untrusted "$D/manufacturer/intermediate.pem" "$D/devices/NEW-1/idevid.pem"
check "no voucher with --no-voucher" test ! -e "$D/devices/NEW-1/voucher.vcj"
check "device --no-serial-attr" "$PKI" device --pki "$D" --serial NOSN-1 --no-serial-attr
check_eq "subject without serialNumber" "CN=NOSN-1,O=Demo Manufacturer" \
	"$(openssl x509 -in "$D/devices/NOSN-1/idevid.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')"
check "device --model --rsa" "$PKI" device --pki "$D" --serial HW-1 --model 1.3.6.1.4.1.32473.9 --rsa
hw=$(openssl x509 -in "$D/devices/HW-1/idevid.pem" -outform DER | od -An -tx1 | tr -d ' \n')
# [0] otherName { 1.3.6.1.5.5.7.8.4, [0] HardwareModuleName { hwType
# 1.3.6.1.4.1.32473.9, hwSerialNum OCTET STRING "HW-1" } }, hand-encoded:
hmn=a01f06082b06010505070804a013301106092b0601040181fd59090404$(printf HW-1 | od -An -tx1 | tr -d ' \n')
check "hardwareModuleName otherName (RFC 4108)" grep -q "$hmn" <<<"$hw"
check "added device verifies" openssl verify -CAfile "$D/manufacturer/root.pem" \
	-untrusted "$D/manufacturer/intermediate.pem" "$D/devices/HW-1/idevid.pem"
check "added device voucher verifies" voucher_json "$D/devices/HW-1/voucher.vcj" \
	"$D/manufacturer/root.pem" "$tmp/hw.json"
check_eq "added device voucher serial" HW-1 "$(field "$tmp/hw.json" serial-number)"
check_eq "added device voucher idevid-issuer" "$(aki_hex "$D/devices/HW-1/idevid.pem")" \
	"$(hex_of_b64 "$(field "$tmp/hw.json" idevid-issuer)")"

# ---- standalone CA and leaf --------------------------------------------------
O=$tmp/other
check "ca" "$PKI" ca --out "$O" --name "Other CA"
check_eq "ca key mode" 600 "$(stat -c %a "$O/ca.key")"
check "leaf --client" "$PKI" leaf --ca "$O" --out "$O/dev" --serial SN-A1
check "leaf --server" "$PKI" leaf --ca "$O" --out "$O/srv" --serial srv --server \
	--san DNS:evil.example
check "leaf verifies against its CA" openssl verify -CAfile "$O/ca.pem" -purpose sslclient "$O/dev.pem"
check_fails "leaf does not verify against the manufacturer root" "unable to get local issuer" \
	openssl verify -CAfile "$D/manufacturer/root.pem" "$O/dev.pem"
check_eq "leaf subject" "serialNumber=SN-A1,CN=SN-A1,O=Other CA" \
	"$(openssl x509 -in "$O/dev.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')"
check "server leaf has serverAuth" openssl verify -CAfile "$O/ca.pem" -purpose sslserver "$O/srv.pem"
check "server leaf SAN" grep -q "DNS:evil.example" \
	<(openssl x509 -in "$O/srv.pem" -noout -ext subjectAltName)
check "expired leaf" "$PKI" leaf --ca "$O" --out "$O/old" --serial SN-OLD --not-after 2021-01-01T00:00:00Z
check_fails "expired leaf reported expired" "certificate has expired" \
	openssl verify -CAfile "$O/ca.pem" "$O/old.pem"

# ---- voucher variants -----------------------------------------------------------
M=$D/manufacturer/root.pem
check "voucher wrong serial" "$PKI" voucher --pki "$D" --serial WRONG-SN --out "$tmp/w.vcj"
check "wrong-serial voucher verifies" voucher_json "$tmp/w.vcj" "$M" "$tmp/w.json"
check_eq "wrong-serial voucher serial" WRONG-SN "$(field "$tmp/w.json" serial-number)"

check "voucher expired" "$PKI" voucher --pki "$D" --serial SN-A1 --out "$tmp/e.vcj" \
	--created-on 2020-01-01T00:00:00Z --expires-on 2021-01-01T00:00:00Z
check "expired voucher verifies (CMS)" voucher_json "$tmp/e.vcj" "$M" "$tmp/e.json"
check_eq "expired voucher created-on" 2020-01-01T00:00:00Z "$(field "$tmp/e.json" created-on)"
check_eq "expired voucher expires-on" 2021-01-01T00:00:00Z "$(field "$tmp/e.json" expires-on)"

check "voucher pinned to another CA" "$PKI" voucher --pki "$D" --serial SN-A1 \
	--out "$tmp/p.vcj" --pinned "$O/ca.pem"
check "other-pinned voucher verifies" voucher_json "$tmp/p.vcj" "$M" "$tmp/p.json"
check_eq "pinned-domain-cert is the other CA" "$(der_b64 "$O/ca.pem")" \
	"$(field "$tmp/p.json" pinned-domain-cert)"

check "voucher from another signer" "$PKI" voucher --pki "$D" --serial SN-A1 \
	--out "$tmp/s.vcj" --signer-key "$O/dev.key" --signer-cert "$O/dev-chain.pem"
check_fails "other-signer voucher fails against the manufacturer root" "[Vv]erif" \
	openssl cms -verify -inform DER -in "$tmp/s.vcj" -CAfile "$M" -purpose any -out /dev/null
check "other-signer voucher verifies against its own CA" voucher_json "$tmp/s.vcj" \
	"$O/ca.pem" "$tmp/s.json"

nonce=$(head -c 24 /dev/urandom | base64 -w0)
check "voucher with nonce" "$PKI" voucher --pki "$D" --serial SN-B2 --out "$tmp/n.vcj" \
	--nonce "$nonce" --assertion proximity
check "nonce voucher verifies" voucher_json "$tmp/n.vcj" "$M" "$tmp/n.json"
check_eq "nonce" "$nonce" "$(field "$tmp/n.json" nonce)"
check_eq "nonce voucher has no expires-on (RFC 8366 must)" ABSENT "$(field "$tmp/n.json" expires-on)"
check_eq "assertion proximity" proximity "$(field "$tmp/n.json" assertion)"
check "voucher --no-expiry" "$PKI" voucher --pki "$D" --serial SN-B2 --out "$tmp/ne.vcj" --no-expiry
check "no-expiry voucher verifies" voucher_json "$tmp/ne.vcj" "$M" "$tmp/ne.json"
check_eq "no expires-on" ABSENT "$(field "$tmp/ne.json" expires-on)"
if command -v yanglint >/dev/null; then
	for j in w e p n ne; do
		check "variant $j valid per ietf-voucher" yang_ok "$tmp/$j.json"
	done
	jq -c '."ietf-voucher:voucher"."expires-on" = "2030-01-01T00:00:00Z"' "$tmp/n.json" \
		>"$tmp/nx.json"
	check_fails "yanglint enforces nonce excludes expires-on" "must|[Nn]once|expires" \
		yang_ok "$tmp/nx.json"
else
	: >"$tmp/out"
	bad "yanglint missing (libyang2-tools, scripts/deps.sh): voucher variants not validated"
fi
check "voucher default output (re-mint)" "$PKI" voucher --pki "$D" --serial SN-C3 --assertion logged
check "re-minted voucher verifies" voucher_json "$D/devices/SN-C3/voucher.vcj" "$M" "$tmp/c.json"
check_eq "re-minted assertion" logged "$(field "$tmp/c.json" assertion)"
check_fails "default output needs the device dir" "give --out" \
	"$PKI" voucher --pki "$D" --serial NO-SUCH

# ---- fleets -----------------------------------------------------------------------
F=$tmp/fleet
check "init --count 100 --prefix DEV-" "$PKI" init --out "$F" --count 100 --prefix DEV-
check_eq "100 devices" 100 "$(ls "$F/devices" | wc -l)"
check "first and last names" test -d "$F/devices/DEV-0001" -a -d "$F/devices/DEV-0100"
check "fleet device verifies" openssl verify -CAfile "$F/manufacturer/root.pem" \
	-untrusted "$F/manufacturer/intermediate.pem" "$F/devices/DEV-0077/idevid.pem"
check "fleet voucher verifies" voucher_json "$F/devices/DEV-0100/voucher.vcj" \
	"$F/manufacturer/root.pem" "$tmp/f.json"
check "default init: one device SN-DEMO-0001" "$PKI" init --out "$tmp/def"
check "default device exists" test -s "$tmp/def/devices/SN-DEMO-0001/voucher.vcj"

echo "t_pki: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
