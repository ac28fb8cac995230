/*
 * ctl_remote.c - sztpctl --server: the admin API (admin/admin.h) over
 * HTTPS with libcurl, the one file of sztpctl that includes curl.  One
 * easy handle per run, so the pages of a list share a connection and a
 * TLS session.  HTTPS only, TLS 1.2 or newer, the server's certificate
 * verified against --cacert (else the system store) and its host name
 * checked; the bearer token from --token-file (refused when group or
 * others may read it, as ssh refuses a private key) or $SZTP_TOKEN, sent
 * only in the Authorization header and named in no message; an optional
 * admin client certificate (--cert, --key); timeouts and a cap on the
 * answer.  The request is the one local mode hands to admin_handle, so
 * the answer is the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "admin.h"
#include "ctl.h"

#ifndef SZTP_VERSION
#define SZTP_VERSION "0.1.0"
#endif
#define TOKEN_MAX 512 /* ADMIN_TOKEN_LEN with room for other schemes' tokens */
#define URL_MAX	  4096

struct ctl_remote {
	CURL *h;
	char base[1024];	   /* https://host:port[/prefix], no trailing '/' */
	char auth[TOKEN_MAX + 32]; /* "Authorization: Bearer ..."; "" without a token */
	int global;		   /* curl_global_init done */
	int client_cert;	   /* --cert given */
	char errbuf[CURL_ERROR_SIZE + 1];
};

struct sink {
	struct ctl_resp *r;
	size_t cap; /* allocated size of r->raw.data */
	int over;   /* the answer passed CTL_REMOTE_MAX_BODY */
};

/* ---- set-up: URL, token, client certificate ------------------------------------- */

/* --server https://HOST[:PORT][/PREFIX]: nothing but https, no user
 * information (a password in a URL ends up in shell histories), no query
 * or fragment; a trailing "/" or ADMIN_PREFIX is dropped (ctl_call adds it). */
static sztp_rc parse_server(const char *s, struct ctl_remote *rm, struct sztp_err *e)
{
	const char *auth, *p;
	size_t alen, n;

	for (p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "--server: the URL contains a space or control "
					    "character");
	if (strncasecmp(s, "http://", 7) == 0)
		return sztp_err_set(e, SZTP_E_UNSUPPORTED,
				    "--server %s: plain HTTP is refused (the token would travel in "
				    "clear); the admin API is served over HTTPS: https://HOST:PORT",
				    s);
	if (strncasecmp(s, "https://", 8) != 0)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "--server %s: want a URL https://HOST:PORT", s);
	auth = s + 8;
	alen = strcspn(auth, "/?#");
	if (alen == 0)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "--server %s: no host in the URL", s);
	if (memchr(auth, '@', alen))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "--server: user information in the URL is refused; give a "
				    "token with --token-file FILE or $SZTP_TOKEN");
	if (strpbrk(auth + alen, "?#"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "--server %s: a query or fragment has no place in the server's "
				    "URL",
				    s);
	n = strlen(s);
	if (n >= sizeof(rm->base))
		return sztp_err_set(e, SZTP_E_TOO_BIG, "--server: the URL is too long");
	memcpy(rm->base, s, n + 1);
	while (n > 8 + alen && rm->base[n - 1] == '/')
		rm->base[--n] = '\0';
	if (n >= 8 + alen + strlen(ADMIN_PREFIX) &&
	    strcmp(rm->base + n - strlen(ADMIN_PREFIX), ADMIN_PREFIX) == 0)
		rm->base[n - strlen(ADMIN_PREFIX)] = '\0';
	return SZTP_OK;
}

/* The first line of a token: token68 characters (RFC 7235), which is
 * what sztpd issues ("sztp_" and base64url); anything else would not
 * make a header.  where names the source; the token itself never. */
static sztp_rc token_take(const char *s, size_t n, const char *where, struct ctl_remote *rm,
			  struct sztp_err *e)
{
	size_t i;

	if (n == 0)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "%s holds no token", where);
	if (n > TOKEN_MAX)
		return sztp_err_set(e, SZTP_E_TOO_BIG, "the token in %s is longer than %d bytes",
				    where, TOKEN_MAX);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("-._~+/=", ch)))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "the token in %s is not a bearer token (letters, "
					    "digits and -._~+/= only; character %zu is not)",
					    where, i + 1);
	}
	snprintf(rm->auth, sizeof(rm->auth), "Authorization: Bearer %.*s", (int)n, s);
	return SZTP_OK;
}

/* A secret file sztpctl reads (the token, the client key): a regular file
 * that neither group nor others may access, as ssh asks of keys. */
static sztp_rc secret_open(const char *what, const char *path, int *fd, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_IO;
	struct stat st;

	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0)
		return sztp_err_set(e, SZTP_E_IO, "cannot open %s %s: %s", what, path,
				    strerror(errno));
	if (fstat(*fd, &st) != 0) {
		sztp_err_set(e, rc, "%s %s: %s", what, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "%s %s is not a regular file", what,
				  path);
		goto out;
	}
	if (st.st_mode & 077) {
		rc = sztp_err_set(e, SZTP_E_PERM,
				  "%s %s has mode %04o: group or others may read it; refused "
				  "(chmod 600 %s)",
				  what, path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	return SZTP_OK;
out:
	close(*fd);
	*fd = -1;
	return rc;
}

static sztp_rc token_load(const struct ctl *c, struct ctl_remote *rm, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_IO;
	char buf[TOKEN_MAX + 64], where[600];
	const char *env = getenv("SZTP_TOKEN");
	ssize_t n, got = 0;
	int fd = -1;

	if (!c->token_file) {
		size_t len = env ? strlen(env) : 0;

		if (len == 0)
			return SZTP_OK;	  /* none: the server's 401 says so */
		if (env[len - 1] == '\n') /* SZTP_TOKEN=$(cat file) keeps none; be kind */
			len--;
		return token_take(env, len, "$SZTP_TOKEN", rm, e);
	}
	snprintf(where, sizeof(where), "token file %s", c->token_file);
	if ((rc = secret_open("token file", c->token_file, &fd, e)) != SZTP_OK)
		return rc;
	while ((size_t)got < sizeof(buf) - 1 &&
	       (n = read(fd, buf + got, sizeof(buf) - 1 - (size_t)got)) != 0) {
		if (n < 0) {
			rc = sztp_err_set(e, SZTP_E_IO, "reading %s: %s", where, strerror(errno));
			goto out;
		}
		got += n;
	}
	buf[got] = '\0';
	rc = token_take(buf, strcspn(buf, "\r\n"), where, rm, e);
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* --cert and --key go together; the key file is a secret like the token. */
static sztp_rc client_cert_check(const struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	int fd = -1;

	if (!c->cert && !c->key)
		return SZTP_OK;
	if (!c->cert || !c->key)
		return sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				    "an admin client certificate needs both --cert CERT.pem and "
				    "--key KEY.pem");
	if (access(c->cert, R_OK) != 0)
		return sztp_err_set(e, SZTP_E_IO, "cannot read --cert %s: %s", c->cert,
				    strerror(errno));
	if ((rc = secret_open("key file", c->key, &fd, e)) != SZTP_OK)
		return rc;
	close(fd);
	return SZTP_OK;
}

static sztp_rc remote_open(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INTERNAL;
	struct ctl_remote *rm;

	if (c->remote)
		return SZTP_OK;
	if (!(rm = calloc(1, sizeof(*rm))))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if ((rc = parse_server(c->server, rm, e)) != SZTP_OK ||
	    (rc = token_load(c, rm, e)) != SZTP_OK || (rc = client_cert_check(c, e)) != SZTP_OK)
		goto out;
	rc = SZTP_E_INTERNAL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		sztp_err_set(e, rc, "libcurl initialisation failed");
		goto out;
	}
	rm->global = 1;
	if (!(rm->h = curl_easy_init())) {
		sztp_err_set(e, rc, "libcurl initialisation failed");
		goto out;
	}
	rm->client_cert = c->cert != NULL;
	c->remote = rm;
	return SZTP_OK;
out:
	c->remote = rm;
	ctl_remote_close(c);
	return rc;
}

void ctl_remote_close(struct ctl *c)
{
	struct ctl_remote *rm = c->remote;

	if (!rm)
		return;
	if (rm->h)
		curl_easy_cleanup(rm->h);
	if (rm->global)
		curl_global_cleanup();
	explicit_bzero(rm, sizeof(*rm));
	free(rm);
	c->remote = NULL;
}

int ctl_remote_authenticated(const struct ctl *c)
{
	return c->remote && (c->remote->auth[0] || c->remote->client_cert);
}

/* ---- one request ------------------------------------------------------------- */

static size_t body_write(char *p, size_t sz, size_t nm, void *ud)
{
	struct sink *s = ud;
	sztp_bytes *b = &s->r->raw;
	size_t n = sz * nm;
	uint8_t *nb;

	if (n > CTL_REMOTE_MAX_BODY - b->len) {
		s->over = 1;
		return 0;
	}
	if (b->len + n + 1 > s->cap) {
		size_t nc = s->cap ? s->cap : 16384;

		while (nc < b->len + n + 1)
			nc *= 2;
		if (!(nb = realloc(b->data, nc)))
			return 0;
		b->data = nb;
		s->cap = nc;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0'; /* ctl_call may read it as text */
	return n;
}

/* The value of header line h when it is "name:"; copied into out (trimmed),
 * or left empty when it does not fit. */
static void header_take(const char *h, size_t n, const char *name, char *out, size_t len)
{
	size_t nl = strlen(name);

	if (n <= nl || strncasecmp(h, name, nl) != 0 || h[nl] != ':')
		return;
	h += nl + 1;
	n -= nl + 1;
	while (n && (*h == ' ' || *h == '\t')) {
		h++;
		n--;
	}
	while (n && (h[n - 1] == '\r' || h[n - 1] == '\n' || h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if (n < len) {
		memcpy(out, h, n);
		out[n] = '\0';
	} else {
		out[0] = '\0';
	}
}

static size_t header_write(char *p, size_t sz, size_t nm, void *ud)
{
	struct sink *s = ud;
	struct ctl_resp *r = s->r;
	size_t n = sz * nm;

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) { /* a new answer (after 100 Continue) */
		r->etag[0] = r->location[0] = r->content_type[0] = '\0';
		return n;
	}
	header_take(p, n, "ETag", r->etag, sizeof(r->etag));
	header_take(p, n, "Location", r->location, sizeof(r->location));
	header_take(p, n, "Content-Type", r->content_type, sizeof(r->content_type));
	return n;
}

/* A transfer that produced no HTTP answer, named after the server. */
static sztp_rc transfer_error(const struct ctl *c, CURLcode cc, const struct sink *s,
			      struct sztp_err *e)
{
	const struct ctl_remote *rm = c->remote;
	const char *why = rm->errbuf[0] ? rm->errbuf : curl_easy_strerror(cc);
	const char *ca = c->cacert ? c->cacert : "the system store";

	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		return sztp_err_set(e, SZTP_E_VERIFY,
				    "%s: certificate verify failed: %s (trusted CAs: %s%s)",
				    rm->base, why, c->cacert ? "--cacert " : "", ca);
	case CURLE_SSL_CACERT_BADFILE:
		return sztp_err_set(e, SZTP_E_IO, "%s: cannot use the CA file %s: %s", rm->base, ca,
				    why);
	case CURLE_SSL_CERTPROBLEM:
		return sztp_err_set(e, SZTP_E_IO,
				    "%s: the client certificate --cert %s --key %s: %s", rm->base,
				    c->cert ? c->cert : "-", c->key ? c->key : "-", why);
	case CURLE_SSL_CONNECT_ERROR:
		return sztp_err_set(e, SZTP_E_IO, "%s: TLS handshake failed: %s%s%s%s%s%s",
				    rm->base, why, c->cert ? " (client certificate --cert " : "",
				    c->cert ? c->cert : "", c->cert ? " --key " : "",
				    c->cert ? c->key : "", c->cert ? ")" : "");
	case CURLE_COULDNT_RESOLVE_HOST:
		return sztp_err_set(e, SZTP_E_IO, "%s: cannot resolve the host: %s", rm->base, why);
	case CURLE_COULDNT_CONNECT:
		return sztp_err_set(e, SZTP_E_IO, "%s: cannot connect: %s", rm->base, why);
	case CURLE_OPERATION_TIMEDOUT:
		return sztp_err_set(e, SZTP_E_IO,
				    "%s: timed out (%lds to connect, %lds per request): %s",
				    rm->base, CTL_REMOTE_CONNECT, CTL_REMOTE_TOTAL, why);
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (s->over || cc == CURLE_FILESIZE_EXCEEDED)
			return sztp_err_set(e, SZTP_E_TOO_BIG,
					    "%s: the answer is larger than %u MiB; refused",
					    rm->base, CTL_REMOTE_MAX_BODY >> 20);
		return sztp_err_set(e, SZTP_E_NOMEM, "%s: out of memory reading the answer",
				    rm->base);
	case CURLE_GOT_NOTHING:
		return sztp_err_set(e, SZTP_E_IO,
				    "%s: the server closed the connection without an answer "
				    "(is this sztpd's admin port?)",
				    rm->base);
	default:
		return sztp_err_set(e, SZTP_E_IO, "%s: %s", rm->base, why);
	}
}

/* Options of one request on the reused handle (reset first: nothing of the
 * previous request carries over but the connection and the TLS session). */
static void request_setup(const struct ctl *c, const char *url, const char *method,
			  const void *body, size_t len, struct curl_slist *hdr, struct sink *s)
{
	CURL *h = c->remote->h;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->cacert) {
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	}
	if (c->cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CTL_REMOTE_CONNECT);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, CTL_REMOTE_TOTAL);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CTL_REMOTE_MAX_BODY);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->remote->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "sztpctl/" SZTP_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_write);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		if (body || strcmp(method, "DELETE") != 0) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
		}
	}
}

/* The headers admin_handle reads, as local mode gives them: Content-Type
 * (none without a body; curl would invent a form type) and no Accept;
 * the token. */
static sztp_rc headers_make(const struct ctl_remote *rm, const char *ctype, struct curl_slist **out,
			    struct sztp_err *e)
{
	char ct[160];
	struct curl_slist *l = NULL, *n;

	*out = NULL;
	snprintf(ct, sizeof(ct), "Content-Type:%s%s", ctype ? " " : "", ctype ? ctype : "");
	if (!(n = curl_slist_append(l, ct)))
		goto nomem;
	l = n;
	if (!(n = curl_slist_append(l, "Accept:")))
		goto nomem;
	l = n;
	if (rm->auth[0]) {
		if (!(n = curl_slist_append(l, rm->auth)))
			goto nomem;
		l = n;
	}
	*out = l;
	return SZTP_OK;
nomem:
	curl_slist_free_all(l);
	return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
}

/* curl_slist_append copies the token: wipe those copies before freeing. */
static void headers_free(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

sztp_rc ctl_remote(struct ctl *c, const char *method, const char *path, const char *query,
		   const char *ctype, const void *body, size_t len, struct ctl_resp *r,
		   struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INTERNAL;
	struct curl_slist *hdr = NULL;
	struct sink s;
	char url[URL_MAX];
	long status = 0;
	CURLcode cc;
	int n;

	memset(r, 0, sizeof(*r));
	memset(&s, 0, sizeof(s));
	s.r = r;
	if ((rc = remote_open(c, e)) != SZTP_OK)
		return rc;
	n = snprintf(url, sizeof(url), "%s%s%s%s", c->remote->base, path, query ? "?" : "",
		     query ? query : "");
	if (n < 0 || (size_t)n >= sizeof(url))
		return sztp_err_set(e, SZTP_E_TOO_BIG, "the request's URL is longer than %d bytes",
				    URL_MAX - 1);
	if ((rc = headers_make(c->remote, ctype, &hdr, e)) != SZTP_OK)
		return rc;
	c->remote->errbuf[0] = '\0';
	request_setup(c, url, method, body, len, hdr, &s);
	cc = curl_easy_perform(c->remote->h);
	curl_easy_setopt(c->remote->h, CURLOPT_HTTPHEADER, NULL);
	headers_free(hdr);
	if (cc != CURLE_OK) {
		rc = transfer_error(c, cc, &s, e);
		ctl_resp_clear(r);
		return rc;
	}
	curl_easy_getinfo(c->remote->h, CURLINFO_RESPONSE_CODE, &status);
	r->status = (int)status;
	return SZTP_OK;
}
