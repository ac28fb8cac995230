#!/bin/sh
# mkanchors.sh DIR - two manufacturers' PKIs minted with openssl (an
# implementation other than the GnuTLS that verifies them) into DIR for
# test_pki_anchor.c:
#   a-root.pem  a-int.pem (SHA-256)   a-leaf.pem    serialNumber SN-A
#   b-root.pem  b-int1.pem (SHA-1)    b-s1.pem      "PID:C9300-24T SN:FOC1" (SHA-1)
#                                     b-s1b.pem     "PID:C9300-24T SN:FOC1B" (SHA-1)
#               b-int2.pem (SHA-256)  b-s2.pem      "PID:C9300-48P SN:FOC2"
#                                     b-nosn.pem    "PID:C9300-48P"
#                                     b-twosn.pem   "PID:X SN:FOC3 SN:FOC4"
#                                     b-s3.pem      "PID:X SN:FOC5" (SHA-1)
set -eu
d=$1
mkdir -p "$d"
cd "$d"
umask 077
cat > ext.cnf <<'X'
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
X
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
root() { # NAME CN
	key "$1"
	openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 3650 -sha256 -subj "/CN=$2" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
issue() { # NAME SUBJECT ISSUER DIGEST SECTION
	key "$1"
	openssl req -new -key "$1.key" -out "$1.csr" -subj "$2"
	openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "0x$(openssl rand -hex 8)" \
		-days 825 "-$4" -extfile ext.cnf -extensions "$5" -out "$1.pem" 2>/dev/null
}
root a-root "Maker A Root"
issue a-int "/CN=Maker A Intermediate" a-root sha256 ca
issue a-leaf "/CN=SN-A/serialNumber=SN-A" a-int sha256 client
root b-root "Maker B Root"
issue b-int1 "/CN=Maker B SHA-1 Intermediate" b-root sha1 ca
issue b-s1 "/CN=FOC1/serialNumber=PID:C9300-24T SN:FOC1" b-int1 sha1 client
issue b-s1b "/CN=FOC1B/serialNumber=PID:C9300-24T SN:FOC1B" b-int1 sha1 client
issue b-int2 "/CN=Maker B Intermediate" b-root sha256 ca
issue b-s2 "/CN=FOC2/serialNumber=PID:C9300-48P SN:FOC2" b-int2 sha256 client
issue b-nosn "/CN=nosn/serialNumber=PID:C9300-48P" b-int2 sha256 client
issue b-twosn "/CN=twosn/serialNumber=PID:X SN:FOC3 SN:FOC4" b-int2 sha256 client
issue b-s3 "/CN=FOC5/serialNumber=PID:X SN:FOC5" b-int2 sha1 client
