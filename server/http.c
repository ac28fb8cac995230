/*
 * http.c - HTTPS for sztpd: libmicrohttpd with GnuTLS, epoll and a thread
 * pool of one thread per core (libraries.md s3), TLS 1.3 and 1.2.  A
 * request whose answer waits for another thread (a progress report
 * waiting for its commit) is set aside with MHD's suspend/resume, so a
 * worker never blocks.  The
 * client certificate is requested, not required, so devices may use HTTP
 * Basic instead (RFC 8572 s5.3); identity.c enforces authentication.
 * Bodies are capped (413), the TLS client chain is handed on as DER, and
 * one key=value audit line is written per request when it completes.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdatomic.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http.h"
#include "journal.h"
#include "log.h"
#include "registry.h"
#include "restconf.h"
#include "server.h"
#include "util.h"

#define MAX_PEER_CERTS 8
#define MAX_PEM	       (1024 * 1024)
/* Of an oversized body, at most this much is read (and dropped) so that
 * the client gets its 413; past it the connection is closed. */
#define DISCARD_MAX (16 * 1024 * 1024)

struct http {
	struct server *s;
	struct MHD_Daemon *d;
	sztp_bytes key, cert, trust;
	/* connections set aside by defer() whose resume() has not been
	 * called yet: MHD must not be stopped while there are any */
	atomic_int parked;
	atomic_int stopping;
};

struct ctx {
	struct request r; /* first: defer/resume get back to the ctx from it */
	struct http *h;
	struct MHD_Connection *conn;
	int deferred; /* set aside; answered by whoever calls resume() */
	char *body;
	size_t len, cap;
	size_t discarded; /* bytes of an oversized body read and dropped */
	sztp_bytes certs[MAX_PEER_CERTS];
	char url[512];
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void peer_address(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, len, "-");
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)len);
	else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)len);
		else
			inet_ntop(AF_INET6, a, out, (socklen_t)len);
	}
}

/* The chain the device sent in TLS, as DER (leaf first), borrowed from
 * the session. */
static void peer_certs(struct MHD_Connection *c, struct ctx *x)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);

	if (!ci || !ci->tls_session)
		return;
	x->r.n_peer_certs = pki_tls_peer_chain(ci->tls_session, x->certs, MAX_PEER_CERTS);
	x->r.peer_certs = x->r.n_peer_certs ? x->certs : NULL;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result respond(struct MHD_Connection *c, struct request *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(
	    r->resp_len, r->resp_body ? r->resp_body : (void *)"",
	    r->resp_body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	r->resp_body = NULL; /* owned by the response now */
	if (r->resp_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->resp_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-cache"); /* RFC 8040 s5.5 */
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->www_authenticate)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"sztp\"");
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int expects_continue(struct MHD_Connection *c)
{
	const char *v = header(c, MHD_HTTP_HEADER_EXPECT);

	return v && !strcasecmp(v, "100-continue");
}

static int declared_too_big(struct MHD_Connection *c, size_t max)
{
	const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return cl && strtoull(cl, NULL, 10) > max;
}

/* request.h: set the connection aside until resume().  0 while stopping:
 * the handler then answers before returning. */
static int defer(struct request *r)
{
	struct ctx *x = (struct ctx *)r;

	atomic_fetch_add(&x->h->parked, 1);
	if (atomic_load(&x->h->stopping)) {
		atomic_fetch_sub(&x->h->parked, 1);
		return 0;
	}
	x->deferred = 1;
	MHD_suspend_connection(x->conn);
	return 1;
}

/* Any thread, once the answer is in r; the worker then sends it. */
static void resume(struct request *r)
{
	struct ctx *x = (struct ctx *)r;
	struct http *h = x->h; /* x may be gone once the connection runs again */

	MHD_resume_connection(x->conn);
	atomic_fetch_sub(&h->parked, 1);
}

static void request_setup(struct server *s, struct MHD_Connection *c, struct ctx *x,
			  const char *url, const char *method)
{
	x->conn = c;
	x->r.defer = defer;
	x->r.resume = resume;
	x->r.start_us = now_us();
	snprintf(x->url, sizeof(x->url), "%s", url);
	x->r.url = x->url;
	x->r.method = method;
	x->r.content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	x->r.accept = header(c, MHD_HTTP_HEADER_ACCEPT);
	x->r.authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	peer_address(c, x->r.peer, sizeof(x->r.peer));
	peer_certs(c, x);
	(void)s;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct server *s = h->s;
	struct ctx *x = *con_cls;
	size_t max = (size_t)s->cfg.max_body;

	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x)
			return MHD_NO;
		x->h = h;
		*con_cls = x;
		request_setup(s, c, x, url, method);
		if (!declared_too_big(c, max))
			return MHD_YES;
		x->r.body_too_big = 1;
		/* A client that waits for 100 Continue is answered at once.  One
		 * that sends its body regardless would get a reset instead of
		 * the 413 if the connection closed under it: read and drop the
		 * body (up to DISCARD_MAX), then answer. */
		if (!expects_continue(c))
			return MHD_YES;
		restconf_handle(s, &x->r);
		return respond(c, &x->r);
	}
	if (*upload_size && x->r.body_too_big) {
		x->discarded += *upload_size;
		*upload_size = 0;
		return x->discarded > DISCARD_MAX ? MHD_NO : MHD_YES; /* MHD_NO: close */
	}
	if (*upload_size) {
		if (!x->r.body_too_big && x->len + *upload_size <= max) {
			if (x->len + *upload_size + 1 > x->cap) {
				size_t cap = x->cap ? x->cap : 4096;
				char *nb;
				while (cap < x->len + *upload_size + 1)
					cap *= 2;
				if (cap > max + 1)
					cap = max + 1;
				nb = realloc(x->body, cap);
				if (!nb)
					return MHD_NO;
				x->body = nb;
				x->cap = cap;
			}
			memcpy(x->body + x->len, upload_data, *upload_size);
			x->len += *upload_size;
			x->body[x->len] = '\0';
		} else {
			x->r.body_too_big = 1;
			x->discarded = x->len + *upload_size;
			free(x->body);
			x->body = NULL;
			x->len = x->cap = 0;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (x->deferred) { /* resumed: the answer is ready */
		x->deferred = 0;
		return respond(c, &x->r);
	}
	if (x->r.status) /* already answered (oversized) */
		return MHD_YES;
	x->r.body = x->body ? x->body : "";
	x->r.body_len = x->len;
	restconf_handle(s, &x->r);
	if (x->deferred)
		return MHD_YES; /* set aside; called again after resume() */
	return respond(c, &x->r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct server *s = ((struct http *)cls)->s;
	struct ctx *x = *con_cls;
	char q1[160], q2[SZTP_ERR_MSG_MAX + 8];
	int64_t dur;

	if (!x)
		return;
	dur = now_us() - x->r.start_us;
	if (x->r.status) {
		const struct result *res = &x->r.res;
		log_info("audit serial=%s peer=%s method=%s endpoint=%s result=%s status=%d "
			 "duration_us=%lld%s%s",
			 x->r.serial[0] ? log_kv_quote(x->r.serial, q1, sizeof(q1)) : "-",
			 x->r.peer, x->r.method, x->r.endpoint ? x->r.endpoint : "-",
			 res->outcome[0] ? res->outcome : "-", x->r.status, (long long)dur,
			 res->err.msg[0] ? " reason=" : "",
			 res->err.msg[0] ? log_kv_quote(res->err.msg, q2, sizeof(q2)) : "");
		/* the bootstrapping log: as the handler's result says */
		if (s->cfg.bootstrap_log && res->record) {
			struct reg_log l;
			memset(&l, 0, sizeof(l));
			snprintf(l.serial, sizeof(l.serial), "%s", x->r.serial);
			l.time = time(NULL);
			snprintf(l.peer, sizeof(l.peer), "%s", x->r.peer);
			snprintf(l.endpoint, sizeof(l.endpoint), "%s", x->r.endpoint);
			snprintf(l.result, sizeof(l.result), "%s",
				 res->outcome[0] ? res->outcome : "-");
			l.status = x->r.status;
			l.duration_us = dur;
			journal_log(s->journal, &l);
		}
	}
	if (x->r.pending_free)
		x->r.pending_free(x->r.pending);
	free(x->r.resp_body);
	free(x->r.res.body);
	free(x->body);
	free(x);
	*con_cls = NULL;
}

static sztp_rc read_tls(struct server *s, struct http *h, struct sztp_err *e)
{
	sztp_rc rc;

	/* the certificate and key: s->tls, served per handshake (SIGHUP) */
	if (!s->tls)
		return sztp_err_set(e, SZTP_E_INTERNAL, "no TLS credentials loaded");
	if (s->client_ca_pem.data) { /* read by main before dropping root; with its NUL */
		rc = sztp_bytes_dup(&h->trust, s->client_ca_pem.data, s->client_ca_pem.len + 1);
		if (rc != SZTP_OK)
			return sztp_err_set(e, rc, "out of memory");
		h->trust.len = s->client_ca_pem.len;
	} else
		rc = file_read(s->cfg.client_ca, MAX_PEM, &h->trust, e);
	return rc;
}

static void http_free(struct http *h)
{
	if (!h)
		return;
	sztp_bytes_wipe(&h->key);
	sztp_bytes_free(&h->cert);
	sztp_bytes_free(&h->trust);
	free(h);
}

sztp_rc http_check_tls(struct server *s, struct sztp_err *e)
{
	struct http *h = calloc(1, sizeof(*h));
	sztp_rc rc;

	if (!h)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	rc = read_tls(s, h, e);
	http_free(h);
	return rc;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t l;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	l = strlen(buf);
	while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
		buf[--l] = '\0';
	log_debug("mhd: %s", buf);
}

/* The cores this process may run on (taskset, cpusets), not the machine's. */
static unsigned usable_cpus(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

sztp_rc http_start(struct server *s, struct http **out, struct sztp_err *e)
{
	struct addrinfo hints, *ai = NULL;
	struct http *h = calloc(1, sizeof(*h));
	unsigned flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	unsigned threads = (unsigned)s->cfg.threads;
	char port[8];
	sztp_rc rc;
	int gai;

	if (!h)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	h->s = s;
	rc = read_tls(s, h, e);
	if (rc != SZTP_OK)
		goto fail;
	if (!threads)
		threads = usable_cpus(); /* workers never wait: one per core */
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", s->cfg.port);
	gai = getaddrinfo(s->cfg.listen_address, port, &hints, &ai);
	if (gai) {
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "listen-address '%s': %s",
				  s->cfg.listen_address, gai_strerror(gai));
		goto fail;
	}
	if (ai->ai_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		if (IN6_IS_ADDR_UNSPECIFIED(
			&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr))
			flags |= MHD_USE_DUAL_STACK;
	}
	h->d = MHD_start_daemon(
	    flags, (uint16_t)s->cfg.port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
	    ai->ai_addr, MHD_OPTION_LISTEN_SOCKET,
	    (MHD_socket)(s->listen_fd >= 0 ? s->listen_fd : MHD_INVALID_SOCKET),
	    MHD_OPTION_HTTPS_CERT_CALLBACK, pki_tls_creds_callback(s->tls),
	    MHD_OPTION_HTTPS_MEM_TRUST, (const char *)h->trust.data, MHD_OPTION_HTTPS_PRIORITIES,
	    s->cfg.tls_priority, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)s->cfg.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)s->cfg.connection_timeout, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!h->d) {
		/* TLS material, priority and the port were checked before */
		rc = sztp_err_set(e, SZTP_E_IO,
				  "libmicrohttpd could not start on [%s]:%d (log-level = debug "
				  "shows its reason)",
				  s->cfg.listen_address, s->cfg.port);
		goto fail;
	}
	log_info("listening on [%s]:%d, %u threads", s->cfg.listen_address, s->cfg.port, threads);
	*out = h;
	return SZTP_OK;
fail:
	http_free(h);
	return rc;
}

static unsigned open_connections(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return i ? i->num_connections : 0;
}

/* Graceful: stop accepting, let the journal answer the requests waiting
 * for a commit (MHD must not stop with connections set aside), give the
 * requests in flight up to STOP_GRACE_MS to finish, then close the rest. */
#define STOP_GRACE_MS 1000
void http_stop(struct http *h)
{
	MHD_socket lsock = MHD_INVALID_SOCKET;
	int waited_ms = 0;

	if (!h)
		return;
	if (h->d)
		lsock = MHD_quiesce_daemon(h->d);
	atomic_store(&h->stopping, 1);
	while (atomic_load(&h->parked) > 0) {
		if (waited_ms++ == 10000)
			log_warn("stopping: still waiting for %d stored report(s)",
				 atomic_load(&h->parked));
		usleep(1000);
	}
	for (waited_ms = 0; h->d && waited_ms < STOP_GRACE_MS && open_connections(h->d) > 0;
	     waited_ms += 10)
		usleep(10000);
	if (h->d)
		MHD_stop_daemon(h->d);
	if (lsock != MHD_INVALID_SOCKET)
		close(lsock);
	http_free(h);
}
