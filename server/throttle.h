/*
 * throttle.h - sztpd's rate limits in bounded memory: what a hostile
 * device segment may cost it (docs/security.md).
 *
 * A throttle is a token bucket per key (a peer address, a serial number)
 * in a fixed-size table: burst tokens, refilled at burst per window
 * seconds.  The table never grows: keys hash (keyed SHA-256, so a client
 * cannot aim at one slot) into sets of a few slots, and a new key takes
 * the slot of the key that has refilled most.  A key pushed out starts
 * again with a full bucket, so a full table forgives, it never refuses
 * anyone who has not failed.  sztpd keeps three: authentication failures
 * by peer address and by claimed serial (identity.c: 429 instead of
 * checking credentials again) and progress reports per device and hour
 * (progress.c).
 *
 * A log filter bounds the failed requests that become bootstrapping-log
 * rows (journal.c): per peer address at most per_peer rows per minute,
 * and at most total rows per minute over all addresses; the rest is
 * counted and written as one summary row per address ("N more failures",
 * endpoint "suppressed") when its minute is over, or one for all
 * addresses (peer "*") when the total was reached.  Its table is bounded
 * the same way; an address pushed out has its summary written then.
 *
 * IPv6 peers are keyed by their /64 (one host usually holds a whole /64),
 * IPv4 peers by their address.  Times are milliseconds of a monotonic
 * clock, passed in, so tests can move time.  All functions are
 * thread-safe; NULL tables allow everything.
 */
#ifndef SZTPD_THROTTLE_H
#define SZTPD_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#include "registry.h"
#include "result.h"

struct server;
struct throttle;
struct logfilter;

#define THROTTLE_WAYS 8 /* slots per set */

/* CLOCK_MONOTONIC in milliseconds. */
int64_t throttle_now_ms(void);
/* The key of a peer address: an IPv4 address as it is, an IPv6 address as
 * its /64 ("2001:db8:1:2::/64"), anything else as it is (truncated). */
void throttle_peer_key(const char *peer, char *out, size_t len);

/* A table of at least slots buckets (a multiple of THROTTLE_WAYS), each
 * key starting with burst tokens and refilling at burst per window_s
 * seconds.  burst == 0: no limit, *out = NULL (every call allows). */
sztp_rc throttle_new(size_t slots, unsigned burst, unsigned window_s, struct throttle **out,
		     struct sztp_err *e);
void throttle_free(struct throttle *t);
/* Seconds until key has a token (0: it has one now); takes nothing. */
unsigned throttle_wait(struct throttle *t, const char *key, int64_t now_ms);
/* Take a token of key: 0 when there was one, else the seconds until
 * there is (nothing taken). */
unsigned throttle_take(struct throttle *t, const char *key, int64_t now_ms);
/* Take a token of key for something that happened anyway (a failure):
 * the bucket may run empty, never below.  1 when this emptied it (key is
 * limited from now on), at most once per window and key; else 0. */
int throttle_charge(struct throttle *t, const char *key, int64_t now_ms);
/* Keys held, and slots in all (both fixed at throttle_new). */
size_t throttle_keys(struct throttle *t);
size_t throttle_slots(const struct throttle *t);

/* Summary and rows handed on by the filter, with its lock held: must not
 * call back into it. */
typedef void (*logfilter_emit)(const struct reg_log *row, void *arg);
/* per_peer rows per minute per address, total per minute in all (0: no
 * such limit; both 0: *out = NULL, everything is written). */
sztp_rc logfilter_new(size_t slots, unsigned per_peer, unsigned total, struct logfilter **out,
		      struct sztp_err *e);
/* Writes the summaries still due (logfilter_flush(all)) through emit. */
void logfilter_free(struct logfilter *f, logfilter_emit emit, void *arg);
/* 1: write the failure row l; 0: it was counted for a summary instead.
 * Summaries that fall due meanwhile (the minute of an address is over, or
 * its slot is taken by another address) go to emit first. */
int logfilter_admit(struct logfilter *f, const struct reg_log *l, int64_t now_ms,
		    logfilter_emit emit, void *arg);
/* The summaries of the minutes that are over (all: every one) to emit;
 * the writer calls it now and then so a summary does not wait for the
 * next failure from its address. */
void logfilter_flush(struct logfilter *f, int64_t now_ms, int all, logfilter_emit emit, void *arg);
/* Keys held (tests). */
size_t logfilter_keys(struct logfilter *f);

/* sztpd's three throttles from its configuration into s (fail_by_peer,
 * fail_by_serial, report_quota); close frees them (NULL members too). */
sztp_rc throttle_open_server(struct server *s, struct sztp_err *e);
void throttle_close_server(struct server *s);

/* ---- authentication failures (identity.c) -------------------------------
 * Failures are charged to the peer address, and those of HTTP Basic
 * without a client certificate also to the serial it claims (enrolled or
 * not: the same for every serial, so no existence oracle, RFC 8572 s9.6).
 * A request with a client certificate always has it verified: a device
 * with a valid IDevID is never refused for what others did from its
 * address or with its serial; only credentials that can be guessed
 * (Basic, or none) meet the gate. */
struct request;
#define THROTTLE_429 "too many failed authentication attempts; retry later"
/* SZTP_E_THROTTLED with THROTTLE_429 when r (no client certificate) comes
 * from an address that failed too often, or, with serial non-NULL (the
 * serial its Basic credentials claim), when that serial did. */
sztp_rc throttle_auth_gate(struct server *s, const struct request *r, const char *serial,
			   struct sztp_err *e);
/* r failed to authenticate: charge its address, and serial when non-NULL
 * (Basic without a certificate).  Logs once when a key becomes limited. */
void throttle_auth_failed(struct server *s, const struct request *r, const char *serial);
/* The Retry-After of a refusal by the gate: seconds until r's address
 * and claimed serial (r->serial) both have a token again. */
unsigned throttle_auth_retry_after(struct server *s, const struct request *r);

#endif
