/*
 * config.c - the sztpd configuration file, as one table of keys (name,
 * type, bounds, default) in the style of Redis's config.c.  Relative paths
 * are taken relative to the config file's directory, so a config and its
 * PKI can be moved together.
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "util.h"

enum opt_type { OPT_STR, OPT_PATH, OPT_INT, OPT_BOOL, OPT_ENUM };

struct opt {
	const char *name;
	enum opt_type type;
	size_t offset;
	long min, max;		    /* OPT_INT bounds */
	const char *def;	    /* default, as it would be written in the file */
	const char *const *choices; /* OPT_ENUM */
};

static const char *const log_levels[] = {"err", "warn", "info", "debug", NULL};
static const char *const log_targets[] = {"stderr", "syslog", NULL};

#define OFF(f) offsetof(struct config, f)
static const struct opt opts[] = {
    {"listen-address", OPT_STR, OFF(listen_address), 0, 0, "::", NULL},
    {"port", OPT_INT, OFF(port), 1, 65535, "443", NULL},
    {"tls-cert", OPT_PATH, OFF(tls_cert), 0, 0, NULL, NULL},
    {"tls-key", OPT_PATH, OFF(tls_key), 0, 0, NULL, NULL},
    {"tls-priority", OPT_STR, OFF(tls_priority), 0, 0, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
     NULL},
    {"client-ca", OPT_PATH, OFF(client_ca), 0, 0, NULL, NULL},
    {"database", OPT_PATH, OFF(database), 0, 0, "/var/lib/sztp/sztp.db", NULL},
    {"yang-dir", OPT_PATH, OFF(yang_dir), 0, 0, "", NULL}, /* "" = sztp_yang_dir_default() */
    {"threads", OPT_INT, OFF(threads), 0, 256, "0", NULL},
    {"max-body", OPT_INT, OFF(max_body), 1024, 16 * 1024 * 1024, "262144", NULL},
    {"max-connections", OPT_INT, OFF(max_connections), 1, 100000, "1024", NULL},
    {"connection-timeout", OPT_INT, OFF(connection_timeout), 1, 3600, "30", NULL},
    {"basic-auth", OPT_BOOL, OFF(basic_auth), 0, 0, "yes", NULL},
    {"bootstrap-log", OPT_BOOL, OFF(bootstrap_log), 0, 0, "yes", NULL},
    {"log-level", OPT_ENUM, OFF(log_level), 0, 0, "info", log_levels},
    {"log-target", OPT_ENUM, OFF(log_target), 0, 0, "stderr", log_targets},
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static char **str_field(struct config *c, const struct opt *o)
{
	return (char **)((char *)c + o->offset);
}

static int *int_field(struct config *c, const struct opt *o)
{
	return (int *)((char *)c + o->offset);
}

/* Store value for option o; base is the config file's directory (NULL
 * for defaults).  Returns NULL or a message. */
static const char *opt_set(struct config *c, const struct opt *o, const char *v, const char *base)
{
	static __thread char msg[160];
	char *end;
	long n;
	size_t i;

	switch (o->type) {
	case OPT_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end) {
			snprintf(msg, sizeof(msg), "%s: '%s' is not a number", o->name, v);
			return msg;
		}
		if (n < o->min || n > o->max) {
			snprintf(msg, sizeof(msg), "%s: %ld is outside %ld..%ld", o->name, n,
				 o->min, o->max);
			return msg;
		}
		*int_field(c, o) = (int)n;
		return NULL;
	case OPT_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on"))
			*int_field(c, o) = 1;
		else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off"))
			*int_field(c, o) = 0;
		else {
			snprintf(msg, sizeof(msg), "%s: '%s' is not yes or no", o->name, v);
			return msg;
		}
		return NULL;
	case OPT_ENUM:
		for (i = 0; o->choices[i]; i++)
			if (!strcmp(v, o->choices[i]))
				break;
		if (!o->choices[i]) {
			snprintf(msg, sizeof(msg), "%s: '%s' is not one of the allowed values",
				 o->name, v);
			return msg;
		}
		/* fall through */
	case OPT_STR:
	case OPT_PATH: {
		char *s;
		if (!*v) {
			snprintf(msg, sizeof(msg), "%s: empty value", o->name);
			return msg;
		}
		if (o->type == OPT_PATH && base && v[0] != '/') {
			if (asprintf(&s, "%s/%s", base, v) < 0)
				s = NULL;
		} else {
			s = strdup(v);
		}
		if (!s)
			return "out of memory";
		free(*str_field(c, o));
		*str_field(c, o) = s;
		return NULL;
	}
	}
	return "internal error";
}

void config_defaults(struct config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < N_OPTS; i++)
		if (opts[i].def)
			(void)opt_set(cfg, &opts[i],
				      *opts[i].def ? opts[i].def : sztp_yang_dir_default(), NULL);
}

void config_free(struct config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < N_OPTS; i++)
		if (opts[i].type != OPT_INT && opts[i].type != OPT_BOOL) {
			free(*str_field(cfg, &opts[i]));
			*str_field(cfg, &opts[i]) = NULL;
		}
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

sztp_rc config_load(const char *path, struct config *cfg, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	char line[4096], base[PATH_MAX], tmp[PATH_MAX];
	unsigned char seen[N_OPTS] = {0};
	int lineno = 0;
	FILE *f;
	size_t i;

	config_defaults(cfg);
	f = fopen(path, "r");
	if (!f)
		return sztp_err_set(e, SZTP_E_IO, "%s: %s", path, strerror(errno));
	snprintf(tmp, sizeof(tmp), "%s", path);
	if (!realpath(dirname(tmp), base))
		snprintf(base, sizeof(base), ".");
	while (fgets(line, sizeof(line), f)) {
		char *k, *v, *eq;
		const char *err;
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			sztp_err_set(e, rc, "%s:%d: line too long", path, lineno);
			goto out;
		}
		k = trim(line);
		if (!*k || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			sztp_err_set(e, rc, "%s:%d: expected 'key = value'", path, lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		for (i = 0; i < N_OPTS; i++)
			if (!strcmp(k, opts[i].name))
				break;
		if (i == N_OPTS) {
			sztp_err_set(e, rc, "%s:%d: unknown key '%s'", path, lineno, k);
			goto out;
		}
		if (seen[i]) {
			sztp_err_set(e, rc, "%s:%d: '%s' is set twice", path, lineno, k);
			goto out;
		}
		seen[i] = 1;
		err = opt_set(cfg, &opts[i], v, base);
		if (err) {
			sztp_err_set(e, rc, "%s:%d: %s", path, lineno, err);
			goto out;
		}
	}
	if (ferror(f)) {
		rc = sztp_err_set(e, SZTP_E_IO, "%s: read error", path);
		goto out;
	}
	for (i = 0; i < N_OPTS; i++)
		if (!opts[i].def && !*str_field(cfg, &opts[i])) {
			sztp_err_set(e, rc, "%s: '%s' is required", path, opts[i].name);
			goto out;
		}
	rc = SZTP_OK;
out:
	fclose(f);
	return rc;
}
