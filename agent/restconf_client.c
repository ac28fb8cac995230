/*
 * restconf_client.c - the agent's HTTPS side, on libcurl (GnuTLS build):
 * TLS with the IDevID and its intermediates as client certificate
 * (RFC 8572 s5.3: the device MUST send them), the server validated
 * against the given anchors with RFC 6125 host-name checks (trusted) or
 * not at all (untrusted, "blind"); RESTCONF root discovery through
 * /.well-known/host-meta (RFC 8040 s3.1) with the RPC path appended to
 * the discovered root once; the two RPCs (s7); image downloads.
 * The only module that includes curl.h.  Every body has a size cap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "agent.h"
#include "log.h"

#define BODY_MAX   (4u << 20)	/* RPC responses, host-meta */
#define IMAGE_MAX  (2ull << 30) /* downloads */
#define RPC_PREFIX "/operations/ietf-sztp-bootstrap-server:"

struct bsclient {
	struct agent_dev *d;
	CURL *h;
	struct curl_slist *resolve;
	char base[320];	 /* https://host:port */
	char root[1024]; /* discovered RESTCONF root, no trailing "/" */
	int trusted;
};

struct sink {
	sztp_bytes *b;
	size_t cap;
	FILE *f;
	unsigned long long n, max;
	int over;
};

sztp_rc bsclient_global_init(struct sztp_err *e)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return sztp_err_set(e, SZTP_E_INTERNAL, "libcurl initialisation failed");
	return SZTP_OK;
}

void bsclient_global_cleanup(void)
{
	curl_global_cleanup();
}

static size_t sink_write(char *p, size_t sz, size_t nm, void *ud)
{
	struct sink *s = ud;
	size_t n = sz * nm;
	uint8_t *nb;

	if (s->f) {
		s->n += n;
		if (s->n > s->max) {
			s->over = 1;
			return 0;
		}
		return fwrite(p, 1, n, s->f);
	}
	if (n > BODY_MAX - s->b->len) {
		s->over = 1;
		return 0;
	}
	if (s->b->len + n + 1 > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 4096;

		while (nc < s->b->len + n + 1)
			nc *= 2;
		if (!(nb = realloc(s->b->data, nc)))
			return 0;
		s->b->data = nb;
		s->cap = nc;
	}
	memcpy(s->b->data + s->b->len, p, n);
	s->b->len += n;
	s->b->data[s->b->len] = '\0';
	return n;
}

sztp_rc url_split(const char *url, char *host, size_t hlen, unsigned *port, char *path, size_t plen,
		  struct sztp_err *e)
{
	const char *p, *h, *end;
	size_t n;
	long pt = 443;

	if (strncasecmp(url, "https://", 8))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "'%s' is not an https URL", url);
	h = p = url + 8;
	if (*p == '[') {
		h = ++p;
		if (!(end = strchr(p, ']')))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE, "'%s': unclosed '['", url);
		n = (size_t)(end - h);
		p = end + 1;
	} else {
		n = strcspn(p, ":/");
		p += n;
	}
	if (n == 0 || n >= hlen)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "'%s': bad host", url);
	memcpy(host, h, n);
	host[n] = '\0';
	if (*p == ':') {
		char *q;

		pt = strtol(p + 1, &q, 10);
		if (q == p + 1 || pt < 1 || pt > 65535 || (*q && *q != '/'))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE, "'%s': bad port", url);
		p = q;
	}
	*port = (unsigned)pt;
	if (path)
		snprintf(path, plen, "%s", p);
	return SZTP_OK;
}

static void url_host(const char *host, char *out, size_t len)
{
	snprintf(out, len, strchr(host, ':') ? "[%s]" : "%s", host);
}

static CURL *handle_new(struct agent_dev *d, const char *ca_file)
{
	const struct agent_config *c = d->cfg;
	CURL *h = curl_easy_init();

	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->http_timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->http_timeout);
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	if (ca_file) {
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	} else {
		curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return h;
}

/* One request on the connection's handle; *status = HTTP status. */
static sztp_rc perform(struct bsclient *c, const char *url, const char *body, long *status,
		       sztp_bytes *resp, struct sztp_err *e)
{
	struct curl_slist *hdr = NULL;
	struct sink s = {.b = resp};
	CURLcode cc;
	sztp_rc rc = SZTP_E_IO;

	sztp_bytes_free(resp);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &s);
	if (body) {
		char ct[64], ac[64];

		snprintf(ct, sizeof(ct), "Content-Type: %s", agent_media_type(c->d));
		snprintf(ac, sizeof(ac), "Accept: %s", agent_media_type(c->d));
		hdr = curl_slist_append(hdr, ct);
		hdr = curl_slist_append(hdr, ac);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else {
		hdr = curl_slist_append(hdr, "Accept: application/xrd+xml");
		curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdr);
	cc = curl_easy_perform(c->h);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE) {
		sztp_err_set(e, SZTP_E_VERIFY, "%s: server certificate not trusted: %s", c->base,
			     curl_easy_strerror(cc));
		goto out;
	}
	if (s.over) {
		sztp_err_set(e, SZTP_E_TOO_BIG, "%s: response larger than %u bytes", url, BODY_MAX);
		goto out;
	}
	if (cc != CURLE_OK) {
		sztp_err_set(e, SZTP_E_IO, "%s: %s", url, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, status);
	rc = SZTP_OK;
out:
	if (rc)
		sztp_bytes_free(resp);
	return rc;
}

/* href of the restconf Link in an XRD (RFC 8040 s3.1, RFC 6415). */
static int xrd_href(const char *x, char *out, size_t len)
{
	const char *l = x, *r, *h, *end;
	char q;

	while ((l = strstr(l, "<Link")) != NULL) {
		end = strchr(l, '>');
		if (!end)
			return 0;
		r = strstr(l, "rel=");
		if (r && r < end && (r[4] == '\'' || r[4] == '"') &&
		    !strncmp(r + 5, "restconf", 8) && r[13] == r[4]) {
			h = strstr(l, "href=");
			if (!h || h > end || (h[5] != '\'' && h[5] != '"'))
				return 0;
			q = h[5];
			h += 6;
			r = strchr(h, q);
			if (!r || r > end || (size_t)(r - h) >= len)
				return 0;
			memcpy(out, h, (size_t)(r - h));
			out[r - h] = '\0';
			return 1;
		}
		l = end;
	}
	return 0;
}

static sztp_rc discover(struct bsclient *c, struct sztp_err *e)
{
	char url[400], href[512];
	sztp_bytes b = {0};
	long st = 0;
	size_t n;
	sztp_rc rc;

	snprintf(url, sizeof(url), "%s/.well-known/host-meta", c->base);
	if ((rc = perform(c, url, NULL, &st, &b, e)) != SZTP_OK)
		return rc;
	if (st == 200 && b.data && xrd_href((const char *)b.data, href, sizeof(href))) {
		if (href[0] == '/') {
			snprintf(c->root, sizeof(c->root), "%s%s", c->base, href);
		} else if (!strncmp(href, c->base, strlen(c->base)) &&
			   (href[strlen(c->base)] == '/' || !href[strlen(c->base)])) {
			snprintf(c->root, sizeof(c->root), "%s", href);
		} else {
			sztp_bytes_free(&b);
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "%s: host-meta points the RESTCONF root to another "
					    "origin (%s)",
					    c->base, href);
		}
	} else {
		agent_log(c->d, LOG_LVL_WARN, "discovery",
			  "%s: no RESTCONF link in host-meta (status %ld), using /restconf",
			  c->base, st);
		snprintf(c->root, sizeof(c->root), "%s/restconf", c->base);
	}
	sztp_bytes_free(&b);
	n = strlen(c->root);
	while (n > 0 && c->root[n - 1] == '/') /* never "//operations" */
		c->root[--n] = '\0';
	/* a root that already names the RPC (some DHCP setups hand out the
	 * full URL): keep only the part before "/operations/..." */
	{
		char *op = strstr(c->root, RPC_PREFIX);

		if (op)
			*op = '\0';
	}
	return SZTP_OK;
}

sztp_rc bsclient_open(struct agent_dev *d, const char *host, unsigned port, const char *addr,
		      const char *ca_file, struct bsclient **out, struct sztp_err *e)
{
	const struct agent_config *cfg = d->cfg;
	struct bsclient *c = calloc(1, sizeof(*c));
	char hb[300], res[400];
	double t0 = agent_now_ms();
	sztp_rc rc = SZTP_E_NOMEM;

	*out = NULL;
	if (!c || !(c->h = handle_new(d, ca_file))) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	c->d = d;
	c->trusted = ca_file != NULL;
	url_host(host, hb, sizeof(hb));
	snprintf(c->base, sizeof(c->base), "https://%s:%u", hb, port);
	if (addr) { /* RFC 8572 s5.5: try each resolved address in turn */
		snprintf(res, sizeof(res), "%s:%u:%s%s%s", host, port, strchr(addr, ':') ? "[" : "",
			 addr, strchr(addr, ':') ? "]" : "");
		c->resolve = curl_slist_append(NULL, res);
		curl_easy_setopt(c->h, CURLOPT_RESOLVE, c->resolve);
	}
	curl_easy_setopt(c->h, CURLOPT_SSLCERT, cfg->idevid_chain);
	curl_easy_setopt(c->h, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(c->h, CURLOPT_SSLKEY, cfg->idevid_key);
	/* HTTP Basic (RFC 8572 s5.3) to a trusted server only: a server the
	 * device cannot authenticate could be anyone's, and a password sent
	 * there is a password given away (s9.6; docs/agent.md) */
	if (d->password[0] && c->trusted) {
		curl_easy_setopt(c->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c->h, CURLOPT_USERNAME, d->serial);
		curl_easy_setopt(c->h, CURLOPT_PASSWORD, d->password);
	} else if (d->password[0]) {
		agent_log(d, LOG_LVL_INFO, "connect",
			  "%s is not trusted: HTTP Basic password withheld", c->base);
	}
	if ((rc = discover(c, e)) != SZTP_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	d->ms[PH_DISCOVERY] += agent_now_ms() - t0;
	bsclient_close(c);
	return rc;
}

int bsclient_trusted(const struct bsclient *c)
{
	return c && c->trusted;
}

const char *bsclient_root(const struct bsclient *c)
{
	return c->root;
}

sztp_rc bsclient_post(struct bsclient *c, const char *rpc, const char *body, long *status,
		      sztp_bytes *resp, struct sztp_err *e)
{
	char url[1200];
	double t0 = agent_now_ms();
	sztp_rc rc;

	snprintf(url, sizeof(url), "%s" RPC_PREFIX "%s", c->root, rpc);
	rc = perform(c, url, body, status, resp, e);
	c->d->ms[strcmp(rpc, "report-progress") ? PH_REQUEST : PH_REPORT] += agent_now_ms() - t0;
	return rc;
}

void bsclient_close(struct bsclient *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->resolve);
	free(c);
}

/* The tail of a plain GET (http_download, http_fetch): perform h, whose
 * body goes to s; then a body over limit bytes ("<url>: <what>larger than
 * <limit> bytes"), curl's error, an HTTP status other than 200. */
static sztp_rc get_perform(CURL *h, const char *url, struct sink *s, const char *what,
			   unsigned long long limit, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_IO;
	CURLcode cc = curl_easy_perform(h);
	long st = 0;

	if (s->over || (s->b && s->b->len > limit)) {
		rc = sztp_err_set(e, SZTP_E_TOO_BIG, "%s: %slarger than %llu bytes", url, what,
				  limit);
		goto out;
	}
	if (cc != CURLE_OK) {
		sztp_err_set(e, rc, "%s: %s", url, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
	if (st != 200) {
		sztp_err_set(e, rc, "%s: HTTP status %ld", url, st);
		goto out;
	}
	rc = SZTP_OK;
out:
	return rc;
}

sztp_rc http_download(struct agent_dev *d, const char *url, const char *path, struct sztp_err *e)
{
	struct sink s = {.max = IMAGE_MAX};
	sztp_rc rc = SZTP_E_IO;
	CURL *h = NULL;

	/* RFC 8572 s6.3: the image is verified by its hash, so the download
	 * itself may be done without authenticating the file server. */
	if (strncasecmp(url, "https://", 8))
		return sztp_err_set(e, SZTP_E_UNSUPPORTED, "download-uri '%s' is not https", url);
	if (!(s.f = fopen(path, "wbe")))
		return sztp_err_set(e, rc, "cannot create %s: %s", path, strerror(errno));
	if (!(h = handle_new(d, NULL))) {
		sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 0L);
	rc = get_perform(h, url, &s, "image ", s.max, e);
out:
	if (s.f && fclose(s.f) && rc == SZTP_OK)
		rc = sztp_err_set(e, SZTP_E_IO, "cannot write %s: %s", path, strerror(errno));
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

sztp_rc http_fetch(struct agent_dev *d, const char *url, size_t max, sztp_bytes *out,
		   struct sztp_err *e)
{
	struct sink s = {.b = out};
	sztp_rc rc = SZTP_E_IO;
	CURL *h = NULL;

	out->data = NULL;
	out->len = 0;
	/* the https-only client (CURLOPT_PROTOCOLS_STR) refuses anything else
	 * too; said here in words */
	if (strncasecmp(url, "https://", 8))
		return sztp_err_set(e, SZTP_E_UNSUPPORTED, "%s: not an https URL", url);
	if (!(h = handle_new(d, NULL)))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	/* the bound named: max, or BODY_MAX where the sink stops short of it */
	rc = get_perform(h, url, &s, "", max < BODY_MAX ? max : (unsigned long long)BODY_MAX, e);
	if (rc)
		sztp_bytes_free(out);
	curl_easy_cleanup(h);
	return rc;
}
