/*
 * test_events.c - the outbox (issue 12): events written with the row they
 * describe (a progress report's, in its own transaction; a caller's, in
 * the caller's, gone with a rollback), queries and cursors, webhook rows
 * and their delivery results, dead letters and replay, retention that
 * keeps what a consumer still needs; lib/event.c's type lists and
 * envelope (hostile bytes do not stop an event).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "event.h"
#include "pgtest.h"
#include "registry.h"
#include "unit.h"

static char tmpdir[] = "/tmp/test_events.XXXXXX";
static char dbpath[256];
static int on_pg; /* the registry cases run on PostgreSQL */

struct collect {
	int n;
	int64_t ids[64];
	char types[64][REG_EVENT_TYPE_MAX];
	char *data[64];
};

static int collect_cb(const struct reg_event *ev, void *arg)
{
	struct collect *c = arg;

	if (c->n < 64) {
		c->ids[c->n] = ev->id;
		snprintf(c->types[c->n], sizeof(c->types[0]), "%s", ev->type);
		c->data[c->n] = strdup(ev->data);
		c->n++;
	}
	return 0;
}

static void collect_free(struct collect *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->data[i]);
	memset(c, 0, sizeof(*c));
}

static void query(struct reg *r, const char *serial, const char *type, int64_t after, int limit,
		  struct collect *c)
{
	struct reg_query q = REG_QUERY_INIT;

	q.serial = serial;
	q.type = type;
	q.after_id = after;
	q.limit = limit;
	collect_free(c);
	CHECK_RC(reg_event_query(r, &q, collect_cb, c, NULL), SZTP_OK);
}

static void enrol(struct reg *r, const char *serial)
{
	struct reg_device d;

	memset(&d, 0, sizeof(d));
	snprintf(d.serial, sizeof(d.serial), "%s", serial);
	CHECK_RC(reg_device_add(r, &d, NULL), SZTP_OK);
}

static sztp_rc report(struct reg *r, const char *serial, const char *type, const char *msg,
		      const char *keys)
{
	struct reg_progress p;

	memset(&p, 0, sizeof(p));
	snprintf(p.serial, sizeof(p.serial), "%s", serial);
	snprintf(p.peer, sizeof(p.peer), "192.0.2.7");
	snprintf(p.type, sizeof(p.type), "%s", type);
	p.message = (char *)msg;
	p.ssh_host_keys = (char *)keys;
	return reg_progress_add(r, &p, NULL);
}

static void test_progress_events(struct reg *r)
{
	struct collect c = {0};
	json_t *j;

	enrol(r, "SN1");
	CHECK_RC(report(r, "SN1", "bootstrap-initiated", NULL, NULL), SZTP_OK);
	CHECK_RC(report(r, "SN1", "config-error", "bad config", NULL), SZTP_OK);
	CHECK_RC(report(r, "SN1", "bootstrap-complete", "done",
			"[{\"algorithm\":\"ssh-ed25519\",\"key-data\":\"AAAA\"}]"),
		 SZTP_OK);
	/* an unknown device: no report, and no event */
	CHECK_RC(report(r, "NOPE", "bootstrap-initiated", NULL, NULL), SZTP_E_NOT_FOUND);
	query(r, NULL, NULL, 0, 0, &c);
	CHECK(c.n == 5);
	CHECK(c.n == 5 && strcmp(c.types[0], EV_PROGRESS) == 0);
	CHECK(c.n == 5 && strcmp(c.types[1], EV_PROGRESS) == 0);
	CHECK(c.n == 5 && strcmp(c.types[2], EV_DEVICE_FAILED) == 0);
	CHECK(c.n == 5 && strcmp(c.types[3], EV_PROGRESS) == 0);
	CHECK(c.n == 5 && strcmp(c.types[4], EV_DEVICE_COMPLETED) == 0);
	CHECK(c.n == 5 && c.ids[0] < c.ids[1] && c.ids[3] < c.ids[4]);
	/* NULL members are left out; ssh-host-keys is JSON, not a string */
	j = c.n ? json_loads(c.data[0], 0, NULL) : NULL;
	CHECK(j && json_object_size(j) == 1 &&
	      strcmp(json_string_value(json_object_get(j, "progress-type")),
		     "bootstrap-initiated") == 0);
	json_decref(j);
	j = c.n == 5 ? json_loads(c.data[4], 0, NULL) : NULL;
	CHECK(j && json_is_array(json_object_get(j, "ssh-host-keys")) &&
	      strcmp(json_string_value(json_object_get(j, "message")), "done") == 0);
	json_decref(j);
	/* filters */
	query(r, "SN1", EV_PROGRESS, 0, 0, &c);
	CHECK(c.n == 3);
	query(r, NULL, NULL, c.ids[0], 2, &c);
	CHECK(c.n == 2);
	query(r, "SN2", NULL, 0, 0, &c);
	CHECK(c.n == 0);
	/* a report stored thanks to a leniency names it (issue 13) */
	{
		struct reg_progress p;
		int64_t last = 0;

		CHECK_RC(reg_event_last_id(r, &last, NULL), SZTP_OK);
		memset(&p, 0, sizeof(p));
		snprintf(p.serial, sizeof(p.serial), "SN1");
		snprintf(p.type, sizeof(p.type), "informational");
		p.lenient = REG_LENIENT_EMPTY_REPORT_MEMBERS;
		CHECK_RC(reg_progress_add(r, &p, NULL), SZTP_OK);
		query(r, NULL, NULL, last, 0, &c);
		CHECK(c.n == 1 &&
		      strcmp(c.data[0], "{\"progress-type\":\"informational\","
					"\"lenient\":[\"empty-report-members\"]}") == 0);
		p.lenient = REG_LENIENT_ALL;
		CHECK_RC(reg_progress_add(r, &p, NULL), SZTP_OK);
		query(r, NULL, NULL, last + 1, 0, &c);
		j = c.n == 1 ? json_loads(c.data[0], 0, NULL) : NULL;
		CHECK(j && json_array_size(json_object_get(j, "lenient")) == 3);
		json_decref(j);
	}
	collect_free(&c);
}

static void test_caller_transaction(struct reg *r)
{
	struct reg_event ev;
	struct collect c = {0};
	int64_t last = 0, id = 0, n = 0, oldest = 0;

	CHECK_RC(reg_event_last_id(r, &last, NULL), SZTP_OK);
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.type, sizeof(ev.type), "%s", EV_DEVICE_ENROLLED);
	snprintf(ev.serial, sizeof(ev.serial), "SN9");
	ev.data = "{\"actor\":\"test\"}";
	CHECK_RC(reg_begin(r, NULL), SZTP_OK);
	CHECK_RC(reg_event_add(r, &ev, &id, NULL), SZTP_OK);
	CHECK(id > last);
	reg_rollback(r);
	query(r, NULL, NULL, last, 0, &c);
	CHECK(c.n == 0);
	CHECK_RC(reg_begin(r, NULL), SZTP_OK);
	CHECK_RC(reg_event_add(r, &ev, &id, NULL), SZTP_OK);
	CHECK_RC(reg_commit(r, NULL), SZTP_OK);
	query(r, NULL, NULL, last, 0, &c);
	CHECK(c.n == 1 && c.ids[0] == id && strcmp(c.types[0], EV_DEVICE_ENROLLED) == 0);
	/* a rolled-back id was never seen by anyone: SQLite takes it again,
	 * a PostgreSQL identity (a sequence) never gives a value back */
	CHECK(id == (on_pg ? last + 2 : last + 1));
	/* data that is not a JSON object is refused by the table */
	ev.data = "[1]";
	CHECK_RC(reg_event_add(r, &ev, NULL, NULL), SZTP_E_DB);
	ev.data = NULL;
	ev.type[0] = '\0';
	CHECK_RC(reg_event_add(r, &ev, NULL, NULL), SZTP_E_INVALID_VALUE);
	CHECK_RC(reg_event_backlog(r, last, &n, &oldest, NULL), SZTP_OK);
	CHECK(n == 1 && oldest > 0);
	CHECK_RC(reg_event_backlog(r, id, &n, &oldest, NULL), SZTP_OK);
	CHECK(n == 0 && oldest == 0);
	collect_free(&c);
}

static int dead_cb(const struct reg_dead_letter *d, void *arg)
{
	int *n = arg;

	(*n)++;
	return d->ev.id <= 0 || !d->ev.data; /* stop on a bad row: the count shows it */
}

static void test_webhooks(struct reg *r)
{
	struct reg_webhook w, got;
	struct reg_webhook_result res;
	struct collect c = {0};
	int64_t last = 0, base = 0, dead[2], n = 0, deleted = 0, cur = 0;
	int count = 0;
	struct sztp_err e = {0};

	memset(&w, 0, sizeof(w));
	snprintf(w.name, sizeof(w.name), "nms");
	w.url = "https://nms.example:8443/hook";
	w.types = "";
	w.secret = "0123456789abcdef";
	w.enabled = 1;
	CHECK_RC(reg_event_last_id(r, &last, NULL), SZTP_OK);
	CHECK_RC(reg_webhook_add(r, &w, NULL), SZTP_OK);
	CHECK_RC(reg_webhook_add(r, &w, &e), SZTP_E_EXISTS);
	CHECK_RC(reg_webhook_get(r, "nms", &got, NULL), SZTP_OK);
	CHECK(got.cursor == last && got.enabled == 1 && got.ca_pem == NULL &&
	      strcmp(got.secret, "0123456789abcdef") == 0 && got.revision != 0);
	/* http:// refused */
	w.url = "http://nms.example/hook";
	CHECK_RC(reg_webhook_update(r, &w, NULL), SZTP_E_INVALID_VALUE);
	/* update keeps the secret (NULL) and the state */
	w.url = "https://nms.example:9443/hook";
	w.secret = NULL;
	w.types = EV_PROGRESS;
	CHECK_RC(reg_webhook_update(r, &w, NULL), SZTP_OK);
	reg_webhook_clear(&got);
	CHECK_RC(reg_webhook_get(r, "nms", &got, NULL), SZTP_OK);
	CHECK(strcmp(got.secret, "0123456789abcdef") == 0 && strcmp(got.types, EV_PROGRESS) == 0 &&
	      got.cursor == last);
	reg_webhook_clear(&got);
	snprintf(w.name, sizeof(w.name), "nope");
	CHECK_RC(reg_webhook_update(r, &w, NULL), SZTP_E_NOT_FOUND);

	/* two new events; a failed attempt dead-letters the first */
	enrol(r, "SN3");
	CHECK_RC(report(r, "SN3", "bootstrap-initiated", NULL, NULL), SZTP_OK);
	CHECK_RC(report(r, "SN3", "parsing-initiated", NULL, NULL), SZTP_OK);
	/* the new events are base + 1, base + 2: base is last on SQLite; on
	 * PostgreSQL an identity value a failed insert took stays taken */
	query(r, NULL, NULL, last, 0, &c);
	CHECK(c.n == 2 && c.ids[1] == c.ids[0] + 1);
	base = c.n ? c.ids[0] - 1 : last;
	CHECK(base == (on_pg ? last + 1 : last));
	collect_free(&c);
	dead[0] = base + 1;
	memset(&res, 0, sizeof(res));
	res.status = 503;
	res.error = "HTTP 503";
	res.cursor = base + 1;
	res.attempts = 3;
	res.next_attempt_ms = 12345;
	res.dead = dead;
	res.n_dead = 1;
	CHECK_RC(reg_webhook_result(r, "nms", &res, NULL), SZTP_OK);
	CHECK_RC(reg_webhook_get(r, "nms", &got, NULL), SZTP_OK);
	CHECK(got.cursor == base + 1 && got.attempts == 3 && got.next_attempt_ms == 12345 &&
	      got.failed == 1 && got.dead == 1 && got.last_status == 503 && got.last_error &&
	      strcmp(got.last_error, "HTTP 503") == 0);
	reg_webhook_clear(&got);
	CHECK_RC(reg_dead_letter_query(r, "nms", 0, 0, 0, dead_cb, &count, NULL), SZTP_OK);
	CHECK(count == 1);
	count = 0;
	CHECK_RC(reg_dead_letter_query(r, "nms", 1, 0, 0, dead_cb, &count, NULL), SZTP_OK);
	CHECK(count == 0);
	CHECK_RC(reg_dead_letter_replay(r, "nms", base + 1, &n, NULL), SZTP_OK);
	CHECK(n == 1);
	CHECK_RC(reg_dead_letter_replay(r, "nms", base + 2, &n, NULL), SZTP_E_NOT_FOUND);
	CHECK_RC(reg_dead_letter_replay(r, "nope", 0, &n, NULL), SZTP_E_NOT_FOUND);
	count = 0;
	CHECK_RC(reg_dead_letter_query(r, "nms", 1, 0, 0, dead_cb, &count, NULL), SZTP_OK);
	CHECK(count == 1);
	/* retention: everything old, but the dead letter and what the
	 * cursor has not passed stay */
	CHECK_RC(reg_event_trim(r, INT64_MAX, 0, &deleted, NULL), SZTP_OK);
	CHECK_RC(reg_event_backlog(r, base + 1, &n, &cur, NULL), SZTP_OK);
	CHECK(n == 1); /* event last+2 kept: the webhook has not passed it */
	count = 0;
	CHECK_RC(reg_dead_letter_query(r, NULL, 0, 0, 0, dead_cb, &count, NULL), SZTP_OK);
	CHECK(count == 1); /* the dead letter's event kept */
	/* a success: the replay goes, the cursor moves on */
	dead[1] = base + 1;
	memset(&res, 0, sizeof(res));
	res.ok = 1;
	res.status = 200;
	res.cursor = base + 2;
	res.delivered = 2;
	res.replayed = &dead[1];
	res.n_replayed = 1;
	CHECK_RC(reg_webhook_result(r, "nms", &res, NULL), SZTP_OK);
	CHECK_RC(reg_webhook_get(r, "nms", &got, NULL), SZTP_OK);
	CHECK(got.cursor == base + 2 && got.attempts == 0 && got.last_error == NULL &&
	      got.delivered == 2 && got.last_success > 0 && got.failed == 1);
	reg_webhook_clear(&got);
	count = 0;
	CHECK_RC(reg_dead_letter_query(r, NULL, 0, 0, 0, dead_cb, &count, NULL), SZTP_OK);
	CHECK(count == 0);
	/* a cursor never moves back */
	res.cursor = 1;
	res.delivered = 0;
	res.n_replayed = 0;
	CHECK_RC(reg_webhook_result(r, "nms", &res, NULL), SZTP_OK);
	CHECK_RC(reg_webhook_get(r, "nms", &got, NULL), SZTP_OK);
	CHECK(got.cursor == base + 2);
	reg_webhook_clear(&got);

	/* named cursors hold retention back too */
	CHECK_RC(reg_event_cursor_get(r, "syslog", &cur, NULL), SZTP_E_NOT_FOUND);
	CHECK_RC(reg_event_cursor_set(r, "syslog", 0, NULL), SZTP_OK);
	CHECK_RC(report(r, "SN3", "parsing-complete", NULL, NULL), SZTP_OK);
	res.cursor = base + 3;
	CHECK_RC(reg_webhook_result(r, "nms", &res, NULL), SZTP_OK);
	CHECK_RC(reg_event_trim(r, INT64_MAX, 0, &deleted, NULL), SZTP_OK);
	CHECK(deleted == 0);
	CHECK_RC(reg_event_cursor_set(r, "syslog", base + 3, NULL), SZTP_OK);
	CHECK_RC(reg_event_cursor_get(r, "syslog", &cur, NULL), SZTP_OK);
	CHECK(cur == base + 3);
	CHECK_RC(reg_event_trim(r, INT64_MAX, 0, &deleted, NULL), SZTP_OK);
	CHECK(deleted > 0);
	CHECK_RC(reg_event_backlog(r, 0, &n, &cur, NULL), SZTP_OK);
	CHECK(n == 0);
	/* ids go on after retention emptied the table */
	CHECK_RC(report(r, "SN3", "config-initiated", NULL, NULL), SZTP_OK);
	CHECK_RC(reg_event_last_id(r, &cur, NULL), SZTP_OK);
	CHECK(cur == base + 4);
	CHECK_RC(reg_event_cursor_drop(r, "syslog", NULL), SZTP_OK);
	CHECK_RC(reg_event_cursor_drop(r, "syslog", NULL), SZTP_OK);

	/* removal takes the dead letters along */
	dead[0] = base + 4;
	memset(&res, 0, sizeof(res));
	res.cursor = base + 4;
	res.dead = dead;
	res.n_dead = 1;
	res.error = "x";
	CHECK_RC(reg_webhook_result(r, "nms", &res, NULL), SZTP_OK);
	CHECK_RC(reg_webhook_remove(r, "nms", NULL), SZTP_OK);
	CHECK_RC(reg_webhook_remove(r, "nms", NULL), SZTP_E_NOT_FOUND);
	CHECK_RC(reg_webhook_result(r, "nms", &res, NULL), SZTP_E_NOT_FOUND);
	count = 0;
	CHECK_RC(reg_dead_letter_query(r, NULL, 0, 0, 0, dead_cb, &count, NULL), SZTP_OK);
	CHECK(count == 0);
}

static void test_types_and_envelope(void)
{
	struct reg_event ev;
	char *s;
	json_t *j;

	CHECK_RC(event_types_check("", NULL), SZTP_OK);
	CHECK_RC(event_types_check("progress.reported,device.completed", NULL), SZTP_OK);
	CHECK_RC(event_types_check("progress.reported,,device.completed", NULL),
		 SZTP_E_INVALID_VALUE);
	CHECK_RC(event_types_check("progress.reported,", NULL), SZTP_E_INVALID_VALUE);
	CHECK_RC(event_types_check("progress", NULL), SZTP_E_INVALID_VALUE);
	CHECK_RC(event_types_check("device.failed,device.failed", NULL), SZTP_E_INVALID_VALUE);
	CHECK_RC(event_types_check(" device.failed", NULL), SZTP_E_INVALID_VALUE);
	CHECK(event_types_match("", EV_PROFILE_DELETED));
	CHECK(event_types_match("device.failed,device.completed", EV_DEVICE_COMPLETED));
	CHECK(!event_types_match("device.failed,device.completed", EV_DEVICE_CHANGED));
	CHECK(!event_types_match("device.completed", "device.complete"));
	CHECK(event_progress_terminal("bootstrap-complete") == 1);
	CHECK(event_progress_terminal("boot-image-error") == -1);
	CHECK(event_progress_terminal("boot-image-mismatch") == 0);
	CHECK(event_progress_terminal("config-complete") == 0);

	memset(&ev, 0, sizeof(ev));
	ev.id = 7;
	ev.time = 86400;
	snprintf(ev.type, sizeof(ev.type), "%s", EV_BOOTSTRAP_REFUSED);
	snprintf(ev.serial, sizeof(ev.serial), "S\xff\xfeN");
	ev.data = "{\"status\":401}";
	s = event_envelope(&ev);
	j = s ? json_loads(s, 0, NULL) : NULL;
	CHECK(j && json_integer_value(json_object_get(j, "id")) == 7 &&
	      strcmp(json_string_value(json_object_get(j, "serial")), "S??N") == 0 &&
	      strcmp(json_string_value(json_object_get(j, "time")), "1970-01-02T00:00:00Z") == 0 &&
	      json_integer_value(json_object_get(json_object_get(j, "data"), "status")) == 401);
	json_decref(j);
	free(s);
	ev.data = "[]";
	CHECK(event_envelope(&ev) == NULL);
	{
		struct event_bootstrap b = {200, "signed", "p1", "onboarding-information",
					    1,	 NULL,	   NULL};
		s = event_bootstrap_data(&b);
		CHECK(s && strcmp(s, "{\"status\":200,\"outcome\":\"signed\",\"profile\":\"p1\","
				     "\"kind\":\"onboarding-information\",\"signed\":true}") == 0);
		free(s);
		/* a served answer that needed leniencies names them (issue 13) */
		b.lenient = "empty-nonce,omit-os-fields";
		s = event_bootstrap_data(&b);
		CHECK(s && strcmp(s, "{\"status\":200,\"outcome\":\"signed\",\"profile\":\"p1\","
				     "\"kind\":\"onboarding-information\",\"signed\":true,"
				     "\"lenient\":[\"empty-nonce\",\"omit-os-fields\"]}") == 0);
		free(s);
		b.lenient = "";
		s = event_bootstrap_data(&b);
		CHECK(s && !strstr(s, "lenient"));
		free(s);
		b = (struct event_bootstrap){404, "not-found", NULL, NULL, 0, "no such \xff", NULL};
		s = event_bootstrap_data(&b);
		CHECK(s && strcmp(s, "{\"status\":404,\"outcome\":\"not-found\",\"reason\":\"no "
				     "such ?\"}") == 0);
		free(s);
	}
}

/* The cases that run on either backend. */
static void test_registry(struct reg *r)
{
	CHECK(reg_schema_version(r) >= 7);
	/* /readyz's test write, twice (each gives the row a new value) */
	CHECK_RC(reg_write_probe(r, NULL), SZTP_OK);
	CHECK_RC(reg_write_probe(r, NULL), SZTP_OK);
	test_progress_events(r);
	test_caller_transaction(r);
	test_webhooks(r);
}

struct adder {
	const char *uri;
	volatile int done;
	int64_t id;
	sztp_rc rc;
};

static void *add_from_second_instance(void *arg)
{
	struct adder *a = arg;
	struct reg_event ev = {0};
	struct reg *r = NULL;

	snprintf(ev.type, sizeof(ev.type), "device.enrolled");
	snprintf(ev.serial, sizeof(ev.serial), "ORDER-B");
	ev.data = (char *)"{}";
	a->rc = reg_open_existing(a->uri, &r, NULL);
	if (a->rc == SZTP_OK)
		a->rc = reg_event_add(r, &ev, &a->id, NULL);
	reg_close(r);
	a->done = 1;
	return NULL;
}

/* PostgreSQL: event ids in commit order across instances (a consumer's
 * "id > cursor" never skips an event committed late).  Instance A takes
 * an id inside an open transaction; instance B's event waits for A's
 * commit and gets the next id after it. */
static void test_pg_event_order(const char *uri)
{
	struct reg_event ev = {0};
	struct adder b = {uri, 0, 0, SZTP_E_INTERNAL};
	struct reg *a = NULL;
	pthread_t th;
	int64_t ida = 0;
	int waited = 0;

	CHECK_RC(reg_open_existing(uri, &a, NULL), SZTP_OK);
	if (!a)
		return;
	snprintf(ev.type, sizeof(ev.type), "device.enrolled");
	snprintf(ev.serial, sizeof(ev.serial), "ORDER-A");
	ev.data = (char *)"{}";
	CHECK_RC(reg_begin(a, NULL), SZTP_OK);
	CHECK_RC(reg_event_add(a, &ev, &ida, NULL), SZTP_OK);
	CHECK(pthread_create(&th, NULL, add_from_second_instance, &b) == 0);
	/* B cannot finish while A's transaction is open */
	for (waited = 0; waited < 30 && !b.done; waited++)
		usleep(10000);
	CHECK(!b.done);
	CHECK_RC(reg_commit(a, NULL), SZTP_OK);
	pthread_join(th, NULL);
	CHECK_RC(b.rc, SZTP_OK);
	CHECK(ida > 0 && b.id > ida);
	reg_close(a);
}

/* The same cases again on a fresh PostgreSQL database (pgtest.h). */
static void test_postgresql(void)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct reg *r = NULL;
	char uri[512];

	if (!pgtest_server()) {
		printf("test_events: the PostgreSQL half did not run (SZTP_TEST_PG is unset)\n");
		return;
	}
	CHECK(pgtest_fresh("events", uri, sizeof(uri)) != NULL);
	if (unit_failed)
		return;
	on_pg = 1;
	CHECK_RC(reg_create(uri, &r, &e), SZTP_OK);
	if (!r) {
		fprintf(stderr, "reg_create: %s\n", e.msg);
		return;
	}
	test_registry(r);
	reg_close(r);
	test_pg_event_order(uri);
}

int main(void)
{
	struct reg *r = NULL;

	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/reg.db", tmpdir);
	CHECK_RC(reg_open(dbpath, &r, NULL), SZTP_OK);
	if (r) {
		test_registry(r);
		reg_close(r);
	}
	test_types_and_envelope();
	unlink(dbpath);
	{
		char p[300];
		snprintf(p, sizeof(p), "%s-wal", dbpath);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", dbpath);
		unlink(p);
	}
	rmdir(tmpdir);
	test_postgresql();
	return unit_report("test_events");
}
