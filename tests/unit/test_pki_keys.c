/* Unit tests for the private keys sztp-pki writes (mint_ident_key_pem):
 * an RFC 5915 ECPrivateKey's privateKey is an OCTET STRING of exactly 32
 * octets for P-256 (left-padded), never GnuTLS's minimal INTEGER form (33
 * octets when the top bit is set, about half of all keys).  64 keys are
 * walked with a strict DER reader here, loaded back by GnuTLS (signer
 * with its certificate) and checked by openssl (`pkey -check`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "unit.h"
#include "pki.h"
#include "pki_mint.h"

#define N_KEYS 64

/* One DER TLV at *p (definite length, at most 2 length octets, inside
 * end); content in *c / *clen; *p moves past it.  0 on any error. */
static int tlv(const uint8_t **p, const uint8_t *end, uint8_t tag, const uint8_t **c, size_t *clen)
{
	const uint8_t *q = *p;
	size_t len;

	if (end - q < 2 || q[0] != tag)
		return 0;
	len = q[1];
	q += 2;
	if (len == 0x81) {
		if (end - q < 1 || q[0] < 0x80)
			return 0;
		len = q[0];
		q++;
	} else if (len == 0x82) {
		if (end - q < 2 || q[0] == 0)
			return 0;
		len = (size_t)q[0] << 8 | q[1];
		q += 2;
	} else if (len >= 0x80) {
		return 0;
	}
	if ((size_t)(end - q) < len)
		return 0;
	*c = q;
	*clen = len;
	*p = q + len;
	return 1;
}

/* Strict walk of PrivateKeyInfo { 0, {ecPublicKey, P-256},
 * OCTET STRING { ECPrivateKey { 1, OCTET STRING privateKey, [0], [1] } } }:
 * the privateKey's length (0 when the structure is wrong), its first
 * octet in *top. */
static size_t ec_private_len(const uint8_t *der, size_t len, uint8_t *top)
{
	const uint8_t *p = der, *end = der + len, *c, *s, *se, *k, *ke;
	size_t cl, sl, kl;

	if (!tlv(&p, end, 0x30, &s, &sl) || p != end)
		return 0;
	se = s + sl;
	if (!tlv(&s, se, 0x02, &c, &cl) || cl != 1 || c[0] != 0 || !tlv(&s, se, 0x30, &c, &cl) ||
	    !tlv(&s, se, 0x04, &k, &kl) || s != se)
		return 0;
	ke = k + kl;
	if (!tlv(&k, ke, 0x30, &s, &sl) || k != ke)
		return 0;
	se = s + sl;
	if (!tlv(&s, se, 0x02, &c, &cl) || cl != 1 || c[0] != 1 || !tlv(&s, se, 0x04, &c, &cl))
		return 0;
	*top = cl ? c[0] : 0;
	if (!tlv(&s, se, 0xa0, &k, &kl) || !tlv(&s, se, 0xa1, &k, &kl) || s != se)
		return 0;
	return cl;
}

static void test_ec_keys(const char *dir)
{
	struct mint_profile p;
	struct sztp_err e = {0};
	size_t i, exact = 0, high = 0, loaded = 0;
	char path[256], cmd[512];

	memset(&p, 0, sizeof(p));
	p.cn = "Key Test";
	p.key_usage = PKI_KU_DIGITAL_SIGNATURE;
	p.not_before = time(NULL) - 60;
	p.not_after = time(NULL) + 3600;
	for (i = 0; i < N_KEYS; i++) {
		struct mint_ident *id = NULL;
		struct pki_signer *sg = NULL;
		sztp_bytes pem = {0};
		gnutls_datum_t in, der = {NULL, 0};
		uint8_t top = 0;
		FILE *f;

		CHECK_RC(mint_issue(&p, 0, NULL, &id, &e), SZTP_OK);
		if (!id)
			continue;
		CHECK_RC(mint_ident_key_pem(id, &pem, &e), SZTP_OK);
		in.data = pem.data;
		in.size = (unsigned)pem.len;
		CHECK(gnutls_pem_base64_decode2("PRIVATE KEY", &in, &der) >= 0);
		if (ec_private_len(der.data, der.size, &top) == 32)
			exact++;
		if (top & 0x80)
			high++;
		/* GnuTLS reads it back and it is the certificate's key */
		if (pki_signer_from_mem(pem.data, pem.len, mint_ident_der(id), 1, &sg, &e) ==
		    SZTP_OK)
			loaded++;
		snprintf(path, sizeof(path), "%s/k%zu.key", dir, i);
		if ((f = fopen(path, "w")) != NULL) {
			fwrite(pem.data, 1, pem.len, f);
			fclose(f);
		}
		pki_signer_free(sg);
		gnutls_free(der.data);
		sztp_bytes_wipe(&pem);
		mint_ident_free(id);
	}
	CHECK(exact == N_KEYS);
	/* the case GnuTLS got wrong was exercised (all 64 below 0x80: 2^-64) */
	CHECK(high > 0);
	CHECK(loaded == N_KEYS);
	/* OpenSSL: each key parses and is a consistent P-256 key */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && for k in k*.key; do openssl pkey -in \"$k\" -check -noout "
		 ">/dev/null 2>&1 || exit 1; done; [ $(ls k*.key | wc -l) -eq %d ]",
		 dir, N_KEYS);
	CHECK(system(cmd) == 0);
	/* and asn1parse shows a 32-octet privateKey in every one */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && for k in k*.key; do o=$(openssl asn1parse -in \"$k\" | "
		 "awk -F: '/OCTET STRING/ {print $1; exit}'); openssl asn1parse -in \"$k\" "
		 "-strparse $o 2>&1 | sed -n 3p; done | grep -c 'l=  32 prim: OCTET STRING' "
		 "| grep -qx %d",
		 dir, N_KEYS);
	CHECK(system(cmd) == 0);
}

/* RSA keys still go through GnuTLS's PKCS#8 and load back. */
static void test_rsa_key(void)
{
	struct mint_profile p;
	struct mint_ident *id = NULL;
	struct pki_signer *sg = NULL;
	sztp_bytes pem = {0};
	struct sztp_err e = {0};

	memset(&p, 0, sizeof(p));
	p.cn = "RSA Key Test";
	p.key_usage = PKI_KU_DIGITAL_SIGNATURE;
	p.not_before = time(NULL) - 60;
	p.not_after = time(NULL) + 3600;
	CHECK_RC(mint_issue(&p, 1, NULL, &id, &e), SZTP_OK);
	if (!id)
		return;
	CHECK_RC(mint_ident_key_pem(id, &pem, &e), SZTP_OK);
	CHECK(pem.len > 0 && strstr((const char *)pem.data, "BEGIN PRIVATE KEY") != NULL);
	CHECK_RC(pki_signer_from_mem(pem.data, pem.len, mint_ident_der(id), 1, &sg, &e), SZTP_OK);
	pki_signer_free(sg);
	sztp_bytes_wipe(&pem);
	mint_ident_free(id);
}

int main(void)
{
	char dir[] = "/tmp/sztp-keys-XXXXXX", cmd[64];

	if (!mkdtemp(dir)) {
		unit_failed++;
		return unit_report("test_pki_keys");
	}
	test_ec_keys(dir);
	test_rsa_key();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return unit_report("test_pki_keys");
}
