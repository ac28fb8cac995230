#!/bin/sh
# mkcrls.sh DIR - CRLs made with `openssl ca -gencrl` for the PKI that
# tests/unit/mkpki.sh minted in DIR (test_pki_crl.c):
#   int-ec.crl        int revokes ec            (int-ec.der: the same, DER)
#   int-empty.crl     int revokes nothing
#   int-ec-stale.crl  int revokes ec; lastUpdate 2020-01-01, nextUpdate 2020-02-01
#   int-critext.crl   int, with an unknown critical CRL extension
#   root-int.crl      root revokes int
#   vendor-idevid.crl vendor revokes idevid
#   evil-ec.crl       Evil CA lists ec's serial number (another issuer)
#   fake-int.crl      a look-alike "Test Owner Intermediate" (own key) revokes rsa
#   fake-root.crl     a look-alike "Test Owner Root" (own key), nothing revoked
#   notacrl.crl       text
set -eu
d=$1
cd "$d"
umask 077
# cadb NAME: a fresh openssl ca database for CA NAME (NAME.pem, NAME.key)
cadb() {
	rm -rf "db-$1"
	mkdir "db-$1"
	: > "db-$1/index.txt"
	echo 01 > "db-$1/crlnumber"
	cat > "db-$1/ca.cnf" <<X
[ca]
default_ca = CA_default
[CA_default]
database = $d/db-$1/index.txt
crlnumber = $d/db-$1/crlnumber
default_md = sha256
default_crl_days = 30
[crlext]
authorityKeyIdentifier = keyid
[critext]
1.2.3.4 = critical,ASN1:NULL
X
}
ca() { # NAME ARGS...: openssl ca as CA NAME
	n=$1
	shift
	openssl ca -config "db-$n/ca.cnf" -keyfile "$n.key" -cert "$n.pem" "$@" 2>/dev/null
}
cadb int
ca int -gencrl -crlexts crlext -out int-empty.crl
ca int -revoke ec.pem
ca int -gencrl -crlexts crlext -out int-ec.crl
openssl crl -in int-ec.crl -outform DER -out int-ec.der
ca int -gencrl -crlexts crlext -crl_lastupdate 20200101000000Z \
	-crl_nextupdate 20200201000000Z -out int-ec-stale.crl
ca int -gencrl -crlexts critext -out int-critext.crl
cadb root
ca root -revoke int.pem
ca root -gencrl -crlexts crlext -out root-int.crl
cadb vendor
ca vendor -revoke idevid.pem
ca vendor -gencrl -crlexts crlext -out vendor-idevid.crl
cadb evil
ca evil -revoke ec.pem
ca evil -gencrl -crlexts crlext -out evil-ec.crl
# look-alikes: the same subject as a real CA, their own key
lookalike() { # NAME SUBJECT
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
	openssl req -new -x509 -key "$1.key" -subj "$2" -days 30 -extensions ca \
		-config ext.cnf -out "$1.pem" 2>/dev/null
	cadb "$1"
}
lookalike fakeint "/CN=Test Owner Intermediate"
ca fakeint -revoke rsa.pem
ca fakeint -gencrl -crlexts crlext -out fake-int.crl
lookalike fakeroot "/CN=Test Owner Root"
ca fakeroot -gencrl -crlexts crlext -out fake-root.crl
echo "not a CRL" > notacrl.crl
exit 0
