/*
 * test_registry.c - the SQLite device registry (db/registry_sqlite.c):
 * open and migrate, refusal of a newer schema, WAL mode, device / profile /
 * owner / progress / log round trips, error mapping, explicit transactions,
 * two handles on one file, worker threads sharing one handle, and a bulk
 * import whose rate is printed (never asserted).  The sqlite3 command-line
 * tool is used as the independent look at the file.  Also: opening only an
 * existing registry or only a new one, commits that wait for the disk
 * (fdatasync counted) unless begun nosync, the file check after delete
 * and mv, and the bounded log trim.  The admin API's calls (migration
 * 005): filtered, cursor-paginated queries with their query plans, the
 * tokens, the audit trail in the caller's transaction, revisions.
 *
 * Both backends: the cases that hold for any registry (run_common) run on
 * a SQLite file and then on a fresh PostgreSQL database (tests/unit/
 * pgtest.h; SZTP_TEST_PG, set by make test); what only one has stays its
 * own: the file, its modes and the fault-injecting sqlite3_step for
 * SQLite; reg_create/reg_open_existing on databases, unreachable servers,
 * concurrent migration, text that is not UTF-8, a terminated session for
 * PostgreSQL.
 *
 * REG_BENCH_DEVICES=N changes the bulk import size (default 100000 on
 * SQLite, 20000 on PostgreSQL).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h> /* only for the fault-injecting sqlite3_step below */

#include "pgtest.h"
#include "registry.h"
#include "registry_pg_internal.h" /* rpg_round_trips */
#include "unit.h"

static char tmpdir[] = "/tmp/test_registry.XXXXXX";
static char dbpath[256];
/* The registry the backend-independent cases run on (run_common): dbpath
 * (SQLite), then a fresh PostgreSQL database (its URI). */
static const char *dbnow;
static int on_pg;

/* ---- fault injection ---------------------------------------------------- *
 * Errors a healthy SQLite never gives on demand (a read transaction's
 * COMMIT failing, a step failing half-way through a getter) come from this
 * sqlite3_step: the test binary defines it, so the statically linked
 * registry's calls bind here instead of to libsqlite3, which the wrapper
 * calls through RTLD_NEXT.  Armed, it fails the next run of a statement
 * whose SQL starts with fault_sql with fault_src, without running it (the
 * transaction stays open, as after a real SQLITE_BUSY); it fires once.
 * Armed and disarmed only while no other thread runs. */
static int (*real_step)(sqlite3_stmt *);
static const char *fault_sql;
static int fault_src;
static int fault_hits;

/* Armed with a prefix, also keeps the SQL text of the next statement run
 * that starts with it (for EXPLAIN QUERY PLAN of the registry's own). */
static const char *capture_sql;
static char captured[2048];

int sqlite3_step(sqlite3_stmt *s)
{
	const char *sql = fault_sql ? sqlite3_sql(s) : NULL;
	const char *any = capture_sql ? sqlite3_sql(s) : NULL;

	if (any && strncmp(any, capture_sql, strlen(capture_sql)) == 0) {
		snprintf(captured, sizeof(captured), "%s", any);
		capture_sql = NULL;
	}
	if (sql && strncmp(sql, fault_sql, strlen(fault_sql)) == 0) {
		fault_sql = NULL;
		fault_hits++;
		return fault_src;
	}
	return real_step(s);
}

/* Every fdatasync SQLite makes (a synchronous WAL commit is one), counted
 * on its way to libc: libsqlite3 binds to this definition. */
static int (*real_fdatasync)(int);
static int syncs;

int fdatasync(int fd)
{
	if (!real_fdatasync)
		real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	__atomic_fetch_add(&syncs, 1, __ATOMIC_RELAXED);
	return real_fdatasync ? real_fdatasync(fd) : -1;
}

static int syncs_now(void)
{
	return __atomic_load_n(&syncs, __ATOMIC_RELAXED);
}

static void fault_arm(const char *sql_prefix, int src)
{
	fault_hits = 0;
	fault_src = src;
	fault_sql = sql_prefix;
}

/* Whether the armed fault fired (and disarms it). */
static int fault_fired(void)
{
	fault_sql = NULL;
	return fault_hits == 1;
}

/* All bytes zero: the same as memcmp with a zeroed struct. */
static int zeroed(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i])
			return 0;
	return 1;
}

static void path_in_tmp(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", tmpdir, name);
}

/* First line printed by the sqlite3 tool for sql on file db ("" when it
 * prints nothing); 0 when the tool succeeded. */
static int sqlite_cli(const char *db, const char *sql, char *out, size_t cap)
{
	char cmd[1024];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' \"%s\" 2>&1", db, sql);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (!fgets(out, (int)cap, f))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return pclose(f) == 0 ? 0 : -1;
}

/* sql run on db by a connection of its own (the sqlite3 tool, or libpq):
 * the first column of the first row in out; 0 on success. */
static int db_sql(const char *db, const char *sql, char *out, size_t cap)
{
	return reg_is_postgresql(db) ? pgtest_query(db, sql, out, cap)
				     : sqlite_cli(db, sql, out, cap);
}

/* s with each 0xff byte as U+20AC on PostgreSQL (text there is UTF-8;
 * the euro sign sorts after ASCII as 0xff does); rotating buffers. */
static const char *hi(const char *s)
{
	static char buf[4][128];
	static int n;
	char *o = buf[n++ % 4];
	size_t len = 0;

	for (; *s && len + 4 < sizeof(buf[0]); s++) {
		if (on_pg && (unsigned char)*s == 0xff) {
			memcpy(o + len, "\xe2\x82\xac", 3);
			len += 3;
		} else {
			o[len++] = *s;
		}
	}
	o[len] = '\0';
	return o;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void mkdev(struct reg_device *d, const char *serial, const char *profile)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->serial, sizeof(d->serial), "%s", serial);
	snprintf(d->profile, sizeof(d->profile), "%s", profile ? profile : "");
}

static void mkprofile(struct reg_profile *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->owner, sizeof(p->owner), "default");
	p->kind = REG_KIND_ONBOARDING;
	p->conveyed_json = (char *)"{\"ietf-sztp-conveyed-info:onboarding-information\":{}}";
}

/* ---- open, migrate, refuse ------------------------------------------- */

static void test_open(void)
{
	struct sztp_err e = {0};
	struct reg *r = NULL, *r2 = NULL;
	char out[256], p[300], wal[300];
	struct stat st;
	int v;
	FILE *f;

	CHECK_RC(reg_open(dbpath, &r, &e), SZTP_OK);
	CHECK(r != NULL);
	v = reg_schema_version(r);
	CHECK(v >= 1);
	snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	CHECK(stat(wal, &st) == 0); /* WAL file exists while open */
	CHECK(stat(dbpath, &st) == 0 && (st.st_mode & 077) == 0);
	reg_close(r);
	r = NULL;

	/* reopening is idempotent */
	CHECK_RC(reg_open(dbpath, &r, &e), SZTP_OK);
	CHECK(reg_schema_version(r) == v);
	reg_close(r);
	r = NULL;

	/* independent checks with the sqlite3 tool */
	CHECK(sqlite_cli(dbpath, "PRAGMA journal_mode;", out, sizeof(out)) == 0);
	CHECK(strcmp(out, "wal") == 0);
	/* the newest applied (numbers may have gaps: each branch of work has its own) */
	CHECK(sqlite_cli(dbpath, "SELECT max(version) FROM schema_version;", out, sizeof(out)) ==
	      0);
	CHECK(atoi(out) == v);
	CHECK(sqlite_cli(dbpath, "SELECT name FROM schema_version WHERE version = 1;", out,
			 sizeof(out)) == 0);
	CHECK(strcmp(out, "001_initial") == 0);

	/* a database newer than this program is refused, clearly */
	path_in_tmp(p, sizeof(p), "future.db");
	CHECK_RC(reg_open(p, &r, &e), SZTP_OK);
	reg_close(r);
	r = NULL;
	CHECK(sqlite_cli(p, "INSERT INTO schema_version VALUES (999, '999_future', 0);", out,
			 sizeof(out)) == 0);
	memset(&e, 0, sizeof(e));
	CHECK_RC(reg_open(p, &r2, &e), SZTP_E_UNSUPPORTED);
	CHECK(r2 == NULL);
	CHECK(strstr(e.msg, "999") != NULL && strstr(e.msg, "newer") != NULL);

	/* a file that is not a database */
	path_in_tmp(p, sizeof(p), "garbage.db");
	f = fopen(p, "w");
	if (f) {
		for (v = 0; v < 300; v++)
			fputs("this is not an sqlite file ", f);
		fclose(f);
	}
	memset(&e, 0, sizeof(e));
	CHECK_RC(reg_open(p, &r2, &e), SZTP_E_DB);
	CHECK(r2 == NULL && e.msg[0] != '\0');

	/* a directory that does not exist */
	path_in_tmp(p, sizeof(p), "no/such/dir/reg.db");
	CHECK_RC(reg_open(p, &r2, &e), SZTP_E_DB);
	CHECK_RC(reg_open("", &r2, &e), SZTP_E_INVALID_VALUE);
}

/* ---- open modes, durability, the file, retention ----------------------- */

static void test_open_modes(void)
{
	struct sztp_err e = {0};
	struct reg *r = NULL;
	char p[300], side[320], out[256];
	struct stat st;
	FILE *f;

	/* only an existing registry: a missing path is named, nothing made */
	path_in_tmp(p, sizeof(p), "missing.db");
	CHECK_RC(reg_open_existing(p, &r, &e), SZTP_E_NOT_FOUND);
	CHECK(r == NULL && strstr(e.msg, p) != NULL);
	CHECK(stat(p, &st) != 0);
	/* an empty file, another program's database: refused, left alone */
	path_in_tmp(p, sizeof(p), "empty.db");
	f = fopen(p, "w");
	if (f)
		fclose(f);
	CHECK_RC(reg_open_existing(p, &r, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "not an sztp registry") != NULL);
	CHECK(stat(p, &st) == 0 && st.st_size == 0);
	path_in_tmp(p, sizeof(p), "other.db");
	CHECK(sqlite_cli(p, "CREATE TABLE t(x);", out, sizeof(out)) == 0);
	CHECK_RC(reg_open_existing(p, &r, &e), SZTP_E_INVALID_VALUE);
	CHECK(sqlite_cli(p, ".tables", out, sizeof(out)) == 0 && !strcmp(out, "t"));
	CHECK(sqlite_cli(p, "PRAGMA journal_mode;", out, sizeof(out)) == 0 &&
	      !strcmp(out, "delete")); /* not switched to WAL either */
	/* a directory is not a registry */
	CHECK_RC(reg_open_existing(tmpdir, &r, &e), SZTP_E_INVALID_VALUE);

	/* only a new one: made and migrated, then refused */
	path_in_tmp(p, sizeof(p), "new.db");
	CHECK_RC(reg_create(p, &r, &e), SZTP_OK);
	CHECK(reg_schema_version(r) >= 2);
	reg_close(r);
	r = NULL;
	CHECK(stat(p, &st) == 0 && (st.st_mode & 077) == 0);
	CHECK_RC(reg_create(p, &r, &e), SZTP_E_EXISTS);
	CHECK(r == NULL && strstr(e.msg, "already exists") != NULL);
	CHECK_RC(reg_open_existing(p, &r, &e), SZTP_OK);
	reg_close(r);
	r = NULL;
	/* a WAL left behind by a deleted registry would be replayed: refused */
	path_in_tmp(p, sizeof(p), "stale.db");
	snprintf(side, sizeof(side), "%s-wal", p);
	f = fopen(side, "w");
	if (f) {
		fputs("stale", f);
		fclose(f);
	}
	CHECK_RC(reg_create(p, &r, &e), SZTP_E_EXISTS);
	CHECK(strstr(e.msg, "-wal is left over") != NULL);
	CHECK(stat(p, &st) != 0);
	/* could not finish: nothing left behind */
	path_in_tmp(p, sizeof(p), "no/such/dir/x.db");
	CHECK_RC(reg_create(p, &r, &e), SZTP_E_IO);
	/* reg_open still creates (sztpd's first start) */
	path_in_tmp(p, sizeof(p), "implicit.db");
	CHECK_RC(reg_open(p, &r, &e), SZTP_OK);
	reg_close(r);
}

/* "204 means stored" across a power cut: a commit waits for the disk */
static void test_durability(void)
{
	struct sztp_err e = {0};
	struct reg_device d;
	struct reg_log l;
	struct reg *r = NULL;
	char p[300];
	int before;

	path_in_tmp(p, sizeof(p), "durable.db");
	CHECK_RC(reg_open(p, &r, &e), SZTP_OK);
	if (!r)
		return;
	mkdev(&d, "SN-DUR", NULL);
	before = syncs_now();
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK); /* its own transaction */
	CHECK(syncs_now() > before);
	memset(&l, 0, sizeof(l));
	snprintf(l.endpoint, sizeof(l.endpoint), "get-bootstrapping-data");
	before = syncs_now();
	CHECK_RC(reg_begin_nosync(r, &e), SZTP_OK);
	CHECK_RC(reg_log_add(r, &l, &e), SZTP_OK);
	CHECK_RC(reg_commit(r, &e), SZTP_OK);
	CHECK(syncs_now() == before); /* bookkeeping does not wait */
	before = syncs_now();
	CHECK_RC(reg_begin(r, &e), SZTP_OK); /* and the next commit waits again */
	CHECK_RC(reg_log_add(r, &l, &e), SZTP_OK);
	CHECK_RC(reg_commit(r, &e), SZTP_OK);
	CHECK(syncs_now() > before);
	before = syncs_now();
	CHECK_RC(reg_begin_nosync(r, &e), SZTP_OK); /* a rollback restores it too */
	reg_rollback(r);
	CHECK_RC(reg_device_remove(r, "SN-DUR", &e), SZTP_OK);
	CHECK(syncs_now() > before);
	reg_close(r);
}

/* The path must go on naming the open file. */
static void test_file_check(void)
{
	struct sztp_err e = {0};
	struct reg *r = NULL;
	char p[300], moved[320], out[256];

	path_in_tmp(p, sizeof(p), "watched.db");
	snprintf(moved, sizeof(moved), "%s.moved", p);
	CHECK_RC(reg_open(p, &r, &e), SZTP_OK);
	if (!r)
		return;
	CHECK_RC(reg_check_file(r, &e), SZTP_OK);
	CHECK(rename(p, moved) == 0); /* renamed away */
	CHECK_RC(reg_check_file(r, &e), SZTP_E_UNAVAILABLE);
	CHECK(strstr(e.msg, p) != NULL && strstr(e.msg, "deleted or replaced") != NULL);
	CHECK(sqlite_cli(p, "CREATE TABLE t(x);", out, sizeof(out)) == 0); /* replaced */
	CHECK_RC(reg_check_file(r, &e), SZTP_E_UNAVAILABLE);
	CHECK(rename(moved, p) == 0); /* back over the impostor */
	CHECK_RC(reg_check_file(r, &e), SZTP_OK);
	CHECK(unlink(p) == 0); /* deleted */
	CHECK_RC(reg_check_file(r, &e), SZTP_E_UNAVAILABLE);
	reg_close(r);
}

static int log_count(struct reg *r)
{
	char out[64] = "";
	(void)r;
	return db_sql(dbnow, "SELECT count(*) FROM bootstrap_log;", out, sizeof(out)) == 0
		   ? atoi(out)
		   : -1;
}

static int64_t log_min_time(void)
{
	char out[64] = "";
	return db_sql(dbnow, "SELECT coalesce(min(time), 0) FROM bootstrap_log;", out,
		      sizeof(out)) == 0
		   ? atoll(out)
		   : -1;
}

/* Retention in bounded steps, by age and by count.  Counted by the
 * sqlite3 tool in another process while r is open: it sees r's commits
 * only as long as r keeps its POSIX locks, which a second reg_open of the
 * same file (test_two_handles) used to drop by opening and closing it. */
static void test_log_trim(struct reg *r)
{
	struct sztp_err e = {0};
	struct reg_log l;
	int64_t n = -1;
	int i, base, bad;

	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	memset(&l, 0, sizeof(l));
	snprintf(l.endpoint, sizeof(l.endpoint), "get-bootstrapping-data");
	for (i = 0, bad = 0; i < 2500; i++) {
		l.time = 100000 + i; /* oldest first */
		bad += reg_log_add(r, &l, &e) != SZTP_OK;
	}
	CHECK(bad == 0);
	CHECK_RC(reg_commit(r, &e), SZTP_OK);
	base = log_count(r);
	CHECK(base >= 2500);
	/* by age: older than 100500 -> 500 rows, at most 200 a step */
	CHECK_RC(reg_log_trim(r, 100500, 0, 200, &n, &e), SZTP_OK);
	CHECK(n == 200);
	CHECK_RC(reg_log_trim(r, 100500, 0, 200, &n, &e), SZTP_OK);
	CHECK(n == 200);
	CHECK_RC(reg_log_trim(r, 100500, 0, 200, &n, &e), SZTP_OK);
	CHECK(n == 100 || base > 2500); /* done (unless older rows were there) */
	while (n == 200)
		CHECK_RC(reg_log_trim(r, 100500, 0, 200, &n, &e), SZTP_OK);
	CHECK(log_min_time() == 100500);
	/* by count: keep the newest 1000, the oldest go first */
	do
		CHECK_RC(reg_log_trim(r, 0, 1000, 700, &n, &e), SZTP_OK);
	while (n == 700);
	CHECK(log_count(r) == 1000);
	CHECK(log_min_time() == 100000 + 1500);
	CHECK_RC(reg_log_trim(r, 0, 1000, 700, &n, &e), SZTP_OK);
	CHECK(n == 0);
	/* no bound: nothing; a bad limit: refused */
	CHECK_RC(reg_log_trim(r, 0, 0, 100, &n, &e), SZTP_OK);
	CHECK(n == 0 && log_count(r) == 1000);
	CHECK_RC(reg_log_trim(r, 0, 10, 0, &n, &e), SZTP_E_INVALID_VALUE);
	CHECK(n == 0);
	/* not inside a caller's transaction */
	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	CHECK_RC(reg_log_trim(r, 0, 10, 10, &n, &e), SZTP_E_INVALID_VALUE);
	reg_rollback(r);
	CHECK(log_count(r) == 1000);
}

/* ---- devices and profiles ---------------------------------------------- */

static void test_devices(struct reg *r)
{
	static const uint8_t voucher[] = {0x30, 0x82, 0x00, 0x03, 0x00, 0xff, 0x00};
	struct sztp_err e = {0};
	struct reg_profile p;
	struct reg_device d, g;
	char longsn[300];
	struct reg_device_auth au;
	int64_t rev;

	memset(&g, 0, sizeof(g));
	reg_device_clear(&g); /* zeroed: no-op */
	mkprofile(&p, "p1");
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);

	mkdev(&d, "SN-1", "p1");
	d.password_hash = (char *)"$pbkdf2-sha256$1000$c2FsdA$aGFzaA";
	d.voucher.data = (uint8_t *)voucher;
	d.voucher.len = sizeof(voucher);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK_RC(reg_device_get(r, "SN-1", &g, &e), SZTP_OK);
	CHECK(strcmp(g.serial, "SN-1") == 0);
	CHECK(strcmp(g.profile, "p1") == 0);
	CHECK(g.password_hash && strcmp(g.password_hash, d.password_hash) == 0);
	CHECK(g.voucher.len == sizeof(voucher) &&
	      memcmp(g.voucher.data, voucher, sizeof(voucher)) == 0);
	CHECK(strcmp(g.state, "enrolled") == 0);
	CHECK(g.created > 1600000000 && g.first_seen == 0 && g.last_seen == 0);
	rev = g.revision;
	reg_device_clear(&g);
	CHECK(g.password_hash == NULL && g.voucher.data == NULL);
	/* authentication's lookup: the stored hash and the pinning state */
	memset(&au, 0xa5, sizeof(au));
	CHECK_RC(reg_device_auth_get(r, "SN-1", &au, &e), SZTP_OK);
	CHECK(au.password_hash && strcmp(au.password_hash, d.password_hash) == 0);
	CHECK(!au.pin_required && !au.has_pin);
	reg_device_auth_clear(&au);
	memset(&au, 0xa5, sizeof(au));
	memset(&e, 0, sizeof(e));
	CHECK_RC(reg_device_auth_get(r, "SN-NONE", &au, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "SN-NONE is not enrolled") != NULL);
	CHECK(zeroed(&au, sizeof(au)));
	memset(&au, 0xa5, sizeof(au));
	CHECK_RC(reg_device_auth_get(r, "", &au, &e), SZTP_E_INVALID_VALUE);
	CHECK(zeroed(&au, sizeof(au)));

	/* duplicate and unknown profile */
	memset(&e, 0, sizeof(e));
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_EXISTS);
	CHECK(strstr(e.msg, "device SN-1 is already enrolled") != NULL);
	mkdev(&d, "SN-2", "nope");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "profile 'nope' does not exist") != NULL);
	CHECK_RC(reg_device_get(r, "SN-2", &g, &e), SZTP_E_NOT_FOUND);

	/* names that do not fit */
	memset(longsn, 'x', sizeof(longsn) - 1);
	longsn[sizeof(longsn) - 1] = '\0';
	CHECK_RC(reg_device_get(r, longsn, &g, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(reg_device_get(r, "", &g, &e), SZTP_E_INVALID_VALUE);
	mkdev(&d, "", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_INVALID_VALUE);
	memset(d.serial, 'y', sizeof(d.serial)); /* not terminated */
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_INVALID_VALUE);
	mkdev(&d, "SN-3", NULL);
	memset(d.profile, 'z', sizeof(d.profile));
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(reg_profile_get(r, longsn, &p, &e), SZTP_E_INVALID_VALUE);

	/* update: profile removed, voucher removed, revision changes */
	mkdev(&d, "SN-1", NULL);
	CHECK_RC(reg_device_update(r, &d, &e), SZTP_OK);
	CHECK_RC(reg_device_auth_get(r, "SN-1", &au, &e), SZTP_OK);
	CHECK(au.password_hash == NULL); /* enrolled without a password */
	reg_device_auth_clear(&au);
	CHECK_RC(reg_device_get(r, "SN-1", &g, &e), SZTP_OK);
	CHECK(g.profile[0] == '\0' && g.voucher.len == 0 && g.password_hash == NULL);
	CHECK(g.revision != rev);
	reg_device_clear(&g);
	mkdev(&d, "SN-1", "nope");
	CHECK_RC(reg_device_update(r, &d, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "profile 'nope'") != NULL);
	mkdev(&d, "SN-404", NULL);
	CHECK_RC(reg_device_update(r, &d, &e), SZTP_E_NOT_FOUND);

	/* seen: first_seen once, last_seen and state each time */
	CHECK_RC(reg_device_seen(r, "SN-1", NULL, 1000, &e), SZTP_OK);
	CHECK_RC(reg_device_seen(r, "SN-1", "bootstrap-initiated", 2000, &e), SZTP_OK);
	CHECK_RC(reg_device_get(r, "SN-1", &g, &e), SZTP_OK);
	CHECK(g.first_seen == 1000 && g.last_seen == 2000);
	CHECK(strcmp(g.state, "bootstrap-initiated") == 0);
	reg_device_clear(&g);
	CHECK_RC(reg_device_seen(r, "SN-404", NULL, 1, &e), SZTP_E_NOT_FOUND);

	/* remove */
	CHECK_RC(reg_device_remove(r, "SN-1", &e), SZTP_OK);
	CHECK_RC(reg_device_get(r, "SN-1", &g, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "SN-1") != NULL);
	CHECK_RC(reg_device_remove(r, "SN-1", &e), SZTP_E_NOT_FOUND);
}

static int count_profiles(const struct reg_profile *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

static void test_profiles(struct reg *r)
{
	struct sztp_err e = {0};
	struct reg_profile p, g;
	struct reg_device d;
	int64_t rev;
	int n = 0;

	mkprofile(&p, "redir");
	p.kind = REG_KIND_REDIRECT;
	p.sign = REG_SIGN_ALWAYS;
	p.reporting = REG_REPORT_VERBOSE;
	snprintf(p.owner, sizeof(p.owner), "acme");
	p.conveyed_json = (char *)"{\"bootstrap-server\":[{\"address\":\"a\"}]}";
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	CHECK_RC(reg_profile_get(r, "redir", &g, &e), SZTP_OK);
	CHECK(strcmp(g.name, "redir") == 0 && g.kind == REG_KIND_REDIRECT);
	CHECK(g.sign == REG_SIGN_ALWAYS && g.reporting == REG_REPORT_VERBOSE);
	CHECK(strcmp(g.owner, "acme") == 0);
	CHECK(g.conveyed_json && strcmp(g.conveyed_json, p.conveyed_json) == 0);
	rev = g.revision;
	reg_profile_clear(&g);
	reg_profile_clear(&g); /* twice is fine */

	/* replace: values and revision change */
	p.sign = REG_SIGN_NEVER;
	p.conveyed_json = NULL;
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	CHECK_RC(reg_profile_get(r, "redir", &g, &e), SZTP_OK);
	CHECK(g.sign == REG_SIGN_NEVER && g.conveyed_json == NULL);
	CHECK(g.revision != rev);
	reg_profile_clear(&g);

	p.sign = (enum reg_sign)7;
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_E_INVALID_VALUE);
	p.sign = REG_SIGN_NEVER;
	memset(p.name, 'n', sizeof(p.name));
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_E_INVALID_VALUE);

	/* remove while used */
	mkdev(&d, "PR-1", "redir");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	mkdev(&d, "PR-2", "redir");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	memset(&e, 0, sizeof(e));
	CHECK_RC(reg_profile_remove(r, "redir", &e), SZTP_E_EXISTS);
	CHECK(strstr(e.msg, "profile 'redir' is used by 2 devices") != NULL);
	CHECK_RC(reg_profile_get(r, "redir", &g, &e), SZTP_OK);
	reg_profile_clear(&g);
	CHECK_RC(reg_device_remove(r, "PR-1", &e), SZTP_OK);
	CHECK_RC(reg_device_remove(r, "PR-2", &e), SZTP_OK);
	CHECK_RC(reg_profile_remove(r, "redir", &e), SZTP_OK);
	CHECK_RC(reg_profile_get(r, "redir", &g, &e), SZTP_E_NOT_FOUND);
	CHECK_RC(reg_profile_remove(r, "redir", &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "profile 'redir' does not exist") != NULL);

	CHECK_RC(reg_profile_list(r, count_profiles, &n, &e), SZTP_OK);
	CHECK(n == 1); /* p1 from test_devices */
}

/* ---- owners ------------------------------------------------------------- */

static void test_owners(struct reg *r)
{
	static const char *const certs[] = {"cert-C\0x", "cert-A", "cert-B-longer"};
	static const size_t lens[] = {8, 6, 13};
	struct sztp_err e = {0};
	struct reg_owner o, g;
	sztp_bytes chain[3];
	int64_t rev;
	size_t i;

	memset(&o, 0, sizeof(o));
	memset(&g, 0, sizeof(g));
	reg_owner_clear(&g);
	for (i = 0; i < 3; i++) {
		chain[i].data = (uint8_t *)certs[i];
		chain[i].len = lens[i];
	}
	snprintf(o.name, sizeof(o.name), "default");
	o.chain = chain;
	o.n_chain = 3;
	o.key_path = (char *)"/etc/sztp/owner.key";
	CHECK_RC(reg_owner_put(r, &o, &e), SZTP_OK);
	CHECK_RC(reg_owner_get(r, "default", &g, &e), SZTP_OK);
	CHECK(g.n_chain == 3);
	for (i = 0; i < 3 && i < g.n_chain; i++)
		CHECK(g.chain[i].len == lens[i] && memcmp(g.chain[i].data, certs[i], lens[i]) == 0);
	CHECK(g.key_path && strcmp(g.key_path, o.key_path) == 0);
	rev = g.revision;
	reg_owner_clear(&g);
	CHECK(g.chain == NULL && g.n_chain == 0);

	/* replace with a shorter chain */
	o.chain = &chain[2];
	o.n_chain = 1;
	CHECK_RC(reg_owner_put(r, &o, &e), SZTP_OK);
	CHECK_RC(reg_owner_get(r, "default", &g, &e), SZTP_OK);
	CHECK(g.n_chain == 1 && g.chain[0].len == lens[2]);
	CHECK(g.revision != rev);
	reg_owner_clear(&g);

	CHECK_RC(reg_owner_get(r, "nobody", &g, &e), SZTP_E_NOT_FOUND);
	chain[0].len = 0;
	o.chain = chain;
	o.n_chain = 2;
	CHECK_RC(reg_owner_put(r, &o, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(reg_owner_get(r, "default", &g, &e), SZTP_OK);
	CHECK(g.n_chain == 1); /* unchanged */
	reg_owner_clear(&g);
}

/* ---- leniency (issue 13) ----------------------------------------------------- */

static void test_lenient_names(void)
{
	struct sztp_err e = {0};
	unsigned bits = 99;
	char buf[REG_LENIENT_LIST_MAX];

	CHECK(strcmp(reg_lenient_name(REG_LENIENT_EMPTY_NONCE), "empty-nonce") == 0);
	CHECK(strcmp(reg_lenient_name(REG_LENIENT_OMIT_OS_FIELDS), "omit-os-fields") == 0);
	CHECK(strcmp(reg_lenient_name(REG_LENIENT_EMPTY_REPORT_MEMBERS), "empty-report-members") ==
	      0);
	CHECK(reg_lenient_name(0) == NULL && reg_lenient_name(REG_LENIENT_ALL) == NULL &&
	      reg_lenient_name(1u << 5) == NULL);
	CHECK_RC(reg_lenient_parse("", &bits, &e), SZTP_OK);
	CHECK(bits == 0);
	CHECK_RC(reg_lenient_parse("omit-os-fields,empty-nonce", &bits, &e), SZTP_OK);
	CHECK(bits == (REG_LENIENT_EMPTY_NONCE | REG_LENIENT_OMIT_OS_FIELDS));
	CHECK_RC(reg_lenient_parse("empty-report-members,omit-os-fields,empty-nonce", &bits, &e),
		 SZTP_OK);
	CHECK(bits == REG_LENIENT_ALL);
	CHECK_RC(reg_lenient_parse("empty-nonce", &bits, &e), SZTP_OK);
	CHECK(bits == REG_LENIENT_EMPTY_NONCE);
	CHECK_RC(reg_lenient_parse("empty-nonce,bogus", &bits, &e), SZTP_E_INVALID_VALUE);
	CHECK(bits == 0 && strstr(e.msg, "leniency 'bogus' is unknown") != NULL &&
	      strstr(e.msg, "empty-report-members") != NULL);
	CHECK_RC(reg_lenient_parse("empty-nonce,empty-nonce", &bits, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "'empty-nonce' is given twice") != NULL);
	CHECK_RC(reg_lenient_parse("empty-nonce,", &bits, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(reg_lenient_parse(",empty-nonce", &bits, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(reg_lenient_parse("empty-nonce ", &bits, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(reg_lenient_parse("Empty-Nonce", &bits, &e), SZTP_E_INVALID_VALUE);
	reg_lenient_format(0, buf, sizeof(buf));
	CHECK(strcmp(buf, "") == 0);
	reg_lenient_format(REG_LENIENT_ALL, buf, sizeof(buf));
	CHECK(strcmp(buf, "empty-nonce,omit-os-fields,empty-report-members") == 0);
	reg_lenient_format(REG_LENIENT_EMPTY_REPORT_MEMBERS, buf, sizeof(buf));
	CHECK(strcmp(buf, "empty-report-members") == 0);
	reg_lenient_format(REG_LENIENT_OMIT_OS_FIELDS | 1u << 7, buf, sizeof(buf));
	CHECK(strcmp(buf, "omit-os-fields") == 0);
	reg_lenient_format(REG_LENIENT_ALL, buf, 5); /* truncated at a name, never mid-name */
	CHECK(strcmp(buf, "") == 0);
}

/* Stored with the profile, read back by both getters; a change makes a
 * new revision (the artifacts cache's key); bits this version does not
 * know are refused both ways. */
static void test_lenient_profile(struct reg *r)
{
	struct sztp_err e = {0};
	struct reg_profile p, g;
	struct reg_device d;
	struct reg_bootstrap b;
	sqlite3 *c = NULL;
	int64_t rev;

	mkprofile(&p, "len-1");
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	CHECK_RC(reg_profile_get(r, "len-1", &g, &e), SZTP_OK);
	CHECK(g.lenient == 0); /* strict unless asked */
	rev = g.revision;
	reg_profile_clear(&g);
	p.lenient = REG_LENIENT_ALL;
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	CHECK_RC(reg_profile_get(r, "len-1", &g, &e), SZTP_OK);
	CHECK(g.lenient == REG_LENIENT_ALL && g.revision != rev);
	reg_profile_clear(&g);
	mkdev(&d, "LEN-DEV", "len-1");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK_RC(reg_bootstrap_get(r, "LEN-DEV", &b, &e), SZTP_OK);
	CHECK(b.has_profile && b.prof.lenient == REG_LENIENT_ALL);
	reg_bootstrap_clear(&b);
	p.lenient = REG_LENIENT_OMIT_OS_FIELDS;
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	CHECK_RC(reg_bootstrap_get(r, "LEN-DEV", &b, &e), SZTP_OK);
	CHECK(b.prof.lenient == REG_LENIENT_OMIT_OS_FIELDS);
	reg_bootstrap_clear(&b);

	p.lenient = 1u << 4;
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "lenient bits 0x10 are unknown") != NULL);
	/* a bit written by some newer version: refused, not dropped */
	if (on_pg) {
		char out[64];

		CHECK(db_sql(dbnow, "UPDATE profiles SET lenient = 10 WHERE name = 'len-1'", out,
			     sizeof(out)) == 0);
		CHECK(db_sql(dbnow, "UPDATE profiles SET lenient = -1 WHERE name = 'len-1'", out,
			     sizeof(out)) != 0); /* the CHECK */
	} else if (sqlite3_open(dbpath, &c) == SQLITE_OK) {
		sqlite3_busy_timeout(c, 5000);
		CHECK(sqlite3_exec(c, "UPDATE profiles SET lenient = 10 WHERE name = 'len-1'", NULL,
				   NULL, NULL) == SQLITE_OK);
		CHECK(sqlite3_exec(c, "UPDATE profiles SET lenient = -1 WHERE name = 'len-1'", NULL,
				   NULL, NULL) != SQLITE_OK); /* the CHECK */
	}
	sqlite3_close(c);
	CHECK_RC(reg_profile_get(r, "len-1", &g, &e), SZTP_E_DB);
	CHECK(strstr(e.msg, "are unknown to this version") != NULL && g.lenient == 0);
	CHECK_RC(reg_bootstrap_get(r, "LEN-DEV", &b, &e), SZTP_E_DB);
	p.lenient = 0;
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	CHECK_RC(reg_device_remove(r, "LEN-DEV", &e), SZTP_OK);
	CHECK_RC(reg_profile_remove(r, "len-1", &e), SZTP_OK);
}

/* ---- get-bootstrapping-data's read --------------------------------------- */

/* reg_bootstrap_get against the three separate getters. */
static void check_bootstrap(struct reg *r, const char *serial, int want_profile, int want_owner)
{
	struct sztp_err e = {0};
	struct reg_bootstrap b;
	struct reg_device d;
	struct reg_profile p;
	struct reg_owner o;

	memset(&b, 0xa5, sizeof(b));
	CHECK_RC(reg_bootstrap_get(r, serial, &b, &e), SZTP_OK);
	CHECK_RC(reg_device_get(r, serial, &d, &e), SZTP_OK);
	CHECK(strcmp(b.dev.serial, d.serial) == 0 && strcmp(b.dev.profile, d.profile) == 0);
	CHECK(b.dev.password_hash == NULL); /* not read */
	CHECK(b.dev.voucher.len == d.voucher.len &&
	      (!d.voucher.len || memcmp(b.dev.voucher.data, d.voucher.data, d.voucher.len) == 0));
	CHECK(b.dev.voucher_created == d.voucher_created &&
	      b.dev.voucher_expires == d.voucher_expires);
	CHECK(strcmp(b.dev.state, d.state) == 0 && b.dev.created == d.created &&
	      b.dev.first_seen == d.first_seen && b.dev.last_seen == d.last_seen);
	CHECK(b.dev.revision == d.revision);
	CHECK(b.has_profile == want_profile);
	if (want_profile) {
		CHECK_RC(reg_profile_get(r, d.profile, &p, &e), SZTP_OK);
		CHECK(strcmp(b.prof.name, p.name) == 0 && strcmp(b.prof.owner, p.owner) == 0);
		CHECK(b.prof.kind == p.kind && b.prof.sign == p.sign &&
		      b.prof.reporting == p.reporting);
		CHECK(b.prof.revision == p.revision);
		CHECK(p.conveyed_json != NULL && b.prof.conveyed_json == NULL); /* not read */
		CHECK(b.has_owner == want_owner);
		if (want_owner) {
			CHECK_RC(reg_owner_get(r, p.owner, &o, &e), SZTP_OK);
			CHECK(b.owner_revision == o.revision);
			reg_owner_clear(&o);
		} else {
			CHECK_RC(reg_owner_get(r, p.owner, &o, &e), SZTP_E_NOT_FOUND);
			CHECK(b.owner_revision == 0);
		}
		reg_profile_clear(&p);
	} else {
		CHECK(zeroed(&b.prof, sizeof(b.prof)));
		CHECK(!b.has_owner && b.owner_revision == 0);
	}
	reg_device_clear(&d);
	reg_bootstrap_clear(&b);
	CHECK(zeroed(&b, sizeof(b)));
}

static void test_bootstrap(struct reg *r)
{
	static const uint8_t voucher[] = {0x30, 0x80, 0x00, 0x00, 0xff, 0x00, 0x01}; /* NULs */
	static const uint8_t cert[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	struct sztp_err e = {0};
	struct reg_bootstrap b;
	struct reg_profile p;
	struct reg_owner o;
	struct reg_device d;
	sztp_bytes chain = {(uint8_t *)cert, sizeof(cert)};
	int64_t rev;

	reg_bootstrap_clear(NULL);
	mkprofile(&p, "bs-noowner"); /* its owner row is never written */
	snprintf(p.owner, sizeof(p.owner), "bs-nobody");
	p.sign = REG_SIGN_ALWAYS;
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	mkprofile(&p, "bs-owned");
	snprintf(p.owner, sizeof(p.owner), "bs-owner");
	p.kind = REG_KIND_REDIRECT;
	p.reporting = REG_REPORT_VERBOSE;
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	memset(&o, 0, sizeof(o));
	snprintf(o.name, sizeof(o.name), "bs-owner");
	o.chain = &chain;
	o.n_chain = 1;
	CHECK_RC(reg_owner_put(r, &o, &e), SZTP_OK);

	mkdev(&d, "BS-BARE", NULL);
	d.password_hash = (char *)"$pbkdf2-sha256$1000$c2FsdA$aGFzaA";
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	mkdev(&d, "BS-NOOWNER", "bs-noowner");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	mkdev(&d, "BS-OWNED", "bs-owned");
	d.password_hash = (char *)"$pbkdf2-sha256$1000$c2FsdA$aGFzaA";
	d.voucher.data = (uint8_t *)voucher;
	d.voucher.len = sizeof(voucher);
	d.voucher_created = 1700000000;
	d.voucher_expires = 1900000000;
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK_RC(reg_device_seen(r, "BS-OWNED", "bootstrap-initiated", 4242, &e), SZTP_OK);

	check_bootstrap(r, "BS-BARE", 0, 0);
	check_bootstrap(r, "BS-NOOWNER", 1, 0);
	check_bootstrap(r, "BS-OWNED", 1, 1);

	/* the voucher byte for byte, and the fields the others do not cover */
	CHECK_RC(reg_bootstrap_get(r, "BS-OWNED", &b, &e), SZTP_OK);
	CHECK(b.dev.voucher.len == sizeof(voucher) &&
	      memcmp(b.dev.voucher.data, voucher, sizeof(voucher)) == 0);
	CHECK(b.dev.voucher_created == 1700000000 && b.dev.voucher_expires == 1900000000);
	CHECK(strcmp(b.dev.state, "bootstrap-initiated") == 0 && b.dev.last_seen == 4242);
	CHECK(b.prof.kind == REG_KIND_REDIRECT && b.prof.reporting == REG_REPORT_VERBOSE &&
	      strcmp(b.prof.owner, "bs-owner") == 0);
	rev = b.owner_revision;
	reg_bootstrap_clear(&b);

	/* revisions follow the rows: what the prepared artifacts are keyed on */
	CHECK_RC(reg_owner_put(r, &o, &e), SZTP_OK);
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	CHECK_RC(reg_bootstrap_get(r, "BS-OWNED", &b, &e), SZTP_OK);
	CHECK(b.has_owner && b.owner_revision != rev);
	reg_bootstrap_clear(&b);
	check_bootstrap(r, "BS-OWNED", 1, 1);

	/* unknown serial and a serial that cannot be: NOT_FOUND / INVALID, zeroed */
	memset(&b, 0xa5, sizeof(b));
	memset(&e, 0, sizeof(e));
	CHECK_RC(reg_bootstrap_get(r, "BS-NONE", &b, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "BS-NONE is not enrolled") != NULL);
	CHECK(zeroed(&b, sizeof(b)));
	memset(&b, 0xa5, sizeof(b));
	CHECK_RC(reg_bootstrap_get(r, "", &b, &e), SZTP_E_INVALID_VALUE);
	CHECK(zeroed(&b, sizeof(b)));

	/* inside an explicit transaction it sees the uncommitted rows */
	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	mkdev(&d, "BS-TXN", "bs-owned");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK_RC(reg_bootstrap_get(r, "BS-TXN", &b, &e), SZTP_OK);
	CHECK(b.has_profile && b.has_owner);
	reg_bootstrap_clear(&b);
	reg_rollback(r);
	CHECK_RC(reg_bootstrap_get(r, "BS-TXN", &b, &e), SZTP_E_NOT_FOUND);

	CHECK_RC(reg_device_remove(r, "BS-BARE", &e), SZTP_OK);
	CHECK_RC(reg_device_remove(r, "BS-NOOWNER", &e), SZTP_OK);
	CHECK_RC(reg_device_remove(r, "BS-OWNED", &e), SZTP_OK);
	CHECK_RC(reg_profile_remove(r, "bs-noowner", &e), SZTP_OK);
	CHECK_RC(reg_profile_remove(r, "bs-owned", &e), SZTP_OK);
}

/* ---- getters leave their output zeroed on failure ------------------------ */

#define SQLITE_FAULT_IOERR 10 /* SQLITE_IOERR */
#define SQLITE_FAULT_BUSY  5  /* SQLITE_BUSY */

/* SQLite: reads that fail half-way (the fault-injecting sqlite3_step). */
static void getter_faults(struct reg *r)
{
	struct sztp_err e = {0};
	struct reg_bootstrap b;
	struct reg_profile p;
	struct reg_device d;
	struct reg_owner o;
	struct reg_device_auth au;
	int64_t n;

	/* the getter's own read fails (as on a disk error) */
	fault_arm("SELECT serial, password_hash, profile", SQLITE_FAULT_IOERR);
	memset(&d, 0xa5, sizeof(d));
	CHECK_RC(reg_device_get(r, "GF-1", &d, &e), SZTP_E_DB);
	CHECK(fault_fired() && zeroed(&d, sizeof(d)));
	fault_arm("SELECT d.password_hash", SQLITE_FAULT_IOERR);
	memset(&au, 0xa5, sizeof(au));
	CHECK_RC(reg_device_auth_get(r, "GF-1", &au, &e), SZTP_E_DB);
	CHECK(fault_fired() && zeroed(&au, sizeof(au)));
	fault_arm("SELECT d.serial", SQLITE_FAULT_IOERR);
	memset(&b, 0xa5, sizeof(b));
	CHECK_RC(reg_bootstrap_get(r, "GF-1", &b, &e), SZTP_E_DB);
	CHECK(fault_fired() && zeroed(&b, sizeof(b)));
	fault_arm("SELECT name, kind", SQLITE_FAULT_IOERR);
	memset(&p, 0xa5, sizeof(p));
	CHECK_RC(reg_profile_get(r, "gf", &p, &e), SZTP_E_DB);
	CHECK(fault_fired() && zeroed(&p, sizeof(p)));
	fault_arm("SELECT count(*) FROM devices", SQLITE_FAULT_IOERR);
	n = 7;
	CHECK_RC(reg_device_count(r, &n, &e), SZTP_E_DB);
	CHECK(fault_fired() && n == 0);

	/* owner: the row read, then its chain's read fails (row already copied) */
	fault_arm("SELECT der", SQLITE_FAULT_IOERR);
	memset(&o, 0xa5, sizeof(o));
	CHECK_RC(reg_owner_get(r, "gf-owner", &o, &e), SZTP_E_DB);
	CHECK(fault_fired() && zeroed(&o, sizeof(o)));
	/* owner: everything read, then the read transaction's COMMIT fails
	 * (the leak artifacts_get had: key_path and chain left allocated) */
	fault_arm("COMMIT", SQLITE_FAULT_BUSY);
	memset(&o, 0xa5, sizeof(o));
	memset(&e, 0, sizeof(e));
	CHECK_RC(reg_owner_get(r, "gf-owner", &o, &e), SZTP_E_DB);
	CHECK(fault_fired() && zeroed(&o, sizeof(o)));
	CHECK(strstr(e.msg, "committing") != NULL);
	/* ... the transaction was rolled back: the handle still works */
	CHECK_RC(reg_owner_get(r, "gf-owner", &o, &e), SZTP_OK);
	CHECK(o.n_chain == 2 && o.key_path != NULL);
	reg_owner_clear(&o);
	/* inside reg_begin the read is a savepoint: its RELEASE fails */
	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	fault_arm("RELEASE", SQLITE_FAULT_BUSY);
	memset(&o, 0xa5, sizeof(o));
	CHECK_RC(reg_owner_get(r, "gf-owner", &o, &e), SZTP_E_DB);
	CHECK(fault_fired() && zeroed(&o, sizeof(o)));
	reg_rollback(r);
}

static void test_getter_failures(struct reg *r)
{
	static const uint8_t cert[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	sztp_bytes chain[2] = {{(uint8_t *)cert, sizeof(cert)}, {(uint8_t *)cert, 3}};
	struct sztp_err e = {0};
	struct reg_profile p;
	struct reg_device d;
	struct reg_owner o;
	struct reg_log l;
	int64_t n, n2;

	mkprofile(&p, "gf");
	snprintf(p.owner, sizeof(p.owner), "gf-owner");
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	memset(&o, 0, sizeof(o));
	snprintf(o.name, sizeof(o.name), "gf-owner");
	o.key_path = (char *)"/nonexistent/gf.key";
	o.chain = chain;
	o.n_chain = 2;
	CHECK_RC(reg_owner_put(r, &o, &e), SZTP_OK);
	mkdev(&d, "GF-1", "gf");
	d.password_hash = (char *)"$pbkdf2-sha256$1000$c2FsdA$aGFzaA";
	d.voucher.data = (uint8_t *)cert;
	d.voucher.len = sizeof(cert);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);

	/* not found */
	memset(&d, 0xa5, sizeof(d));
	CHECK_RC(reg_device_get(r, "GF-404", &d, &e), SZTP_E_NOT_FOUND);
	CHECK(zeroed(&d, sizeof(d)));
	memset(&p, 0xa5, sizeof(p));
	CHECK_RC(reg_profile_get(r, "gf-404", &p, &e), SZTP_E_NOT_FOUND);
	CHECK(zeroed(&p, sizeof(p)));
	memset(&o, 0xa5, sizeof(o));
	CHECK_RC(reg_owner_get(r, "gf-404", &o, &e), SZTP_E_NOT_FOUND);
	CHECK(zeroed(&o, sizeof(o)));

	if (!on_pg)
		getter_faults(r);

	/* prune: its COMMIT fails, nothing is deleted and the counts say 0 */
	memset(&l, 0, sizeof(l));
	snprintf(l.serial, sizeof(l.serial), "GF-1");
	snprintf(l.result, sizeof(l.result), "ok");
	l.time = 1; /* older than anything */
	CHECK_RC(reg_log_add(r, &l, &e), SZTP_OK);
	if (!on_pg) {
		fault_arm("COMMIT", SQLITE_FAULT_BUSY);
		n = n2 = 7;
		CHECK_RC(reg_prune(r, 2, &n, &n2, &e), SZTP_E_DB);
		CHECK(fault_fired() && n == 0 && n2 == 0);
	}
	CHECK_RC(reg_prune(r, 2, &n, &n2, &e), SZTP_OK); /* the row was still there */
	CHECK(n == 1 && n2 == 0);

	fault_arm(NULL, 0);
	CHECK_RC(reg_device_remove(r, "GF-1", &e), SZTP_OK);
	CHECK_RC(reg_profile_remove(r, "gf", &e), SZTP_OK);
}

/* A registry whose devices table is damaged on disk: real SQLITE_CORRUPT
 * from the device getters, their outputs zeroed. */
static void test_corrupt(void)
{
	struct sztp_err e = {0};
	struct reg_bootstrap b;
	struct reg_profile p;
	struct reg_device d;
	struct reg *c = NULL;
	char path[300], out[64], junk[512];
	struct reg_device_auth au;
	long root = 0, psize = 0, i;
	FILE *f;

	path_in_tmp(path, sizeof(path), "corrupt.db");
	CHECK_RC(reg_open(path, &c, &e), SZTP_OK);
	if (!c)
		return;
	mkprofile(&p, "cp");
	CHECK_RC(reg_profile_put(c, &p, &e), SZTP_OK);
	mkdev(&d, "CR-1", "cp");
	d.password_hash = (char *)"$pbkdf2-sha256$1000$c2FsdA$aGFzaA";
	CHECK_RC(reg_device_add(c, &d, &e), SZTP_OK);
	reg_close(c); /* last connection: the WAL is checkpointed into the file */
	c = NULL;
	CHECK(sqlite_cli(path, "SELECT rootpage FROM sqlite_master WHERE name = 'devices';", out,
			 sizeof(out)) == 0);
	root = atol(out);
	CHECK(sqlite_cli(path, "PRAGMA page_size;", out, sizeof(out)) == 0);
	psize = atol(out);
	CHECK(root > 1 && psize >= 512);
	f = fopen(path, "r+b");
	CHECK(f != NULL);
	if (!f || root <= 1 || psize < 512)
		return;
	memset(junk, 0xee, sizeof(junk));
	fseek(f, (root - 1) * psize, SEEK_SET);
	for (i = 0; i < psize; i += (long)sizeof(junk))
		fwrite(junk, 1, sizeof(junk), f);
	CHECK(fclose(f) == 0);

	CHECK_RC(reg_open(path, &c, &e), SZTP_OK); /* the schema is intact */
	if (!c)
		return;
	memset(&d, 0xa5, sizeof(d));
	CHECK_RC(reg_device_get(c, "CR-1", &d, &e), SZTP_E_DB);
	CHECK(zeroed(&d, sizeof(d)));
	memset(&b, 0xa5, sizeof(b));
	memset(&e, 0, sizeof(e));
	CHECK_RC(reg_bootstrap_get(c, "CR-1", &b, &e), SZTP_E_DB);
	CHECK(zeroed(&b, sizeof(b)));
	CHECK(strstr(e.msg, "malformed") != NULL); /* "database disk image is malformed" */
	memset(&au, 0xa5, sizeof(au));
	CHECK_RC(reg_device_auth_get(c, "CR-1", &au, &e), SZTP_E_DB);
	CHECK(zeroed(&au, sizeof(au)));
	reg_close(c);
}

/* ---- progress and log --------------------------------------------------- */

struct collect {
	int n;
	int stop_after; /* 0 = never */
	char seen[8][256];
};

static int collect_progress(const struct reg_progress *p, void *arg)
{
	struct collect *c = arg;

	if (c->n < 8)
		snprintf(c->seen[c->n], sizeof(c->seen[0]), "%s/%s/%s", p->serial, p->type,
			 p->message ? p->message : "-");
	c->n++;
	return c->stop_after && c->n >= c->stop_after;
}

static int collect_log(const struct reg_log *l, void *arg)
{
	struct collect *c = arg;

	if (c->n < 8)
		snprintf(c->seen[c->n], sizeof(c->seen[0]), "%s/%s/%d", l->serial, l->result,
			 l->status);
	c->n++;
	return c->stop_after && c->n >= c->stop_after;
}

static void test_progress(struct reg *r)
{
	struct sztp_err e = {0};
	struct reg_progress p;
	struct reg_device d;
	struct collect c;
	struct reg_log l;

	mkdev(&d, "PG-1", "p1");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	memset(&p, 0, sizeof(p));
	snprintf(p.serial, sizeof(p.serial), "PG-1");
	snprintf(p.peer, sizeof(p.peer), "192.0.2.7");
	snprintf(p.type, sizeof(p.type), "bootstrap-initiated");
	p.time = 5000;
	CHECK_RC(reg_progress_add(r, &p, &e), SZTP_OK);
	snprintf(p.type, sizeof(p.type), "bootstrap-complete");
	p.message = (char *)"done";
	p.ssh_host_keys = (char *)"[{\"algorithm\":\"ssh-ed25519\",\"key-data\":\"AAAA\"}]";
	p.time = 6000;
	CHECK_RC(reg_progress_add(r, &p, &e), SZTP_OK);

	CHECK_RC(reg_device_get(r, "PG-1", &d, &e), SZTP_OK);
	CHECK(strcmp(d.state, "bootstrap-complete") == 0);
	CHECK(d.last_seen == 6000 && d.first_seen == 5000);
	reg_device_clear(&d);

	memset(&c, 0, sizeof(c));
	CHECK_RC(reg_progress_list(r, "PG-1", 0, collect_progress, &c, &e), SZTP_OK);
	CHECK(c.n == 2);
	CHECK(strcmp(c.seen[0], "PG-1/bootstrap-initiated/-") == 0);
	CHECK(strcmp(c.seen[1], "PG-1/bootstrap-complete/done") == 0);
	memset(&c, 0, sizeof(c));
	CHECK_RC(reg_progress_list(r, "PG-1", 1, collect_progress, &c, &e), SZTP_OK);
	CHECK(c.n == 1 && strcmp(c.seen[0], "PG-1/bootstrap-complete/done") == 0);
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	CHECK_RC(reg_progress_list(r, NULL, 0, collect_progress, &c, &e), SZTP_OK);
	CHECK(c.n == 1 && strcmp(c.seen[0], "PG-1/bootstrap-initiated/-") == 0);

	/* unknown device, over-long type */
	snprintf(p.serial, sizeof(p.serial), "PG-404");
	CHECK_RC(reg_progress_add(r, &p, &e), SZTP_E_NOT_FOUND);
	snprintf(p.serial, sizeof(p.serial), "PG-1");
	snprintf(p.type, sizeof(p.type), "%s", "an-overly-long-progress-type-name-x");
	CHECK_RC(reg_progress_add(r, &p, &e), SZTP_E_INVALID_VALUE);

	/* bootstrap log */
	memset(&l, 0, sizeof(l));
	snprintf(l.peer, sizeof(l.peer), "198.51.100.1");
	snprintf(l.endpoint, sizeof(l.endpoint), "get-bootstrapping-data");
	snprintf(l.result, sizeof(l.result), "auth-failed");
	l.status = 401;
	CHECK_RC(reg_log_add(r, &l, &e), SZTP_OK);
	snprintf(l.serial, sizeof(l.serial), "PG-1");
	snprintf(l.result, sizeof(l.result), "signed");
	l.status = 200;
	l.duration_us = 1234;
	CHECK_RC(reg_log_add(r, &l, &e), SZTP_OK);
	snprintf(l.serial, sizeof(l.serial), "PG-2"); /* no device needed */
	snprintf(l.result, sizeof(l.result), "ok");
	l.status = 204;
	CHECK_RC(reg_log_add(r, &l, &e), SZTP_OK);

	memset(&c, 0, sizeof(c));
	CHECK_RC(reg_log_list(r, NULL, 0, collect_log, &c, &e), SZTP_OK);
	CHECK(c.n == 3);
	CHECK(strcmp(c.seen[0], "/auth-failed/401") == 0);
	CHECK(strcmp(c.seen[2], "PG-2/ok/204") == 0);
	memset(&c, 0, sizeof(c));
	CHECK_RC(reg_log_list(r, "PG-1", 0, collect_log, &c, &e), SZTP_OK);
	CHECK(c.n == 1 && strcmp(c.seen[0], "PG-1/signed/200") == 0);
	memset(&c, 0, sizeof(c));
	CHECK_RC(reg_log_list(r, "", 0, collect_log, &c, &e), SZTP_OK);
	CHECK(c.n == 1 && strcmp(c.seen[0], "/auth-failed/401") == 0);
	memset(&c, 0, sizeof(c));
	CHECK_RC(reg_log_list(r, NULL, 2, collect_log, &c, &e), SZTP_OK);
	CHECK(c.n == 2 && strcmp(c.seen[0], "PG-1/signed/200") == 0);

	/* removing the device removes its reports, not its log */
	CHECK_RC(reg_device_remove(r, "PG-1", &e), SZTP_OK);
	memset(&c, 0, sizeof(c));
	CHECK_RC(reg_progress_list(r, "PG-1", 0, collect_progress, &c, &e), SZTP_OK);
	CHECK(c.n == 0);
	memset(&c, 0, sizeof(c));
	CHECK_RC(reg_log_list(r, "PG-1", 0, collect_log, &c, &e), SZTP_OK);
	CHECK(c.n == 1);
}

/* ---- lists and transactions --------------------------------------------- */

static int collect_devices(const struct reg_device *d, void *arg)
{
	struct collect *c = arg;

	if (c->n < 8)
		snprintf(c->seen[c->n], sizeof(c->seen[0]), "%s", d->serial);
	c->n++;
	return c->stop_after && c->n >= c->stop_after;
}

static void test_transactions(struct reg *r)
{
	struct sztp_err e = {0};
	struct reg_progress p;
	struct reg_device d;
	struct collect c;
	char sn[32];
	int64_t n0 = -1, n = -1;
	int i;

	CHECK_RC(reg_device_count(r, &n0, &e), SZTP_OK);
	CHECK(n0 == 0);

	/* rollback leaves nothing */
	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	for (i = 0; i < 10; i++) {
		snprintf(sn, sizeof(sn), "TX-%d", i);
		mkdev(&d, sn, "p1");
		CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	}
	CHECK_RC(reg_device_count(r, &n, &e), SZTP_OK);
	CHECK(n == 10);					  /* visible inside */
	CHECK_RC(reg_begin(r, &e), SZTP_E_INVALID_VALUE); /* nested */
	reg_rollback(r);
	CHECK_RC(reg_device_count(r, &n, &e), SZTP_OK);
	CHECK(n == 0);
	CHECK_RC(reg_commit(r, &e), SZTP_E_INVALID_VALUE); /* none open */
	reg_rollback(r);				   /* none open: no-op */

	/* a failed call inside leaves the transaction usable and nothing behind */
	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	mkdev(&d, "c", "p1");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_EXISTS);
	memset(&p, 0, sizeof(p));
	snprintf(p.serial, sizeof(p.serial), "nobody");
	snprintf(p.type, sizeof(p.type), "bootstrap-error");
	CHECK_RC(reg_progress_add(r, &p, &e), SZTP_E_NOT_FOUND);
	mkdev(&d, "a", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	mkdev(&d, "b", "p1");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK_RC(reg_commit(r, &e), SZTP_OK);
	CHECK_RC(reg_device_count(r, &n, &e), SZTP_OK);
	CHECK(n == 3);

	/* lists are ordered by serial; a non-zero callback stops */
	memset(&c, 0, sizeof(c));
	CHECK_RC(reg_device_list(r, collect_devices, &c, &e), SZTP_OK);
	CHECK(c.n == 3);
	CHECK(strcmp(c.seen[0], "a") == 0 && strcmp(c.seen[1], "b") == 0 &&
	      strcmp(c.seen[2], "c") == 0);
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	CHECK_RC(reg_device_list(r, collect_devices, &c, &e), SZTP_OK);
	CHECK(c.n == 2);
	/* the list statement was reset: a second run starts again */
	memset(&c, 0, sizeof(c));
	CHECK_RC(reg_device_list(r, collect_devices, &c, &e), SZTP_OK);
	CHECK(c.n == 3);
}

static void test_two_handles(struct reg *a)
{
	struct sztp_err e = {0};
	struct reg_device d;
	struct reg *b = NULL;

	CHECK_RC(reg_open(dbnow, &b, &e), SZTP_OK);
	if (!b)
		return;
	CHECK_RC(reg_begin(a, &e), SZTP_OK);
	mkdev(&d, "TWO-1", "p1");
	CHECK_RC(reg_device_add(a, &d, &e), SZTP_OK);
	CHECK_RC(reg_device_get(b, "TWO-1", &d, &e), SZTP_E_NOT_FOUND); /* not committed */
	CHECK_RC(reg_commit(a, &e), SZTP_OK);
	CHECK_RC(reg_device_get(b, "TWO-1", &d, &e), SZTP_OK);
	reg_device_clear(&d);
	/* and the other way round, outside explicit transactions */
	CHECK_RC(reg_device_remove(b, "TWO-1", &e), SZTP_OK);
	CHECK_RC(reg_device_get(a, "TWO-1", &d, &e), SZTP_E_NOT_FOUND);
	/* closing inside a transaction discards it */
	CHECK_RC(reg_begin(b, &e), SZTP_OK);
	mkdev(&d, "TWO-2", "p1");
	CHECK_RC(reg_device_add(b, &d, &e), SZTP_OK);
	reg_close(b);
	CHECK_RC(reg_device_get(a, "TWO-2", &d, &e), SZTP_E_NOT_FOUND);
	mkdev(&d, "TWO-2", "p1"); /* and the write lock is gone */
	CHECK_RC(reg_device_add(a, &d, &e), SZTP_OK);
	CHECK_RC(reg_device_remove(a, "TWO-2", &e), SZTP_OK);
}

/* ---- threads ------------------------------------------------------------ */

#define T_DEVICES 500

struct tctx {
	struct reg *r;	/* shared by readers and the writer */
	struct reg *r2; /* a second connection, like sztpctl */
	int id;
	int errors;
	int gets;
};

static void *reader(void *arg)
{
	struct tctx *t = arg;
	struct sztp_err e;
	struct reg_device d;
	struct reg_profile p;
	unsigned seed = (unsigned)t->id * 7919u;
	char sn[32];
	int i;

	for (i = 0; i < 4000; i++) {
		snprintf(sn, sizeof(sn), "TH-%04d", (int)(rand_r(&seed) % T_DEVICES));
		if (reg_device_get(t->r, sn, &d, &e) != SZTP_OK || strcmp(d.serial, sn) != 0) {
			if (t->errors++ < 3)
				fprintf(stderr, "reader %d: %s: %s\n", t->id, sn, e.msg);
		} else {
			t->gets++;
		}
		reg_device_clear(&d);
		if (i % 100 == 0) {
			if (reg_profile_get(t->r, "p1", &p, &e) != SZTP_OK)
				t->errors++;
			reg_profile_clear(&p);
		}
	}
	return NULL;
}

static void *writer(void *arg)
{
	struct tctx *t = arg;
	struct sztp_err e;
	struct reg_log l;
	char sn[32];
	int i;

	memset(&l, 0, sizeof(l));
	snprintf(l.endpoint, sizeof(l.endpoint), "get-bootstrapping-data");
	snprintf(l.result, sizeof(l.result), "ok");
	for (i = 0; i < 1000; i++) {
		snprintf(sn, sizeof(sn), "TH-%04d", i % T_DEVICES);
		snprintf(l.serial, sizeof(l.serial), "%s", sn);
		if (reg_device_seen(t->r, sn, "bootstrap-initiated", 100 + i, &e) != SZTP_OK ||
		    reg_log_add(t->r, &l, &e) != SZTP_OK) {
			if (t->errors++ < 3)
				fprintf(stderr, "writer: %s\n", e.msg);
		}
	}
	return NULL;
}

/* The admin CLI on its own connection: batches of adds in transactions. */
static void *admin(void *arg)
{
	struct tctx *t = arg;
	struct sztp_err e;
	struct reg_device d;
	char sn[32];
	int b, i;

	for (b = 0; b < 20; b++) {
		if (reg_begin(t->r2, &e) != SZTP_OK) {
			t->errors++;
			fprintf(stderr, "admin: %s\n", e.msg);
			continue;
		}
		for (i = 0; i < 50; i++) {
			snprintf(sn, sizeof(sn), "AD-%02d-%02d", b, i);
			mkdev(&d, sn, "p1");
			if (reg_device_add(t->r2, &d, &e) != SZTP_OK)
				t->errors++;
		}
		if (reg_commit(t->r2, &e) != SZTP_OK) {
			t->errors++;
			fprintf(stderr, "admin commit: %s\n", e.msg);
		}
	}
	return NULL;
}

struct peek {
	struct reg *r;
	sztp_rc rc;
};

static void *peek_device(void *arg)
{
	struct peek *k = arg;
	struct reg_device d;

	k->rc = reg_device_get(k->r, "ISO-1", &d, NULL);
	reg_device_clear(&d);
	return NULL;
}

/* Another thread on the same handle waits for an explicit transaction to
 * end and never sees its uncommitted rows. */
static void test_txn_isolation(struct reg *r)
{
	struct sztp_err e = {0};
	struct peek k = {r, SZTP_E_INTERNAL};
	struct reg_device d;
	pthread_t th;

	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	mkdev(&d, "ISO-1", "p1");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK(pthread_create(&th, NULL, peek_device, &k) == 0);
	usleep(100 * 1000);
	CHECK(k.rc == SZTP_E_INTERNAL); /* still waiting */
	reg_rollback(r);
	pthread_join(th, NULL);
	CHECK_RC(k.rc, SZTP_E_NOT_FOUND);
}

static void test_threads(struct reg *r)
{
	struct sztp_err e = {0};
	struct tctx t[6];
	pthread_t th[6];
	struct reg_device d;
	struct reg *r2 = NULL;
	int64_t n = 0;
	char sn[32];
	int i, errors = 0, gets = 0;

	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	for (i = 0; i < T_DEVICES; i++) {
		snprintf(sn, sizeof(sn), "TH-%04d", i);
		mkdev(&d, sn, "p1");
		CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	}
	CHECK_RC(reg_commit(r, &e), SZTP_OK);
	CHECK_RC(reg_open(dbnow, &r2, &e), SZTP_OK);
	if (!r2)
		return;
	memset(t, 0, sizeof(t));
	for (i = 0; i < 6; i++) {
		t[i].r = r;
		t[i].r2 = r2;
		t[i].id = i;
		CHECK(pthread_create(&th[i], NULL,
				     i < 4    ? reader
				     : i == 4 ? writer
					      : admin,
				     &t[i]) == 0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		errors += t[i].errors;
		gets += t[i].gets;
	}
	CHECK(errors == 0);
	CHECK(gets == 4 * 4000);
	CHECK_RC(reg_device_count(r, &n, &e), SZTP_OK);
	CHECK(n == 3 + T_DEVICES + 20 * 50);
	CHECK_RC(reg_device_get(r, "TH-0499", &d, &e), SZTP_OK);
	CHECK(strcmp(d.state, "bootstrap-initiated") == 0 && d.last_seen == 100 + 999);
	reg_device_clear(&d);
	reg_close(r2);
}

/* ---- bulk import ---------------------------------------------------------- */

static void test_bulk(struct reg *r)
{
	struct sztp_err e = {0};
	struct reg_device d, g;
	const char *env = getenv("REG_BENCH_DEVICES");
	int64_t before = 0, after = 0;
	int i, count = env ? atoi(env) : 0, bad = 0;
	unsigned seed = 1;
	double t0, t1;

	if (count <= 0)
		count = on_pg ? 20000 : 100000; /* round trips on PostgreSQL */
	CHECK_RC(reg_device_count(r, &before, &e), SZTP_OK);
	mkdev(&d, "", "p1");
	d.password_hash = (char *)"$pbkdf2-sha256$100000$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA";
	t0 = now_s();
	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	for (i = 0; i < count; i++) {
		snprintf(d.serial, sizeof(d.serial), "BULK-%08d", i);
		bad += reg_device_add(r, &d, &e) != SZTP_OK;
	}
	CHECK_RC(reg_commit(r, &e), SZTP_OK);
	t1 = now_s();
	CHECK(bad == 0);
	CHECK_RC(reg_device_count(r, &after, &e), SZTP_OK);
	CHECK(after - before == count);
	printf("test_registry: %s: bulk import of %d devices in one transaction: %.2f s, %.0f/s\n",
	       on_pg ? "PostgreSQL" : "SQLite", count, t1 - t0, count / (t1 - t0));

	t0 = now_s();
	for (i = 0; i < (on_pg ? 10000 : 100000); i++) {
		snprintf(d.serial, sizeof(d.serial), "BULK-%08d", (int)(rand_r(&seed) % count));
		if (reg_device_get(r, d.serial, &g, &e) != SZTP_OK ||
		    strcmp(g.serial, d.serial) != 0)
			bad++;
		reg_device_clear(&g);
	}
	t1 = now_s();
	CHECK(bad == 0);
	printf("test_registry: %s: reg_device_get with %lld devices: %.0f lookups/s\n",
	       on_pg ? "PostgreSQL" : "SQLite", (long long)after,
	       (on_pg ? 10000 : 100000) / (t1 - t0));
}

/* Migration 002: the voucher validity window round-trips through add,
 * get and update, and defaults to 0 (unknown). */
static void test_voucher_window(struct reg *r)
{
	struct reg_device d, g;
	uint8_t v[3] = {0x30, 0x01, 0x00};

	memset(&d, 0, sizeof(d));
	memset(&g, 0, sizeof(g));
	snprintf(d.serial, sizeof(d.serial), "SN-WINDOW");
	d.voucher.data = v;
	d.voucher.len = sizeof(v);
	d.voucher_created = 1700000000;
	d.voucher_expires = 1800000000;
	CHECK_RC(reg_device_add(r, &d, NULL), SZTP_OK);
	CHECK_RC(reg_device_get(r, "SN-WINDOW", &g, NULL), SZTP_OK);
	CHECK(g.voucher_created == 1700000000 && g.voucher_expires == 1800000000);
	g.voucher_expires = 1900000000;
	CHECK_RC(reg_device_update(r, &g, NULL), SZTP_OK);
	reg_device_clear(&g);
	CHECK_RC(reg_device_get(r, "SN-WINDOW", &g, NULL), SZTP_OK);
	CHECK(g.voucher_expires == 1900000000);
	reg_device_clear(&g);
	memset(&d, 0, sizeof(d));
	snprintf(d.serial, sizeof(d.serial), "SN-NOWINDOW");
	CHECK_RC(reg_device_add(r, &d, NULL), SZTP_OK);
	CHECK_RC(reg_device_get(r, "SN-NOWINDOW", &g, NULL), SZTP_OK);
	CHECK(g.voucher_created == 0 && g.voucher_expires == 0);
	reg_device_clear(&g);
	CHECK(reg_schema_version(r) >= 2);
	CHECK_RC(reg_device_remove(r, "SN-WINDOW", NULL), SZTP_OK);
	CHECK_RC(reg_device_remove(r, "SN-NOWINDOW", NULL), SZTP_OK);
}

/* ---- admin API (issue 10, migration 005) ---------------------------------- */

/* Keys (serials, names) joined by ',' and ids of what a query returned. */
struct keys {
	int n;
	int stop_after; /* 0 = never */
	char s[2048];
	int64_t ids[64];
	int64_t last_id;
	char last[PKI_SERIAL_MAX];
};

static void keys_add(struct keys *k, const char *key, int64_t id)
{
	size_t len = strlen(k->s);

	snprintf(k->s + len, sizeof(k->s) - len, "%s%s", len ? "," : "", key);
	if (k->n < 64)
		k->ids[k->n] = id;
	k->n++;
	k->last_id = id;
	snprintf(k->last, sizeof(k->last), "%s", key);
}

static int keys_device(const struct reg_device *d, void *arg)
{
	struct keys *k = arg;

	keys_add(k, d->serial, 0);
	return k->stop_after && k->n >= k->stop_after;
}

static int keys_progress(const struct reg_progress *p, void *arg)
{
	char key[200];

	snprintf(key, sizeof(key), "%s:%s", p->serial, p->type);
	keys_add(arg, key, p->id);
	return 0;
}

static int keys_log(const struct reg_log *l, void *arg)
{
	char key[200];

	snprintf(key, sizeof(key), "%s:%s", l->serial, l->result);
	keys_add(arg, key, l->id);
	return 0;
}

static int keys_audit(const struct reg_audit *a, void *arg)
{
	keys_add(arg, a->resource, a->id);
	return 0;
}

static int keys_token(const struct reg_token *t, void *arg)
{
	keys_add(arg, t->name, 0);
	return 0;
}

static int keys_profile(const struct reg_profile *p, void *arg)
{
	keys_add(arg, p->name, 0);
	return 0;
}

/* The serials a device query returns, joined. */
static const char *devq(struct reg *r, const struct reg_query *q, struct keys *k)
{
	memset(k, 0, sizeof(*k));
	if (reg_device_query(r, q, keys_device, k, NULL) != SZTP_OK)
		snprintf(k->s, sizeof(k->s), "(failed)");
	return k->s;
}

static int ids_ascending(const struct keys *k)
{
	int i;

	for (i = 0; i < k->n && i < 64; i++)
		if (k->ids[i] <= 0 || (i > 0 && k->ids[i] <= k->ids[i - 1]))
			return 0;
	return 1;
}

/* The detail column of EXPLAIN QUERY PLAN for sql, on its own connection
 * to db: what SQLite will do with the registry's statement. */
static void query_plan(const char *db, const char *sql, char *out, size_t cap)
{
	char eqp[2200];
	sqlite3 *c = NULL;
	sqlite3_stmt *s = NULL;
	size_t len;

	out[0] = '\0';
	snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_open_v2(db, &c, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(c, eqp, -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW) {
			len = strlen(out);
			snprintf(out + len, cap - len, "%s;",
				 (const char *)sqlite3_column_text(s, 3));
		}
	}
	sqlite3_finalize(s);
	sqlite3_close(c);
}

static void add_dev(struct reg *r, const char *serial, const char *profile, size_t voucher_len,
		    int64_t last_seen)
{
	static const uint8_t v[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	struct reg_device d;

	mkdev(&d, serial, profile);
	d.voucher.data = voucher_len ? (uint8_t *)v : NULL;
	d.voucher.len = voucher_len;
	CHECK_RC(reg_device_add(r, &d, NULL), SZTP_OK);
	if (last_seen)
		CHECK_RC(reg_device_seen(r, serial, NULL, last_seen, NULL), SZTP_OK);
}

static void test_device_query(struct reg *r, const char *db)
{
	struct reg_query q = REG_QUERY_INIT;
	struct reg_profile p;
	struct sztp_err e = {0};
	struct keys k, all;
	char out[512], plan[512], cursor[PKI_SERIAL_MAX];
	int pages;

	/* an empty table */
	CHECK(strcmp(devq(r, &q, &k), "") == 0 && k.n == 0);
	q.limit = 5;
	CHECK(strcmp(devq(r, &q, &k), "") == 0);

	mkprofile(&p, "pa");
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	mkprofile(&p, "pb");
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	/* LIKE would take '%' and '_' in these as wildcards */
	add_dev(r, "A%1", "pa", 5, 1000);
	add_dev(r, "A%%", "pa", 0, 2000);
	add_dev(r, "A_2", "pb", 5, 3000);
	add_dev(r, "AB3", NULL, 0, 0);
	add_dev(r, "Ab", NULL, 5, 0);
	add_dev(r, "B1", "pb", 0, 4000);
	add_dev(r, hi("\xff\xff"), NULL, 0, 0);
	add_dev(r,
		hi("\xff"
		   "A"),
		NULL, 0, 0);
	CHECK_RC(reg_device_seen(r, "B1", "bootstrap-complete", 4000, NULL), SZTP_OK);
	/* a voucher stored as an empty blob (not by the registry): none */
	CHECK(db_sql(db,
		     on_pg ? "UPDATE devices SET voucher = '\\x'::bytea WHERE serial = 'AB3';"
			   : "UPDATE devices SET voucher = x'' WHERE serial = 'AB3';",
		     out, sizeof(out)) == 0);

	q = (struct reg_query)REG_QUERY_INIT;
	CHECK(strcmp(devq(r, &q, &all), hi("A%%,A%1,AB3,A_2,Ab,B1,\xff"
					   "A,\xff\xff")) == 0);
	CHECK(all.n == 8);
	q.serial_prefix = "A%";
	CHECK(strcmp(devq(r, &q, &k), "A%%,A%1") == 0);
	q.serial_prefix = "A_";
	CHECK(strcmp(devq(r, &q, &k), "A_2") == 0);
	q.serial_prefix = "A";
	CHECK(strcmp(devq(r, &q, &k), "A%%,A%1,AB3,A_2,Ab") == 0);
	q.serial_prefix = "a"; /* byte-wise: case counts */
	CHECK(strcmp(devq(r, &q, &k), "") == 0);
	q.serial_prefix = "";
	CHECK(devq(r, &q, &k) && k.n == 8);
	q.serial_prefix = hi("\xff"); /* SQLite: no successor: ">= prefix" alone */
	CHECK(strcmp(devq(r, &q, &k), hi("\xff"
					 "A,\xff\xff")) == 0);
	q.serial_prefix = hi("\xff\xff");
	CHECK(strcmp(devq(r, &q, &k), hi("\xff\xff")) == 0);
	q.serial_prefix = "B1x";
	CHECK(strcmp(devq(r, &q, &k), "") == 0);

	/* the exact serial, alone and with a prefix */
	q = (struct reg_query)REG_QUERY_INIT;
	q.serial = "A%1";
	CHECK(strcmp(devq(r, &q, &k), "A%1") == 0);
	q.serial_prefix = "A%";
	CHECK(strcmp(devq(r, &q, &k), "A%1") == 0);
	q.serial_prefix = "B";
	CHECK(strcmp(devq(r, &q, &k), "") == 0);
	q.serial = "A";
	q.serial_prefix = NULL;
	CHECK(strcmp(devq(r, &q, &k), "") == 0);

	/* profile, "" = none; state; voucher */
	q = (struct reg_query)REG_QUERY_INIT;
	q.profile = "pa";
	CHECK(strcmp(devq(r, &q, &k), "A%%,A%1") == 0);
	q.profile = "";
	CHECK(strcmp(devq(r, &q, &k), hi("AB3,Ab,\xff"
					 "A,\xff\xff")) == 0);
	q.profile = "nope";
	CHECK(strcmp(devq(r, &q, &k), "") == 0);
	q = (struct reg_query)REG_QUERY_INIT;
	q.state = "bootstrap-complete";
	CHECK(strcmp(devq(r, &q, &k), "B1") == 0);
	q.state = "enrolled";
	CHECK(k.n == 1 && devq(r, &q, &k) && k.n == 7);
	q = (struct reg_query)REG_QUERY_INIT;
	q.has_voucher = 1;
	CHECK(strcmp(devq(r, &q, &k), "A%1,A_2,Ab") == 0);
	q.has_voucher = 0; /* AB3's empty blob counts as none */
	CHECK(strcmp(devq(r, &q, &k), hi("A%%,AB3,B1,\xff"
					 "A,\xff\xff")) == 0);

	/* last_seen in [since, before) */
	q = (struct reg_query)REG_QUERY_INIT;
	q.since = 2000;
	CHECK(strcmp(devq(r, &q, &k), "A%%,A_2,B1") == 0);
	q.before = 4000;
	CHECK(strcmp(devq(r, &q, &k), "A%%,A_2") == 0);
	q.since = 0;
	CHECK(strcmp(devq(r, &q, &k), hi("A%%,A%1,AB3,A_2,Ab,\xff"
					 "A,\xff\xff")) == 0);
	/* filters combine */
	q = (struct reg_query)REG_QUERY_INIT;
	q.serial_prefix = "A";
	q.profile = "pa";
	q.has_voucher = 1;
	CHECK(strcmp(devq(r, &q, &k), "A%1") == 0);

	/* cursors: pages of 3 walk the whole list once, the last one short */
	q = (struct reg_query)REG_QUERY_INIT;
	q.limit = 3;
	cursor[0] = '\0';
	out[0] = '\0';
	for (pages = 0; pages < 10; pages++) {
		q.after_key = pages ? cursor : NULL;
		devq(r, &q, &k);
		if (k.n == 0)
			break;
		CHECK(k.n <= 3);
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%.400s", pages ? "," : "",
			 k.s);
		snprintf(cursor, sizeof(cursor), "%s", k.last);
	}
	CHECK(pages == 3 && strcmp(out, all.s) == 0);
	/* exactly one page, then nothing after its last key */
	q.limit = 8;
	q.after_key = NULL;
	CHECK(devq(r, &q, &k) && k.n == 8);
	q.after_key = k.last;
	snprintf(cursor, sizeof(cursor), "%s", k.last);
	q.after_key = cursor;
	CHECK(strcmp(devq(r, &q, &k), "") == 0);
	/* the cursor names a key: still valid once that row is deleted */
	q.limit = 2;
	q.after_key = NULL;
	CHECK(strcmp(devq(r, &q, &k), "A%%,A%1") == 0);
	CHECK_RC(reg_device_remove(r, "A%1", &e), SZTP_OK);
	snprintf(cursor, sizeof(cursor), "A%%1");
	q.after_key = cursor;
	CHECK(strcmp(devq(r, &q, &k), "AB3,A_2") == 0);
	/* the cursor with a prefix: after it, still inside the prefix */
	q.serial_prefix = "A";
	q.limit = 0;
	CHECK(strcmp(devq(r, &q, &k), "AB3,A_2,Ab") == 0);
	q.after_key = "0"; /* before the prefix: the prefix's start wins */
	CHECK(strcmp(devq(r, &q, &k), "A%%,AB3,A_2,Ab") == 0);
	q.after_key = "C"; /* past it */
	CHECK(strcmp(devq(r, &q, &k), "") == 0);
	/* the callback stops it */
	q = (struct reg_query)REG_QUERY_INIT;
	memset(&k, 0, sizeof(k));
	k.stop_after = 2;
	CHECK_RC(reg_device_query(r, &q, keys_device, &k, &e), SZTP_OK);
	CHECK(k.n == 2);
	/* NULL = no conditions; bad arguments */
	memset(&k, 0, sizeof(k));
	CHECK_RC(reg_device_query(r, NULL, keys_device, &k, &e), SZTP_OK);
	CHECK(k.n == 7);
	memset(out, 'x', sizeof(out) - 1); /* longer than any serial */
	out[sizeof(out) - 1] = '\0';
	q.serial_prefix = out;
	CHECK_RC(reg_device_query(r, &q, keys_device, &k, &e), SZTP_E_INVALID_VALUE);

	/* the prefix is a range on the primary key, not a scan */
	q = (struct reg_query)REG_QUERY_INIT;
	q.serial_prefix = "A";
	captured[0] = '\0';
	capture_sql = "SELECT serial, password_hash";
	devq(r, &q, &k);
	capture_sql = NULL;
	if (!on_pg) {
		CHECK(strstr(captured, "serial >= ?1") != NULL);
		query_plan(db, captured, plan, sizeof(plan));
		CHECK(strstr(plan,
			     "SEARCH devices USING INDEX sqlite_autoindex_devices_1 (serial>? "
			     "AND serial<?)") != NULL);
		if (!strstr(plan, "sqlite_autoindex_devices_1"))
			fprintf(stderr, "device query plan: %s\n", plan);
	}

	/* profiles by name, paged; device counts per profile */
	memset(&k, 0, sizeof(k));
	CHECK_RC(reg_profile_query(r, NULL, 0, keys_profile, &k, &e), SZTP_OK);
	CHECK(strcmp(k.s, "pa,pb") == 0);
	memset(&k, 0, sizeof(k));
	CHECK_RC(reg_profile_query(r, NULL, 1, keys_profile, &k, &e), SZTP_OK);
	CHECK(strcmp(k.s, "pa") == 0);
	memset(&k, 0, sizeof(k));
	CHECK_RC(reg_profile_query(r, "pa", 1, keys_profile, &k, &e), SZTP_OK);
	CHECK(strcmp(k.s, "pb") == 0);
	memset(&k, 0, sizeof(k));
	CHECK_RC(reg_profile_query(r, "pb", 0, keys_profile, &k, &e), SZTP_OK);
	CHECK(k.n == 0);
	{
		int64_t n = -1;

		CHECK_RC(reg_profile_device_count(r, "pb", &n, &e), SZTP_OK);
		CHECK(n == 2);
		CHECK_RC(reg_profile_device_count(r, "pa", &n, &e), SZTP_OK);
		CHECK(n == 1);
		CHECK_RC(reg_profile_device_count(r, "nope", &n, &e), SZTP_OK);
		CHECK(n == 0);
		n = -1;
		CHECK_RC(reg_profile_device_count(r, "", &n, &e), SZTP_E_INVALID_VALUE);
		CHECK(n == 0);
	}
}

static void add_progress(struct reg *r, const char *serial, const char *type, int64_t t)
{
	struct reg_progress p;

	memset(&p, 0, sizeof(p));
	snprintf(p.serial, sizeof(p.serial), "%s", serial);
	snprintf(p.type, sizeof(p.type), "%s", type);
	p.time = t;
	CHECK_RC(reg_progress_add(r, &p, NULL), SZTP_OK);
}

static void add_log(struct reg *r, const char *serial, const char *result, int64_t t)
{
	struct reg_log l;

	memset(&l, 0, sizeof(l));
	snprintf(l.serial, sizeof(l.serial), "%s", serial);
	snprintf(l.result, sizeof(l.result), "%s", result);
	l.time = t;
	l.status = 200;
	CHECK_RC(reg_log_add(r, &l, NULL), SZTP_OK);
}

static const char *progq(struct reg *r, const struct reg_query *q, struct keys *k)
{
	memset(k, 0, sizeof(*k));
	if (reg_progress_query(r, q, keys_progress, k, NULL) != SZTP_OK)
		snprintf(k->s, sizeof(k->s), "(failed)");
	return k->s;
}

static const char *logq(struct reg *r, const struct reg_query *q, struct keys *k)
{
	memset(k, 0, sizeof(*k));
	if (reg_log_query(r, q, keys_log, k, NULL) != SZTP_OK)
		snprintf(k->s, sizeof(k->s), "(failed)");
	return k->s;
}

static void test_progress_log_query(struct reg *r, const char *db)
{
	struct reg_query q = REG_QUERY_INIT;
	struct sztp_err e = {0};
	struct keys k, l2;
	char plan[512];
	int64_t first, nl = 0, np = 0;

	CHECK(strcmp(progq(r, &q, &k), "") == 0);
	CHECK(strcmp(logq(r, &q, &k), "") == 0);
	add_dev(r, "P1", NULL, 0, 0);
	add_dev(r, "P2", NULL, 0, 0);
	add_progress(r, "P1", "bootstrap-initiated", 100);
	add_progress(r, "P2", "bootstrap-initiated", 200);
	add_progress(r, "P1", "bootstrap-complete", 300);
	add_progress(r, "P2", "bootstrap-error", 400);

	CHECK(strcmp(progq(r, &q, &k), "P1:bootstrap-initiated,P2:bootstrap-initiated,"
				       "P1:bootstrap-complete,P2:bootstrap-error") == 0);
	CHECK(k.n == 4 && ids_ascending(&k));
	first = k.ids[0];
	/* the list carries the same ids */
	memset(&l2, 0, sizeof(l2));
	CHECK_RC(reg_progress_list(r, NULL, 0, keys_progress, &l2, &e), SZTP_OK);
	CHECK(l2.n == 4 && memcmp(l2.ids, k.ids, 4 * sizeof(int64_t)) == 0);
	q.serial = "P1";
	CHECK(strcmp(progq(r, &q, &k), "P1:bootstrap-initiated,P1:bootstrap-complete") == 0);
	CHECK(ids_ascending(&k));
	q.type = "bootstrap-complete";
	CHECK(strcmp(progq(r, &q, &k), "P1:bootstrap-complete") == 0);
	q.serial = NULL;
	q.type = "bootstrap-initiated";
	CHECK(strcmp(progq(r, &q, &k), "P1:bootstrap-initiated,P2:bootstrap-initiated") == 0);
	q.type = NULL;
	q.since = 200;
	q.before = 400;
	CHECK(strcmp(progq(r, &q, &k), "P2:bootstrap-initiated,P1:bootstrap-complete") == 0);
	q.since = 0;
	CHECK(strcmp(progq(r, &q, &k), "P1:bootstrap-initiated,P2:bootstrap-initiated,"
				       "P1:bootstrap-complete") == 0);
	q.before = 0;
	q.serial = "P404";
	CHECK(strcmp(progq(r, &q, &k), "") == 0);
	/* cursor paging: after_id, pages of 3: a full one, then the last */
	q = (struct reg_query)REG_QUERY_INIT;
	q.limit = 3;
	CHECK(progq(r, &q, &k) && k.n == 3 && k.ids[0] == first);
	q.after_id = k.last_id;
	CHECK(strcmp(progq(r, &q, &k), "P2:bootstrap-error") == 0);
	q.after_id = k.last_id;
	CHECK(strcmp(progq(r, &q, &k), "") == 0);
	/* exactly one page */
	q.limit = 4;
	q.after_id = 0;
	CHECK(progq(r, &q, &k) && k.n == 4);
	q.after_id = k.last_id;
	CHECK(progq(r, &q, &k) && k.n == 0);
	/* after deletes: the cursor's row pruned, the cursor still works */
	q.limit = 2;
	q.after_id = 0;
	CHECK(progq(r, &q, &k) && k.n == 2);
	CHECK_RC(reg_prune(r, 250, &nl, &np, &e), SZTP_OK);
	CHECK(np == 2);
	q.after_id = k.last_id;
	CHECK(strcmp(progq(r, &q, &k), "P1:bootstrap-complete,P2:bootstrap-error") == 0);
	/* a new report comes after the last id seen (polling) */
	add_progress(r, "P1", "bootstrap-complete", 500);
	q.after_id = k.last_id;
	CHECK(strcmp(progq(r, &q, &k), "P1:bootstrap-complete") == 0);

	/* the bootstrap log: "" = the unauthenticated requests */
	q = (struct reg_query)REG_QUERY_INIT;
	add_log(r, "", "auth-failed", 100);
	add_log(r, "P1", "signed", 200);
	add_log(r, "P2", "ok", 300);
	add_log(r, "P1", "ok", 400);
	CHECK(strcmp(logq(r, &q, &k), ":auth-failed,P1:signed,P2:ok,P1:ok") == 0);
	CHECK(k.n == 4 && ids_ascending(&k));
	memset(&l2, 0, sizeof(l2));
	CHECK_RC(reg_log_list(r, NULL, 0, keys_log, &l2, &e), SZTP_OK);
	CHECK(l2.n == 4 && memcmp(l2.ids, k.ids, 4 * sizeof(int64_t)) == 0);
	q.serial = "";
	CHECK(strcmp(logq(r, &q, &k), ":auth-failed") == 0);
	q.serial = "P1";
	CHECK(strcmp(logq(r, &q, &k), "P1:signed,P1:ok") == 0);
	q.type = "ok";
	CHECK(strcmp(logq(r, &q, &k), "P1:ok") == 0);
	q.serial = NULL;
	CHECK(strcmp(logq(r, &q, &k), "P2:ok,P1:ok") == 0);
	q.type = NULL;
	q.since = 200;
	q.before = 300;
	CHECK(strcmp(logq(r, &q, &k), "P1:signed") == 0);
	q = (struct reg_query)REG_QUERY_INIT;
	q.limit = 2;
	CHECK(strcmp(logq(r, &q, &k), ":auth-failed,P1:signed") == 0);
	q.after_id = k.last_id;
	CHECK(strcmp(logq(r, &q, &k), "P2:ok,P1:ok") == 0);
	q.after_id = k.last_id;
	CHECK(strcmp(logq(r, &q, &k), "") == 0);

	/* the serial form walks (serial, id), the other the rowid from the cursor */
	q = (struct reg_query)REG_QUERY_INIT;
	q.serial = "P1";
	captured[0] = '\0';
	capture_sql = "SELECT serial, time, peer, type";
	progq(r, &q, &k);
	capture_sql = NULL;
	query_plan(db, captured, plan, sizeof(plan));
	CHECK(on_pg || strstr(plan, "USING INDEX progress_serial (serial=? AND id>?)") != NULL);
	q.serial = NULL;
	captured[0] = '\0';
	capture_sql = "SELECT serial, time, peer, endpoint";
	logq(r, &q, &k);
	capture_sql = NULL;
	query_plan(db, captured, plan, sizeof(plan));
	CHECK(on_pg || strstr(plan, "USING INTEGER PRIMARY KEY (rowid>?)") != NULL);
	if (!on_pg && !strstr(plan, "rowid>?"))
		fprintf(stderr, "log query plan: %s\n", plan);
}

static void mkaudit(struct reg_audit *a, const char *actor, const char *action,
		    const char *resource, int64_t t)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->actor, sizeof(a->actor), "%s", actor);
	snprintf(a->action, sizeof(a->action), "%s", action);
	snprintf(a->resource, sizeof(a->resource), "%s", resource);
	a->time = t;
}

static int keep_audit(const struct reg_audit *a, void *arg)
{
	struct reg_audit *out = arg;

	*out = *a;
	out->detail = a->detail ? strdup(a->detail) : NULL;
	return 1;
}

static const char *audq(struct reg *r, const struct reg_query *q, struct keys *k)
{
	memset(k, 0, sizeof(*k));
	if (reg_audit_query(r, q, keys_audit, k, NULL) != SZTP_OK)
		snprintf(k->s, sizeof(k->s), "(failed)");
	return k->s;
}

static void test_audit(struct reg *r, const char *db)
{
	struct reg_query q = REG_QUERY_INIT;
	struct sztp_err e = {0};
	struct reg_audit a, got;
	struct reg_device d;
	struct keys k;
	char plan[512];

	CHECK(strcmp(audq(r, &q, &k), "") == 0);
	/* rolled back with the change it describes */
	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	mkdev(&d, "AU-1", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	mkaudit(&a, "token:ops", "device.create", "devices/AU-1", 100);
	CHECK_RC(reg_audit_add(r, &a, &e), SZTP_OK);
	CHECK(audq(r, &q, &k) && k.n == 1); /* visible inside */
	reg_rollback(r);
	CHECK(strcmp(audq(r, &q, &k), "") == 0);
	CHECK_RC(reg_device_get(r, "AU-1", &d, &e), SZTP_E_NOT_FOUND);
	/* committed with it */
	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	mkdev(&d, "AU-1", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK_RC(reg_device_revision(r, "AU-1", &a.rev_after, &e), SZTP_OK);
	a.detail = (char *)"{\"profile\":null}";
	CHECK_RC(reg_audit_add(r, &a, &e), SZTP_OK);
	CHECK_RC(reg_commit(r, &e), SZTP_OK);
	memset(&got, 0, sizeof(got));
	CHECK_RC(reg_audit_query(r, &q, keep_audit, &got, &e), SZTP_OK);
	CHECK(got.id > 0 && got.time == 100 && strcmp(got.actor, "token:ops") == 0 &&
	      strcmp(got.action, "device.create") == 0 &&
	      strcmp(got.resource, "devices/AU-1") == 0 && got.rev_before == 0 &&
	      got.rev_after == a.rev_after && a.rev_after != 0);
	CHECK(got.detail && strcmp(got.detail, "{\"profile\":null}") == 0);
	reg_audit_clear(&got);
	CHECK(zeroed(&got, sizeof(got)));

	mkaudit(&a, "token:ops", "device.create", "devices/A%1", 200);
	CHECK_RC(reg_audit_add(r, &a, &e), SZTP_OK);
	mkaudit(&a, "cert:CN=admin", "device.update", "devices/A_2", 300);
	CHECK_RC(reg_audit_add(r, &a, &e), SZTP_OK);
	mkaudit(&a, "local:root", "profile.put", "profiles/p1", 400);
	CHECK_RC(reg_audit_add(r, &a, &e), SZTP_OK);
	mkaudit(&a, "local:root", "prune", "", 0); /* time 0: now */
	CHECK_RC(reg_audit_add(r, &a, &e), SZTP_OK);
	CHECK(strcmp(audq(r, &q, &k), "devices/AU-1,devices/A%1,devices/A_2,profiles/p1,") == 0);
	CHECK(k.n == 5 && ids_ascending(&k));

	q.resource = "devices/A%";
	CHECK(strcmp(audq(r, &q, &k), "devices/A%1") == 0);
	q.resource = "devices/A_";
	CHECK(strcmp(audq(r, &q, &k), "devices/A_2") == 0);
	q.resource = "devices/";
	CHECK(strcmp(audq(r, &q, &k), "devices/AU-1,devices/A%1,devices/A_2") == 0);
	CHECK(ids_ascending(&k));
	q.resource = "";
	CHECK(k.n == 3 && audq(r, &q, &k) && k.n == 5);
	q.resource = NULL;
	q.actor = "local:root";
	CHECK(strcmp(audq(r, &q, &k), "profiles/p1,") == 0);
	q.actor = "token:ops";
	q.resource = "devices/A";
	CHECK(strcmp(audq(r, &q, &k), "devices/AU-1,devices/A%1") == 0);
	q = (struct reg_query)REG_QUERY_INIT;
	q.since = 200;
	q.before = 400;
	CHECK(strcmp(audq(r, &q, &k), "devices/A%1,devices/A_2") == 0);
	/* cursor: pages of 2, the last short, then nothing */
	q = (struct reg_query)REG_QUERY_INIT;
	q.limit = 2;
	CHECK(strcmp(audq(r, &q, &k), "devices/AU-1,devices/A%1") == 0);
	q.after_id = k.last_id;
	CHECK(strcmp(audq(r, &q, &k), "devices/A_2,profiles/p1") == 0);
	q.after_id = k.last_id;
	CHECK(audq(r, &q, &k) && k.n == 1);
	q.after_id = k.last_id;
	CHECK(strcmp(audq(r, &q, &k), "") == 0);
	q.resource = "devices/"; /* after_id with the resource form */
	q.after_id = 0;
	q.limit = 1;
	CHECK(strcmp(audq(r, &q, &k), "devices/AU-1") == 0);
	q.after_id = k.last_id;
	CHECK(strcmp(audq(r, &q, &k), "devices/A%1") == 0);

	/* a resource prefix reads its index */
	captured[0] = '\0';
	capture_sql = "SELECT time, actor";
	audq(r, &q, &k);
	capture_sql = NULL;
	query_plan(db, captured, plan, sizeof(plan));
	CHECK(on_pg ||
	      strstr(plan, "USING INDEX audit_resource (resource>? AND resource<?)") != NULL);

	/* what does not fit or is missing */
	mkaudit(&a, "", "device.create", "devices/x", 1);
	CHECK_RC(reg_audit_add(r, &a, &e), SZTP_E_INVALID_VALUE);
	mkaudit(&a, "local:root", "", "devices/x", 1);
	CHECK_RC(reg_audit_add(r, &a, &e), SZTP_E_INVALID_VALUE);
	mkaudit(&a, "local:root", "x", "devices/x", 1);
	memset(a.resource, 'r', sizeof(a.resource));
	CHECK_RC(reg_audit_add(r, &a, &e), SZTP_E_INVALID_VALUE);
	reg_audit_clear(NULL);
}

static void mktoken(struct reg_token *t, const char *name, uint8_t fill, enum reg_token_scope sc)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	memset(t->hash, fill, sizeof(t->hash));
	t->scope = sc;
}

static void test_tokens(struct reg *r)
{
	struct sztp_err e = {0};
	struct reg_token t, g;
	uint8_t h[REG_TOKEN_HASH_LEN];
	struct keys k;

	memset(&k, 0, sizeof(k));
	CHECK_RC(reg_token_list(r, NULL, 0, keys_token, &k, &e), SZTP_OK);
	CHECK(k.n == 0);

	mktoken(&t, "ops", 0x11, REG_TOKEN_WRITE);
	t.created = 1000;
	t.expires = 5000;
	CHECK_RC(reg_token_add(r, &t, &e), SZTP_OK);
	mktoken(&t, "nms", 0x22, REG_TOKEN_READ);
	CHECK_RC(reg_token_add(r, &t, &e), SZTP_OK);
	mktoken(&t, "backup", 0x33, REG_TOKEN_READ);
	CHECK_RC(reg_token_add(r, &t, &e), SZTP_OK);
	/* a taken name, a taken hash, bad scope and name */
	mktoken(&t, "ops", 0x44, REG_TOKEN_READ);
	memset(&e, 0, sizeof(e));
	CHECK_RC(reg_token_add(r, &t, &e), SZTP_E_EXISTS);
	CHECK(strstr(e.msg, "'ops' exists") != NULL);
	mktoken(&t, "other", 0x11, REG_TOKEN_READ);
	CHECK_RC(reg_token_add(r, &t, &e), SZTP_E_EXISTS);
	mktoken(&t, "other", 0x55, (enum reg_token_scope)3);
	CHECK_RC(reg_token_add(r, &t, &e), SZTP_E_INVALID_VALUE);
	mktoken(&t, "", 0x55, REG_TOKEN_READ);
	CHECK_RC(reg_token_add(r, &t, &e), SZTP_E_INVALID_VALUE);

	/* by hash and by name */
	memset(h, 0x11, sizeof(h));
	memset(&g, 0xa5, sizeof(g));
	CHECK_RC(reg_token_get_by_hash(r, h, &g, &e), SZTP_OK);
	CHECK(strcmp(g.name, "ops") == 0 && g.scope == REG_TOKEN_WRITE && g.created == 1000 &&
	      g.expires == 5000 && g.revoked == 0 && memcmp(g.hash, h, sizeof(h)) == 0);
	memset(&g, 0xa5, sizeof(g));
	CHECK_RC(reg_token_get(r, "nms", &g, &e), SZTP_OK);
	CHECK(g.scope == REG_TOKEN_READ && g.created > 1600000000 && g.expires == 0);
	memset(h, 0x99, sizeof(h));
	memset(&g, 0xa5, sizeof(g));
	CHECK_RC(reg_token_get_by_hash(r, h, &g, &e), SZTP_E_NOT_FOUND);
	CHECK(zeroed(&g, sizeof(g)));
	memset(&g, 0xa5, sizeof(g));
	CHECK_RC(reg_token_get(r, "nobody", &g, &e), SZTP_E_NOT_FOUND);
	CHECK(zeroed(&g, sizeof(g)));
	memset(&g, 0xa5, sizeof(g));
	CHECK_RC(reg_token_get(r, "", &g, &e), SZTP_E_INVALID_VALUE);
	CHECK(zeroed(&g, sizeof(g)));
	/* a database failure leaves the output zeroed (SQLite: injected;
	 * PostgreSQL: test_pg_conn_lost) */
	memset(h, 0x22, sizeof(h));
	if (!on_pg) {
		memset(&g, 0xa5, sizeof(g));
		fault_arm("SELECT name, hash", SQLITE_IOERR);
		CHECK_RC(reg_token_get_by_hash(r, h, &g, &e), SZTP_E_DB);
		CHECK(fault_fired());
		CHECK(zeroed(&g, sizeof(g)));
	}
	CHECK_RC(reg_token_get_by_hash(r, h, &g, &e), SZTP_OK); /* and it was reset */

	/* revoke: once sets the time, twice keeps it; the row stays findable */
	CHECK_RC(reg_token_revoke(r, "nms", 7000, &e), SZTP_OK);
	CHECK_RC(reg_token_revoke(r, "nms", 8000, &e), SZTP_OK);
	CHECK_RC(reg_token_get_by_hash(r, h, &g, &e), SZTP_OK);
	CHECK(strcmp(g.name, "nms") == 0 && g.revoked == 7000);
	CHECK_RC(reg_token_revoke(r, "nobody", 7000, &e), SZTP_E_NOT_FOUND);
	mktoken(&t, "nms", 0x66, REG_TOKEN_READ); /* its name stays taken */
	CHECK_RC(reg_token_add(r, &t, &e), SZTP_E_EXISTS);

	/* listed by name, paged */
	memset(&k, 0, sizeof(k));
	CHECK_RC(reg_token_list(r, NULL, 0, keys_token, &k, &e), SZTP_OK);
	CHECK(strcmp(k.s, "backup,nms,ops") == 0);
	memset(&k, 0, sizeof(k));
	CHECK_RC(reg_token_list(r, NULL, 2, keys_token, &k, &e), SZTP_OK);
	CHECK(strcmp(k.s, "backup,nms") == 0);
	memset(&k, 0, sizeof(k));
	CHECK_RC(reg_token_list(r, "nms", 2, keys_token, &k, &e), SZTP_OK);
	CHECK(strcmp(k.s, "ops") == 0);
	memset(&k, 0, sizeof(k));
	CHECK_RC(reg_token_list(r, "ops", 2, keys_token, &k, &e), SZTP_OK);
	CHECK(k.n == 0);
	memset(&k, 0, sizeof(k));
	CHECK_RC(reg_token_list(r, "c", 0, keys_token, &k, &e), SZTP_OK); /* a deleted key */
	CHECK(strcmp(k.s, "nms,ops") == 0);
}

/* Every admin change replaces the row's revision; a device's contacts
 * (seen, progress, the first pin) do not. */
static void test_revisions(struct reg *r)
{
	uint8_t pin[REG_PIN_LEN], pin2[REG_PIN_LEN];
	struct sztp_err e = {0};
	struct reg_profile p;
	struct reg_device d;
	int64_t rev = 0, rev2 = 0, r0 = 0;
	int recorded = 0;

	mkprofile(&p, "prev");
	CHECK_RC(reg_profile_put(r, &p, &e), SZTP_OK);
	mkdev(&d, "REV-1", "prev");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK_RC(reg_device_get(r, "REV-1", &d, &e), SZTP_OK);
	CHECK_RC(reg_device_revision(r, "REV-1", &rev, &e), SZTP_OK);
	CHECK(rev == d.revision && rev > 0);
	reg_device_clear(&d);
	rev2 = -1;
	CHECK_RC(reg_device_revision(r, "REV-404", &rev2, &e), SZTP_E_NOT_FOUND);
	CHECK(rev2 == 0);
	rev2 = -1;
	CHECK_RC(reg_device_revision(r, "", &rev2, &e), SZTP_E_INVALID_VALUE);
	CHECK(rev2 == 0);
	if (!on_pg) {
		rev2 = -1;
		fault_arm("SELECT revision FROM devices", SQLITE_IOERR);
		CHECK_RC(reg_device_revision(r, "REV-1", &rev2, &e), SZTP_E_DB);
		CHECK(fault_fired() && rev2 == 0);
	}

	/* contacts leave it */
	memset(pin, 0x5a, sizeof(pin));
	CHECK_RC(reg_device_seen(r, "REV-1", "bootstrap-initiated", 100, &e), SZTP_OK);
	add_progress(r, "REV-1", "bootstrap-complete", 200);
	CHECK_RC(reg_device_pin_record(r, "REV-1", pin, &recorded, &e), SZTP_OK);
	CHECK(recorded == 1);
	CHECK_RC(reg_device_revision(r, "REV-1", &rev2, &e), SZTP_OK);
	CHECK(rev2 == rev);
	/* setting or clearing the pin is an admin change */
	memset(pin2, 0xa5, sizeof(pin2));
	CHECK_RC(reg_device_pin_set(r, "REV-1", pin2, &e), SZTP_OK);
	CHECK_RC(reg_device_revision(r, "REV-1", &rev2, &e), SZTP_OK);
	CHECK(rev2 != rev && rev2 > 0);
	rev = rev2;
	CHECK_RC(reg_device_pin_set(r, "REV-1", NULL, &e), SZTP_OK);
	CHECK_RC(reg_device_revision(r, "REV-1", &rev2, &e), SZTP_OK);
	CHECK(rev2 != rev);

	/* the profile's pin setting too */
	CHECK_RC(reg_profile_get(r, "prev", &p, &e), SZTP_OK);
	r0 = p.revision;
	reg_profile_clear(&p);
	CHECK_RC(reg_profile_pin_set(r, "prev", 1, &e), SZTP_OK);
	CHECK_RC(reg_profile_get(r, "prev", &p, &e), SZTP_OK);
	CHECK(p.revision != r0 && p.revision > 0);
	r0 = p.revision;
	reg_profile_clear(&p);
	CHECK_RC(reg_profile_pin_set(r, "prev", 0, &e), SZTP_OK);
	CHECK_RC(reg_profile_get(r, "prev", &p, &e), SZTP_OK);
	CHECK(p.revision != r0);
	reg_profile_clear(&p);
	CHECK_RC(reg_profile_pin_set(r, "nope", 1, &e), SZTP_E_NOT_FOUND);
}

/* The admin API's calls, on a registry of their own (empty tables): p. */
static void test_admin(const char *p)
{
	struct sztp_err e = {0};
	struct reg *r = NULL;
	char out[64];

	CHECK_RC(reg_open(p, &r, &e), SZTP_OK);
	if (!r)
		return;
	CHECK(reg_schema_version(r) >= 5);
	CHECK(db_sql(p, "SELECT name FROM schema_version WHERE version = 5;", out, sizeof(out)) ==
	      0);
	CHECK(strcmp(out, "005_admin") == 0);
	test_device_query(r, p);
	test_progress_log_query(r, p);
	test_audit(r, p);
	test_tokens(r);
	test_revisions(r);
	reg_close(r);
}

/* ---- both backends ---------------------------------------------------------- */

/* The cases that hold for every backend: db the registry (a SQLite path
 * or a PostgreSQL URI), admin_db an empty one for the admin API's. */
static void run_common(const char *db, const char *admin_db)
{
	struct sztp_err e = {0};
	struct reg *r = NULL;

	dbnow = db;
	on_pg = reg_is_postgresql(db);
	test_admin(admin_db);
	CHECK_RC(reg_open(db, &r, &e), SZTP_OK);
	if (!r) {
		fprintf(stderr, "reg_open: %s\n", e.msg);
		return;
	}
	test_voucher_window(r);
	test_devices(r);
	test_profiles(r);
	test_lenient_profile(r);
	test_owners(r);
	test_bootstrap(r);
	test_getter_failures(r);
	test_progress(r);
	test_transactions(r);
	test_two_handles(r);
	test_txn_isolation(r);
	test_threads(r);
	test_bulk(r);
	test_log_trim(r);
	reg_close(r);
}

/* ---- PostgreSQL only ----------------------------------------------------------- */

/* reg_create / reg_open_existing / a newer schema on a server's databases. */
static void test_pg_open(void)
{
	struct sztp_err e = {0};
	struct reg *r = NULL;
	char uri[512], out[256];

	if (!pgtest_fresh("create", uri, sizeof(uri))) {
		CHECK(!"pgtest_fresh");
		return;
	}
	/* an empty database: not a registry, and left empty */
	CHECK_RC(reg_open_existing(uri, &r, &e), SZTP_E_INVALID_VALUE);
	CHECK(r == NULL && strstr(e.msg, "not an sztp registry") != NULL);
	CHECK(pgtest_query(uri, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", out,
			   sizeof(out)) == 0 &&
	      strcmp(out, "0") == 0);
	/* made and migrated once, then refused */
	CHECK_RC(reg_create(uri, &r, &e), SZTP_OK);
	CHECK(r && reg_schema_version(r) >= 8);
	reg_close(r);
	r = NULL;
	memset(&e, 0, sizeof(e));
	CHECK_RC(reg_create(uri, &r, &e), SZTP_E_EXISTS);
	CHECK(r == NULL && strstr(e.msg, "holds an sztp registry already") != NULL);
	CHECK_RC(reg_open_existing(uri, &r, &e), SZTP_OK);
	reg_close(r);
	r = NULL;
	/* a database newer than this program is refused, clearly */
	CHECK(pgtest_query(uri, "INSERT INTO schema_version VALUES (999, '999_future', 0)", out,
			   sizeof(out)) == 0);
	memset(&e, 0, sizeof(e));
	CHECK_RC(reg_open(uri, &r, &e), SZTP_E_UNSUPPORTED);
	CHECK(r == NULL && strstr(e.msg, "999") != NULL && strstr(e.msg, "newer") != NULL);
}

/* No server, or a URI libpq cannot read: unavailable, the password never
 * in the message. */
static void test_pg_unreachable(void)
{
	static const char *const bad[] = {
	    "postgresql://sztp:s3cr3t-pw@127.0.0.1:1/sztp",	     /* refused */
	    "postgresql://sztp@127.0.0.1:1/sztp?password=s3cr3t-pw", /* refused */
	    "postgresql://sztp:s3cr3t-pw@[::1/sztp",		     /* unparsable */
	    "postgresql://sztp:s3cr3t-pw@127.0.0.1:1/sztp?bogus=1",  /* unknown option */
	};
	struct sztp_err e;
	struct reg *r = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		CHECK_RC(reg_open(bad[i], &r, &e), SZTP_E_UNAVAILABLE);
		CHECK(r == NULL && e.msg[0] != '\0');
		CHECK(strstr(e.msg, "s3cr3t-pw") == NULL);
		if (strstr(e.msg, "s3cr3t-pw"))
			fprintf(stderr, "password in: %s\n", e.msg);
	}
}

struct opener {
	const char *uri;
	sztp_rc rc;
	int version;
};

static void *open_one(void *arg)
{
	struct opener *o = arg;
	struct reg *r = NULL;

	o->rc = reg_open(o->uri, &r, NULL);
	o->version = reg_schema_version(r);
	reg_close(r);
	return NULL;
}

/* Several instances starting on a new database at once: every migration
 * is applied once (the advisory lock), each of them opens. */
static void test_pg_migrate_race(void)
{
	struct opener o[4];
	pthread_t th[4];
	char uri[512], out[64], want[16];
	int i;

	if (!pgtest_fresh("race", uri, sizeof(uri))) {
		CHECK(!"pgtest_fresh");
		return;
	}
	for (i = 0; i < 4; i++) {
		o[i] = (struct opener){uri, SZTP_E_INTERNAL, 0};
		CHECK(pthread_create(&th[i], NULL, open_one, &o[i]) == 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_RC(o[i].rc, SZTP_OK);
		CHECK(o[i].version >= 8 && o[i].version == o[0].version);
	}
	CHECK(pgtest_query(uri, "SELECT count(*) FROM schema_version", out, sizeof(out)) == 0);
	CHECK(pgtest_query(uri, "SELECT count(DISTINCT version) FROM schema_version", want,
			   sizeof(want)) == 0);
	CHECK(atoi(out) >= 7 && strcmp(out, want) == 0);
	CHECK(pgtest_query(uri, "SELECT max(version) FROM schema_version", out, sizeof(out)) == 0);
	CHECK(atoi(out) == o[0].version);
}

/* Text PostgreSQL cannot store (not UTF-8, NUL-free): refused as invalid,
 * and inside reg_begin the failed call undoes only itself, as a failing
 * constraint does: the caller's other rows commit.  Hostile but valid
 * serials are stored as they are. */
static void test_pg_savepoints(struct reg *r, const char *uri)
{
	static const char *const notutf8[] = {
	    "\xff\xfe",		   /* never UTF-8 */
	    "SN-\xc0\x80",	   /* an overlong NUL */
	    "SN-\xed\xa0\x80",	   /* a surrogate */
	    "SN-\xf4\x90\x80\x80", /* past U+10FFFF */
	    "SN-\xe2\x82",	   /* cut short */
	};
	static const char *const hostile[] = {
	    "x'); DROP TABLE devices; --",
	    "$1",
	    "%_\\'\"",
	    "SN-\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e",
	};
	struct sztp_err e = {0};
	struct reg_progress p;
	struct reg_device d;
	struct reg_log l;
	char out[64];
	int64_t n = 0;
	size_t i;

	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	mkdev(&d, "SP-1", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	for (i = 0; i < sizeof(notutf8) / sizeof(notutf8[0]); i++) {
		mkdev(&d, notutf8[i], NULL);
		memset(&e, 0, sizeof(e));
		CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_INVALID_VALUE);
		CHECK(strstr(e.msg, "UTF-8") != NULL);
		CHECK_RC(reg_device_get(r, notutf8[i], &d, &e), SZTP_E_INVALID_VALUE);
		CHECK(zeroed(&d, sizeof(d)));
		CHECK_RC(reg_device_seen(r, notutf8[i], NULL, 5, &e), SZTP_E_INVALID_VALUE);
		memset(&l, 0, sizeof(l));
		snprintf(l.serial, sizeof(l.serial), "%s", notutf8[i]);
		CHECK_RC(reg_log_add(r, &l, &e), SZTP_E_INVALID_VALUE);
	}
	memset(&p, 0, sizeof(p));
	snprintf(p.serial, sizeof(p.serial), "SP-1");
	snprintf(p.type, sizeof(p.type), "bootstrap-error");
	p.message = (char *)"bad \xff byte";
	CHECK_RC(reg_progress_add(r, &p, &e), SZTP_E_INVALID_VALUE);
	/* the server's own refusals: duplicate, unknown profile */
	mkdev(&d, "SP-1", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_EXISTS);
	mkdev(&d, "SP-3", "no-such-profile");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_NOT_FOUND);
	mkdev(&d, "SP-2", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		mkdev(&d, hostile[i], NULL);
		CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	}
	CHECK_RC(reg_commit(r, &e), SZTP_OK);
	CHECK(pgtest_query(uri,
			   "SELECT count(*) FROM devices WHERE serial IN ('SP-1', 'SP-2') OR "
			   "serial LIKE 'x'')%' OR serial = '$1'",
			   out, sizeof(out)) == 0 &&
	      strcmp(out, "4") == 0);
	CHECK(pgtest_query(uri, "SELECT count(*) FROM pg_tables WHERE tablename = 'devices'", out,
			   sizeof(out)) == 0 &&
	      strcmp(out, "1") == 0);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		CHECK_RC(reg_device_get(r, hostile[i], &d, &e), SZTP_OK);
		CHECK(strcmp(d.serial, hostile[i]) == 0);
		reg_device_clear(&d);
		CHECK_RC(reg_device_remove(r, hostile[i], &e), SZTP_OK);
	}
	/* outside a transaction: the same answers */
	mkdev(&d, notutf8[0], NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(reg_device_remove(r, "SP-1", &e), SZTP_OK);
	CHECK_RC(reg_device_remove(r, "SP-2", &e), SZTP_OK);
	CHECK_RC(reg_device_count(r, &n, &e), SZTP_OK);
	CHECK(n >= 0);
}

/* A write inside reg_begin is one round trip (its savepoint, the
 * statement and the release pipelined), also on a connection that has not
 * prepared it yet; a failed one two (the rollback to its savepoint), with
 * today's codes and messages, and the caller's transaction stays usable
 * after a failure in the middle.  A multi-statement call's savepoint goes
 * with its first statement. */
static void test_pg_round_trips(struct reg *r, const char *uri)
{
	struct sztp_err e = {0};
	struct reg_device d;
	struct reg *fresh = NULL;
	char out[64];
	uint64_t n = 0;

	CHECK_RC(reg_prune(r, 1, NULL, NULL, &e), SZTP_OK); /* its statements prepared */
	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	n = rpg_round_trips(r->pg);
	mkdev(&d, "RT-1", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK(rpg_round_trips(r->pg) == n + 1);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_EXISTS);
	CHECK(strstr(e.msg, "already enrolled") != NULL);
	CHECK(rpg_round_trips(r->pg) == n + 3);
	mkdev(&d, "RT-2", "no-such-profile");
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_NOT_FOUND);
	CHECK(rpg_round_trips(r->pg) == n + 5);
	mkdev(&d, "RT-2", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK(rpg_round_trips(r->pg) == n + 6);
	/* a call of several statements (reg_prune: two): its savepoint goes
	 * with the first, so one round trip fewer than BEGIN .. COMMIT */
	n = rpg_round_trips(r->pg);
	CHECK_RC(reg_prune(r, 1, NULL, NULL, &e), SZTP_OK);
	CHECK(rpg_round_trips(r->pg) == n + 3);
	n = rpg_round_trips(r->pg);
	mkdev(&d, "RT-2", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_EXISTS);
	CHECK_RC(reg_prune(r, 1, NULL, NULL, &e), SZTP_OK);
	CHECK(rpg_round_trips(r->pg) == n + 5);
	CHECK_RC(reg_commit(r, &e), SZTP_OK);
	n = rpg_round_trips(r->pg);
	CHECK_RC(reg_prune(r, 1, NULL, NULL, &e), SZTP_OK);
	CHECK(rpg_round_trips(r->pg) == n + 4);
	CHECK(pgtest_query(uri, "SELECT count(*) FROM devices WHERE serial LIKE 'RT-%'", out,
			   sizeof(out)) == 0 &&
	      strcmp(out, "2") == 0);
	/* a new connection: the statement is prepared inside the pipeline,
	 * and a failure of its first use leaves it prepared */
	CHECK_RC(reg_open_existing(uri, &fresh, &e), SZTP_OK);
	if (fresh) {
		CHECK_RC(reg_begin(fresh, &e), SZTP_OK);
		n = rpg_round_trips(fresh->pg);
		mkdev(&d, "RT-1", NULL);
		CHECK_RC(reg_device_add(fresh, &d, &e), SZTP_E_EXISTS);
		CHECK(rpg_round_trips(fresh->pg) == n + 2);
		mkdev(&d, "RT-3", NULL);
		CHECK_RC(reg_device_add(fresh, &d, &e), SZTP_OK);
		CHECK(rpg_round_trips(fresh->pg) == n + 3);
		CHECK_RC(reg_commit(fresh, &e), SZTP_OK);
		reg_close(fresh);
	}
	CHECK(pgtest_query(uri, "SELECT count(*) FROM devices WHERE serial LIKE 'RT-%'", out,
			   sizeof(out)) == 0 &&
	      strcmp(out, "3") == 0);
	CHECK_RC(reg_device_remove(r, "RT-1", &e), SZTP_OK);
	CHECK_RC(reg_device_remove(r, "RT-2", &e), SZTP_OK);
	CHECK_RC(reg_device_remove(r, "RT-3", &e), SZTP_OK);
}

/* The server ends the session (a restart, a failover): the call fails as
 * unavailable with its output zeroed, inside a transaction the commit
 * fails too, and the next call reconnects. */
static void test_pg_conn_lost(struct reg *r, const char *uri)
{
	static const char kill[] = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
				   "WHERE datname = current_database() AND pid <> pg_backend_pid()";
	struct sztp_err e = {0};
	struct reg_device d;
	struct reg_owner o;
	char out[64];

	mkdev(&d, "CL-1", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK(pgtest_query(uri, kill, out, sizeof(out)) == 0 && atoi(out) >= 1);
	memset(&d, 0xa5, sizeof(d));
	CHECK_RC(reg_device_get(r, "CL-1", &d, &e), SZTP_E_UNAVAILABLE);
	CHECK(zeroed(&d, sizeof(d)));
	CHECK_RC(reg_device_get(r, "CL-1", &d, &e), SZTP_OK); /* reconnected */
	reg_device_clear(&d);
	CHECK(pgtest_query(uri, kill, out, sizeof(out)) == 0 && atoi(out) >= 1);
	memset(&o, 0xa5, sizeof(o));
	CHECK_RC(reg_owner_get(r, "nobody", &o, &e), SZTP_E_UNAVAILABLE);
	CHECK(zeroed(&o, sizeof(o)));
	/* inside reg_begin: no reconnect until it ends; nothing committed */
	CHECK_RC(reg_begin(r, &e), SZTP_OK);
	mkdev(&d, "CL-2", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_OK);
	CHECK(pgtest_query(uri, kill, out, sizeof(out)) == 0 && atoi(out) >= 1);
	mkdev(&d, "CL-3", NULL);
	CHECK_RC(reg_device_add(r, &d, &e), SZTP_E_UNAVAILABLE);
	CHECK(reg_commit(r, &e) != SZTP_OK);
	reg_rollback(r);
	CHECK_RC(reg_device_get(r, "CL-2", &d, &e), SZTP_E_NOT_FOUND);
	CHECK_RC(reg_device_remove(r, "CL-1", &e), SZTP_OK);
}

struct writer {
	const char *uri;
	volatile int read_done;
	int64_t rev_seen;
	sztp_rc rc;
};

/* A second instance's admin change: reg_begin, read the revision (as an
 * If-Match check does), write. */
static void *second_writer(void *arg)
{
	struct writer *w = arg;
	struct reg_device d;
	struct reg *r = NULL;

	w->rc = reg_open_existing(w->uri, &r, NULL);
	if (w->rc == SZTP_OK)
		w->rc = reg_begin(r, NULL);
	if (w->rc == SZTP_OK)
		w->rc = reg_device_revision(r, "LU-1", &w->rev_seen, NULL);
	w->read_done = 1;
	mkdev(&d, "LU-1", NULL);
	if (w->rc == SZTP_OK)
		w->rc = reg_device_update(r, &d, NULL);
	if (w->rc == SZTP_OK)
		w->rc = reg_commit(r, NULL);
	else
		reg_rollback(r);
	reg_close(r);
	return NULL;
}

/* No lost update between instances: while one instance's reg_begin
 * transaction has read a device's revision and not yet committed its
 * write, another's transaction waits before its first read, and then
 * reads the revision the first one wrote (as SQLite's BEGIN IMMEDIATE). */
static void test_pg_lost_update(struct reg *r, const char *uri)
{
	struct writer w = {uri, 0, 0, SZTP_E_INTERNAL};
	struct reg_device d;
	int64_t before = 0, after = 0;
	pthread_t th;
	int i;

	mkdev(&d, "LU-1", NULL);
	CHECK_RC(reg_device_add(r, &d, NULL), SZTP_OK);
	CHECK_RC(reg_begin(r, NULL), SZTP_OK);
	CHECK_RC(reg_device_revision(r, "LU-1", &before, NULL), SZTP_OK);
	CHECK(pthread_create(&th, NULL, second_writer, &w) == 0);
	for (i = 0; i < 30 && !w.read_done; i++)
		usleep(10000);
	CHECK(!w.read_done); /* it waits for this transaction */
	CHECK_RC(reg_device_update(r, &d, NULL), SZTP_OK);
	CHECK_RC(reg_device_revision(r, "LU-1", &after, NULL), SZTP_OK);
	CHECK_RC(reg_commit(r, NULL), SZTP_OK);
	pthread_join(th, NULL);
	CHECK_RC(w.rc, SZTP_OK);
	CHECK(after != before && w.rev_seen == after);
	CHECK_RC(reg_device_remove(r, "LU-1", NULL), SZTP_OK);
}

static void run_pg(void)
{
	struct sztp_err e = {0};
	struct reg *r = NULL;
	char uri[512], admin_uri[512];

	fprintf(stderr, "test_registry: ---- the PostgreSQL half (%s) ----\n", pgtest_server());
	if (!pgtest_fresh("reg", uri, sizeof(uri)) ||
	    !pgtest_fresh("regadm", admin_uri, sizeof(admin_uri))) {
		CHECK(!"a fresh PostgreSQL database (SZTP_TEST_PG)");
		return;
	}
	run_common(uri, admin_uri);
	test_pg_open();
	test_pg_unreachable();
	test_pg_migrate_race();
	CHECK_RC(reg_open(uri, &r, &e), SZTP_OK);
	if (r) {
		test_pg_savepoints(r, uri);
		test_pg_round_trips(r, uri);
		test_pg_lost_update(r, uri);
		test_pg_conn_lost(r, uri);
	}
	reg_close(r);
}

int main(void)
{
	char cmd[300], admin_db[300];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	real_step = (int (*)(sqlite3_stmt *))dlsym(RTLD_NEXT, "sqlite3_step");
	if (!real_step) {
		fprintf(stderr, "dlsym(sqlite3_step): %s\n", dlerror());
		return 1;
	}
	path_in_tmp(dbpath, sizeof(dbpath), "reg.db");
	/* SQLite: the file, its modes, fault injection */
	test_open();
	test_lenient_names();
	test_open_modes();
	test_durability();
	test_file_check();
	test_corrupt();
	path_in_tmp(admin_db, sizeof(admin_db), "admin.db");
	run_common(dbpath, admin_db);
	if (pgtest_server())
		run_pg();
	else
		printf("test_registry: SZTP_TEST_PG is not set: the PostgreSQL half did not run\n");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return unit_report("test_registry");
}
