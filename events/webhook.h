/*
 * webhook.h - delivery of the outbox's events (registry.h "events") to the
 * webhook subscriptions (issue 12): one worker thread of sztpd with its
 * own registry handle.  About every 100 ms it takes each enabled webhook
 * whose next attempt is due and POSTs it one batch over HTTPS (libcurl,
 * the receiver's certificate verified: against the webhook's CA bundle,
 * else the system store): first the dead letters queued for replay, else
 * the events after its cursor that its type list matches, in id order,
 * as {"events":[envelope,...]} (lib/event.h), signed with
 * X-SZTP-Signature: sha256=HEX(HMAC-SHA256(secret, TIMESTAMP "." BODY)).
 * A 2xx moves the cursor past the batch (and the events the type list
 * skipped); anything else is a failed attempt, retried after an
 * exponential backoff with jitter, and the batch's events older than
 * webhook-max-age go to the dead-letter list so that the rest flows.
 * The cursor never passes an event that was neither delivered nor
 * dead-lettered, so each device's events arrive in order, at least once
 * (a receiver drops repeats by event id).  The same thread deletes
 * events past event-retention-days once a minute (reg_event_trim).
 */
#ifndef SZTPD_WEBHOOK_H
#define SZTPD_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct config;
struct webhooks;

/* Open cfg->database again (reg_open_existing) and start the worker;
 * webhook-* and event-retention-days are read from cfg now.  *out is NULL
 * on failure. */
sztp_rc webhooks_start(const struct config *cfg, struct webhooks **out, struct sztp_err *e);
/* Stop the worker (an attempt under way is abandoned, not recorded: it is
 * sent again next time), close its registry handle, free.  NULL is a
 * no-op. */
void webhooks_stop(struct webhooks *w);

/* ---- the pieces, for the tests ---------------------------------------- */
/* The wait before the next attempt after attempts (>= 1) consecutive
 * failures, in ms: min(max_s, 2^(attempts-1)) s times a jitter factor
 * 0.5 + u, u uniform in [0, 1). */
int64_t webhook_backoff_ms(int attempts, int max_s, double u);

/* "sha256=" and 64 lowercase hex digits, NUL-terminated */
#define WEBHOOK_SIGNATURE_LEN (7 + 64 + 1)
/* The X-SZTP-Signature value of body sent at timestamp (decimal unix
 * seconds, as in X-SZTP-Timestamp). */
sztp_rc webhook_signature(const char *secret, const char *timestamp, const void *body, size_t len,
			  char out[WEBHOOK_SIGNATURE_LEN], struct sztp_err *e);

#endif
