/*
 * metrics.h - sztpd's counters for /metrics on the admin listener (issue
 * 12), in the Prometheus text exposition format: requests by listener,
 * endpoint and status, their latency histograms, bootstrap outcomes, and,
 * read at scrape time, the journal, the registry and certificate expiry.
 * Updating is one short critical section per answered request (the
 * request's audit line is written at the same place); authentication
 * failures and failed TLS handshakes are lock-free counts on their
 * failure paths only.
 */
#ifndef SZTPD_METRICS_H
#define SZTPD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct metrics;
struct reg;
struct server;

sztp_rc metrics_new(struct metrics **out, struct sztp_err *e);
void metrics_free(struct metrics *m);

/* One answered request.  listener: "device" or "admin"; endpoint: the
 * route name (NULL: "-"); outcome: the audit line's result (get-
 * bootstrapping-data: signed, unsigned, unsigned-redirect; NULL or "");
 * profile: the profile a get-bootstrapping-data answer served (NULL or
 * "": "-").  NULL m: nothing. */
void metrics_request(struct metrics *m, const char *listener, const char *endpoint, int status,
		     const char *outcome, const char *profile, int64_t duration_us);

/* Why a device's authentication failed (identity.c's failure paths; the
 * device is always sent the one 401, RFC 8572 s9.6: these are for the
 * operator).  The label of each is metrics_auth_reason(). */
enum metrics_auth {
	METRICS_AUTH_NO_CREDENTIALS,  /* "no-credentials": no client certificate, no Basic */
	METRICS_AUTH_CERTIFICATE,     /* "certificate-rejected": the chain does not verify */
	METRICS_AUTH_BASIC_DISABLED,  /* "basic-disabled": HTTP authentication is off */
	METRICS_AUTH_BASIC_MALFORMED, /* "basic-malformed": not "Basic b64(user:pass)" */
	METRICS_AUTH_SERIAL_MISMATCH, /* "serial-mismatch": certificate and Basic disagree */
	METRICS_AUTH_NOT_ENROLLED,    /* "not-enrolled": no such device (or just removed) */
	METRICS_AUTH_PASSWORD,	      /* "password-wrong": wrong or unset password */
	METRICS_AUTH_PASSWORD_BUSY,   /* "password-busy": password-hash-concurrency reached */
	METRICS_AUTH_IDEVID_PIN,      /* "idevid-pin": key differs from the pin, or no cert */
	METRICS_AUTH_THROTTLED,	      /* "throttled": too many failures, refused unchecked */
	METRICS_AUTH_SERIAL_RULE,     /* "serial-rule": the anchor's serial rule finds none */
	METRICS_AUTH__COUNT
};
const char *metrics_auth_reason(enum metrics_auth reason);
/* One failed authentication (an atomic add, no lock).  NULL m: nothing. */
void metrics_auth_failure(struct metrics *m, enum metrics_auth reason);

/* One TLS handshake that failed on listener ("device", "admin"; else
 * counted as "other"): an atomic add.  NULL m: nothing. */
void metrics_tls_handshake_failed(struct metrics *m, const char *listener);

/* The exposition text (version 0.0.4) into *out (malloc'd), with the
 * gauges read now from s; through reg (the caller's registry handle, never
 * the device path's) the owner certificate and the outbox: each consumer's
 * backlog and oldest age, each webhook's delivery counts (its registry
 * row's, so they survive restarts); the syslog sender's counts (s->syslog).
 * s NULL: no server gauges; reg NULL: no outbox. */
sztp_rc metrics_render(struct metrics *m, struct server *s, struct reg *reg, char **out,
		       size_t *len, struct sztp_err *e);

#endif
