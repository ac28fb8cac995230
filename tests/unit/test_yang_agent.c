/*
 * test_yang_agent.c - the parsers sztp-agent reads XML with (lib/yang.c):
 * a get-bootstrapping-data output in XML turned into its JSON encoding,
 * and XML conveyed information (id-ct-sztpConveyedInfoXML) turned into
 * the RFC 7951 JSON the agent processes.
 */
#include <jansson.h>

#include "unit.h"
#include "yang.h"

#define NS_BS "urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"
#define NS_CI "urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info"
#define OUT   "ietf-sztp-bootstrap-server:output"
#define ONB   "ietf-sztp-conveyed-info:onboarding-information"
#define RED   "ietf-sztp-conveyed-info:redirect-information"
#define HASH                                                                                       \
	"01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:16:17:18:19:1a:1b:1c:1d:"  \
	"1e:1f:20"

static struct sztp_yang *Y;

static sztp_rc out_json(const char *xml, json_t **j, struct sztp_err *e)
{
	char *txt = (char *)"unchanged";
	sztp_rc rc;

	memset(e, 0, sizeof(*e));
	*j = NULL;
	rc = yang_bootstrap_output_json(Y, xml, strlen(xml), &txt, e);
	if (rc == SZTP_OK)
		*j = json_loads(txt, 0, NULL);
	else
		CHECK(txt == NULL); /* zeroed on failure */
	if (rc == SZTP_OK)
		free(txt);
	return rc;
}

static void test_output(void)
{
	struct sztp_err e;
	json_t *j = NULL, *o;

	/* as sztpd writes it: reporting-level first, all three artifacts */
	CHECK_RC(out_json("<output xmlns=\"" NS_BS "\"><reporting-level>verbose</reporting-level>"
			  "<conveyed-information>AAEC</conveyed-information>"
			  "<owner-certificate>AwQF</owner-certificate>"
			  "<ownership-voucher>BgcI</ownership-voucher></output>\n",
			  &j, &e),
		 SZTP_OK);
	o = json_object_get(j, OUT);
	CHECK(json_is_object(o));
	CHECK(!strcmp(json_string_value(json_object_get(o, "conveyed-information")) ?: "", "AAEC"));
	CHECK(!strcmp(json_string_value(json_object_get(o, "owner-certificate")) ?: "", "AwQF"));
	CHECK(!strcmp(json_string_value(json_object_get(o, "ownership-voucher")) ?: "", "BgcI"));
	CHECK(!strcmp(json_string_value(json_object_get(o, "reporting-level")) ?: "", "verbose"));
	CHECK(json_object_size(j) == 1);
	json_decref(j);
	/* a prefixed root, unsigned: conveyed-information alone */
	CHECK_RC(out_json("<?xml version=\"1.0\"?><b:output xmlns:b=\"" NS_BS "\">"
			  "<b:conveyed-information>AAEC</b:conveyed-information></b:output>",
			  &j, &e),
		 SZTP_OK);
	o = json_object_get(j, OUT);
	CHECK(json_object_size(o) == 1 && json_object_get(o, "conveyed-information"));
	json_decref(j);
	/* refused: another root, another namespace, an unknown element, a
	 * value that is not base64, not XML, empty */
	CHECK_RC(out_json("<input xmlns=\"" NS_BS "\"><conveyed-information>AAEC"
			  "</conveyed-information></input>",
			  &j, &e),
		 SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "\"output\""));
	CHECK_RC(out_json("<output xmlns=\"urn:example\"><conveyed-information>AAEC"
			  "</conveyed-information></output>",
			  &j, &e),
		 SZTP_E_MALFORMED);
	CHECK(out_json("<output xmlns=\"" NS_BS "\"><conveyed-information>AAEC"
		       "</conveyed-information><surprise>1</surprise></output>",
		       &j, &e) != SZTP_OK);
	CHECK(strstr(e.msg, "surprise"));
	CHECK(out_json("<output xmlns=\"" NS_BS "\"><conveyed-information>**not base64**"
		       "</conveyed-information></output>",
		       &j, &e) != SZTP_OK);
	CHECK(out_json("<output xmlns=\"" NS_BS "\"><reporting-level>loud</reporting-level>"
		       "<conveyed-information>AAEC</conveyed-information></output>",
		       &j, &e) != SZTP_OK);
	CHECK(out_json("{\"" OUT "\":{\"conveyed-information\":\"AAEC\"}}", &j, &e) != SZTP_OK);
	CHECK_RC(out_json("", &j, &e), SZTP_E_MALFORMED);
	CHECK_RC(out_json("<output xmlns=\"" NS_BS "\"><conveyed-information>AAEC", &j, &e),
		 SZTP_E_MALFORMED);
}

static sztp_rc ci_json(const char *xml, json_t **j, struct sztp_err *e)
{
	char *txt = (char *)"unchanged";
	sztp_rc rc;

	memset(e, 0, sizeof(*e));
	*j = NULL;
	rc = yang_conveyed_to_json(Y, YANG_ENC_XML, xml, strlen(xml), &txt, e);
	if (rc == SZTP_OK) {
		*j = json_loads(txt, 0, NULL);
		free(txt);
	} else {
		CHECK(txt == NULL);
	}
	return rc;
}

static void test_conveyed_xml(void)
{
	struct sztp_err e;
	json_t *j = NULL, *o, *bi, *x;
	char *xml = NULL, *back = NULL;
	const char *onb_json =
	    "{\"" ONB "\":{\"boot-image\":{\"os-name\":\"demo-os\",\"os-version\":\"2.0\","
	    "\"download-uri\":[\"https://a.example/i.img\",\"https://b.example/i.img\"],"
	    "\"image-verification\":[{\"hash-algorithm\":\"ietf-sztp-conveyed-info:sha-256\","
	    "\"hash-value\":\"" HASH "\"}]},\"configuration-handling\":\"merge\","
	    "\"pre-configuration-script\":\"IyEvYmluL3NoCg==\",\"configuration\":\"PHRvcC8+\"}}";

	CHECK_RC(ci_json("<onboarding-information xmlns=\"" NS_CI "\">"
			 "<boot-image><os-name>demo-os</os-name><os-version>2.0</os-version>"
			 "<download-uri>https://a.example/i.img</download-uri>"
			 "<download-uri>https://b.example/i.img</download-uri>"
			 "<image-verification><hash-algorithm>sha-256</hash-algorithm>"
			 "<hash-value>" HASH "</hash-value></image-verification></boot-image>"
			 "<configuration-handling>replace</configuration-handling>"
			 "<configuration>PHRvcC8+</configuration></onboarding-information>",
			 &j, &e),
		 SZTP_OK);
	o = json_object_get(j, ONB);
	bi = json_object_get(o, "boot-image");
	CHECK(!strcmp(json_string_value(json_object_get(bi, "os-name")) ?: "", "demo-os"));
	CHECK(json_array_size(json_object_get(bi, "download-uri")) == 2);
	x = json_array_get(json_object_get(bi, "image-verification"), 0);
	CHECK(strstr(json_string_value(json_object_get(x, "hash-algorithm")) ?: "", "sha-256"));
	CHECK(!strcmp(json_string_value(json_object_get(x, "hash-value")) ?: "", HASH));
	CHECK(!strcmp(json_string_value(json_object_get(o, "configuration")) ?: "", "PHRvcC8+"));
	CHECK(!strcmp(json_string_value(json_object_get(o, "configuration-handling")) ?: "",
		      "replace"));
	json_decref(j);
	/* redirect: port an integer, trust-anchor kept */
	CHECK_RC(ci_json("<redirect-information xmlns=\"" NS_CI "\"><bootstrap-server>"
			 "<address>sztp.example.com</address><port>8443</port>"
			 "<trust-anchor>AAEC</trust-anchor></bootstrap-server>"
			 "<bootstrap-server><address>2001:db8::1</address></bootstrap-server>"
			 "</redirect-information>",
			 &j, &e),
		 SZTP_OK);
	x = json_array_get(json_object_get(json_object_get(j, RED), "bootstrap-server"), 0);
	CHECK(json_integer_value(json_object_get(x, "port")) == 8443);
	CHECK(!strcmp(json_string_value(json_object_get(x, "trust-anchor")) ?: "", "AAEC"));
	CHECK(json_array_size(json_object_get(json_object_get(j, RED), "bootstrap-server")) == 2);
	json_decref(j);
	/* JSON -> XML -> JSON: the same document */
	CHECK_RC(yang_conveyed_to_xml(Y, onb_json, strlen(onb_json), &xml, &e), SZTP_OK);
	if (xml) {
		json_t *a = json_loads(onb_json, 0, NULL);

		CHECK_RC(ci_json(xml, &j, &e), SZTP_OK);
		CHECK(json_equal(a, j));
		json_decref(a);
		json_decref(j);
	}
	free(xml);
	/* JSON in, JSON out (validated) */
	CHECK_RC(yang_conveyed_to_json(Y, YANG_ENC_JSON, onb_json, strlen(onb_json), &back, &e),
		 SZTP_OK);
	free(back);
	/* refused: both cases, an unknown element, a bad hash, wrong root, not XML */
	CHECK(ci_json("<redirect-information xmlns=\"" NS_CI "\"/>", &j, &e) != SZTP_OK);
	CHECK(ci_json("<onboarding-information xmlns=\"" NS_CI "\"><configuration>PHRvcC8+"
		      "</configuration><surprise/></onboarding-information>",
		      &j, &e) != SZTP_OK);
	CHECK(ci_json("<onboarding-information xmlns=\"" NS_CI "\"><boot-image>"
		      "<image-verification><hash-algorithm>sha-256</hash-algorithm>"
		      "<hash-value>zz</hash-value></image-verification></boot-image>"
		      "</onboarding-information>",
		      &j, &e) != SZTP_OK);
	CHECK_RC(ci_json("<bootstrap-server xmlns=\"" NS_CI "\"/>", &j, &e), SZTP_E_INVALID_VALUE);
	CHECK(ci_json("{\"" ONB "\":{}}", &j, &e) != SZTP_OK);
	CHECK(ci_json("", &j, &e) != SZTP_OK);
}

int main(void)
{
	struct sztp_err e = {0};
	char dir[4096];
	const char *top = getenv("SZTP_TOP");

	snprintf(dir, sizeof(dir), "%s/yang", top ? top : ".");
	CHECK_RC(yang_open(dir, &Y, &e), SZTP_OK);
	if (!Y) {
		fprintf(stderr, "yang_open: %s\n", e.msg);
		return unit_report("test_yang_agent");
	}
	test_output();
	test_conveyed_xml();
	yang_close(Y);
	return unit_report("test_yang_agent");
}
