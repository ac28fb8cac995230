/*
 * webhook.c - the webhook delivery worker (see webhook.h): one thread,
 * its own registry handle (never the device path's), one libcurl easy
 * handle per webhook kept between attempts (keep-alive; the webhook's CA
 * certificates in a memfd that handle reads).  Each attempt is recorded
 * with reg_webhook_result in one transaction: the cursor, the attempt
 * counters, the dead letters it made and the replays it delivered.  A
 * failure is logged when a webhook starts failing, not on every retry;
 * its recovery is logged too.  The only user of libcurl in sztpd.
 * Several sztpd on one registry (issue 14): only the holder of the
 * "webhooks" lease delivers and runs the events' retention
 * (lease_keeper.h); the others stand by and take over from the stored
 * cursors when its lease runs out.
 */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../server/config.h"
#include "crypto.h"
#include "event.h"
#include "lease_keeper.h"
#include "log.h"
#include "registry.h"
#include "strbuf.h"
#include "webhook.h"

#ifndef SZTP_VERSION
#define SZTP_VERSION "0.1.0"
#endif

#define POLL_MS		100   /* idle: how often due webhooks are looked for */
#define TRIM_FIRST_MS	1000  /* retention: first run after start */
#define TRIM_EVERY_MS	60000 /* then once a minute */
#define TRIM_AGAIN_MS	1000  /* after a full batch: the next one soon */
#define TRIM_BATCH	1000  /* events deleted per retention transaction */
#define SCAN_FILTERED	1000  /* events examined per attempt when a type list filters */
#define REPLY_MAX	4096  /* bytes of a receiver's answer kept (for the error text) */
#define BODY_MAX	(64u * 1024 * 1024) /* one batch's body: a hard cap */
#define WEBHOOK_ERR_MAX SZTP_ERR_MSG_MAX

struct hook {
	char name[REG_NAME_MAX];
	/* the configuration the handle was set up for: url, CA certificates,
	 * revision and creation time (a webhook removed and made again under
	 * the same name may have the same revision) */
	uint8_t config[CRYPTO_SHA256_LEN];
	CURL *curl;
	int ca_fd;   /* the webhook's CA certificates for curl (a memfd), -1: none */
	int failing; /* logged state: -1 not known yet, 0 delivering, 1 failing */
	int seen;    /* still listed (the others are freed) */
	struct hook *next;
};

struct webhooks {
	struct reg *reg;
	int batch, timeout, backoff_max, max_age;
	int64_t retention_s; /* 0: keep every event */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	int stop_asked; /* under mu */
	atomic_int stopping;
	/* the worker's own */
	struct hook *hooks;
	int64_t next_trim_ms;
	/* delivery and the events' retention run on one instance of several
	 * on one registry: the holder of this lease */
	struct lease_keeper lease;
};

/* One batch as sent: its body and, per event, id and time. */
struct batch {
	const char *types;  /* the webhook's type list ("" = every type) */
	size_t limit;	    /* events per batch */
	struct strbuf body; /* at most BODY_MAX bytes with its NUL */
	int64_t *ids, *times;
	size_t n, ncap;
	int64_t last; /* the last event id examined (delivered or skipped) */
	int oom;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t webhook_backoff_ms(int attempts, int max_s, double u)
{
	int64_t base_ms = (int64_t)max_s * 1000;

	if (attempts < 1)
		attempts = 1;
	/* 2^(attempts-1) s, capped before it can overflow */
	if (attempts - 1 < 31 && ((int64_t)1000 << (attempts - 1)) < base_ms)
		base_ms = (int64_t)1000 << (attempts - 1);
	if (u < 0)
		u = 0;
	if (u >= 1)
		u = 0.999999;
	return (int64_t)((double)base_ms * (0.5 + u));
}

sztp_rc webhook_signature(const char *secret, const char *timestamp, const void *body, size_t len,
			  char out[WEBHOOK_SIGNATURE_LEN], struct sztp_err *e)
{
	static const char hex[] = "0123456789abcdef";
	size_t tl = strlen(timestamp), i;
	uint8_t mac[CRYPTO_SHA256_LEN];
	sztp_rc rc = SZTP_E_NOMEM;
	char *msg = malloc(tl + 1 + len + 1);

	out[0] = '\0';
	if (!msg) {
		sztp_err_set(e, rc, "out of memory signing %zu bytes", len);
		goto out;
	}
	memcpy(msg, timestamp, tl);
	msg[tl] = '.';
	if (len)
		memcpy(msg + tl + 1, body, len);
	crypto_hmac_sha256(secret, strlen(secret), msg, tl + 1 + len, mac);
	memcpy(out, "sha256=", 7);
	for (i = 0; i < sizeof(mac); i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[7 + 2 * i + 1] = hex[mac[i] & 15];
	}
	out[WEBHOOK_SIGNATURE_LEN - 1] = '\0';
	crypto_wipe(mac, sizeof(mac));
	rc = SZTP_OK;
out:
	free(msg);
	return rc;
}

/* ---- batches ----------------------------------------------------------- */

static void batch_free(struct batch *b)
{
	strbuf_free(&b->body);
	free(b->ids);
	free(b->times);
	memset(b, 0, sizeof(*b));
}

/* Room for one more event's id and time. */
static int batch_grow(struct batch *b)
{
	if (b->n == b->ncap) {
		size_t ncap = b->ncap ? 2 * b->ncap : 64;
		int64_t *ids = realloc(b->ids, ncap * sizeof(*ids));

		if (!ids)
			return -1;
		b->ids = ids;
		ids = realloc(b->times, ncap * sizeof(*ids));
		if (!ids)
			return -1;
		b->times = ids;
		b->ncap = ncap;
	}
	return 0;
}

/* Append one event's envelope.  0, or -1 when it does not fit (the
 * batch ends before it). */
static int batch_add(struct batch *b, const struct reg_event *ev)
{
	char *env = event_envelope(ev);
	size_t el;

	if (!env) {
		/* not an object: it can never be sent; skipped, loudly */
		log_err("event %" PRId64 " (%s) has no valid JSON data: not delivered", ev->id,
			ev->type);
		return 0;
	}
	el = strlen(env);
	/* room for the event, a separator or the head, the closing "]}" and NUL */
	if (b->body.len + el + 16 + 1 > BODY_MAX || batch_grow(b) != 0) {
		free(env);
		if (b->n == 0)
			b->oom = 1;
		return -1;
	}
	strbuf_puts(&b->body, b->body.len ? "," : "{\"events\":[");
	strbuf_add(&b->body, env, el);
	free(env);
	if (b->body.oom) { /* the body so far is cut short: none of it is sent */
		b->oom = 1;
		return -1;
	}
	b->ids[b->n] = ev->id;
	b->times[b->n] = ev->time;
	b->n++;
	return 0;
}

/* 0, or -1 when out of memory */
static int batch_close(struct batch *b)
{
	strbuf_puts(&b->body, "]}");
	return b->body.oom ? -1 : 0;
}

static int on_event(const struct reg_event *ev, void *arg)
{
	struct batch *b = arg;

	if (!event_types_match(b->types, ev->type)) {
		b->last = ev->id; /* skipped: done with it */
		return 0;
	}
	if (b->n == b->limit || batch_add(b, ev) != 0)
		return 1; /* full: this one starts the next batch */
	b->last = ev->id;
	return 0;
}

static int on_dead_letter(const struct reg_dead_letter *d, void *arg)
{
	struct batch *b = arg;

	if (b->n == b->limit || batch_add(b, &d->ev) != 0)
		return 1;
	return 0;
}

/* ---- one POST ------------------------------------------------------------ */

struct reply {
	char text[REPLY_MAX];
	size_t len;
};

static size_t on_reply(char *p, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb, take = n;

	if (take > sizeof(r->text) - 1 - r->len)
		take = sizeof(r->text) - 1 - r->len;
	memcpy(r->text + r->len, p, take);
	r->len += take;
	r->text[r->len] = '\0';
	return n; /* the rest is read and dropped */
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct webhooks *w = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	return atomic_load(&w->stopping); /* non-zero aborts the transfer */
}

static void hook_reset(struct hook *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
	if (h->ca_fd >= 0)
		close(h->ca_fd);
	h->ca_fd = -1;
}

/* The webhook's CA certificates as a file curl can read: libcurl with
 * GnuTLS (Debian's) has no CURLOPT_CAINFO_BLOB, so they go to an
 * anonymous memory file, named /proc/self/fd/N, that no one else sees and
 * nothing has to remove. */
static int ca_file(struct hook *h, const char *pem, char *path, size_t len)
{
	size_t n = strlen(pem), off = 0;
	ssize_t k;

	h->ca_fd = memfd_create("sztpd-webhook-ca", MFD_CLOEXEC);
	if (h->ca_fd < 0)
		return -1;
	while (off < n) {
		k = write(h->ca_fd, pem + off, n - off);
		if (k <= 0)
			return -1;
		off += (size_t)k;
	}
	snprintf(path, len, "/proc/self/fd/%d", h->ca_fd);
	return 0;
}

/* The handle for this configuration of the webhook: kept while its
 * configuration holds, so the connection is reused.  NULL (err says why) when
 * none can be made. */
static CURL *hook_handle(struct webhooks *w, struct hook *h, const struct reg_webhook *row,
			 char *err, size_t errlen)
{
	uint8_t config[CRYPTO_SHA256_LEN];
	struct crypto_sha256 sh;
	char ca[64];
	CURL *c;

	crypto_sha256_init(&sh);
	crypto_sha256_update(&sh, row->url, strlen(row->url) + 1);
	crypto_sha256_update(&sh, row->ca_pem ? row->ca_pem : "",
			     row->ca_pem ? strlen(row->ca_pem) + 1 : 0);
	crypto_sha256_update(&sh, &row->revision, sizeof(row->revision));
	crypto_sha256_update(&sh, &row->created, sizeof(row->created));
	crypto_sha256_final(&sh, config);
	if (h->curl && !memcmp(h->config, config, sizeof(config)))
		return h->curl;
	hook_reset(h);
	memcpy(h->config, config, sizeof(config));
	if (row->ca_pem && row->ca_pem[0] && ca_file(h, row->ca_pem, ca, sizeof(ca)) != 0) {
		snprintf(err, errlen, "cannot hold its CA certificates for curl: %s",
			 strerror(errno));
		hook_reset(h);
		return NULL;
	}
	if (!(h->curl = c = curl_easy_init())) {
		snprintf(err, errlen, "cannot make an HTTP handle (out of memory)");
		hook_reset(h);
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_URL, row->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https"); /* never plain HTTP */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);     /* a redirect is a failure */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_fd >= 0) {
		/* this bundle only: not the system store too */
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)w->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)w->timeout);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sztpd/" SZTP_VERSION);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_reply);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
	return c;
}

/* Text of a receiver's answer fit for last_error: printable ASCII, one line. */
/* A transfer that failed on a reused connection before any answer: the
 * receiver had closed it (keep-alive timeout) as the request went out. */
static int stale_connection(CURL *c, CURLcode res)
{
	long fresh = 1, code = 0;

	if (res != CURLE_SEND_ERROR && res != CURLE_RECV_ERROR && res != CURLE_GOT_NOTHING)
		return 0;
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &fresh);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	return fresh == 0 && code == 0;
}

static void reply_excerpt(const struct reply *r, char *out, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < r->len && o + 1 < len && o < 120; i++)
		out[o++] = (r->text[i] >= 0x20 && r->text[i] < 0x7f) ? r->text[i] : ' ';
	out[o] = '\0';
	while (o > 0 && out[o - 1] == ' ')
		out[--o] = '\0';
}

/* POST b to the webhook.  1: the receiver took it (2xx); 0: it did not
 * (*status, err say why); -1: abandoned (stopping, or no handle). */
static int post(struct webhooks *w, struct hook *h, const struct reg_webhook *row,
		const struct batch *b, int *status, char *err, size_t errlen)
{
	char ts[24], sig[WEBHOOK_SIGNATURE_LEN], line[REG_NAME_MAX + 160], cerr[CURL_ERROR_SIZE];
	char excerpt[128];
	struct curl_slist *hdr = NULL, *t;
	struct reply reply = {.len = 0};
	struct sztp_err e = {0};
	CURLcode res;
	long code = 0;
	int ok = -1, i;
	CURL *c;

	*status = 0;
	err[0] = '\0';
	if (!(c = hook_handle(w, h, row, err, errlen)))
		return 0;
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	if (webhook_signature(row->secret ? row->secret : "", ts, b->body.p, b->body.len, sig,
			      &e) != SZTP_OK) {
		snprintf(err, errlen, "%s", e.msg);
		return 0;
	}
	for (i = 0; i < 5; i++) {
		if (i == 0)
			snprintf(line, sizeof(line), "Content-Type: application/json");
		else if (i == 1)
			snprintf(line, sizeof(line), "Expect:"); /* no 100-continue round trip */
		else
			snprintf(line, sizeof(line), "X-SZTP-%s: %s",
				 i == 2	  ? "Webhook"
				 : i == 3 ? "Timestamp"
					  : "Signature",
				 i == 2	  ? row->name
				 : i == 3 ? ts
					  : sig);
		if (!(t = curl_slist_append(hdr, line))) {
			snprintf(err, errlen, "out of memory building the request");
			ok = 0;
			goto out;
		}
		hdr = t;
	}
	cerr[0] = '\0';
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, b->body.p);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->body.len);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	res = curl_easy_perform(c);
	if (stale_connection(c, res) && !atomic_load(&w->stopping)) {
		/* the receiver closed the kept-alive connection as we sent on it
		 * (an idle timeout): once more on a new one, not a failed attempt
		 * (a repeat is harmless: receivers drop ids they have) */
		reply.len = 0;
		cerr[0] = '\0';
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		res = curl_easy_perform(c);
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 0L);
	}
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	if (res == CURLE_ABORTED_BY_CALLBACK && atomic_load(&w->stopping))
		goto out; /* -1: not an attempt */
	if (res != CURLE_OK) {
		snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(res));
		ok = 0;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	*status = (int)code;
	ok = code >= 200 && code < 300;
	if (!ok) {
		reply_excerpt(&reply, excerpt, sizeof(excerpt));
		snprintf(err, errlen, "the receiver answered HTTP %ld%s%s", code,
			 excerpt[0] ? ": " : "", excerpt);
	}
out:
	curl_slist_free_all(hdr);
	return ok;
}

/* ---- one attempt ----------------------------------------------------------- */

static void log_state(struct hook *h, const struct reg_webhook *row, int ok, const char *err)
{
	/* failing == -1: sztpd restarted meanwhile */
	if (ok && (h->failing == 1 || (h->failing == -1 && row->attempts > 0)))
		log_info("webhook %s: delivering again after %d failed attempt(s)", row->name,
			 row->attempts);
	else if (!ok && h->failing != 1)
		log_warn("webhook %s: delivery to %s failed: %s (retrying with backoff)", row->name,
			 row->url, err);
	h->failing = !ok;
}

/* One attempt's record, committed without waiting for the disk: a power
 * cut may lose the last records, which only sends those events again
 * (the cursor, the dead letters and the replays go back together); a
 * crash of the process loses nothing.  The device path's commits are not
 * slowed by the worker's. */
static sztp_rc result_write(struct webhooks *w, const char *name,
			    const struct reg_webhook_result *res, struct sztp_err *e)
{
	sztp_rc rc = reg_begin_nosync(w->reg, e);

	if (rc != SZTP_OK)
		return rc;
	rc = reg_webhook_result(w->reg, name, res, e);
	if (rc == SZTP_OK)
		return reg_commit(w->reg, e);
	reg_rollback(w->reg);
	return rc;
}

static double jitter(void)
{
	uint32_t r = 0;

	if (crypto_random(&r, sizeof(r), NULL) != SZTP_OK)
		r = (uint32_t)now_ms() * 2654435761u;
	return (double)r / 4294967296.0;
}

/* Record what the attempt did; the failing batch's events older than
 * webhook-max-age become dead letters (a leading run of them: the cursor
 * may only pass those). */
static void record(struct webhooks *w, const struct reg_webhook *row, const struct batch *b,
		   int replay, int ok, int status, const char *err)
{
	struct reg_webhook_result res;
	struct sztp_err e = {0};
	int64_t cutoff = time(NULL) - w->max_age;
	size_t n_dead = 0;

	memset(&res, 0, sizeof(res));
	res.ok = ok;
	res.status = status;
	res.cursor = row->cursor;
	if (ok) {
		res.delivered = (int64_t)b->n;
		if (replay) {
			res.replayed = b->ids;
			res.n_replayed = b->n;
		} else {
			res.cursor = b->last;
		}
	} else {
		res.error = err;
		res.attempts = row->attempts + 1;
		res.next_attempt_ms =
		    now_ms() + webhook_backoff_ms(res.attempts, w->backoff_max, jitter());
		while (!replay && n_dead < b->n && b->times[n_dead] < cutoff)
			n_dead++;
		if (n_dead) {
			res.dead = b->ids;
			res.n_dead = n_dead;
			res.cursor = n_dead == b->n ? b->last : b->ids[n_dead] - 1;
			log_warn("webhook %s: %zu event(s) older than %d s given up after %d "
				 "attempts: in the dead-letter list (events %" PRId64 "..%" PRId64
				 ")",
				 row->name, n_dead, w->max_age, res.attempts, b->ids[0],
				 b->ids[n_dead - 1]);
		}
	}
	if (res.cursor < row->cursor)
		res.cursor = row->cursor;
	if (result_write(w, row->name, &res, &e) != SZTP_OK && e.rc != SZTP_E_NOT_FOUND)
		log_err("webhook %s: cannot record a delivery attempt: %s", row->name, e.msg);
}

/* The cursor moves past events the type list skips, with no POST (the
 * webhook is not failing: its state stays that of a success). */
static void record_skipped(struct webhooks *w, const struct reg_webhook *row, int64_t cursor)
{
	struct reg_webhook_result res;
	struct sztp_err e = {0};

	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.status = row->last_status;
	res.cursor = cursor;
	if (result_write(w, row->name, &res, &e) != SZTP_OK && e.rc != SZTP_E_NOT_FOUND)
		log_err("webhook %s: cannot move its cursor: %s", row->name, e.msg);
}

/* One attempt for one due webhook.  Returns 1 when more may be waiting
 * (a full batch went out), else 0. */
static int deliver(struct webhooks *w, struct hook *h, const struct reg_webhook *row,
		   int64_t last_id)
{
	struct batch b;
	struct reg_query q = REG_QUERY_INIT;
	struct sztp_err e = {0};
	char err[WEBHOOK_ERR_MAX];
	int replay = 1, ok, status = 0, more = 0;

	memset(&b, 0, sizeof(b));
	b.types = row->types ? row->types : "";
	b.limit = (size_t)w->batch;
	b.last = row->cursor;
	/* the dead letters queued for replay come first */
	if (reg_dead_letter_query(w->reg, row->name, 1, 0, w->batch, on_dead_letter, &b, &e) !=
	    SZTP_OK) {
		log_err("webhook %s: cannot read its dead letters: %s", row->name, e.msg);
		goto out;
	}
	if (b.n == 0 && !b.oom && row->cursor < last_id) {
		replay = 0;
		q.after_id = row->cursor;
		q.limit =
		    b.types[0] ? (w->batch > SCAN_FILTERED ? w->batch : SCAN_FILTERED) : w->batch;
		if (reg_event_query(w->reg, &q, on_event, &b, &e) != SZTP_OK) {
			log_err("webhook %s: cannot read the events: %s", row->name, e.msg);
			goto out;
		}
	}
	if (b.oom) {
		log_err("webhook %s: out of memory building a batch", row->name);
		goto out;
	}
	if (b.n == 0) {
		/* only skipped events: the cursor moves on its own while the
		 * webhook is healthy; while it is failing (its batch just went
		 * to the dead letters) its state is left as it is, and the next
		 * batch moves the cursor past these too */
		more = b.last > row->cursor && row->attempts == 0;
		if (more)
			record_skipped(w, row, b.last);
		goto out;
	}
	if (batch_close(&b) != 0) {
		log_err("webhook %s: out of memory building a batch", row->name);
		goto out;
	}
	ok = post(w, h, row, &b, &status, err, sizeof(err));
	if (ok < 0)
		goto out;
	record(w, row, &b, replay, ok, status, err);
	log_state(h, row, ok, err);
	more = ok && (b.n == b.limit || b.last < last_id);
out:
	batch_free(&b);
	return more;
}

/* ---- the worker ---------------------------------------------------------- */

static struct hook *hook_find(struct webhooks *w, const char *name)
{
	struct hook *h;

	for (h = w->hooks; h; h = h->next)
		if (!strcmp(h->name, name))
			return h;
	if (!(h = calloc(1, sizeof(*h))))
		return NULL;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->ca_fd = -1;
	h->failing = -1;
	h->next = w->hooks;
	w->hooks = h;
	return h;
}

/* Free the hooks of webhooks no longer listed (all when all is set). */
static void hooks_sweep(struct webhooks *w, int all)
{
	struct hook **p = &w->hooks, *h;

	while ((h = *p)) {
		if (all || !h->seen) {
			*p = h->next;
			hook_reset(h);
			free(h);
		} else {
			h->seen = 0;
			p = &h->next;
		}
	}
}

/* The webhooks listed now, and which are due. */
struct listed {
	char name[REG_NAME_MAX];
	int due;
};
struct due {
	struct listed *l;
	size_t n, cap;
	int64_t now;
	int oom;
};

static int on_webhook(const struct reg_webhook *row, void *arg)
{
	struct due *d = arg;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		struct listed *p = realloc(d->l, cap * sizeof(*p));

		if (!p) {
			d->oom = 1;
			return 1;
		}
		d->l = p;
		d->cap = cap;
	}
	snprintf(d->l[d->n].name, REG_NAME_MAX, "%s", row->name);
	d->l[d->n++].due = row->enabled && row->next_attempt_ms <= d->now;
	return 0;
}

/* Every due webhook gets one attempt.  Returns 1 when some has more. */
static int tick(struct webhooks *w)
{
	struct due d = {.now = now_ms()};
	struct sztp_err e = {0};
	struct reg_webhook row;
	struct hook *h;
	int64_t last_id = 0;
	int more = 0;
	size_t i;

	if (reg_webhook_list(w->reg, on_webhook, &d, &e) != SZTP_OK ||
	    reg_event_last_id(w->reg, &last_id, &e) != SZTP_OK) {
		log_debug("webhooks: %s", e.msg);
		goto out;
	}
	for (i = 0; i < d.n && !atomic_load(&w->stopping); i++) {
		if (!(h = hook_find(w, d.l[i].name)))
			continue;
		h->seen = 1; /* its handle is kept */
		if (!d.l[i].due || reg_webhook_get(w->reg, d.l[i].name, &row, &e) != SZTP_OK)
			continue; /* not due; removed meanwhile */
		more |= deliver(w, h, &row, last_id);
		reg_webhook_clear(&row);
	}
	if (!d.oom) /* a partial list would drop handles still in use */
		hooks_sweep(w, 0);
out:
	free(d.l);
	return more;
}

/* Retention: events older than event-retention-days that every consumer
 * is done with, in small transactions. */
static void trim(struct webhooks *w)
{
	struct sztp_err e = {0};
	int64_t deleted = 0, now = now_ms();

	if (now < w->next_trim_ms)
		return;
	w->next_trim_ms = now + TRIM_EVERY_MS;
	if (!w->retention_s)
		return;
	if (reg_event_trim(w->reg, time(NULL) - w->retention_s, TRIM_BATCH, &deleted, &e) !=
	    SZTP_OK) {
		log_err("event retention: %s", e.msg);
		return;
	}
	if (deleted)
		log_debug("event retention: %" PRId64 " event(s) deleted", deleted);
	if (deleted >= TRIM_BATCH)
		w->next_trim_ms = now + TRIM_AGAIN_MS;
}

static void *worker(void *arg)
{
	struct webhooks *w = arg;
	struct timespec until;
	int more;

	while (!atomic_load(&w->stopping)) {
		more = 0;
		if (lease_keeper_hold(&w->lease, w->reg)) {
			more = tick(w);
			trim(w);
		}
		if (more)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += POLL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&w->mu);
		if (!w->stop_asked)
			pthread_cond_timedwait(&w->wake, &w->mu, &until);
		pthread_mutex_unlock(&w->mu);
	}
	hooks_sweep(w, 1);
	lease_keeper_release(&w->lease, w->reg);
	return NULL;
}

sztp_rc webhooks_start(const struct config *cfg, struct webhooks **out, struct sztp_err *e)
{
	struct webhooks *w = NULL;
	pthread_condattr_t ca;
	sztp_rc rc = SZTP_E_NOMEM;
	int inited = 0;

	*out = NULL;
	if (!(w = calloc(1, sizeof(*w)))) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	w->batch = cfg->webhook_batch > 0 ? cfg->webhook_batch : 100;
	w->timeout = cfg->webhook_timeout > 0 ? cfg->webhook_timeout : 10;
	w->backoff_max = cfg->webhook_backoff_max > 0 ? cfg->webhook_backoff_max : 300;
	w->max_age = cfg->webhook_max_age > 0 ? cfg->webhook_max_age : 86400;
	w->retention_s = (int64_t)cfg->event_retention_days * 86400;
	w->next_trim_ms = now_ms() + TRIM_FIRST_MS;
	lease_keeper_init(&w->lease, "webhooks");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "webhooks: libcurl cannot start");
		goto out;
	}
	inited = 1;
	rc = reg_open_existing(cfg->database, &w->reg, e);
	if (rc != SZTP_OK)
		goto out;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->thread, NULL, worker, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->mu);
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "webhooks: cannot start a thread");
		goto out;
	}
	pthread_setname_np(w->thread, "sztpd-webhook"); /* top -H, perf: which thread costs what */
	*out = w;
	w = NULL;
	rc = SZTP_OK;
out:
	if (w) {
		reg_close(w->reg);
		if (inited)
			curl_global_cleanup();
		free(w);
	}
	return rc;
}

void webhooks_stop(struct webhooks *w)
{
	if (!w)
		return;
	atomic_store(&w->stopping, 1);
	pthread_mutex_lock(&w->mu);
	w->stop_asked = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->mu);
	reg_close(w->reg);
	curl_global_cleanup();
	free(w);
}
