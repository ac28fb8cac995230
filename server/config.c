/*
 * config.c - the sztpd configuration file as one table of keys (name,
 * type, bounds, default) read by lib/conf.c.  sztpctl links this file to
 * read the `database` of the same file exactly as sztpd does.  Relative
 * paths are taken relative to the config file's directory, so a config
 * and its PKI can be moved together.
 */
#include <arpa/inet.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "config.h"
#include "passwd.h"
#include "registry.h"
#include "util.h"

static const char *const log_levels[] = {"err", "warn", "info", "debug", NULL};
static const char *const log_targets[] = {"stderr", "syslog", NULL};
static const char *const scopes[] = {"read", "write", NULL}; /* CONFIG_SCOPE_* */
/* RFC 5424 s6.2.1 facilities 0..11 by their syslog(3) names, then local0..local7 (16..23) */
const char *const config_syslog_facilities[] = {
    "kern",   "user",	"mail",	  "daemon",   "auth",	"syslog", "lpr",
    "news",   "uucp",	"cron",	  "authpriv", "ftp",	"local0", "local1",
    "local2", "local3", "local4", "local5",   "local6", "local7", NULL};
static const char *syslog_target_check(const char *value);
static const char *manufacturer_ca_check(const char *value);
static sztp_rc manufacturer_ca_absolute(struct config *cfg, const char *path, struct sztp_err *e);
static sztp_rc database_absolute(struct config *cfg, const char *path, struct sztp_err *e);
static sztp_rc database_secret_check(const struct config *cfg, const char *path,
				     struct sztp_err *e);

#define OFF(f) offsetof(struct config, f)
#define REQ    CONF_REQUIRED
static const struct conf_key keys[] = {
    {"listen-address", CONF_STR, OFF(listen_address), 0, 0, 0, "::", NULL, 0, NULL},
    {"port", CONF_INT, OFF(port), 0, 1, 65535, "443", NULL, 0, NULL},
    {"tls-cert", CONF_PATH, OFF(tls_cert), 0, 0, 0, NULL, NULL, REQ, NULL},
    {"tls-key", CONF_PATH, OFF(tls_key), 0, 0, 0, NULL, NULL, REQ, NULL},
    {"tls-priority", CONF_STR, OFF(tls_priority), 0, 0, 0,
     "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", NULL, 0, NULL},
    /* a second server certificate, ECDSA next to RSA (issue 13); both or neither */
    {"tls-alt-cert", CONF_PATH, OFF(tls_alt_cert), 0, 0, 0, NULL, NULL, 0, NULL},
    {"tls-alt-key", CONF_PATH, OFF(tls_alt_key), 0, 0, 0, NULL, NULL, 0, NULL},
    /* client-ca or manufacturer-ca: at least one (config_load) */
    {"client-ca", CONF_PATH, OFF(client_ca), 0, 0, 0, NULL, NULL, 0, NULL},
    {"manufacturer-ca", CONF_LIST, OFF(manufacturer_ca), OFF(n_manufacturer_ca), 0, CONFIG_MFR_MAX,
     NULL, NULL, 0, manufacturer_ca_check},
    {"client-crl", CONF_PATHLIST, OFF(client_crl), OFF(n_client_crl), 0, CONFIG_CRL_MAX, NULL, NULL,
     0, NULL},
    /* a path (made absolute in config_load) or a PostgreSQL URI */
    {"database", CONF_STR, OFF(database), 0, 0, 0, "/var/lib/sztp/sztp.db", NULL, 0, NULL},
    {"yang-dir", CONF_PATH, OFF(yang_dir), 0, 0, 0, NULL, NULL, 0, NULL}, /* see below */
    {"threads", CONF_INT, OFF(threads), 0, 0, 256, "0", NULL, 0, NULL},
    {"max-body", CONF_INT, OFF(max_body), 0, 1024, 16 * 1024 * 1024, "262144", NULL, 0, NULL},
    {"max-connections", CONF_INT, OFF(max_connections), 0, 1, 100000, "1024", NULL, 0, NULL},
    {"connection-timeout", CONF_INT, OFF(connection_timeout), 0, 1, 3600, "30", NULL, 0, NULL},
    {"max-connections-per-address", CONF_INT, OFF(max_connections_per_address), 0, 0, 100000, "64",
     NULL, 0, NULL},
    {"request-timeout", CONF_INT, OFF(request_timeout), 0, 1, 3600, "10", NULL, 0, NULL},
    {"basic-auth", CONF_BOOL, OFF(basic_auth), 0, 0, 0, "yes", NULL, 0, NULL},
    {"bootstrap-log", CONF_BOOL, OFF(bootstrap_log), 0, 0, 0, "yes", NULL, 0, NULL},
    {"log-level", CONF_ENUM_STR, OFF(log_level), 0, 0, 0, "info", log_levels, 0, NULL},
    {"log-target", CONF_ENUM_STR, OFF(log_target), 0, 0, 0, "stderr", log_targets, 0, NULL},
    /* limits (docs/configuration.md "Limits"); 0 = none */
    {"log-retention-days", CONF_INT, OFF(log_retention_days), 0, 0, 36500, "90", NULL, 0, NULL},
    {"log-max-rows", CONF_INT, OFF(log_max_rows), 0, 0, 1000000000, "1000000", NULL, 0, NULL},
    {"log-failures-per-address-per-minute", CONF_INT, OFF(log_failures_per_address), 0, 0, 1000000,
     "60", NULL, 0, NULL},
    {"log-failures-per-minute", CONF_INT, OFF(log_failures_per_minute), 0, 0, 10000000, "600", NULL,
     0, NULL},
    {"auth-failures-per-address-per-minute", CONF_INT, OFF(auth_failures_per_address), 0, 0,
     1000000, "60", NULL, 0, NULL},
    {"auth-failures-per-serial-per-minute", CONF_INT, OFF(auth_failures_per_serial), 0, 0, 1000000,
     "10", NULL, 0, NULL},
    {"report-max-bytes", CONF_INT, OFF(report_max_bytes), 0, 0, 16 * 1024 * 1024, "65536", NULL, 0,
     NULL},
    {"reports-per-device-per-hour", CONF_INT, OFF(reports_per_device_per_hour), 0, 0, 1000000,
     "120", NULL, 0, NULL},
    /* privileges and device passwords (issue 9) */
    {"user", CONF_STR, OFF(user), 0, 0, 0, NULL, NULL, 0, NULL},
    {"group", CONF_STR, OFF(group), 0, 0, 0, NULL, NULL, 0, NULL},
    {"allow-root", CONF_BOOL, OFF(allow_root), 0, 0, 0, "no", NULL, 0, NULL},
    {"password-cost", CONF_INT, OFF(password_cost), 0, PASSWD_COST_MIN, PASSWD_COST_MAX, "600000",
     NULL, 0, NULL},
    {"password-hash-concurrency", CONF_INT, OFF(password_hash_concurrency), 0, 0, 1024, "0", NULL,
     0, NULL},
    /* the admin API's listener (issue 10); admin-port 0: none */
    {"admin-listen-address", CONF_STR, OFF(admin_listen_address), 0, 0, 0, "127.0.0.1", NULL, 0,
     NULL},
    {"admin-port", CONF_INT, OFF(admin_port), 0, 0, 65535, "0", NULL, 0, NULL},
    {"admin-cert", CONF_PATH, OFF(admin_cert), 0, 0, 0, NULL, NULL, 0, NULL},
    {"admin-key", CONF_PATH, OFF(admin_key), 0, 0, 0, NULL, NULL, 0, NULL},
    {"admin-client-ca", CONF_PATH, OFF(admin_client_ca), 0, 0, 0, NULL, NULL, 0, NULL},
    {"admin-client-scope", CONF_ENUM, OFF(admin_client_scope), 0, 0, 0, "write", scopes, 0, NULL},
    {"admin-max-body", CONF_INT, OFF(admin_max_body), 0, 1024, 1024 * 1024 * 1024, "67108864", NULL,
     0, NULL},
    {"admin-threads", CONF_INT, OFF(admin_threads), 0, 1, 64, "2", NULL, 0, NULL},
    {"masa-ca", CONF_PATH, OFF(masa_ca), 0, 0, 0, NULL, NULL, 0, NULL},
    {"admin-openapi", CONF_PATH, OFF(admin_openapi), 0, 0, 0, NULL, NULL, 0, NULL},
    /* webhook delivery, event retention (issue 12) */
    {"webhook-batch", CONF_INT, OFF(webhook_batch), 0, 1, 1000, "100", NULL, 0, NULL},
    {"webhook-timeout", CONF_INT, OFF(webhook_timeout), 0, 1, 300, "10", NULL, 0, NULL},
    {"webhook-backoff-max", CONF_INT, OFF(webhook_backoff_max), 0, 1, 86400, "300", NULL, 0, NULL},
    {"webhook-max-age", CONF_INT, OFF(webhook_max_age), 0, 1, 365 * 86400, "86400", NULL, 0, NULL},
    {"event-retention-days", CONF_INT, OFF(event_retention_days), 0, 0, 36500, "7", NULL, 0, NULL},
    /* events as syslog messages (issue 12, events/syslog_sink.c); syslog-target unset: none */
    {"syslog-target", CONF_STR, OFF(syslog_target), 0, 0, 0, NULL, NULL, 0, syslog_target_check},
    {"syslog-ca", CONF_PATH, OFF(syslog_ca), 0, 0, 0, NULL, NULL, 0, NULL},
    {"syslog-cert", CONF_PATH, OFF(syslog_cert), 0, 0, 0, NULL, NULL, 0, NULL},
    {"syslog-key", CONF_PATH, OFF(syslog_key), 0, 0, 0, NULL, NULL, 0, NULL},
    {"syslog-facility", CONF_ENUM_STR, OFF(syslog_facility), 0, 0, 0, "local0",
     config_syslog_facilities, 0, NULL},
    {"syslog-max-age", CONF_INT, OFF(syslog_max_age), 0, 0, 365 * 86400, "86400", NULL, 0, NULL},
};
static const struct conf_table table = CONF_TABLE(keys);
_Static_assert(PASSWD_COST_DEFAULT == 600000, "password-cost default in the table");

/* yang-dir's default is found at run time (next to the program). */
static sztp_rc yang_dir_default(struct config *cfg, struct sztp_err *e)
{
	if (cfg->yang_dir)
		return SZTP_OK;
	if (!(cfg->yang_dir = strdup(sztp_yang_dir_default())))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	return SZTP_OK;
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	conf_defaults(&table, cfg);
	(void)yang_dir_default(cfg, NULL);
}

void config_free(struct config *cfg)
{
	conf_free(&table, cfg);
}

void config_openapi_default(char *out, size_t len)
{
	char share[PATH_MAX], cand[PATH_MAX + 32];

	/* yang-dir's default is <share>/yang (installed) or <src>/yang */
	snprintf(share, sizeof(share), "%s", sztp_yang_dir_default());
	dirname(share);
	snprintf(cand, sizeof(cand), "%s/docs/openapi.json", share);
	if (access(cand, F_OK) != 0)
		snprintf(cand, sizeof(cand), "%s/openapi.json", share);
	snprintf(out, len, "%s", cand);
}

sztp_rc config_load(const char *path, struct config *cfg, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	memset(cfg, 0, sizeof(*cfg));
	if ((rc = conf_load(&table, path, 0, cfg, e)) != SZTP_OK)
		return rc;
	if (!cfg->client_ca && !cfg->n_manufacturer_ca)
		rc = sztp_err_set(e, SZTP_E_IO, "%s: 'client-ca' or 'manufacturer-ca' is required",
				  path);
	if (rc == SZTP_OK)
		rc = manufacturer_ca_absolute(cfg, path, e);
	if (rc == SZTP_OK)
		rc = database_absolute(cfg, path, e);
	if (rc == SZTP_OK)
		rc = database_secret_check(cfg, path, e);
	if (rc == SZTP_OK)
		rc = yang_dir_default(cfg, e);
	if (rc != SZTP_OK)
		config_free(cfg);
	return rc;
}

const char *config_manufacturer_ca_parse(const char *value, struct config_mfr *out)
{
	static __thread char why[200];
	const char *p = value, *tok;
	size_t len, plen;
	int seen_serial = 0;

	memset(out, 0, sizeof(*out));
	while (*p == ' ' || *p == '\t')
		p++;
	plen = strcspn(p, " \t");
	if (!plen)
		return "not 'PATH [serial=subject|sudi] [allow=sha1]'";
	if (!(out->path = strndup(p, plen)))
		return "out of memory";
	for (p += plen; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		tok = p;
		len = strcspn(p, " \t");
		p += len;
		if ((len == 14 && !strncmp(tok, "serial=subject", len)) ||
		    (len == 11 && !strncmp(tok, "serial=sudi", len))) {
			if (seen_serial++)
				goto twice;
			out->serial_sudi = len == 11;
		} else if (len == 10 && !strncmp(tok, "allow=sha1", len)) {
			if (out->allow_sha1++)
				goto twice;
		} else {
			snprintf(why, sizeof(why),
				 "refused: unknown option '%.*s' (options: serial=subject, "
				 "serial=sudi, allow=sha1)",
				 (int)(len > 64 ? 64 : len), tok);
			goto bad;
		}
		continue;
	twice:
		snprintf(why, sizeof(why), "refused: option '%.*s' given twice",
			 (int)(len > 64 ? 64 : len), tok);
		goto bad;
	}
	return NULL;
bad:
	free(out->path);
	memset(out, 0, sizeof(*out));
	return why;
}

static const char *manufacturer_ca_check(const char *value)
{
	struct config_mfr m;
	const char *why = config_manufacturer_ca_parse(value, &m);

	free(m.path);
	return why;
}

/* manufacturer-ca's PATH relative to the file's directory, as CONF_PATH's. */
static sztp_rc manufacturer_ca_absolute(struct config *cfg, const char *path, struct sztp_err *e)
{
	char base[PATH_MAX], *copy, *nv;
	size_t i, lead;
	sztp_rc rc = SZTP_OK;

	for (i = 0; i < cfg->n_manufacturer_ca && rc == SZTP_OK; i++) {
		const char *v = cfg->manufacturer_ca[i];
		lead = strspn(v, " \t");
		if (v[lead] == '/')
			continue;
		if (!(copy = strdup(path)))
			return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		if (!realpath(dirname(copy), base))
			rc = sztp_err_set(e, SZTP_E_IO, "%s: cannot resolve its directory", path);
		free(copy);
		if (rc != SZTP_OK)
			break;
		if (asprintf(&nv, "%s/%s", base, v + lead) < 0)
			return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		free(cfg->manufacturer_ca[i]);
		cfg->manufacturer_ca[i] = nv;
	}
	return rc;
}

/* database: a PostgreSQL URI as written; a path relative to the file's
 * directory, as CONF_PATH's (the default is absolute). */
static sztp_rc database_absolute(struct config *cfg, const char *path, struct sztp_err *e)
{
	char base[PATH_MAX], *copy = NULL, *nv = NULL;
	sztp_rc rc = SZTP_E_NOMEM;

	if (!cfg->database || reg_is_postgresql(cfg->database) || cfg->database[0] == '/')
		return SZTP_OK;
	if (!(copy = strdup(path))) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	if (!realpath(dirname(copy), base)) {
		rc = sztp_err_set(e, SZTP_E_IO, "%s: cannot resolve its directory", path);
		goto out;
	}
	if (asprintf(&nv, "%s/%s", base, cfg->database) < 0) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	free(cfg->database);
	cfg->database = nv;
	rc = SZTP_OK;
out:
	free(copy);
	return rc;
}

/* A database URI with a password in it: the file must be private, as a
 * key file (pki_key_file_check); libpq's passfile keeps it out instead. */
static sztp_rc database_secret_check(const struct config *cfg, const char *path, struct sztp_err *e)
{
	char shown[4096];
	struct stat st;

	if (!cfg->database || !reg_is_postgresql(cfg->database))
		return SZTP_OK;
	reg_redact(cfg->database, shown, sizeof(shown));
	if (!strcmp(shown, cfg->database))
		return SZTP_OK; /* no password in it */
	if (stat(path, &st) != 0)
		return sztp_err_set(e, SZTP_E_IO, "cannot stat %s", path);
	if (st.st_mode & 077)
		return sztp_err_set(e, SZTP_E_PERM,
				    "%s has mode %04o and its database URI holds a password: it "
				    "must not be accessible by group or others (chmod 600), or "
				    "keep the password in libpq's passfile (~/.pgpass, PGPASSFILE)",
				    path, (unsigned)(st.st_mode & 07777));
	return SZTP_OK;
}

int config_syslog_facility_code(const char *name)
{
	int i;

	for (i = 0; name && config_syslog_facilities[i]; i++)
		if (!strcmp(name, config_syslog_facilities[i]))
			return i < 12 ? i : i + 4; /* local0 = 16 */
	return -1;
}

const char *config_syslog_target_parse(const char *value, struct config_syslog_target *out)
{
	static const char *const schemes[] = {"udp://", "tcp://", "tls://"};
	const char *why = "not udp://, tcp:// or tls://HOST:PORT";
	const char *p = value, *host, *end, *port;
	struct in6_addr a6;
	size_t hlen, i;
	long n;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < 3 && value; i++)
		if (!strncmp(value, schemes[i], 6))
			out->proto = CONFIG_SYSLOG_UDP + (int)i;
	if (!out->proto)
		goto bad;
	p = value + 6;
	if (*p == '[') { /* IPv6 literal */
		host = p + 1;
		if (!(end = strchr(host, ']')) || end[1] != ':')
			goto bad;
		port = end + 2;
	} else {
		host = p;
		if (!(end = strchr(host, ':')))
			goto bad;
		port = end + 1;
	}
	hlen = (size_t)(end - host);
	if (!hlen || hlen >= sizeof(out->host)) {
		why = "not udp://, tcp:// or tls://HOST:PORT (no host, or a host too long)";
		goto bad;
	}
	memcpy(out->host, host, hlen);
	if (*p == '[') {
		if (inet_pton(AF_INET6, out->host, &a6) != 1) {
			why = "not an IPv6 address in brackets";
			goto bad;
		}
	} else {
		for (i = 0; i < hlen; i++)
			if (!strchr(
				"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_",
				out->host[i])) {
				why = "not udp://, tcp:// or tls://HOST:PORT (a host name or IP "
				      "address; IPv6 in brackets)";
				goto bad;
			}
	}
	if (!*port || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port) ||
	    (n = strtol(port, NULL, 10)) < 1 || n > 65535) {
		why = "not udp://, tcp:// or tls://HOST:PORT (PORT 1..65535)";
		goto bad;
	}
	snprintf(out->port, sizeof(out->port), "%ld", n);
	return NULL;
bad:
	memset(out, 0, sizeof(*out));
	return why;
}

static const char *syslog_target_check(const char *value)
{
	struct config_syslog_target t;

	return config_syslog_target_parse(value, &t);
}
