/*
 * registry_pg_events.c - the events outbox of the PostgreSQL registry
 * (registry_sqlite_events.c in PostgreSQL's dialect): events, consumer
 * cursors, webhook subscriptions and dead letters.  The same calls, codes
 * and messages; the texts differ only where the dialect does ($N with
 * casts where PostgreSQL cannot infer a type, LIMIT NULL for no limit,
 * GREATEST, a conflict target, no planner hints, RETURNING id).
 *
 * A progress report's events are written here too (rpg_progress_events,
 * inside progress_add's transaction), their data built by the server's
 * JSON functions: json_strip_nulls(json_build_object(...)) gives the same
 * text as SQLite's json_patch('{}', json_object(...)) (members in order,
 * NULL members left out, no spaces), and sztp_json_or_null (migration 006)
 * stands in for SQLite's CASE WHEN json_valid(x) THEN json(x) END.
 * Two differences in bytes, not in meaning: escapes inside the embedded
 * JSON members are written out ("\u0041\/" becomes "A/"; SQLite keeps
 * them as sent), and null members of objects inside arrays are dropped
 * too.  sztpd's own reports carry neither.
 *
 * Identity columns never give an id back: an event id taken by a rolled
 * back transaction is skipped (SQLite's AUTOINCREMENT takes it again).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "registry.h"
#include "registry_backend.h"
#include "registry_pg_internal.h"

/* 63 random bits, never negative (SQLite: random() & INT64_MAX) */
#define REVISION "((random() * 2147483647)::bigint << 32 | (random() * 4294967295)::bigint)"
#define EV_COLS	 "id, time, type, serial, peer, data"
#define DL_COLS                                                                                    \
	"d.webhook, d.time, d.attempts, d.last_error, d.replay, e.id, e.time, e.type, e.serial, "  \
	"e.peer, e.data"
#define WH_COLS                                                                                    \
	"name, url, types, secret, ca_pem, enabled, cursor, attempts, next_attempt, "              \
	"last_status, last_error, last_success, delivered, failed, dead, created, revision"
/* the lowest position of every consumer: retention keeps what is above */
#define MIN_CURSOR                                                                                 \
	"(SELECT MIN(c) FROM (SELECT cursor AS c FROM webhooks UNION ALL "                         \
	"SELECT cursor FROM event_cursors UNION ALL SELECT 9223372036854775807) AS m)"
#define PROGRESS_DATA                                                                              \
	"json_strip_nulls(json_build_object('progress-type', $5::text, 'message', $6::text, "      \
	"'ssh-host-keys', sztp_json_or_null($7), 'trust-anchor-certs', sztp_json_or_null($8), "    \
	"'lenient', sztp_json_or_null($9)))::text"

enum ev_stmt_id {
	E_ADD,
	E_PROGRESS,
	E_QUERY_ALL,
	E_QUERY_ONE,
	E_LAST,
	E_BACKLOG,
	E_TRIM,
	E_CUR_GET,
	E_CUR_SET,
	E_CUR_DROP,
	W_ADD,
	W_UPDATE,
	W_REMOVE,
	W_GET,
	W_LIST,
	W_RESULT,
	D_ADD,
	D_DEL,
	D_DEL_ALL,
	D_REPLAY,
	D_REPLAY_ALL,
	D_QUERY_ONE,
	D_QUERY_ALL,
	E__COUNT
};

/* Every statement of this file (prepared on first use, keyed by address). */
static const char *const ev_sql[E__COUNT] = {
    [E_ADD] = "INSERT INTO events(time, type, serial, peer, data) SELECT $1::bigint, $2::text, "
	      "$3::text, $4::text, $5::text FROM " RPG_EVENTS_ORDER " RETURNING id",
    [E_PROGRESS] = "INSERT INTO events(time, type, serial, peer, data) SELECT $1::bigint, "
		   "$2::text, $3::text, $4::text, " PROGRESS_DATA " FROM " RPG_EVENTS_ORDER,
    [E_QUERY_ALL] = "SELECT " EV_COLS " FROM events WHERE id > $1 AND ($2::text IS NULL OR "
		    "type = $2) AND ($3::bigint = 0 OR time >= $3) AND ($4::bigint = 0 OR "
		    "time < $4) ORDER BY id LIMIT $5",
    [E_QUERY_ONE] = "SELECT " EV_COLS " FROM events WHERE serial = $6 AND id > $1 AND "
		    "($2::text IS NULL OR type = $2) AND ($3::bigint = 0 OR time >= $3) AND "
		    "($4::bigint = 0 OR time < $4) ORDER BY id LIMIT $5",
    [E_LAST] = "SELECT COALESCE(MAX(id), 0) FROM events",
    [E_BACKLOG] = "SELECT count(*), COALESCE(MIN(time), 0) FROM events WHERE id > $1",
    [E_TRIM] = "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < $1 AND "
	       "id <= " MIN_CURSOR " AND id NOT IN (SELECT event_id FROM dead_letters) "
	       "ORDER BY time LIMIT $2)",
    [E_CUR_GET] = "SELECT cursor FROM event_cursors WHERE name = $1",
    [E_CUR_SET] = "INSERT INTO event_cursors(name, cursor) VALUES ($1, $2) "
		  "ON CONFLICT(name) DO UPDATE SET cursor = excluded.cursor",
    [E_CUR_DROP] = "DELETE FROM event_cursors WHERE name = $1",
    [W_ADD] =
	"INSERT INTO webhooks(name, url, types, secret, ca_pem, enabled, cursor, created, "
	"revision) VALUES ($1, $2, $3, $4, $5, $6, (SELECT COALESCE(MAX(id), 0) FROM events), "
	"$7, " REVISION ")",
    [W_UPDATE] = "UPDATE webhooks SET url = $2, types = $3, secret = COALESCE($4, secret), "
		 "ca_pem = $5, enabled = $6, revision = " REVISION " WHERE name = $1",
    [W_REMOVE] = "DELETE FROM webhooks WHERE name = $1",
    [W_GET] = "SELECT " WH_COLS " FROM webhooks WHERE name = $1",
    [W_LIST] = "SELECT " WH_COLS " FROM webhooks ORDER BY name",
    [W_RESULT] = "UPDATE webhooks SET cursor = GREATEST(cursor, $2), attempts = $3, "
		 "next_attempt = $4, last_status = $5, last_error = $6, "
		 "last_success = CASE WHEN $7 <> 0 THEN $8 ELSE last_success END, "
		 "delivered = delivered + $9, failed = failed + (1 - $7), dead = dead + $10 "
		 "WHERE name = $1",
    [D_ADD] = "INSERT INTO dead_letters(webhook, event_id, time, attempts, last_error) "
	      "SELECT $1, id, $3, $4, $5 FROM events WHERE id = $2 "
	      "ON CONFLICT (webhook, event_id) DO UPDATE SET time = excluded.time, "
	      "attempts = excluded.attempts, last_error = excluded.last_error, replay = 0",
    [D_DEL] = "DELETE FROM dead_letters WHERE webhook = $1 AND event_id = $2",
    [D_DEL_ALL] = "DELETE FROM dead_letters WHERE webhook = $1",
    [D_REPLAY] = "UPDATE dead_letters SET replay = 1 WHERE webhook = $1 AND event_id = $2",
    [D_REPLAY_ALL] = "UPDATE dead_letters SET replay = 1 WHERE webhook = $1",
    [D_QUERY_ONE] = "SELECT " DL_COLS " FROM dead_letters d JOIN events e "
		    "ON e.id = d.event_id WHERE d.webhook = $1 AND ($2::int = 0 OR d.replay = 1) "
		    "AND d.event_id > $3 ORDER BY d.event_id LIMIT $4",
    /* as D_QUERY_ONE without the webhook: $1 replay_only, $2 after, $3 limit */
    [D_QUERY_ALL] = "SELECT " DL_COLS " FROM dead_letters d JOIN events e "
		    "ON e.id = d.event_id WHERE ($1::int = 0 OR d.replay = 1) AND d.event_id > $2 "
		    "ORDER BY d.webhook, d.event_id LIMIT $3",
};

/* ---- events -------------------------------------------------------------- */

sztp_rc rpg_event_add(struct reg_pg *r, const struct reg_event *ev, int64_t *id, struct sztp_err *e)
{
	struct rpg_args a = {0};
	PGresult *res = NULL;
	sztp_rc rc = reg_valid_event(ev, e);

	if (id)
		*id = 0;
	if (rc != SZTP_OK)
		return rc;
	rpg_arg_int(&a, ev->time ? ev->time : (int64_t)time(NULL));
	rpg_arg_str(&a, ev->type);
	rpg_arg_str(&a, ev->serial);
	rpg_arg_str(&a, ev->peer);
	rpg_arg_str(&a, ev->data ? ev->data : "{}");
	rpg_lock(r);
	res = rpg_write(r, ev_sql[E_ADD], &a, "storing an event", &rc, e);
	/* data that is not JSON at all fails the CHECK's cast (22P02), not
	 * the CHECK: refused by the table either way, as SQLite's CHECK */
	if (!res && rpg_failed_with(r, "22P02")) {
		rc = SZTP_E_DB;
		if (e)
			e->rc = rc;
	}
	if (res && id && PQntuples(res) == 1)
		*id = rpg_col_int(res, 0, 0);
	rpg_unlock(r);
	PQclear(res);
	return rc;
}

/* enum reg_lenient bits as a JSON array of their names into buf ("" for
 * none: the member is then left out). */
static void lenient_array(unsigned bits, char *buf, size_t size)
{
	size_t n = 0;
	int k;

	buf[0] = '\0';
	for (unsigned bit = 1; bit & REG_LENIENT_ALL; bit <<= 1) {
		if (!(bits & bit))
			continue;
		k = snprintf(buf + n, size - n, "%s\"%s\"", n ? "," : "[", reg_lenient_name(bit));
		if (k < 0 || (size_t)k >= size - n)
			goto none;
		n += (size_t)k;
	}
	if (n && snprintf(buf + n, size - n, "]") == 1)
		return;
none:
	buf[0] = '\0';
}

/* One event of a progress report (inside its transaction). */
static sztp_rc progress_event(struct reg_pg *r, const char *type, const struct reg_progress *p,
			      int64_t t, struct sztp_err *e)
{
	char lenient[REG_LENIENT_LIST_MAX + 16];
	struct rpg_args a = {0};

	lenient_array(p->lenient, lenient, sizeof(lenient));
	rpg_arg_int(&a, t);
	rpg_arg_str(&a, type);
	rpg_arg_str(&a, p->serial);
	rpg_arg_str(&a, p->peer);
	rpg_arg_str(&a, p->type);
	rpg_arg_opt(&a, p->message);
	rpg_arg_opt(&a, p->ssh_host_keys);
	rpg_arg_opt(&a, p->trust_anchors);
	rpg_arg_opt(&a, lenient[0] ? lenient : NULL);
	return rpg_run(r, ev_sql[E_PROGRESS], &a, "storing a progress report's event", 1, e);
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

sztp_rc rpg_progress_events(struct reg_pg *r, const struct reg_progress *p, int64_t t,
			    struct sztp_err *e)
{
	sztp_rc rc = progress_event(r, "progress.reported", p, t, e);

	if (rc == SZTP_OK && strcmp(p->type, "bootstrap-complete") == 0)
		rc = progress_event(r, "device.completed", p, t, e);
	else if (rc == SZTP_OK && ends_with(p->type, "-error"))
		rc = progress_event(r, "device.failed", p, t, e);
	return rc;
}

static sztp_rc row_event(PGresult *res, int row, int c, struct reg_event *ev, struct sztp_err *e)
{
	sztp_rc rc;

	memset(ev, 0, sizeof(*ev));
	ev->id = rpg_col_int(res, row, c);
	ev->time = rpg_col_int(res, row, c + 1);
	rc = rpg_col_str(res, row, c + 2, ev->type, sizeof(ev->type), e);
	if (rc == SZTP_OK)
		rc = rpg_col_str(res, row, c + 3, ev->serial, sizeof(ev->serial), e);
	if (rc == SZTP_OK)
		rc = rpg_col_str(res, row, c + 4, ev->peer, sizeof(ev->peer), e);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, row, c + 5, &ev->data, e);
	if (rc != SZTP_OK)
		reg_event_clear(ev);
	return rc;
}

sztp_rc rpg_event_query(struct reg_pg *r, const struct reg_query *q, reg_event_cb cb, void *arg,
			struct sztp_err *e)
{
	struct reg_event ev;
	struct rpg_args a = {0};
	PGresult *res = NULL;
	sztp_rc rc = SZTP_OK;
	int i, n, stop = 0;

	if (q->serial && (rc = reg_valid_str("device serial number", q->serial, PKI_SERIAL_MAX, 1,
					     e)) != SZTP_OK)
		return rc;
	rpg_arg_int(&a, q->after_id);
	rpg_arg_str(&a, q->type);
	rpg_arg_int(&a, q->since);
	rpg_arg_int(&a, q->before);
	rpg_arg_limit(&a, q->limit);
	if (q->serial)
		rpg_arg_str(&a, q->serial);
	rpg_lock(r);
	res = rpg_exec(r, ev_sql[q->serial ? E_QUERY_ONE : E_QUERY_ALL], &a, "listing events", &rc,
		       e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && !stop && i < n; i++) {
		rc = row_event(res, i, 0, &ev, e);
		if (rc == SZTP_OK)
			stop = cb(&ev, arg);
		reg_event_clear(&ev);
	}
	rpg_unlock(r);
	PQclear(res);
	return rc;
}

/* A one-row read of up to two integers (bind1 as $1 when the statement
 * has a parameter). */
static sztp_rc read_ints(struct reg_pg *r, enum ev_stmt_id id, int64_t bind1, int64_t *x,
			 int64_t *y, const char *what, struct sztp_err *e)
{
	struct rpg_args a = {0};
	PGresult *res;
	sztp_rc rc = SZTP_E_DB;

	*x = 0;
	if (y)
		*y = 0;
	if (id != E_LAST)
		rpg_arg_int(&a, bind1);
	res = rpg_exec(r, ev_sql[id], &a, what, &rc, e);
	if (res && PQntuples(res) != 1) {
		rc = sztp_err_set(e, SZTP_E_DB, "registry: %s failed: no row", what);
	} else if (res) {
		*x = rpg_col_int(res, 0, 0);
		if (y)
			*y = rpg_col_int(res, 0, 1);
	}
	PQclear(res);
	return rc;
}

sztp_rc rpg_event_last_id(struct reg_pg *r, int64_t *id, struct sztp_err *e)
{
	return read_ints(r, E_LAST, 0, id, NULL, "reading the newest event", e);
}

sztp_rc rpg_event_backlog(struct reg_pg *r, int64_t after_id, int64_t *count, int64_t *oldest_time,
			  struct sztp_err *e)
{
	return read_ints(r, E_BACKLOG, after_id, count, oldest_time, "counting pending events", e);
}

sztp_rc rpg_event_trim(struct reg_pg *r, int64_t before, int limit, int64_t *deleted,
		       struct sztp_err *e)
{
	struct rpg_args a = {0};
	PGresult *res;
	sztp_rc rc = SZTP_E_DB;

	if (deleted)
		*deleted = 0;
	rpg_arg_int(&a, before);
	rpg_arg_limit(&a, limit);
	res = rpg_write(r, ev_sql[E_TRIM], &a, "removing old events", &rc, e);
	if (res && deleted)
		*deleted = rpg_changes(res);
	PQclear(res);
	return rc;
}

sztp_rc rpg_event_cursor_get(struct reg_pg *r, const char *name, int64_t *cursor,
			     struct sztp_err *e)
{
	struct rpg_args a = {0};
	PGresult *res;
	sztp_rc rc = reg_valid_cursor_name(name, e);

	*cursor = 0;
	if (rc != SZTP_OK)
		return rc;
	rpg_arg_str(&a, name);
	res = rpg_exec(r, ev_sql[E_CUR_GET], &a, "reading an event cursor", &rc, e);
	if (res && PQntuples(res) > 0)
		*cursor = rpg_col_int(res, 0, 0);
	else if (res)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "no event cursor '%s'", name);
	PQclear(res);
	return rc;
}

sztp_rc rpg_event_cursor_set(struct reg_pg *r, const char *name, int64_t cursor, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = reg_valid_cursor_name(name, e);

	if (rc != SZTP_OK)
		return rc;
	rpg_arg_str(&a, name);
	rpg_arg_int(&a, cursor);
	return rpg_run(r, ev_sql[E_CUR_SET], &a, "storing an event cursor", 1, e);
}

sztp_rc rpg_event_cursor_drop(struct reg_pg *r, const char *name, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = reg_valid_cursor_name(name, e);

	if (rc != SZTP_OK)
		return rc;
	rpg_arg_str(&a, name);
	return rpg_run(r, ev_sql[E_CUR_DROP], &a, "removing an event cursor", 1, e);
}

/* ---- webhooks ------------------------------------------------------------ */

static void args_webhook(struct rpg_args *a, const struct reg_webhook *w)
{
	rpg_arg_str(a, w->name);
	rpg_arg_str(a, w->url);
	rpg_arg_str(a, w->types ? w->types : "");
	rpg_arg_str(a, w->secret);
	rpg_arg_opt(a, w->ca_pem);
	rpg_arg_int(a, w->enabled ? 1 : 0);
}

sztp_rc rpg_webhook_add(struct reg_pg *r, const struct reg_webhook *w, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = reg_valid_webhook(w, 1, e);

	if (rc != SZTP_OK)
		return rc;
	args_webhook(&a, w);
	rpg_arg_int(&a, w->created ? w->created : (int64_t)time(NULL));
	rpg_lock(r);
	rc = rpg_run(r, ev_sql[W_ADD], &a, "adding a webhook", 1, e);
	if (rc != SZTP_OK && rpg_failed_with(r, "23505"))
		rc = sztp_err_set(e, SZTP_E_EXISTS, "webhook '%s' exists", w->name);
	rpg_unlock(r);
	return rc;
}

/* A write of a, keyed on one webhook's name: NOT_FOUND when it touched no
 * row. */
static sztp_rc keyed_write(struct reg_pg *r, enum ev_stmt_id id, const struct rpg_args *a,
			   const char *name, const char *what, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_DB;
	PGresult *res = rpg_write(r, ev_sql[id], a, what, &rc, e);

	if (res && rpg_changes(res) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "no webhook '%s'", name);
	PQclear(res);
	return rc;
}

sztp_rc rpg_webhook_update(struct reg_pg *r, const struct reg_webhook *w, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = reg_valid_webhook(w, 0, e);

	if (rc != SZTP_OK)
		return rc;
	args_webhook(&a, w);
	return keyed_write(r, W_UPDATE, &a, w->name, "changing a webhook", e);
}

sztp_rc rpg_webhook_remove(struct reg_pg *r, const char *name, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc = reg_valid_str("webhook name", name, REG_NAME_MAX, 0, e);

	if (rc != SZTP_OK)
		return rc;
	rpg_arg_str(&a, name);
	return keyed_write(r, W_REMOVE, &a, name, "removing a webhook", e);
}

static sztp_rc row_webhook(PGresult *res, int row, struct reg_webhook *w, struct sztp_err *e)
{
	sztp_rc rc;

	memset(w, 0, sizeof(*w));
	rc = rpg_col_str(res, row, 0, w->name, sizeof(w->name), e);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, row, 1, &w->url, e);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, row, 2, &w->types, e);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, row, 3, &w->secret, e);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, row, 4, &w->ca_pem, e);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, row, 10, &w->last_error, e);
	if (rc == SZTP_OK && !w->types && !(w->types = strdup("")))
		rc = sztp_err_set(e, SZTP_E_NOMEM, "registry: out of memory");
	w->enabled = (int)rpg_col_int(res, row, 5);
	w->cursor = rpg_col_int(res, row, 6);
	w->attempts = (int)rpg_col_int(res, row, 7);
	w->next_attempt_ms = rpg_col_int(res, row, 8);
	w->last_status = (int)rpg_col_int(res, row, 9);
	w->last_success = rpg_col_int(res, row, 11);
	w->delivered = rpg_col_int(res, row, 12);
	w->failed = rpg_col_int(res, row, 13);
	w->dead = rpg_col_int(res, row, 14);
	w->created = rpg_col_int(res, row, 15);
	w->revision = rpg_col_int(res, row, 16);
	if (rc != SZTP_OK)
		reg_webhook_clear(w);
	return rc;
}

sztp_rc rpg_webhook_get(struct reg_pg *r, const char *name, struct reg_webhook *out,
			struct sztp_err *e)
{
	struct rpg_args a = {0};
	PGresult *res;
	sztp_rc rc = reg_valid_str("webhook name", name, REG_NAME_MAX, 0, e);

	memset(out, 0, sizeof(*out));
	if (rc != SZTP_OK)
		return rc;
	rpg_arg_str(&a, name);
	res = rpg_exec(r, ev_sql[W_GET], &a, "reading a webhook", &rc, e);
	if (res && PQntuples(res) > 0)
		rc = row_webhook(res, 0, out, e);
	else if (res)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "no webhook '%s'", name);
	PQclear(res);
	return rc;
}

sztp_rc rpg_webhook_list(struct reg_pg *r, reg_webhook_cb cb, void *arg, struct sztp_err *e)
{
	struct reg_webhook w;
	PGresult *res;
	sztp_rc rc = SZTP_E_DB;
	int i, n, stop = 0;

	rpg_lock(r);
	res = rpg_exec(r, ev_sql[W_LIST], NULL, "listing webhooks", &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && !stop && i < n; i++) {
		rc = row_webhook(res, i, &w, e);
		if (rc == SZTP_OK)
			stop = cb(&w, arg);
		reg_webhook_clear(&w);
	}
	rpg_unlock(r);
	PQclear(res);
	return rc;
}

/* The writes of one result (inside its transaction). */
static sztp_rc result_write(struct reg_pg *r, const char *name,
			    const struct reg_webhook_result *res, int64_t now, struct sztp_err *e)
{
	struct rpg_args a = {0};
	sztp_rc rc;
	size_t i;

	rpg_arg_str(&a, name);
	rpg_arg_int(&a, res->cursor);
	rpg_arg_int(&a, res->attempts);
	rpg_arg_int(&a, res->next_attempt_ms);
	rpg_arg_int(&a, res->status);
	rpg_arg_str(&a, res->ok ? NULL : res->error ? res->error : "failed");
	rpg_arg_int(&a, res->ok ? 1 : 0);
	rpg_arg_int(&a, now);
	rpg_arg_int(&a, res->delivered);
	rpg_arg_int(&a, (int64_t)res->n_dead);
	rc = keyed_write(r, W_RESULT, &a, name, "recording a delivery", e);
	for (i = 0; rc == SZTP_OK && i < res->n_dead; i++) {
		memset(&a, 0, sizeof(a));
		rpg_arg_str(&a, name);
		rpg_arg_int(&a, res->dead[i]);
		rpg_arg_int(&a, now);
		rpg_arg_int(&a, res->attempts);
		rpg_arg_str(&a, res->error ? res->error : "");
		rc = rpg_run(r, ev_sql[D_ADD], &a, "storing a dead letter", 1, e);
	}
	for (i = 0; rc == SZTP_OK && i < res->n_replayed; i++) {
		memset(&a, 0, sizeof(a));
		rpg_arg_str(&a, name);
		rpg_arg_int(&a, res->replayed[i]);
		rc = rpg_run(r, ev_sql[D_DEL], &a, "removing a replayed dead letter", 1, e);
	}
	return rc;
}

sztp_rc rpg_webhook_result(struct reg_pg *r, const char *name, const struct reg_webhook_result *res,
			   struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("webhook name", name, REG_NAME_MAX, 0, e);

	if (rc != SZTP_OK)
		return rc;
	rpg_lock(r);
	rc = rpg_op_begin(r, e);
	if (rc == SZTP_OK)
		rc = rpg_op_end(r, result_write(r, name, res, (int64_t)time(NULL), e), e);
	rpg_unlock(r);
	return rc;
}

/* ---- dead letters --------------------------------------------------------- */

static sztp_rc row_dead(PGresult *res, int row, struct reg_dead_letter *d, struct sztp_err *e)
{
	sztp_rc rc;

	memset(d, 0, sizeof(*d));
	rc = rpg_col_str(res, row, 0, d->webhook, sizeof(d->webhook), e);
	d->time = rpg_col_int(res, row, 1);
	d->attempts = (int)rpg_col_int(res, row, 2);
	if (rc == SZTP_OK)
		rc = rpg_col_dup(res, row, 3, &d->last_error, e);
	d->replay = (int)rpg_col_int(res, row, 4);
	if (rc == SZTP_OK)
		rc = row_event(res, row, 5, &d->ev, e);
	if (rc != SZTP_OK)
		reg_dead_letter_clear(d);
	return rc;
}

sztp_rc rpg_dead_letter_query(struct reg_pg *r, const char *webhook, int replay_only,
			      int64_t after_id, int limit, reg_dead_letter_cb cb, void *arg,
			      struct sztp_err *e)
{
	struct reg_dead_letter d;
	struct rpg_args a = {0};
	PGresult *res;
	sztp_rc rc = SZTP_OK;
	int i, n, stop = 0;

	if (webhook && (rc = reg_valid_str("webhook name", webhook, REG_NAME_MAX, 0, e)) != SZTP_OK)
		return rc;
	if (webhook)
		rpg_arg_str(&a, webhook);
	rpg_arg_int(&a, replay_only ? 1 : 0);
	rpg_arg_int(&a, after_id);
	rpg_arg_limit(&a, limit);
	rpg_lock(r);
	res = rpg_exec(r, ev_sql[webhook ? D_QUERY_ONE : D_QUERY_ALL], &a, "listing dead letters",
		       &rc, e);
	n = res ? PQntuples(res) : 0;
	for (i = 0; rc == SZTP_OK && !stop && i < n; i++) {
		rc = row_dead(res, i, &d, e);
		if (rc == SZTP_OK)
			stop = cb(&d, arg);
		reg_dead_letter_clear(&d);
	}
	rpg_unlock(r);
	PQclear(res);
	return rc;
}

/* Replay or remove one dead letter (event_id) or all of a webhook's. */
static sztp_rc dead_change(struct reg_pg *r, enum ev_stmt_id one, enum ev_stmt_id all,
			   const char *webhook, int64_t event_id, int64_t *n, const char *what,
			   struct sztp_err *e)
{
	struct reg_webhook w;
	struct rpg_args a = {0};
	PGresult *res = NULL;
	sztp_rc rc;

	if (n)
		*n = 0;
	rpg_lock(r);
	rc = rpg_webhook_get(r, webhook, &w, e); /* NOT_FOUND names the webhook */
	reg_webhook_clear(&w);
	if (rc != SZTP_OK)
		goto out;
	rpg_arg_str(&a, webhook);
	if (event_id)
		rpg_arg_int(&a, event_id);
	res = rpg_write(r, ev_sql[event_id ? one : all], &a, what, &rc, e);
	if (res && n)
		*n = rpg_changes(res);
	if (res && event_id && rpg_changes(res) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND,
				  "webhook '%s' has no dead letter of event %lld", webhook,
				  (long long)event_id);
out:
	rpg_unlock(r);
	PQclear(res);
	return rc;
}

sztp_rc rpg_dead_letter_replay(struct reg_pg *r, const char *webhook, int64_t event_id, int64_t *n,
			       struct sztp_err *e)
{
	return dead_change(r, D_REPLAY, D_REPLAY_ALL, webhook, event_id, n,
			   "queueing dead letters for replay", e);
}

sztp_rc rpg_dead_letter_remove(struct reg_pg *r, const char *webhook, int64_t event_id, int64_t *n,
			       struct sztp_err *e)
{
	return dead_change(r, D_DEL, D_DEL_ALL, webhook, event_id, n, "removing dead letters", e);
}
