/*
 * yang.c - schema validation with libyang 2.1.30, the only file that
 * includes libyang.  It checks the RESTCONF input of the two RPCs of
 * ietf-sztp-bootstrap-server (RFC 8572 s7.1, s7.2; RFC 8040 s3.6.1 body
 * form), conveyed information (the ietf-sztp-conveyed-info yang-data of
 * RFC 8572 s6.3) and RFC 8366 vouchers.  libyang 2.1 has no RESTCONF RPC
 * parser, so the input body is rewrapped as a YANG RPC; the top-level
 * choice of a yang-data is guarded here because libyang 2.1 does not
 * enforce it and loops forever when both cases are present.
 *
 * Threads: libyang data calls may share one context, but its dictionary
 * lock stops a second thread from helping (measured on 2 vCPUs, libyang
 * RPC parse, validate and print alone: shared context 82k ops/s on one
 * thread, 85k on two; shared context behind a mutex 63k on two; one
 * context per thread 170k on two).  A context costs about 7 ms to build,
 * too much to make per connection for thread-per-connection servers, so
 * we keep a pool: a call takes an idle context (building one when none
 * is idle) and gives it back afterwards; the pool grows to the number of
 * concurrent callers.  Whole yang_rpc_input_json (with the jansson rewrap and
 * output) scales the same way: about 35k ops/s on one thread, 71k on two
 * (without the memo below; test_yang's figures, which repeat their
 * inputs, are memo hits).
 * A context serves one thread at a time and its error list is cleared
 * before it goes back, so messages never mix between threads.  libyang's
 * logging is switched to "store the last error, print nothing".
 *
 * Memo: identical RPC input bodies (most of a fleet's reports, and the
 * get-bootstrapping-data input of devices that send no nonce) are
 * validated once.  A bounded direct-mapped table keeps the last valid
 * inputs of up to MEMO_MAX_BODY bytes; a hit needs the same RPC, encoding
 * and exact bytes (compared in full, not by hash) and returns a copy of
 * the validated result.  Invalid input is never remembered.
 *
 * Parser differential: libyang is given jansson's re-serialisation of the
 * JSON we checked, never the original bytes, so the guard and libyang see
 * the same document (the yang-data choice loop depends on it).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <libyang/libyang.h>

#include "yang.h"
#include "yang_json.h"

#ifndef SZTP_YANG_DIR
#define SZTP_YANG_DIR "/usr/local/share/sztp/yang"
#endif

#define BS_MOD	       "ietf-sztp-bootstrap-server"
#define BS_NS	       "urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"
#define CI_MOD	       "ietf-sztp-conveyed-info"
#define CI_REDIRECT    CI_MOD ":redirect-information"
#define CI_ONBOARD     CI_MOD ":onboarding-information"
#define VOUCHER_MEMBER "ietf-voucher:voucher"
#define MAX_DEPTH      32

/* One libyang context with the modules loaded; used by one thread at a time. */
struct yctx {
	struct ly_ctx *ctx;
	struct lysc_ext_instance *conveyed; /* rc:yang-data conveyed-information */
	struct lysc_ext_instance *voucher;  /* rc:yang-data voucher-artifact */
	struct yctx *next;
};

#define MEMO_SLOTS    64
#define MEMO_MAX_BODY 1024

struct memo {
	uint64_t hash;
	enum yang_rpc rpc;
	enum yang_enc enc;
	size_t len;
	char *body;    /* NULL: empty slot */
	json_t *input; /* the validated result */
};

struct sztp_yang {
	char *dir;
	pthread_mutex_t mu;
	struct yctx *idle; /* contexts not in use */
	unsigned built, leased;
	pthread_mutex_t memo_mu;
	struct memo memo[MEMO_SLOTS];
};

/* ---- contexts ------------------------------------------------------ */

static struct lysc_ext_instance *find_yang_data(const struct lys_module *mod, const char *name)
{
	LY_ARRAY_COUNT_TYPE i;

	if (!mod || !mod->compiled)
		return NULL;
	/* 2.1.30 has no lys_find_ext_instance() */
	LY_ARRAY_FOR(mod->compiled->exts, i)
	{
		struct lysc_ext_instance *x = &mod->compiled->exts[i];

		if (!strcmp(x->def->name, "yang-data") &&
		    !strcmp(x->def->module->name, "ietf-restconf") && x->argument &&
		    !strcmp(x->argument, name))
			return x;
	}
	return NULL;
}

static sztp_rc load(struct yctx *c, const char *dir, const char *name, int features,
		    const struct lys_module **mod, struct sztp_err *e)
{
	static const char *all[] = {"*", NULL};
	const struct ly_err_item *ei;

	*mod = ly_ctx_load_module(c->ctx, name, NULL, features ? all : NULL);
	if (*mod)
		return SZTP_OK;
	ei = ly_err_last(c->ctx);
	sztp_err_set(
	    e, SZTP_E_IO,
	    "YANG module %s could not be loaded from %s (is %s@<revision>.yang there?): %s", name,
	    dir, name, ei && ei->msg ? ei->msg : "not found");
	return SZTP_E_IO;
}

static void yctx_free(struct yctx *c)
{
	if (!c)
		return;
	ly_ctx_destroy(c->ctx);
	free(c);
}

static sztp_rc yctx_new(const char *dir, struct yctx **out, struct sztp_err *e)
{
	const struct lys_module *bs, *ci, *vo, *rc_mod;
	struct yctx *c;
	sztp_rc rc = SZTP_E_NOMEM;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return sztp_err_set(e, rc, "out of memory for a YANG context");
	/* No ietf-yang-library: its mandatory content-id would fail validation
	 * of any data tree; no modules picked up from the working directory. */
	if (ly_ctx_new(dir, LY_CTX_NO_YANGLIBRARY | LY_CTX_DISABLE_SEARCHDIR_CWD, &c->ctx) !=
	    LY_SUCCESS) {
		rc = sztp_err_set(e, SZTP_E_IO,
				  "cannot create a libyang context for YANG directory %s", dir);
		goto out;
	}
	if ((rc = load(c, dir, "ietf-restconf", 0, &rc_mod, e)) ||
	    (rc = load(c, dir, BS_MOD, 1, &bs, e)) || (rc = load(c, dir, CI_MOD, 1, &ci, e)) ||
	    (rc = load(c, dir, "ietf-voucher", 0, &vo, e)))
		goto out;
	c->conveyed = find_yang_data(ci, "conveyed-information");
	c->voucher = find_yang_data(vo, "voucher-artifact");
	if (!c->conveyed || !c->voucher) {
		rc = sztp_err_set(e, SZTP_E_INTERNAL,
				  "YANG modules in %s lack the conveyed-information or "
				  "voucher-artifact yang-data",
				  dir);
		goto out;
	}
	*out = c;
	c = NULL;
	rc = SZTP_OK;
out:
	yctx_free(c);
	return rc;
}

/* Take an idle context, or build one; the caller gives it back with put(). */
static sztp_rc take(struct sztp_yang *y, struct yctx **out, struct sztp_err *e)
{
	sztp_rc rc;

	pthread_mutex_lock(&y->mu);
	*out = y->idle;
	if (*out) {
		y->idle = (*out)->next;
		y->leased++;
	}
	pthread_mutex_unlock(&y->mu);
	if (*out)
		return SZTP_OK;
	rc = yctx_new(y->dir, out, e); /* built outside the lock: ~7 ms */
	if (rc == SZTP_OK) {
		pthread_mutex_lock(&y->mu);
		y->built++;
		y->leased++;
		pthread_mutex_unlock(&y->mu);
	}
	return rc;
}

static void put(struct sztp_yang *y, struct yctx *c)
{
	if (!c)
		return;
	ly_err_clean(c->ctx, NULL); /* this thread's errors on this context */
	pthread_mutex_lock(&y->mu);
	c->next = y->idle;
	y->idle = c;
	y->leased--;
	pthread_mutex_unlock(&y->mu);
}

sztp_rc yang_open(const char *dir, struct sztp_yang **out, struct sztp_err *e)
{
	struct sztp_yang *y = NULL;
	struct yctx *c = NULL;
	struct stat st;
	sztp_rc rc = SZTP_E_NOMEM;

	*out = NULL;
	if (!dir)
		dir = SZTP_YANG_DIR;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return sztp_err_set(e, SZTP_E_IO,
				    "YANG directory %s does not exist or is not a directory", dir);
	/* Errors are stored for us to report, never printed by libyang.  We are
	 * the only libyang user in the process, so the global option is ours. */
	ly_log_options(LY_LOSTORE_LAST);
	y = calloc(1, sizeof(*y));
	if (!y || !(y->dir = strdup(dir))) {
		sztp_err_set(e, rc, "out of memory opening YANG directory %s", dir);
		goto out;
	}
	pthread_mutex_init(&y->mu, NULL);
	pthread_mutex_init(&y->memo_mu, NULL);
	rc = yctx_new(dir, &c, e); /* fail now, not at the first request */
	if (rc)
		goto out;
	y->idle = c;
	y->built = 1;
	*out = y;
	y = NULL;
	rc = SZTP_OK;
out:
	yang_close(y);
	return rc;
}

void yang_close(struct sztp_yang *y)
{
	struct yctx *c;
	size_t i;

	if (!y)
		return;
	/* every caller must have returned: leased contexts cannot be freed */
	while ((c = y->idle)) {
		y->idle = c->next;
		yctx_free(c);
	}
	for (i = 0; i < MEMO_SLOTS; i++) {
		free(y->memo[i].body);
		json_decref(y->memo[i].input);
	}
	if (y->dir) {
		pthread_mutex_destroy(&y->mu);
		pthread_mutex_destroy(&y->memo_mu);
	}
	free(y->dir);
	free(y);
}

/* ---- libyang errors ------------------------------------------------ */

static sztp_rc ly_code(const struct ly_err_item *ei)
{
	if (!ei)
		return SZTP_E_INTERNAL;
	if (ei->no == LY_EMEM)
		return SZTP_E_NOMEM;
	switch (ei->vecode) {
	case LYVE_SYNTAX:
	case LYVE_SYNTAX_XML:
	case LYVE_SYNTAX_JSON:
		return SZTP_E_MALFORMED;
	case LYVE_REFERENCE:
		/* 'Node "x" not found as a child of ...', 'No module with namespace' */
		if (ei->msg && (strstr(ei->msg, "not found") || strstr(ei->msg, "No module")))
			return SZTP_E_UNKNOWN_ELEMENT;
		return SZTP_E_INVALID_VALUE;
	case LYVE_DATA:
		if (ei->msg &&
		    (!strncmp(ei->msg, "Mandatory ", 10) || !strncmp(ei->msg, "Too few ", 8) ||
		     strstr(ei->msg, "missing its key")))
			return SZTP_E_MISSING_ELEMENT;
		return SZTP_E_INVALID_VALUE; /* type, length, pattern, when, must */
	default:
		return ei->no == LY_EVALID ? SZTP_E_INVALID_VALUE : SZTP_E_INTERNAL;
	}
}

/* The node path out of libyang's 'Data location "/a:b/c", line number 1.'
 * (or 'Schema location ...'); "" when there is none. */
static void ly_path(const char *raw, char *buf, size_t size)
{
	const char *q = raw ? strchr(raw, '"') : NULL;
	const char *q2 = q ? strchr(q + 1, '"') : NULL;

	buf[0] = '\0';
	if (q2 && q2 - q - 1 < (ptrdiff_t)size)
		snprintf(buf, size, "%.*s", (int)(q2 - q - 1), q + 1);
}

/* Report this thread's last libyang error on c as "<what>: <path>: <msg>"
 * (the path first, so a long message cannot push it out of e->msg). */
static sztp_rc ly_fail(struct yctx *c, const char *what, struct sztp_err *e)
{
	const struct ly_err_item *ei = ly_err_last(c->ctx);
	sztp_rc rc = ly_code(ei);
	char path[SZTP_ERR_MSG_MAX];

	/* the input is what libyang could not take: a client error */
	if (!ei)
		return sztp_err_set(e, SZTP_E_MALFORMED, "%s: the document could not be parsed",
				    what);
	ly_path(ei->path, path, sizeof(path));
	if (path[0])
		return sztp_err_set(e, rc, "%s: %s: %s", what, path, ei->msg ? ei->msg : "?");
	return sztp_err_set(e, rc, "%s: %s", what, ei->msg ? ei->msg : "?");
}

/* ---- JSON guards --------------------------------------------------- */

static int json_depth_ok(const json_t *j, int depth)
{
	const char *k;
	json_t *v;
	size_t i;

	if (depth > MAX_DEPTH)
		return 0;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
		{
			if (!json_depth_ok(v, depth + 1))
				return 0;
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		{
			if (!json_depth_ok(v, depth + 1))
				return 0;
		}
	}
	return 1;
}

/* Parse a JSON object strictly (no duplicate keys, no NUL, depth cap). */
static sztp_rc json_parse_object(const char *what, const char *s, size_t len, json_t **out,
				 struct sztp_err *e)
{
	json_error_t je;

	*out = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
	if (!*out)
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "%s is not valid JSON: %s (line %d, column %d)", what, je.text,
				    je.line, je.column);
	if (!json_is_object(*out) || !json_depth_ok(*out, 1)) {
		int obj = json_is_object(*out);

		json_decref(*out);
		*out = NULL;
		if (!obj)
			return sztp_err_set(e, SZTP_E_MALFORMED, "%s must be a JSON object", what);
		return sztp_err_set(e, SZTP_E_MALFORMED, "%s nests deeper than %d levels", what,
				    MAX_DEPTH);
	}
	return SZTP_OK;
}

/* The one member of obj, or NULL (borrowed) with *name set. */
static json_t *json_only_member(json_t *obj, const char **name)
{
	void *it = json_object_iter(obj);

	*name = NULL;
	if (json_object_size(obj) != 1 || !it)
		return NULL;
	*name = json_object_iter_key(it);
	return json_object_iter_value(it);
}

/* json_dumps with the flags used for handing JSON to libyang. */
static sztp_rc json_text(json_t *j, char **out, struct sztp_err *e)
{
	*out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!*out)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory serialising JSON");
	return SZTP_OK;
}

/* ---- XML guard ----------------------------------------------------- */

/* Spans found in an XML document with exactly one root element. */
struct xml_root {
	const char *name; /* qualified name in the root start tag */
	size_t name_len;
	const char *attrs; /* after the name, up to '>' or '/>' */
	size_t attrs_len;
	const char *end_name; /* qualified name in the root end tag; NULL if <x/> */
};

struct xml_scan {
	const char *p, *end;
};

static int xs_is(struct xml_scan *x, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(x->end - x->p) >= n && !memcmp(x->p, lit, n);
}

static int xs_skip_to(struct xml_scan *x, const char *lit)
{
	size_t n = strlen(lit);

	for (; x->end - x->p >= (ptrdiff_t)n; x->p++)
		if (!memcmp(x->p, lit, n)) {
			x->p += n;
			return 1;
		}
	return 0;
}

static int xs_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static int xs_name_char(char ch)
{
	return ch && !xs_space(ch) && !strchr("<>/=\"'!?", ch);
}

/* Skip whitespace, comments and processing instructions (the XML "Misc"). */
static int xs_skip_misc(struct xml_scan *x)
{
	for (;;) {
		while (x->p < x->end && xs_space(*x->p))
			x->p++;
		if (xs_is(x, "<?")) {
			if (!xs_skip_to(x, "?>"))
				return 0;
		} else if (xs_is(x, "<!--")) {
			if (!xs_skip_to(x, "-->"))
				return 0;
		} else {
			return 1;
		}
	}
}

static size_t xs_name(struct xml_scan *x)
{
	const char *s = x->p;

	while (x->p < x->end && xs_name_char(*x->p))
		x->p++;
	return (size_t)(x->p - s);
}

/* At '<' of a start tag: name, attributes; *empty for "<x/>". */
static int xs_start_tag(struct xml_scan *x, struct xml_root *r, int *empty)
{
	x->p++;
	r->name = x->p;
	if (!(r->name_len = xs_name(x)))
		return 0;
	r->attrs = x->p;
	for (;;) {
		while (x->p < x->end && xs_space(*x->p))
			x->p++;
		if (x->p >= x->end)
			return 0;
		if (*x->p == '>' || xs_is(x, "/>")) {
			r->attrs_len = (size_t)(x->p - r->attrs);
			*empty = *x->p == '/';
			x->p += *empty ? 2 : 1;
			return 1;
		}
		if (!xs_name(x))
			return 0;
		while (x->p < x->end && xs_space(*x->p))
			x->p++;
		if (x->p >= x->end || *x->p++ != '=')
			return 0;
		while (x->p < x->end && xs_space(*x->p))
			x->p++;
		if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
			return 0;
		{
			char q = *x->p++;

			while (x->p < x->end && *x->p != q && *x->p != '<')
				x->p++;
			if (x->p >= x->end || *x->p++ != q)
				return 0;
		}
	}
}

/* Find the single root element; refuse DOCTYPE, a second root, trailing
 * text, truncation and nesting deeper than MAX_DEPTH. */
/* XML 1.0 s2.2 characters in well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF, no C0 controls but tab/CR/LF).
 * libyang 2.1 passes some invalid bytes on (found by fuzzing), so the
 * document is checked here first.  Returns the offset of the first bad
 * byte, or len. */
static size_t xml_chars_end(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], n, k;
		uint32_t cp;

		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return i;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return i;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
			return i;
		i += n + 1;
	}
	return len;
}

static sztp_rc xml_find_root(const char *what, const char *s, size_t len, struct xml_root *r,
			     struct sztp_err *e)
{
	size_t bad = xml_chars_end((const unsigned char *)s, len);

	if (bad != len)
		return sztp_err_set(
		    e, SZTP_E_MALFORMED,
		    "%s: invalid UTF-8 or a character XML does not allow at byte %zu", what, bad);

	struct xml_scan x = {s, s + len};
	struct xml_root tag;
	int depth = 0, empty;

	memset(r, 0, sizeof(*r));
	if (!xs_skip_misc(&x) || x.p >= x.end || *x.p != '<')
		return sztp_err_set(e, SZTP_E_MALFORMED, "%s is not an XML document", what);
	if (xs_is(&x, "<!"))
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "%s: DOCTYPE and markup declarations are not allowed", what);
	if (!xs_start_tag(&x, r, &empty))
		return sztp_err_set(e, SZTP_E_MALFORMED, "%s: bad XML root start tag", what);
	depth = !empty;
	while (depth > 0) {
		while (x.p < x.end && *x.p != '<')
			x.p++;
		if (x.p >= x.end)
			return sztp_err_set(e, SZTP_E_MALFORMED,
					    "%s: XML truncated (%d elements unclosed)", what,
					    depth);
		if (xs_is(&x, "<!--") || xs_is(&x, "<?") || xs_is(&x, "<![CDATA[")) {
			const char *close = x.p[1] == '?' ? "?>" : x.p[2] == '-' ? "-->" : "]]>";

			if (!xs_skip_to(&x, close))
				return sztp_err_set(e, SZTP_E_MALFORMED,
						    "%s: XML truncated in a comment, PI or CDATA",
						    what);
		} else if (xs_is(&x, "</")) {
			const char *nm = x.p += 2;

			if (!xs_name(&x))
				return sztp_err_set(e, SZTP_E_MALFORMED, "%s: bad XML end tag",
						    what);
			if (--depth == 0)
				r->end_name = nm;
			while (x.p < x.end && xs_space(*x.p))
				x.p++;
			if (x.p >= x.end || *x.p++ != '>')
				return sztp_err_set(e, SZTP_E_MALFORMED, "%s: bad XML end tag",
						    what);
		} else if (xs_is(&x, "<!")) {
			return sztp_err_set(e, SZTP_E_MALFORMED,
					    "%s: markup declarations are not allowed", what);
		} else {
			if (!xs_start_tag(&x, &tag, &empty))
				return sztp_err_set(e, SZTP_E_MALFORMED, "%s: bad XML start tag",
						    what);
			if (!empty && ++depth > MAX_DEPTH)
				return sztp_err_set(e, SZTP_E_MALFORMED,
						    "%s nests deeper than %d levels", what,
						    MAX_DEPTH);
		}
	}
	if (r->end_name &&
	    (x.end - r->end_name < (ptrdiff_t)r->name_len ||
	     memcmp(r->end_name, r->name, r->name_len) || xs_name_char(r->end_name[r->name_len])))
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "%s: XML root end tag does not match its start tag", what);
	if (!xs_skip_misc(&x) || x.p != x.end)
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "%s: content after the XML root element (one root only)", what);
	return SZTP_OK;
}

/* Local part of the root's qualified name and its prefix length (0 if none). */
static void xml_root_local(const struct xml_root *r, const char **local, size_t *local_len,
			   size_t *pfx_len)
{
	const char *colon = memchr(r->name, ':', r->name_len);

	*pfx_len = colon ? (size_t)(colon - r->name) : 0;
	*local = colon ? colon + 1 : r->name;
	*local_len = r->name_len - (size_t)(*local - r->name);
}

static int xml_local_is(const struct xml_root *r, const char *want)
{
	const char *local;
	size_t local_len, pfx_len;

	xml_root_local(r, &local, &local_len, &pfx_len);
	return local_len == strlen(want) && !memcmp(local, want, local_len);
}

/* Does the root start tag bind its own prefix (or the default) to ns? */
static int xml_root_ns_is(const struct xml_root *r, const char *ns)
{
	const char *local;
	size_t local_len, pfx_len, ns_len = strlen(ns);
	char attr[128];
	const char *a, *end = r->attrs + r->attrs_len;
	int n;

	xml_root_local(r, &local, &local_len, &pfx_len);
	n = pfx_len ? snprintf(attr, sizeof(attr), "xmlns:%.*s", (int)pfx_len, r->name)
		    : snprintf(attr, sizeof(attr), "xmlns");
	if (n < 0 || (size_t)n >= sizeof(attr))
		return 0;
	/* attributes were checked by xs_start_tag: name ws* = ws* quoted */
	for (a = r->attrs; a < end; a++) {
		const char *v;

		if ((a != r->attrs && !xs_space(a[-1])) || end - a < n ||
		    memcmp(a, attr, (size_t)n))
			continue;
		v = a + n;
		while (v < end && xs_space(*v))
			v++;
		if (v >= end || *v++ != '=')
			continue;
		while (v < end && xs_space(*v))
			v++;
		if (v >= end || (*v != '"' && *v != '\''))
			continue;
		return end - v - 1 > (ptrdiff_t)ns_len && !memcmp(v + 1, ns, ns_len) &&
		       v[1 + ns_len] == *v;
	}
	return 0;
}

/* NUL-terminated copy of a body that must not contain NUL. */
static sztp_rc text_copy(const char *what, const char *s, size_t len, char **out,
			 struct sztp_err *e)
{
	*out = NULL;
	if (memchr(s, '\0', len))
		return sztp_err_set(e, SZTP_E_MALFORMED, "%s contains a NUL byte", what);
	*out = malloc(len + 1);
	if (!*out)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory copying %s", what);
	memcpy(*out, s, len);
	(*out)[len] = '\0';
	return SZTP_OK;
}

/* ---- RPC input (RFC 8572 s7.1, s7.2; RFC 8040 s3.6.1) --------------- */

static const char *rpc_name(enum yang_rpc rpc)
{
	return rpc == YANG_RPC_REPORT_PROGRESS ? "report-progress" : "get-bootstrapping-data";
}

/* {"ietf-sztp-bootstrap-server:input":{..}} -> {"<mod>:<rpc>":{..}} text. */
static sztp_rc rpc_wrap_json(const char *what, enum yang_rpc rpc, const char *body, size_t len,
			     char **out, struct sztp_err *e)
{
	json_t *doc = NULL, *inner, *wrapped = NULL;
	const char *name;
	char key[80];
	sztp_rc rc;

	*out = NULL;
	rc = json_parse_object(what, body, len, &doc, e);
	if (rc)
		goto out;
	inner = json_only_member(doc, &name);
	if (!inner || strcmp(name, BS_MOD ":input") || !json_is_object(inner)) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED,
				  "%s: body must be an object with the one member \"" BS_MOD
				  ":input\" holding an object",
				  what);
		goto out;
	}
	snprintf(key, sizeof(key), BS_MOD ":%s", rpc_name(rpc));
	rc = SZTP_E_NOMEM;
	wrapped = json_object();
	if (!wrapped ||
	    json_object_set(wrapped, key, inner)) { /* _set: inner stays owned by doc too */
		sztp_err_set(e, rc, "out of memory rewrapping %s", what);
		goto out;
	}
	rc = json_text(wrapped, out, e);
out:
	json_decref(wrapped);
	json_decref(doc);
	return rc;
}

/* <input xmlns="..bootstrap-server">..</input> -> <get-bootstrapping-data ..>
 * (from: "input", or "output" for a reply). */
static sztp_rc rpc_wrap_xml_from(const char *what, const char *from, enum yang_rpc rpc,
				 const char *body, size_t len, char **out, struct sztp_err *e)
{
	struct xml_root r;
	const char *local, *nm = rpc_name(rpc);
	size_t local_len, pfx_len, nm_len = strlen(nm), size, pos;
	char *s = NULL;
	sztp_rc rc;

	*out = NULL;
	if ((rc = text_copy(what, body, len, &s, e)) || (rc = xml_find_root(what, s, len, &r, e)))
		goto out;
	rc = SZTP_E_MALFORMED;
	if (!xml_local_is(&r, from) || !xml_root_ns_is(&r, BS_NS)) {
		sztp_err_set(e, rc, "%s: root element must be \"%s\" in namespace " BS_NS, what,
			     from);
		goto out;
	}
	xml_root_local(&r, &local, &local_len, &pfx_len);
	size = len + 2 * nm_len + 1;
	rc = SZTP_E_NOMEM;
	if (!(*out = malloc(size))) {
		sztp_err_set(e, rc, "out of memory rewrapping %s", what);
		goto out;
	}
	/* copy with the local name "input" replaced in the start and end tags */
	pos = (size_t)(local - s);
	memcpy(*out, s, pos);
	memcpy(*out + pos, nm, nm_len);
	size = pos + nm_len;
	if (r.end_name) {
		size_t mid =
		    (size_t)(r.end_name + pfx_len + (pfx_len ? 1 : 0) - (local + local_len));

		memcpy(*out + size, local + local_len, mid);
		size += mid;
		memcpy(*out + size, nm, nm_len);
		size += nm_len;
		pos = (size_t)(r.end_name - s) + r.name_len;
	} else {
		pos = (size_t)(local + local_len - s);
	}
	memcpy(*out + size, s + pos, len - pos);
	(*out)[size + len - pos] = '\0';
	rc = SZTP_OK;
out:
	free(s);
	return rc;
}

static sztp_rc rpc_wrap_xml(const char *what, enum yang_rpc rpc, const char *body, size_t len,
			    char **out, struct sztp_err *e)
{
	return rpc_wrap_xml_from(what, "input", rpc, body, len, out, e);
}

/* New object with obj's members, the module prefix dropped from names. */
static json_t *strip_prefixes(json_t *obj)
{
	static const char pfx[] = BS_MOD ":";
	json_t *out = json_object(), *v;
	const char *k;

	if (!out)
		return NULL;
	json_object_foreach(obj, k, v)
	{
		const char *bare = strncmp(k, pfx, sizeof(pfx) - 1) ? k : k + sizeof(pfx) - 1;

		if (json_object_set(out, bare, v)) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* The validated input (the RPC's op tree) as an RFC 7951 object of
 * unprefixed members. */
static sztp_rc validated_input(struct lyd_node *op, enum yang_rpc rpc, json_t **input,
			       struct sztp_err *e)
{
	char *text = NULL, key[80];
	json_t *doc = NULL, *inner;
	sztp_rc rc = SZTP_E_INTERNAL;

	if (lyd_print_mem(&text, op, LYD_JSON, LYD_PRINT_SHRINK) != LY_SUCCESS || !text) {
		sztp_err_set(e, rc, "cannot print the validated %s input", rpc_name(rpc));
		goto out;
	}
	snprintf(key, sizeof(key), BS_MOD ":%s", rpc_name(rpc));
	doc = json_loads(text, 0, NULL);
	inner = doc ? json_object_get(doc, key) : NULL;
	if (!json_is_object(inner)) {
		sztp_err_set(e, rc, "libyang printed unexpected JSON for %s", rpc_name(rpc));
		goto out;
	}
	if (!(*input = strip_prefixes(inner))) {
		rc =
		    sztp_err_set(e, SZTP_E_NOMEM, "out of memory building %s input", rpc_name(rpc));
		goto out;
	}
	rc = SZTP_OK;
out:
	json_decref(doc);
	free(text);
	return rc;
}

static int blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!xs_space(s[i]))
			return 0;
	return 1;
}

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 1099511628211ULL;
	}
	return h;
}

/* A copy of the remembered result for exactly this input, or NULL. */
static json_t *memo_get(struct sztp_yang *y, uint64_t h, enum yang_rpc rpc, enum yang_enc enc,
			const char *body, size_t len)
{
	struct memo *m = &y->memo[h % MEMO_SLOTS];
	json_t *copy = NULL;

	pthread_mutex_lock(&y->memo_mu);
	if (m->body && m->hash == h && m->rpc == rpc && m->enc == enc && m->len == len &&
	    !memcmp(m->body, body, len))
		copy = json_deep_copy(m->input);
	pthread_mutex_unlock(&y->memo_mu);
	return copy;
}

static void memo_put(struct sztp_yang *y, uint64_t h, enum yang_rpc rpc, enum yang_enc enc,
		     const char *body, size_t len, const json_t *input)
{
	struct memo *m = &y->memo[h % MEMO_SLOTS];
	char *b = malloc(len ? len : 1);
	json_t *in = json_deep_copy(input);

	if (!b || !in) {
		free(b);
		json_decref(in);
		return;
	}
	memcpy(b, body, len);
	pthread_mutex_lock(&y->memo_mu);
	free(m->body);
	json_decref(m->input);
	m->hash = h;
	m->rpc = rpc;
	m->enc = enc;
	m->len = len;
	m->body = b;
	m->input = in;
	pthread_mutex_unlock(&y->memo_mu);
}

static sztp_rc rpc_input(struct sztp_yang *y, enum yang_rpc rpc, enum yang_enc enc,
			 const char *body, size_t len, json_t **input, struct sztp_err *e);

sztp_rc yang_rpc_input_json(struct sztp_yang *y, enum yang_rpc rpc, enum yang_enc enc,
			    const char *body, size_t len, json_t **input, struct sztp_err *e)
{
	uint64_t h;
	sztp_rc rc;

	if (!body || len > MEMO_MAX_BODY)
		return rpc_input(y, rpc, enc, body, len, input, e);
	h = fnv1a(body, len);
	*input = memo_get(y, h, rpc, enc, body, len);
	if (*input)
		return SZTP_OK;
	rc = rpc_input(y, rpc, enc, body, len, input, e);
	if (rc == SZTP_OK)
		memo_put(y, h, rpc, enc, body, len, *input);
	return rc;
}

void yang_input_clear(struct yang_input *in)
{
	if (!in)
		return;
	free(in->hw_model);
	free(in->os_name);
	free(in->os_version);
	free(in->nonce);
	free(in->progress_type);
	free(in->message);
	free(in->ssh_host_keys);
	free(in->trust_anchor_certs);
	memset(in, 0, sizeof(*in));
}

/* A string member as a new string; *out NULL when absent.  0 on success. */
static int take_string(json_t *in, const char *name, char **out)
{
	const char *v = json_string_value(json_object_get(in, name));

	*out = v ? strdup(v) : NULL;
	return v && !*out ? -1 : 0;
}

/* A member (any JSON) as compact text; *out NULL when absent. */
static int take_json(json_t *in, const char *name, char **out)
{
	json_t *v = json_object_get(in, name);

	*out = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	return v && !*out ? -1 : 0;
}

sztp_rc yang_rpc_input(struct sztp_yang *y, enum yang_rpc rpc, enum yang_enc enc, const char *body,
		       size_t len, struct yang_input *out, struct sztp_err *e)
{
	json_t *in = NULL;
	sztp_rc rc;

	memset(out, 0, sizeof(*out));
	rc = yang_rpc_input_json(y, rpc, enc, body, len, &in, e);
	if (rc != SZTP_OK)
		goto out;
	out->signed_data_preferred = json_object_get(in, "signed-data-preferred") != NULL;
	if (take_string(in, "hw-model", &out->hw_model) ||
	    take_string(in, "os-name", &out->os_name) ||
	    take_string(in, "os-version", &out->os_version) ||
	    take_string(in, "nonce", &out->nonce) ||
	    take_string(in, "progress-type", &out->progress_type) ||
	    take_string(in, "message", &out->message) ||
	    take_json(in, "ssh-host-keys", &out->ssh_host_keys) ||
	    take_json(in, "trust-anchor-certs", &out->trust_anchor_certs)) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory copying the %s input",
				  rpc_name(rpc));
		yang_input_clear(out);
	}
out:
	json_decref(in);
	return rc;
}

static sztp_rc rpc_input(struct sztp_yang *y, enum yang_rpc rpc, enum yang_enc enc,
			 const char *body, size_t len, json_t **input, struct sztp_err *e)
{
	struct yctx *c = NULL;
	struct ly_in *in = NULL;
	struct lyd_node *tree = NULL, *op = NULL;
	char what[64], *text = NULL;
	sztp_rc rc;

	*input = NULL;
	snprintf(what, sizeof(what), "%s input", rpc_name(rpc));
	if (!body || blank(body, len)) {
		/* RFC 8040 s3.6.1: input with no nodes may be sent without a body */
		if (rpc == YANG_RPC_REPORT_PROGRESS)
			return sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
					    "%s: a body with \"progress-type\" is required", what);
		*input = json_object();
		return *input ? SZTP_OK : sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	rc = enc == YANG_ENC_XML ? rpc_wrap_xml(what, rpc, body, len, &text, e)
				 : rpc_wrap_json(what, rpc, body, len, &text, e);
	if (rc || (rc = take(y, &c, e)))
		goto out;
	rc = SZTP_E_NOMEM;
	if (ly_in_new_memory(text, &in) != LY_SUCCESS) {
		sztp_err_set(e, rc, "out of memory reading %s", what);
		goto out;
	}
	if (lyd_parse_op(c->ctx, NULL, in, enc == YANG_ENC_XML ? LYD_XML : LYD_JSON,
			 LYD_TYPE_RPC_YANG, &tree, &op) ||
	    lyd_validate_op(tree, NULL, LYD_TYPE_RPC_YANG, NULL)) {
		/* `when` on ssh-host-keys / trust-anchor-certs is enforced here
		 * (checked: libyang 2.1.30 evaluates `when` in RPC input) */
		rc = ly_fail(c, what, e);
		goto out;
	}
	if (!op) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "%s: no RPC found in the body", what);
		goto out;
	}
	rc = validated_input(op, rpc, input, e);
out:
	lyd_free_all(tree);
	ly_in_free(in, 0);
	put(y, c);
	free(text);
	return rc;
}

/* ---- yang-data: conveyed information (RFC 8572 s6.3), voucher ------- */

/* Parse doc (already guarded) against a yang-data; *tree non-NULL on OK. */
static sztp_rc ext_parse(struct yctx *c, struct lysc_ext_instance *ext, const char *what,
			 const char *text, LYD_FORMAT fmt, struct lyd_node **tree,
			 struct sztp_err *e)
{
	struct ly_in *in = NULL;
	sztp_rc rc = SZTP_E_NOMEM;

	*tree = NULL;
	if (ly_in_new_memory(text, &in) != LY_SUCCESS) {
		sztp_err_set(e, rc, "out of memory reading %s", what);
		goto out;
	}
	if (lyd_parse_ext_data(ext, NULL, in, fmt, LYD_PARSE_STRICT, LYD_VALIDATE_PRESENT, tree)) {
		rc = ly_fail(c, what, e);
		goto out;
	}
	rc = *tree ? SZTP_OK : sztp_err_set(e, SZTP_E_MISSING_ELEMENT, "%s has no data", what);
out:
	ly_in_free(in, 0);
	return rc;
}

/* libyang 2.1 does not enforce the mandatory top-level choice, nor the
 * redirect list's min-elements 1 (RFC 8572 s6.3): check the parsed tree. */
static sztp_rc conveyed_tree_check(const struct lyd_node *tree, struct sztp_err *e)
{
	const struct lyd_node *ch;

	if (tree->next || (strcmp(tree->schema->name, "redirect-information") &&
			   strcmp(tree->schema->name, "onboarding-information")))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "conveyed information must hold exactly one of "
				    "redirect-information or onboarding-information");
	if (!strcmp(tree->schema->name, "redirect-information")) {
		for (ch = lyd_child(tree); ch; ch = ch->next)
			if (!strcmp(ch->schema->name, "bootstrap-server"))
				return SZTP_OK;
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "redirect-information needs at least one bootstrap-server");
	}
	return SZTP_OK;
}

/* JSON guard against the libyang 2.1 choice loop: exactly one top-level
 * member, one of the two cases, with an object value.  *text is the
 * document as jansson read it, so libyang sees exactly what was checked. */
static sztp_rc conveyed_guard_json(const char *doc, size_t len, char **text, struct sztp_err *e)
{
	json_t *j = NULL, *v;
	const char *name;
	sztp_rc rc;

	*text = NULL;
	rc = json_parse_object("conveyed information", doc, len, &j, e);
	if (rc)
		goto out;
	rc = SZTP_E_INVALID_VALUE;
	v = json_only_member(j, &name);
	if (!v || (strcmp(name, CI_REDIRECT) && strcmp(name, CI_ONBOARD))) {
		sztp_err_set(
		    e, rc,
		    "conveyed information must be an object with exactly one member, \"" CI_REDIRECT
		    "\" or \"" CI_ONBOARD "\"");
		goto out;
	}
	if (!json_is_object(v)) {
		sztp_err_set(e, rc, "conveyed information: \"%s\" must be an object", name);
		goto out;
	}
	if (!strcmp(name, CI_REDIRECT)) {
		json_t *list = json_object_get(v, "bootstrap-server");

		if (!json_is_array(list) || !json_array_size(list)) {
			sztp_err_set(
			    e, rc, "redirect-information needs a non-empty bootstrap-server list");
			goto out;
		}
	}
	rc = json_text(j, text, e);
out:
	json_decref(j);
	return rc;
}

/* XML guard: one root element, named for one of the two cases. */
static sztp_rc conveyed_guard_xml(const char *doc, size_t len, char **text, struct sztp_err *e)
{
	struct xml_root r;
	sztp_rc rc;

	rc = text_copy("conveyed information", doc, len, text, e);
	if (!rc)
		rc = xml_find_root("conveyed information", *text, len, &r, e);
	if (!rc && !xml_local_is(&r, "redirect-information") &&
	    !xml_local_is(&r, "onboarding-information"))
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
				  "conveyed information: the root element must be "
				  "redirect-information or onboarding-information");
	if (rc) {
		free(*text);
		*text = NULL;
	}
	return rc;
}

static sztp_rc conveyed_parse(struct yctx *c, enum yang_enc enc, const char *doc, size_t len,
			      struct lyd_node **tree, struct sztp_err *e)
{
	char *text = NULL;
	sztp_rc rc;

	*tree = NULL;
	rc = enc == YANG_ENC_XML ? conveyed_guard_xml(doc, len, &text, e)
				 : conveyed_guard_json(doc, len, &text, e);
	if (!rc)
		rc = ext_parse(c, c->conveyed, "conveyed information", text,
			       enc == YANG_ENC_XML ? LYD_XML : LYD_JSON, tree, e);
	if (!rc)
		rc = conveyed_tree_check(*tree, e);
	if (rc) {
		lyd_free_all(*tree);
		*tree = NULL;
	}
	free(text);
	return rc;
}

sztp_rc yang_conveyed_validate(struct sztp_yang *y, enum yang_enc enc, const char *doc, size_t len,
			       struct sztp_err *e)
{
	struct yctx *c = NULL;
	struct lyd_node *tree = NULL;
	sztp_rc rc;

	if (!doc)
		return sztp_err_set(e, SZTP_E_MALFORMED, "conveyed information is empty");
	rc = take(y, &c, e);
	if (!rc)
		rc = conveyed_parse(c, enc, doc, len, &tree, e);
	lyd_free_all(tree);
	put(y, c);
	return rc;
}

sztp_rc yang_conveyed_to_xml(struct sztp_yang *y, const char *json, size_t len, char **xml,
			     struct sztp_err *e)
{
	struct yctx *c = NULL;
	struct lyd_node *tree = NULL;
	sztp_rc rc;

	*xml = NULL;
	if (!json)
		return sztp_err_set(e, SZTP_E_MALFORMED, "conveyed information is empty");
	rc = take(y, &c, e);
	if (!rc)
		rc = conveyed_parse(c, YANG_ENC_JSON, json, len, &tree, e);
	/* the printer normalises (prefixes, date-and-time): fine for output */
	if (!rc && (lyd_print_mem(xml, tree, LYD_XML, LYD_PRINT_SHRINK) != LY_SUCCESS || !*xml)) {
		free(*xml);
		*xml = NULL;
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "cannot print conveyed information as XML");
	}
	lyd_free_all(tree);
	put(y, c);
	return rc;
}

sztp_rc yang_voucher_validate(struct sztp_yang *y, const char *json, size_t len, struct sztp_err *e)
{
	struct yctx *c = NULL;
	struct lyd_node *tree = NULL;
	json_t *j = NULL, *v;
	const char *name;
	char *text = NULL;
	sztp_rc rc;

	if (!json)
		return sztp_err_set(e, SZTP_E_MALFORMED, "voucher is empty");
	rc = json_parse_object("voucher", json, len, &j, e);
	if (rc)
		goto out;
	v = json_only_member(j, &name);
	if (!v || strcmp(name, VOUCHER_MEMBER) || !json_is_object(v)) {
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
				  "voucher must be an object with the one member \"" VOUCHER_MEMBER
				  "\" holding an object (RFC 8366 s5.3)");
		goto out;
	}
	if ((rc = json_text(j, &text, e)) || (rc = take(y, &c, e)))
		goto out;
	rc = ext_parse(c, c->voucher, "voucher", text, LYD_JSON, &tree, e);
out:
	lyd_free_all(tree);
	put(y, c);
	free(text);
	json_decref(j);
	return rc;
}

sztp_rc yang_conveyed_to_json(struct sztp_yang *y, enum yang_enc enc, const char *doc, size_t len,
			      char **json, struct sztp_err *e)
{
	struct yctx *c = NULL;
	struct lyd_node *tree = NULL;
	sztp_rc rc;

	*json = NULL;
	if (!doc)
		return sztp_err_set(e, SZTP_E_MALFORMED, "conveyed information is empty");
	rc = take(y, &c, e);
	if (!rc)
		rc = conveyed_parse(c, enc, doc, len, &tree, e);
	if (!rc &&
	    (lyd_print_mem(json, tree, LYD_JSON, LYD_PRINT_SHRINK) != LY_SUCCESS || !*json)) {
		free(*json);
		*json = NULL;
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "cannot print conveyed information as JSON");
	}
	lyd_free_all(tree);
	put(y, c);
	return rc;
}

sztp_rc yang_bootstrap_output_json(struct sztp_yang *y, const char *xml, size_t len, char **json,
				   struct sztp_err *e)
{
	static const char what[] = "get-bootstrapping-data output";
	struct yctx *c = NULL;
	struct ly_in *in = NULL;
	struct lyd_node *tree = NULL, *op = NULL;
	char *text = NULL, *printed = NULL, key[80];
	json_t *doc = NULL, *inner, *wrapped = NULL;
	sztp_rc rc;

	*json = NULL;
	if (!xml || blank(xml, len))
		return sztp_err_set(e, SZTP_E_MALFORMED, "%s is empty", what);
	if ((rc = rpc_wrap_xml_from(what, "output", YANG_RPC_GET_BOOTSTRAPPING_DATA, xml, len,
				    &text, e)) ||
	    (rc = take(y, &c, e)))
		goto out;
	rc = SZTP_E_NOMEM;
	if (ly_in_new_memory(text, &in) != LY_SUCCESS) {
		sztp_err_set(e, rc, "out of memory reading %s", what);
		goto out;
	}
	if (lyd_parse_op(c->ctx, NULL, in, LYD_XML, LYD_TYPE_REPLY_YANG, &tree, &op) ||
	    lyd_validate_op(tree, NULL, LYD_TYPE_REPLY_YANG, NULL)) {
		rc = ly_fail(c, what, e);
		goto out;
	}
	rc = SZTP_E_INTERNAL;
	if (!op || lyd_print_mem(&printed, op, LYD_JSON, LYD_PRINT_SHRINK) != LY_SUCCESS ||
	    !printed) {
		sztp_err_set(e, rc, "cannot print the validated %s", what);
		goto out;
	}
	snprintf(key, sizeof(key), BS_MOD ":%s", rpc_name(YANG_RPC_GET_BOOTSTRAPPING_DATA));
	doc = json_loads(printed, 0, NULL);
	inner = doc ? json_object_get(doc, key) : NULL;
	if (!json_is_object(inner)) {
		sztp_err_set(e, rc, "libyang printed unexpected JSON for the %s", what);
		goto out;
	}
	/* the JSON encoding of the same output (RFC 8040 s3.6.2) */
	if (!(wrapped = json_object()) ||
	    json_object_set_new(wrapped, BS_MOD ":output", strip_prefixes(inner))) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	rc = json_text(wrapped, json, e);
out:
	json_decref(wrapped);
	json_decref(doc);
	free(printed);
	lyd_free_all(tree);
	ly_in_free(in, 0);
	put(y, c);
	free(text);
	return rc;
}
