/*
 * Unit test of the registry copy (registry.h reg_copy_*, sztpctl migrate):
 * a SQLite registry filled through the registry calls is copied into a new
 * SQLite file and, with SZTP_TEST_PG, into a fresh PostgreSQL database and
 * back; every table of each copy is dumped (reg_copy_dump) and compared
 * with the source's, value by value and type by type, and the id marks
 * (AUTOINCREMENT high-water mark / identity sequence) with the source's.
 * Refusals: a target that exists / holds a registry (nothing changed), a
 * table descriptor whose columns are not the table's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* pgtest.h's snprintf into sql[128] trips gcc's truncation analysis */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "pgtest.h"
#pragma GCC diagnostic pop
#include "registry.h"
#include "unit.h"

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

struct dump_arg {
	struct buf b;
	size_t n_cols;
};

/* row -> "i:5|t:abc|b:0a0b|n|\n" */
static sztp_rc dump_row(void *arg, const struct reg_value *row, struct sztp_err *e)
{
	struct dump_arg *d = arg;
	char tmp[32];
	size_t i, k;

	(void)e;
	for (i = 0; i < d->n_cols; i++) {
		const struct reg_value *v = &row[i];
		switch (v->type) {
		case REG_VAL_INT:
			snprintf(tmp, sizeof(tmp), "i:%lld|", (long long)v->i);
			put(&d->b, tmp, strlen(tmp));
			break;
		case REG_VAL_TEXT:
			put(&d->b, "t:", 2);
			put(&d->b, v->p, v->len);
			put(&d->b, "|", 1);
			break;
		case REG_VAL_BLOB:
			put(&d->b, "b:", 2);
			for (k = 0; k < v->len; k++) {
				snprintf(tmp, sizeof(tmp), "%02x", ((const uint8_t *)v->p)[k]);
				put(&d->b, tmp, 2);
			}
			put(&d->b, "|", 1);
			break;
		default:
			put(&d->b, "n|", 2);
		}
	}
	put(&d->b, "\n", 1);
	return SZTP_OK;
}

/* Every table of r as text, with its id mark. */
static char *dump_all(struct reg *r)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct dump_arg d = {{NULL, 0, 0}, 0};
	char line[128];
	size_t i;

	put(&d.b, "", 0);
	if (reg_copy_snapshot(r, 1, &e) != SZTP_OK) {
		fprintf(stderr, "snapshot: %s\n", e.msg);
		return d.b.p;
	}
	for (i = 0; i < reg_copy_tables_count; i++) {
		const struct reg_copy_table *t = &reg_copy_tables[i];
		int64_t mark = -1;

		d.n_cols = t->n_cols;
		snprintf(line, sizeof(line), "== %s\n", t->name);
		put(&d.b, line, strlen(line));
		if (reg_copy_dump(r, t, dump_row, &d, &e) != SZTP_OK)
			fprintf(stderr, "dump %s: %s\n", t->name, e.msg);
		if (t->autoincrement && reg_copy_id_mark(r, t, &mark, &e) == SZTP_OK) {
			snprintf(line, sizeof(line), "mark %lld\n", (long long)mark);
			put(&d.b, line, strlen(line));
		}
	}
	reg_copy_snapshot(r, 0, &e);
	return d.b.p;
}

static int64_t count_of(const int64_t *rows, const char *table)
{
	size_t i;

	for (i = 0; i < reg_copy_tables_count; i++)
		if (strcmp(reg_copy_tables[i].name, table) == 0)
			return rows[i];
	return -1;
}

static void fill(struct reg *r)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_profile p = {.name = "onb", .kind = REG_KIND_ONBOARDING, .owner = "default"};
	struct reg_device d = {
	    .serial = "SN-1", .profile = "onb", .state = "enrolled", .created = 7};
	struct reg_progress pr = {
	    .serial = "SN-1", .time = 11, .peer = "192.0.2.1", .type = "informational"};
	struct reg_log l = {.serial = "SN-1",
			    .time = 12,
			    .peer = "192.0.2.1",
			    .endpoint = "get-bootstrapping-data",
			    .result = "signed",
			    .status = 200,
			    .duration_us = 99};
	struct reg_token t = {.name = "nms", .scope = REG_TOKEN_READ, .created = 5};
	struct reg_audit a = {.time = 6,
			      .actor = "local:root",
			      .action = "device.create",
			      .resource = "devices/SN-1",
			      .rev_after = 42};
	struct reg_event ev = {.time = 13, .type = "x.test", .serial = "SN-1", .peer = "p"};
	uint8_t voucher[300], pin[REG_PIN_LEN];
	size_t i;
	int64_t id = 0;

	p.conveyed_json = "{\"ietf-sztp-conveyed-info:onboarding-information\":{}}";
	p.lenient = 5;
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	for (i = 0; i < sizeof(voucher); i++)
		voucher[i] = (uint8_t)(i * 7); /* NULs and high bytes */
	d.voucher.data = voucher;
	d.voucher.len = sizeof(voucher);
	d.voucher_created = 100;
	d.voucher_expires = 200;
	d.password_hash = "$pbkdf2-sha256$x";
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	memset(pin, 0xab, sizeof(pin));
	CHECK_RC(reg_device_pin_set(r, "SN-1", pin, &e), SZTP_OK);
	snprintf(d.serial, sizeof(d.serial), "SN-2 é \"q\"");
	d.voucher.data = NULL;
	d.voucher.len = 0;
	d.password_hash = NULL;
	d.profile[0] = '\0';
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	pr.message = "line 1\nline 2 | é";
	pr.ssh_host_keys = "[{\"algorithm\":\"x\",\"key-data\":\"AAAA\"}]";
	CHECK_RC(reg_progress_add(r, &pr, &e), SZTP_OK);
	CHECK_RC(reg_log_add(r, &l, &e), SZTP_OK);
	memset(t.hash, 0x11, sizeof(t.hash));
	CHECK_RC(reg_token_add(r, &t, &e), SZTP_OK);
	CHECK_RC(reg_audit_add(r, &a, &e), SZTP_OK);
	ev.data = "{\"a\":[1,2]}";
	CHECK_RC(reg_event_add(r, &ev, &id, &e), SZTP_OK);
	CHECK_RC(reg_event_add(r, &ev, &id, &e), SZTP_OK);
	CHECK_RC(reg_event_cursor_set(r, "syslog", id, &e), SZTP_OK);
}

int main(void)
{
	char dir[] = "/tmp/sztp-test-copy.XXXXXX", src_path[256], dst_path[256], back_path[256];
	char uri[512];
	struct sztp_err e = {SZTP_OK, ""};
	struct reg *src = NULL, *dst = NULL;
	int64_t rows[64];
	char *a = NULL, *b = NULL;
	static const char *const bad_cols[] = {"name", "key_path", "nope"};
	struct reg_copy_table bad = reg_copy_tables[0];

	if (!mkdtemp(dir))
		return 1;
	snprintf(src_path, sizeof(src_path), "%s/src.db", dir);
	snprintf(dst_path, sizeof(dst_path), "%s/dst.db", dir);
	snprintf(back_path, sizeof(back_path), "%s/back.db", dir);
	CHECK(reg_copy_tables_count <= 64);
	CHECK_RC(reg_create(src_path, &src, &e), SZTP_OK);
	fill(src);

	/* SQLite -> SQLite */
	CHECK_RC(reg_copy(src, dst_path, rows, &e), SZTP_OK);
	CHECK(count_of(rows, "devices") == 2);
	CHECK(count_of(rows, "events") == 3); /* two, and the report's */
	CHECK(count_of(rows, "event_cursors") == 1);
	CHECK_RC(reg_open_existing(dst_path, &dst, &e), SZTP_OK);
	a = dump_all(src);
	b = dump_all(dst);
	CHECK(a && b && strcmp(a, b) == 0);
	CHECK(a && strstr(a, "b:00070e15") != NULL); /* the voucher, NUL bytes and all */
	CHECK(a && strstr(a, "mark 3") != NULL);
	free(b);
	b = NULL;
	reg_close(dst);
	dst = NULL;

	/* refused: an existing target, and rows stay zero */
	rows[0] = 99;
	CHECK_RC(reg_copy(src, dst_path, rows, &e), SZTP_E_EXISTS);
	CHECK(rows[0] == 0);
	CHECK(strstr(e.msg, "exists") != NULL);

	/* a descriptor whose columns are not the table's */
	bad.cols = bad_cols;
	CHECK_RC(reg_copy_snapshot(src, 1, &e), SZTP_OK);
	{
		struct dump_arg d = {{NULL, 0, 0}, bad.n_cols};
		CHECK_RC(reg_copy_dump(src, &bad, dump_row, &d, &e), SZTP_E_UNSUPPORTED);
		CHECK(strstr(e.msg, "nope") != NULL);
		free(d.b.p);
	}
	CHECK_RC(reg_copy_snapshot(src, 0, &e), SZTP_OK);

	/* SQLite -> PostgreSQL -> SQLite */
	if (pgtest_fresh("copy", uri, sizeof(uri))) {
		CHECK_RC(reg_copy(src, uri, rows, &e), SZTP_OK);
		CHECK_RC(reg_open_existing(uri, &dst, &e), SZTP_OK);
		b = dst ? dump_all(dst) : NULL;
		CHECK(a && b && strcmp(a, b) == 0);
		free(b);
		b = NULL;
		/* a database that holds a registry is refused, and left as it was */
		CHECK_RC(reg_copy(src, uri, rows, &e), SZTP_E_EXISTS);
		CHECK(strstr(e.msg, "holds an sztp registry already") != NULL);
		b = dst ? dump_all(dst) : NULL;
		CHECK(a && b && strcmp(a, b) == 0);
		free(b);
		b = NULL;
		if (dst) {
			CHECK_RC(reg_copy(dst, back_path, rows, &e), SZTP_OK);
			reg_close(dst);
			dst = NULL;
		}
		CHECK_RC(reg_open_existing(back_path, &dst, &e), SZTP_OK);
		b = dst ? dump_all(dst) : NULL;
		CHECK(a && b && strcmp(a, b) == 0);
		reg_close(dst);
		dst = NULL;
		pgtest_drop_all();
	} else {
		printf("test_registry_copy: SZTP_TEST_PG unset: the PostgreSQL half did not run\n");
	}
	free(a);
	free(b);
	reg_close(src);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return unit_report("test_registry_copy");
}
