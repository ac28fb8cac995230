/*
 * metrics.c - the counters behind /metrics (metrics.h).  Series are kept
 * in small fixed tables under one mutex: the label values come from the
 * routing tables (endpoints), the status codes sztpd answers and the
 * audit outcomes, so they are few; a table that is full folds new label
 * sets into its last series, {listener="other",endpoint="other",status="0"},
 * rather than growing.  Gauges (journal,
 * registry, certificate expiry) are read when scraped, not kept.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "metrics.h"
#include "pki.h"
#include "registry.h"
#include "server.h"

#define LABEL_MAX   40
#define MAX_COUNTS  256
#define MAX_HISTS   64
#define MAX_OUTCOME 16

/* upper bounds in microseconds (the exposition prints seconds) */
static const int64_t bucket_us[] = {1000,   2500,   5000,   10000,   25000,   50000,
				    100000, 250000, 500000, 1000000, 2500000, 5000000};
#define N_BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

struct count {
	char listener[8], endpoint[LABEL_MAX];
	int status;
	uint64_t n;
};

struct hist {
	char listener[8], endpoint[LABEL_MAX];
	uint64_t bucket[N_BUCKETS]; /* not cumulative here */
	uint64_t n;
	int64_t sum_us;
};

struct outcome {
	char name[LABEL_MAX];
	uint64_t n;
};

struct metrics {
	pthread_mutex_t mu;
	time_t started;
	struct count counts[MAX_COUNTS];
	size_t n_counts;
	struct hist hists[MAX_HISTS];
	size_t n_hists;
	struct outcome outcomes[MAX_OUTCOME];
	size_t n_outcomes;
};

sztp_rc metrics_new(struct metrics **out, struct sztp_err *e)
{
	struct metrics *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	pthread_mutex_init(&m->mu, NULL);
	m->started = time(NULL);
	*out = m;
	return SZTP_OK;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/* Label values are route names and fixed words; anything else is folded
 * so the exposition never needs escaping. */
static const char *label(const char *v)
{
	const char *p;

	if (!v || !*v)
		return "-";
	if (strlen(v) >= LABEL_MAX)
		return "other";
	for (p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_.:/", *p)))
			return "other";
	return v;
}

static struct count *count_slot(struct metrics *m, const char *l, const char *ep, int status)
{
	struct count *c;
	size_t i;

	for (i = 0; i < m->n_counts; i++) {
		c = &m->counts[i];
		if (c->status == status && !strcmp(c->endpoint, ep) && !strcmp(c->listener, l))
			return c;
	}
	if (m->n_counts == MAX_COUNTS - 1) { /* the last slot: every other label set */
		c = &m->counts[MAX_COUNTS - 1];
		if (!c->listener[0]) {
			snprintf(c->listener, sizeof(c->listener), "other");
			snprintf(c->endpoint, sizeof(c->endpoint), "other");
		}
		return c;
	}
	c = &m->counts[m->n_counts++];
	snprintf(c->listener, sizeof(c->listener), "%s", l);
	snprintf(c->endpoint, sizeof(c->endpoint), "%s", ep);
	c->status = status;
	return c;
}

static struct hist *hist_slot(struct metrics *m, const char *l, const char *ep)
{
	struct hist *h;
	size_t i;

	for (i = 0; i < m->n_hists; i++) {
		h = &m->hists[i];
		if (!strcmp(h->endpoint, ep) && !strcmp(h->listener, l))
			return h;
	}
	if (m->n_hists == MAX_HISTS - 1) { /* the last slot: every other label set */
		h = &m->hists[MAX_HISTS - 1];
		if (!h->listener[0]) {
			snprintf(h->listener, sizeof(h->listener), "other");
			snprintf(h->endpoint, sizeof(h->endpoint), "other");
		}
		return h;
	}
	h = &m->hists[m->n_hists++];
	snprintf(h->listener, sizeof(h->listener), "%s", l);
	snprintf(h->endpoint, sizeof(h->endpoint), "%s", ep);
	return h;
}

void metrics_request(struct metrics *m, const char *listener, const char *endpoint, int status,
		     const char *outcome, int64_t duration_us)
{
	const char *l = label(listener), *ep = label(endpoint);
	struct count *c;
	struct hist *h;
	size_t i;

	if (!m)
		return;
	if (duration_us < 0)
		duration_us = 0;
	pthread_mutex_lock(&m->mu);
	if ((c = count_slot(m, l, ep, status)) != NULL)
		c->n++;
	if ((h = hist_slot(m, l, ep)) != NULL) {
		for (i = 0; i < N_BUCKETS && duration_us > bucket_us[i]; i++)
			;
		if (i < N_BUCKETS)
			h->bucket[i]++;
		h->n++;
		h->sum_us += duration_us;
	}
	if (outcome && *outcome && status == 200 && endpoint &&
	    !strcmp(endpoint, "get-bootstrapping-data")) {
		const char *o = label(outcome);
		for (i = 0; i < m->n_outcomes && strcmp(m->outcomes[i].name, o); i++)
			;
		if (i == m->n_outcomes && i < MAX_OUTCOME)
			snprintf(m->outcomes[m->n_outcomes++].name, LABEL_MAX, "%s", o);
		if (i < m->n_outcomes)
			m->outcomes[i].n++;
	}
	pthread_mutex_unlock(&m->mu);
}

/* ---- rendering ------------------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->p && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 8192) + (size_t)n;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void expiry(struct buf *b, const char *which, int index, const sztp_bytes *cert)
{
	time_t nb = 0, na = 0;
	struct sztp_err e = {0};

	if (pki_cert_validity(cert, &nb, &na, &e) == SZTP_OK && na)
		put(b,
		    "sztpd_certificate_expiry_timestamp_seconds{certificate=\"%s\",index=\"%d\"} "
		    "%lld\n",
		    which, index, (long long)na);
}

static void certificates(struct buf *b, struct server *s, struct reg *reg)
{
	struct pki_tls_info ti;
	struct reg_owner o = {0};
	struct sztp_err e = {0};
	sztp_bytes *certs = NULL;
	size_t n = 0, i;

	head(b, "sztpd_certificate_expiry_timestamp_seconds", "gauge",
	     "Not-after time of the device port's server certificate, the owner certificate "
	     "and each manufacturer anchor of client-ca (Unix time).");
	pki_tls_creds_info(s->tls, &ti);
	if (ti.not_after)
		put(b,
		    "sztpd_certificate_expiry_timestamp_seconds{certificate=\"server\",index=\"0\"}"
		    " "
		    "%lld\n",
		    (long long)ti.not_after);
	if (reg_owner_get(reg, "default", &o, &e) == SZTP_OK && o.n_chain)
		expiry(b, "owner", 0, &o.chain[0]);
	reg_owner_clear(&o);
	if (s->client_ca_pem.len &&
	    pki_pem_certs_parse((const char *)s->client_ca_pem.data, s->client_ca_pem.len, &certs,
				&n, &e) == SZTP_OK) {
		for (i = 0; i < n; i++) {
			expiry(b, "client-ca", (int)i, &certs[i]);
			sztp_bytes_free(&certs[i]);
		}
		free(certs);
	}
}

sztp_rc metrics_render(struct metrics *m, struct server *s, struct reg *reg, char **out,
		       size_t *len, struct sztp_err *e)
{
	struct buf b = {0};
	size_t i, k, waiting = 0;
	uint64_t cum, committed = 0, dropped = 0;

	*out = NULL;
	*len = 0;
	head(&b, "sztpd_up", "gauge", "1 while sztpd answers.");
	put(&b, "sztpd_up 1\n");
	head(&b, "sztpd_start_time_seconds", "gauge", "When sztpd started (Unix time).");
	put(&b, "sztpd_start_time_seconds %lld\n", (long long)m->started);
	if (s) { /* the gauges (NULL: the counters alone, for tests) */
		head(&b, "sztpd_registry_ok", "gauge",
		     "1 while the registry file is the one sztpd opened, else 0 (see /readyz).");
		put(&b, "sztpd_registry_ok %d\n", server_ready(s, NULL, 0));
		journal_stats(s->journal, &waiting, &committed, &dropped);
		head(&b, "sztpd_journal_waiting", "gauge",
		     "Entries (reports, contacts, log rows) waiting for the journal's writer.");
		put(&b, "sztpd_journal_waiting %zu\n", waiting);
		head(&b, "sztpd_journal_committed_total", "counter", "Journal entries committed.");
		put(&b, "sztpd_journal_committed_total %llu\n", (unsigned long long)committed);
		head(&b, "sztpd_journal_dropped_total", "counter",
		     "Bootstrapping-log rows dropped because the journal was full.");
		put(&b, "sztpd_journal_dropped_total %llu\n", (unsigned long long)dropped);
		certificates(&b, s, reg);
	}

	pthread_mutex_lock(&m->mu);
	head(&b, "sztpd_requests_total", "counter",
	     "Answered requests by listener, endpoint (route) and HTTP status.");
	for (i = 0; i < MAX_COUNTS; i++) {
		if (i >= m->n_counts && !(i == MAX_COUNTS - 1 && m->counts[i].n))
			continue;
		put(&b,
		    "sztpd_requests_total{listener=\"%s\",endpoint=\"%s\",status=\"%d\"} %llu\n",
		    m->counts[i].listener, m->counts[i].endpoint, m->counts[i].status,
		    (unsigned long long)m->counts[i].n);
	}
	head(&b, "sztpd_request_duration_seconds", "histogram",
	     "Time from a request's first byte to its answer, by listener and endpoint.");
	for (i = 0; i < MAX_HISTS; i++) {
		const struct hist *h = &m->hists[i];
		if (i >= m->n_hists && !(i == MAX_HISTS - 1 && h->n))
			continue;
		for (k = 0, cum = 0; k < N_BUCKETS; k++) {
			cum += h->bucket[k];
			put(&b,
			    "sztpd_request_duration_seconds_bucket{listener=\"%s\",endpoint=\"%s\","
			    "le=\"%g\"} %llu\n",
			    h->listener, h->endpoint, (double)bucket_us[k] / 1e6,
			    (unsigned long long)cum);
		}
		put(&b,
		    "sztpd_request_duration_seconds_bucket{listener=\"%s\",endpoint=\"%s\",le=\"+"
		    "Inf\"} "
		    "%llu\n",
		    h->listener, h->endpoint, (unsigned long long)h->n);
		put(&b,
		    "sztpd_request_duration_seconds_sum{listener=\"%s\",endpoint=\"%s\"} %.6f\n",
		    h->listener, h->endpoint, (double)h->sum_us / 1e6);
		put(&b,
		    "sztpd_request_duration_seconds_count{listener=\"%s\",endpoint=\"%s\"} %llu\n",
		    h->listener, h->endpoint, (unsigned long long)h->n);
	}
	head(&b, "sztpd_bootstrap_outcomes_total", "counter",
	     "get-bootstrapping-data answered 200, by what the device got (signed, unsigned, "
	     "unsigned-redirect).");
	for (i = 0; i < m->n_outcomes; i++)
		put(&b, "sztpd_bootstrap_outcomes_total{outcome=\"%s\"} %llu\n",
		    m->outcomes[i].name, (unsigned long long)m->outcomes[i].n);
	pthread_mutex_unlock(&m->mu);
	if (b.oom) {
		free(b.p);
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	*out = b.p;
	*len = b.len;
	return SZTP_OK;
}
