/*
 * ceiling.c - the TLS ceiling of sztpd's own stack, for the benchmark
 * (issue 4): libmicrohttpd + GnuTLS with exactly sztpd's TLS settings
 * (server/http.c: TLS, epoll internal thread + a pool of one thread per
 * core, key/cert/trust from memory so a CertificateRequest is sent, the same
 * priority string, connection limit and timeout), answering every request
 * with a fixed body.  Like sztpd it reads the posted body and takes the
 * client's chain from the TLS session (401 without one).  That is the
 * ceiling: the handshake already proves the client holds the certificate's
 * key.  With --verify-chain it also verifies the chain against the trust
 * anchor with the clientAuth key purpose, once per connection (what nginx
 * does in the handshake), for a second reference point.  report-progress is
 * answered 204 like sztpd (RFC 8572 s7.2), everything else 200 with the
 * fixed body as application/yang-data+json.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

struct conn {
	int verified; /* 0 unknown, 1 ok, -1 failed */
};

struct req {
	char *body;
	size_t len, cap;
};

static char *body;
static size_t body_len;
static gnutls_x509_trust_list_t tl;
static int no_verify = 1;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (!f) {
		fprintf(stderr, "ceiling: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(b = malloc((size_t)n + 1)) || fread(b, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "ceiling: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	b[n] = '\0';
	if (len)
		*len = (size_t)n;
	return b;
}

/* Verify the client's chain once per connection (the result is kept). */
static int client_ok(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const union MHD_ConnectionInfo *si =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	struct conn *cn = ci ? ci->socket_context : NULL;
	const gnutls_datum_t *list;
	gnutls_x509_crt_t chain[8];
	unsigned int n = 0, i, status = 1;
	gnutls_typed_vdata_st vd = {GNUTLS_DT_KEY_PURPOSE_OID,
				    (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};

	if (cn && cn->verified)
		return cn->verified > 0;
	if (!si || !si->tls_session)
		return 0;
	list = gnutls_certificate_get_peers((gnutls_session_t)si->tls_session, &n);
	if (!list || n == 0)
		return 0;
	if (no_verify)
		status = 0;
	else {
		if (n > 8)
			n = 8;
		for (i = 0; i < n; i++) {
			gnutls_x509_crt_init(&chain[i]);
			gnutls_x509_crt_import(chain[i], &list[i], GNUTLS_X509_FMT_DER);
		}
		if (gnutls_x509_trust_list_verify_crt2(tl, chain, n, &vd, 1, 0, &status, NULL) < 0)
			status = 1;
		for (i = 0; i < n; i++)
			gnutls_x509_crt_deinit(chain[i]);
	}
	if (cn)
		cn->verified = status == 0 ? 1 : -1;
	return status == 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, void *data, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, data, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (len)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					"application/yang-data+json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct req *x = *con_cls;
	size_t ul;

	(void)cls;
	(void)method;
	(void)version;
	if (!x) {
		if (!(x = calloc(1, sizeof(*x))))
			return MHD_NO;
		*con_cls = x;
		return MHD_YES;
	}
	if (*upload_size) { /* collect the body like sztpd */
		if (x->len + *upload_size + 1 > x->cap) {
			size_t cap = x->cap ? x->cap : 4096;
			char *nb;
			while (cap < x->len + *upload_size + 1)
				cap *= 2;
			if (!(nb = realloc(x->body, cap)))
				return MHD_NO;
			x->body = nb;
			x->cap = cap;
		}
		memcpy(x->body + x->len, upload_data, *upload_size);
		x->len += *upload_size;
		x->body[x->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	ul = strlen(url);
	if (strncmp(url, "/restconf/operations/", 21) == 0 && !client_ok(c))
		return reply(c, 401, (void *)"", 0);
	if (ul >= 15 && strcmp(url + ul - 15, "report-progress") == 0)
		return reply(c, 204, (void *)"", 0);
	return reply(c, 200, body, body_len);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *x = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (x) {
		free(x->body);
		free(x);
	}
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)c;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		*socket_context = calloc(1, sizeof(struct conn));
	else {
		free(*socket_context);
		*socket_context = NULL;
	}
}

static void usage(void)
{
	fputs("usage: ceiling --port P --cert CHAIN.pem --key KEY.pem --trust CA.pem\n"
	      "       (--body-size N | --body-file F) [--threads N] [--priority S]\n"
	      "       [--max-connections N] [--timeout S] [--verify-chain]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cert_f = NULL, *key_f = NULL, *trust_f = NULL, *body_f = NULL;
	const char *prio = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
	long port = 0, size = -1, threads = 0, maxconn = 1024, timeout = 30;
	char *cert, *key, *trust;
	struct MHD_Daemon *d;
	gnutls_datum_t td;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0 && (v || (usage(), 0)) && ++i)
		if (ARG("--port"))
			port = atol(v);
		else if (ARG("--cert"))
			cert_f = v;
		else if (ARG("--key"))
			key_f = v;
		else if (ARG("--trust"))
			trust_f = v;
		else if (ARG("--body-size"))
			size = atol(v);
		else if (ARG("--body-file"))
			body_f = v;
		else if (ARG("--threads"))
			threads = atol(v);
		else if (ARG("--priority"))
			prio = v;
		else if (ARG("--max-connections"))
			maxconn = atol(v);
		else if (ARG("--timeout"))
			timeout = atol(v);
		else if (strcmp(a, "--verify-chain") == 0)
			no_verify = 0;
		else
			usage();
#undef ARG
	}
	if (port < 1 || port > 65535 || !cert_f || !key_f || !trust_f || (size < 0 && !body_f))
		usage();
	if (body_f)
		body = slurp(body_f, &body_len);
	else {
		/* a JSON document of exactly `size` bytes */
		static const char pre[] = "{\"ietf-sztp-bootstrap-server:output\":{\"x\":\"";
		static const char post[] = "\"}}";
		size_t fixed = sizeof(pre) - 1 + sizeof(post) - 1;
		body_len = (size_t)size;
		if (!(body = malloc(body_len + 1)))
			return 2;
		memset(body, 'A', body_len);
		if (body_len >= fixed) {
			memcpy(body, pre, sizeof(pre) - 1);
			memcpy(body + body_len - (sizeof(post) - 1), post, sizeof(post) - 1);
		}
		body[body_len] = '\0';
	}
	cert = slurp(cert_f, NULL);
	key = slurp(key_f, NULL);
	trust = slurp(trust_f, NULL);
	td.data = (unsigned char *)trust;
	td.size = (unsigned)strlen(trust);
	if (gnutls_x509_trust_list_init(&tl, 0) < 0 ||
	    gnutls_x509_trust_list_add_trust_mem(tl, &td, NULL, GNUTLS_X509_FMT_PEM, 0, 0) <= 0) {
		fprintf(stderr, "ceiling: cannot load trust anchors from %s\n", trust_f);
		return 2;
	}
	if (threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? n : 1;
	}
	d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
				     MHD_USE_IPv6 | MHD_USE_DUAL_STACK,
			     (uint16_t)port, NULL, NULL, on_request, NULL,
			     MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT, cert,
			     MHD_OPTION_HTTPS_MEM_TRUST, trust, MHD_OPTION_HTTPS_PRIORITIES, prio,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)maxconn,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)timeout,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "ceiling: cannot start on port %ld\n", port);
		return 1;
	}
	fprintf(stderr, "ceiling: port %ld, %ld threads, body %zu bytes%s\n", port, threads,
		body_len, no_verify ? "" : ", client chain verified once per connection");
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	gnutls_x509_trust_list_deinit(tl, 1);
	gnutls_memset(key, 0, strlen(key));
	free(key);
	free(cert);
	free(trust);
	free(body);
	return 0;
}
