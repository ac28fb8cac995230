/*
 * restconf.c - the RESTCONF layer of sztpd (RFC 8040 as RFC 8572 s7
 * uses it): the routing table, methods (405), request and response media
 * types (415/406, s5.2 of RFC 8040: both JSON and XML), and RESTCONF
 * error bodies (RFC 8040 s7.1).  Handlers (handlers.h) fill in a result;
 * this file alone turns it into the reply, through the one table mapping
 * results to HTTP status and error-tag: handlers never pick status codes
 * themselves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "log.h"
#include "restconf.h"
#include "server.h"

#define OPS_PREFIX "/restconf/operations/"
#define RPC_GBD	   "ietf-sztp-bootstrap-server:get-bootstrapping-data"
#define RPC_RP	   "ietf-sztp-bootstrap-server:report-progress"

/* How a route is reached: a document read with GET (no YANG media type
 * negotiation), a YANG resource read with GET, or an operation (POST with
 * a YANG body, RFC 8040 s3.6). */
enum route_kind { ROUTE_DOC, ROUTE_RESOURCE, ROUTE_OPERATION };

struct route {
	const char *path;
	const char *endpoint; /* audit line and bootstrapping-log name */
	enum route_kind kind;
	int record; /* default of result.record: a bootstrapping-log row */
	handler_fn fn;
};

/* Every RPC and every failed RPC goes to the bootstrapping log (the
 * handler clears record when the request's data is its own record). */
static const struct route routes[] = {
    {"/.well-known/host-meta", "host-meta", ROUTE_DOC, 0, handle_host_meta},
    {"/restconf", "restconf", ROUTE_RESOURCE, 0, handle_restconf_root},
    {"/restconf/", "restconf", ROUTE_RESOURCE, 0, handle_restconf_root},
    {"/restconf/yang-library-version", "yang-library-version", ROUTE_RESOURCE, 0,
     handle_yang_library_version},
    {"/restconf/operations", "operations", ROUTE_RESOURCE, 0, handle_operations},
    {OPS_PREFIX RPC_GBD, "get-bootstrapping-data", ROUTE_OPERATION, 1,
     handle_get_bootstrapping_data},
    {OPS_PREFIX RPC_RP, "report-progress", ROUTE_OPERATION, 1, handle_report_progress},
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

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
    [SZTP_E_THROTTLED] = {429, "protocol", "resource-denied"},
    [SZTP_E_UNAVAILABLE] = {503, "application", "operation-failed"},
};

static void reply(struct request *r, int status, const char *type, char *body, size_t len)
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
		reply(r, rc_table[rc].status, MT_XML, body, body ? (size_t)n : 0);
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
			reply(r, rc_table[rc].status, MT_JSON, body, l);
		} else {
			reply(r, rc_table[rc].status, MT_JSON, NULL, 0);
		}
	}
}

/* ---- answers --------------------------------------------------------- */

/* r's reply from r->res.  Client errors (4xx) carry the handler's
 * message; server errors (5xx) are logged with the detail and answered
 * with the public message only, so no path, key name or library message
 * reaches a device. */
static void answer(struct request *r)
{
	struct result *res = &r->res;
	sztp_rc rc = res->rc;

	if (rc != SZTP_OK && ((unsigned)rc >= SZTP_E__COUNT || !rc_table[rc].tag))
		rc = SZTP_E_INTERNAL;
	if (rc == SZTP_OK) {
		reply(r, res->status, res->type, res->body, res->len);
		res->body = NULL;
		if (!res->outcome[0])
			result_outcome(res, "ok");
		return;
	}
	if (!res->outcome[0])
		result_outcome(res, sztp_rc_name(rc));
	if (rc == SZTP_E_AUTH)
		r->www_authenticate = 1;
	if (rc_table[rc].status < 500) {
		restconf_error(r, rc, res->err.msg);
		return;
	}
	log_err("%s for %s: %s", r->endpoint ? r->endpoint : "request",
		r->serial[0] ? r->serial : "-", res->err.msg);
	restconf_error(
	    r, rc, res->public_msg ? res->public_msg : "the bootstrap server failed internally");
}

/* request.h's answer_later: a deferred handler's result is in. */
static void answer_later(struct request *r)
{
	answer(r);
	r->resume(r);
}

/* A failure decided here, before any handler. */
static void refuse(struct request *r, sztp_rc rc, const char *msg)
{
	sztp_err_set(&r->res.err, rc, "%s", msg);
	result_fail(&r->res, rc, NULL);
	answer(r);
}

/* RFC 8040 s4.8: a query parameter the target does not support is a 400
 * invalid-value naming it.  sztpd supports none: RESTCONF's parameters
 * (content, depth, fields, filter, insert, point, start-time, stop-time,
 * with-defaults) apply to datastore and event-stream resources, not to
 * operations or the API resources served here.  0: none given. */
static int query_checks(struct request *r)
{
	const char *p = r->query;
	char name[48], msg[96];
	size_t n = 0;

	while (p && *p == '&')
		p++;
	if (!p || !*p)
		return 0; /* "?" or "?&": no parameter */
	for (; *p && *p != '=' && *p != '&' && n + 1 < sizeof(name); p++)
		name[n++] = *p > ' ' && *p < 0x7f ? *p : '?'; /* as sent, printable */
	name[n] = '\0';
	snprintf(msg, sizeof(msg), "query parameter '%s%s' is not supported here", name,
		 *p && *p != '=' && *p != '&' ? "..." : "");
	refuse(r, SZTP_E_INVALID_VALUE, msg);
	return -1;
}

/* ---- media types ------------------------------------------------------ */

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

/* ---- routing ---------------------------------------------------------- */

/* Method and media types of an operation (RFC 8040 s3.6, s5.2); 0 when
 * the request may go to the handler, else it has been answered. */
static int operation_checks(struct server *s, struct request *r)
{
	int in_enc = request_encoding(r);
	int out_enc = negotiate(r->accept, in_enc < 0 ? YANG_ENC_JSON : in_enc);

	r->enc = out_enc < 0 ? YANG_ENC_JSON : (enum yang_enc)out_enc;
	if (strcmp(r->method, "POST")) {
		r->allow = "POST";
		refuse(r, SZTP_E_METHOD, "operations are invoked with POST");
		return -1;
	}
	if (query_checks(r))
		return -1;
	if (r->body_too_big) {
		char msg[96];
		snprintf(msg, sizeof(msg), "request body is larger than the %d bytes allowed",
			 s->cfg.max_body);
		refuse(r, SZTP_E_TOO_BIG, msg);
		return -1;
	}
	if (in_enc < 0) {
		refuse(r, SZTP_E_MEDIA_TYPE,
		       r->content_type ? "Content-Type must be " MT_JSON " or " MT_XML
				       : "a request body needs a Content-Type");
		return -1;
	}
	if (out_enc < 0) {
		refuse(r, SZTP_E_NOT_ACCEPTABLE, "Accept allows neither " MT_JSON " nor " MT_XML);
		return -1;
	}
	r->in_enc = (enum yang_enc)in_enc;
	return 0;
}

/* Method and Accept of a resource read with GET; 0 when it may go on. */
static int resource_checks(struct request *r, enum route_kind kind)
{
	int enc = negotiate(r->accept, YANG_ENC_JSON);

	r->enc = enc < 0 || kind == ROUTE_DOC ? YANG_ENC_JSON : (enum yang_enc)enc;
	if (!is_get(r)) {
		r->allow = "GET, HEAD";
		refuse(r, SZTP_E_METHOD, "this resource is read with GET");
		return -1;
	}
	if (kind == ROUTE_RESOURCE && query_checks(r))
		return -1;
	if (kind == ROUTE_RESOURCE && enc < 0) {
		refuse(r, SZTP_E_NOT_ACCEPTABLE, "Accept allows neither " MT_JSON " nor " MT_XML);
		return -1;
	}
	return 0;
}

/* No route: an unknown operation is still an RPC attempt (logged as
 * one); anything else is just not here. */
static void no_route(struct request *r)
{
	int enc = negotiate(r->accept, YANG_ENC_JSON);
	int op = !strncmp(r->url, OPS_PREFIX, sizeof(OPS_PREFIX) - 1);

	r->enc = enc < 0 ? YANG_ENC_JSON : (enum yang_enc)enc;
	r->endpoint = op ? "operations" : "other";
	r->res.record = op;
	refuse(r, SZTP_E_NO_RESOURCE, op ? "unknown operation" : "no such resource");
}

/* http.c found the request itself unacceptable (framing, Host, target):
 * not an RPC attempt, no bootstrapping-log row. */
void restconf_refuse(struct request *r, sztp_rc rc, const char *msg)
{
	int enc = negotiate(r->accept, YANG_ENC_JSON);

	r->enc = enc < 0 ? YANG_ENC_JSON : (enum yang_enc)enc;
	r->endpoint = "http";
	r->res.record = 0;
	refuse(r, rc, msg);
}

void restconf_handle(struct server *s, struct request *r)
{
	const struct route *rt = NULL;
	size_t i;

	r->enc = YANG_ENC_JSON;
	for (i = 0; i < N_ROUTES && !rt; i++)
		if (!strcmp(r->url, routes[i].path))
			rt = &routes[i];
	if (!rt) {
		no_route(r);
		return;
	}
	r->endpoint = rt->endpoint;
	r->res.record = rt->record;
	r->answer_later = answer_later;
	if (rt->kind == ROUTE_OPERATION ? operation_checks(s, r) : resource_checks(r, rt->kind))
		return;
	if (rt->fn(s, r, &r->res) == ANSWER_LATER)
		return;
	answer(r);
}
