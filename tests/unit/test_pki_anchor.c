/* Unit tests for anchor groups (issue 13): the serial rule of the anchor
 * that verified a chain (serial=sudi reads the SN: token of a Cisco SUDI
 * serialNumber), SHA-1 signatures allowed under one anchor only, the
 * first group that verifies deciding, the verified-issuer cache keeping
 * the group it verified to, and the probe of this system's SHA-1 policy.
 * The PKIs are minted with openssl (tests/unit/mkanchors.sh). */
#include <unistd.h>

#include "config.h"
#include "pki.h"
#include "unit.h"

static char dir[64];

static const char *F(const char *name)
{
	static char buf[8][256];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s.pem", dir, name);
	return buf[k];
}

/* chain_files: space-separated fixture names, leaf first */
static sztp_rc verify(struct pki_trust *t, const char *chain_files, struct pki_device_id *id,
		      struct sztp_err *e)
{
	char files[256], *f, *save = NULL;
	sztp_bytes all[8], *c = NULL;
	size_t n = 0, k, i;
	sztp_rc rc;

	snprintf(files, sizeof(files), "%s", chain_files);
	for (f = strtok_r(files, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
		if (pki_pem_certs_read(F(f), &c, &k, NULL) != SZTP_OK || k != 1)
			return SZTP_E_IO;
		all[n++] = c[0];
		free(c);
	}
	rc = pki_trust_verify_device(t, all, n, PKI_OID_KP_CLIENT_AUTH, id, e);
	for (i = 0; i < n; i++)
		sztp_bytes_free(&all[i]);
	return rc;
}

static void test_sudi_rule(void)
{
	struct sztp_err e = {0};
	char out[PKI_SERIAL_MAX];

	CHECK_RC(pki_serial_sudi("PID:C9300-24T SN:FOC2233X0AB", out, sizeof(out), &e), SZTP_OK);
	CHECK(!strcmp(out, "FOC2233X0AB"));
	CHECK_RC(pki_serial_sudi("SN:X1 PID:Y", out, sizeof(out), &e), SZTP_OK);
	CHECK(!strcmp(out, "X1"));
	CHECK_RC(pki_serial_sudi("PID:A  VID:V01   SN:Q", out, sizeof(out), &e), SZTP_OK);
	CHECK(!strcmp(out, "Q"));
	CHECK_RC(pki_serial_sudi("PID:C9300-24T", out, sizeof(out), &e), SZTP_E_INVALID_VALUE);
	CHECK(!strcmp(out, "") && strstr(e.msg, "has no SN: token"));
	CHECK_RC(pki_serial_sudi("SN:A SN:B", out, sizeof(out), &e), SZTP_E_INVALID_VALUE);
	CHECK(!strcmp(out, "") && strstr(e.msg, "more than one SN: token"));
	CHECK_RC(pki_serial_sudi("PID:A SN:", out, sizeof(out), &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "empty SN: token"));
	/* the token is "SN:" at a token's start, case and all */
	CHECK_RC(pki_serial_sudi("PID:A XSN:B", out, sizeof(out), &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(pki_serial_sudi("PID:A sn:B", out, sizeof(out), &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(pki_serial_sudi("", out, sizeof(out), &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(pki_serial_sudi("SN:ABCDEFGH", out, 4, &e), SZTP_E_INVALID_VALUE);
	CHECK(!strcmp(out, ""));
}

/* client-ca (A, defaults) and manufacturer-ca B serial=sudi allow=sha1 */
static void test_two_groups(void)
{
	struct pki_anchor_spec g[2] = {{F("a-root"), PKI_SERIAL_SUBJECT, 0},
				       {F("b-root"), PKI_SERIAL_SUDI, PKI_ALLOW_SHA1}};
	struct pki_trust *t = NULL;
	struct pki_trust_stats s0, s1;
	struct pki_device_id id;
	struct sztp_err e = {0};

	CHECK_RC(pki_trust_load_groups(g, 2, NULL, 0, &t, &e), SZTP_OK);
	CHECK_RC(verify(t, "a-leaf a-int", &id, &e), SZTP_OK);
	CHECK(!strcmp(id.serial, "SN-A") && id.group == 0 && id.serial_rule == PKI_SERIAL_SUBJECT);
	/* the default rule: nothing copied */
	CHECK(id.anchor[0] == '\0' && id.allow == 0);
	/* SHA-1 intermediate and leaf under B */
	CHECK_RC(verify(t, "b-s1 b-int1", &id, &e), SZTP_OK);
	CHECK(!strcmp(id.serial, "FOC1") && id.group == 1 && id.serial_rule == PKI_SERIAL_SUDI);
	CHECK(id.allow == PKI_ALLOW_SHA1 && !strcmp(id.anchor, "b-root.pem"));
	/* the next device of the SHA-1 intermediate: the cached issuer, the
	 * same group's rule and SHA-1 allowance */
	pki_trust_stats(t, &s0);
	CHECK(s0.issuers_stored == 2);
	CHECK_RC(verify(t, "b-s1b b-int1", &id, &e), SZTP_OK);
	pki_trust_stats(t, &s1);
	CHECK(s1.issuer_hits == s0.issuer_hits + 1 && s1.path_verifies == s0.path_verifies);
	CHECK(!strcmp(id.serial, "FOC1B") && id.group == 1 && id.serial_rule == PKI_SERIAL_SUDI);
	/* the cached A intermediate keeps A's rule */
	CHECK_RC(verify(t, "a-leaf a-int", &id, &e), SZTP_OK);
	CHECK(!strcmp(id.serial, "SN-A") && id.group == 0 && id.anchor[0] == '\0');
	/* SHA-256 under B, sudi */
	CHECK_RC(verify(t, "b-s2 b-int2", &id, &e), SZTP_OK);
	CHECK(!strcmp(id.serial, "FOC2") && id.group == 1);
	/* no SN: token, two of them: the serial rule refuses (the chain is good) */
	CHECK_RC(verify(t, "b-nosn b-int2", &id, &e), SZTP_E_INVALID_VALUE);
	CHECK(id.serial_rule_failed && id.serial[0] == '\0' && strstr(e.msg, "no SN: token"));
	CHECK(!strcmp(id.anchor, "b-root.pem"));
	CHECK_RC(verify(t, "b-twosn b-int2", &id, &e), SZTP_E_INVALID_VALUE);
	CHECK(id.serial_rule_failed && id.serial[0] == '\0');
	/* again through the cached intermediate */
	CHECK_RC(verify(t, "b-nosn b-int2", &id, &e), SZTP_E_INVALID_VALUE);
	CHECK(id.serial_rule_failed);
	/* a leaf of A with B's intermediate: no group verifies it */
	CHECK_RC(verify(t, "a-leaf b-int2", &id, &e), SZTP_E_VERIFY);
	CHECK(!id.serial_rule_failed && id.serial[0] == '\0');
	pki_trust_free(t);
}

/* Without allow=sha1 (client-ca, or a manufacturer-ca without it) a
 * SHA-1 signature is refused, the reason naming the algorithm. */
static void test_sha1_refused(void)
{
	struct pki_anchor_spec plain = {F("b-root"), PKI_SERIAL_SUDI, 0};
	struct pki_trust *t = NULL;
	struct pki_device_id id;
	struct sztp_err e = {0};

	CHECK_RC(pki_trust_load2(F("b-root"), NULL, 0, &t, &e), SZTP_OK);
	CHECK_RC(verify(t, "b-s1 b-int1", &id, &e), SZTP_E_VERIFY);
	CHECK(strstr(e.msg, "is signed with ECDSA-SHA1") && strstr(e.msg, "allow=sha1"));
	CHECK(id.serial[0] == '\0' && !id.serial_rule_failed);
	/* the subject rule: the SUDI string as is */
	CHECK_RC(verify(t, "b-s2 b-int2", &id, &e), SZTP_OK);
	CHECK(!strcmp(id.serial, "PID:C9300-48P SN:FOC2") && id.anchor[0] == '\0');
	pki_trust_free(t);
	t = NULL;
	CHECK_RC(pki_trust_load_groups(&plain, 1, NULL, 0, &t, &e), SZTP_OK);
	CHECK_RC(verify(t, "b-s1 b-int1", &id, &e), SZTP_E_VERIFY);
	CHECK(strstr(e.msg, "ECDSA-SHA1") != NULL);
	/* the plain pki_trust_verify refuses it too */
	CHECK_RC(verify(t, "b-s2 b-int2", &id, &e), SZTP_OK);
	CHECK(!strcmp(id.serial, "FOC2") && !strcmp(id.anchor, "b-root.pem"));
	pki_trust_free(t);
}

/* The same anchor in two groups: the first in order decides; a group
 * that refuses (SHA-1) passes the chain on to the next that allows it. */
static void test_order(void)
{
	struct pki_anchor_spec g[2] = {{F("b-root"), PKI_SERIAL_SUBJECT, 0},
				       {F("b-root"), PKI_SERIAL_SUDI, PKI_ALLOW_SHA1}};
	struct pki_trust *t = NULL;
	struct pki_device_id id;
	struct sztp_err e = {0};

	struct pki_trust_stats s0, s1;

	CHECK_RC(pki_trust_load_groups(g, 2, NULL, 0, &t, &e), SZTP_OK);
	/* a SHA-1 leaf under the SHA-256 intermediate: group 1; the
	 * intermediate alone verifies under group 0, so it is not cached as
	 * group 1's */
	CHECK_RC(verify(t, "b-s3 b-int2", &id, &e), SZTP_OK);
	CHECK(id.group == 1 && !strcmp(id.serial, "FOC5"));
	pki_trust_stats(t, &s0);
	CHECK(s0.issuers_stored == 0);
	CHECK_RC(verify(t, "b-s2 b-int2", &id, &e), SZTP_OK);
	CHECK(id.group == 0 && !strcmp(id.serial, "PID:C9300-48P SN:FOC2"));
	pki_trust_stats(t, &s0);
	CHECK(s0.issuers_stored == 1);
	/* now cached as group 0's, whose refusal of the SHA-1 leaf is not
	 * the last word: the path gives group 1, as without the cache */
	CHECK_RC(verify(t, "b-s3 b-int2", &id, &e), SZTP_OK);
	CHECK(id.group == 1 && !strcmp(id.serial, "FOC5"));
	pki_trust_stats(t, &s1);
	CHECK(s1.issuer_hits == s0.issuer_hits + 1);
	CHECK_RC(verify(t, "b-s2 b-int2", &id, &e), SZTP_OK);
	CHECK(id.group == 0 && !strcmp(id.serial, "PID:C9300-48P SN:FOC2"));
	/* the SHA-1 intermediate verifies under group 1 only: cached as its */
	CHECK_RC(verify(t, "b-s1 b-int1", &id, &e), SZTP_OK);
	CHECK(id.group == 1 && !strcmp(id.serial, "FOC1"));
	pki_trust_stats(t, &s0);
	CHECK_RC(verify(t, "b-s1b b-int1", &id, &e), SZTP_OK);
	CHECK(id.group == 1 && !strcmp(id.serial, "FOC1B"));
	pki_trust_stats(t, &s1);
	CHECK(s1.issuer_hits == s0.issuer_hits + 1 && s1.path_verifies == s0.path_verifies);
	pki_trust_free(t);
}

/* sztpd's manufacturer-ca value (server/config.c) */
static void test_config_value(void)
{
	struct config_mfr m;

	CHECK(config_manufacturer_ca_parse("/a/b.pem serial=sudi allow=sha1", &m) == NULL);
	CHECK(!strcmp(m.path, "/a/b.pem") && m.serial_sudi && m.allow_sha1);
	free(m.path);
	CHECK(config_manufacturer_ca_parse("b.pem\tallow=sha1  serial=subject", &m) == NULL);
	CHECK(!strcmp(m.path, "b.pem") && !m.serial_sudi && m.allow_sha1);
	free(m.path);
	CHECK(config_manufacturer_ca_parse("b.pem", &m) == NULL);
	CHECK(!strcmp(m.path, "b.pem") && !m.serial_sudi && !m.allow_sha1);
	free(m.path);
	CHECK(strstr(config_manufacturer_ca_parse("b.pem allow=md5", &m),
		     "unknown option 'allow=md5'") != NULL);
	CHECK(m.path == NULL);
	CHECK(strstr(config_manufacturer_ca_parse("b.pem serial=subject serial=sudi", &m),
		     "given twice") != NULL);
	CHECK(strstr(config_manufacturer_ca_parse("b.pem Serial=sudi", &m), "unknown option") !=
	      NULL);
	CHECK(config_manufacturer_ca_parse("", &m) != NULL && m.path == NULL);
}

static void test_load_errors(void)
{
	struct pki_anchor_spec g[2] = {{F("a-root"), PKI_SERIAL_SUBJECT, 0},
				       {F("nosuch"), PKI_SERIAL_SUDI, 0}};
	struct pki_trust *t = NULL;
	struct sztp_err e = {0};

	CHECK_RC(pki_trust_load_groups(g, 0, NULL, 0, &t, &e), SZTP_E_INVALID_VALUE);
	CHECK(t == NULL);
	CHECK(pki_trust_load_groups(g, 2, NULL, 0, &t, &e) != SZTP_OK);
	CHECK(t == NULL && strstr(e.msg, "nosuch.pem"));
	CHECK(pki_trust_load_groups(g, PKI_ANCHOR_GROUPS_MAX + 1, NULL, 0, &t, &e) != SZTP_OK);
}

/* This system: Debian 12's GnuTLS 3.7.9 without /etc/gnutls/config
 * refuses SHA-1 certificate signatures unless allowed per call. */
static void test_policy(void)
{
	int by_default = -1, when_allowed = -1;

	pki_sha1_policy(&by_default, &when_allowed);
	CHECK(by_default == 0 || by_default == 1);
	if (!getenv("GNUTLS_SYSTEM_PRIORITY_FILE") && access("/etc/gnutls/config", F_OK) != 0)
		CHECK(by_default == 0 && when_allowed == 1);
	pki_sha1_policy(NULL, NULL);
}

int main(void)
{
	const char *top = getenv("SZTP_TOP");
	char cmd[512];

	snprintf(dir, sizeof(dir), "/tmp/sztp-anchor-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/unit/mkanchors.sh' '%s' >/dev/null 2>&1",
		 top ? top : ".", dir);
	CHECK(system(cmd) == 0);
	test_sudi_rule();
	test_two_groups();
	test_sha1_refused();
	test_order();
	test_config_value();
	test_load_errors();
	test_policy();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return unit_report("test_pki_anchor");
}
