/*
 * metrics.c - the counters behind /metrics (metrics.h).  Series are kept
 * in small fixed tables under one mutex: the label values come from the
 * routing tables (endpoints), the status codes sztpd answers and the
 * audit outcomes, so they are few; a table that is full folds new label
 * sets into its last series, {listener="other",endpoint="other",status="0"},
 * rather than growing.  Authentication failures by reason and failed TLS
 * handshakes by listener are fixed sets of atomic counts, bumped on those
 * failure paths only.  Gauges (journal, registry, certificate expiry) are
 * read when scraped, not kept.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "metrics.h"
#include "pki.h"
#include "registry.h"
#include "server.h"
#include "strbuf.h"
#include "syslog_sink.h"

#define LABEL_MAX   40
#define MAX_COUNTS  256
#define MAX_HISTS   64
#define MAX_OUTCOME 128 /* outcome x profile */

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
	char name[LABEL_MAX], profile[LABEL_MAX];
	uint64_t n;
};

static const char *const auth_reasons[METRICS_AUTH__COUNT] = {
    [METRICS_AUTH_NO_CREDENTIALS] = "no-credentials",
    [METRICS_AUTH_CERTIFICATE] = "certificate-rejected",
    [METRICS_AUTH_BASIC_DISABLED] = "basic-disabled",
    [METRICS_AUTH_BASIC_MALFORMED] = "basic-malformed",
    [METRICS_AUTH_SERIAL_MISMATCH] = "serial-mismatch",
    [METRICS_AUTH_NOT_ENROLLED] = "not-enrolled",
    [METRICS_AUTH_PASSWORD] = "password-wrong",
    [METRICS_AUTH_PASSWORD_BUSY] = "password-busy",
    [METRICS_AUTH_IDEVID_PIN] = "idevid-pin",
    [METRICS_AUTH_THROTTLED] = "throttled",
    [METRICS_AUTH_SERIAL_RULE] = "serial-rule",
};

/* the listeners whose handshakes are counted; the last: any other */
static const char *const tls_listeners[] = {"device", "admin", "other"};
#define N_TLS_LISTENERS (sizeof(tls_listeners) / sizeof(tls_listeners[0]))
#define LENIENT_BITS	3 /* enum reg_lenient */
_Static_assert(REG_LENIENT_ALL == (1u << LENIENT_BITS) - 1, "a series for every leniency");

struct metrics {
	pthread_mutex_t mu;
	time_t started;
	struct count counts[MAX_COUNTS];
	size_t n_counts;
	struct hist hists[MAX_HISTS];
	size_t n_hists;
	struct outcome outcomes[MAX_OUTCOME];
	size_t n_outcomes;
	/* lock-free: failure paths only */
	atomic_uint_fast64_t auth[METRICS_AUTH__COUNT];
	atomic_uint_fast64_t tls_failed[N_TLS_LISTENERS];
	atomic_uint_fast64_t lenient[LENIENT_BITS]; /* by enum reg_lenient bit */
};

sztp_rc metrics_new(struct metrics **out, struct sztp_err *e)
{
	struct metrics *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	pthread_mutex_init(&m->mu, NULL);
	for (size_t i = 0; i < METRICS_AUTH__COUNT; i++)
		atomic_init(&m->auth[i], 0);
	for (size_t i = 0; i < N_TLS_LISTENERS; i++)
		atomic_init(&m->tls_failed[i], 0);
	for (size_t i = 0; i < LENIENT_BITS; i++)
		atomic_init(&m->lenient[i], 0);
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

const char *metrics_auth_reason(enum metrics_auth reason)
{
	return (unsigned)reason < METRICS_AUTH__COUNT ? auth_reasons[reason] : "other";
}

void metrics_auth_failure(struct metrics *m, enum metrics_auth reason)
{
	if (m && (unsigned)reason < METRICS_AUTH__COUNT)
		atomic_fetch_add_explicit(&m->auth[reason], 1, memory_order_relaxed);
}

void metrics_lenient_applied(struct metrics *m, unsigned bits)
{
	for (size_t i = 0; m && i < LENIENT_BITS; i++)
		if (bits & (1u << i))
			atomic_fetch_add_explicit(&m->lenient[i], 1, memory_order_relaxed);
}

void metrics_tls_handshake_failed(struct metrics *m, const char *listener)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < N_TLS_LISTENERS - 1 && (!listener || strcmp(listener, tls_listeners[i]));
	     i++)
		;
	atomic_fetch_add_explicit(&m->tls_failed[i], 1, memory_order_relaxed);
}

/* The outcome x profile series (m->mu held); a full table folds new pairs
 * into its last series, {outcome="other",profile="other"}. */
static struct outcome *outcome_slot(struct metrics *m, const char *o, const char *p)
{
	struct outcome *t;
	size_t i;

	for (i = 0; i < m->n_outcomes; i++) {
		t = &m->outcomes[i];
		if (!strcmp(t->name, o) && !strcmp(t->profile, p))
			return t;
	}
	if (m->n_outcomes == MAX_OUTCOME - 1) {
		t = &m->outcomes[MAX_OUTCOME - 1];
		if (!t->name[0]) {
			snprintf(t->name, sizeof(t->name), "other");
			snprintf(t->profile, sizeof(t->profile), "other");
		}
		return t;
	}
	t = &m->outcomes[m->n_outcomes++];
	snprintf(t->name, sizeof(t->name), "%s", o);
	snprintf(t->profile, sizeof(t->profile), "%s", p);
	return t;
}

void metrics_request(struct metrics *m, const char *listener, const char *endpoint, int status,
		     const char *outcome, const char *profile, int64_t duration_us)
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
	    !strcmp(endpoint, "get-bootstrapping-data"))
		outcome_slot(m, label(outcome), label(profile))->n++;
	pthread_mutex_unlock(&m->mu);
}

/* ---- rendering ------------------------------------------------------------ */

static void head(struct strbuf *b, const char *name, const char *type, const char *help)
{
	strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void expiry(struct strbuf *b, const char *which, int index, const sztp_bytes *cert)
{
	time_t nb = 0, na = 0;
	struct sztp_err e = {0};

	if (pki_cert_validity(cert, &nb, &na, &e) == SZTP_OK && na)
		strbuf_printf(
		    b,
		    "sztpd_certificate_expiry_timestamp_seconds{certificate=\"%s\",index=\"%d\"} "
		    "%lld\n",
		    which, index, (long long)na);
}

static void certificates(struct strbuf *b, struct server *s, struct reg *reg)
{
	struct pki_tls_info ti;
	struct reg_owner o = {0};
	struct sztp_err e = {0};
	sztp_bytes *certs = NULL;
	size_t n = 0, i;

	head(b, "sztpd_certificate_expiry_timestamp_seconds", "gauge",
	     "Not-after time of the device port's server certificate (index 1: tls-alt-cert's), "
	     "the owner certificate and each manufacturer anchor (label client-ca: client-ca, then "
	     "the manufacturer-ca files) (Unix time).");
	pki_tls_creds_info(s->tls, &ti);
	if (ti.not_after)
		strbuf_printf(
		    b,
		    "sztpd_certificate_expiry_timestamp_seconds{certificate=\"server\",index=\"0\"}"
		    " "
		    "%lld\n",
		    (long long)ti.not_after);
	if (ti.alt.subject[0] && ti.alt.not_after)
		strbuf_printf(
		    b,
		    "sztpd_certificate_expiry_timestamp_seconds{certificate=\"server\",index=\"1\"}"
		    " %lld\n",
		    (long long)ti.alt.not_after);
	head(b, "sztpd_tls_server_cert_total", "counter",
	     "TLS handshakes given the device port's ECDSA or RSA server certificate (tls-cert, "
	     "tls-alt-cert), by key type; the admin listener's count here too when it serves "
	     "tls-cert (no admin-cert).");
	strbuf_printf(b, "sztpd_tls_server_cert_total{key=\"ecdsa\"} %lu\n", ti.served_ecdsa);
	strbuf_printf(b, "sztpd_tls_server_cert_total{key=\"rsa\"} %lu\n", ti.served_rsa);
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

/* ---- the outbox: read from the registry when scraped --------------------- */

/* A label value that comes from data (a webhook's name), escaped as the
 * text format wants (backslash, double quote, line feed): names are
 * unique, so folding them would merge two subscriptions' series. */
static const char *escape(const char *v, char *out, size_t len)
{
	size_t o = 0;

	for (; *v && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			out[o++] = '\\';
		out[o++] = *v == '\n' ? 'n' : *v;
	}
	out[o] = '\0';
	return out;
}

/* One consumer of the outbox as scraped. */
struct consumer {
	char label[2 * REG_NAME_MAX + 16]; /* "webhook:NAME" escaped, or "syslog" */
	char name[2 * REG_NAME_MAX + 2];   /* the webhook's name escaped; "" for syslog */
	int64_t cursor, backlog, oldest;
	int64_t delivered, failed, dead, last_success;
	int attempts, enabled;
};

struct consumers {
	struct consumer *v;
	size_t n, cap;
	int oom;
};

static struct consumer *consumer_add(struct consumers *c)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		struct consumer *v = realloc(c->v, cap * sizeof(*v));
		if (!v) {
			c->oom = 1;
			return NULL;
		}
		c->v = v;
		c->cap = cap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	return &c->v[c->n++];
}

static int webhook_row(const struct reg_webhook *w, void *arg)
{
	struct consumer *k = consumer_add(arg);
	char esc[2 * REG_NAME_MAX + 2];

	if (!k)
		return 1; /* stop */
	escape(w->name, esc, sizeof(esc));
	snprintf(k->name, sizeof(k->name), "%s", esc);
	snprintf(k->label, sizeof(k->label), "webhook:%s", esc);
	k->cursor = w->cursor;
	k->delivered = w->delivered;
	k->failed = w->failed;
	k->dead = w->dead;
	k->last_success = w->last_success;
	k->attempts = w->attempts;
	k->enabled = w->enabled;
	return 0;
}

/* Every consumer's backlog (events after its cursor) and the age of the
 * oldest of them; each webhook's delivery counts, kept in its row, so
 * they survive restarts.  syslog_cursor: the running sender's (fresher
 * than the one it stores per batch), or < 0 for the registry's.  A
 * registry that cannot be read now leaves the families without samples. */
static void outbox(struct strbuf *b, struct reg *reg, int64_t syslog_cursor)
{
	struct consumers c = {0};
	struct sztp_err e = {0};
	struct consumer *k;
	int64_t cursor = 0, now = (int64_t)time(NULL);
	size_t i, hooks;

	if (reg_webhook_list(reg, webhook_row, &c, &e) != SZTP_OK || c.oom)
		c.n = 0;
	hooks = c.n;
	if (syslog_cursor >= 0)
		cursor = syslog_cursor;
	if ((syslog_cursor >= 0 || reg_event_cursor_get(reg, "syslog", &cursor, &e) == SZTP_OK) &&
	    (k = consumer_add(&c)) != NULL) {
		snprintf(k->label, sizeof(k->label), "syslog");
		k->cursor = cursor;
	}
	for (i = 0; i < c.n; i++)
		if (reg_event_backlog(reg, c.v[i].cursor, &c.v[i].backlog, &c.v[i].oldest, &e) !=
		    SZTP_OK)
			c.v[i].backlog = -1; /* unknown: no sample */
	head(b, "sztpd_outbox_events", "gauge",
	     "Events a consumer of the outbox is not done with yet (not delivered, skipped or "
	     "dead-lettered), by consumer (webhook:NAME, syslog).");
	for (i = 0; i < c.n; i++)
		if (c.v[i].backlog >= 0)
			strbuf_printf(b, "sztpd_outbox_events{consumer=\"%s\"} %lld\n",
				      c.v[i].label, (long long)c.v[i].backlog);
	head(b, "sztpd_outbox_oldest_age_seconds", "gauge",
	     "Age of the oldest event a consumer is not done with (0 when none), by consumer.");
	for (i = 0; i < c.n; i++)
		if (c.v[i].backlog >= 0)
			strbuf_printf(
			    b, "sztpd_outbox_oldest_age_seconds{consumer=\"%s\"} %lld\n",
			    c.v[i].label,
			    (long long)(c.v[i].backlog && c.v[i].oldest && now > c.v[i].oldest
					    ? now - c.v[i].oldest
					    : 0));
	head(b, "sztpd_webhook_deliveries_total", "counter",
	     "Events a webhook's receiver accepted (2xx), replays included, by webhook.");
	for (i = 0; i < hooks; i++)
		strbuf_printf(b, "sztpd_webhook_deliveries_total{webhook=\"%s\"} %lld\n",
			      c.v[i].name, (long long)c.v[i].delivered);
	head(b, "sztpd_webhook_failures_total", "counter",
	     "Delivery attempts that failed (not 2xx, or a transport error), by webhook.");
	for (i = 0; i < hooks; i++)
		strbuf_printf(b, "sztpd_webhook_failures_total{webhook=\"%s\"} %lld\n", c.v[i].name,
			      (long long)c.v[i].failed);
	head(b, "sztpd_webhook_dead_letters_total", "counter",
	     "Events sent to a webhook's dead-letter list (undeliverable within webhook-max-age), "
	     "by webhook.");
	for (i = 0; i < hooks; i++)
		strbuf_printf(b, "sztpd_webhook_dead_letters_total{webhook=\"%s\"} %lld\n",
			      c.v[i].name, (long long)c.v[i].dead);
	head(b, "sztpd_webhook_consecutive_failures", "gauge",
	     "Failed attempts since a webhook's last success (0: delivering), by webhook.");
	for (i = 0; i < hooks; i++)
		strbuf_printf(b, "sztpd_webhook_consecutive_failures{webhook=\"%s\"} %d\n",
			      c.v[i].name, c.v[i].attempts);
	head(b, "sztpd_webhook_last_success_timestamp_seconds", "gauge",
	     "When a webhook's receiver last accepted a batch (Unix time; 0: never), by webhook.");
	for (i = 0; i < hooks; i++)
		strbuf_printf(b,
			      "sztpd_webhook_last_success_timestamp_seconds{webhook=\"%s\"} %lld\n",
			      c.v[i].name, (long long)c.v[i].last_success);
	head(b, "sztpd_webhook_enabled", "gauge", "1 while a webhook is enabled, by webhook.");
	for (i = 0; i < hooks; i++)
		strbuf_printf(b, "sztpd_webhook_enabled{webhook=\"%s\"} %d\n", c.v[i].name,
			      c.v[i].enabled ? 1 : 0);
	free(c.v);
}

sztp_rc metrics_render(struct metrics *m, struct server *s, struct reg *reg, char **out,
		       size_t *len, struct sztp_err *e)
{
	struct strbuf b = {0};
	size_t i, k, blen, waiting = 0;
	uint64_t cum, committed = 0, dropped = 0, sent = 0, expired = 0;
	int64_t syslog_cursor = -1;

	*out = NULL;
	*len = 0;
	head(&b, "sztpd_up", "gauge", "1 while sztpd answers.");
	strbuf_printf(&b, "sztpd_up 1\n");
	head(&b, "sztpd_start_time_seconds", "gauge", "When sztpd started (Unix time).");
	strbuf_printf(&b, "sztpd_start_time_seconds %lld\n", (long long)m->started);
	if (s) { /* the gauges (NULL: the counters alone, for tests) */
		head(&b, "sztpd_registry_ok", "gauge",
		     "1 while the registry file is the one sztpd opened, else 0 (see /readyz).");
		strbuf_printf(&b, "sztpd_registry_ok %d\n", server_ready(s, NULL, 0));
		journal_stats(s->journal, &waiting, &committed, &dropped);
		head(&b, "sztpd_journal_waiting", "gauge",
		     "Entries (reports, contacts, log rows) waiting for the journal's writer.");
		strbuf_printf(&b, "sztpd_journal_waiting %zu\n", waiting);
		head(&b, "sztpd_journal_committed_total", "counter", "Journal entries committed.");
		strbuf_printf(&b, "sztpd_journal_committed_total %llu\n",
			      (unsigned long long)committed);
		head(&b, "sztpd_journal_dropped_total", "counter",
		     "Bootstrapping-log rows dropped because the journal was full.");
		strbuf_printf(&b, "sztpd_journal_dropped_total %llu\n",
			      (unsigned long long)dropped);
		certificates(&b, s, reg);
		if (s->syslog) { /* syslog-target set */
			syslog_sink_stats(s->syslog, &sent, &expired, &syslog_cursor);
			head(&b, "sztpd_syslog_messages_total", "counter",
			     "Events of the outbox for syslog-target: written to the collector "
			     "(sent), or given up as older than syslog-max-age when their turn "
			     "came (expired).  Since sztpd started.");
			strbuf_printf(&b, "sztpd_syslog_messages_total{result=\"sent\"} %llu\n",
				      (unsigned long long)sent);
			strbuf_printf(&b, "sztpd_syslog_messages_total{result=\"expired\"} %llu\n",
				      (unsigned long long)expired);
		}
	}
	if (reg) /* the outbox, read through the caller's handle */
		outbox(&b, reg, syslog_cursor);

	pthread_mutex_lock(&m->mu);
	head(&b, "sztpd_requests_total", "counter",
	     "Answered requests by listener, endpoint (route) and HTTP status.");
	for (i = 0; i < MAX_COUNTS; i++) {
		if (i >= m->n_counts && !(i == MAX_COUNTS - 1 && m->counts[i].n))
			continue;
		strbuf_printf(
		    &b,
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
			strbuf_printf(
			    &b,
			    "sztpd_request_duration_seconds_bucket{listener=\"%s\",endpoint=\"%s\","
			    "le=\"%g\"} %llu\n",
			    h->listener, h->endpoint, (double)bucket_us[k] / 1e6,
			    (unsigned long long)cum);
		}
		strbuf_printf(
		    &b,
		    "sztpd_request_duration_seconds_bucket{listener=\"%s\",endpoint=\"%s\",le=\"+"
		    "Inf\"} "
		    "%llu\n",
		    h->listener, h->endpoint, (unsigned long long)h->n);
		strbuf_printf(
		    &b,
		    "sztpd_request_duration_seconds_sum{listener=\"%s\",endpoint=\"%s\"} %.6f\n",
		    h->listener, h->endpoint, (double)h->sum_us / 1e6);
		strbuf_printf(
		    &b,
		    "sztpd_request_duration_seconds_count{listener=\"%s\",endpoint=\"%s\"} %llu\n",
		    h->listener, h->endpoint, (unsigned long long)h->n);
	}
	head(&b, "sztpd_bootstrap_outcomes_total", "counter",
	     "get-bootstrapping-data answered 200, by what the device got (signed, unsigned, "
	     "unsigned-redirect) and the profile served.");
	for (i = 0; i < MAX_OUTCOME; i++) {
		const struct outcome *o = &m->outcomes[i];
		if (i >= m->n_outcomes && !(i == MAX_OUTCOME - 1 && o->n))
			continue;
		strbuf_printf(
		    &b, "sztpd_bootstrap_outcomes_total{outcome=\"%s\",profile=\"%s\"} %llu\n",
		    o->name, o->profile, (unsigned long long)o->n);
	}
	pthread_mutex_unlock(&m->mu);
	head(&b, "sztpd_auth_failures_total", "counter",
	     "Device authentications refused (always the one 401 to the device), by reason.");
	for (i = 0; i < METRICS_AUTH__COUNT; i++)
		strbuf_printf(
		    &b, "sztpd_auth_failures_total{reason=\"%s\"} %llu\n", auth_reasons[i],
		    (unsigned long long)atomic_load_explicit(&m->auth[i], memory_order_relaxed));
	head(&b, "sztpd_lenient_applied_total", "counter",
	     "Answers that needed a profile's leniency (get-bootstrapping-data: an empty nonce "
	     "taken as absent, os-name/os-version left out; report-progress: empty ssh-host-keys "
	     "or trust-anchor-certs taken as absent), by leniency.");
	for (i = 0; i < LENIENT_BITS; i++)
		strbuf_printf(
		    &b, "sztpd_lenient_applied_total{lenient=\"%s\"} %llu\n",
		    reg_lenient_name(1u << i),
		    (unsigned long long)atomic_load_explicit(&m->lenient[i], memory_order_relaxed));
	head(&b, "sztpd_tls_handshake_failures_total", "counter",
	     "TLS handshakes that failed (a client's alert, a protocol error, a connection "
	     "closed during the handshake), by listener.");
	for (i = 0; i < N_TLS_LISTENERS; i++) {
		uint64_t n = atomic_load_explicit(&m->tls_failed[i], memory_order_relaxed);
		if (i == N_TLS_LISTENERS - 1 && !n)
			continue; /* "other": only once something counted there */
		strbuf_printf(&b, "sztpd_tls_handshake_failures_total{listener=\"%s\"} %llu\n",
			      tls_listeners[i], (unsigned long long)n);
	}
	blen = b.len;
	if (!(*out = strbuf_take(&b)))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	*len = blen;
	return SZTP_OK;
}
