/* Unit tests for server/config.c (sztpd's table for lib/conf.c, which
 * sztpctl reads too): defaults, values, bounds, relative paths, comments
 * and quotes, and errors naming file and line. */
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

static char dir[] = "/tmp/sztp-config-XXXXXX";

static const char *write_conf(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void expect_error(const char *text, const char *want)
{
	struct config c;
	struct sztp_err e = {0};
	const char *p = write_conf("bad.conf", text);

	CHECK_RC(config_load(p, &c, &e), SZTP_E_INVALID_VALUE);
	CHECK(c.tls_cert == NULL && c.database == NULL); /* nothing left to free */
	if (!strstr(e.msg, want))
		fprintf(stderr, "message '%s' lacks '%s'\n", e.msg, want);
	CHECK(strstr(e.msg, want) != NULL);
	config_free(&c);
}

#define REQ "tls-cert = c.pem\ntls-key = k.pem\nclient-ca = /abs/ca.pem\n"

int main(void)
{
	struct config c;
	struct sztp_err e = {0};
	char want[300];
	const char *p;

	if (!mkdtemp(dir))
		return 1;
	p = write_conf("good.conf", "# comment\n\n" REQ "port = 8443\n  threads=3  \n"
				    "basic-auth = no\nlog-level = debug\n");
	CHECK_RC(config_load(p, &c, &e), SZTP_OK);
	CHECK(c.port == 8443);
	CHECK(c.threads == 3);
	CHECK(c.basic_auth == 0);
	CHECK(c.bootstrap_log == 1);
	CHECK(c.max_body == 262144);
	CHECK(!strcmp(c.log_level, "debug"));
	CHECK(!strcmp(c.listen_address, "::"));
	snprintf(want, sizeof(want), "%s/c.pem", dir);
	CHECK(!strcmp(c.tls_cert, want)); /* relative to the file's directory */
	CHECK(!strcmp(c.client_ca, "/abs/ca.pem"));
	CHECK(!strcmp(c.database, "/var/lib/sztp/sztp.db"));
	CHECK(c.yang_dir && c.yang_dir[0]); /* found at run time when not set */
	config_free(&c);

	/* one rule for comments and quotes (conf.h) */
	p = write_conf("good.conf",
		       REQ "database = \"my db.db\"  # quoted: a space\n"
			   "tls-priority = NORMAL:-VERS-ALL:+VERS-TLS1.3 # inline comment\n"
			   "yang-dir = \"/y#ang\"\n");
	CHECK_RC(config_load(p, &c, &e), SZTP_OK);
	snprintf(want, sizeof(want), "%s/my db.db", dir);
	CHECK(!strcmp(c.database, want));
	CHECK(!strcmp(c.tls_priority, "NORMAL:-VERS-ALL:+VERS-TLS1.3"));
	CHECK(!strcmp(c.yang_dir, "/y#ang"));
	config_free(&c);

	/* a PostgreSQL URI is taken as written, never relative (issue 14) */
	p = write_conf("good.conf", REQ "database = postgresql://sztp@db.example/sztp\n");
	CHECK_RC(config_load(p, &c, &e), SZTP_OK);
	CHECK(c.database && !strcmp(c.database, "postgresql://sztp@db.example/sztp"));
	config_free(&c);
	/* ... and one with a password: only in a file nobody else may read */
	p = write_conf("good.conf", REQ "database = postgresql://sztp:pw@db/sztp\n");
	CHECK(chmod(p, 0640) == 0);
	CHECK_RC(config_load(p, &c, &e), SZTP_E_PERM);
	CHECK(strstr(e.msg, "has mode 0640 and its database URI holds a password") != NULL);
	CHECK(strstr(e.msg, ":pw@") == NULL);
	CHECK(c.database == NULL);
	config_free(&c);
	p = write_conf("good.conf", REQ "database = postgres://db/sztp?password=pw\n");
	CHECK(chmod(p, 0604) == 0);
	CHECK_RC(config_load(p, &c, &e), SZTP_E_PERM);
	config_free(&c);
	CHECK(chmod(p, 0600) == 0);
	CHECK_RC(config_load(p, &c, &e), SZTP_OK);
	CHECK(c.database && !strcmp(c.database, "postgres://db/sztp?password=pw"));
	config_free(&c);
	CHECK(chmod(p, 0644) == 0);

	expect_error(REQ "port = 0\n", "bad.conf:4: port: 0 is outside 1..65535");
	expect_error(REQ "port = 80x\n", "bad.conf:4: port: '80x' is not a number");
	expect_error(REQ "colour = blue\n", "bad.conf:4: unknown key 'colour'");
	expect_error(REQ "port = 1\nport = 2\n", "bad.conf:5: 'port' is set twice");
	expect_error("just words\n", "bad.conf:1: expected 'key = value'");
	expect_error(REQ "basic-auth = maybe\n",
		     "bad.conf:4: basic-auth: 'maybe' is not yes or no");
	expect_error(REQ "log-level = chatty\n", "log-level: 'chatty' is not one of");
	expect_error("tls-cert = c.pem\n", "'tls-key' is required");
	expect_error(REQ "database =\n", "bad.conf:4: database: empty value");
	expect_error(REQ "database = \"rel.db\n", "bad.conf:4: database: unterminated quote");
	expect_error(REQ "database = rel.db\"\n", "bad.conf:4: database: '\"' inside an unquoted");

	/* the admin listener (issue 10): off unless admin-port is set; loopback,
	 * the device pair, write scope for admin client certificates, 64 MiB */
	p = write_conf("good.conf", REQ);
	CHECK_RC(config_load(p, &c, &e), SZTP_OK);
	CHECK(c.admin_port == 0);
	CHECK(!strcmp(c.admin_listen_address, "127.0.0.1"));
	CHECK(c.admin_cert == NULL && c.admin_key == NULL && c.admin_client_ca == NULL);
	CHECK(c.admin_client_scope == CONFIG_SCOPE_WRITE);
	CHECK(c.admin_max_body == 64 * 1024 * 1024);
	CHECK(c.admin_threads == 2);
	CHECK(c.masa_ca == NULL && c.admin_openapi == NULL);
	config_free(&c);
	p = write_conf("good.conf", REQ "admin-port = 8444\nadmin-listen-address = ::1\n"
					"admin-cert = a.pem\nadmin-key = a.key\n"
					"admin-client-ca = nms-ca.pem\nadmin-client-scope = read\n"
					"admin-max-body = 1048576\nadmin-threads = 4\n"
					"masa-ca = /etc/sztp/masa.pem\nadmin-openapi = api.json\n");
	CHECK_RC(config_load(p, &c, &e), SZTP_OK);
	CHECK(c.admin_port == 8444 && !strcmp(c.admin_listen_address, "::1"));
	snprintf(want, sizeof(want), "%s/a.key", dir);
	CHECK(c.admin_key && !strcmp(c.admin_key, want));
	snprintf(want, sizeof(want), "%s/nms-ca.pem", dir);
	CHECK(c.admin_client_ca && !strcmp(c.admin_client_ca, want));
	CHECK(c.admin_client_scope == CONFIG_SCOPE_READ);
	CHECK(c.admin_max_body == 1048576 && c.admin_threads == 4);
	CHECK(c.masa_ca && !strcmp(c.masa_ca, "/etc/sztp/masa.pem"));
	snprintf(want, sizeof(want), "%s/api.json", dir);
	CHECK(c.admin_openapi && !strcmp(c.admin_openapi, want));
	config_free(&c);
	expect_error(REQ "admin-client-scope = admin\n",
		     "admin-client-scope: 'admin' is not one of");
	expect_error(REQ "admin-port = 70000\n", "admin-port: 70000 is outside 0..65535");
	expect_error(REQ "admin-threads = 0\n", "admin-threads: 0 is outside 1..64");
	expect_error(REQ "admin-max-body = 100\n", "admin-max-body: 100 is outside");
	/* admin-openapi's default: the share directory next to yang-dir's
	 * default, or the source tree's docs/ */
	config_openapi_default(want, sizeof(want));
	CHECK(strstr(want, "/openapi.json") != NULL);

	CHECK_RC(config_load("/nonexistent/sztpd.conf", &c, &e), SZTP_E_IO);
	config_free(&c);
	unlink(write_conf("good.conf", ""));
	unlink(write_conf("bad.conf", ""));
	rmdir(dir);
	return unit_report("test_config");
}
