/* Unit tests for cms.c: SignedData, certs-only SignedData and bare
 * ContentInfo, each checked by OpenSSL as the independent implementation,
 * plus hostile input (truncation at every length, trailing garbage,
 * bit flips, oversized) and a known-answer DER vector. */
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "cms.h"
#include "pki.h"
#include "util.h"

#define CI_JSON "{\"ietf-sztp-conveyed-info:onboarding-information\":{\"boot-image\":{}}}"

#include "fixture.h"

#define dir fixture_dir

static int setup(void)
{
	return fixture_setup("cms");
}

static void teardown(void)
{
	fixture_teardown();
}

static void put(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(fwrite(data, 1, len, f) == len);
	fclose(f);
}

/* Run a shell command; its stdout+stderr go to DIR/out. Returns exit status. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[2048], full[2400];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "(%s) >'%s/out' 2>&1", cmd, dir);
	r = system(full);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

/* Does DIR/out contain s? */
static int out_has(const char *s)
{
	sztp_bytes o = {0};
	int found;

	if (file_read(P("out"), 1 << 20, &o, NULL) != SZTP_OK)
		return 0;
	found = strstr((const char *)o.data, s) != NULL;
	sztp_bytes_free(&o);
	return found;
}

static int file_equals(const char *path, const void *data, size_t len)
{
	sztp_bytes o = {0};
	int eq;

	if (file_read(path, 1 << 22, &o, NULL) != SZTP_OK)
		return 0;
	eq = o.len == len && !memcmp(o.data, data, len);
	sztp_bytes_free(&o);
	return eq;
}

static struct pki_signer *signer(const char *key, const char *chain)
{
	struct pki_signer *s = NULL;
	struct sztp_err e = {0};

	CHECK_RC(pki_signer_load(P(key), P(chain), &s, &e), SZTP_OK);
	if (!s)
		fprintf(stderr, "signer: %s\n", e.msg);
	return s;
}

static void openssl_verify_ok(const char *file, const char *content)
{
	CHECK_RC(run("openssl cms -verify -inform DER -binary -in '%s' -CAfile '%s' -purpose any "
		     "-out '%s'",
		     file, P("root.pem"), P("content.out")),
		 0);
	CHECK(out_has("Verification successful"));
	CHECK(file_equals(P("content.out"), content, strlen(content)));
}

static void sign_round_trip(const char *key, const char *chain, const char *leafpem)
{
	struct pki_signer *s = signer(key, chain);
	struct pki_trust *root = NULL, *vendor = NULL;
	struct cms_signed *cs = NULL;
	sztp_bytes der = {0}, *leaf = NULL, *other = NULL;
	size_t nl = 0, no = 0;
	struct sztp_err e = {0};
	uint8_t *hit;

	if (!s)
		return;
	CHECK_RC(pki_trust_load(P("root.pem"), &root, NULL), SZTP_OK);
	CHECK_RC(pki_trust_load(P("vendor.pem"), &vendor, NULL), SZTP_OK);
	CHECK_RC(pki_pem_certs_read(P(leafpem), &leaf, &nl, NULL), SZTP_OK);
	CHECK_RC(pki_pem_certs_read(P("evilleaf.pem"), &other, &no, NULL), SZTP_OK);
	CHECK_RC(cms_sign(CMS_OID_CI_JSON, (const uint8_t *)CI_JSON, strlen(CI_JSON), s, 1,
			  1700000000, &der, &e),
		 SZTP_OK);
	if (!der.len)
		goto out;

	/* our parser and verifiers */
	CHECK_RC(cms_signed_parse(der.data, der.len, &cs, &e), SZTP_OK);
	if (cs) {
		CHECK(!strcmp(cs->econtent_oid, CMS_OID_CI_JSON));
		CHECK(cs->content.len == strlen(CI_JSON) &&
		      !memcmp(cs->content.data, CI_JSON, cs->content.len));
		CHECK(cs->n_certs == 2 && cs->n_signers == 1 && cs->has_signed_attrs);
		CHECK(cs->n_certs == 2 && pki_cert_equal(&cs->certs[0], &leaf[0])); /* leaf first */
		CHECK(cs->signing_time == 1700000000);
		cms_signed_free(cs);
	}
	CHECK_RC(cms_signed_verify_trust(der.data, der.len, root, 0, &e), SZTP_OK);
	CHECK_RC(cms_signed_verify_trust(der.data, der.len, root, time(NULL), &e), SZTP_OK);
	CHECK_RC(cms_signed_verify_trust(der.data, der.len, root, time(NULL) + 2 * 365 * 86400, &e),
		 SZTP_E_EXPIRED);
	CHECK_RC(cms_signed_verify_trust(der.data, der.len, vendor, 0, &e), SZTP_E_VERIFY);
	CHECK(strstr(e.msg, "issuer is unknown") != NULL);
	CHECK_RC(cms_signed_verify_cert(der.data, der.len, &leaf[0], &e), SZTP_OK);
	CHECK_RC(cms_signed_verify_cert(der.data, der.len, &other[0], &e), SZTP_E_VERIFY);

	/* OpenSSL agrees */
	put(P("signed.der"), der.data, der.len);
	openssl_verify_ok(P("signed.der"), CI_JSON);
	CHECK_RC(run("openssl cms -cmsout -print -inform DER -in '%s'", P("signed.der")), 0);
	CHECK(out_has("version: 3"));
	CHECK(out_has("eContentType: undefined (1.2.840.113549.1.9.16.1.43)"));
	CHECK(out_has("signingTime"));
	CHECK(out_has("messageDigest"));
	CHECK_RC(run("openssl cms -verify -inform DER -binary -in '%s' -CAfile '%s' -purpose any "
		     "-out /dev/null",
		     P("signed.der"), P("vendor.pem")),
		 4);

	/* one content byte changed */
	hit = memmem(der.data, der.len, "boot-image", 10);
	CHECK(hit != NULL);
	if (hit) {
		*hit ^= 0x01;
		CHECK_RC(cms_signed_verify_trust(der.data, der.len, root, 0, &e), SZTP_E_VERIFY);
		CHECK_RC(cms_signed_verify_cert(der.data, der.len, &leaf[0], &e), SZTP_E_VERIFY);
		put(P("tampered.der"), der.data, der.len);
		CHECK(run("openssl cms -verify -inform DER -binary -in '%s' -CAfile '%s' "
			  "-purpose any -out /dev/null",
			  P("tampered.der"), P("root.pem")) != 0);
		*hit ^= 0x01;
		CHECK_RC(cms_signed_verify_trust(der.data, der.len, root, 0, &e), SZTP_OK);
	}
	sztp_bytes_free(&der);

	/* without the chain: only the certificate-given verifier can succeed */
	CHECK_RC(cms_sign(CMS_OID_VOUCHER, (const uint8_t *)"{}", 2, s, 0, 0, &der, &e), SZTP_OK);
	CHECK_RC(cms_signed_verify_trust(der.data, der.len, root, 0, &e), SZTP_E_VERIFY);
	CHECK(strstr(e.msg, "not among") != NULL);
	CHECK_RC(cms_signed_verify_cert(der.data, der.len, &leaf[0], &e), SZTP_OK);
	CHECK_RC(cms_signed_parse(der.data, der.len, &cs, &e), SZTP_OK);
	if (cs) {
		CHECK(cs->n_certs == 0 && !strcmp(cs->econtent_oid, CMS_OID_VOUCHER));
		CHECK(cs->signing_time > time(NULL) - 60 && cs->signing_time <= time(NULL));
		cms_signed_free(cs);
	}
out:
	sztp_bytes_free(&der);
	pki_certs_free(leaf, nl);
	pki_certs_free(other, no);
	pki_trust_free(root);
	pki_trust_free(vendor);
	pki_signer_free(s);
}

/* RFC 5652 s11.3: GeneralizedTime from 2050 on; id-data gives v1. */
static void test_sign_variants(void)
{
	struct pki_signer *s = signer("ec.key", "ec-chain.pem");
	struct cms_signed *cs = NULL;
	struct pki_trust *root = NULL;
	sztp_bytes der = {0};
	time_t t2051 = 2556143999; /* 2050-12-31T23:59:59Z */

	if (!s)
		return;
	CHECK_RC(pki_trust_load(P("root.pem"), &root, NULL), SZTP_OK);
	CHECK_RC(cms_sign(CMS_OID_CI_XML, (const uint8_t *)"<x/>", 4, s, 1, t2051, &der, NULL),
		 SZTP_OK);
	CHECK_RC(cms_signed_parse(der.data, der.len, &cs, NULL), SZTP_OK);
	CHECK(cs && cs->signing_time == t2051);
	cms_signed_free(cs);
	put(P("gt.der"), der.data, der.len);
	CHECK_RC(run("openssl cms -cmsout -print -inform DER -in '%s'", P("gt.der")), 0);
	CHECK(out_has("GENERALIZEDTIME") || out_has("generalizedTime") || out_has("2050"));
	openssl_verify_ok(P("gt.der"), "<x/>");
	sztp_bytes_free(&der);

	CHECK_RC(cms_sign(CMS_OID_DATA, (const uint8_t *)"plain", 5, s, 1, 0, &der, NULL),
		 SZTP_OK);
	put(P("data.der"), der.data, der.len);
	CHECK_RC(run("openssl cms -cmsout -print -inform DER -in '%s'", P("data.der")), 0);
	CHECK(out_has("version: 1"));
	openssl_verify_ok(P("data.der"), "plain");
	CHECK_RC(cms_signed_verify_trust(der.data, der.len, root, 0, NULL), SZTP_OK);
	sztp_bytes_free(&der);

	/* empty content */
	CHECK_RC(cms_sign(CMS_OID_CI_JSON, NULL, 0, s, 1, 0, &der, NULL), SZTP_OK);
	put(P("empty.der"), der.data, der.len);
	openssl_verify_ok(P("empty.der"), "");
	CHECK_RC(cms_signed_verify_trust(der.data, der.len, root, 0, NULL), SZTP_OK);
	sztp_bytes_free(&der);
	pki_trust_free(root);
	pki_signer_free(s);
}

/* Files OpenSSL signed: with attributes they verify, without they don't. */
static void test_openssl_made(void)
{
	struct pki_trust *root = NULL;
	struct cms_signed *cs = NULL;
	struct sztp_err e = {0};
	sztp_bytes f = {0};

	CHECK_RC(pki_trust_load(P("root.pem"), &root, NULL), SZTP_OK);
	put(P("ci.json"), CI_JSON, strlen(CI_JSON));
	CHECK_RC(run("openssl cms -sign -nodetach -binary -outform DER -md sha256 "
		     "-econtent_type 1.2.840.113549.1.9.16.1.43 -signer '%s' -inkey '%s' "
		     "-certfile '%s' -in '%s' -out '%s'",
		     P("ec.pem"), P("ec.key"), P("int.pem"), P("ci.json"), P("ossl.der")),
		 0);
	CHECK_RC(file_read(P("ossl.der"), 1 << 20, &f, NULL), SZTP_OK);
	CHECK_RC(cms_signed_verify_trust(f.data, f.len, root, 0, &e), SZTP_OK);
	CHECK_RC(cms_signed_parse(f.data, f.len, &cs, &e), SZTP_OK);
	CHECK(cs && !strcmp(cs->econtent_oid, CMS_OID_CI_JSON) && cs->signing_time > 0);
	cms_signed_free(cs);
	sztp_bytes_free(&f);

	/* -noattr: no signedAttrs -> rejected (RFC 8366bis) */
	CHECK_RC(run("openssl cms -sign -noattr -nodetach -binary -outform DER -md sha256 "
		     "-signer '%s' -inkey '%s' -certfile '%s' -in '%s' -out '%s'",
		     P("ec.pem"), P("ec.key"), P("int.pem"), P("ci.json"), P("noattr.der")),
		 0);
	CHECK_RC(file_read(P("noattr.der"), 1 << 20, &f, NULL), SZTP_OK);
	CHECK_RC(cms_signed_parse(f.data, f.len, &cs, &e), SZTP_OK);
	CHECK(cs && cs->n_signers == 1 && !cs->has_signed_attrs);
	cms_signed_free(cs);
	CHECK_RC(cms_signed_verify_trust(f.data, f.len, root, 0, &e), SZTP_E_VERIFY);
	CHECK(strstr(e.msg, "no signed attributes") != NULL);
	{
		sztp_bytes *leaf = NULL;
		size_t n = 0;
		CHECK_RC(pki_pem_certs_read(P("ec.pem"), &leaf, &n, NULL), SZTP_OK);
		CHECK_RC(cms_signed_verify_cert(f.data, f.len, &leaf[0], &e), SZTP_E_VERIFY);
		CHECK(strstr(e.msg, "no signed attributes") != NULL);
		pki_certs_free(leaf, n);
	}
	sztp_bytes_free(&f);

	/* two signers -> rejected */
	CHECK_RC(run("openssl cms -sign -nodetach -binary -outform DER -md sha256 "
		     "-signer '%s' -inkey '%s' -signer '%s' -inkey '%s' -certfile '%s' "
		     "-in '%s' -out '%s'",
		     P("ec.pem"), P("ec.key"), P("rsa.pem"), P("rsa.key"), P("int.pem"),
		     P("ci.json"), P("two.der")),
		 0);
	CHECK_RC(file_read(P("two.der"), 1 << 20, &f, NULL), SZTP_OK);
	CHECK_RC(cms_signed_verify_trust(f.data, f.len, root, 0, &e), SZTP_E_VERIFY);
	CHECK(strstr(e.msg, "2 signers") != NULL);
	sztp_bytes_free(&f);
	pki_trust_free(root);
}

static void test_certs_only(void)
{
	sztp_bytes *c = NULL, *back = NULL, three[3], der = {0};
	struct cms_signed *cs = NULL;
	struct pki_trust *root = NULL;
	struct sztp_err e = {0};
	size_t n = 0, nb = 0, i;

	CHECK_RC(pki_trust_load(P("root.pem"), &root, NULL), SZTP_OK);
	CHECK_RC(pki_pem_certs_read(P("ec-chain.pem"), &c, &n, NULL), SZTP_OK);
	{
		sztp_bytes *r = NULL;
		size_t nr = 0;
		CHECK_RC(pki_pem_certs_read(P("root.pem"), &r, &nr, NULL), SZTP_OK);
		three[0] = c[0];
		three[1] = c[1];
		three[2] = r[0];
		CHECK_RC(cms_certs_only(three, 3, &der, &e), SZTP_OK);
		free(r); /* r[0] is freed through three[2] below */
	}
	CHECK_RC(cms_certs_only_parse(der.data, der.len, &back, &nb, &e), SZTP_OK);
	CHECK(nb == 3);
	for (i = 0; i < nb && i < 3; i++)
		CHECK(pki_cert_equal(&back[i], &three[i])); /* order kept */
	pki_certs_free(back, nb);
	CHECK_RC(cms_signed_parse(der.data, der.len, &cs, &e), SZTP_OK);
	CHECK(cs && cs->n_signers == 0 && cs->content.len == 0 &&
	      !strcmp(cs->econtent_oid, CMS_OID_DATA));
	cms_signed_free(cs);
	CHECK_RC(cms_signed_verify_trust(der.data, der.len, root, 0, &e), SZTP_E_VERIFY);

	put(P("certs.der"), der.data, der.len);
	CHECK_RC(run("openssl pkcs7 -inform DER -in '%s' -print_certs", P("certs.der")), 0);
	CHECK(out_has("Test EC Signer") && out_has("Test Owner Intermediate") &&
	      out_has("Test Owner Root"));
	CHECK_RC(run("openssl pkcs7 -inform DER -in '%s' -print_certs | grep '^subject' | "
		     "tr '\\n' '|' | grep -q 'EC Signer.*Intermediate.*Owner Root'",
		     P("certs.der")),
		 0);
	CHECK_RC(run("openssl cms -cmsout -print -inform DER -in '%s'", P("certs.der")), 0);
	CHECK(out_has("version: 1") && out_has("eContentType: pkcs7-data") &&
	      out_has("eContent: <ABSENT>"));
	sztp_bytes_free(&der);
	CHECK_RC(cms_certs_only(three, 0, &der, &e), SZTP_E_INVALID_VALUE);
	sztp_bytes_free(&three[2]);
	pki_certs_free(c, n);
	pki_trust_free(root);
}

static void test_content_info(void)
{
	/* known answer: ContentInfo{1.2.840.113549.1.9.16.1.43, [0] OCTET STRING "hi"} */
	static const uint8_t kat[] = {0x30, 0x13, 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7,
				      0x0d, 0x01, 0x09, 0x10, 0x01, 0x2b, 0xa0, 0x04, 0x04,
				      0x02, 0x68, 0x69};
	sztp_bytes der = {0}, content = {0};
	struct cms_signed *cs = NULL;
	struct sztp_err e = {0};
	char oid[64];

	CHECK_RC(cms_content_info(CMS_OID_CI_JSON, (const uint8_t *)"hi", 2, &der, &e), SZTP_OK);
	CHECK(der.len == sizeof(kat) && !memcmp(der.data, kat, sizeof(kat)));
	put(P("kat.der"), kat, sizeof(kat));
	CHECK_RC(run("openssl asn1parse -inform DER -in '%s'", P("kat.der")), 0);
	CHECK(out_has(":1.2.840.113549.1.9.16.1.43") && out_has("cont [ 0 ]") &&
	      out_has("OCTET STRING      :hi"));
	sztp_bytes_free(&der);

	CHECK_RC(cms_content_info(CMS_OID_CI_JSON, (const uint8_t *)CI_JSON, strlen(CI_JSON),
				  &der, &e),
		 SZTP_OK);
	put(P("ci.der"), der.data, der.len);
	CHECK_RC(run("openssl asn1parse -inform DER -in '%s'", P("ci.der")), 0);
	CHECK(out_has(":1.2.840.113549.1.9.16.1.43") && out_has("onboarding-information"));
	CHECK_RC(cms_content_info_parse(der.data, der.len, oid, sizeof(oid), &content, &e),
		 SZTP_OK);
	CHECK(!strcmp(oid, CMS_OID_CI_JSON));
	CHECK(content.len == strlen(CI_JSON) && !memcmp(content.data, CI_JSON, content.len));
	sztp_bytes_free(&content);
	CHECK_RC(cms_outer_type(der.data, der.len, oid, sizeof(oid), &e), SZTP_OK);
	CHECK(!strcmp(oid, CMS_OID_CI_JSON));
	CHECK_RC(cms_signed_parse(der.data, der.len, &cs, &e), SZTP_E_MALFORMED);
	CHECK(cs == NULL && strstr(e.msg, "not signedData") != NULL);
	sztp_bytes_free(&der);

	/* empty content is a valid OCTET STRING */
	CHECK_RC(cms_content_info(CMS_OID_CI_XML, NULL, 0, &der, &e), SZTP_OK);
	CHECK_RC(cms_content_info_parse(der.data, der.len, oid, sizeof(oid), &content, &e),
		 SZTP_OK);
	CHECK(content.len == 0 && !strcmp(oid, CMS_OID_CI_XML));
	sztp_bytes_free(&content);
	sztp_bytes_free(&der);
}

/* Truncation at every length, trailing garbage, flips, size cap. */
static void test_hostile(void)
{
	struct pki_signer *s = signer("rsa.key", "rsa-chain.pem");
	struct pki_trust *root = NULL;
	sztp_bytes sd = {0}, co = {0}, ci = {0}, content = {0}, *certs = NULL;
	struct cms_signed *cs = NULL;
	struct sztp_err e = {0};
	size_t l, bad_ok = 0, n = 0, i;
	char oid[64];
	uint8_t *buf;

	if (!s)
		return;
	CHECK_RC(pki_trust_load(P("root.pem"), &root, NULL), SZTP_OK);
	CHECK_RC(cms_sign(CMS_OID_CI_JSON, (const uint8_t *)CI_JSON, strlen(CI_JSON), s, 1, 0,
			  &sd, NULL),
		 SZTP_OK);
	{
		const sztp_bytes *ch = pki_signer_chain(s, &n);
		CHECK_RC(cms_certs_only(ch, n, &co, NULL), SZTP_OK);
	}
	CHECK_RC(cms_content_info(CMS_OID_CI_JSON, (const uint8_t *)CI_JSON, strlen(CI_JSON), &ci,
				  NULL),
		 SZTP_OK);
	for (l = 0; l < sd.len; l++) {
		buf = malloc(l + 1);
		memcpy(buf, sd.data, l);
		if (cms_signed_parse(buf, l, &cs, NULL) == SZTP_OK || cs)
			bad_ok++;
		if (cms_signed_verify_trust(buf, l, root, 0, NULL) == SZTP_OK)
			bad_ok++;
		free(buf);
	}
	for (l = 0; l < co.len; l++)
		if (cms_certs_only_parse(co.data, l, &certs, &n, NULL) == SZTP_OK || certs)
			bad_ok++;
	for (l = 0; l < ci.len; l++)
		if (cms_content_info_parse(ci.data, l, oid, sizeof(oid), &content, NULL) ==
			    SZTP_OK ||
		    content.data)
			bad_ok++;
	CHECK(bad_ok == 0);

	/* trailing garbage */
	buf = malloc(sd.len + 1);
	memcpy(buf, sd.data, sd.len);
	buf[sd.len] = 0;
	CHECK_RC(cms_signed_parse(buf, sd.len + 1, &cs, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "trailing") != NULL);
	CHECK_RC(cms_signed_verify_trust(buf, sd.len + 1, root, 0, &e), SZTP_E_MALFORMED);
	free(buf);
	buf = malloc(ci.len + 3);
	memcpy(buf, ci.data, ci.len);
	memcpy(buf + ci.len, "abc", 3);
	CHECK_RC(cms_content_info_parse(buf, ci.len + 3, oid, sizeof(oid), &content, &e),
		 SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "trailing") != NULL);
	free(buf);

	/* every byte flipped: never a crash, never verifies (versions, lengths
	 * and digestAlgorithms are checked even though they are not signed) */
	bad_ok = 0;
	buf = malloc(sd.len);
	for (i = 0; i < sd.len; i++) {
		memcpy(buf, sd.data, sd.len);
		buf[i] ^= 0xff;
		if (cms_signed_verify_trust(buf, sd.len, root, 0, NULL) == SZTP_OK)
			bad_ok++;
	}
	free(buf);
	CHECK(bad_ok == 0);

	/* garbage and oversize */
	CHECK_RC(cms_signed_parse((const uint8_t *)"hello", 5, &cs, &e), SZTP_E_MALFORMED);
	CHECK_RC(cms_signed_parse(NULL, 0, &cs, &e), SZTP_E_MALFORMED);
	{
		size_t big = 4 * 1024 * 1024 + 1;
		uint8_t *huge = calloc(1, big);
		CHECK_RC(cms_signed_parse(huge, big, &cs, &e), SZTP_E_TOO_BIG);
		CHECK_RC(cms_signed_verify_trust(huge, big, root, 0, &e), SZTP_E_TOO_BIG);
		CHECK_RC(cms_content_info_parse(huge, big, oid, sizeof(oid), &content, &e),
			 SZTP_E_TOO_BIG);
		sztp_bytes_free(&ci);
		CHECK_RC(cms_content_info(CMS_OID_CI_JSON, huge, big, &ci, &e), SZTP_E_TOO_BIG);
		free(huge);
	}
	sztp_bytes_free(&sd);
	sztp_bytes_free(&co);
	sztp_bytes_free(&ci);
	pki_trust_free(root);
	pki_signer_free(s);
}

int main(void)
{
	if (setup() != 0) {
		fprintf(stderr, "mkpki.sh failed\n");
		CHECK(0);
		return unit_report("test_cms");
	}
	sign_round_trip("ec.key", "ec-chain.pem", "ec.pem");
	sign_round_trip("rsa.key", "rsa-chain.pem", "rsa.pem");
	test_sign_variants();
	test_openssl_made();
	test_certs_only();
	test_content_info();
	test_hostile();
	teardown();
	return unit_report("test_cms");
}
