/*
 * conf.c - the table-driven loader of "key = value" configuration files
 * shared by sztpd, sztpctl (which reads sztpd's file through sztpd's own
 * table) and sztp-agent, so every program reads a file the same way: one
 * rule for comments and quotes, relative paths against the file's
 * directory, and errors that name file and line.  The syntax is in conf.h
 * and docs/configuration.md.
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define LINE_MAX_LEN 4096
#define WHY_MAX	     200

static char **str_at(void *obj, size_t off)
{
	return (char **)((char *)obj + off);
}

static int is_list(const struct conf_key *k)
{
	return k->type == CONF_LIST || k->type == CONF_PATHLIST;
}

static int is_str(const struct conf_key *k)
{
	return k->type == CONF_STR || k->type == CONF_PATH || k->type == CONF_ENUM_STR;
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

static sztp_rc parse_number(const struct conf_key *k, const char *v, long *out, char *why)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno == ERANGE || end == v || *end || isspace((unsigned char)*v)) {
		if (errno == ERANGE)
			snprintf(why, WHY_MAX, "'%s' is outside %ld..%ld", v, k->min, k->max);
		else
			snprintf(why, WHY_MAX, "'%s' is not a number", v);
		return SZTP_E_INVALID_VALUE;
	}
	if (n < k->min || n > k->max) {
		snprintf(why, WHY_MAX, "%ld is outside %ld..%ld", n, k->min, k->max);
		return SZTP_E_INVALID_VALUE;
	}
	*out = n;
	return SZTP_OK;
}

static sztp_rc parse_choice(const struct conf_key *k, const char *v, int *out, char *why)
{
	size_t i, used;

	for (i = 0; k->choices[i]; i++)
		if (!strcmp(v, k->choices[i])) {
			*out = (int)i;
			return SZTP_OK;
		}
	used = (size_t)snprintf(why, WHY_MAX, "'%s' is not one of ", v);
	for (i = 0; k->choices[i] && used < WHY_MAX; i++)
		used += (size_t)snprintf(why + used, WHY_MAX - used, "%s%s", i ? ", " : "",
					 k->choices[i]);
	return SZTP_E_INVALID_VALUE;
}

/* A string value as stored: paths made absolute against base (NULL for
 * defaults, which are stored as written). */
static sztp_rc make_string(const struct conf_key *k, const char *v, const char *base, char **out,
			   char *why)
{
	int path = k->type == CONF_PATH || k->type == CONF_PATHLIST;

	*out = NULL;
	if (!*v && !(k->flags & CONF_EMPTY)) {
		snprintf(why, WHY_MAX, "empty value");
		return SZTP_E_INVALID_VALUE;
	}
	if (k->check && *v) {
		const char *bad = k->check(v);
		if (bad) {
			snprintf(why, WHY_MAX, "'%s' is %s", v, bad);
			return SZTP_E_INVALID_VALUE;
		}
	}
	if (path && base && *v && *v != '/') {
		if (asprintf(out, "%s/%s", base, v) < 0)
			*out = NULL;
	} else {
		*out = strdup(v);
	}
	if (!*out) {
		snprintf(why, WHY_MAX, "out of memory");
		return SZTP_E_NOMEM;
	}
	return SZTP_OK;
}

/* Store value v for key k in obj; why receives the reason on failure. */
static sztp_rc set_value(const struct conf_key *k, void *obj, const char *v, const char *base,
			 char *why)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	char *field = (char *)obj + k->offset, *s = NULL;
	size_t *count;
	long n = 0;
	int i = 0;

	switch (k->type) {
	case CONF_INT:
	case CONF_LONG:
		if ((rc = parse_number(k, v, &n, why)) != SZTP_OK)
			break;
		if (k->type == CONF_INT)
			*(int *)(void *)field = (int)n;
		else
			*(long *)(void *)field = n;
		break;
	case CONF_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on"))
			*(int *)(void *)field = 1;
		else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off"))
			*(int *)(void *)field = 0;
		else {
			snprintf(why, WHY_MAX, "'%s' is not yes or no", v);
			break;
		}
		rc = SZTP_OK;
		break;
	case CONF_ENUM:
		if ((rc = parse_choice(k, v, &i, why)) == SZTP_OK)
			*(int *)(void *)field = i;
		break;
	case CONF_ENUM_STR:
		if ((rc = parse_choice(k, v, &i, why)) != SZTP_OK)
			break;
		/* fall through */
	case CONF_STR:
	case CONF_PATH:
		if ((rc = make_string(k, v, base, &s, why)) != SZTP_OK)
			break;
		free(*str_at(obj, k->offset));
		*str_at(obj, k->offset) = s;
		break;
	case CONF_LIST:
	case CONF_PATHLIST:
		count = (size_t *)(void *)((char *)obj + k->count_off);
		if ((long)*count >= k->max) {
			snprintf(why, WHY_MAX, "more than %ld values", k->max);
			break;
		}
		if ((rc = make_string(k, v, base, &s, why)) != SZTP_OK)
			break;
		str_at(obj, k->offset)[(*count)++] = s;
		break;
	}
	return rc;
}

void conf_defaults(const struct conf_table *t, void *obj)
{
	char why[WHY_MAX];
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct conf_key *k = &t->keys[i];
		char *field = (char *)obj + k->offset;
		if (is_list(k)) {
			memset(field, 0, (size_t)k->max * sizeof(char *));
			*(size_t *)(void *)((char *)obj + k->count_off) = 0;
		} else if (is_str(k)) {
			*str_at(obj, k->offset) = NULL;
		} else if (k->type == CONF_LONG) {
			*(long *)(void *)field = 0;
		} else {
			*(int *)(void *)field = 0;
		}
	}
	for (i = 0; i < t->n; i++)
		if (t->keys[i].def)
			(void)set_value(&t->keys[i], obj, t->keys[i].def, NULL, why);
}

void conf_free(const struct conf_table *t, void *obj)
{
	size_t i, j, *count;

	if (!obj)
		return;
	for (i = 0; i < t->n; i++) {
		const struct conf_key *k = &t->keys[i];
		if (is_list(k)) {
			count = (size_t *)(void *)((char *)obj + k->count_off);
			for (j = 0; j < *count; j++) {
				free(str_at(obj, k->offset)[j]);
				str_at(obj, k->offset)[j] = NULL;
			}
			*count = 0;
		} else if (is_str(k)) {
			free(*str_at(obj, k->offset));
			*str_at(obj, k->offset) = NULL;
		}
	}
}

/* The value after '=' (in place), by the rule in conf.h. */
static sztp_rc parse_value(char *v, char **out, char *why)
{
	char *q;

	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '"') {
		if (!(q = strchr(v + 1, '"'))) {
			snprintf(why, WHY_MAX, "unterminated quote");
			return SZTP_E_INVALID_VALUE;
		}
		*q++ = '\0';
		q = trim(q);
		if (*q && *q != '#') {
			snprintf(why, WHY_MAX, "text after the closing quote");
			return SZTP_E_INVALID_VALUE;
		}
		*out = v + 1;
		return SZTP_OK;
	}
	for (q = v; *q; q++) {
		if (*q == '#' && (q == v || q[-1] == ' ' || q[-1] == '\t')) {
			*q = '\0';
			break;
		}
		if (*q == '"') {
			snprintf(why, WHY_MAX,
				 "'\"' inside an unquoted value (quote the whole value)");
			return SZTP_E_INVALID_VALUE;
		}
	}
	*out = trim(v);
	return SZTP_OK;
}

static const struct conf_key *find_key(const struct conf_table *t, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->keys[i].name, name)) {
			*idx = i;
			return &t->keys[i];
		}
	return NULL;
}

/* One line (without its newline); seen marks the keys set so far. */
static sztp_rc load_line(const struct conf_table *t, const char *path, unsigned lineno, char *line,
			 const char *base, unsigned char *seen, void *obj, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	const struct conf_key *k;
	char why[WHY_MAX], *key = trim(line), *eq, *v;
	size_t i = 0;

	if (!*key || *key == '#')
		return SZTP_OK;
	if (!(eq = strchr(key, '=')))
		return sztp_err_set(e, rc, "%s:%u: expected 'key = value'", path, lineno);
	*eq = '\0';
	key = trim(key);
	if (!*key)
		return sztp_err_set(e, rc, "%s:%u: expected 'key = value'", path, lineno);
	if (!(k = find_key(t, key, &i)))
		return sztp_err_set(e, rc, "%s:%u: unknown key '%s'", path, lineno, key);
	if (seen[i] && !is_list(k))
		return sztp_err_set(e, rc, "%s:%u: '%s' is set twice", path, lineno, key);
	seen[i] = 1;
	if ((rc = parse_value(eq + 1, &v, why)) != SZTP_OK ||
	    (rc = set_value(k, obj, v, base, why)) != SZTP_OK)
		return sztp_err_set(e, rc, "%s:%u: %s: %s", path, lineno, key, why);
	return SZTP_OK;
}

/* The real path of the directory holding path. */
static sztp_rc file_dir(const char *path, char base[PATH_MAX], struct sztp_err *e)
{
	char *copy = strdup(path);
	sztp_rc rc = SZTP_E_NOMEM;

	if (!copy)
		return sztp_err_set(e, rc, "out of memory");
	if (realpath(dirname(copy), base))
		rc = SZTP_OK;
	else
		rc = sztp_err_set(e, SZTP_E_IO, "%s: cannot resolve its directory: %s", path,
				  strerror(errno));
	free(copy);
	return rc;
}

/* One line into buf without its newline, at most LINE_MAX_LEN bytes
 * (a hard cap: the rest of a longer line is not buffered).  Returns 0, or
 * -1 at the end of the file, 1 for a line too long, 2 for a NUL byte. */
static int read_line(FILE *f, char buf[LINE_MAX_LEN + 1])
{
	size_t n = 0;
	int ch, bad = 0;

	while ((ch = getc(f)) != EOF && ch != '\n') {
		if (ch == '\0' && !bad)
			bad = 2;
		if (n == LINE_MAX_LEN && !bad)
			bad = 1;
		if (n < LINE_MAX_LEN)
			buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	if (ch == EOF && n == 0 && !bad)
		return -1;
	return bad;
}

sztp_rc conf_load(const struct conf_table *t, const char *path, unsigned optional, void *obj,
		  struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	char base[PATH_MAX], line[LINE_MAX_LEN + 1];
	unsigned char *seen = NULL;
	unsigned lineno = 0;
	size_t i;
	int got;
	FILE *f;

	conf_defaults(t, obj);
	if (!(f = fopen(path, "r")))
		return sztp_err_set(e, SZTP_E_IO, "%s: %s", path, strerror(errno));
	if ((rc = file_dir(path, base, e)) != SZTP_OK)
		goto out;
	if (!(seen = calloc(t->n ? t->n : 1, 1))) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	while ((got = read_line(f, line)) >= 0) {
		lineno++;
		if (got == 1) {
			rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
					  "%s:%u: line too long (over %d bytes)", path, lineno,
					  LINE_MAX_LEN);
			goto out;
		}
		if (got == 2) {
			rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "%s:%u: NUL byte in the line",
					  path, lineno);
			goto out;
		}
		if ((rc = load_line(t, path, lineno, line, base, seen, obj, e)) != SZTP_OK)
			goto out;
	}
	if (ferror(f)) {
		rc = sztp_err_set(e, SZTP_E_IO, "%s: read error", path);
		goto out;
	}
	for (i = 0; i < t->n; i++)
		if ((t->keys[i].flags & CONF_REQUIRED) && !(t->keys[i].flags & optional) &&
		    !seen[i]) {
			rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "%s: '%s' is required", path,
					  t->keys[i].name);
			goto out;
		}
	rc = SZTP_OK;
out:
	free(seen);
	fclose(f);
	if (rc != SZTP_OK)
		conf_free(t, obj);
	return rc;
}
