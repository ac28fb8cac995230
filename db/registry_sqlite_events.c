/*
 * registry_sqlite_events.c - the outbox of events (issue 12) on SQLite:
 * the events table, webhook subscriptions with their delivery state, dead
 * letters, and the cursors of other consumers (migration 006).  The
 * locking and transaction rules are registry_sqlite.c's: every public
 * function holds r->mu; a multi-statement write is one transaction, or a
 * savepoint inside reg_begin.  Statements are prepared on first use (a
 * handle that never touches events prepares none of them).
 *
 * A progress report's events are written here too (rsql_progress_events,
 * called inside progress_add's transaction): progress.reported always,
 * device.completed for bootstrap-complete, device.failed for a *-error
 * type (lib/event.c's event_progress_terminal is the same rule).  Their
 * data is built by SQLite's JSON functions, so the registry needs no JSON
 * library: json_patch('{}', ...) drops the members that are NULL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry_sqlite_internal.h"

#define REVISION "(random() & 9223372036854775807)"
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
	"SELECT cursor FROM event_cursors UNION ALL SELECT 9223372036854775807))"
#define PROGRESS_DATA                                                                              \
	"json_patch('{}', json_object('progress-type', ?5, 'message', ?6, 'ssh-host-keys', "       \
	"CASE WHEN json_valid(?7) THEN json(?7) END, 'trust-anchor-certs', "                       \
	"CASE WHEN json_valid(?8) THEN json(?8) END, 'lenient', "                                  \
	"CASE WHEN json_valid(?9) THEN json(?9) END))"

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
_Static_assert(E__COUNT <= sizeof(((struct reg_sqlite *)0)->ev_st) / sizeof(sqlite3_stmt *),
	       "ev_st is large enough");

static const char *const ev_sql[E__COUNT] = {
    [E_ADD] = "INSERT INTO events(time, type, serial, peer, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    [E_PROGRESS] = "INSERT INTO events(time, type, serial, peer, data) "
		   "VALUES (?1, ?2, ?3, ?4, " PROGRESS_DATA ")",
    [E_QUERY_ALL] = "SELECT " EV_COLS " FROM events WHERE id > ?1 AND (?2 IS NULL OR type = ?2) "
		    "AND (?3 = 0 OR time >= ?3) AND (?4 = 0 OR time < ?4) ORDER BY id LIMIT ?5",
    [E_QUERY_ONE] = "SELECT " EV_COLS " FROM events INDEXED BY events_serial WHERE serial = ?6 "
		    "AND id > ?1 AND (?2 IS NULL OR type = ?2) AND (?3 = 0 OR time >= ?3) "
		    "AND (?4 = 0 OR time < ?4) ORDER BY id LIMIT ?5",
    [E_LAST] = "SELECT COALESCE(MAX(id), 0) FROM events",
    [E_BACKLOG] = "SELECT count(*), COALESCE(MIN(time), 0) FROM events WHERE id > ?1",
    [E_TRIM] = "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ?1 AND "
	       "id <= " MIN_CURSOR " AND id NOT IN (SELECT event_id FROM dead_letters) "
	       "ORDER BY time LIMIT ?2)", /* events_time: not a walk of every event */
    [E_CUR_GET] = "SELECT cursor FROM event_cursors WHERE name = ?1",
    [E_CUR_SET] = "INSERT INTO event_cursors(name, cursor) VALUES (?1, ?2) "
		  "ON CONFLICT(name) DO UPDATE SET cursor = excluded.cursor",
    [E_CUR_DROP] = "DELETE FROM event_cursors WHERE name = ?1",
    [W_ADD] =
	"INSERT INTO webhooks(name, url, types, secret, ca_pem, enabled, cursor, created, "
	"revision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT COALESCE(MAX(id), 0) FROM events), "
	"?7, " REVISION ")",
    [W_UPDATE] = "UPDATE webhooks SET url = ?2, types = ?3, secret = COALESCE(?4, secret), "
		 "ca_pem = ?5, enabled = ?6, revision = " REVISION " WHERE name = ?1",
    [W_REMOVE] = "DELETE FROM webhooks WHERE name = ?1",
    [W_GET] = "SELECT " WH_COLS " FROM webhooks WHERE name = ?1",
    [W_LIST] = "SELECT " WH_COLS " FROM webhooks ORDER BY name",
    [W_RESULT] = "UPDATE webhooks SET cursor = MAX(cursor, ?2), attempts = ?3, "
		 "next_attempt = ?4, last_status = ?5, last_error = ?6, "
		 "last_success = CASE WHEN ?7 THEN ?8 ELSE last_success END, "
		 "delivered = delivered + ?9, failed = failed + (1 - ?7), dead = dead + ?10 "
		 "WHERE name = ?1",
    [D_ADD] = "INSERT INTO dead_letters(webhook, event_id, time, attempts, last_error) "
	      "SELECT ?1, id, ?3, ?4, ?5 FROM events WHERE id = ?2 "
	      "ON CONFLICT DO UPDATE SET time = excluded.time, attempts = excluded.attempts, "
	      "last_error = excluded.last_error, replay = 0",
    [D_DEL] = "DELETE FROM dead_letters WHERE webhook = ?1 AND event_id = ?2",
    [D_DEL_ALL] = "DELETE FROM dead_letters WHERE webhook = ?1",
    [D_REPLAY] = "UPDATE dead_letters SET replay = 1 WHERE webhook = ?1 AND event_id = ?2",
    [D_REPLAY_ALL] = "UPDATE dead_letters SET replay = 1 WHERE webhook = ?1",
    /* dead_letters drives (CROSS JOIN): the planner would otherwise walk
     * the whole events table for the id range */
    [D_QUERY_ONE] = "SELECT " DL_COLS " FROM dead_letters d CROSS JOIN events e "
		    "ON e.id = d.event_id WHERE d.webhook = ?1 AND (?2 = 0 OR d.replay = 1) "
		    "AND d.event_id > ?3 ORDER BY d.event_id LIMIT ?4",
    [D_QUERY_ALL] = "SELECT " DL_COLS " FROM dead_letters d CROSS JOIN events e "
		    "ON e.id = d.event_id WHERE (?2 = 0 OR d.replay = 1) AND d.event_id > ?3 "
		    "ORDER BY d.webhook, d.event_id LIMIT ?4",
};

static sqlite3_stmt *ev_stmt(struct reg_sqlite *r, enum ev_stmt_id id, struct sztp_err *e)
{
	if (!r->ev_st[id] && sqlite3_prepare_v3(r->db, ev_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
						&r->ev_st[id], NULL) != SQLITE_OK) {
		rsql_db_fail(r, e, "preparing an events statement");
		return NULL;
	}
	return r->ev_st[id];
}

void rsql_events_finalize(struct reg_sqlite *r)
{
	size_t i;

	for (i = 0; i < sizeof(r->ev_st) / sizeof(r->ev_st[0]); i++) {
		sqlite3_finalize(r->ev_st[i]);
		r->ev_st[i] = NULL;
	}
}

/* Run s (bound: binding succeeded) to its end; resets it. */
static sztp_rc run(struct reg_sqlite *r, sqlite3_stmt *s, int bound, const char *what,
		   struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	int src = bound ? sqlite3_step(s) : SQLITE_ERROR;

	if (src != SQLITE_DONE && src != SQLITE_ROW)
		rc = rsql_db_fail(r, e, what);
	rsql_st_done(s);
	return rc;
}

static int bind_limit(sqlite3_stmt *s, int i, int limit)
{
	return sqlite3_bind_int(s, i, limit > 0 ? limit : -1);
}

/* ---- events -------------------------------------------------------------- */

sztp_rc rsq_event_add(struct reg_sqlite *r, const struct reg_event *ev, int64_t *id,
		      struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = reg_valid_event(ev, e);

	if (id)
		*id = 0;
	if (rc != SZTP_OK)
		return rc;
	rsql_lock(r);
	s = ev_stmt(r, E_ADD, e);
	if (!s) {
		rc = SZTP_E_DB;
	} else {
		int bound = sqlite3_bind_int64(s, 1, ev->time ? ev->time : (int64_t)time(NULL)) ==
				SQLITE_OK &&
			    rsql_bind_str(s, 2, ev->type) == SQLITE_OK &&
			    rsql_bind_str(s, 3, ev->serial) == SQLITE_OK &&
			    rsql_bind_str(s, 4, ev->peer) == SQLITE_OK &&
			    rsql_bind_str(s, 5, ev->data ? ev->data : "{}") == SQLITE_OK;
		rc = run(r, s, bound, "storing an event", e);
		if (rc == SZTP_OK && id)
			*id = sqlite3_last_insert_rowid(r->db);
	}
	rsql_unlock(r);
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

/* One event of a progress report (r->mu held, inside its transaction). */
static sztp_rc progress_event(struct reg_sqlite *r, const char *type, const struct reg_progress *p,
			      int64_t t, struct sztp_err *e)
{
	sqlite3_stmt *s = ev_stmt(r, E_PROGRESS, e);
	char lenient[REG_LENIENT_LIST_MAX + 16];
	int bound;

	if (!s)
		return SZTP_E_DB;
	lenient_array(p->lenient, lenient, sizeof(lenient));
	bound = sqlite3_bind_int64(s, 1, t) == SQLITE_OK &&
		rsql_bind_str(s, 2, type) == SQLITE_OK &&
		rsql_bind_str(s, 3, p->serial) == SQLITE_OK &&
		rsql_bind_str(s, 4, p->peer) == SQLITE_OK &&
		rsql_bind_str(s, 5, p->type) == SQLITE_OK &&
		rsql_bind_opt(s, 6, p->message) == SQLITE_OK &&
		rsql_bind_opt(s, 7, p->ssh_host_keys) == SQLITE_OK &&
		rsql_bind_opt(s, 8, p->trust_anchors) == SQLITE_OK &&
		rsql_bind_opt(s, 9, lenient[0] ? lenient : NULL) == SQLITE_OK;
	return run(r, s, bound, "storing a progress report's event", e);
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

sztp_rc rsql_progress_events(struct reg_sqlite *r, const struct reg_progress *p, int64_t t,
			     struct sztp_err *e)
{
	sztp_rc rc = progress_event(r, "progress.reported", p, t, e);

	if (rc == SZTP_OK && strcmp(p->type, "bootstrap-complete") == 0)
		rc = progress_event(r, "device.completed", p, t, e);
	else if (rc == SZTP_OK && ends_with(p->type, "-error"))
		rc = progress_event(r, "device.failed", p, t, e);
	return rc;
}

static sztp_rc row_event(sqlite3_stmt *s, int c, struct reg_event *ev, struct sztp_err *e)
{
	sztp_rc rc;

	memset(ev, 0, sizeof(*ev));
	ev->id = sqlite3_column_int64(s, c);
	ev->time = sqlite3_column_int64(s, c + 1);
	rc = rsql_col_str(s, c + 2, ev->type, sizeof(ev->type), e);
	if (rc == SZTP_OK)
		rc = rsql_col_str(s, c + 3, ev->serial, sizeof(ev->serial), e);
	if (rc == SZTP_OK)
		rc = rsql_col_str(s, c + 4, ev->peer, sizeof(ev->peer), e);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, c + 5, &ev->data, e);
	if (rc != SZTP_OK)
		reg_event_clear(ev);
	return rc;
}

sztp_rc rsq_event_query(struct reg_sqlite *r, const struct reg_query *q, reg_event_cb cb, void *arg,
			struct sztp_err *e)
{
	struct reg_event ev;
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_OK;
	int src = SQLITE_ERROR, stop = 0, bound;

	if (q->serial && (rc = reg_valid_str("device serial number", q->serial, PKI_SERIAL_MAX, 1,
					     e)) != SZTP_OK)
		return rc;
	rsql_lock(r);
	s = ev_stmt(r, q->serial ? E_QUERY_ONE : E_QUERY_ALL, e);
	if (!s) {
		rc = SZTP_E_DB;
		goto out;
	}
	bound = sqlite3_bind_int64(s, 1, q->after_id) == SQLITE_OK &&
		(q->type ? rsql_bind_str(s, 2, q->type) : sqlite3_bind_null(s, 2)) == SQLITE_OK &&
		sqlite3_bind_int64(s, 3, q->since) == SQLITE_OK &&
		sqlite3_bind_int64(s, 4, q->before) == SQLITE_OK &&
		bind_limit(s, 5, q->limit) == 0 &&
		(!q->serial || rsql_bind_str(s, 6, q->serial) == SQLITE_OK);
	while (bound && rc == SZTP_OK && !stop && (src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = row_event(s, 0, &ev, e);
		if (rc == SZTP_OK)
			stop = cb(&ev, arg);
		reg_event_clear(&ev);
	}
	if (rc == SZTP_OK && !stop && src != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "listing events");
	rsql_st_done(s);
out:
	rsql_unlock(r);
	return rc;
}

/* A one-row read of up to two integers. */
static sztp_rc read_ints(struct reg_sqlite *r, enum ev_stmt_id id, int64_t bind1, int64_t *a,
			 int64_t *b, const char *what, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_E_DB;

	*a = 0;
	if (b)
		*b = 0;
	rsql_lock(r);
	s = ev_stmt(r, id, e);
	if (!s)
		goto out;
	if ((sqlite3_bind_parameter_count(s) && sqlite3_bind_int64(s, 1, bind1) != SQLITE_OK) ||
	    sqlite3_step(s) != SQLITE_ROW) {
		rc = rsql_db_fail(r, e, what);
	} else {
		*a = sqlite3_column_int64(s, 0);
		if (b)
			*b = sqlite3_column_int64(s, 1);
		rc = SZTP_OK;
	}
	rsql_st_done(s);
out:
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_event_last_id(struct reg_sqlite *r, int64_t *id, struct sztp_err *e)
{
	return read_ints(r, E_LAST, 0, id, NULL, "reading the newest event", e);
}

sztp_rc rsq_event_backlog(struct reg_sqlite *r, int64_t after_id, int64_t *count,
			  int64_t *oldest_time, struct sztp_err *e)
{
	return read_ints(r, E_BACKLOG, after_id, count, oldest_time, "counting pending events", e);
}

sztp_rc rsq_event_trim(struct reg_sqlite *r, int64_t before, int limit, int64_t *deleted,
		       struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_E_DB;

	if (deleted)
		*deleted = 0;
	rsql_lock(r);
	s = ev_stmt(r, E_TRIM, e);
	if (s) {
		int bound = sqlite3_bind_int64(s, 1, before) == SQLITE_OK &&
			    bind_limit(s, 2, limit) == SQLITE_OK;
		rc = run(r, s, bound, "removing old events", e);
		if (rc == SZTP_OK && deleted)
			*deleted = sqlite3_changes(r->db);
	}
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_event_cursor_get(struct reg_sqlite *r, const char *name, int64_t *cursor,
			     struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = reg_valid_cursor_name(name, e);
	int src;

	*cursor = 0;
	if (rc != SZTP_OK)
		return rc;
	rsql_lock(r);
	s = ev_stmt(r, E_CUR_GET, e);
	if (!s) {
		rc = SZTP_E_DB;
		goto out;
	}
	src = rsql_bind_str(s, 1, name) == SQLITE_OK ? sqlite3_step(s) : SQLITE_ERROR;
	if (src == SQLITE_ROW)
		*cursor = sqlite3_column_int64(s, 0);
	else if (src == SQLITE_DONE)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "no event cursor '%s'", name);
	else
		rc = rsql_db_fail(r, e, "reading an event cursor");
	rsql_st_done(s);
out:
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_event_cursor_set(struct reg_sqlite *r, const char *name, int64_t cursor,
			     struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = reg_valid_cursor_name(name, e);

	if (rc != SZTP_OK)
		return rc;
	rsql_lock(r);
	s = ev_stmt(r, E_CUR_SET, e);
	rc = s ? run(r, s,
		     rsql_bind_str(s, 1, name) == SQLITE_OK &&
			 sqlite3_bind_int64(s, 2, cursor) == SQLITE_OK,
		     "storing an event cursor", e)
	       : SZTP_E_DB;
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_event_cursor_drop(struct reg_sqlite *r, const char *name, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = reg_valid_cursor_name(name, e);

	if (rc != SZTP_OK)
		return rc;
	rsql_lock(r);
	s = ev_stmt(r, E_CUR_DROP, e);
	rc = s ? run(r, s, rsql_bind_str(s, 1, name) == SQLITE_OK, "removing an event cursor", e)
	       : SZTP_E_DB;
	rsql_unlock(r);
	return rc;
}

/* ---- webhooks ------------------------------------------------------------ */

static int bind_webhook(sqlite3_stmt *s, const struct reg_webhook *w)
{
	return rsql_bind_str(s, 1, w->name) == SQLITE_OK &&
	       rsql_bind_str(s, 2, w->url) == SQLITE_OK &&
	       rsql_bind_str(s, 3, w->types ? w->types : "") == SQLITE_OK &&
	       (w->secret ? rsql_bind_str(s, 4, w->secret) : sqlite3_bind_null(s, 4)) ==
		   SQLITE_OK &&
	       rsql_bind_opt(s, 5, w->ca_pem) == SQLITE_OK &&
	       sqlite3_bind_int(s, 6, w->enabled ? 1 : 0) == SQLITE_OK;
}

sztp_rc rsq_webhook_add(struct reg_sqlite *r, const struct reg_webhook *w, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = reg_valid_webhook(w, 1, e);

	if (rc != SZTP_OK)
		return rc;
	rsql_lock(r);
	s = ev_stmt(r, W_ADD, e);
	if (!s) {
		rc = SZTP_E_DB;
	} else if (!bind_webhook(s, w) ||
		   sqlite3_bind_int64(s, 7, w->created ? w->created : (int64_t)time(NULL)) !=
		       SQLITE_OK) {
		rc = rsql_db_fail(r, e, "adding a webhook");
		rsql_st_done(s);
	} else if (sqlite3_step(s) != SQLITE_DONE) {
		rc = rsql_is_unique_violation(sqlite3_extended_errcode(r->db))
			 ? sztp_err_set(e, SZTP_E_EXISTS, "webhook '%s' exists", w->name)
			 : rsql_db_fail(r, e, "adding a webhook");
		rsql_st_done(s);
	} else {
		rsql_st_done(s);
	}
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_webhook_update(struct reg_sqlite *r, const struct reg_webhook *w, struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = reg_valid_webhook(w, 0, e);

	if (rc != SZTP_OK)
		return rc;
	rsql_lock(r);
	s = ev_stmt(r, W_UPDATE, e);
	rc = s ? run(r, s, bind_webhook(s, w), "changing a webhook", e) : SZTP_E_DB;
	if (rc == SZTP_OK && sqlite3_changes(r->db) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "no webhook '%s'", w->name);
	rsql_unlock(r);
	return rc;
}

/* A write keyed on one name: NOT_FOUND when it touched no row. */
static sztp_rc keyed(struct reg_sqlite *r, enum ev_stmt_id id, const char *name, const char *what,
		     struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = reg_valid_str("webhook name", name, REG_NAME_MAX, 0, e);

	if (rc != SZTP_OK)
		return rc;
	rsql_lock(r);
	s = ev_stmt(r, id, e);
	rc = s ? run(r, s, rsql_bind_str(s, 1, name) == SQLITE_OK, what, e) : SZTP_E_DB;
	if (rc == SZTP_OK && sqlite3_changes(r->db) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "no webhook '%s'", name);
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_webhook_remove(struct reg_sqlite *r, const char *name, struct sztp_err *e)
{
	return keyed(r, W_REMOVE, name, "removing a webhook", e);
}

static sztp_rc row_webhook(sqlite3_stmt *s, struct reg_webhook *w, struct sztp_err *e)
{
	sztp_rc rc;

	memset(w, 0, sizeof(*w));
	rc = rsql_col_str(s, 0, w->name, sizeof(w->name), e);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, 1, &w->url, e);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, 2, &w->types, e);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, 3, &w->secret, e);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, 4, &w->ca_pem, e);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, 10, &w->last_error, e);
	if (rc == SZTP_OK && !w->types && !(w->types = strdup("")))
		rc = sztp_err_set(e, SZTP_E_NOMEM, "registry: out of memory");
	w->enabled = sqlite3_column_int(s, 5);
	w->cursor = sqlite3_column_int64(s, 6);
	w->attempts = sqlite3_column_int(s, 7);
	w->next_attempt_ms = sqlite3_column_int64(s, 8);
	w->last_status = sqlite3_column_int(s, 9);
	w->last_success = sqlite3_column_int64(s, 11);
	w->delivered = sqlite3_column_int64(s, 12);
	w->failed = sqlite3_column_int64(s, 13);
	w->dead = sqlite3_column_int64(s, 14);
	w->created = sqlite3_column_int64(s, 15);
	w->revision = sqlite3_column_int64(s, 16);
	if (rc != SZTP_OK)
		reg_webhook_clear(w);
	return rc;
}

sztp_rc rsq_webhook_get(struct reg_sqlite *r, const char *name, struct reg_webhook *out,
			struct sztp_err *e)
{
	sqlite3_stmt *s;
	sztp_rc rc = reg_valid_str("webhook name", name, REG_NAME_MAX, 0, e);
	int src;

	memset(out, 0, sizeof(*out));
	if (rc != SZTP_OK)
		return rc;
	rsql_lock(r);
	s = ev_stmt(r, W_GET, e);
	if (!s) {
		rc = SZTP_E_DB;
		goto out;
	}
	src = rsql_bind_str(s, 1, name) == SQLITE_OK ? sqlite3_step(s) : SQLITE_ERROR;
	if (src == SQLITE_ROW)
		rc = row_webhook(s, out, e);
	else if (src == SQLITE_DONE)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "no webhook '%s'", name);
	else
		rc = rsql_db_fail(r, e, "reading a webhook");
	rsql_st_done(s);
out:
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_webhook_list(struct reg_sqlite *r, reg_webhook_cb cb, void *arg, struct sztp_err *e)
{
	struct reg_webhook w;
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_OK;
	int src = SQLITE_ERROR, stop = 0;

	rsql_lock(r);
	s = ev_stmt(r, W_LIST, e);
	if (!s) {
		rc = SZTP_E_DB;
		goto out;
	}
	while (rc == SZTP_OK && !stop && (src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = row_webhook(s, &w, e);
		if (rc == SZTP_OK)
			stop = cb(&w, arg);
		reg_webhook_clear(&w);
	}
	if (rc == SZTP_OK && !stop && src != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "listing webhooks");
	rsql_st_done(s);
out:
	rsql_unlock(r);
	return rc;
}

/* The writes of one result (r->mu held, inside its transaction). */
static sztp_rc result_write(struct reg_sqlite *r, const char *name,
			    const struct reg_webhook_result *res, int64_t now, struct sztp_err *e)
{
	sqlite3_stmt *s = ev_stmt(r, W_RESULT, e);
	sztp_rc rc;
	size_t i;
	int bound;

	if (!s)
		return SZTP_E_DB;
	bound = rsql_bind_str(s, 1, name) == SQLITE_OK &&
		sqlite3_bind_int64(s, 2, res->cursor) == SQLITE_OK &&
		sqlite3_bind_int(s, 3, res->attempts) == SQLITE_OK &&
		sqlite3_bind_int64(s, 4, res->next_attempt_ms) == SQLITE_OK &&
		sqlite3_bind_int(s, 5, res->status) == SQLITE_OK &&
		(res->ok ? sqlite3_bind_null(s, 6)
			 : rsql_bind_str(s, 6, res->error ? res->error : "failed")) == SQLITE_OK &&
		sqlite3_bind_int(s, 7, res->ok ? 1 : 0) == SQLITE_OK &&
		sqlite3_bind_int64(s, 8, now) == SQLITE_OK &&
		sqlite3_bind_int64(s, 9, res->delivered) == SQLITE_OK &&
		sqlite3_bind_int64(s, 10, (int64_t)res->n_dead) == SQLITE_OK;
	rc = run(r, s, bound, "recording a delivery", e);
	if (rc == SZTP_OK && sqlite3_changes(r->db) == 0)
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "no webhook '%s'", name);
	for (i = 0; rc == SZTP_OK && i < res->n_dead; i++) {
		s = ev_stmt(r, D_ADD, e);
		if (!s)
			return SZTP_E_DB;
		bound = rsql_bind_str(s, 1, name) == SQLITE_OK &&
			sqlite3_bind_int64(s, 2, res->dead[i]) == SQLITE_OK &&
			sqlite3_bind_int64(s, 3, now) == SQLITE_OK &&
			sqlite3_bind_int(s, 4, res->attempts) == SQLITE_OK &&
			rsql_bind_str(s, 5, res->error ? res->error : "") == SQLITE_OK;
		rc = run(r, s, bound, "storing a dead letter", e);
	}
	for (i = 0; rc == SZTP_OK && i < res->n_replayed; i++) {
		s = ev_stmt(r, D_DEL, e);
		if (!s)
			return SZTP_E_DB;
		bound = rsql_bind_str(s, 1, name) == SQLITE_OK &&
			sqlite3_bind_int64(s, 2, res->replayed[i]) == SQLITE_OK;
		rc = run(r, s, bound, "removing a replayed dead letter", e);
	}
	return rc;
}

sztp_rc rsq_webhook_result(struct reg_sqlite *r, const char *name,
			   const struct reg_webhook_result *res, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("webhook name", name, REG_NAME_MAX, 0, e);

	if (rc != SZTP_OK)
		return rc;
	rsql_lock(r);
	rc = rsql_op_begin(r, e);
	if (rc == SZTP_OK)
		rc = rsql_op_end(r, result_write(r, name, res, (int64_t)time(NULL), e), e);
	rsql_unlock(r);
	return rc;
}

/* ---- dead letters --------------------------------------------------------- */

static sztp_rc row_dead(sqlite3_stmt *s, struct reg_dead_letter *d, struct sztp_err *e)
{
	sztp_rc rc;

	memset(d, 0, sizeof(*d));
	rc = rsql_col_str(s, 0, d->webhook, sizeof(d->webhook), e);
	d->time = sqlite3_column_int64(s, 1);
	d->attempts = sqlite3_column_int(s, 2);
	if (rc == SZTP_OK)
		rc = rsql_col_dup(s, 3, &d->last_error, e);
	d->replay = sqlite3_column_int(s, 4);
	if (rc == SZTP_OK)
		rc = row_event(s, 5, &d->ev, e);
	if (rc != SZTP_OK)
		reg_dead_letter_clear(d);
	return rc;
}

sztp_rc rsq_dead_letter_query(struct reg_sqlite *r, const char *webhook, int replay_only,
			      int64_t after_id, int limit, reg_dead_letter_cb cb, void *arg,
			      struct sztp_err *e)
{
	struct reg_dead_letter d;
	sqlite3_stmt *s;
	sztp_rc rc = SZTP_OK;
	int src = SQLITE_ERROR, stop = 0, bound;

	if (webhook && (rc = reg_valid_str("webhook name", webhook, REG_NAME_MAX, 0, e)) != SZTP_OK)
		return rc;
	rsql_lock(r);
	s = ev_stmt(r, webhook ? D_QUERY_ONE : D_QUERY_ALL, e);
	if (!s) {
		rc = SZTP_E_DB;
		goto out;
	}
	bound = (!webhook || rsql_bind_str(s, 1, webhook) == SQLITE_OK) &&
		sqlite3_bind_int(s, 2, replay_only ? 1 : 0) == SQLITE_OK &&
		sqlite3_bind_int64(s, 3, after_id) == SQLITE_OK && bind_limit(s, 4, limit) == 0;
	while (bound && rc == SZTP_OK && !stop && (src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = row_dead(s, &d, e);
		if (rc == SZTP_OK)
			stop = cb(&d, arg);
		reg_dead_letter_clear(&d);
	}
	if (rc == SZTP_OK && !stop && src != SQLITE_DONE)
		rc = rsql_db_fail(r, e, "listing dead letters");
	rsql_st_done(s);
out:
	rsql_unlock(r);
	return rc;
}

/* Replay or remove one dead letter (event_id) or all of a webhook's. */
static sztp_rc dead_change(struct reg_sqlite *r, enum ev_stmt_id one, enum ev_stmt_id all,
			   const char *webhook, int64_t event_id, int64_t *n, const char *what,
			   struct sztp_err *e)
{
	struct reg_webhook w;
	sqlite3_stmt *s;
	sztp_rc rc;

	if (n)
		*n = 0;
	rsql_lock(r);
	rc = rsq_webhook_get(r, webhook, &w, e); /* NOT_FOUND names the webhook */
	reg_webhook_clear(&w);
	if (rc != SZTP_OK)
		goto out;
	s = ev_stmt(r, event_id ? one : all, e);
	if (!s) {
		rc = SZTP_E_DB;
		goto out;
	}
	rc = run(r, s,
		 rsql_bind_str(s, 1, webhook) == SQLITE_OK &&
		     (!event_id || sqlite3_bind_int64(s, 2, event_id) == SQLITE_OK),
		 what, e);
	if (rc == SZTP_OK && n)
		*n = sqlite3_changes(r->db);
	if (rc == SZTP_OK && event_id && sqlite3_changes(r->db) == 0)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND,
				  "webhook '%s' has no dead letter of event %lld", webhook,
				  (long long)event_id);
out:
	rsql_unlock(r);
	return rc;
}

sztp_rc rsq_dead_letter_replay(struct reg_sqlite *r, const char *webhook, int64_t event_id,
			       int64_t *n, struct sztp_err *e)
{
	return dead_change(r, D_REPLAY, D_REPLAY_ALL, webhook, event_id, n,
			   "queueing dead letters for replay", e);
}

sztp_rc rsq_dead_letter_remove(struct reg_sqlite *r, const char *webhook, int64_t event_id,
			       int64_t *n, struct sztp_err *e)
{
	return dead_change(r, D_DEL, D_DEL_ALL, webhook, event_id, n, "removing dead letters", e);
}
