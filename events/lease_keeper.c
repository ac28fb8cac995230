/*
 * lease_keeper.c - see lease_keeper.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "lease_keeper.h"
#include "log.h"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lease_keeper_init(struct lease_keeper *k, const char *name)
{
	char host[64] = "";
	uint8_t rnd[8] = {0};
	char hex[17];
	size_t i;

	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	(void)crypto_random(rnd, sizeof(rnd), NULL); /* zeros still leave host:pid */
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	snprintf(k->holder, sizeof(k->holder), "%s:%ld:%s", host, (long)getpid(), hex);
}

/* Bookkeeping, not worth a disk flush: a lease lost in a crash of the
 * database only lets another instance take over early (at-least-once). */
static sztp_rc take(struct reg *r, struct lease_keeper *k, int *held, struct sztp_err *e)
{
	sztp_rc rc = reg_begin_nosync(r, e);

	if (rc != SZTP_OK)
		return rc;
	rc = reg_lease(r, k->name, k->holder, LEASE_TTL_MS, held, e);
	if (rc == SZTP_OK && (rc = reg_commit(r, e)) == SZTP_OK)
		return rc;
	reg_rollback(r);
	*held = 0;
	return rc;
}

int lease_keeper_hold(struct lease_keeper *k, struct reg *r)
{
	struct sztp_err e = {0};
	int64_t start = mono_ms();
	int held = 0;

	if (start < k->next_try_ms)
		return k->held && start < k->act_until_ms;
	if (take(r, k, &held, &e) != SZTP_OK) {
		/* unreachable: keep acting until the lease may have run out */
		k->next_try_ms = start + LEASE_RETRY_MS;
		if (strncmp(k->err, e.msg, sizeof(k->err) - 1) != 0) {
			log_warn("%s: cannot renew this instance's lease: %s", k->name, e.msg);
			snprintf(k->err, sizeof(k->err), "%s", e.msg);
		}
		return k->held && start < k->act_until_ms;
	}
	k->err[0] = '\0';
	k->next_try_ms = start + LEASE_RENEW_MS;
	if (held) /* counted from before the take: the lease runs longer */
		k->act_until_ms = start + LEASE_ACT_MS;
	if (!k->known)
		log_debug("%s: %s", k->name,
			  held ? "this instance holds the lease"
			       : "another instance holds the lease");
	else if (held != k->held)
		log_info("%s: %s", k->name,
			 held ? "this instance took the lease over (another one stopped or "
				"lost the registry)"
			      : "another instance holds the lease now: this one stands by");
	k->known = 1;
	k->held = held;
	return held;
}

void lease_keeper_release(struct lease_keeper *k, struct reg *r)
{
	struct sztp_err e = {0};

	if (!k->held)
		return;
	if (reg_lease_release(r, k->name, k->holder, &e) != SZTP_OK)
		log_debug("%s: releasing the lease: %s", k->name, e.msg);
	k->held = 0;
	k->act_until_ms = 0;
}
