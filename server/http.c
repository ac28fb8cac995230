/*
 * http.c - HTTPS for sztpd: libmicrohttpd with GnuTLS, epoll and a thread
 * pool of one thread per core (libraries.md s3), TLS 1.3 and 1.2.  A
 * request whose answer waits for another thread (a progress report
 * waiting for its commit) is set aside with MHD's suspend/resume, so a
 * worker never blocks.  The client certificate is requested, not
 * required, so devices may use HTTP Basic instead (RFC 8572 s5.3);
 * identity.c enforces authentication.  Bodies are capped (413), the TLS
 * client chain is handed on as DER, and one key=value audit line is
 * written per request when it completes.
 *
 * What a client may hold (http.h's struct http_limits, the same for every
 * listener): connections in total and per address (MHD's limits), and time.
 * MHD's connection timeout is an idle timeout, so a client sending a byte
 * now and then would keep a connection forever; here each connection is
 * tracked from MHD's connect notification (its socket, its phase) and a
 * reaper thread shuts down the socket of one whose request is not complete
 * by its deadline.  MHD then sees the connection end and closes it in its
 * own thread.  Phase changes and the reaper share one mutex, so a request
 * is either handled or cut, never both: a request that is being handled
 * (a report being stored) is never cut, and one that was cut is never
 * handled.  MHD announces a connection's end before closing its socket, so
 * the reaper never shuts down a descriptor that was reused.
 *
 * Heads: MHD decodes the target in place (a %00 ends the string early) and
 * takes the first of several Content-Length fields, so the raw target
 * (URI log callback) and the raw fields are checked here, for every
 * listener, before the listener's service sees the request.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "registry.h"
#include "event.h"
#include "journal.h"
#include "restconf.h"
#include "server.h"
#include "util.h"

#define MAX_PEER_CERTS 8
#define MAX_PEM	       (1024 * 1024)
/* Of an oversized body, at most this much is read (and dropped) so that
 * the client gets its 413; past it the connection is closed. */
#define DISCARD_MAX (16 * 1024 * 1024)
/* MHD's memory per connection, which the request head (request line and
 * fields) must fit: beyond it MHD itself answers 414 or 431.  Set here, not
 * left to MHD's default, so a library upgrade does not move it. */
#define HEAD_MEMORY    (32 * 1024)
#define REAPER_TICK_MS 100
/* On stop: how long requests already arriving may take to complete and
 * be answered; then how long answers of requests being handled may take
 * to be sent (a report stored is always answered unless its client does
 * not read). */
#define STOP_GRACE_MS  1000
#define STOP_ANSWER_MS 10000

enum conn_phase {
	C_RECEIVING, /* TLS handshake or a request arriving: deadline */
	C_ANSWERING, /* a complete request being handled or answered */
	C_IDLE,	     /* kept alive between requests: deadline for the next */
	C_CUT,	     /* socket shut down here; MHD closes the connection */
};

/* One TCP connection (MHD's socket context), in h->conns. */
struct conn {
	struct conn *prev, *next;
	MHD_socket fd;
	enum conn_phase phase;
	int64_t deadline_us;
	char peer[64];
};

struct http {
	struct server *s;
	struct http_listener l;
	struct MHD_Daemon *d;
	MHD_socket lsock; /* after MHD_quiesce_daemon: ours to close */
	sztp_bytes key, cert, trust;
	pthread_mutex_t mu;	/* everything below */
	pthread_cond_t changed; /* a connection ended, an answer was sent or resumed */
	pthread_cond_t tick;	/* the reaper's: quit */
	pthread_t reaper;
	int reaper_running;
	struct conn *conns;
	unsigned answering; /* requests in C_ANSWERING (their on_completed not run) */
	unsigned parked;    /* of those, set aside and not resumed yet */
	int quit;	    /* the reaper's */
	unsigned cut_slow;  /* connections cut at their request deadline, not logged yet */
	char cut_peer[64];  /* the last of them */
	int64_t cut_logged_us;
	atomic_int stopping; /* answers say Connection: close */
	int closing;	     /* no request is handled any more */
	int tls_watch;	     /* two server certificates: each handshake's hello is watched */
};

struct ctx {
	struct request r; /* first: defer/resume get back to the ctx from it */
	struct http *h;
	struct MHD_Connection *conn;
	struct conn *k; /* the TCP connection's tracking (NULL: none) */
	int seen;	/* on_request has been called */
	int counted;	/* in h->answering */
	int deferred;	/* set aside; answered by whoever calls resume() */
	char *body;
	size_t len, cap;
	size_t discarded; /* bytes of an oversized body read and dropped */
	sztp_bytes certs[MAX_PEER_CERTS];
	char *raw; /* the request target as sent */
	char *path;
	const char *query;
	const char *target_error;
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- the request target and head -------------------------------------- */

/* What the head's fields say, gathered by one pass over them. */
struct head {
	unsigned hosts, lengths, encodings;
	int host_bad, length_conflict, name_bad, value_bad;
	const char *length, *encoding;
};

static int is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static enum MHD_Result head_field(void *cls, enum MHD_ValueKind kind, const char *key,
				  size_t key_size, const char *value, size_t value_size)
{
	struct head *hd = cls;
	size_t i;

	if (!key_size)
		hd->name_bad = 1;
	for (i = 0; i < key_size; i++)
		if (!is_tchar(key[i]))
			hd->name_bad = 1; /* RFC 9112 s5.1: no space before the colon */
	for (i = 0; value && i < value_size; i++)
		if (((unsigned char)value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
			hd->value_bad = 1;
	if (!value)
		return MHD_YES;
	if (!strcasecmp(key, MHD_HTTP_HEADER_HOST)) {
		hd->hosts++;
		if (!http_host_valid(value, value_size))
			hd->host_bad = 1;
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		if (hd->lengths++ && strcmp(hd->length, value))
			hd->length_conflict = 1;
		hd->length = value;
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		hd->encodings++;
		hd->encoding = value;
	}
	return MHD_YES;
}

/* NULL when the head may go on, else why it is refused (400).  A refused
 * head closes the connection after the answer: for the last three the
 * body's length is in doubt (RFC 9112 s6.1, s6.3). */
static const char *head_check(struct MHD_Connection *c, const char *version)
{
	struct head hd;

	memset(&hd, 0, sizeof(hd));
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, head_field, &hd);
	if (hd.name_bad)
		return "a header field name is malformed";
	if (hd.value_bad)
		return "a header field value has a control character";
	if (hd.hosts > 1)
		return "more than one Host header field";
	if (!hd.hosts && strcmp(version, MHD_HTTP_VERSION_1_0)) /* 1.1 and later */
		return "an HTTP/1.1 request needs a Host header field";
	if (hd.host_bad)
		return "the Host header field is malformed";
	if (hd.length_conflict)
		return "Content-Length header fields disagree";
	if (hd.encodings && hd.lengths)
		return "both Transfer-Encoding and Content-Length";
	if (hd.encodings > 1 || (hd.encodings && strcasecmp(hd.encoding, "chunked")))
		return "the only transfer coding accepted is chunked";
	return NULL;
}

/* ---- connections: phases and deadlines -------------------------------- */

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

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* h->mu held: end k's connection; MHD notices and closes it. */
static void conn_cut(struct conn *k)
{
	k->phase = C_CUT;
	shutdown(k->fd, SHUT_RDWR);
}

static void conn_deadline(struct conn *k, enum conn_phase p, unsigned s)
{
	k->phase = p;
	k->deadline_us = now_us() + (int64_t)s * 1000000;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	struct conn *k = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!k)
			return;
		pthread_mutex_lock(&h->mu);
		if (k->prev)
			k->prev->next = k->next;
		else
			h->conns = k->next;
		if (k->next)
			k->next->prev = k->prev;
		pthread_cond_broadcast(&h->changed);
		pthread_mutex_unlock(&h->mu);
		free(k);
		*socket_context = NULL;
		return;
	}
	if (h->tls_watch) { /* before its handshake: which certificate the client takes */
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (ci)
			pki_tls_session_watch(ci->tls_session);
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	k = calloc(1, sizeof(*k));
	if (!k || !ci) { /* untracked would mean unbounded: refuse it */
		free(k);
		if (ci)
			shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	k->fd = ci->connect_fd;
	peer_address(c, k->peer, sizeof(k->peer));
	pthread_mutex_lock(&h->mu);
	conn_deadline(k, C_RECEIVING, h->l.limits.request_timeout);
	k->next = h->conns;
	if (h->conns)
		h->conns->prev = k;
	h->conns = k;
	if (h->closing)
		conn_cut(k);
	pthread_mutex_unlock(&h->mu);
	*socket_context = k;
}

/* Cut what has not met its deadline; log the slow requests once a second
 * at most (an idle kept-alive connection ending is not news). */
static void *reaper(void *arg)
{
	struct http *h = arg;
	struct timespec until;
	char peer[64];
	unsigned n;

	pthread_mutex_lock(&h->mu);
	while (!h->quit) {
		int64_t now;
		struct conn *k;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += REAPER_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->tick, &h->mu, &until);
		now = now_us();
		for (k = h->conns; k; k = k->next) {
			if ((k->phase != C_RECEIVING && k->phase != C_IDLE) || k->deadline_us > now)
				continue;
			if (k->phase == C_RECEIVING) {
				h->cut_slow++;
				memcpy(h->cut_peer, k->peer, sizeof(h->cut_peer));
			}
			conn_cut(k);
		}
		if (!h->cut_slow || now - h->cut_logged_us < 1000000)
			continue;
		n = h->cut_slow;
		memcpy(peer, h->cut_peer, sizeof(peer));
		h->cut_slow = 0;
		h->cut_logged_us = now;
		pthread_mutex_unlock(&h->mu);
		log_info("%s: closed %u connection(s) whose request was not complete within "
			 "request-timeout (%us); the last from %s",
			 h->l.name, n, h->l.limits.request_timeout, peer);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* A complete request (or one refused from its head) is about to be
 * answered.  0: it must not be (cut at its deadline, or the server no
 * longer handles requests); the connection is then closed. */
static int answer_begin(struct ctx *x)
{
	struct http *h = x->h;
	int ok = 0;

	pthread_mutex_lock(&h->mu);
	if ((!x->k || x->k->phase != C_CUT) && !h->closing) {
		if (x->k)
			x->k->phase = C_ANSWERING;
		h->answering++;
		x->counted = 1;
		ok = 1;
	}
	pthread_mutex_unlock(&h->mu);
	return ok;
}

/* ---- requests ---------------------------------------------------------- */

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

static enum MHD_Result respond(struct http *h, struct MHD_Connection *c, struct request *r)
{
	const char *const *f;
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
				r->cache_control ? r->cache_control
						 : "no-cache"); /* RFC 8040 s5.5 */
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->www_authenticate)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"sztp\"");
	for (f = r->resp_fields; f && f[0] && f[1]; f += 2)
		MHD_add_response_header(resp, f[0], f[1]);
	if (r->res.retry_after > 0) { /* 429, 503: when to come back */
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", r->res.retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	/* stopping: no further request on this connection (MHD closes it) */
	if (r->close || atomic_load(&h->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
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

/* request.h: set the connection aside until resume().  Always possible:
 * http_stop waits for every connection set aside. */
static int defer(struct request *r)
{
	struct ctx *x = (struct ctx *)r;

	pthread_mutex_lock(&x->h->mu);
	x->h->parked++;
	pthread_mutex_unlock(&x->h->mu);
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
	pthread_mutex_lock(&h->mu);
	h->parked--;
	pthread_cond_broadcast(&h->changed);
	pthread_mutex_unlock(&h->mu);
}

/* MHD's URI log callback: the first sight of a request, its target as
 * sent (before MHD decodes it).  Starts the request's deadline on a
 * kept-alive connection. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http *h = cls;
	struct conn *k = conn_of(c);
	struct ctx *x = calloc(1, sizeof(*x));
	size_t len = strlen(uri);

	if (k) {
		pthread_mutex_lock(&h->mu);
		if (k->phase == C_IDLE)
			conn_deadline(k, C_RECEIVING, h->l.limits.request_timeout);
		pthread_mutex_unlock(&h->mu);
	}
	if (!x)
		return NULL;
	x->h = h;
	x->k = k;
	x->raw = strdup(uri);
	x->path = malloc(len + 1);
	if (!x->raw || !x->path) {
		free(x->raw);
		free(x->path);
		free(x);
		return NULL;
	}
	if (http_target(x->raw, x->path, len + 1, &x->query, &x->target_error))
		snprintf(x->path, len + 1, "-");
	else if (x->query) /* x->raw: the path as sent; the query follows it */
		x->raw[x->query - 1 - x->raw] = '\0';
	return x;
}

/* request.h's field(): any header field of the request. */
static const char *field(struct request *r, const char *name)
{
	return header(((struct ctx *)r)->conn, name);
}

static void request_setup(struct MHD_Connection *c, struct ctx *x, const char *method)
{
	x->conn = c;
	x->r.field = field;
	x->r.defer = defer;
	x->r.resume = resume;
	x->r.start_us = now_us();
	x->r.url = x->path;
	x->r.raw_path = x->target_error ? x->path : x->raw;
	x->r.query = x->query;
	x->r.method = method;
	x->r.content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	x->r.accept = header(c, MHD_HTTP_HEADER_ACCEPT);
	x->r.authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	peer_address(c, x->r.peer, sizeof(x->r.peer));
	peer_certs(c, x);
}

/* Answer now, through the listener's service: handle (refuse == NULL) or
 * refuse with msg. */
static enum MHD_Result answer_now(struct ctx *x, const char *refuse)
{
	struct http *h = x->h;

	if (!answer_begin(x))
		return MHD_NO; /* close */
	if (refuse)
		h->l.refuse(&x->r, SZTP_E_MALFORMED, refuse);
	else
		h->l.handle(h->s, &x->r);
	if (x->deferred)
		return MHD_YES; /* set aside; called again after resume() */
	return respond(h, x->conn, &x->r);
}

/* The first call for a request: its head is complete. */
static enum MHD_Result request_head(struct ctx *x, struct MHD_Connection *c, const char *method,
				    const char *version)
{
	const char *why;

	request_setup(c, x, method);
	why = x->target_error ? x->target_error : head_check(c, version);
	if (why) {
		/* answered now, then closed: MHD reads no body after an early
		 * answer, and the body's length may be in doubt */
		x->r.close = 1;
		return answer_now(x, why);
	}
	if (x->h->l.admit && !x->h->l.admit(x->h->s, &x->r))
		x->r.body_unwanted = 1;
	if (declared_too_big(c, x->h->l.limits.max_body))
		x->r.body_too_big = 1;
	if (!x->r.body_too_big && !x->r.body_unwanted)
		return MHD_YES;
	/* A client that waits for 100 Continue is answered at once.  One
	 * that sends its body regardless would get a reset instead of the
	 * 413 (or the admit's refusal) if the connection closed under it:
	 * read and drop the body (up to DISCARD_MAX), then answer. */
	if (!expects_continue(c))
		return MHD_YES;
	return answer_now(x, NULL);
}

/* A piece of the body: kept, or counted and dropped once too big. */
static enum MHD_Result request_body(struct ctx *x, const char *data, size_t *size)
{
	size_t max = x->h->l.limits.max_body;

	if (x->r.body_too_big || x->r.body_unwanted) {
		x->discarded += *size;
		*size = 0;
		return x->discarded > DISCARD_MAX ? MHD_NO : MHD_YES; /* MHD_NO: close */
	}
	if (x->len + *size > max) {
		x->r.body_too_big = 1;
		x->discarded = x->len + *size;
		free(x->body);
		x->body = NULL;
		x->len = x->cap = 0;
		*size = 0;
		return MHD_YES;
	}
	if (x->len + *size + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		char *nb;
		while (cap < x->len + *size + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		nb = realloc(x->body, cap);
		if (!nb)
			return MHD_NO;
		x->body = nb;
		x->cap = cap;
	}
	memcpy(x->body + x->len, data, *size);
	x->len += *size;
	x->body[x->len] = '\0';
	*size = 0;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct ctx *x = *con_cls;

	if (!x)
		return MHD_NO; /* on_uri ran out of memory */
	if (!x->seen) {
		x->seen = 1;
		return request_head(x, c, method, version);
	}
	if (*upload_size)
		return request_body(x, upload_data, upload_size);
	if (x->deferred) { /* resumed: the answer is ready */
		x->deferred = 0;
		return respond(x->h, c, &x->r);
	}
	if (x->r.status) /* already answered (oversized, or refused from its head) */
		return MHD_YES;
	x->r.body = x->body ? x->body : "";
	x->r.body_len = x->len;
	return answer_now(x, NULL);
}

/* A refused get-bootstrapping-data's event, with its log row l (written
 * when bootstrap-log is on): the reason is what the device was told. */
static void refused_event(struct server *s, struct ctx *x, const struct reg_log *l)
{
	const struct result *res = &x->r.res;
	struct event_bootstrap eb = {0};
	struct reg_event ev;

	memset(&ev, 0, sizeof(ev));
	eb.status = x->r.status;
	eb.outcome = l->result;
	eb.reason = x->r.status >= 500 ? res->public_msg : res->err.msg;
	ev.time = l->time;
	snprintf(ev.type, sizeof(ev.type), "%s", EV_BOOTSTRAP_REFUSED);
	snprintf(ev.serial, sizeof(ev.serial), "%s", l->serial);
	snprintf(ev.peer, sizeof(ev.peer), "%s", l->peer);
	ev.data = event_bootstrap_data(&eb);
	journal_log_event(s->journal, l, s->cfg.bootstrap_log, ev.data ? &ev : NULL);
}

static void audit(struct server *s, struct ctx *x)
{
	const struct result *res = &x->r.res;
	int refused;
	char q1[160], q2[SZTP_ERR_MSG_MAX + 8], q3[64];
	int64_t dur = now_us() - x->r.start_us;

	log_info("audit serial=%s peer=%s method=%s endpoint=%s result=%s status=%d "
		 "duration_us=%lld%s%s%s%s",
		 x->r.serial[0] ? log_kv_quote(x->r.serial, q1, sizeof(q1)) : "-", x->r.peer,
		 log_kv_quote(x->r.method, q3, sizeof(q3)), x->r.endpoint ? x->r.endpoint : "-",
		 res->outcome[0] ? res->outcome : "-", x->r.status, (long long)dur,
		 res->lenient[0] ? " lenient=" : "", res->lenient, /* fixed names: no quoting */
		 res->err.msg[0] ? " reason=" : "",
		 res->err.msg[0] ? log_kv_quote(res->err.msg, q2, sizeof(q2)) : "");
	metrics_request(s->metrics, "device", x->r.endpoint, x->r.status, res->outcome,
			res->profile, dur);
	/* the bootstrapping log: as the handler's result says; a refused
	 * get-bootstrapping-data has its event too (a served one was
	 * recorded by its handler before the answer: bootstrap.c) */
	refused = x->r.status >= 400 && x->r.endpoint &&
		  strcmp(x->r.endpoint, "get-bootstrapping-data") == 0;
	if ((s->cfg.bootstrap_log || refused) && res->record) {
		struct reg_log l;
		memset(&l, 0, sizeof(l));
		snprintf(l.serial, sizeof(l.serial), "%s", x->r.serial);
		l.time = time(NULL);
		snprintf(l.peer, sizeof(l.peer), "%s", x->r.peer);
		snprintf(l.endpoint, sizeof(l.endpoint), "%s", x->r.endpoint);
		snprintf(l.result, sizeof(l.result), "%s", res->outcome[0] ? res->outcome : "-");
		l.status = x->r.status;
		l.duration_us = dur;
		if (refused)
			refused_event(s, x, &l);
		else
			journal_log(s->journal, &l);
	}
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct ctx *x = *con_cls;

	if (!x)
		return;
	if (x->r.status && h->l.audit)
		h->l.audit(h->s, &x->r, now_us() - x->r.start_us);
	else if (x->r.status)
		audit(h->s, x);
	pthread_mutex_lock(&h->mu);
	if (x->counted) {
		h->answering--;
		pthread_cond_broadcast(&h->changed);
	}
	/* the connection waits for its next request; none while stopping */
	if (x->k && x->k->phase != C_CUT) {
		if (atomic_load(&h->stopping))
			conn_cut(x->k);
		else
			conn_deadline(x->k, C_IDLE, h->l.limits.idle_timeout);
	}
	pthread_mutex_unlock(&h->mu);
	if (x->r.pending_free)
		x->r.pending_free(x->r.pending);
	free(x->r.resp_body);
	free(x->r.res.body);
	free(x->body);
	free(x->raw);
	free(x->path);
	free(x);
	*con_cls = NULL;
}

/* ---- start and stop ---------------------------------------------------- */

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
	pthread_cond_destroy(&h->changed);
	pthread_cond_destroy(&h->tick);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

static struct http *http_new(struct server *s)
{
	struct http *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;

	if (!h)
		return NULL;
	h->s = s;
	h->lsock = MHD_INVALID_SOCKET;
	pthread_mutex_init(&h->mu, NULL);
	/* deadlines are on the monotonic clock */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->changed, &ca);
	pthread_cond_init(&h->tick, &ca);
	pthread_condattr_destroy(&ca);
	return h;
}

/* What MHD reports (as an error) for every TLS handshake that fails:
 * gnutls_handshake returned a fatal error (the client's alert, a
 * protocol error, the connection closed mid-handshake).  The same text
 * from MHD 0.9.7x to 1.0.x; t_admin_metrics fails should it change. */
#define MHD_HANDSHAKE_FAILED "received handshake message out of context"

/* cls: the listener (struct http). */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http *h = cls;
	char buf[512];
	size_t l;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (h && h->s && strstr(buf, MHD_HANDSHAKE_FAILED))
		metrics_tls_handshake_failed(h->s->metrics, h->l.name);
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

void http_limits_from_config(const struct config *cfg, struct http_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->max_connections = (unsigned)cfg->max_connections;
	l->per_address = (unsigned)cfg->max_connections_per_address;
	l->idle_timeout = (unsigned)cfg->connection_timeout;
	l->request_timeout = (unsigned)cfg->request_timeout;
	l->max_body = (size_t)cfg->max_body;
}

static sztp_rc daemon_start(struct http *h, struct sztp_err *e)
{
	const struct http_listener *l = &h->l;
	const struct http_limits *lim = &l->limits;
	struct addrinfo hints, *ai = NULL;
	unsigned flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	unsigned threads = l->threads ? l->threads : usable_cpus(); /* workers never wait */
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	char port[8];
	int gai;

	if (!lim->max_connections || !lim->idle_timeout || !lim->request_timeout ||
	    !lim->max_body || !l->handle || !l->refuse) {
		sztp_err_set(e, rc, "%s listener: limits or service missing", l->name);
		goto out;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", l->port);
	gai = getaddrinfo(l->address, port, &hints, &ai);
	if (gai) {
		ai = NULL;
		sztp_err_set(e, rc, "listen-address '%s': %s", l->address, gai_strerror(gai));
		goto out;
	}
	if (ai->ai_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		if (IN6_IS_ADDR_UNSPECIFIED(
			&((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr))
			flags |= MHD_USE_DUAL_STACK;
	}
	{
		/* TLS: the certificate and key served per handshake from a
		 * swappable credentials object (SIGHUP), or fixed PEM text; a
		 * socket bound before the privilege drop, if any */
		struct MHD_OptionItem opt[8];
		size_t n = 0;

		if (l->tls_creds) {
			pki_fnptr cb = pki_tls_creds_callback(l->tls_creds);
			if (!cb) {
				sztp_err_set(e, SZTP_E_INTERNAL,
					     "%s listener: no TLS credentials slot is free",
					     l->name);
				goto out;
			}
			opt[n++] =
			    (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)cb};
			h->tls_watch = pki_tls_creds_pairs(l->tls_creds) == 2;
		} else {
			opt[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
							   (void *)l->tls_key};
			opt[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
							   (void *)l->tls_cert};
		}
		opt[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
						   (void *)l->tls_priority};
		if (l->tls_trust)
			opt[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
							   (void *)l->tls_trust};
		if (l->listen_fd > 0)
			opt[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET,
							   (intptr_t)l->listen_fd, NULL};
		opt[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
		/* the limits, the deadline's notifications and the raw target
		 * are not optional: every listener starts here */
		h->d = MHD_start_daemon(
		    flags, (uint16_t)l->port, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
		    mhd_log, h, MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_ARRAY, opt,
		    MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
		    lim->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim->per_address,
		    MHD_OPTION_CONNECTION_TIMEOUT, lim->idle_timeout,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEAD_MEMORY,
		    MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_URI_LOG_CALLBACK,
		    on_uri, h, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
	}
	if (!h->d) {
		/* TLS material, priority and the port were checked before */
		rc = sztp_err_set(e, SZTP_E_IO,
				  "libmicrohttpd could not start the %s listener on [%s]:%d "
				  "(log-level = debug shows its reason)",
				  l->name, l->address, l->port);
		goto out;
	}
	log_info("%s: listening on [%s]:%d, %u threads, at most %u connections (%u per "
		 "address), request-timeout %us",
		 l->name, l->address, l->port, threads, lim->max_connections, lim->per_address,
		 lim->request_timeout);
	rc = SZTP_OK;
out:
	if (ai)
		freeaddrinfo(ai);
	return rc;
}

sztp_rc http_listen(struct server *s, const struct http_listener *l, struct http **out,
		    struct sztp_err *e)
{
	struct http *h = http_new(s);
	sztp_rc rc = SZTP_E_NOMEM;

	*out = NULL;
	if (!h) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	h->l = *l;
	if (pthread_create(&h->reaper, NULL, reaper, h)) {
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "cannot start the connection reaper");
		goto out;
	}
	pthread_setname_np(h->reaper, "sztpd-reaper"); /* top -H, perf: which thread costs what */
	h->reaper_running = 1;
	rc = daemon_start(h, e);
out:
	if (rc == SZTP_OK)
		*out = h;
	else if (h)
		http_stop(h); /* joins the reaper, frees */
	return rc;
}

sztp_rc http_start(struct server *s, struct http **out, struct sztp_err *e)
{
	struct http *tls = http_new(s); /* holds the PEM text until the listener does */
	struct http_listener l;
	struct http *h = NULL;
	sztp_rc rc = SZTP_E_NOMEM;

	*out = NULL;
	if (!tls) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	rc = read_tls(s, tls, e);
	if (rc != SZTP_OK)
		goto out;
	memset(&l, 0, sizeof(l));
	l.name = "device";
	l.address = s->cfg.listen_address;
	l.port = s->cfg.port;
	l.tls_creds = s->tls; /* served per handshake, swapped on SIGHUP */
	l.listen_fd = s->listen_fd;
	l.tls_trust = (const char *)tls->trust.data;
	l.tls_priority = s->cfg.tls_priority;
	l.threads = (unsigned)s->cfg.threads;
	http_limits_from_config(&s->cfg, &l.limits);
	l.handle = restconf_handle;
	l.refuse = restconf_refuse;
	rc = http_listen(s, &l, &h, e);
	if (rc != SZTP_OK)
		goto out;
	/* the PEM text lives as long as the listener */
	h->key = tls->key;
	h->cert = tls->cert;
	h->trust = tls->trust;
	memset(&tls->key, 0, sizeof(tls->key));
	memset(&tls->cert, 0, sizeof(tls->cert));
	memset(&tls->trust, 0, sizeof(tls->trust));
	*out = h;
out:
	http_free(tls);
	return rc;
}

/* h->mu held: wait on h->changed until cond() holds or ms have passed;
 * 1 when it holds. */
static int wait_until(struct http *h, int (*cond)(struct http *), int ms)
{
	int64_t end = now_us() + (int64_t)ms * 1000;

	while (!cond(h)) {
		struct timespec t;
		if (ms >= 0 && now_us() >= end)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += 10 * 1000000L; /* re-check every 10 ms */
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->changed, &h->mu, &t);
	}
	return 1;
}

static int no_connections(struct http *h)
{
	return h->conns == NULL;
}

static int none_answering(struct http *h)
{
	return h->answering == 0;
}

static int none_parked(struct http *h)
{
	return h->parked == 0;
}

/* Graceful: no new connections; no new requests on kept-alive ones (idle
 * ones are closed, answers say Connection: close); requests arriving get
 * STOP_GRACE_MS to complete; then nothing new is handled, the rest is
 * closed, and every request being handled is answered before MHD stops
 * (MHD must never stop with a connection set aside: its resume would
 * follow). */
void http_stop(struct http *h)
{
	struct conn *k;

	if (!h)
		return;
	if (h->d) {
		h->lsock = MHD_quiesce_daemon(h->d);
		/* refuse new connections now; the descriptor stays open
		 * until MHD has stopped (its workers may still look at it) */
		if (h->lsock != MHD_INVALID_SOCKET)
			shutdown(h->lsock, SHUT_RDWR);
	}
	pthread_mutex_lock(&h->mu);
	atomic_store(&h->stopping, 1);
	for (k = h->conns; k; k = k->next)
		if (k->phase == C_IDLE)
			conn_cut(k);
	wait_until(h, no_connections, STOP_GRACE_MS);
	h->closing = 1;
	for (k = h->conns; k; k = k->next)
		if (k->phase == C_RECEIVING || k->phase == C_IDLE)
			conn_cut(k);
	if (!wait_until(h, none_answering, STOP_ANSWER_MS))
		log_warn("%s: stopping with %u answer(s) not sent (clients not reading)", h->l.name,
			 h->answering);
	while (!wait_until(h, none_parked, 10000))
		log_warn("%s: stopping: still waiting for %u stored report(s)", h->l.name,
			 h->parked);
	h->quit = 1;
	pthread_cond_signal(&h->tick);
	pthread_mutex_unlock(&h->mu);
	if (h->reaper_running)
		pthread_join(h->reaper, NULL);
	if (h->d)
		MHD_stop_daemon(h->d);
	if (h->lsock != MHD_INVALID_SOCKET)
		close(h->lsock);
	http_free(h);
}
