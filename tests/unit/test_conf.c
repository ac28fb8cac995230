/* Unit tests for lib/conf.c, the one configuration loader: every type,
 * defaults, bounds, lists, relative paths (against the real directory of
 * the file), the comment and quote rule, and each error with its exact
 * "FILE:LINE: message". */
#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "unit.h"

struct t {
	char *str, *path, *empty_ok, *req, *dev, *url;
	int num, flag, level;
	long big;
	char *choice;
	char *list[3];
	size_t n_list;
	char *paths[2];
	size_t n_paths;
};

static const char *const levels[] = {"low", "mid", "high", NULL};

static const char *must_be_https(const char *v)
{
	return strncmp(v, "https://", 8) ? "not an https URL" : NULL;
}

#define OFF(f) offsetof(struct t, f)
static const struct conf_key keys[] = {
    {"str", CONF_STR, OFF(str), 0, 0, 0, "dflt", NULL, 0, NULL},
    {"path", CONF_PATH, OFF(path), 0, 0, 0, "rel/default", NULL, 0, NULL},
    {"empty-ok", CONF_PATH, OFF(empty_ok), 0, 0, 0, "", NULL, CONF_EMPTY, NULL},
    {"req", CONF_STR, OFF(req), 0, 0, 0, NULL, NULL, CONF_REQUIRED, NULL},
    {"dev", CONF_STR, OFF(dev), 0, 0, 0, NULL, NULL, CONF_REQUIRED | CONF_GROUP(0), NULL},
    {"url", CONF_STR, OFF(url), 0, 0, 0, NULL, NULL, 0, must_be_https},
    {"num", CONF_INT, OFF(num), 0, -5, 100, "7", NULL, 0, NULL},
    {"flag", CONF_BOOL, OFF(flag), 0, 0, 0, "yes", NULL, 0, NULL},
    {"level", CONF_ENUM, OFF(level), 0, 0, 0, "mid", levels, 0, NULL},
    {"big", CONF_LONG, OFF(big), 0, 0, 5000000000L, "4000000000", NULL, 0, NULL},
    {"choice", CONF_ENUM_STR, OFF(choice), 0, 0, 0, "high", levels, 0, NULL},
    {"item", CONF_LIST, OFF(list), OFF(n_list), 0, 3, NULL, NULL, 0, NULL},
    {"file", CONF_PATHLIST, OFF(paths), OFF(n_paths), 0, 2, NULL, NULL, 0, NULL},
};
static const struct conf_table table = CONF_TABLE(keys);

static char dir[] = "/tmp/sztp-conf-XXXXXX";
static char real[PATH_MAX]; /* realpath of dir/real */

/* Write text to dir/NAME; returns the path (static). */
static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fwrite(text, 1, len, f);
		fclose(f);
	}
	return path;
}

static const char *conf(const char *text)
{
	return write_file("link/t.conf", text, strlen(text));
}

/* The load fails with exactly "<dir>/link/t.conf<want>". */
static void expect_error_n(const char *text, size_t len, const char *want, sztp_rc want_rc)
{
	struct t c;
	struct sztp_err e = {0};
	char full[PATH_MAX + 400];
	const char *p = write_file("link/t.conf", text, len);

	snprintf(full, sizeof(full), "%s%s", p, want);
	CHECK_RC(conf_load(&table, p, 0, &c, &e), want_rc);
	if (strcmp(e.msg, full))
		fprintf(stderr, "got  '%s'\nwant '%s'\n", e.msg, full);
	CHECK(!strcmp(e.msg, full));
	CHECK(c.str == NULL && c.path == NULL && c.n_list == 0 && c.list[0] == NULL);
	conf_free(&table, &c); /* safe after a failure */
}

static void expect_error(const char *text, const char *want)
{
	expect_error_n(text, strlen(text), want, SZTP_E_INVALID_VALUE);
}

#define REQ "req = r\ndev = d\n"

static void test_defaults(void)
{
	struct t c;

	memset(&c, 0x5a, sizeof(c)); /* garbage: conf_defaults sets every field */
	conf_defaults(&table, &c);
	CHECK(!strcmp(c.str, "dflt"));
	CHECK(!strcmp(c.path, "rel/default")); /* defaults are stored as written */
	CHECK(!strcmp(c.empty_ok, ""));
	CHECK(c.req == NULL && c.dev == NULL && c.url == NULL);
	CHECK(c.num == 7 && c.flag == 1 && c.level == 1 && c.big == 4000000000L);
	CHECK(!strcmp(c.choice, "high"));
	CHECK(c.n_list == 0 && c.list[0] == NULL && c.n_paths == 0);
	conf_free(&table, &c);
	CHECK(c.str == NULL && c.choice == NULL);
	conf_free(&table, NULL); /* no-op */
}

static void test_values(void)
{
	struct t c;
	struct sztp_err e = {0};
	char want[PATH_MAX + 64];
	const char *p;

	p = conf("# a comment\n"
		 "   \n"
		 "\t# an indented comment\n" REQ "str=  two  words   # a comment\n"
		 "path = sub/file.pem\n"
		 "empty-ok =\n"
		 "url = https://example.net # the server\n"
		 "num = -5\n"
		 "flag = off\n"
		 "level = high\r\n"
		 "big = 5000000000\n"
		 "choice = low\n"
		 "item = a#b\n"
		 "item = \"quoted # not a comment\"   # a comment\n"
		 "file = /abs/one\n"
		 "file = ../two\n");
	CHECK_RC(conf_load(&table, p, 0, &c, &e), SZTP_OK);
	if (e.msg[0])
		fprintf(stderr, "%s\n", e.msg);
	CHECK(!strcmp(c.str, "two  words"));
	snprintf(want, sizeof(want), "%s/sub/file.pem", real); /* the real dir, not link/ */
	CHECK(!strcmp(c.path, want));
	CHECK(!strcmp(c.empty_ok, "")); /* empty allowed: not made a path */
	CHECK(!strcmp(c.url, "https://example.net"));
	CHECK(!strcmp(c.req, "r") && !strcmp(c.dev, "d"));
	CHECK(c.num == -5 && c.flag == 0 && c.level == 2 && c.big == 5000000000L);
	CHECK(!strcmp(c.choice, "low"));
	CHECK(c.n_list == 2);
	CHECK(!strcmp(c.list[0], "a#b")); /* '#' not after a blank: part of the value */
	CHECK(!strcmp(c.list[1], "quoted # not a comment"));
	CHECK(c.n_paths == 2);
	CHECK(!strcmp(c.paths[0], "/abs/one"));
	snprintf(want, sizeof(want), "%s/../two", real);
	CHECK(!strcmp(c.paths[1], want));
	conf_free(&table, &c);
	CHECK(c.n_list == 0 && c.list[0] == NULL && c.paths[1] == NULL);
}

static void test_optional_group(void)
{
	struct t c;
	struct sztp_err e = {0};
	const char *p = conf("req = r\n");

	CHECK_RC(conf_load(&table, p, CONF_GROUP(0), &c, &e), SZTP_OK);
	CHECK(c.dev == NULL && !strcmp(c.req, "r"));
	conf_free(&table, &c);
	/* the group relaxes only its own keys */
	p = conf("dev = d\n");
	CHECK_RC(conf_load(&table, p, CONF_GROUP(0), &c, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, ": 'req' is required") != NULL);
	conf_free(&table, &c);
}

static void test_errors(void)
{
	char longline[5000];
	struct t c;
	struct sztp_err e = {0};
	char want[PATH_MAX + 64];

	expect_error(REQ "colour = blue\n", ":3: unknown key 'colour'");
	expect_error(REQ "str = a\nstr = b\n", ":4: 'str' is set twice");
	expect_error("req = r\nreq = r\n", ":2: 'req' is set twice");
	expect_error(REQ "just words\n", ":3: expected 'key = value'");
	expect_error(REQ " = value\n", ":3: expected 'key = value'");
	expect_error(REQ "num = 12x\n", ":3: num: '12x' is not a number");
	expect_error(REQ "num =\n", ":3: num: '' is not a number");
	expect_error(REQ "num = 101\n", ":3: num: 101 is outside -5..100");
	expect_error(REQ "num = -6\n", ":3: num: -6 is outside -5..100");
	expect_error(REQ "big = 99999999999999999999\n",
		     ":3: big: '99999999999999999999' is outside 0..5000000000");
	expect_error(REQ "flag = maybe\n", ":3: flag: 'maybe' is not yes or no");
	expect_error(REQ "level = top\n", ":3: level: 'top' is not one of low, mid, high");
	expect_error(REQ "choice = \"\"\n", ":3: choice: '' is not one of low, mid, high");
	expect_error(REQ "str =   # nothing but a comment\n", ":3: str: empty value");
	expect_error(REQ "path = \"\"\n", ":3: path: empty value");
	expect_error(REQ "item = \"\"\n", ":3: item: empty value");
	expect_error(REQ "url = http://plain\n", ":3: url: 'http://plain' is not an https URL");
	expect_error(REQ "str = \"open\n", ":3: str: unterminated quote");
	expect_error(REQ "str = \"a\" b\n", ":3: str: text after the closing quote");
	expect_error(REQ "str = a\"b\"\n",
		     ":3: str: '\"' inside an unquoted value (quote the whole value)");
	expect_error(REQ "item = 1\nitem = 2\nitem = 3\nitem = 4\n",
		     ":6: item: more than 3 values");
	expect_error(REQ "file = a\nfile = b\nfile = c\n", ":5: file: more than 2 values");
	expect_error("req = r\n", ": 'dev' is required");
	expect_error("dev = d\n# req is not here\n", ": 'req' is required");
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "str = ", 6);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	expect_error(longline, ":1: line too long (over 4096 bytes)");
	expect_error_n(REQ "str = a\0b\n", sizeof(REQ "str = a\0b\n") - 1,
		       ":3: NUL byte in the line", SZTP_E_INVALID_VALUE);

	/* an unreadable file: SZTP_E_IO naming it */
	snprintf(want, sizeof(want), "%s/nonexistent.conf", dir);
	CHECK_RC(conf_load(&table, want, 0, &c, &e), SZTP_E_IO);
	CHECK(!strncmp(e.msg, want, strlen(want)) && strstr(e.msg, "No such file") != NULL);
	conf_free(&table, &c);
}

/* A last line without a newline still counts; a file of comments only
 * still wants its required keys. */
static void test_edges(void)
{
	struct t c;
	struct sztp_err e = {0};
	const char *p = conf(REQ "num = 42");

	CHECK_RC(conf_load(&table, p, 0, &c, &e), SZTP_OK);
	CHECK(c.num == 42);
	conf_free(&table, &c);
	p = conf("");
	CHECK_RC(conf_load(&table, p, CONF_GROUP(0), &c, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "'req' is required") != NULL);
	conf_free(&table, &c);
}

int main(void)
{
	char path[PATH_MAX + 64];

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/real", dir);
	if (mkdir(path, 0700) || !realpath(path, real))
		return 1;
	snprintf(path, sizeof(path), "%s/link", dir);
	if (symlink("real", path))
		return 1;

	test_defaults();
	test_values();
	test_optional_group();
	test_errors();
	test_edges();

	unlink(write_file("link/t.conf", "", 0));
	unlink(path);
	snprintf(path, sizeof(path), "%s/real", dir);
	rmdir(path);
	rmdir(dir);
	return unit_report("test_conf");
}
