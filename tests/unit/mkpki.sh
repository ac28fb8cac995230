#!/bin/sh
# mkpki.sh DIR - mint a throwaway test PKI with openssl into DIR (made fresh
# on every test run; nothing here is committed).
#   root (EC CA) -> int (EC CA) -> ec (EC signer), rsa (RSA-2048 signer),
#                                  srv (EKU serverAuth only)
#   vendor (EC CA) -> idevid (serialNumber=SN-0001234, EKU clientAuth),
#                     noserial (no serialNumber)
#   masa (EC CA) -> masasig (voucher signer)
#   evil (EC CA) -> evilleaf
# Files: NAME.key (PKCS#8 PEM, mode 600), NAME.pem, NAME-chain.pem (leaf +
# int), ec.trad.key (traditional EC PEM), rsa.trad.key, ec.der.key (DER).
set -eu
d=$1
mkdir -p "$d"
cd "$d"
umask 077
cat > ext.cnf <<'EOF'
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
eckey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
root() { # name cn
	eckey "$1"
	openssl req -new -x509 -key "$1.key" -subj "/CN=$2" -days 3650 -sha256 \
		-extensions ca -config ext.cnf -out "$1.pem" 2>/dev/null
}
issue() { # name subj issuer section
	openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial \
		-days 365 -sha256 -extfile ext.cnf -extensions "$4" -out "$1.pem" 2>/dev/null
	rm -f "$1.csr"
}
root root "Test Owner Root"
eckey int; issue int "/CN=Test Owner Intermediate" root ca
eckey ec; issue ec "/CN=Test EC Signer" int leaf
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
issue rsa "/CN=Test RSA Signer" int leaf
eckey srv; issue srv "/CN=Test Server" int server
root vendor "Test Vendor CA"
eckey idevid; issue idevid "/CN=Device/serialNumber=SN-0001234" vendor client
eckey noserial; issue noserial "/CN=Device Without Serial" vendor client
root masa "Test MASA Root"
eckey masasig; issue masasig "/CN=Test MASA Signer" masa leaf
root evil "Evil CA"
eckey evilleaf; issue evilleaf "/CN=Test EC Signer" evil leaf
for n in ec rsa srv; do cat "$n.pem" int.pem > "$n-chain.pem"; done
cat masasig.pem masa.pem > masasig-chain.pem
openssl ec -in ec.key -out ec.trad.key 2>/dev/null
openssl rsa -traditional -in rsa.key -out rsa.trad.key 2>/dev/null
openssl pkey -in ec.key -outform DER -out ec.der.key
chmod 600 ./*.key
exit 0
