/*
 * registry_pg_events.c - the events outbox of the PostgreSQL registry
 * (registry_sqlite_events.c in PostgreSQL's dialect): events, consumer
 * cursors, webhook subscriptions and dead letters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "registry.h"
#include "registry_backend.h"
#include "registry_pg_internal.h"

/* STUB(issue 14) */
sztp_rc rpg_progress_events(struct reg_pg *r, const struct reg_progress *p, int64_t t,
			    struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_event_add(struct reg_pg *r, const struct reg_event *ev, int64_t *id, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_event_query(struct reg_pg *r, const struct reg_query *q, reg_event_cb cb, void *arg,
			struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_event_last_id(struct reg_pg *r, int64_t *id, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_event_backlog(struct reg_pg *r, int64_t after_id, int64_t *count, int64_t *oldest_time,
			  struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_event_trim(struct reg_pg *r, int64_t before, int limit, int64_t *deleted,
		       struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_event_cursor_get(struct reg_pg *r, const char *name, int64_t *cursor,
			     struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_event_cursor_set(struct reg_pg *r, const char *name, int64_t cursor, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_event_cursor_drop(struct reg_pg *r, const char *name, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_webhook_add(struct reg_pg *r, const struct reg_webhook *w, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_webhook_update(struct reg_pg *r, const struct reg_webhook *w, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_webhook_remove(struct reg_pg *r, const char *name, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_webhook_get(struct reg_pg *r, const char *name, struct reg_webhook *out,
			struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_webhook_list(struct reg_pg *r, reg_webhook_cb cb, void *arg, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_webhook_result(struct reg_pg *r, const char *name, const struct reg_webhook_result *res,
			   struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_dead_letter_query(struct reg_pg *r, const char *webhook, int replay_only,
			      int64_t after_id, int limit, reg_dead_letter_cb cb, void *arg,
			      struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_dead_letter_replay(struct reg_pg *r, const char *webhook, int64_t event_id, int64_t *n,
			       struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}

/* STUB(issue 14) */
sztp_rc rpg_dead_letter_remove(struct reg_pg *r, const char *webhook, int64_t event_id, int64_t *n,
			       struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "registry: PostgreSQL: %s is not written yet",
			    __func__);
}
