/*
 * test_yang.c - lib/yang.c: RESTCONF RPC input (JSON and XML), conveyed
 * information (including the libyang 2.1 choice loop, under alarm()),
 * conversion to XML, vouchers, and concurrent use with a throughput
 * figure for one and two threads.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "yang_json.h"

#define BS    "ietf-sztp-bootstrap-server:"
#define CI    "ietf-sztp-conveyed-info:"
#define IN(x) "{\"" BS "input\":{" x "}}"

#define N15 "QUFBQUFBQUFBQUFBQUFB"
#define N16 "QUFBQUFBQUFBQUFBQUFBQQ=="
#define N32 "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
#define N33 "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"

static struct sztp_yang *Y;

static int rpc(enum yang_rpc r, enum yang_enc enc, const char *body, json_t **out,
	       struct sztp_err *e)
{
	json_t *tmp = NULL;
	int rc;

	memset(e, 0, sizeof(*e));
	rc = yang_rpc_input_json(Y, r, enc, body, body ? strlen(body) : 0, out ? out : &tmp, e);
	json_decref(tmp);
	return rc;
}

static int gbd(const char *body, struct sztp_err *e)
{
	return rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_JSON, body, NULL, e);
}

static int rp(const char *body, struct sztp_err *e)
{
	return rpc(YANG_RPC_REPORT_PROGRESS, YANG_ENC_JSON, body, NULL, e);
}

static int has(const struct sztp_err *e, const char *s)
{
	if (strstr(e->msg, s))
		return 1;
	fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", e->msg, s);
	return 0;
}

static void test_open(void)
{
	struct sztp_yang *y = NULL;
	struct sztp_err e = {0};
	char tmpl[] = "/tmp/test_yang.XXXXXX";

	CHECK_RC(yang_open("/nonexistent/yang", &y, &e), SZTP_E_IO);
	CHECK(y == NULL && has(&e, "/nonexistent/yang"));
	CHECK(mkdtemp(tmpl) != NULL);
	CHECK_RC(yang_open(tmpl, &y, &e), SZTP_E_IO);
	CHECK(y == NULL && has(&e, tmpl) && has(&e, "ietf-restconf"));
	rmdir(tmpl);
	yang_close(NULL);
}

static void test_gbd_valid(void)
{
	struct sztp_err e;
	json_t *in = NULL;

	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_JSON, "", &in, &e), SZTP_OK);
	CHECK(json_is_object(in) && json_object_size(in) == 0);
	json_decref(in);
	in = NULL;
	CHECK_RC(gbd(IN(""), &e), SZTP_OK);
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_JSON,
		     IN("\"signed-data-preferred\":[null],\"nonce\":\"" N16
			"\",\"hw-model\":\"model-x\","
			"\"os-name\":\"VendorOS\",\"os-version\":\"17.3R2.1\""),
		     &in, &e),
		 SZTP_OK);
	CHECK(json_is_array(json_object_get(in, "signed-data-preferred")));
	CHECK(json_is_null(json_array_get(json_object_get(in, "signed-data-preferred"), 0)));
	CHECK(!strcmp(json_string_value(json_object_get(in, "nonce")) ?: "", N16));
	CHECK(!strcmp(json_string_value(json_object_get(in, "hw-model")) ?: "", "model-x"));
	CHECK(!strcmp(json_string_value(json_object_get(in, "os-name")) ?: "", "VendorOS"));
	CHECK(!strcmp(json_string_value(json_object_get(in, "os-version")) ?: "", "17.3R2.1"));
	CHECK(json_object_size(in) == 5);
	json_decref(in);
	CHECK_RC(gbd(IN("\"nonce\":\"" N32 "\""), &e), SZTP_OK);
	/* member names may carry the module prefix (RFC 7951 s4) */
	in = NULL;
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_JSON, IN("\"" BS "hw-model\":\"m\""),
		     &in, &e),
		 SZTP_OK);
	CHECK(json_object_get(in, "hw-model") != NULL && json_object_size(in) == 1);
	json_decref(in);
}

static void test_gbd_invalid(void)
{
	struct sztp_err e;

	CHECK_RC(gbd(IN("\"nonce\":\"" N15 "\""), &e), SZTP_E_INVALID_VALUE);
	CHECK(has(&e, "nonce") && has(&e, "length"));
	CHECK_RC(gbd(IN("\"nonce\":\"" N33 "\""), &e), SZTP_E_INVALID_VALUE);
	CHECK(has(&e, "nonce"));
	CHECK_RC(gbd(IN("\"nonce\":\"not base64!\""), &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(gbd(IN("\"hw-modell\":\"x\""), &e), SZTP_E_UNKNOWN_ELEMENT);
	CHECK(has(&e, "hw-modell"));
	CHECK_RC(gbd(IN("\"ietf-voucher:voucher\":{}"), &e), SZTP_E_UNKNOWN_ELEMENT);
	CHECK_RC(gbd(IN("\"hw-model\":5"), &e), SZTP_E_INVALID_VALUE);
	CHECK(has(&e, "hw-model"));
	CHECK_RC(gbd(IN("\"signed-data-preferred\":true"), &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(gbd(IN("\"signed-data-preferred\":\"\""), &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(gbd("{\"hw-model\":\"x\"}", &e), SZTP_E_MALFORMED); /* no input wrapper */
	CHECK(has(&e, "\"ietf-sztp-bootstrap-server:input\""));
	CHECK_RC(gbd("{\"input\":{}}", &e), SZTP_E_MALFORMED);
	CHECK_RC(gbd("{\"" BS "input\":{},\"" BS "input2\":{}}", &e), SZTP_E_MALFORMED);
	CHECK_RC(gbd("{\"" BS "input\":{},\"x\":1}", &e), SZTP_E_MALFORMED);
	CHECK_RC(gbd("{\"" BS "input\":[]}", &e), SZTP_E_MALFORMED);
	CHECK_RC(gbd("{\"" BS "input\":{\"hw-model\":\"x\"}", &e),
		 SZTP_E_MALFORMED); /* truncated */
	CHECK(has(&e, "not valid JSON"));
	CHECK_RC(gbd("{\"" BS "input\":{\"hw-model\":\"x\",\"hw-model\":\"y\"}}", &e),
		 SZTP_E_MALFORMED);
	CHECK(has(&e, "duplicate"));
	CHECK_RC(gbd("{\"" BS "input\":{},\"" BS "input\":{}}", &e), SZTP_E_MALFORMED);
	CHECK_RC(gbd("[1,2]", &e), SZTP_E_MALFORMED);
	CHECK_RC(gbd("\"input\"", &e), SZTP_E_MALFORMED);
	CHECK_RC(gbd("42", &e), SZTP_E_MALFORMED);
	CHECK_RC(gbd("null", &e), SZTP_E_MALFORMED);
	CHECK_RC(gbd(IN("\"hw-model\":\"a\\u0000b\""), &e), SZTP_E_MALFORMED);
	CHECK_RC(gbd("{\"" BS "input\":{}} trailing", &e), SZTP_E_MALFORMED);
	/* a NUL byte inside the stated length */
	memset(&e, 0, sizeof(e));
	{
		json_t *in = NULL;
		static const char b[] = "{\"" BS "input\":{}}\0{}";

		CHECK(yang_rpc_input_json(Y, YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_JSON, b,
					  sizeof(b) - 1, &in, &e) != SZTP_OK);
		CHECK(in == NULL);
	}
	/* deep nesting refused */
	{
		char deep[400] = "{\"" BS "input\":{\"hw-model\":";
		size_t n = strlen(deep);
		int i;

		for (i = 0; i < 40; i++)
			deep[n++] = '[';
		for (i = 0; i < 40; i++)
			deep[n++] = ']';
		strcpy(deep + n, "}}");
		CHECK_RC(gbd(deep, &e), SZTP_E_MALFORMED);
		CHECK(has(&e, "deeper"));
	}
}

#define SSH_KEYS                                                                                   \
	"\"ssh-host-keys\":{\"ssh-host-key\":[{\"algorithm\":\"ssh-ed25519\",\"key-data\":"        \
	"\"AAAA\"}]}"
#define TA_CERTS "\"trust-anchor-certs\":{\"trust-anchor-cert\":[\"MIIB\"]}"

static void test_report_progress(void)
{
	struct sztp_err e;
	json_t *in = NULL;

	CHECK_RC(rpc(YANG_RPC_REPORT_PROGRESS, YANG_ENC_JSON,
		     IN("\"progress-type\":\"bootstrap-complete\",\"message\":\"done\"," SSH_KEYS
			"," TA_CERTS),
		     &in, &e),
		 SZTP_OK);
	CHECK(!strcmp(json_string_value(json_object_get(in, "progress-type")) ?: "",
		      "bootstrap-complete"));
	CHECK(!strcmp(json_string_value(json_object_get(in, "message")) ?: "", "done"));
	CHECK(json_is_array(json_object_get(json_object_get(in, "ssh-host-keys"), "ssh-host-key")));
	CHECK(json_is_array(
	    json_object_get(json_object_get(in, "trust-anchor-certs"), "trust-anchor-cert")));
	json_decref(in);
	CHECK_RC(rp(IN("\"progress-type\":\"bootstrap-initiated\""), &e), SZTP_OK);
	CHECK_RC(rp(IN("\"progress-type\":\"config-error\",\"message\":\"bad\""), &e), SZTP_OK);
	CHECK_RC(rp(IN("\"progress-type\":\"bootstrap-done\""), &e), SZTP_E_INVALID_VALUE);
	CHECK(has(&e, "progress-type"));
	CHECK_RC(rp(IN("\"message\":\"x\""), &e), SZTP_E_MISSING_ELEMENT);
	CHECK(has(&e, "progress-type"));
	CHECK_RC(rp(IN(""), &e), SZTP_E_MISSING_ELEMENT);
	CHECK_RC(rp("", &e), SZTP_E_MISSING_ELEMENT);
	CHECK(has(&e, "progress-type"));
	/* `when "../progress-type = 'bootstrap-complete'"` (RFC 8572 s7.3) */
	CHECK_RC(rp(IN("\"progress-type\":\"bootstrap-initiated\"," SSH_KEYS), &e),
		 SZTP_E_INVALID_VALUE);
	CHECK(has(&e, "ssh-host-keys") && has(&e, "When"));
	CHECK_RC(rp(IN("\"progress-type\":\"bootstrap-error\"," TA_CERTS), &e),
		 SZTP_E_INVALID_VALUE);
	CHECK(has(&e, "trust-anchor-certs"));
	/* mandatory key-data inside a list entry */
	CHECK_RC(
	    rp(IN("\"progress-type\":\"bootstrap-complete\",\"ssh-host-keys\":{\"ssh-host-key\":"
		  "[{\"algorithm\":\"ssh-rsa\"}]}"),
	       &e),
	    SZTP_E_MISSING_ELEMENT);
	CHECK(has(&e, "key-data"));
	/* get-bootstrapping-data members are unknown here */
	CHECK_RC(rp(IN("\"progress-type\":\"informational\",\"nonce\":\"" N16 "\""), &e),
		 SZTP_E_UNKNOWN_ELEMENT);
}

#define XNS "urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"

static void test_xml_input(void)
{
	struct sztp_err e;
	json_t *in = NULL;

	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML,
		     "<?xml version=\"1.0\"?>\n<input xmlns=\"" XNS "\"><signed-data-preferred/>"
		     "<hw-model>m&amp;x</hw-model><nonce>" N16 "</nonce></input>\n",
		     &in, &e),
		 SZTP_OK);
	CHECK(json_is_array(json_object_get(in, "signed-data-preferred")));
	CHECK(!strcmp(json_string_value(json_object_get(in, "hw-model")) ?: "", "m&x"));
	json_decref(in);
	in = NULL;
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML,
		     "<!-- c --><s:input xmlns:s='" XNS "'><s:os-name>V</s:os-name></s:input >",
		     &in, &e),
		 SZTP_OK);
	CHECK(!strcmp(json_string_value(json_object_get(in, "os-name")) ?: "", "V"));
	json_decref(in);
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML, "<input xmlns=\"" XNS "\"/>",
		     NULL, &e),
		 SZTP_OK);
	CHECK_RC(rpc(YANG_RPC_REPORT_PROGRESS, YANG_ENC_XML,
		     "<input xmlns=\"" XNS "\"><progress-type>bootstrap-complete</progress-type>"
		     "<trust-anchor-certs><trust-anchor-cert>MIIB</trust-anchor-cert></"
		     "trust-anchor-certs></input>",
		     NULL, &e),
		 SZTP_OK);
	/* invalid */
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML,
		     "<input xmlns=\"" XNS "\"><nonce>" N15 "</nonce></input>", NULL, &e),
		 SZTP_E_INVALID_VALUE);
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML,
		     "<input xmlns=\"" XNS "\"><foo>1</foo></input>", NULL, &e),
		 SZTP_E_UNKNOWN_ELEMENT);
	CHECK(has(&e, "foo"));
	CHECK_RC(rpc(YANG_RPC_REPORT_PROGRESS, YANG_ENC_XML,
		     "<input xmlns=\"" XNS "\"><progress-type>parsing-error</progress-type>"
		     "<trust-anchor-certs><trust-anchor-cert>MIIB</trust-anchor-cert></"
		     "trust-anchor-certs></input>",
		     NULL, &e),
		 SZTP_E_INVALID_VALUE);
	CHECK_RC(rpc(YANG_RPC_REPORT_PROGRESS, YANG_ENC_XML,
		     "<input xmlns=\"" XNS "\"><message>m</message></input>", NULL, &e),
		 SZTP_E_MISSING_ELEMENT);
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML,
		     "<input><hw-model>x</hw-model></input>", NULL, &e),
		 SZTP_E_MALFORMED); /* no namespace */
	CHECK(has(&e, "namespace"));
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML, "<input xmlns=\"urn:other\"/>",
		     NULL, &e),
		 SZTP_E_MALFORMED);
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML,
		     "<get-bootstrapping-data xmlns=\"" XNS "\"/>", NULL, &e),
		 SZTP_E_MALFORMED);
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML,
		     "<input xmlns=\"" XNS "\"><hw-model>x</hw-model>", NULL, &e),
		 SZTP_E_MALFORMED); /* truncated */
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML,
		     "<input xmlns=\"" XNS "\"></input><input xmlns=\"" XNS "\"></input>", NULL,
		     &e),
		 SZTP_E_MALFORMED);
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML,
		     "<input xmlns=\"" XNS "\"></inputx>", NULL, &e),
		 SZTP_E_MALFORMED);
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML,
		     "<!DOCTYPE x [<!ENTITY a \"b\">]><input xmlns=\"" XNS "\"/>", NULL, &e),
		 SZTP_E_MALFORMED);
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML, "not xml", NULL, &e),
		 SZTP_E_MALFORMED);
	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML,
		     "<input xmlns=\"" XNS "\"><hw-model>x</hw-model>"
		     "</input>junk",
		     NULL, &e),
		 SZTP_E_MALFORMED);
	{
		char deep[1024], *p = deep;
		int i;

		p += sprintf(p, "<input xmlns=\"" XNS "\">");
		for (i = 0; i < 40; i++)
			p += sprintf(p, "<a>");
		for (i = 0; i < 40; i++)
			p += sprintf(p, "</a>");
		strcpy(p, "</input>");
		CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML, deep, NULL, &e),
			 SZTP_E_MALFORMED);
		CHECK(has(&e, "deeper"));
	}
}

#define ONBOARD                                                                                    \
	"{\"" CI "onboarding-information\":{\"boot-image\":{\"os-name\":\"VendorOS\",\"os-"        \
	"version\":\"17.2R1.6\","                                                                  \
	"\"download-uri\":[\"https://example.com/path/to/image/"                                   \
	"file\"],\"image-verification\":[{\"hash-algorithm\":"                                     \
	"\"%s\",\"hash-value\":\"%s\"}]},\"configuration-handling\":\"merge\",\"pre-"              \
	"configuration-script\":\"IyEv\","                                                         \
	"\"configuration\":\"PHRvcC8+\",\"post-configuration-script\":\"IyEv\"}}"
#define HASH                                                                                       \
	"ba:ec:cf:a5:67:82:b4:10:77:c6:67:a6:22:ab:7d:50:04:a7:8b:8f:0e:db:02:8b:f4:75:55:fb:c1:"  \
	"13:b2:33"
#define REDIRECT                                                                                   \
	"{\"" CI "redirect-information\":{\"bootstrap-server\":[{\"address\":\"sztp1.example."     \
	"com\",\"port\":8443,"                                                                     \
	"\"trust-anchor\":\"MIIB\"},{\"address\":\"192.0.2.1\"}]}}"

static int conv(enum yang_enc enc, const char *doc, struct sztp_err *e)
{
	memset(e, 0, sizeof(*e));
	return yang_conveyed_validate(Y, enc, doc, strlen(doc), e);
}

static void test_conveyed(void)
{
	struct sztp_err e;
	char buf[1024];

	snprintf(buf, sizeof(buf), ONBOARD, "sha-256", HASH);
	CHECK_RC(conv(YANG_ENC_JSON, buf, &e), SZTP_OK);
	snprintf(buf, sizeof(buf), ONBOARD, CI "sha-256", HASH);
	CHECK_RC(conv(YANG_ENC_JSON, buf, &e), SZTP_OK);
	snprintf(buf, sizeof(buf), ONBOARD, "sha-256",
		 "baeccfa56782b41077c667a622ab7d5004a78b8f0edb028bf47555fbc113b233");
	CHECK_RC(conv(YANG_ENC_JSON, buf, &e), SZTP_E_INVALID_VALUE);
	CHECK(has(&e, "hash-value"));
	snprintf(buf, sizeof(buf), ONBOARD, "md5", HASH);
	CHECK_RC(conv(YANG_ENC_JSON, buf, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(conv(YANG_ENC_JSON, REDIRECT, &e), SZTP_OK);
	CHECK_RC(conv(YANG_ENC_JSON,
		      "{\"" CI "onboarding-information\":{\"configuration\":\"PHRvcC8+\","
		      "\"configuration-handling\":\"replace\"}}",
		      &e),
		 SZTP_OK);
	/* must '../configuration' */
	CHECK_RC(conv(YANG_ENC_JSON,
		      "{\"" CI "onboarding-information\":{\"configuration-handling\":\"merge\"}}",
		      &e),
		 SZTP_E_INVALID_VALUE);
	CHECK(has(&e, "configuration-handling"));
	/* must '../download-uri' on image-verification */
	CHECK_RC(conv(YANG_ENC_JSON,
		      "{\"" CI "onboarding-information\":{\"boot-image\":{\"image-verification\":"
		      "[{\"hash-algorithm\":\"sha-256\",\"hash-value\":\"ab\"}]}}}",
		      &e),
		 SZTP_E_INVALID_VALUE);
	CHECK_RC(conv(YANG_ENC_JSON,
		      "{\"" CI "redirect-information\":{\"bootstrap-server\":[{\"address\":\"a\","
		      "\"port\":70000}]}}",
		      &e),
		 SZTP_E_INVALID_VALUE);
	CHECK_RC(conv(YANG_ENC_JSON,
		      "{\"" CI "redirect-information\":{\"bootstrap-server\":[{\"port\":1}]}}", &e),
		 SZTP_E_MISSING_ELEMENT);
	CHECK_RC(conv(YANG_ENC_JSON, "{\"" CI "onboarding-information\":{\"bogus\":1}}", &e),
		 SZTP_E_UNKNOWN_ELEMENT);
	/* top-level choice: guarded before libyang (its 2.1 loop) */
	CHECK_RC(conv(YANG_ENC_JSON, "{}", &e), SZTP_E_INVALID_VALUE);
	CHECK(has(&e, "exactly one member"));
	CHECK_RC(
	    conv(YANG_ENC_JSON, "{\"" CI "redirect-information\":{\"bootstrap-server\":[]}}", &e),
	    SZTP_E_INVALID_VALUE);
	CHECK(has(&e, "bootstrap-server"));
	CHECK_RC(conv(YANG_ENC_JSON, "{\"" CI "redirect-information\":{}}", &e),
		 SZTP_E_INVALID_VALUE);
	CHECK_RC(conv(YANG_ENC_JSON, "{\"" CI "onboarding-information\":{}}", &e),
		 SZTP_E_MISSING_ELEMENT);
	CHECK_RC(conv(YANG_ENC_JSON, "{\"" CI "onboarding-information\":[]}", &e),
		 SZTP_E_INVALID_VALUE);
	CHECK_RC(conv(YANG_ENC_JSON, "{\"redirect-information\":{}}", &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(conv(YANG_ENC_JSON, "[]", &e), SZTP_E_MALFORMED);
	CHECK_RC(conv(YANG_ENC_JSON, "{\"" CI "redirect", &e), SZTP_E_MALFORMED);
	alarm(10); /* both cases at once loops forever inside libyang 2.1 */
	CHECK_RC(conv(YANG_ENC_JSON,
		      "{\"" CI
		      "redirect-information\":{\"bootstrap-server\":[{\"address\":\"a\"}]},"
		      "\"" CI "onboarding-information\":{\"configuration\":\"AA==\","
		      "\"configuration-handling\":\"merge\"}}",
		      &e),
		 SZTP_E_INVALID_VALUE);
	CHECK_RC(
	    conv(YANG_ENC_XML,
		 "<redirect-information "
		 "xmlns=\"urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info\">"
		 "<bootstrap-server><address>a</address></bootstrap-server></redirect-information>"
		 "<onboarding-information "
		 "xmlns=\"urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info\">"
		 "<configuration>AA==</configuration><configuration-handling>merge"
		 "</configuration-handling></onboarding-information>",
		 &e),
	    SZTP_E_MALFORMED);
	alarm(0);
	/* XML */
	CHECK_RC(
	    conv(YANG_ENC_XML,
		 "<redirect-information "
		 "xmlns=\"urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info\">"
		 "<bootstrap-server><address>a.example</address><port>443</port></bootstrap-server>"
		 "</redirect-information>",
		 &e),
	    SZTP_OK);
	CHECK_RC(conv(YANG_ENC_XML,
		      "<redirect-information "
		      "xmlns=\"urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info\">"
		      "</redirect-information>",
		      &e),
		 SZTP_E_MISSING_ELEMENT);
	CHECK_RC(
	    conv(YANG_ENC_XML,
		 "<onboarding-information "
		 "xmlns=\"urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info\">"
		 "<configuration-handling>merge</configuration-handling></onboarding-information>",
		 &e),
	    SZTP_E_INVALID_VALUE);
	CHECK_RC(conv(YANG_ENC_XML,
		      "<other xmlns=\"urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info\"/>", &e),
		 SZTP_E_INVALID_VALUE);
	CHECK_RC(conv(YANG_ENC_XML,
		      "<redirect-information xmlns=\"urn:x\"><bootstrap-server><address>a</address>"
		      "</bootstrap-server></redirect-information>",
		      &e),
		 SZTP_E_UNKNOWN_ELEMENT);
}

static void test_to_xml(void)
{
	struct sztp_err e = {0};
	char buf[1024], *xml = NULL;

	snprintf(buf, sizeof(buf), ONBOARD, "sha-256", HASH);
	CHECK_RC(yang_conveyed_to_xml(Y, buf, strlen(buf), &xml, &e), SZTP_OK);
	CHECK(xml && strstr(xml, "<onboarding-information "
				 "xmlns=\"urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info\">"));
	CHECK(xml && strstr(xml, "<configuration>PHRvcC8+</configuration>"));
	CHECK(xml && strstr(xml, HASH));
	if (xml)
		CHECK_RC(conv(YANG_ENC_XML, xml, &e), SZTP_OK); /* parses back */
	free(xml);
	xml = NULL;
	CHECK_RC(yang_conveyed_to_xml(Y, REDIRECT, strlen(REDIRECT), &xml, &e), SZTP_OK);
	CHECK(xml && strstr(xml, "<address>sztp1.example.com</address><port>8443</port>"));
	if (xml)
		CHECK_RC(conv(YANG_ENC_XML, xml, &e), SZTP_OK);
	free(xml);
	xml = (char *)"unchanged";
	CHECK_RC(yang_conveyed_to_xml(Y, "{}", 2, &xml, &e), SZTP_E_INVALID_VALUE);
	CHECK(xml == NULL);
}

#define VOUCHER(x)                                                                                 \
	"{\"ietf-voucher:voucher\":{\"created-on\":\"2024-01-01T00:00:00Z\",\"assertion\":"        \
	"\"verified\","                                                                            \
	"\"pinned-domain-cert\":\"MIIB\"" x "}}"

static int vch(const char *doc, struct sztp_err *e)
{
	memset(e, 0, sizeof(*e));
	return yang_voucher_validate(Y, doc, strlen(doc), e);
}

static void test_voucher(void)
{
	struct sztp_err e;

	CHECK_RC(
	    vch(VOUCHER(",\"serial-number\":\"SN-1\",\"expires-on\":\"2030-01-01T00:00:00Z\""), &e),
	    SZTP_OK);
	CHECK_RC(vch(VOUCHER(",\"serial-number\":\"SN-1\",\"nonce\":\"AAAAAAAAAAA=\","
			     "\"domain-cert-revocation-checks\":false"),
		     &e),
		 SZTP_OK);
	CHECK_RC(vch(VOUCHER(""), &e), SZTP_E_MISSING_ELEMENT);
	CHECK(has(&e, "serial-number"));
	CHECK_RC(vch(VOUCHER(",\"serial-number\":\"SN-1\",\"expires-on\":\"2030-01-01T00:00:00Z\","
			     "\"nonce\":\"AAAAAAAAAAA=\""),
		     &e),
		 SZTP_E_INVALID_VALUE);
	CHECK(has(&e, "not(../nonce)") || has(&e, "not(../expires-on)"));
	CHECK_RC(vch(VOUCHER(",\"serial-number\":\"SN-1\",\"assertion\":\"x\""), &e),
		 SZTP_E_MALFORMED); /* dup */
	CHECK_RC(vch("{\"ietf-voucher:voucher\":{\"created-on\":\"yesterday\",\"assertion\":"
		     "\"verified\","
		     "\"serial-number\":\"S\",\"pinned-domain-cert\":\"MIIB\"}}",
		     &e),
		 SZTP_E_INVALID_VALUE);
	CHECK_RC(vch(VOUCHER(",\"serial-number\":\"SN-1\",\"owner\":\"x\""), &e),
		 SZTP_E_UNKNOWN_ELEMENT);
	CHECK_RC(vch("{}", &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(vch("{\"ietf-voucher:voucher\":{}}", &e), SZTP_E_MISSING_ELEMENT);
	CHECK_RC(vch("{\"ietf-voucher:voucher\":\"x\"}", &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(vch("voucher", &e), SZTP_E_MALFORMED);
}

/* Every strict prefix of a valid document is refused, never accepted or
 * crashed on (run under ASan by `make asan`). */
static void test_truncated(void)
{
	static const char *xml_in =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<s:input xmlns:s=\"" XNS "\">"
	    "<!-- note --><s:hw-model><![CDATA[a<b>]]></s:hw-model>"
	    "<s:nonce>" N16 "</s:nonce></s:input>\n";
	static const char *json_in = IN("\"signed-data-preferred\":[null],\"nonce\":\"" N16 "\"");
	static const char *xml_ci =
	    "<?xml version=\"1.0\"?>\n<redirect-information xmlns="
	    "'urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info'><bootstrap-server>"
	    "<address>a.example</address><port>443</port></bootstrap-server>"
	    "</redirect-information>";
	struct sztp_err e;
	json_t *in = NULL;
	size_t n, bad = 0, full;

	CHECK_RC(rpc(YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML, xml_in, &in, &e), SZTP_OK);
	CHECK(!strcmp(json_string_value(json_object_get(in, "hw-model")) ?: "", "a<b>"));
	json_decref(in);
	CHECK_RC(conv(YANG_ENC_XML, xml_ci, &e), SZTP_OK);
	full = strlen(xml_in) - 1; /* the final newline is optional */
	for (n = 1; n < full; n++) {
		in = NULL;
		if (yang_rpc_input_json(Y, YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML, xml_in, n,
					&in, &e) == SZTP_OK ||
		    in)
			bad++, fprintf(stderr, "  XML prefix %zu accepted\n", n);
		json_decref(in);
	}
	for (n = 1; n < strlen(json_in); n++) {
		in = NULL;
		if (yang_rpc_input_json(Y, YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_JSON, json_in,
					n, &in, &e) == SZTP_OK ||
		    in)
			bad++, fprintf(stderr, "  JSON prefix %zu accepted\n", n);
		json_decref(in);
	}
	for (n = 1; n < strlen(xml_ci); n++)
		if (yang_conveyed_validate(Y, YANG_ENC_XML, xml_ci, n, &e) == SZTP_OK)
			bad++, fprintf(stderr, "  conveyed XML prefix %zu accepted\n", n);
	CHECK(bad == 0);
}

/* Deterministic byte mutations: every result is OK or a 4xx-class code,
 * and *input is set exactly on success. */
static int client_error(int rc)
{
	return rc == SZTP_E_MALFORMED || rc == SZTP_E_INVALID_VALUE ||
	       rc == SZTP_E_UNKNOWN_ELEMENT || rc == SZTP_E_MISSING_ELEMENT;
}

static void test_mutations(void)
{
	static const char *seeds[] = {
	    "<s:input xmlns:s=\"" XNS "\"><s:hw-model>x</s:hw-model><s:nonce>" N16
	    "</s:nonce></s:input>",
	    IN("\"signed-data-preferred\":[null],\"nonce\":\"" N16 "\",\"os-name\":\"v\""),
	    "<redirect-information "
	    "xmlns=\"urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info\"><bootstrap-server>"
	    "<address>a</address></bootstrap-server></redirect-information>",
	    REDIRECT,
	};
	static const char alphabet[] = "<>/\"':={}[],!?-x \\\0";
	unsigned long seed = 12345;
	char buf[512];
	struct sztp_err e;
	int i, k, bad = 0;

	for (i = 0; i < 8000; i++) {
		const char *s = seeds[i % 4];
		size_t len = strlen(s);
		json_t *in = NULL;
		int rc;

		memcpy(buf, s, len + 1);
		for (k = 0; k < 1 + i % 3; k++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			buf[(seed >> 33) % len] = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
		}
		if (i % 4 < 2)
			rc = yang_rpc_input_json(Y, YANG_RPC_GET_BOOTSTRAPPING_DATA,
						 i % 4 ? YANG_ENC_JSON : YANG_ENC_XML, buf, len,
						 &in, &e);
		else
			rc = yang_conveyed_validate(Y, i % 4 == 2 ? YANG_ENC_XML : YANG_ENC_JSON,
						    buf, len, &e);
		if ((rc != SZTP_OK && !client_error(rc)) ||
		    (i % 4 < 2 && (rc == SZTP_OK) != (in != NULL)))
			bad++,
			    fprintf(stderr, "  mutation %d: rc %d (%s)\n", i, rc, rc ? e.msg : "");
		json_decref(in);
	}
	CHECK(bad == 0);
}

/* ---- threads ---------------------------------------------------------- */

struct worker {
	int n, bad;
	double secs;
};

#define GOOD IN("\"signed-data-preferred\":[null],\"nonce\":\"" N16 "\",\"hw-model\":\"x\"")

static void *work(void *arg)
{
	struct worker *w = arg;
	struct sztp_err e;
	int i;

	for (i = 0; i < w->n; i++) {
		/* alternate errors so a mixed-up message would show */
		if (i % 4 == 3) {
			if (gbd(IN("\"hw-modelz\":\"x\""), &e) != SZTP_E_UNKNOWN_ELEMENT ||
			    !strstr(e.msg, "hw-modelz"))
				w->bad++;
		} else if (i % 4 == 1) {
			if (gbd(IN("\"nonce\":\"" N15 "\""), &e) != SZTP_E_INVALID_VALUE ||
			    !strstr(e.msg, "nonce") || strstr(e.msg, "hw-modelz"))
				w->bad++;
		} else if (gbd(GOOD, &e) != SZTP_OK) {
			w->bad++;
		}
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_threads(int nthreads, int per)
{
	pthread_t th[4];
	struct worker w[4];
	double t0 = now(), t;
	int i, bad = 0;

	for (i = 0; i < nthreads; i++) {
		w[i] = (struct worker){per, 0, 0};
		CHECK(pthread_create(&th[i], NULL, work, &w[i]) == 0);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		bad += w[i].bad;
	}
	t = now() - t0;
	CHECK(bad == 0);
	printf("yang_rpc_input, %d thread(s): %.0f ops/s (3 of 4 valid)\n", nthreads,
	       nthreads * per / t);
}

/* Found by fuzzing: XML with bytes that are not UTF-8 made libyang fail
 * without a message, or print JSON jansson could not read; both were
 * reported as internal errors (500) instead of malformed input. */
static void test_xml_encoding(void)
{
#define NS "urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"
	static const char *bad[] = {
	    "<input xmlns=\"" NS "\" \xf5=\"\"/>",
	    "<s:input xmlns:s='" NS "'><s:os-name><![CDATA[\xc3\x28]]></s:os-name></s:input>",
	    "<input xmlns=\"" NS "\"><os-name>\xed\xa0\x80</os-name></input>", /* surrogate */
	    "<input xmlns=\"" NS "\"><os-name>\xc0\xaf</os-name></input>",     /* overlong */
	    "<input xmlns=\"" NS "\"><os-name>a\x01b</os-name></input>",       /* C0 control */
	    "<input xmlns=\"" NS "\"><os-name>\xe2\x82</os-name></input>",     /* truncated */
	};
	const char *good =
	    "<input xmlns=\"" NS "\"><os-name>caf\xc3\xa9 \xf0\x9f\x9a\x80</os-name></input>";
	json_t *in = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sztp_err e = {0};
		CHECK_RC(yang_rpc_input_json(Y, YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML,
					     bad[i], strlen(bad[i]), &in, &e),
			 SZTP_E_MALFORMED);
		CHECK(strstr(e.msg, "UTF-8") != NULL);
	}
	CHECK_RC(yang_rpc_input_json(Y, YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML, good,
				     strlen(good), &in, NULL),
		 SZTP_OK);
	CHECK(in && !strcmp(json_string_value(json_object_get(in, "os-name")),
			    "caf\xc3\xa9 \xf0\x9f\x9a\x80"));
	json_decref(in);
	{
		const char *ci = "<onboarding-information xmlns=\"urn:ietf:params:xml:ns:yang:"
				 "ietf-sztp-conveyed-info\" \x84=\"\"></onboarding-information>";
		CHECK_RC(yang_conveyed_validate(Y, YANG_ENC_XML, ci, strlen(ci), NULL),
			 SZTP_E_MALFORMED);
	}
#undef NS
}

/* The memo: the same bytes validate to the same, independent result; the
 * RPC and the encoding are part of the key; invalid input is never
 * remembered; more distinct bodies than slots stay correct. */
static void test_memo(void)
{
	const char *rp = "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":"
			 "\"bootstrap-initiated\",\"message\":\"memo\"}}";
	const char *gbd =
	    "{\"ietf-sztp-bootstrap-server:input\":{\"signed-data-preferred\":[null]}}";
	const char *bad = "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":\"nope\"}}";
	struct sztp_err e = {0};
	json_t *a = NULL, *b = NULL;
	char body[256];
	int i, ok = 1;

	CHECK_RC(
	    yang_rpc_input_json(Y, YANG_RPC_REPORT_PROGRESS, YANG_ENC_JSON, rp, strlen(rp), &a, &e),
	    SZTP_OK);
	CHECK_RC(
	    yang_rpc_input_json(Y, YANG_RPC_REPORT_PROGRESS, YANG_ENC_JSON, rp, strlen(rp), &b, &e),
	    SZTP_OK);
	CHECK(a && b && a != b && json_equal(a, b));
	json_object_set_new(a, "progress-type", json_string("changed")); /* a copy each */
	CHECK(
	    !strcmp(json_string_value(json_object_get(b, "progress-type")), "bootstrap-initiated"));
	json_decref(a);
	json_decref(b);
	/* valid as get-bootstrapping-data input, remembered as such ... */
	CHECK_RC(yang_rpc_input_json(Y, YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_JSON, gbd,
				     strlen(gbd), &a, &e),
		 SZTP_OK);
	json_decref(a);
	/* ... but the same bytes are still no report, nor XML */
	CHECK_RC(yang_rpc_input_json(Y, YANG_RPC_REPORT_PROGRESS, YANG_ENC_JSON, gbd, strlen(gbd),
				     &a, &e),
		 SZTP_E_UNKNOWN_ELEMENT);
	CHECK(a == NULL);
	CHECK(yang_rpc_input_json(Y, YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_XML, gbd,
				  strlen(gbd), &a, &e) != SZTP_OK);
	CHECK(a == NULL);
	for (i = 0; i < 2; i++) {
		memset(&e, 0, sizeof(e));
		CHECK_RC(yang_rpc_input_json(Y, YANG_RPC_REPORT_PROGRESS, YANG_ENC_JSON, bad,
					     strlen(bad), &a, &e),
			 SZTP_E_INVALID_VALUE);
		CHECK(a == NULL && strstr(e.msg, "progress-type"));
	}
	/* 200 distinct bodies (more than the slots), twice over */
	for (i = 0; i < 400; i++) {
		snprintf(body, sizeof(body),
			 "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":"
			 "\"informational\",\"message\":\"m%d\"}}",
			 i % 200);
		if (yang_rpc_input_json(Y, YANG_RPC_REPORT_PROGRESS, YANG_ENC_JSON, body,
					strlen(body), &a, &e) != SZTP_OK)
			ok = 0;
		else {
			char want[16];
			snprintf(want, sizeof(want), "m%d", i % 200);
			if (strcmp(json_string_value(json_object_get(a, "message")), want))
				ok = 0;
			json_decref(a);
		}
	}
	CHECK(ok);
}

/* yang_rpc_input_lenient: an empty nonce taken as absent, only when
 * allowed, only when empty, in JSON and XML; the memo never lends a
 * lenient result to a strict caller. */
static int lenient(enum yang_enc enc, const char *body, unsigned allow, unsigned *applied,
		   struct yang_input *in, struct sztp_err *e)
{
	memset(e, 0, sizeof(*e));
	return yang_rpc_input_lenient(Y, YANG_RPC_GET_BOOTSTRAPPING_DATA, enc, body, strlen(body),
				      allow, applied, in, e);
}

static void test_lenient(void)
{
	static const char opi[] = IN("\"hw-model\":\"m\",\"os-name\":\"Debian\",\"os-version\":"
				     "\"12\",\"nonce\":\"\"");
	static const char *const json_refused[] = {IN("\"nonce\":\"" N15 "\""),
						   IN("\"nonce\":\"" N33 "\""),
						   IN("\"nonce\":\" \""),
						   IN("\"nonce\":\"=\""),
						   IN("\"nonce\":null"),
						   IN("\"nonce\":[]"),
						   IN("\"nonce\":0"),
						   IN("\"nonce\":\"\",\"bogus\":1"),
						   IN("\"nonce\":\"\",\"" BS "nonce\":\"\""),
						   IN("\"nonce\":\"\",\"hw-model\":7")};
	static const char *const xml_ok[] = {
	    "<input xmlns=\"" XNS "\"><nonce/></input>",
	    "<input xmlns=\"" XNS "\"><hw-model>m</hw-model><nonce></nonce></input>",
	    "<input xmlns=\"" XNS "\">\n  <nonce />\n  <os-name>D</os-name>\n</input>",
	    "<input xmlns=\"" XNS "\"><nonce ></nonce ><!-- <nonce/> --></input>"};
	static const char *const xml_refused[] = {
	    "<input xmlns=\"" XNS "\"><nonce> </nonce></input>",
	    "<input xmlns=\"" XNS "\"><nonce><!-- x --></nonce></input>",
	    "<input xmlns=\"" XNS "\"><nonce>" N15 "</nonce></input>",
	    "<input xmlns=\"" XNS "\"><nonce/><nonce/></input>",
	    "<input xmlns=\"" XNS "\"><nonce/><nonce>" N16 "</nonce></input>",
	    "<input xmlns=\"" XNS "\"><nonce xmlns=\"urn:x\"/></input>",
	    "<input xmlns=\"" XNS "\"><x:nonce xmlns:x=\"urn:x\"/></input>",
	    "<s:input xmlns:s=\"" XNS "\"><nonce/></s:input>",
	    "<s:input xmlns:s=\"" XNS "\"><s:nonce/></s:input>",
	    "<input xmlns=\"" XNS "\"><hw-model><nonce/></hw-model></input>",
	    "<input xmlns=\"" XNS
	    "\"><hw-model><![CDATA[<nonce/>]]></hw-model><nonce/><bogus/></input>"};
	struct yang_input in;
	struct sztp_err e, strict;
	unsigned applied = 99;
	size_t i;

	/* strict: today's exact error, whatever the memo holds */
	CHECK_RC(lenient(YANG_ENC_JSON, opi, 0, &applied, &in, &strict), SZTP_E_INVALID_VALUE);
	CHECK(applied == 0 && in.hw_model == NULL);
	CHECK(has(&strict, "get-bootstrapping-data input: /" BS
			   "get-bootstrapping-data/nonce: Unsatisfied length"));
	CHECK_RC(lenient(YANG_ENC_JSON, opi, YANG_LENIENT_EMPTY_NONCE, &applied, &in, &e), SZTP_OK);
	CHECK(applied == YANG_LENIENT_EMPTY_NONCE && in.nonce == NULL);
	CHECK(in.hw_model && !strcmp(in.hw_model, "m") && in.os_name &&
	      !strcmp(in.os_name, "Debian"));
	yang_input_clear(&in);
	/* a memo hit keeps what it needed: lenient again, then strict again */
	CHECK_RC(lenient(YANG_ENC_JSON, opi, YANG_LENIENT_EMPTY_NONCE, &applied, &in, &e), SZTP_OK);
	CHECK(applied == YANG_LENIENT_EMPTY_NONCE && in.nonce == NULL);
	yang_input_clear(&in);
	CHECK_RC(lenient(YANG_ENC_JSON, opi, 0, &applied, &in, &e), SZTP_E_INVALID_VALUE);
	CHECK(applied == 0 && !strcmp(e.msg, strict.msg));
	CHECK_RC(yang_rpc_input(Y, YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_ENC_JSON, opi, strlen(opi),
				&in, &e),
		 SZTP_E_INVALID_VALUE);
	/* a strict client on a lenient profile: nothing applied, its nonce kept */
	CHECK_RC(lenient(YANG_ENC_JSON, IN("\"nonce\":\"" N16 "\""), YANG_LENIENT_EMPTY_NONCE,
			 &applied, &in, &e),
		 SZTP_OK);
	CHECK(applied == 0 && in.nonce && !strcmp(in.nonce, N16));
	yang_input_clear(&in);
	CHECK_RC(lenient(YANG_ENC_JSON, IN(""), YANG_LENIENT_EMPTY_NONCE, &applied, &in, &e),
		 SZTP_OK);
	CHECK(applied == 0);
	yang_input_clear(&in);
	/* the module-qualified member name (RFC 7951 s4) */
	CHECK_RC(lenient(YANG_ENC_JSON, IN("\"" BS "nonce\":\"\""), YANG_LENIENT_EMPTY_NONCE,
			 &applied, &in, &e),
		 SZTP_OK);
	CHECK(applied == YANG_LENIENT_EMPTY_NONCE && in.nonce == NULL);
	yang_input_clear(&in);
	/* any other bad nonce (or other fault) stays refused */
	for (i = 0; i < sizeof(json_refused) / sizeof(json_refused[0]); i++) {
		applied = 99;
		if (lenient(YANG_ENC_JSON, json_refused[i], YANG_LENIENT_EMPTY_NONCE, &applied, &in,
			    &e) == SZTP_OK ||
		    applied != 0) {
			fprintf(stderr, "  accepted: %s\n", json_refused[i]);
			CHECK(0);
		}
	}
	/* not for report-progress */
	memset(&e, 0, sizeof(e));
	CHECK_RC(
	    yang_rpc_input_lenient(Y, YANG_RPC_REPORT_PROGRESS, YANG_ENC_JSON,
				   IN("\"progress-type\":\"informational\",\"nonce\":\"\""),
				   strlen(IN("\"progress-type\":\"informational\",\"nonce\":\"\"")),
				   YANG_LENIENT_EMPTY_NONCE, &applied, &in, &e),
	    SZTP_E_UNKNOWN_ELEMENT);
	for (i = 0; i < sizeof(xml_ok) / sizeof(xml_ok[0]); i++) {
		CHECK_RC(lenient(YANG_ENC_XML, xml_ok[i], 0, &applied, &in, &e),
			 SZTP_E_INVALID_VALUE);
		CHECK(has(&e, "nonce"));
		if (lenient(YANG_ENC_XML, xml_ok[i], YANG_LENIENT_EMPTY_NONCE, &applied, &in, &e) !=
			SZTP_OK ||
		    applied != YANG_LENIENT_EMPTY_NONCE || in.nonce) {
			fprintf(stderr, "  refused: %s: %s\n", xml_ok[i], e.msg);
			CHECK(0);
		}
		yang_input_clear(&in);
	}
	CHECK_RC(lenient(YANG_ENC_XML, xml_ok[1], YANG_LENIENT_EMPTY_NONCE, &applied, &in, &e),
		 SZTP_OK);
	CHECK(in.hw_model && !strcmp(in.hw_model, "m"));
	yang_input_clear(&in);
	for (i = 0; i < sizeof(xml_refused) / sizeof(xml_refused[0]); i++) {
		applied = 99;
		if (lenient(YANG_ENC_XML, xml_refused[i], YANG_LENIENT_EMPTY_NONCE, &applied, &in,
			    &e) == SZTP_OK ||
		    applied != 0) {
			fprintf(stderr, "  accepted: %s\n", xml_refused[i]);
			CHECK(0);
		}
	}
	CHECK_RC(lenient(YANG_ENC_XML, "<input xmlns=\"" XNS "\"><nonce>" N16 "</nonce></input>",
			 YANG_LENIENT_EMPTY_NONCE, &applied, &in, &e),
		 SZTP_OK);
	CHECK(applied == 0 && in.nonce && !strcmp(in.nonce, N16));
	yang_input_clear(&in);
}

/* yang_rpc_input_lenient on report-progress: an empty ssh-host-keys /
 * trust-anchor-certs where the YANG `when` forbids it taken as absent (the
 * OPI sztp-agent sends both, empty, in every report), only when allowed,
 * only when empty and alone of its name, in JSON and XML; the memo never
 * lends the lenient result to a strict caller. */
static int rlenient(enum yang_enc enc, const char *body, unsigned allow, unsigned *applied,
		    struct yang_input *in, struct sztp_err *e)
{
	memset(e, 0, sizeof(*e));
	*applied = 99;
	return yang_rpc_input_lenient(Y, YANG_RPC_REPORT_PROGRESS, enc, body, strlen(body), allow,
				      applied, in, e);
}

#define ERM YANG_LENIENT_EMPTY_REPORT_MEMBERS

static void test_lenient_reports(void)
{
	static const char opi[] = IN("\"progress-type\":\"bootstrap-initiated\",\"message\":"
				     "\"starting\",\"ssh-host-keys\":{},\"trust-anchor-certs\":{}");
	static const char *const json_ok[] = {
	    IN("\"progress-type\":\"informational\",\"ssh-host-keys\":{}"),
	    IN("\"progress-type\":\"parsing-error\",\"trust-anchor-certs\":{}"),
	    IN("\"" BS "progress-type\":\"bootstrap-error\",\"" BS "ssh-host-keys\":{},\"" BS
	       "trust-anchor-certs\":{}"),
	    IN("\"trust-anchor-certs\":{},\"ssh-host-keys\":{},\"progress-type\":\"boot-image-"
	       "installed-rebooting\""),
	    /* no content once parsed: a list with no entries is no entry */
	    IN("\"progress-type\":\"informational\",\"ssh-host-keys\":{\"ssh-host-key\":[]}")};
	static const char *const json_refused[] = {
	    IN("\"progress-type\":\"bootstrap-initiated\"," SSH_KEYS),
	    IN("\"progress-type\":\"bootstrap-initiated\",\"ssh-host-keys\":{}," TA_CERTS),
	    IN("\"progress-type\":\"informational\",\"trust-anchor-certs\":{\"trust-anchor-cert\":"
	       "[\"MIIB\"]},\"ssh-host-keys\":{}"),
	    IN("\"progress-type\":\"informational\",\"ssh-host-keys\":[]"),
	    IN("\"progress-type\":\"informational\",\"ssh-host-keys\":null"),
	    IN("\"progress-type\":\"informational\",\"ssh-host-keys\":\"\""),
	    IN("\"progress-type\":\"informational\",\"ssh-host-keys\":{},\"bogus\":1"),
	    IN("\"progress-type\":\"informational\",\"ssh-host-keys\":{},\"" BS
	       "ssh-host-keys\":{}"),
	    IN("\"progress-type\":\"bootstrap-done\",\"ssh-host-keys\":{}"),
	    IN("\"message\":\"no type\",\"ssh-host-keys\":{},\"trust-anchor-certs\":{}")};
	static const char *const xml_ok[] = {
	    "<input xmlns=\"" XNS "\"><progress-type>bootstrap-initiated</progress-type>"
	    "<ssh-host-keys/><trust-anchor-certs/></input>",
	    "<input xmlns=\"" XNS "\"><progress-type>informational</progress-type>"
	    "<message>m</message><ssh-host-keys></ssh-host-keys></input>",
	    "<input xmlns=\"" XNS "\">\n <trust-anchor-certs>\n </trust-anchor-certs>\n "
	    "<progress-type>config-error</progress-type>\n</input>",
	    "<s:input xmlns:s=\"" XNS "\"><s:progress-type>informational</s:progress-type>"
	    "<s:ssh-host-keys/></s:input>",
	    "<input xmlns=\"" XNS "\"><progress-type>informational</progress-type>"
	    "<ssh-host-keys><!-- none --></ssh-host-keys></input>"};
	static const char *const xml_refused[] = {
	    "<input xmlns=\"" XNS "\"><progress-type>informational</progress-type>"
	    "<ssh-host-keys><ssh-host-key><algorithm>ssh-ed25519</algorithm><key-data>AAAA"
	    "</key-data></ssh-host-key></ssh-host-keys></input>",
	    "<input xmlns=\"" XNS "\"><progress-type>informational</progress-type>"
	    "<ssh-host-keys/><ssh-host-keys/></input>",
	    "<input xmlns=\"" XNS "\"><progress-type>informational</progress-type>"
	    "<trust-anchor-certs><trust-anchor-cert>MIIB</trust-anchor-cert>"
	    "</trust-anchor-certs></input>",
	    "<input xmlns=\"" XNS "\"><progress-type>informational</progress-type>"
	    "<ssh-host-keys xmlns=\"urn:x\"/></input>",
	    "<input xmlns=\"" XNS "\"><progress-type>informational</progress-type>"
	    "<ssh-host-keys>x</ssh-host-keys></input>",
	    "<input xmlns=\"" XNS "\"><progress-type>informational</progress-type>"
	    "<ssh-host-keys a=\"b\"/></input>",
	    "<input xmlns=\"" XNS "\"><ssh-host-keys/></input>"};
	struct yang_input in;
	struct sztp_err e, strict;
	unsigned applied;
	size_t i;

	/* strict: today's exact error, whatever the memo holds */
	CHECK_RC(rlenient(YANG_ENC_JSON, opi, 0, &applied, &in, &strict), SZTP_E_INVALID_VALUE);
	CHECK(applied == 0 && in.progress_type == NULL);
	CHECK(has(&strict, "trust-anchor-certs: When condition"));
	CHECK_RC(rlenient(YANG_ENC_JSON, opi, ERM, &applied, &in, &e), SZTP_OK);
	CHECK(applied == ERM && in.ssh_host_keys == NULL && in.trust_anchor_certs == NULL);
	CHECK(in.progress_type && !strcmp(in.progress_type, "bootstrap-initiated") && in.message &&
	      !strcmp(in.message, "starting"));
	yang_input_clear(&in);
	/* a memo hit keeps what it needed: lenient again, then strict again */
	CHECK_RC(rlenient(YANG_ENC_JSON, opi, ERM | YANG_LENIENT_EMPTY_NONCE, &applied, &in, &e),
		 SZTP_OK);
	CHECK(applied == ERM && in.ssh_host_keys == NULL);
	yang_input_clear(&in);
	CHECK_RC(rlenient(YANG_ENC_JSON, opi, 0, &applied, &in, &e), SZTP_E_INVALID_VALUE);
	CHECK(applied == 0 && !strcmp(e.msg, strict.msg));
	CHECK_RC(rlenient(YANG_ENC_JSON, opi, YANG_LENIENT_EMPTY_NONCE, &applied, &in, &e),
		 SZTP_E_INVALID_VALUE); /* the other RPC's leniency does nothing here */
	CHECK(applied == 0 && !strcmp(e.msg, strict.msg));
	CHECK_RC(
	    yang_rpc_input(Y, YANG_RPC_REPORT_PROGRESS, YANG_ENC_JSON, opi, strlen(opi), &in, &e),
	    SZTP_E_INVALID_VALUE);
	/* nor this one on get-bootstrapping-data (an unknown member there) */
	CHECK_RC(lenient(YANG_ENC_JSON, IN("\"ssh-host-keys\":{}"), ERM, &applied, &in, &e),
		 SZTP_E_UNKNOWN_ELEMENT);
	CHECK(applied == 0);
	/* bootstrap-complete allows them: nothing to tolerate, kept as sent */
	CHECK_RC(rlenient(YANG_ENC_JSON,
			  IN("\"progress-type\":\"bootstrap-complete\"," SSH_KEYS "," TA_CERTS),
			  ERM, &applied, &in, &e),
		 SZTP_OK);
	CHECK(applied == 0 && in.ssh_host_keys && strstr(in.ssh_host_keys, "ssh-ed25519") &&
	      in.trust_anchor_certs && strstr(in.trust_anchor_certs, "MIIB"));
	yang_input_clear(&in);
	CHECK_RC(rlenient(YANG_ENC_JSON,
			  IN("\"progress-type\":\"bootstrap-complete\",\"ssh-host-keys\":{},"
			     "\"trust-anchor-certs\":{}"),
			  ERM, &applied, &in, &e),
		 SZTP_OK);
	CHECK(applied == 0);
	yang_input_clear(&in);
	/* a strict client on a lenient profile: nothing applied */
	CHECK_RC(rlenient(YANG_ENC_JSON, IN("\"progress-type\":\"bootstrap-initiated\""), ERM,
			  &applied, &in, &e),
		 SZTP_OK);
	CHECK(applied == 0 && in.ssh_host_keys == NULL);
	yang_input_clear(&in);
	for (i = 0; i < sizeof(json_ok) / sizeof(json_ok[0]); i++) {
		CHECK_RC(rlenient(YANG_ENC_JSON, json_ok[i], 0, &applied, &in, &e),
			 SZTP_E_INVALID_VALUE);
		CHECK(has(&e, "When"));
		if (rlenient(YANG_ENC_JSON, json_ok[i], ERM, &applied, &in, &e) != SZTP_OK ||
		    applied != ERM || in.ssh_host_keys || in.trust_anchor_certs ||
		    !in.progress_type) {
			fprintf(stderr, "  refused: %s: %s\n", json_ok[i], e.msg);
			CHECK(0);
		}
		yang_input_clear(&in);
	}
	/* anything else stays refused, with the strict call's error */
	for (i = 0; i < sizeof(json_refused) / sizeof(json_refused[0]); i++) {
		sztp_rc want = rlenient(YANG_ENC_JSON, json_refused[i], 0, &applied, &in, &strict);

		if (rlenient(YANG_ENC_JSON, json_refused[i], ERM, &applied, &in, &e) == SZTP_OK ||
		    applied != 0 || want == SZTP_OK) {
			fprintf(stderr, "  accepted: %s\n", json_refused[i]);
			CHECK(0);
		}
	}
	for (i = 0; i < sizeof(xml_ok) / sizeof(xml_ok[0]); i++) {
		CHECK_RC(rlenient(YANG_ENC_XML, xml_ok[i], 0, &applied, &in, &e),
			 SZTP_E_INVALID_VALUE);
		CHECK(has(&e, "When"));
		if (rlenient(YANG_ENC_XML, xml_ok[i], ERM, &applied, &in, &e) != SZTP_OK ||
		    applied != ERM || in.ssh_host_keys || in.trust_anchor_certs) {
			fprintf(stderr, "  refused: %s: %s\n", xml_ok[i], e.msg);
			CHECK(0);
		}
		yang_input_clear(&in);
	}
	for (i = 0; i < sizeof(xml_refused) / sizeof(xml_refused[0]); i++) {
		if (rlenient(YANG_ENC_XML, xml_refused[i], ERM, &applied, &in, &e) == SZTP_OK ||
		    applied != 0) {
			fprintf(stderr, "  accepted: %s\n", xml_refused[i]);
			CHECK(0);
		}
	}
}

int main(void)
{
	struct sztp_err e = {0};
	char dir[4096];
	const char *top = getenv("SZTP_TOP");

	snprintf(dir, sizeof(dir), "%s/yang", top ? top : ".");
	test_open();
	CHECK_RC(yang_open(dir, &Y, &e), SZTP_OK);
	if (!Y) {
		fprintf(stderr, "yang_open: %s\n", e.msg);
		return unit_report("test_yang");
	}
	test_gbd_valid();
	test_gbd_invalid();
	test_report_progress();
	test_xml_input();
	test_xml_encoding();
	test_conveyed();
	test_to_xml();
	test_voucher();
	test_truncated();
	test_mutations();
	test_memo();
	test_lenient();
	test_lenient_reports();
	run_threads(1, getenv("SZTP_BENCH") ? 100000 : 4000);
	run_threads(2, getenv("SZTP_BENCH") ? 100000 : 4000);
	run_threads(4, 1000);
	yang_close(Y);
	return unit_report("test_yang");
}
