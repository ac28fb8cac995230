#!/bin/sh
# mkserials.sh DIR - IDevID-like certificates whose subject serialNumber is
# each RFC 4514 special character class, minted with openssl into DIR for
# test_pki_serial.c.  OpenSSL writes serialNumber only as a PrintableString,
# so each certificate is first made with a same-length placeholder, then
# its DER string (tag and bytes) is patched in and the certificate is
# re-signed: self-signed (so `x509 -CA` accepts it), then by ca.
#   ca.pem/.key   the issuing CA
#   NAME.pem      leaf (clientAuth) issued by ca; for the values OpenSSL
#                 itself refuses to re-sign (bad UTF-8), the patched
#                 self-signed certificate with its signature now broken:
#                 the serial reader must refuse them before any signature
# Cases: NAME TAG VALUE-HEX (TAG: 13 Printable, 0c UTF8, 16 IA5,
# 1e BMP, 14 Teletex).
set -eu
d=$1
mkdir -p "$d"
cd "$d"
umask 077
cat > ext.cnf <<'X'
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
X
cat > patch.pl <<'X'
# patch.pl IN OUT PLACEHOLDER TAG VALUE-HEX: each PrintableString
# PLACEHOLDER becomes the DER string TAG VALUE (same length).
local $/; open(F, "<", $ARGV[0]) or die; binmode F; my $d = <F>;
my ($p, $t, $v) = ($ARGV[2], hex($ARGV[3]), pack("H*", $ARGV[4]));
die "length differs" unless length($p) == length($v);
my $pat = "\x13" . chr(length $p) . $p;
my ($n, $i) = (0, 0);
while (($i = index($d, $pat, $i)) >= 0) {
	substr($d, $i, length $pat) = chr($t) . chr(length $v) . $v; $n++;
}
die "no placeholder" unless $n;
open(O, ">", $ARGV[1]) or die; binmode O; print O $d;
X
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
openssl req -new -x509 -key ca.key -subj "/CN=Serial Test CA" -days 3650 -sha256 \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out ca.pem 2>/dev/null
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# leaf NAME TAG HEX [EXTRA-SUBJECT]
leaf() {
	n=$1 tag=$2 hx=$3
	len=$((${#hx} / 2))
	ph=$(printf "%${len}s" "" | tr ' ' Q)
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$n.key" 2>/dev/null
	openssl req -new -key "$n.key" -subj "/CN=Device/serialNumber=$ph${4:-}" \
		-out "$n.csr" 2>/dev/null
	openssl x509 -req -in "$n.csr" -signkey "$n.key" -days 30 -outform DER \
		-out "$n.0.der" 2>/dev/null
	perl patch.pl "$n.0.der" "$n.1.der" "$ph" "$tag" "$hx"
	if openssl x509 -inform DER -in "$n.1.der" -signkey "$n.key" -out "$n.2.pem" 2>/dev/null; then
		openssl x509 -in "$n.2.pem" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
			-sha256 -extfile ext.cnf -extensions client -out "$n.pem" 2>/dev/null
	else
		{ echo "-----BEGIN CERTIFICATE-----"; base64 -w 64 "$n.1.der"
		  echo "-----END CERTIFICATE-----"; } > "$n.pem"
	fi
	rm -f "$n.csr" "$n.0.der" "$n.1.der" "$n.2.pem"
}
leaf plus 13 "$(hex 'SN+1')"
leaf comma 13 "$(hex 'SN,2')"
leaf lspace 13 "$(hex ' SN3')"
leaf tspace 13 "$(hex 'SN4 ')"
leaf semicolon 0c "$(hex 'SN;5')"
leaf quote 0c "$(hex 'SN"6')"
leaf backslash 0c "$(hex 'SN\7')"
leaf angle 0c "$(hex '<SN8>')"
leaf hash 0c "$(hex '#SN9')"
leaf all 0c "$(hex '# +,;"\<>=x ')"
leaf utf8 0c "534e2dc3a9"		# "SN-e-acute"
leaf bmp 1e "0053004e003b00e9"	# "SN;e-acute" as UCS-2
leaf ia5 16 "$(hex 'SN=1')"
leaf esc 0c "534e1b31"		# ESC
leaf c1 0c "534ec29b"		# U+009B, the 8-bit CSI
leaf badutf8 0c "534eff31"
leaf overlong 0c "534ec0af"		# overlong "/"
leaf teletex 14 "$(hex 'SN11')"
leaf two 13 "$(hex 'A1')" "/serialNumber=B2"
# openssl's own DN rendering, to show the values are the escaped cases
openssl x509 -in all.pem -noout -subject -nameopt RFC2253 > all.subject
chmod 600 ./*.key
exit 0
