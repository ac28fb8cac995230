/*
 * discovery.c - how a client finds the RESTCONF API (RFC 8040 s3.1
 * host-meta, s3.3 the root resource, s3.3.3 yang-library-version) and
 * which operations it offers (s3.3.2: the two RPCs of RFC 8572 s7).
 * Fixed documents, in the response encoding restconf.c negotiated.
 */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"

#define NS_RC  "urn:ietf:params:xml:ns:yang:ietf-restconf"
#define NS_SVR "urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"

static enum answer fixed(struct request *r, struct result *res, const char *json, const char *xml)
{
	const char *doc = r->enc == YANG_ENC_XML ? xml : json;

	result_ok(res, 200, r->enc == YANG_ENC_XML ? MT_XML : MT_JSON, strdup(doc), strlen(doc));
	return ANSWER_NOW;
}

enum answer handle_host_meta(struct server *s, struct request *r, struct result *res)
{
	static const char xrd[] = "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n"
				  "  <Link rel='restconf' href='/restconf'/>\n"
				  "</XRD>\n";

	result_ok(res, 200, "application/xrd+xml", strdup(xrd), sizeof(xrd) - 1);
	return ANSWER_NOW;
}

enum answer handle_restconf_root(struct server *s, struct request *r, struct result *res)
{
	return fixed(r, res,
		     "{\"ietf-restconf:restconf\":{\"data\":{},\"operations\":{},"
		     "\"yang-library-version\":\"2016-06-21\"}}\n",
		     "<restconf xmlns=\"" NS_RC "\"><data/><operations/>"
		     "<yang-library-version>2016-06-21</yang-library-version></restconf>\n");
}

enum answer handle_yang_library_version(struct server *s, struct request *r, struct result *res)
{
	return fixed(r, res, "{\"ietf-restconf:yang-library-version\":\"2016-06-21\"}\n",
		     "<yang-library-version xmlns=\"" NS_RC
		     "\">2016-06-21</yang-library-version>\n");
}

enum answer handle_operations(struct server *s, struct request *r, struct result *res)
{
	return fixed(r, res,
		     "{\"ietf-restconf:operations\":{"
		     "\"ietf-sztp-bootstrap-server:get-bootstrapping-data\":[null],"
		     "\"ietf-sztp-bootstrap-server:report-progress\":[null]}}\n",
		     "<operations xmlns=\"" NS_RC "\"><get-bootstrapping-data xmlns=\"" NS_SVR
		     "\"/><report-progress xmlns=\"" NS_SVR "\"/></operations>\n");
}
