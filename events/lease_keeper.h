/*
 * lease_keeper.h - "only while this instance holds the lease" for sztpd's
 * background work that must happen once across several instances on one
 * registry (issue 14): the webhook worker, the syslog sink, the log's and
 * the events' retention.  A keeper takes its lease (reg_lease) on first
 * use, renews it every LEASE_RENEW_MS, and says "held" only while the last
 * successful take is younger than LEASE_ACT_MS (shorter than the lease's
 * LEASE_TTL_MS, so a holder stops before another may take over).  A dead
 * instance's lease runs out after LEASE_TTL_MS; another instance finds it
 * free within LEASE_RENEW_MS more: a takeover within LEASE_TTL_MS +
 * LEASE_RENEW_MS (docs/scale-out.md).  With one sztpd the lease is always
 * its own: nothing changes but one small write per LEASE_RENEW_MS.
 *
 * One keeper per thread (no locking of its own).
 */
#ifndef SZTP_LEASE_KEEPER_H
#define SZTP_LEASE_KEEPER_H

#include <stdint.h>

#include "registry.h"

#define LEASE_TTL_MS   10000
#define LEASE_RENEW_MS 3000
#define LEASE_ACT_MS   8000
#define LEASE_RETRY_MS 1000 /* after a failed take (registry unreachable) */

struct lease_keeper {
	char name[64];
	char holder[REG_LEASE_MAX]; /* hostname:pid:random */
	int held;		    /* the last answer */
	int known;		    /* an answer was logged */
	int64_t act_until_ms;	    /* monotonic: held until then at most */
	int64_t next_try_ms;	    /* monotonic: next take/renewal */
	char err[SZTP_ERR_MSG_MAX]; /* the last failure logged ("" = none) */
};

/* name: the lease (also what the log calls the work). */
void lease_keeper_init(struct lease_keeper *k, const char *name);
/* 1 while this process holds the lease (taking or renewing it when due),
 * else 0.  Logs when the holder changes (debug for the first answer). */
int lease_keeper_hold(struct lease_keeper *k, struct reg *r);
/* Gives the lease up (at a clean stop: another instance takes over at
 * once instead of after LEASE_TTL_MS). */
void lease_keeper_release(struct lease_keeper *k, struct reg *r);

#endif
