/*
 * throttle.c - token buckets and the bootstrapping-log filter in fixed-size
 * tables (see throttle.h).  A key is hashed with a per-table random salt
 * (SHA-256, first 8 bytes) into a set of THROTTLE_WAYS slots; lookups and
 * updates hold the table's mutex for a few comparisons.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "log.h"
#include "request.h"
#include "server.h"
#include "throttle.h"

#define LF_WINDOW_MS 60000 /* the log filter's minute */
#define KEY_MAX	     64

/* sztpd's table sizes: a few hundred KiB in all, whatever the load */
#define AUTH_SLOTS   4096
#define REPORT_SLOTS 16384

int64_t throttle_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void throttle_peer_key(const char *peer, char *out, size_t len)
{
	struct in6_addr a;
	char txt[INET6_ADDRSTRLEN];

	if (strchr(peer, ':') && inet_pton(AF_INET6, peer, &a) == 1) {
		memset(&a.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &a, txt, sizeof(txt))) {
			snprintf(out, len, "%s/64", txt);
			return;
		}
	}
	snprintf(out, len, "%s", peer);
}

/* Keyed hash of a key: never 0 (0 marks a free slot). */
static uint64_t key_hash(const uint8_t salt[16], const char *key)
{
	struct crypto_sha256 h;
	uint8_t d[CRYPTO_SHA256_LEN];
	uint64_t v;

	crypto_sha256_init(&h);
	crypto_sha256_update(&h, salt, 16);
	crypto_sha256_update(&h, key, strlen(key));
	crypto_sha256_final(&h, d);
	memcpy(&v, d, sizeof(v));
	return v ? v : 1;
}

static size_t sets_for(size_t slots)
{
	size_t n = (slots + THROTTLE_WAYS - 1) / THROTTLE_WAYS;

	return n ? n : 1;
}

/* ---- token buckets ---------------------------------------------------- */

struct bucket {
	uint64_t key; /* 0: free */
	double tokens;
	int64_t at_ms;	   /* when tokens was last brought up to date */
	int64_t warned_ms; /* when throttle_charge last said it emptied */
	int warned;
};

struct throttle {
	pthread_mutex_t mu;
	uint8_t salt[16];
	size_t nsets, used;
	double burst;
	double per_ms; /* tokens refilled per millisecond */
	int64_t window_ms;
	struct bucket *b;
};

sztp_rc throttle_new(size_t slots, unsigned burst, unsigned window_s, struct throttle **out,
		     struct sztp_err *e)
{
	struct throttle *t = NULL;
	sztp_rc rc = SZTP_OK;

	*out = NULL;
	if (!burst)
		goto out;
	rc = SZTP_E_NOMEM;
	if (!(t = calloc(1, sizeof(*t))) ||
	    !(t->b = calloc(sets_for(slots) * THROTTLE_WAYS, sizeof(*t->b)))) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	if ((rc = crypto_random(t->salt, sizeof(t->salt), e)) != SZTP_OK)
		goto out;
	t->nsets = sets_for(slots);
	t->burst = burst;
	t->window_ms = (int64_t)(window_s ? window_s : 1) * 1000;
	t->per_ms = (double)burst / (double)t->window_ms;
	pthread_mutex_init(&t->mu, NULL);
	*out = t;
	t = NULL;
out:
	if (t)
		free(t->b);
	free(t);
	return rc;
}

void throttle_free(struct throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->b);
	free(t);
}

static void refill(const struct throttle *t, struct bucket *b, int64_t now)
{
	if (now <= b->at_ms)
		return;
	b->tokens += (double)(now - b->at_ms) * t->per_ms;
	if (b->tokens > t->burst)
		b->tokens = t->burst;
	b->at_ms = now;
}

/* key's bucket, brought up to date; NULL when it has none and create is
 * 0.  A new key takes a free slot of its set, else the slot whose key has
 * refilled most (it loses least by starting over). */
static struct bucket *bucket_of(struct throttle *t, const char *key, int64_t now, int create)
{
	uint64_t h = key_hash(t->salt, key);
	struct bucket *set = &t->b[(h >> 32) % t->nsets * THROTTLE_WAYS], *pick = NULL;
	size_t i;

	for (i = 0; i < THROTTLE_WAYS; i++) {
		if (set[i].key == h) {
			refill(t, &set[i], now);
			return &set[i];
		}
	}
	if (!create)
		return NULL;
	for (i = 0; i < THROTTLE_WAYS; i++) {
		if (!set[i].key) {
			pick = &set[i];
			t->used++;
			break;
		}
		refill(t, &set[i], now);
		if (!pick || set[i].tokens > pick->tokens ||
		    (set[i].tokens == pick->tokens && set[i].at_ms < pick->at_ms))
			pick = &set[i];
	}
	memset(pick, 0, sizeof(*pick));
	pick->key = h;
	pick->tokens = t->burst;
	pick->at_ms = now;
	return pick;
}

static unsigned wait_s(const struct throttle *t, const struct bucket *b)
{
	double ms = (1.0 - b->tokens) / t->per_ms;
	unsigned s = (unsigned)(ms / 1000.0);

	if (s * 1000.0 < ms) /* rounded up: a client that waits so long gets a token */
		s++;
	return s ? s : 1;
}

unsigned throttle_wait(struct throttle *t, const char *key, int64_t now_ms)
{
	struct bucket *b;
	unsigned w = 0;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->mu);
	b = bucket_of(t, key, now_ms, 0);
	if (b && b->tokens < 1.0)
		w = wait_s(t, b);
	pthread_mutex_unlock(&t->mu);
	return w;
}

unsigned throttle_take(struct throttle *t, const char *key, int64_t now_ms)
{
	struct bucket *b;
	unsigned w = 0;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->mu);
	b = bucket_of(t, key, now_ms, 1);
	if (b->tokens >= 1.0)
		b->tokens -= 1.0;
	else
		w = wait_s(t, b);
	pthread_mutex_unlock(&t->mu);
	return w;
}

int throttle_charge(struct throttle *t, const char *key, int64_t now_ms)
{
	struct bucket *b;
	int emptied;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->mu);
	b = bucket_of(t, key, now_ms, 1);
	emptied = b->tokens >= 1.0 && b->tokens < 2.0;
	b->tokens = b->tokens >= 1.0 ? b->tokens - 1.0 : 0.0;
	/* said once a window: a refill and its next failure do not repeat it */
	if (emptied && b->warned && now_ms - b->warned_ms < t->window_ms)
		emptied = 0;
	if (emptied) {
		b->warned = 1;
		b->warned_ms = now_ms;
	}
	pthread_mutex_unlock(&t->mu);
	return emptied;
}

size_t throttle_keys(struct throttle *t)
{
	size_t n;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->mu);
	n = t->used;
	pthread_mutex_unlock(&t->mu);
	return n;
}

size_t throttle_slots(const struct throttle *t)
{
	return t ? t->nsets * THROTTLE_WAYS : 0;
}

/* ---- the bootstrapping-log filter ------------------------------------- */

struct lf_ent {
	uint64_t key;	     /* 0: free */
	int64_t start_ms;    /* its minute began */
	unsigned written;    /* rows written in that minute */
	uint64_t suppressed; /* rows counted instead */
	char peer[KEY_MAX];  /* the key as text, for its summary */
};

struct logfilter {
	pthread_mutex_t mu;
	uint8_t salt[16];
	size_t nsets, used;
	unsigned per_peer, total;
	int64_t g_start; /* the minute of the total */
	unsigned g_written;
	uint64_t g_suppressed;
	struct lf_ent *e;
};

sztp_rc logfilter_new(size_t slots, unsigned per_peer, unsigned total, struct logfilter **out,
		      struct sztp_err *e)
{
	struct logfilter *f = NULL;
	sztp_rc rc = SZTP_OK;

	*out = NULL;
	if (!per_peer && !total)
		goto out;
	rc = SZTP_E_NOMEM;
	if (!(f = calloc(1, sizeof(*f))) ||
	    !(f->e = calloc(sets_for(slots) * THROTTLE_WAYS, sizeof(*f->e)))) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	if ((rc = crypto_random(f->salt, sizeof(f->salt), e)) != SZTP_OK)
		goto out;
	f->nsets = sets_for(slots);
	f->per_peer = per_peer;
	f->total = total;
	f->g_start = -1;
	pthread_mutex_init(&f->mu, NULL);
	*out = f;
	f = NULL;
out:
	if (f)
		free(f->e);
	free(f);
	return rc;
}

static void summary_row(struct reg_log *row, const char *peer, uint64_t n, const char *what)
{
	memset(row, 0, sizeof(*row));
	row->time = time(NULL);
	snprintf(row->peer, sizeof(row->peer), "%s", peer);
	snprintf(row->endpoint, sizeof(row->endpoint), "suppressed");
	snprintf(row->result, sizeof(row->result), "%llu more failures%s", (unsigned long long)n,
		 what);
}

/* The one row for the whole minute's excess, when that minute is over
 * (or at the end: all). */
static void roll_total(struct logfilter *f, int64_t now, int all, logfilter_emit emit, void *arg)
{
	struct reg_log row;

	if (!all && f->g_start >= 0 && now - f->g_start < LF_WINDOW_MS)
		return;
	if (f->g_suppressed) {
		summary_row(&row, "*", f->g_suppressed, " (over the total limit)");
		emit(&row, arg);
	}
	f->g_start = now;
	f->g_written = 0;
	f->g_suppressed = 0;
}

/* An address's summary: a row of the total's budget, or counted in the
 * total's summary once that budget is spent. */
static void peer_summary(struct logfilter *f, struct lf_ent *x, logfilter_emit emit, void *arg)
{
	struct reg_log row;

	if (!x->suppressed)
		return;
	if (f->total && f->g_written >= f->total) {
		f->g_suppressed += x->suppressed;
	} else {
		summary_row(&row, x->peer, x->suppressed, "");
		f->g_written++;
		emit(&row, arg);
	}
	x->suppressed = 0;
}

static struct lf_ent *entry_of(struct logfilter *f, const char *key, int64_t now,
			       logfilter_emit emit, void *arg)
{
	uint64_t h = key_hash(f->salt, key);
	struct lf_ent *set = &f->e[(h >> 32) % f->nsets * THROTTLE_WAYS], *pick = NULL;
	size_t i;

	for (i = 0; i < THROTTLE_WAYS; i++)
		if (set[i].key == h)
			return &set[i];
	for (i = 0; i < THROTTLE_WAYS && (!pick || pick->key); i++)
		if (!pick || !set[i].key || set[i].start_ms < pick->start_ms)
			pick = &set[i];
	if (pick->key)
		peer_summary(f, pick, emit, arg); /* pushed out: its summary now */
	else
		f->used++;
	memset(pick, 0, sizeof(*pick));
	pick->key = h;
	pick->start_ms = now;
	snprintf(pick->peer, sizeof(pick->peer), "%s", key);
	return pick;
}

int logfilter_admit(struct logfilter *f, const struct reg_log *l, int64_t now_ms,
		    logfilter_emit emit, void *arg)
{
	char key[KEY_MAX];
	struct lf_ent *x;
	int write = 0;

	if (!f)
		return 1;
	throttle_peer_key(l->peer, key, sizeof(key));
	pthread_mutex_lock(&f->mu);
	roll_total(f, now_ms, 0, emit, arg);
	x = entry_of(f, key, now_ms, emit, arg);
	if (now_ms - x->start_ms >= LF_WINDOW_MS) { /* a new minute for this address */
		peer_summary(f, x, emit, arg);
		x->start_ms = now_ms;
		x->written = 0;
	}
	if (f->per_peer && x->written >= f->per_peer) {
		x->suppressed++;
	} else if (f->total && f->g_written >= f->total) {
		f->g_suppressed++;
	} else {
		x->written++;
		f->g_written++;
		write = 1;
	}
	pthread_mutex_unlock(&f->mu);
	return write;
}

void logfilter_flush(struct logfilter *f, int64_t now_ms, int all, logfilter_emit emit, void *arg)
{
	size_t i, n;

	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	roll_total(f, now_ms, 0, emit, arg);
	for (i = 0, n = f->nsets * THROTTLE_WAYS; i < n; i++) {
		struct lf_ent *x = &f->e[i];
		if (!x->key || (!all && now_ms - x->start_ms < LF_WINDOW_MS))
			continue;
		peer_summary(f, x, emit, arg);
		memset(x, 0, sizeof(*x)); /* its minute is over: the slot is free */
		f->used--;
	}
	if (all)
		roll_total(f, now_ms, 1, emit, arg);
	pthread_mutex_unlock(&f->mu);
}

size_t logfilter_keys(struct logfilter *f)
{
	size_t n;

	if (!f)
		return 0;
	pthread_mutex_lock(&f->mu);
	n = f->used;
	pthread_mutex_unlock(&f->mu);
	return n;
}

void logfilter_free(struct logfilter *f, logfilter_emit emit, void *arg)
{
	if (!f)
		return;
	if (emit)
		logfilter_flush(f, throttle_now_ms(), 1, emit, arg);
	pthread_mutex_destroy(&f->mu);
	free(f->e);
	free(f);
}

/* ---- sztpd's throttles ----------------------------------------------- */

sztp_rc throttle_open_server(struct server *s, struct sztp_err *e)
{
	const struct config *c = &s->cfg;
	sztp_rc rc;

	rc = throttle_new(AUTH_SLOTS, (unsigned)c->auth_failures_per_address, 60, &s->fail_by_peer,
			  e);
	if (rc == SZTP_OK)
		rc = throttle_new(AUTH_SLOTS, (unsigned)c->auth_failures_per_serial, 60,
				  &s->fail_by_serial, e);
	if (rc == SZTP_OK)
		rc = throttle_new(REPORT_SLOTS, (unsigned)c->reports_per_device_per_hour, 3600,
				  &s->report_quota, e);
	return rc;
}

void throttle_close_server(struct server *s)
{
	throttle_free(s->fail_by_peer);
	throttle_free(s->fail_by_serial);
	throttle_free(s->report_quota);
	s->fail_by_peer = s->fail_by_serial = s->report_quota = NULL;
}

/* ---- authentication failures ------------------------------------------ */

sztp_rc throttle_auth_gate(struct server *s, const struct request *r, const char *serial,
			   struct sztp_err *e)
{
	int64_t now = throttle_now_ms();
	char key[KEY_MAX];

	if (r->n_peer_certs)
		return SZTP_OK;
	throttle_peer_key(r->peer, key, sizeof(key));
	if (throttle_wait(s->fail_by_peer, key, now) ||
	    (serial && throttle_wait(s->fail_by_serial, serial, now)))
		return sztp_err_set(e, SZTP_E_THROTTLED, THROTTLE_429);
	return SZTP_OK;
}

void throttle_auth_failed(struct server *s, const struct request *r, const char *serial)
{
	int64_t now = throttle_now_ms();
	char key[KEY_MAX], q[160];

	throttle_peer_key(r->peer, key, sizeof(key));
	if (throttle_charge(s->fail_by_peer, key, now))
		log_warn("auth: peer %s: %d authentication failures within a minute; its attempts "
			 "without a client certificate get 429 until it slows down",
			 key, s->cfg.auth_failures_per_address);
	if (serial && throttle_charge(s->fail_by_serial, serial, now))
		log_warn("auth: serial %s: %d HTTP Basic failures within a minute; Basic "
			 "attempts for it get 429 until they slow down (its IDevID still works)",
			 log_kv_quote(serial, q, sizeof(q)), s->cfg.auth_failures_per_serial);
}

unsigned throttle_auth_retry_after(struct server *s, const struct request *r)
{
	int64_t now = throttle_now_ms();
	char key[KEY_MAX];
	unsigned a, b;

	throttle_peer_key(r->peer, key, sizeof(key));
	a = throttle_wait(s->fail_by_peer, key, now);
	b = r->serial[0] ? throttle_wait(s->fail_by_serial, r->serial, now) : 0;
	return a > b ? a : b;
}
