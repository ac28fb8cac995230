/* Unit tests for voucher.c: vouchers signed by a test MASA key (minted by
 * tests/unit/mkpki.sh) verify; wrong serial, expired, not yet valid, wrong
 * anchor, tampered, wrong eContentType and malformed JSON each fail with
 * their own result code. */
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "cms.h"
#include "pki.h"
#include "util.h"
#include "voucher.h"
#include "yang.h"

#define SERIAL "SN-0001234"

static char dir[64];
static char *pinned_b64; /* base64 of the owner root certificate */
static sztp_bytes *owner_root;
static size_t n_owner_root;

static const char *P(const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static const char *top(void)
{
	const char *t = getenv("SZTP_TOP");

	return t ? t : ".";
}

static int setup(void)
{
	char cmd[512];

	snprintf(dir, sizeof(dir), "/tmp/sztp-vch-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/unit/mkpki.sh' '%s'", top(), dir);
	if (system(cmd) != 0)
		return -1;
	if (pki_pem_certs_read(P("root.pem"), &owner_root, &n_owner_root, NULL) != SZTP_OK)
		return -1;
	return b64_encode(owner_root[0].data, owner_root[0].len, &pinned_b64, NULL) == SZTP_OK
		       ? 0
		       : -1;
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(pinned_b64);
	pki_certs_free(owner_root, n_owner_root);
}

/* Voucher JSON; `extra` is inserted verbatim after the mandatory members. */
static char *voucher_json(const char *serial, const char *created, const char *expires,
			  const char *extra)
{
	char *s = NULL;

	if (asprintf(&s,
		     "{\"ietf-voucher:voucher\":{\"created-on\":\"%s\",%s%s%s"
		     "\"assertion\":\"verified\",\"serial-number\":\"%s\","
		     "\"pinned-domain-cert\":\"%s\"%s}}",
		     created, expires ? "\"expires-on\":\"" : "", expires ? expires : "",
		     expires ? "\"," : "", serial, pinned_b64, extra ? extra : "") < 0)
		return NULL;
	return s;
}

static sztp_bytes sign_with(const char *oid, const char *json, const char *key,
			    const char *chain)
{
	struct pki_signer *s = NULL;
	struct sztp_err e = {0};
	sztp_bytes der = {0};

	CHECK_RC(pki_signer_load(P(key), P(chain), &s, &e), SZTP_OK);
	if (s)
		CHECK_RC(cms_sign(oid, (const uint8_t *)json, strlen(json), s, 1, 0, &der, &e),
			 SZTP_OK);
	pki_signer_free(s);
	return der;
}

static sztp_bytes masa_sign(const char *json)
{
	return sign_with(CMS_OID_VOUCHER, json, "masasig.key", "masasig-chain.pem");
}

static void test_good(struct pki_trust *masa, struct sztp_yang *y)
{
	char *json = voucher_json(SERIAL, "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z",
				  ",\"domain-cert-revocation-checks\":false,"
				  "\"idevid-issuer\":\"BAUGBw==\"");
	sztp_bytes der = masa_sign(json);
	struct voucher v;
	struct sztp_err e = {0};

	CHECK_RC(voucher_parse(der.data, der.len, masa, y, &v, &e), SZTP_OK);
	if (e.rc)
		fprintf(stderr, "voucher_parse: %s\n", e.msg);
	CHECK(!strcmp(v.serial, SERIAL));
	CHECK(!strcmp(v.assertion, "verified"));
	CHECK(v.created_on == 1577836800);
	CHECK(v.expires_on == 4070908800);
	CHECK(pki_cert_equal(&v.pinned_domain_cert, &owner_root[0]));
	CHECK(v.idevid_issuer.len == 4 && !memcmp(v.idevid_issuer.data, "\x04\x05\x06\x07", 4));
	CHECK(v.nonce.len == 0 && v.domain_cert_revocation_checks == 0);

	CHECK_RC(voucher_check(&v, SERIAL, 0, &e), SZTP_OK);
	CHECK_RC(voucher_check(&v, SERIAL, 1577836800, &e), SZTP_OK); /* created-on itself */
	CHECK_RC(voucher_check(&v, "SN-0001235", 0, &e), SZTP_E_MISMATCH);
	CHECK(strstr(e.msg, SERIAL) && strstr(e.msg, "SN-0001235"));
	CHECK_RC(voucher_check(&v, "SN-000123", 0, &e), SZTP_E_MISMATCH);
	CHECK_RC(voucher_check(&v, NULL, 0, &e), SZTP_E_MISMATCH);
	CHECK_RC(voucher_check(&v, SERIAL, 1577836799, &e), SZTP_E_EXPIRED); /* not yet valid */
	CHECK(strstr(e.msg, "2020-01-01T00:00:00Z") != NULL);
	CHECK_RC(voucher_check(&v, SERIAL, 4070908800, &e), SZTP_E_EXPIRED); /* expires-on */
	CHECK(strstr(e.msg, "expired") != NULL);
	voucher_clear(&v);
	voucher_clear(&v); /* idempotent */

	/* the same voucher passes without the anchors, fails with the wrong ones */
	CHECK_RC(voucher_parse(der.data, der.len, NULL, NULL, &v, &e), SZTP_OK);
	voucher_clear(&v);
	{
		struct pki_trust *owner = NULL;
		CHECK_RC(pki_trust_load(P("root.pem"), &owner, NULL), SZTP_OK);
		CHECK_RC(voucher_parse(der.data, der.len, owner, y, &v, &e), SZTP_E_VERIFY);
		CHECK(strstr(e.msg, "issuer is unknown") != NULL);
		CHECK(v.pinned_domain_cert.data == NULL);
		pki_trust_free(owner);
	}
	/* tampered: change the serial number inside the signed content */
	{
		uint8_t *hit = memmem(der.data, der.len, SERIAL, strlen(SERIAL));
		CHECK(hit != NULL);
		if (hit) {
			hit[strlen(SERIAL) - 1] = '5';
			CHECK_RC(voucher_parse(der.data, der.len, masa, y, &v, &e), SZTP_E_VERIFY);
			/* unverified parsing sees the forged serial */
			CHECK_RC(voucher_parse(der.data, der.len, NULL, NULL, &v, &e), SZTP_OK);
			CHECK(!strcmp(v.serial, "SN-0001235"));
			voucher_clear(&v);
		}
	}
	/* truncation at every length never succeeds */
	{
		size_t l, ok = 0;
		sztp_bytes good = masa_sign(json);
		for (l = 0; l < good.len; l++)
			if (voucher_parse(good.data, l, masa, NULL, &v, NULL) == SZTP_OK)
				ok++;
		CHECK(ok == 0);
		sztp_bytes_free(&good);
	}
	sztp_bytes_free(&der);
	free(json);
}

static void test_no_expiry(struct pki_trust *masa, struct sztp_yang *y)
{
	char *json = voucher_json(SERIAL, "2020-01-01T00:00:00+02:00", NULL,
				  ",\"nonce\":\"AAECAwQFBgcICQoLDA0ODw==\"");
	sztp_bytes der = masa_sign(json);
	struct sztp_err e = {0};
	struct voucher v;

	CHECK_RC(voucher_parse(der.data, der.len, masa, y, &v, &e), SZTP_OK);
	CHECK(v.created_on == 1577836800 - 7200 && v.expires_on == 0);
	CHECK(v.nonce.len == 16);
	CHECK_RC(voucher_check(&v, SERIAL, (time_t)4102444800 /* 2100 */, &e), SZTP_OK);
	CHECK_RC(voucher_check(&v, SERIAL, 1577836800 - 7201, &e), SZTP_E_EXPIRED);
	voucher_clear(&v);
	sztp_bytes_free(&der);
	free(json);

	/* created-on in the future: parses, but voucher_check says not yet valid */
	json = voucher_json(SERIAL, "2098-01-01T00:00:00Z", NULL, NULL);
	der = masa_sign(json);
	CHECK_RC(voucher_parse(der.data, der.len, masa, y, &v, &e), SZTP_OK);
	CHECK_RC(voucher_check(&v, SERIAL, 0, &e), SZTP_E_EXPIRED);
	voucher_clear(&v);
	sztp_bytes_free(&der);
	free(json);

	/* expired long ago */
	json = voucher_json(SERIAL, "2019-01-01T00:00:00Z", "2019-06-01T00:00:00Z", NULL);
	der = masa_sign(json);
	CHECK_RC(voucher_parse(der.data, der.len, masa, y, &v, &e), SZTP_OK);
	CHECK_RC(voucher_check(&v, SERIAL, 0, &e), SZTP_E_EXPIRED);
	voucher_clear(&v);
	sztp_bytes_free(&der);
	free(json);
}

static void test_content_types(struct pki_trust *masa)
{
	char *json = voucher_json(SERIAL, "2020-01-01T00:00:00Z", NULL, NULL);
	sztp_bytes der;
	struct sztp_err e = {0};
	struct voucher v;

	der = sign_with(CMS_OID_CI_JSON, json, "masasig.key", "masasig-chain.pem");
	CHECK_RC(voucher_parse(der.data, der.len, masa, NULL, &v, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "1.2.840.113549.1.9.16.1.43") != NULL);
	sztp_bytes_free(&der);

	der = sign_with(CMS_OID_DATA, json, "masasig.key", "masasig-chain.pem");
	CHECK_RC(voucher_parse(der.data, der.len, masa, NULL, &v, &e), SZTP_OK);
	voucher_clear(&v);
	sztp_bytes_free(&der);

	/* certs-only and bare ContentInfo are not vouchers */
	CHECK_RC(cms_certs_only(owner_root, 1, &der, NULL), SZTP_OK);
	CHECK_RC(voucher_parse(der.data, der.len, masa, NULL, &v, &e), SZTP_E_VERIFY);
	CHECK(strstr(e.msg, "0 signers") != NULL);
	sztp_bytes_free(&der);
	CHECK_RC(cms_content_info(CMS_OID_VOUCHER, (const uint8_t *)json, strlen(json), &der,
				  NULL),
		 SZTP_OK);
	CHECK_RC(voucher_parse(der.data, der.len, masa, NULL, &v, &e), SZTP_E_MALFORMED);
	sztp_bytes_free(&der);

	/* OpenSSL-signed without signed attributes: rejected */
	{
		char cmd[1024];
		FILE *f = fopen(P("v.json"), "w");
		sztp_bytes in = {0};
		if (f) {
			fputs(json, f);
			fclose(f);
		}
		snprintf(cmd, sizeof(cmd),
			 "openssl cms -sign -noattr -nodetach -binary -outform DER -md sha256 "
			 "-econtent_type 1.2.840.113549.1.9.16.1.40 -signer '%s' -inkey '%s' "
			 "-in '%s' -out '%s' 2>/dev/null",
			 P("masasig.pem"), P("masasig.key"), P("v.json"), P("noattr.der"));
		CHECK(system(cmd) == 0);
		CHECK_RC(file_read(P("noattr.der"), 1 << 20, &in, NULL), SZTP_OK);
		CHECK_RC(voucher_parse(in.data, in.len, masa, NULL, &v, &e), SZTP_E_VERIFY);
		CHECK_RC(voucher_parse(in.data, in.len, NULL, NULL, &v, &e), SZTP_E_VERIFY);
		CHECK(strstr(e.msg, "signed attributes") != NULL);
		sztp_bytes_free(&in);
		/* with attributes, an OpenSSL-made voucher is accepted */
		snprintf(cmd, sizeof(cmd),
			 "openssl cms -sign -nodetach -binary -outform DER -md sha256 "
			 "-econtent_type 1.2.840.113549.1.9.16.1.40 -signer '%s' -inkey '%s' "
			 "-in '%s' -out '%s' 2>/dev/null",
			 P("masasig.pem"), P("masasig.key"), P("v.json"), P("ossl.der"));
		CHECK(system(cmd) == 0);
		CHECK_RC(file_read(P("ossl.der"), 1 << 20, &in, NULL), SZTP_OK);
		CHECK_RC(voucher_parse(in.data, in.len, masa, NULL, &v, &e), SZTP_OK);
		CHECK(!strcmp(v.serial, SERIAL));
		voucher_clear(&v);
		sztp_bytes_free(&in);
	}
	free(json);
}

static void bad_json(struct pki_trust *masa, struct sztp_yang *y, const char *json, sztp_rc want,
		     const char *needle)
{
	sztp_bytes der = masa_sign(json);
	struct sztp_err e = {0};
	struct voucher v;

	CHECK_RC(voucher_parse(der.data, der.len, masa, y, &v, &e), want);
	if (needle && !strstr(e.msg, needle))
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", e.msg, needle);
	CHECK(!needle || strstr(e.msg, needle));
	if (want != SZTP_OK)
		CHECK(v.pinned_domain_cert.data == NULL && v.serial[0] == '\0');
	voucher_clear(&v);
	sztp_bytes_free(&der);
}

static void test_malformed(struct pki_trust *masa, struct sztp_yang *y)
{
	char *j;

	bad_json(masa, NULL, "{not json", SZTP_E_MALFORMED, "not JSON");
	bad_json(masa, NULL, "[1,2]", SZTP_E_MALFORMED, "ietf-voucher:voucher");
	bad_json(masa, NULL, "{\"voucher\":{}}", SZTP_E_MALFORMED, "ietf-voucher:voucher");
	bad_json(masa, NULL,
		 "{\"ietf-voucher:voucher\":{\"created-on\":\"2020-01-01T00:00:00Z\","
		 "\"created-on\":\"2021-01-01T00:00:00Z\"}}",
		 SZTP_E_MALFORMED, NULL); /* duplicate member */
	bad_json(masa, NULL,
		 "{\"ietf-voucher:voucher\":{\"created-on\":\"2020-01-01T00:00:00Z\","
		 "\"assertion\":\"verified\",\"pinned-domain-cert\":\"AAAA\"}}",
		 SZTP_E_MISSING_ELEMENT, "serial-number");
	j = voucher_json(SERIAL, "yesterday", NULL, NULL);
	bad_json(masa, NULL, j, SZTP_E_INVALID_VALUE, "created-on");
	free(j);
	j = voucher_json(SERIAL, "2020-01-01T00:00:00Z", "2019-01-01T00:00:00Z", NULL);
	bad_json(masa, NULL, j, SZTP_E_INVALID_VALUE, "expires-on");
	free(j);
	j = voucher_json(SERIAL, "2020-01-01T00:00:00Z", NULL, ",\"nonce\":\"!!!!\"");
	bad_json(masa, NULL, j, SZTP_E_INVALID_VALUE, "nonce");
	free(j);
	j = voucher_json(SERIAL, "2020-01-01T00:00:00Z", NULL,
			 ",\"domain-cert-revocation-checks\":\"no\"");
	bad_json(masa, NULL, j, SZTP_E_INVALID_VALUE, "revocation");
	free(j);
	{
		char big[PKI_SERIAL_MAX + 8];
		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		j = voucher_json(big, "2020-01-01T00:00:00Z", NULL, NULL);
		bad_json(masa, NULL, j, SZTP_E_INVALID_VALUE, "serial-number");
		free(j);
	}
	/* the schema (when given) rejects what the extractor alone accepts */
	if (y) {
		j = voucher_json(SERIAL, "2020-01-01T00:00:00Z", NULL, ",\"bogus-leaf\":1");
		bad_json(masa, NULL, j, SZTP_OK, NULL);
		bad_json(masa, y, j, SZTP_E_UNKNOWN_ELEMENT, NULL);
		free(j);
	}
}

int main(void)
{
	struct pki_trust *masa = NULL;
	struct sztp_yang *y = NULL;
	struct sztp_err e = {0};
	char ydir[512];

	if (setup() != 0) {
		fprintf(stderr, "test PKI setup failed\n");
		CHECK(0);
		return unit_report("test_voucher");
	}
	snprintf(ydir, sizeof(ydir), "%s/yang", top());
	CHECK_RC(yang_open(ydir, &y, &e), SZTP_OK);
	if (!y)
		fprintf(stderr, "yang_open: %s (schema checks skipped)\n", e.msg);
	CHECK_RC(pki_trust_load(P("masa.pem"), &masa, NULL), SZTP_OK);
	test_good(masa, NULL);
	if (y)
		test_good(masa, y);
	test_no_expiry(masa, y);
	test_content_types(masa);
	test_malformed(masa, y);
	pki_trust_free(masa);
	yang_close(y);
	teardown();
	return unit_report("test_voucher");
}
