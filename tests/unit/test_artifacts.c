/* Unit tests for server/artifacts.c: conveyed information assembled as
 * bare ContentInfo or owner-signed SignedData (JSON .43 / XML .42), the
 * owner-certificate CMS, caching by profile and owner revision, and the
 * owner key permission check.  Uses the throwaway PKI of mkpki.sh. */
#include <sys/stat.h>
#include <unistd.h>

#include "artifacts.h"
#include "cms.h"
#include "server.h"
#include "fixture.h"
#include "unit.h"
#include "util.h"

#define DOC                                                                                        \
	"{\"ietf-sztp-conveyed-info:onboarding-information\":{\"configuration-handling\":"         \
	"\"merge\",\"configuration\":\"aG9zdG5hbWUgeAo=\"}}"

#define dir fixture_dir
static struct server srv;

static void put_owner(const char *key)
{
	struct reg_owner o = {0};
	char path[300];

	snprintf(path, sizeof(path), "%s/ec-chain.pem", dir);
	CHECK_RC(pki_pem_certs_read(path, &o.chain, &o.n_chain, NULL), SZTP_OK);
	snprintf(o.name, sizeof(o.name), "default");
	o.key_path = (char *)key;
	CHECK_RC(reg_owner_put(srv.reg, &o, NULL), SZTP_OK);
	pki_certs_free(o.chain, o.n_chain);
}

static void get(const char *name, enum yang_enc enc, int sign, struct conveyed_out *co,
		sztp_rc want)
{
	struct reg_profile p = {0};
	struct reg_owner o = {0};
	struct sztp_err e = {0};

	CHECK_RC(reg_profile_get(srv.reg, name, &p, NULL), SZTP_OK);
	(void)reg_owner_get(srv.reg, "default", &o, NULL); /* revision 0 when absent */
	CHECK_RC(artifacts_get(srv.art, &p, o.revision, enc, sign, co, &e), want);
	reg_owner_clear(&o);
	if (e.msg[0] && want == SZTP_OK)
		fprintf(stderr, "artifacts_get: %s\n", e.msg);
	reg_profile_clear(&p);
}

static void decode(const char *b64, sztp_bytes *out)
{
	CHECK_RC(b64_decode(b64, strlen(b64), out, NULL), SZTP_OK);
}

int main(void)
{
	struct reg_profile p = {0};
	struct conveyed_out co = {0}, co2 = {0};
	sztp_bytes der = {0}, content = {0}, *certs = NULL, leaf = {0};
	struct cms_signed *sd = NULL;
	char cmd[1200], path[300], oid[64], loose[300];
	size_t n = 0;

	if (fixture_setup("artifacts") != 0) {
		fprintf(stderr, "mkpki.sh failed\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/reg.db", dir);
	CHECK_RC(reg_open(path, &srv.reg, NULL), SZTP_OK);
	CHECK_RC(yang_open(sztp_yang_dir_default(), &srv.yang, NULL), SZTP_OK);
	CHECK_RC(artifacts_new(&srv, &srv.art, NULL), SZTP_OK);
	snprintf(p.name, sizeof(p.name), "p1");
	snprintf(p.owner, sizeof(p.owner), "default");
	p.kind = REG_KIND_ONBOARDING;
	p.conveyed_json = (char *)DOC;
	CHECK_RC(reg_profile_put(srv.reg, &p, NULL), SZTP_OK);

	/* signing without an owner identity */
	get("p1", YANG_ENC_JSON, 1, &co, SZTP_E_NOT_FOUND);

	/* unsigned JSON: bare ContentInfo .43 holding the stored document */
	get("p1", YANG_ENC_JSON, 0, &co, SZTP_OK);
	CHECK(co.ci_b64 && !co.oc_b64);
	decode(co.ci_b64, &der);
	CHECK_RC(cms_content_info_parse(der.data, der.len, oid, sizeof(oid), &content, NULL),
		 SZTP_OK);
	CHECK(!strcmp(oid, CMS_OID_CI_JSON));
	CHECK(content.len == strlen(DOC) && !memcmp(content.data, DOC, content.len));
	sztp_bytes_free(&der);
	sztp_bytes_free(&content);
	conveyed_out_clear(&co);

	/* signed JSON by the owner key; owner-certificate holds the chain */
	snprintf(path, sizeof(path), "%s/ec.key", dir);
	put_owner(path);
	get("p1", YANG_ENC_JSON, 1, &co, SZTP_OK);
	CHECK(co.ci_b64 && co.oc_b64);
	decode(co.ci_b64, &der);
	snprintf(path, sizeof(path), "%s/ec.pem", dir);
	CHECK_RC(pki_pem_certs_read(path, &certs, &n, NULL), SZTP_OK);
	CHECK_RC(cms_signed_verify_cert(der.data, der.len, &certs[0], NULL), SZTP_OK);
	leaf = certs[0];
	CHECK_RC(cms_signed_parse(der.data, der.len, &sd, NULL), SZTP_OK);
	CHECK(sd && !strcmp(sd->econtent_oid, CMS_OID_CI_JSON));
	CHECK(sd && sd->has_signed_attrs && sd->n_signers == 1);
	CHECK(sd && sd->content.len == strlen(DOC) && !memcmp(sd->content.data, DOC, strlen(DOC)));
	cms_signed_free(sd);
	sd = NULL;
	sztp_bytes_free(&der);
	decode(co.oc_b64, &der);
	pki_certs_free(certs, n);
	certs = NULL;
	CHECK_RC(cms_certs_only_parse(der.data, der.len, &certs, &n, NULL), SZTP_OK);
	CHECK(n == 2);
	pki_certs_free(certs, n);
	sztp_bytes_free(&der);

	/* cached: the same bytes again, no re-signing (ECDSA is randomised) */
	get("p1", YANG_ENC_JSON, 1, &co2, SZTP_OK);
	CHECK(co2.ci_b64 && !strcmp(co.ci_b64, co2.ci_b64));
	conveyed_out_clear(&co2);

	/* XML: .42, content is the XML rendering */
	get("p1", YANG_ENC_XML, 1, &co2, SZTP_OK);
	decode(co2.ci_b64, &der);
	CHECK_RC(cms_signed_parse(der.data, der.len, &sd, NULL), SZTP_OK);
	CHECK(sd && !strcmp(sd->econtent_oid, CMS_OID_CI_XML));
	CHECK(sd && sd->content.len > 24 &&
	      !memcmp(sd->content.data, "<onboarding-information", 23));
	cms_signed_free(sd);
	sd = NULL;
	sztp_bytes_free(&der);
	conveyed_out_clear(&co2);

	/* a new owner revision re-signs */
	snprintf(path, sizeof(path), "%s/ec.key", dir);
	put_owner(path);
	get("p1", YANG_ENC_JSON, 1, &co2, SZTP_OK);
	CHECK(co2.ci_b64 && strcmp(co.ci_b64, co2.ci_b64) != 0);
	conveyed_out_clear(&co2);
	conveyed_out_clear(&co);

	/* a new profile revision rebuilds with the new content */
	p.conveyed_json = (char *)"{\"ietf-sztp-conveyed-info:redirect-information\":{"
				  "\"bootstrap-server\":[{\"address\":\"sztp.example.net\"}]}}";
	p.kind = REG_KIND_REDIRECT;
	CHECK_RC(reg_profile_put(srv.reg, &p, NULL), SZTP_OK);
	get("p1", YANG_ENC_JSON, 0, &co, SZTP_OK);
	decode(co.ci_b64, &der);
	CHECK_RC(cms_content_info_parse(der.data, der.len, oid, sizeof(oid), &content, NULL),
		 SZTP_OK);
	CHECK(content.len == strlen(p.conveyed_json) &&
	      !memcmp(content.data, p.conveyed_json, content.len));
	sztp_bytes_free(&der);
	sztp_bytes_free(&content);
	conveyed_out_clear(&co);

	/* omit-os-fields (issue 13): os-name/os-version left out of every
	 * form, the rest byte for byte; keyed apart from the full document, and
	 * the profile's revision changes with its leniency */
	{
		static const char img[] =
		    "{\"ietf-sztp-conveyed-info:onboarding-information\":{\"boot-image\":{"
		    "\"os-name\":\"demo-os\",\"os-version\":\"2.0\",\"download-uri\":["
		    "\"https://f.example/i.img\"]},\"configuration-handling\":\"merge\","
		    "\"configuration\":\"aG9zdG5hbWUgeAo=\"}}";
		static const char trimmed[] =
		    "{\"ietf-sztp-conveyed-info:onboarding-information\":{\"boot-image\":{"
		    "\"download-uri\":[\"https://f.example/i.img\"]},\"configuration-handling\":"
		    "\"merge\",\"configuration\":\"aG9zdG5hbWUgeAo=\"}}";
		struct reg_profile got = {0};
		int64_t rev;
		int i;

		p.conveyed_json = (char *)img;
		p.kind = REG_KIND_ONBOARDING;
		p.lenient = 0;
		CHECK_RC(reg_profile_put(srv.reg, &p, NULL), SZTP_OK);
		CHECK_RC(reg_profile_get(srv.reg, "p1", &got, NULL), SZTP_OK);
		rev = got.revision;
		reg_profile_clear(&got);
		get("p1", YANG_ENC_JSON, 0, &co, SZTP_OK);
		CHECK(!co.os_fields_omitted);
		p.lenient = REG_LENIENT_OMIT_OS_FIELDS;
		CHECK_RC(reg_profile_put(srv.reg, &p, NULL), SZTP_OK);
		CHECK_RC(reg_profile_get(srv.reg, "p1", &got, NULL), SZTP_OK);
		CHECK(got.revision != rev);
		reg_profile_clear(&got);
		get("p1", YANG_ENC_JSON, 0, &co2, SZTP_OK);
		CHECK(co2.os_fields_omitted && strcmp(co.ci_b64, co2.ci_b64) != 0);
		decode(co2.ci_b64, &der);
		CHECK_RC(
		    cms_content_info_parse(der.data, der.len, oid, sizeof(oid), &content, NULL),
		    SZTP_OK);
		CHECK(content.len == strlen(trimmed) &&
		      !memcmp(content.data, trimmed, content.len));
		CHECK_RC(yang_conveyed_validate(srv.yang, YANG_ENC_JSON, (const char *)content.data,
						content.len, NULL),
			 SZTP_OK);
		sztp_bytes_free(&der);
		sztp_bytes_free(&content);
		conveyed_out_clear(&co2);
		/* XML and signed: the same document, no os leaves */
		for (i = 0; i < 2; i++) {
			get("p1", i ? YANG_ENC_XML : YANG_ENC_JSON, 1, &co2, SZTP_OK);
			CHECK(co2.os_fields_omitted);
			decode(co2.ci_b64, &der);
			CHECK_RC(cms_signed_parse(der.data, der.len, &sd, NULL), SZTP_OK);
			CHECK(sd && sd->content.len &&
			      !memmem(sd->content.data, sd->content.len, "os-", 3) &&
			      memmem(sd->content.data, sd->content.len, "download-uri", 12));
			cms_signed_free(sd);
			sd = NULL;
			sztp_bytes_free(&der);
			conveyed_out_clear(&co2);
		}
		/* a document without them: served as stored, nothing applied */
		p.conveyed_json = (char *)DOC;
		CHECK_RC(reg_profile_put(srv.reg, &p, NULL), SZTP_OK);
		get("p1", YANG_ENC_JSON, 0, &co2, SZTP_OK);
		CHECK(!co2.os_fields_omitted);
		decode(co2.ci_b64, &der);
		CHECK_RC(
		    cms_content_info_parse(der.data, der.len, oid, sizeof(oid), &content, NULL),
		    SZTP_OK);
		CHECK(content.len == strlen(DOC) && !memcmp(content.data, DOC, content.len));
		sztp_bytes_free(&der);
		sztp_bytes_free(&content);
		conveyed_out_clear(&co2);
		conveyed_out_clear(&co);
		p.lenient = 0;
	}

	/* the owner key must not be readable by others */
	snprintf(loose, sizeof(loose), "%s/loose.key", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s/ec.key' '%s' && chmod 644 '%s'", dir, loose, loose);
	CHECK(system(cmd) == 0);
	put_owner(loose);
	get("p1", YANG_ENC_JSON, 1, &co, SZTP_E_PERM);
	CHECK(co.ci_b64 == NULL);

	(void)leaf;
	artifacts_free(srv.art);
	yang_close(srv.yang);
	reg_close(srv.reg);
	fixture_teardown();
	return unit_report("test_artifacts");
}
