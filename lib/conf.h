/*
 * conf.h - the one loader of the project's configuration files (sztpd,
 * sztpctl reading sztpd's file, sztp-agent).  A program declares a table
 * of keys (name, type, offset of the field in its struct, bounds, default,
 * choices, flags), in the style of Redis's config.c; the loader reads
 * "key = value" lines into that struct.
 *
 * Syntax (docs/configuration.md): blank lines and lines whose first
 * non-blank character is '#' are ignored.  A value may be wrapped in
 * double quotes, which are stripped; a quoted value is taken literally
 * (it may hold '#' and spaces, not a '"').  Outside quotes, a '#' that
 * begins the value or follows a space or tab starts a comment; a '"'
 * anywhere else in an unquoted value is refused.  Relative paths (PATH,
 * PATHLIST) are resolved against the real path of the file's directory.
 *
 * Errors name the file and line: "FILE:LINE: unknown key 'x'", a key set
 * twice (lists excepted), a bad value or one out of bounds, and
 * "FILE: 'x' is required" for a required key no line sets.
 */
#ifndef SZTP_CONF_H
#define SZTP_CONF_H

#include <stddef.h>

#include "result.h"

enum conf_type {
	CONF_STR,      /* char *, strdup'd */
	CONF_PATH,     /* char *, relative -> <dir of file>/value */
	CONF_INT,      /* int in [min, max] */
	CONF_LONG,     /* long in [min, max] */
	CONF_BOOL,     /* int 0/1: yes/no, true/false, on/off */
	CONF_ENUM,     /* int: index of the value in choices */
	CONF_ENUM_STR, /* char *: the value, one of choices */
	CONF_LIST,     /* char *[max] at offset, size_t count at count_off; repeatable */
	CONF_PATHLIST, /* CONF_LIST of paths, resolved like CONF_PATH */
};

#define CONF_REQUIRED 0x1u /* a line must set it (see conf_load's `optional`) */
#define CONF_EMPTY    0x2u /* an empty value is allowed (STR, PATH: "" = none) */
/* Bits from 0x100 up are the program's own groups of keys, e.g. the
 * agent's per-device keys that fleet mode does not require. */
#define CONF_GROUP(n) (0x100u << (n))

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t offset;		    /* the field in the program's struct */
	size_t count_off;	    /* lists: the size_t count */
	long min, max;		    /* INT, LONG: bounds; lists: most values */
	const char *def;	    /* default as written in the file; NULL: none */
	const char *const *choices; /* ENUM, ENUM_STR: NULL-terminated */
	unsigned flags;		    /* CONF_REQUIRED, CONF_EMPTY, CONF_GROUP(n) */
	/* extra check of a non-empty string or list value: NULL, or why it
	 * is refused as "'VALUE' is <that>", e.g. "not an https URL" */
	const char *(*check)(const char *value);
};

struct conf_table {
	const struct conf_key *keys;
	size_t n;
};
#define CONF_TABLE(arr)                                                                            \
	{                                                                                          \
		(arr), sizeof(arr) / sizeof((arr)[0])                                              \
	}

/* Every field of the table in obj: its default, else 0, NULL or an
 * empty list (whatever obj held is overwritten, not freed). */
void conf_defaults(const struct conf_table *t, void *obj);
/* Free every string and list of obj and zero them; NULL is a no-op. */
void conf_free(const struct conf_table *t, void *obj);
/* conf_defaults, then read path into obj.  Keys with a flag in optional
 * are not required even when marked CONF_REQUIRED.  On failure obj holds
 * nothing to free (conf_free is still safe) and e->msg is "FILE:LINE:
 * message" (or "FILE: message" for a missing key or an unreadable file:
 * SZTP_E_IO).  Other failures are SZTP_E_INVALID_VALUE. */
sztp_rc conf_load(const struct conf_table *t, const char *path, unsigned optional, void *obj,
		  struct sztp_err *e);

#endif
