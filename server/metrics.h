/*
 * metrics.h - sztpd's counters for /metrics on the admin listener (issue
 * 12), in the Prometheus text exposition format: requests by listener,
 * endpoint and status, their latency histograms, bootstrap outcomes, and,
 * read at scrape time, the journal, the registry and certificate expiry.
 * Updating is one short critical section per answered request (the
 * request's audit line is written at the same place).
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
 * bootstrapping-data: signed, unsigned, unsigned-redirect; NULL or "").
 * NULL m: nothing. */
void metrics_request(struct metrics *m, const char *listener, const char *endpoint, int status,
		     const char *outcome, int64_t duration_us);

/* The exposition text (version 0.0.4) into *out (malloc'd), with the
 * gauges read now from s; the owner certificate through reg (the
 * caller's registry handle).  s NULL: the counters alone. */
sztp_rc metrics_render(struct metrics *m, struct server *s, struct reg *reg, char **out,
		       size_t *len, struct sztp_err *e);

#endif
