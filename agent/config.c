/*
 * config.c - the agent's configuration file: the device's initial state
 * of RFC 8572 s5.1 (IDevID and key, voucher trust anchors, well-known
 * bootstrap servers and their anchors) plus the simulator's settings
 * (device root, sources, clock policy).  One table of keys (name, type,
 * bounds, default); "key = value" lines, '#' comments; an unknown key, a
 * repeated single-valued key or a bad value stops with file:line.
 * Relative paths are relative to the config file's directory.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"

enum opt_type { OPT_STR, OPT_PATH, OPT_INT, OPT_BOOL, OPT_LIST, OPT_PATHLIST, OPT_ENUM };

struct opt {
	const char *name;
	enum opt_type type;
	size_t offset; /* OPT_LIST: the array; count follows at count_off */
	size_t count_off;
	long min, max;
	const char *def;
	int per_device; /* required in single-device mode, set per device in fleet */
	const char *const *choices;
};

static const char *const levels[] = {"err", "warn", "info", "debug", NULL};
static const char *const reboots[] = {"restart", "exit", NULL};

#define OFF(f) offsetof(struct agent_config, f)
static const struct opt opts[] = {
    {"idevid-cert", OPT_PATH, OFF(idevid_cert), 0, 0, 0, "", 0, NULL},
    {"idevid-key", OPT_PATH, OFF(idevid_key), 0, 0, 0, NULL, 1, NULL},
    {"idevid-chain", OPT_PATH, OFF(idevid_chain), 0, 0, 0, NULL, 1, NULL},
    {"voucher-trust-anchors", OPT_PATH, OFF(voucher_trust), 0, 0, 0, NULL, 1, NULL},
    {"server-trust-anchors", OPT_PATH, OFF(server_trust), 0, 0, 0, "", 0, NULL},
    {"well-known-server", OPT_LIST, OFF(well_known), OFF(n_well_known), 0, 0, NULL, 0, NULL},
    {"bootstrap-url", OPT_LIST, OFF(urls), OFF(n_urls), 0, 0, NULL, 0, NULL},
    {"serial-number", OPT_STR, OFF(serial), 0, 0, 0, "", 0, NULL},
    {"device-root", OPT_PATH, OFF(device_root), 0, 0, 0, NULL, 1, NULL},
    {"removable-storage", OPT_PATH, OFF(removable), 0, 0, 0, "", 0, NULL},
    {"dhcp-option-file", OPT_PATH, OFF(dhcp_option), 0, 0, 0, "", 0, NULL},
    {"dhcp-version", OPT_INT, OFF(dhcp_version), 0, 4, 6, "4", 0, NULL},
    {"hw-model", OPT_STR, OFF(hw_model), 0, 0, 0, "", 0, NULL},
    {"os-name", OPT_STR, OFF(os_name), 0, 0, 0, "", 0, NULL},
    {"os-version", OPT_STR, OFF(os_version), 0, 0, 0, "", 0, NULL},
    {"clock-trusted", OPT_BOOL, OFF(clock_trusted), 0, 0, 0, "yes", 0, NULL},
    {"send-nonce", OPT_BOOL, OFF(send_nonce), 0, 0, 0, "no", 0, NULL},
    {"redirect-limit", OPT_INT, OFF(redirect_limit), 0, 1, 32, "10", 0, NULL},
    {"script-timeout", OPT_INT, OFF(script_timeout), 0, 1, 3600, "60", 0, NULL},
    {"http-timeout", OPT_INT, OFF(http_timeout), 0, 1, 3600, "30", 0, NULL},
    {"ssh-host-key", OPT_PATHLIST, OFF(ssh_host_keys), OFF(n_ssh_host_keys), 0, 0, NULL, 0, NULL},
    {"syslog-server", OPT_STR, OFF(syslog_server), 0, 0, 0, "", 0, NULL},
    {"result-file", OPT_PATH, OFF(result_file), 0, 0, 0, "", 0, NULL},
    {"yang-dir", OPT_PATH, OFF(yang_dir), 0, 0, 0, "", 0, NULL},
    {"log-level", OPT_ENUM, OFF(log_level), 0, 0, 0, "info", 0, levels},
    {"reboot", OPT_ENUM, OFF(reboot_exit), 0, 0, 0, "restart", 0, reboots},
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static char **sfield(struct agent_config *c, const struct opt *o)
{
	return (char **)((char *)c + o->offset);
}
static long *lfield(struct agent_config *c, const struct opt *o)
{
	return (long *)((char *)c + o->offset);
}
static int *ifield(struct agent_config *c, const struct opt *o)
{
	return (int *)((char *)c + o->offset);
}
static size_t *nfield(struct agent_config *c, const struct opt *o)
{
	return (size_t *)((char *)c + o->count_off);
}

static int is_list(const struct opt *o)
{
	return o->type == OPT_LIST || o->type == OPT_PATHLIST;
}

/* Set one value; returns a message on error, NULL on success. */
static const char *opt_set(struct agent_config *c, const struct opt *o, const char *v,
			   const char *dir)
{
	char *s = NULL, *end;
	long l;
	size_t i;

	switch (o->type) {
	case OPT_INT:
		errno = 0;
		l = strtol(v, &end, 10);
		if (errno || end == v || *end || l < o->min || l > o->max)
			return "not an integer in range";
		*lfield(c, o) = l;
		return NULL;
	case OPT_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true"))
			*ifield(c, o) = 1;
		else if (!strcmp(v, "no") || !strcmp(v, "false"))
			*ifield(c, o) = 0;
		else
			return "expected yes or no";
		return NULL;
	case OPT_ENUM:
		for (i = 0; o->choices[i]; i++)
			if (!strcmp(v, o->choices[i])) {
				if (o->choices == levels)
					*lfield(c, o) = (long)i;
				else
					*ifield(c, o) = (int)i;
				return NULL;
			}
		return "not one of the allowed values";
	case OPT_PATH:
	case OPT_PATHLIST:
		if (*v && *v != '/' && dir) {
			if (asprintf(&s, "%s/%s", dir, v) < 0)
				return "out of memory";
		}
		break;
	default:
		break;
	}
	if (!s && !(s = strdup(v)))
		return "out of memory";
	if (is_list(o)) {
		if (*nfield(c, o) >= AGENT_MAX_LIST) {
			free(s);
			return "too many values";
		}
		sfield(c, o)[(*nfield(c, o))++] = s;
	} else {
		free(*sfield(c, o));
		*sfield(c, o) = s;
	}
	return NULL;
}

void agent_config_defaults(struct agent_config *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < N_OPTS; i++)
		if (opts[i].def)
			opt_set(c, &opts[i], opts[i].def, NULL);
}

void agent_config_free(struct agent_config *c)
{
	size_t i, j;

	if (!c)
		return;
	for (i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];

		if (is_list(o)) {
			for (j = 0; j < *nfield(c, o); j++)
				free(sfield(c, o)[j]);
		} else if (o->type == OPT_STR || o->type == OPT_PATH) {
			free(*sfield(c, o));
		}
	}
	memset(c, 0, sizeof(*c));
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

sztp_rc agent_config_load(const char *path, int fleet, struct agent_config *c, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	char line[4096], dir[PATH_MAX], *k, *v, *eq, *slash;
	unsigned char seen[N_OPTS] = {0};
	const char *why;
	unsigned lineno = 0;
	size_t i;
	FILE *f;

	agent_config_defaults(c);
	if (!realpath(path, dir) || !(f = fopen(path, "r")))
		return sztp_err_set(e, SZTP_E_IO, "%s: cannot open: %s", path, strerror(errno));
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		k = trim(line);
		if (!*k || *k == '#')
			continue;
		if (!(eq = strchr(k, '='))) {
			sztp_err_set(e, rc, "%s:%u: expected 'key = value'", path, lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		for (i = 0; i < N_OPTS && strcmp(opts[i].name, k); i++)
			;
		if (i == N_OPTS) {
			sztp_err_set(e, rc, "%s:%u: unknown key '%s'", path, lineno, k);
			goto out;
		}
		if (seen[i] && !is_list(&opts[i])) {
			sztp_err_set(e, rc, "%s:%u: '%s' set twice", path, lineno, k);
			goto out;
		}
		seen[i] = 1;
		if ((why = opt_set(c, &opts[i], v, dir)) != NULL) {
			sztp_err_set(e, rc, "%s:%u: %s: %s: '%s'", path, lineno, k, why, v);
			goto out;
		}
	}
	for (i = 0; i < N_OPTS; i++) {
		if (opts[i].per_device && fleet)
			continue;
		if (opts[i].per_device && !opts[i].def && !*sfield(c, &opts[i])) {
			sztp_err_set(e, rc, "%s: required key '%s' is missing", path, opts[i].name);
			goto out;
		}
	}
	for (i = 0; i < c->n_urls; i++)
		if (strncmp(c->urls[i], "https://", 8)) {
			sztp_err_set(e, rc, "%s: bootstrap-url '%s' is not an https URL", path,
				     c->urls[i]);
			goto out;
		}
	for (i = 0; i < c->n_well_known; i++)
		if (strncmp(c->well_known[i], "https://", 8)) {
			sztp_err_set(e, rc, "%s: well-known-server '%s' is not an https URL", path,
				     c->well_known[i]);
			goto out;
		}
	rc = SZTP_OK;
out:
	fclose(f);
	if (rc)
		agent_config_free(c);
	return rc;
}
