/*
 * restconf.c - the RESTCONF layer of sztpd (RFC 8040 as RFC 8572 s7
 * uses it): routes, methods (405), request and response media types
 * (415/406, s5.2 of RFC 8040: both JSON and XML), root discovery through
 * /.well-known/host-meta (RFC 8040 s3.1), the root resource and
 * yang-library-version, and RESTCONF error bodies (RFC 8040 s7.1).  The one
 * table mapping results to HTTP status and error-tag lives here: handlers
 * never pick status codes themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "handlers.h"
#include "log.h"
#include "restconf.h"
#include "server.h"

#define OPS_PREFIX "/restconf/operations/"
#define RPC_GBD	   "ietf-sztp-bootstrap-server:get-bootstrapping-data"
#define RPC_RP	   "ietf-sztp-bootstrap-server:report-progress"

static const struct {
	int status;
	const char *type;
	const char *tag;
} rc_table[SZTP_E__COUNT] = {
    [SZTP_OK] = {200, NULL, NULL},
    [SZTP_E_NOMEM] = {500, "application", "resource-denied"},
    [SZTP_E_INTERNAL] = {500, "application", "operation-failed"},
    [SZTP_E_IO] = {500, "application", "operation-failed"},
    [SZTP_E_DB] = {500, "application", "operation-failed"},
    [SZTP_E_CRYPTO] = {500, "application", "operation-failed"},
    [SZTP_E_MALFORMED] = {400, "protocol", "malformed-message"},
    [SZTP_E_INVALID_VALUE] = {400, "protocol", "invalid-value"},
    [SZTP_E_UNKNOWN_ELEMENT] = {400, "protocol", "unknown-element"},
    [SZTP_E_MISSING_ELEMENT] = {400, "protocol", "missing-element"},
    [SZTP_E_TOO_BIG] = {413, "transport", "too-big"},
    [SZTP_E_AUTH] = {401, "protocol", "access-denied"},
    [SZTP_E_NOT_FOUND] = {404, "application", "data-missing"},
    [SZTP_E_EXISTS] = {409, "application", "data-exists"},
    [SZTP_E_VERIFY] = {500, "application", "operation-failed"},
    [SZTP_E_EXPIRED] = {500, "application", "operation-failed"},
    [SZTP_E_MISMATCH] = {500, "application", "operation-failed"},
    [SZTP_E_UNSUPPORTED] = {500, "application", "operation-failed"},
    [SZTP_E_PERM] = {500, "application", "operation-failed"},
    [SZTP_E_NO_RESOURCE] = {404, "protocol", "invalid-value"},
    [SZTP_E_METHOD] = {405, "protocol", "operation-not-supported"},
    [SZTP_E_NOT_ACCEPTABLE] = {406, "protocol", "invalid-value"},
    [SZTP_E_MEDIA_TYPE] = {415, "protocol", "invalid-value"},
};

void restconf_reply(struct request *r, int status, const char *type, char *body, size_t len)
{
	free(r->resp_body);
	r->status = status;
	r->resp_type = type;
	r->resp_body = body;
	r->resp_len = len;
}

static void xml_escape(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *in && o + 7 < outlen; in++) {
		const char *rep = NULL;
		switch (*in) {
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '&':
			rep = "&amp;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		}
		if (rep) {
			size_t l = strlen(rep);
			memcpy(out + o, rep, l);
			o += l;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

void restconf_error(struct request *r, sztp_rc rc, const char *msg)
{
	char *body = NULL;
	int n;

	if ((unsigned)rc >= SZTP_E__COUNT || rc == SZTP_OK || !rc_table[rc].tag)
		rc = SZTP_E_INTERNAL;
	sztp_err_set(&r->err, rc, "%s", msg);
	if (!r->result)
		r->result = sztp_rc_name(rc);
	if (rc == SZTP_E_AUTH)
		r->www_authenticate = 1;
	if (r->enc == YANG_ENC_XML) {
		char esc[SZTP_ERR_MSG_MAX * 6];
		xml_escape(msg, esc, sizeof(esc));
		n = asprintf(&body,
			     "<errors xmlns=\"urn:ietf:params:xml:ns:yang:ietf-restconf\"><error>"
			     "<error-type>%s</error-type><error-tag>%s</error-tag>"
			     "<error-message>%s</error-message></error></errors>\n",
			     rc_table[rc].type, rc_table[rc].tag, esc);
		if (n < 0)
			body = NULL;
		restconf_reply(r, rc_table[rc].status, MT_XML, body, body ? (size_t)n : 0);
		return;
	}
	{
		json_t *err = json_pack("{s:{s:[{s:s,s:s,s:s}]}}", "ietf-restconf:errors", "error",
					"error-type", rc_table[rc].type, "error-tag",
					rc_table[rc].tag, "error-message", msg);
		body = err ? json_dumps(err, JSON_COMPACT) : NULL;
		json_decref(err);
		if (body) {
			size_t l = strlen(body);
			char *nl = realloc(body, l + 2);
			if (nl) {
				body = nl;
				body[l++] = '\n';
				body[l] = '\0';
			}
			restconf_reply(r, rc_table[rc].status, MT_JSON, body, l);
		} else {
			restconf_reply(r, rc_table[rc].status, MT_JSON, NULL, 0);
		}
	}
}

void restconf_fail(struct request *r, sztp_rc rc, const struct sztp_err *e, const char *public_msg)
{
	if ((unsigned)rc < SZTP_E__COUNT && rc_table[rc].status < 500) {
		restconf_error(r, rc, e->msg);
		return;
	}
	log_err("%s for %s: %s", r->endpoint ? r->endpoint : "request",
		r->serial[0] ? r->serial : "-", e->msg);
	restconf_error(r, rc, public_msg);
}

/* Media type of a header value without parameters, case-insensitively. */
static int mt_is(const char *value, const char *mt)
{
	size_t l = strlen(mt);

	while (*value == ' ' || *value == '\t')
		value++;
	if (strncasecmp(value, mt, l))
		return 0;
	value += l;
	while (*value == ' ' || *value == '\t')
		value++;
	return *value == '\0' || *value == ';' || *value == ',';
}

/* Pick the response encoding from Accept (RFC 7231 s5.3.2, q-values
 * honoured); fallback when Accept is absent.  Returns -1 when nothing
 * acceptable is offered. */
static int negotiate(const char *accept, int fallback)
{
	double best_q = 0;
	int best = -1;
	const char *p = accept;

	if (!accept || !*accept)
		return fallback;
	while (p && *p) {
		const char *end = strchr(p, ',');
		char item[128];
		size_t l = end ? (size_t)(end - p) : strlen(p);
		double q = 1.0;
		const char *qp;
		int which = -1;

		if (l >= sizeof(item))
			l = sizeof(item) - 1;
		memcpy(item, p, l);
		item[l] = '\0';
		qp = strstr(item, ";q=");
		if (!qp)
			qp = strstr(item, "; q=");
		if (qp)
			q = strtod(strchr(qp, '=') + 1, NULL);
		if (mt_is(item, MT_JSON))
			which = YANG_ENC_JSON;
		else if (mt_is(item, MT_XML))
			which = YANG_ENC_XML;
		else if (mt_is(item, "*/*") || mt_is(item, "application/*"))
			which = fallback;
		if (which >= 0 && q > best_q) {
			best_q = q;
			best = which;
		}
		p = end ? end + 1 : NULL;
	}
	return best;
}

static void host_meta(struct request *r)
{
	static const char xrd[] = "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n"
				  "  <Link rel='restconf' href='/restconf'/>\n"
				  "</XRD>\n";

	r->endpoint = "host-meta";
	r->result = "ok";
	restconf_reply(r, 200, "application/xrd+xml", strdup(xrd), sizeof(xrd) - 1);
}

static void static_doc(struct request *r, const char *endpoint, const char *json, const char *xml)
{
	const char *doc = r->enc == YANG_ENC_XML ? xml : json;

	r->endpoint = endpoint;
	r->result = "ok";
	restconf_reply(r, 200, r->enc == YANG_ENC_XML ? MT_XML : MT_JSON, strdup(doc), strlen(doc));
}

static int is_get(const struct request *r)
{
	return !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
}

/* Request encoding from Content-Type; -1 = unsupported. */
static int request_encoding(const struct request *r)
{
	if (!r->content_type)
		return r->body_len ? -1 : YANG_ENC_JSON;
	if (mt_is(r->content_type, MT_JSON))
		return YANG_ENC_JSON;
	if (mt_is(r->content_type, MT_XML))
		return YANG_ENC_XML;
	return -1;
}

static void operation(struct server *s, struct request *r, const char *rpc)
{
	int in_enc, out_enc;
	int gbd = !strcmp(rpc, RPC_GBD);

	r->endpoint = gbd ? "get-bootstrapping-data" : "report-progress";
	if (strcmp(r->method, "POST")) {
		r->allow = "POST";
		restconf_error(r, SZTP_E_METHOD, "operations are invoked with POST");
		return;
	}
	in_enc = request_encoding(r);
	out_enc = negotiate(r->accept, in_enc < 0 ? YANG_ENC_JSON : in_enc);
	r->enc = out_enc < 0 ? YANG_ENC_JSON : (enum yang_enc)out_enc;
	if (r->body_too_big) {
		char msg[96];
		snprintf(msg, sizeof(msg), "request body is larger than the %d bytes allowed",
			 s->cfg.max_body);
		restconf_error(r, SZTP_E_TOO_BIG, msg);
		return;
	}
	if (in_enc < 0) {
		restconf_error(r, SZTP_E_MEDIA_TYPE,
			       r->content_type ? "Content-Type must be " MT_JSON " or " MT_XML
					       : "a request body needs a Content-Type");
		return;
	}
	if (out_enc < 0) {
		restconf_error(r, SZTP_E_NOT_ACCEPTABLE,
			       "Accept allows neither " MT_JSON " nor " MT_XML);
		return;
	}
	if (gbd)
		handle_get_bootstrapping_data(s, r, (enum yang_enc)in_enc);
	else
		handle_report_progress(s, r, (enum yang_enc)in_enc);
}

void restconf_handle(struct server *s, struct request *r)
{
	const char *url = r->url;
	int enc;

	r->enc = YANG_ENC_JSON;
	if (!strcmp(url, "/.well-known/host-meta")) {
		if (!is_get(r)) {
			r->allow = "GET, HEAD";
			restconf_error(r, SZTP_E_METHOD, "host-meta is read with GET");
			return;
		}
		host_meta(r);
		return;
	}
	if (!strncmp(url, OPS_PREFIX, sizeof(OPS_PREFIX) - 1)) {
		const char *rpc = url + sizeof(OPS_PREFIX) - 1;
		if (!strcmp(rpc, RPC_GBD) || !strcmp(rpc, RPC_RP)) {
			operation(s, r, rpc);
			return;
		}
		r->endpoint = "operations";
		restconf_error(r, SZTP_E_NO_RESOURCE, "unknown operation");
		return;
	}
	enc = negotiate(r->accept, YANG_ENC_JSON);
	r->enc = enc < 0 ? YANG_ENC_JSON : (enum yang_enc)enc;
	if (strcmp(url, "/restconf") && strcmp(url, "/restconf/") &&
	    strcmp(url, "/restconf/yang-library-version") && strcmp(url, "/restconf/operations")) {
		r->endpoint = "other";
		restconf_error(r, SZTP_E_NO_RESOURCE, "no such resource");
		return;
	}
	if (!is_get(r)) {
		r->endpoint = "restconf";
		r->allow = "GET, HEAD";
		restconf_error(r, SZTP_E_METHOD, "this resource is read with GET");
		return;
	}
	if (enc < 0) {
		r->endpoint = "restconf";
		restconf_error(r, SZTP_E_NOT_ACCEPTABLE,
			       "Accept allows neither " MT_JSON " nor " MT_XML);
		return;
	}
	if (!strcmp(url, "/restconf/yang-library-version"))
		static_doc(r, "yang-library-version",
			   "{\"ietf-restconf:yang-library-version\":\"2016-06-21\"}\n",
			   "<yang-library-version xmlns=\"urn:ietf:params:xml:ns:yang:"
			   "ietf-restconf\">2016-06-21</yang-library-version>\n");
	else if (!strcmp(url, "/restconf/operations"))
		static_doc(r, "operations",
			   "{\"ietf-restconf:operations\":{\"" RPC_GBD "\":[null],\"" RPC_RP
			   "\":[null]}}\n",
			   "<operations xmlns=\"urn:ietf:params:xml:ns:yang:ietf-restconf\">"
			   "<get-bootstrapping-data xmlns=\"urn:ietf:params:xml:ns:yang:"
			   "ietf-sztp-bootstrap-server\"/><report-progress xmlns=\"urn:ietf:"
			   "params:xml:ns:yang:ietf-sztp-bootstrap-server\"/></operations>\n");
	else
		static_doc(r, "restconf",
			   "{\"ietf-restconf:restconf\":{\"data\":{},\"operations\":{},"
			   "\"yang-library-version\":\"2016-06-21\"}}\n",
			   "<restconf xmlns=\"urn:ietf:params:xml:ns:yang:ietf-restconf\"><data/>"
			   "<operations/><yang-library-version>2016-06-21</yang-library-version>"
			   "</restconf>\n");
}
