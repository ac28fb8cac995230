/*
 * admin_listener.c - the admin API over HTTPS (issue 10): a second
 * http_listen() next to the device port, whose service hands each request
 * to admin_handle (admin/admin.h) and writes its response.  The device
 * path never waits on it: its own MHD daemon and threads (admin-threads),
 * its own registry handle (a long admin transaction holds that handle's
 * lock, not the device path's), its own TLS credentials object.  The YANG
 * context is shared: yang.c hands each call a context of its pool, so
 * concurrent callers never share one.
 *
 * Authentication happens when the head is complete (admit): a verified
 * admin client certificate, else a bearer token, else nobody.  The body of
 * a request from nobody is read and dropped (admin_handle then answers 401),
 * so a client that is not authenticated cannot make sztpd hold admin-max-body
 * bytes per connection; a body over admin-max-body is never stored either
 * (413 from admin_handle, after the route and the credentials are checked).
 *
 * The request path stays percent-encoded (admin.c decodes each segment: a
 * serial may hold '/'); the headers that matter, the response's ETag,
 * Location, Allow, WWW-Authenticate and Cache-Control: no-store are carried
 * here.  Answers decided here rather than by admin_handle (a head refused
 * by http.c, a write while the registry is lost) are problem+json too.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "admin_listener.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "server.h"
#include "util.h"

#define PROBLEM_TYPE "application/problem+json"
#define CA_PEM_MAX   (1024 * 1024)
#define REASON_MAX   160

struct admin_listener {
	struct server *s;
	struct admin_ctx ctx;
	struct reg *reg;
	struct pki_tls_creds *tls; /* served; owned when own_tls, else s->tls */
	int own_tls;
	struct pki_trust *client_ca; /* admin-client-ca; NULL: none */
	sztp_bytes client_ca_pem;    /* the CA names asked for in TLS */
	enum admin_scope client_scope;
	struct pki_trust *masa; /* masa-ca; NULL: none */
	char openapi[PATH_MAX];
	struct http *h;
};

/* One request's state (request.h's pending): who is asking, the
 * response, the header fields made of it. */
struct admin_req {
	struct admin_actor actor;
	char reason[REASON_MAX]; /* why nobody: for the audit line */
	int unavailable;	 /* the token could not be looked up: 503, not 401 */
	struct admin_response resp;
	const char *fields[12];
};

static void req_free(void *p)
{
	struct admin_req *st = p;

	if (!st)
		return;
	admin_response_clear(&st->resp);
	free(st);
}

/* ---- who is asking ---------------------------------------------------- */

/* A client certificate chaining to admin-client-ca: 1, actor filled. */
static int auth_cert(struct admin_listener *a, const struct request *r, struct admin_req *st)
{
	struct sztp_err e = {SZTP_OK, ""};
	char dn[ADMIN_WHO_MAX - 8];

	if (!a->client_ca || !r->n_peer_certs)
		return 0;
	if (pki_trust_verify(a->client_ca, r->peer_certs, r->n_peer_certs, PKI_OID_KP_CLIENT_AUTH,
			     0, &e) != SZTP_OK ||
	    pki_cert_subject(&r->peer_certs[0], dn, sizeof(dn), &e) != SZTP_OK) {
		snprintf(st->reason, sizeof(st->reason), "client certificate: %.130s", e.msg);
		return 0;
	}
	snprintf(st->actor.who, sizeof(st->actor.who), "cert:%s", dn);
	st->actor.scope = a->client_scope;
	return 1;
}

static void authenticate(struct admin_listener *a, const struct request *r, struct admin_req *st)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct admin_actor actor;
	sztp_rc rc;

	if (auth_cert(a, r, st) || !r->authorization)
		return;
	memset(&actor, 0, sizeof(actor));
	rc = admin_auth_bearer(&a->ctx, r->authorization, &actor, &e);
	/* the registry, not the token (a failover under way) */
	st->unavailable = rc == SZTP_E_UNAVAILABLE;
	if (rc == SZTP_OK && actor.scope != ADMIN_SCOPE_NONE) {
		st->actor = actor;
		st->reason[0] = '\0';
		return;
	}
	snprintf(st->reason, sizeof(st->reason), "%.150s",
		 e.msg[0] ? e.msg : "bearer token refused");
}

/* http_listener.admit: 1 when someone is authenticated (their body is
 * read), 0 for nobody (read and dropped). */
static int admin_admit(struct server *s, struct request *r)
{
	struct admin_req *st = calloc(1, sizeof(*st));

	if (!st)
		return 0; /* admin_serve answers 500 */
	r->pending = st;
	r->pending_free = req_free;
	authenticate(s->admin, r, st);
	return st->actor.scope != ADMIN_SCOPE_NONE;
}

/* ---- answers ---------------------------------------------------------- */

/* JSON string contents (RFC 8259 s7) of a message made here. */
static void json_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 7 < len; in++) {
		unsigned char c = (unsigned char)*in;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

/* An RFC 9457 problem decided here, with the members admin.c writes. */
static void problem(struct request *r, int status, const char *slug, const char *title,
		    const char *detail)
{
	char esc[SZTP_ERR_MSG_MAX * 2];
	char *body = NULL;
	int n;

	json_escape(detail, esc, sizeof(esc));
	n = asprintf(&body,
		     "{\"type\":\"urn:sztp:problem:%s\",\"title\":\"%s\",\"status\":%d,"
		     "\"detail\":\"%s\"}",
		     slug, title, status, esc);
	free(r->resp_body);
	r->status = status;
	r->resp_type = PROBLEM_TYPE;
	r->resp_body = n < 0 ? NULL : body;
	r->resp_len = n < 0 ? 0 : (size_t)n;
	r->cache_control = "no-store";
}

/* http_listener.refuse: the head itself was refused (http.c). */
static void admin_refuse(struct request *r, sztp_rc rc, const char *msg)
{
	if (rc == SZTP_E_TOO_BIG)
		problem(r, 413, "too-large", "Content Too Large", msg);
	else
		problem(r, 400, "malformed-request", "Bad Request", msg);
}

/* admin_handle's response into r: status, body (handed over), fields. */
static void respond(struct request *r, struct admin_req *st)
{
	struct admin_response *resp = &st->resp;
	size_t n = 0;

	r->status = resp->status;
	r->resp_type = resp->content_type;
	r->resp_body = resp->body;
	r->resp_len = resp->body_len;
	resp->body = NULL;
	resp->body_len = 0;
	r->cache_control = "no-store";
	if (resp->allow[0])
		r->allow = resp->allow;
	if (resp->etag[0]) {
		st->fields[n++] = "ETag";
		st->fields[n++] = resp->etag;
	}
	if (resp->location[0]) {
		st->fields[n++] = "Location";
		st->fields[n++] = resp->location;
	}
	if (resp->status == 401) { /* RFC 6750 s3 */
		st->fields[n++] = "WWW-Authenticate";
		st->fields[n++] = "Bearer realm=\"sztpd\"";
	}
	st->fields[n] = NULL;
	r->resp_fields = st->fields;
}

static int is_read(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

/* The size a too big body was announced with (chunked: just over the cap). */
static size_t too_big_len(struct request *r, size_t max)
{
	const char *cl = r->field ? r->field(r, "Content-Length") : NULL;
	unsigned long long v = cl ? strtoull(cl, NULL, 10) : 0;

	return v > max ? (size_t)v : max + 1;
}

/* ---- health (no authentication: load balancers and orchestrators) ------ */

/* The probes and /metrics take GET or HEAD without a query: 1 when r is
 * one, else r is answered 405 or 400. */
static int plain_get(struct request *r)
{
	if (!is_read(r->method)) {
		problem(r, 405, "method-not-allowed", "Method Not Allowed",
			"only GET and HEAD are allowed here");
		r->allow = "GET, HEAD";
		return 0;
	}
	if (r->query && *r->query) {
		problem(r, 400, "malformed-request", "Bad Request", "no query parameters here");
		return 0;
	}
	return 1;
}

/* One readiness check into the JSON members at *o. */
static void check_add(char *buf, size_t len, size_t *o, int *ok, const char *name, const char *why)
{
	char esc[SZTP_ERR_MSG_MAX * 2];

	json_escape(why ? why : "ok", esc, sizeof(esc));
	if (*o < len)
		*o += (size_t)snprintf(buf + *o, len - *o, "%s\"%s\":\"%s\"", *o > 1 ? "," : "",
				       name, esc);
	if (why)
		*ok = 0;
}

/* GET /readyz: the registry is in place, answers and takes a write, the owner identity
 * ("default") is there with a usable key file, the device port's server
 * certificate has not expired.  200 or 503, with each check's outcome. */
static void readyz(struct admin_listener *a, struct request *r)
{
	struct reg_owner o = {0};
	struct pki_tls_info ti;
	struct sztp_err e = {0};
	char why[SZTP_ERR_MSG_MAX], checks[3 * SZTP_ERR_MSG_MAX * 2 + 64], *body = NULL;
	const char *reg_why = NULL, *owner_why = NULL;
	size_t n = 0;
	int ok = 1, len;
	sztp_rc rc;

	checks[n++] = '{';
	checks[n] = '\0';
	rc = reg_owner_get(a->reg, "default", &o, &e);
	/* no path or library text to a caller without credentials: the log
	 * has the detail (docs/security.md) */
	if (!server_ready(a->s, why, sizeof(why))) {
		log_warn("admin: /readyz: registry: %s", why);
		reg_why = reg_is_postgresql(a->s->cfg.database)
			      ? "the registry does not answer"
			      : "the registry file was deleted or replaced under sztpd";
	} else if (rc != SZTP_OK && rc != SZTP_E_NOT_FOUND) {
		reg_why = "the registry does not answer";
	} else if (reg_write_probe(a->reg, &e) != SZTP_OK) {
		log_warn("admin: /readyz: registry: %s", e.msg);
		reg_why = "the registry cannot be written";
	}
	check_add(checks, sizeof(checks), &n, &ok, "registry", reg_why);
	if (rc == SZTP_E_NOT_FOUND)
		owner_why = "no owner identity is set";
	else if (rc != SZTP_OK)
		owner_why = "cannot be read from the registry";
	else if (pki_key_file_check(o.key_path, &e) != SZTP_OK)
		owner_why = "its key file cannot be used";
	check_add(checks, sizeof(checks), &n, &ok, "owner", owner_why);
	reg_owner_clear(&o);
	pki_tls_creds_info(a->s->tls, &ti); /* the device port's (both, with tls-alt-cert) */
	check_add(checks, sizeof(checks), &n, &ok, "certificate",
		  ti.not_after && ti.not_after <= time(NULL) ? "the server certificate has expired"
		  : ti.alt.not_after && ti.alt.not_after <= time(NULL)
		      ? "the second server certificate (tls-alt-cert) has expired"
		      : NULL);
	if (n < sizeof(checks) - 1) {
		checks[n++] = '}';
		checks[n] = '\0';
	}
	len = asprintf(&body, "{\"status\":\"%s\",\"checks\":%s}", ok ? "ready" : "not-ready",
		       checks);
	if (!ok)
		log_warn("admin: /readyz: not ready: %s", checks);
	r->status = ok ? 200 : 503;
	r->resp_type = "application/json";
	r->resp_body = len < 0 ? NULL : body;
	r->resp_len = len < 0 ? 0 : (size_t)len;
	r->cache_control = "no-store";
	if (!ok)
		r->res.retry_after = SERVER_RETRY_AFTER_S;
}

/* /healthz and /readyz (GET or HEAD): 1 when r was one and is answered. */
static int health(struct admin_listener *a, struct request *r)
{
	const char *p = r->raw_path ? r->raw_path : "";

	if (strcmp(p, "/healthz") && strcmp(p, "/readyz"))
		return 0;
	r->endpoint = "health";
	if (!plain_get(r))
		return 1;
	if (!strcmp(p, "/readyz")) {
		readyz(a, r);
		return 1;
	}
	r->status = 200;
	r->resp_type = "application/json";
	r->resp_body = strdup("{\"status\":\"alive\"}");
	r->resp_len = r->resp_body ? strlen(r->resp_body) : 0;
	r->cache_control = "no-store";
	return 1;
}

/* GET /metrics: the Prometheus exposition, for any authenticated scope
 * (a scraper's read token or admin client certificate). */
static void metrics(struct admin_listener *a, struct request *r, struct admin_req *st)
{
	struct sztp_err e = {0};
	char *body = NULL;
	size_t len = 0;

	r->endpoint = "metrics";
	if (st->actor.scope == ADMIN_SCOPE_NONE) {
		problem(r, 401, "unauthorized", "Unauthorized",
			"a bearer token or an admin client certificate is needed");
		st->fields[0] = "WWW-Authenticate";
		st->fields[1] = "Bearer realm=\"sztpd\"";
		st->fields[2] = NULL;
		r->resp_fields = st->fields;
		return;
	}
	if (!plain_get(r))
		return;
	if (metrics_render(a->s->metrics, a->s, a->reg, &body, &len, &e) != SZTP_OK) {
		problem(r, 500, "internal", "Internal Server Error", "out of memory");
		return;
	}
	r->status = 200;
	r->resp_type = "text/plain; version=0.0.4; charset=utf-8";
	r->resp_body = body;
	r->resp_len = len;
	r->cache_control = "no-store";
}

/* http_listener.handle */
static void admin_serve(struct server *s, struct request *r)
{
	struct admin_listener *a = s->admin;
	struct admin_req *st = r->pending;
	struct admin_request req;
	char why[SZTP_ERR_MSG_MAX - 64];

	r->endpoint = "admin";
	r->res.record = 0;
	if (health(a, r))
		return;
	if (!st) {
		problem(r, 500, "internal", "Internal Server Error", "out of memory");
		return;
	}
	if (st->unavailable) {
		log_err("admin: %s %s refused: the bearer token cannot be checked: %s", r->method,
			r->raw_path, st->reason);
		problem(r, 503, "unavailable", "Service Unavailable",
			"the registry cannot be used now");
		r->res.retry_after = SERVER_RETRY_AFTER_S;
		return;
	}
	if (r->raw_path && !strcmp(r->raw_path, "/metrics")) {
		metrics(a, r, st);
		return;
	}
	/* a write into a registry file that is gone would be lost */
	if (st->actor.scope != ADMIN_SCOPE_NONE && !is_read(r->method) &&
	    !server_ready(s, why, sizeof(why))) {
		log_err("admin: %s %s refused: %s", r->method, r->raw_path, why);
		problem(r, 503, "unavailable", "Service Unavailable",
			"the registry cannot be used now");
		r->res.retry_after = SERVER_RETRY_AFTER_S;
		return;
	}
	memset(&req, 0, sizeof(req));
	req.method = r->method;
	req.path = r->raw_path;
	req.query = r->query;
	req.content_type = r->content_type;
	req.accept = r->accept;
	req.if_match = r->field(r, "If-Match");
	req.if_none_match = r->field(r, "If-None-Match");
	req.actor = &st->actor;
	req.peer = r->peer;
	if (r->body_too_big) { /* never stored: admin_handle answers 413 */
		req.body = NULL;
		req.body_len = too_big_len(r, a->ctx.max_body);
	} else {
		req.body = (const uint8_t *)r->body;
		req.body_len = r->body_len;
	}
	admin_handle(&a->ctx, &req, &st->resp);
	respond(r, st);
}

/* http_listener.audit: one line per admin request. */
static void admin_audit_line(struct server *s, struct request *r, int64_t duration_us)
{
	struct admin_req *st = r->pending;
	char q1[ADMIN_WHO_MAX + 16], q2[512], q3[64], q4[REASON_MAX * 2];
	const char *who = st && st->actor.who[0] ? st->actor.who : "-";
	const char *reason = st ? st->reason : "";

	metrics_request(s->metrics, "admin", r->endpoint, r->status, NULL, NULL, duration_us);
	/* a load balancer probing every second would drown the audit trail */
	if (r->endpoint && !strcmp(r->endpoint, "health") && r->status == 200)
		return;
	log_info("admin-audit actor=%s peer=%s method=%s path=%s status=%d duration_us=%lld%s%s",
		 log_kv_quote(who, q1, sizeof(q1)), r->peer,
		 log_kv_quote(r->method, q3, sizeof(q3)),
		 log_kv_quote(r->raw_path ? r->raw_path : "-", q2, sizeof(q2)), r->status,
		 (long long)duration_us, r->status == 401 && reason[0] ? " reason=" : "",
		 r->status == 401 && reason[0] ? log_kv_quote(reason, q4, sizeof(q4)) : "");
}

/* ---- files ------------------------------------------------------------- */

static sztp_rc load_trust(const char *key, const char *path, struct pki_trust **out,
			  struct sztp_err *e)
{
	sztp_rc rc = pki_trust_load(path, out, e);

	if (rc != SZTP_OK) {
		char msg[SZTP_ERR_MSG_MAX];
		snprintf(msg, sizeof(msg), "%s", e->msg);
		sztp_err_set(e, rc, "%s %s: %s", key, path, msg);
	}
	return rc;
}

static sztp_rc load_tls(struct admin_listener *a, const struct config *cfg, struct sztp_err *e)
{
	struct pki_tls_info in;
	char fp[32 * 3];
	sztp_rc rc;

	if (!cfg->admin_cert && !cfg->admin_key) { /* the device port's, reloaded with it */
		a->tls = a->s->tls;
		return SZTP_OK;
	}
	if (!cfg->admin_cert || !cfg->admin_key)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "admin-cert and admin-key go together (set both, or neither "
				    "to use tls-cert and tls-key)");
	rc = pki_tls_creds_load_named("admin", cfg->admin_cert, cfg->admin_key, &a->tls, e);
	if (rc != SZTP_OK)
		return rc;
	a->own_tls = 1;
	pki_tls_creds_info(a->tls, &in);
	hex_colon(in.sha256, sizeof(in.sha256), fp);
	log_info("admin: certificate %s, sha256 %s", in.subject, fp);
	return SZTP_OK;
}

static sztp_rc load_openapi(struct admin_listener *a, const struct config *cfg, struct sztp_err *e)
{
	if (cfg->admin_openapi) {
		if (access(cfg->admin_openapi, R_OK) != 0)
			return sztp_err_set(e, SZTP_E_IO, "admin-openapi %s: cannot be read",
					    cfg->admin_openapi);
		snprintf(a->openapi, sizeof(a->openapi), "%s", cfg->admin_openapi);
		return SZTP_OK;
	}
	config_openapi_default(a->openapi, sizeof(a->openapi));
	if (access(a->openapi, R_OK) != 0) {
		log_warn("admin: no OpenAPI document at %s (set admin-openapi): GET %s answers "
			 "404",
			 a->openapi, ADMIN_PREFIX);
		a->openapi[0] = '\0';
	}
	return SZTP_OK;
}

static sztp_rc load_files(struct admin_listener *a, int check, struct sztp_err *e)
{
	const struct config *cfg = &a->s->cfg;
	sztp_rc rc;

	rc = load_tls(a, cfg, e);
	if (rc == SZTP_OK && cfg->admin_client_ca)
		rc = load_trust("admin-client-ca", cfg->admin_client_ca, &a->client_ca, e);
	/* the same file for the TLS layer (the CAs a client is asked for) */
	if (rc == SZTP_OK && cfg->admin_client_ca && !check)
		rc = file_read(cfg->admin_client_ca, CA_PEM_MAX, &a->client_ca_pem, e);
	if (rc == SZTP_OK && cfg->masa_ca)
		rc = load_trust("masa-ca", cfg->masa_ca, &a->masa, e);
	if (rc == SZTP_OK)
		rc = load_openapi(a, cfg, e);
	return rc;
}

/* Would both listeners bind one address (a wildcard covers every other)? */
static int shares_address(const struct config *cfg)
{
	static const char *const any[] = {"::", "0.0.0.0", "::ffff:0.0.0.0"};
	size_t i;

	for (i = 0; i < sizeof(any) / sizeof(any[0]); i++)
		if (!strcmp(cfg->listen_address, any[i]) ||
		    !strcmp(cfg->admin_listen_address, any[i]))
			return 1;
	return !strcmp(cfg->listen_address, cfg->admin_listen_address);
}

sztp_rc admin_listener_open(struct server *s, int check, struct admin_listener **out,
			    struct sztp_err *e)
{
	struct admin_listener *a = NULL;
	const struct config *cfg = &s->cfg;
	sztp_rc rc = SZTP_E_NOMEM;

	*out = NULL;
	if (!cfg->admin_port)
		return SZTP_OK; /* opened only when the operator asks for it */
	if (cfg->admin_port == cfg->port && shares_address(cfg)) {
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
				  "admin-port %d is the device port: the admin API needs a port "
				  "of its own",
				  cfg->admin_port);
		goto out;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	a->s = s;
	a->client_scope =
	    cfg->admin_client_scope == CONFIG_SCOPE_READ ? ADMIN_SCOPE_READ : ADMIN_SCOPE_WRITE;
	rc = load_files(a, check, e);
	if (rc != SZTP_OK)
		goto out;
	a->ctx.y = s->yang;
	a->ctx.masa = a->masa;
	snprintf(a->ctx.masa_name, sizeof(a->ctx.masa_name), "%s",
		 cfg->masa_ca ? cfg->masa_ca : "");
	a->ctx.openapi_path = a->openapi[0] ? a->openapi : NULL;
	a->ctx.max_body = (size_t)cfg->admin_max_body;
	a->ctx.password_cost = (unsigned)cfg->password_cost;
	if (!check) {
		*out = a;
		a = NULL;
	}
out:
	admin_listener_free(a);
	return rc;
}

size_t admin_listener_files(const struct admin_listener *a, const char **out, size_t max)
{
	const struct config *cfg = &a->s->cfg;
	const char *f[] = {cfg->admin_cert, cfg->admin_key, cfg->admin_client_ca, cfg->masa_ca,
			   a->openapi[0] ? a->openapi : NULL};
	size_t i, n = 0;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i] && n < max)
			out[n++] = f[i];
	return n;
}

sztp_rc admin_listener_start(struct admin_listener *a, int listen_fd, struct sztp_err *e)
{
	struct server *s = a->s;
	struct http_listener l;
	sztp_rc rc;

	rc = reg_open_existing(s->cfg.database, &a->reg, e);
	if (rc != SZTP_OK)
		return rc;
	a->ctx.reg = a->reg;
	a->ctx.y = s->yang;
	memset(&l, 0, sizeof(l));
	l.name = "admin";
	l.address = s->cfg.admin_listen_address;
	l.port = s->cfg.admin_port;
	l.tls_creds = a->tls;
	l.tls_trust = a->client_ca_pem.data ? (const char *)a->client_ca_pem.data : NULL;
	l.tls_priority = s->cfg.tls_priority;
	l.listen_fd = listen_fd;
	l.threads = (unsigned)s->cfg.admin_threads;
	http_limits_from_config(&s->cfg, &l.limits);
	l.limits.max_body = (size_t)s->cfg.admin_max_body;
	l.handle = admin_serve;
	l.refuse = admin_refuse;
	l.admit = admin_admit;
	l.audit = admin_audit_line;
	return http_listen(s, &l, &a->h, e);
}

void admin_listener_reload(struct admin_listener *a)
{
	const struct config *cfg;
	struct sztp_err e = {SZTP_OK, ""};
	struct pki_tls_info in;
	char fp[32 * 3];

	if (!a)
		return;
	cfg = &a->s->cfg;
	if (a->own_tls) {
		if (pki_tls_creds_reload(a->tls, cfg->admin_cert, cfg->admin_key, &e) != SZTP_OK) {
			log_err("reload: keeping the admin certificate in use: %s", e.msg);
		} else {
			pki_tls_creds_info(a->tls, &in);
			hex_colon(in.sha256, sizeof(in.sha256), fp);
			log_info("reload: admin certificate %s, sha256 %s (generation %u)",
				 in.subject, fp, in.generation);
		}
	}
	if (a->client_ca &&
	    pki_trust_reload(a->client_ca, cfg->admin_client_ca, NULL, 0, &e) != SZTP_OK)
		log_err("reload: keeping the admin client CA in use: %s", e.msg);
	else if (a->client_ca)
		log_info("reload: admin client CA from %s", cfg->admin_client_ca);
	if (a->masa && pki_trust_reload(a->masa, cfg->masa_ca, NULL, 0, &e) != SZTP_OK)
		log_err("reload: keeping the voucher anchor (masa-ca) in use: %s", e.msg);
	else if (a->masa)
		log_info("reload: voucher anchor from %s", cfg->masa_ca);
}

void admin_listener_stop(struct admin_listener *a)
{
	if (!a)
		return;
	http_stop(a->h);
	a->h = NULL;
}

void admin_listener_free(struct admin_listener *a)
{
	if (!a)
		return;
	http_stop(a->h); /* NULL: nothing */
	reg_close(a->reg);
	if (a->own_tls)
		pki_tls_creds_free(a->tls);
	pki_trust_free(a->client_ca);
	pki_trust_free(a->masa);
	sztp_bytes_free(&a->client_ca_pem);
	free(a);
}
