/*
 * ctl_device.c - sztpctl's `device` commands over the admin API
 * (admin/devices.c does the work): enrol, list, show, change, remove and
 * bulk-import devices.  A device is known by the serial number of its
 * IDevID (RFC 8572 s5.3, s9.6), may carry an HTTP-auth password (stored
 * only as a salted hash; never printed but once when generated), a
 * profile naming the conveyed information it receives, an ownership
 * voucher (s3.3) and the pin of its IDevID key.  The files the options
 * name (password, voucher, IDevID, the CSV and the vouchers it names) are
 * read here and their contents sent.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../server/config.h" /* sztpd's password-cost */
#include "crypto.h"
#include "ctl.h"
#include "passwd.h"
#include "util.h"

#define CSV_MAX	   (64 * 1024 * 1024)
#define CSV_HEADER "serial,profile,password,voucher"
#define PW_MAX	   1024
#define PEM_MAX	   (64 * 1024)

unsigned ctl_password_cost(struct ctl *c)
{
	static unsigned cost; /* read once */
	const char *env = getenv("SZTP_DB");
	struct config cfg;

	if (cost)
		return cost;
	cost = PASSWD_COST_DEFAULT;
	if (!c->conf_path && (c->db_path || (env && *env)))
		return cost;
	if (config_load(c->conf_path ? c->conf_path : "/etc/sztp/sztpd.conf", &cfg, NULL) ==
	    SZTP_OK) {
		cost = (unsigned)cfg.password_cost;
		config_free(&cfg);
	}
	return cost;
}

/* A member of the request that holds a secret: wiped before it is freed. */
static void wipe_member(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	if (json_is_string(v))
		crypto_wipe((char *)json_string_value(v), json_string_length(v));
}

static const char *device_path(const char *serial, char *buf, size_t len)
{
	char seg[4 * PKI_SERIAL_MAX];

	snprintf(buf, len, "/devices/%s", ctl_seg(serial, seg, sizeof(seg)));
	return buf;
}

/* --password, --password-file or --password-generate into body
 * ("password" / "password-generate"); *given = 0 when none is present. */
static sztp_rc password_opt(struct ctl *c, json_t *body, int *given, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	const char *pw = opt_get(c, "password"), *file = opt_get(c, "password-file");
	int gen = opt_has(c, "password-generate");
	char buf[PW_MAX];

	*given = 0;
	if ((pw != NULL) + (file != NULL) + gen > 1)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --password, --password-file or --password-generate, not "
				    "both");
	if (file && (rc = ctl_read_password(file, buf, sizeof(buf), e)) != SZTP_OK)
		goto out;
	if (file)
		pw = buf;
	if (pw && !*pw) {
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "the password is empty");
		goto out;
	}
	*given = pw || gen;
	if (pw)
		json_object_set_new(body, "password", json_string(pw));
	if (gen)
		json_object_set_new(body, "password-generate", json_true());
out:
	crypto_wipe(buf, sizeof(buf));
	return rc;
}

/* --voucher FILE (base64, with --masa-ca's PEM when it goes to a server)
 * and --idevid FILE (PEM) into body. */
static sztp_rc files_opt(struct ctl *c, json_t *body, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	const char *voucher = opt_get(c, "voucher"), *idevid = opt_get(c, "idevid");
	char *b64 = NULL, *pem = NULL;
	sztp_bytes b = {NULL, 0};

	if (voucher && ((rc = ctl_voucher_anchor(c, &pem, e)) != SZTP_OK ||
			(rc = ctl_voucher_file(voucher, &b64, e)) != SZTP_OK))
		goto out;
	if (b64)
		json_object_set_new(body, "voucher", json_string(b64));
	if (pem)
		json_object_set_new(body, "masa-ca", json_string(pem));
	if (idevid && (rc = file_read(idevid, PEM_MAX, &b, e)) == SZTP_OK)
		json_object_set_new(body, "idevid", json_stringn((const char *)b.data, b.len));
out:
	sztp_bytes_free(&b);
	free(b64);
	free(pem);
	return rc;
}

/* The device answered by an enrolment or change: warnings to stderr,
 * --json prints it. */
static sztp_rc answered(struct ctl *c, struct ctl_resp *r, struct sztp_err *e)
{
	ctl_warnings(r->json);
	return c->json ? ctl_print_json(r->json, e) : SZTP_OK;
}

sztp_rc cmd_device_add(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	const char *profile = opt_get(c, "profile"), *gen;
	json_t *body = json_pack("{s:s}", "serial", c->pos[0]);
	struct ctl_resp r;
	int has_pw = 0;

	memset(&r, 0, sizeof(r));
	if (!body) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	if (profile)
		json_object_set_new(body, "profile", json_string(profile));
	if ((rc = password_opt(c, body, &has_pw, e)) != SZTP_OK ||
	    (rc = files_opt(c, body, e)) != SZTP_OK ||
	    (rc = ctl_call(c, "POST", "/devices", NULL, body, &r, e)) != SZTP_OK ||
	    (rc = answered(c, &r, e)) != SZTP_OK)
		goto out;
	gen = json_string_value(json_object_get(r.json, "password"));
	ctl_done(c, "device %s enrolled%s%s%s%s%s", c->pos[0],
		 opt_has(c, "voucher") ? " with voucher" : "", has_pw ? ", password set" : "",
		 opt_has(c, "idevid") ? ", IDevID key pinned" : "", gen ? "\npassword: " : "",
		 gen ? gen : "");
	wipe_member(r.json, "password");
out:
	wipe_member(body, "password");
	json_decref(body);
	ctl_resp_clear(&r);
	return rc;
}

sztp_rc cmd_device_remove(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct ctl_resp r;
	char path[4 * PKI_SERIAL_MAX + 16];

	rc = ctl_call(c, "DELETE", device_path(c->pos[0], path, sizeof(path)), NULL, NULL, &r, e);
	if (rc == SZTP_OK)
		ctl_done(c, "device %s removed", c->pos[0]);
	ctl_resp_clear(&r);
	return rc;
}

/* device set's options into a device-patch body. */
static sztp_rc patch_body(struct ctl *c, json_t *body, struct sztp_err *e)
{
	sztp_rc rc;
	const char *profile = opt_get(c, "profile");
	int has_pw;

	if (profile && opt_has(c, "no-profile"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --profile or --no-profile, not both");
	if (opt_has(c, "reset-idevid-pin") && opt_has(c, "idevid"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --idevid or --reset-idevid-pin, not both");
	if (opt_has(c, "no-password") && (opt_has(c, "password") || opt_has(c, "password-file") ||
					  opt_has(c, "password-generate")))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give a password or --no-password, not both");
	if ((rc = password_opt(c, body, &has_pw, e)) != SZTP_OK ||
	    (rc = files_opt(c, body, e)) != SZTP_OK)
		return rc;
	if (profile || opt_has(c, "no-profile"))
		json_object_set_new(body, "profile", profile ? json_string(profile) : json_null());
	if (opt_has(c, "no-password"))
		json_object_set_new(body, "password", json_null());
	if (opt_has(c, "reset-idevid-pin"))
		json_object_set_new(body, "reset-idevid-pin", json_true());
	if (!json_object_size(body))
		return sztp_err_set(
		    e, SZTP_E_MISSING_ELEMENT,
		    "nothing to change: give --profile, --no-profile, --password, "
		    "--password-file, --password-generate, --no-password, --idevid or "
		    "--reset-idevid-pin");
	return SZTP_OK;
}

sztp_rc cmd_device_set(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	json_t *body = json_object(), *prof;
	struct ctl_resp r;
	const char *gen;
	char path[4 * PKI_SERIAL_MAX + 16];

	memset(&r, 0, sizeof(r));
	if (!body) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	if ((rc = patch_body(c, body, e)) != SZTP_OK ||
	    (rc = ctl_call(c, "PATCH", device_path(c->pos[0], path, sizeof(path)), NULL, body, &r,
			   e)) != SZTP_OK ||
	    (rc = answered(c, &r, e)) != SZTP_OK)
		goto out;
	gen = json_string_value(json_object_get(r.json, "password"));
	prof = json_object_get(r.json, "profile");
	ctl_done(c, "device %s updated: profile %s, password %s%s%s%s", c->pos[0],
		 json_is_string(prof) ? json_string_value(prof) : "(none)",
		 gen || json_is_true(json_object_get(r.json, "password")) ? "set" : "not set",
		 opt_has(c, "idevid")		  ? ", IDevID key pinned"
		 : opt_has(c, "reset-idevid-pin") ? ", IDevID pin removed (the next key is pinned)"
						  : "",
		 gen ? "\npassword: " : "", gen ? gen : "");
	wipe_member(r.json, "password");
out:
	wipe_member(body, "password");
	json_decref(body);
	ctl_resp_clear(&r);
	return rc;
}

/* ---- list --------------------------------------------------------------- */

/* q += "&name=value" (value percent-encoded) for an option given. */
static void query_add(char *q, size_t len, const char *name, const char *value)
{
	char enc[1024];
	size_t n = strlen(q);

	if (value)
		snprintf(q + n, len - n, "%s%s=%s", n ? "&" : "", name,
			 ctl_seg(value, enc, sizeof(enc)));
}

static sztp_rc list_query(struct ctl *c, char *q, size_t len, long *days, struct sztp_err *e)
{
	static const char *const opts[] = {"serial-prefix", "profile",	   "state",
					   "seen-since",    "seen-before", NULL};
	const char *hv = opt_get(c, "has-voucher");
	char d[24];
	sztp_rc rc;
	size_t i;

	q[0] = '\0';
	if ((rc = ctl_expiry_days(c, days, e)) != SZTP_OK)
		return rc;
	if (hv && strcmp(hv, "yes") && strcmp(hv, "no"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "--has-voucher wants yes or no, not '%s'", hv);
	for (i = 0; opts[i]; i++)
		query_add(q, len, opts[i], opt_get(c, opts[i]));
	query_add(q, len, "has-voucher", hv ? (strcmp(hv, "yes") ? "false" : "true") : NULL);
	snprintf(d, sizeof(d), "%ld", *days);
	query_add(q, len, "expiring-within", d);
	return SZTP_OK;
}

static const char *time_or_dash(json_t *t)
{
	return json_is_string(t) ? json_string_value(t) : "-";
}

/* The table's header, once: before the first row, or after an empty list
 * (not before an error). */
struct list {
	json_t *arr; /* --json */
	int header;
};

static void list_header(struct list *l)
{
	if (!l->header++ && !l->arr)
		printf("%-24s %-16s %-22s %-8s %-8s %s\n", "SERIAL", "PROFILE", "STATE", "PASSWORD",
		       "VOUCHER", "LAST-SEEN");
}

static int list_row(json_t *d, void *arg)
{
	struct list *l = arg;
	json_t *prof = json_object_get(d, "profile");
	const char *x = json_string_value(json_object_get(d, "voucher-expiry")), *v = "-";
	char b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX], b3[CTL_TEXT_MAX];

	if (l->arr)
		return json_array_append(l->arr, d) ? 1 : 0;
	list_header(l);
	if (json_is_true(json_object_get(d, "voucher")))
		v = x && !strcmp(x, "expired")	  ? "EXPIRED"
		    : x && !strcmp(x, "expiring") ? "expiring"
						  : "yes";
	printf("%-24s %-16s %-22s %-8s %-8s %s\n",
	       ctl_text(json_string_value(json_object_get(d, "serial")), b1),
	       json_is_string(prof) ? ctl_text(json_string_value(prof), b2) : "-",
	       ctl_text(json_string_value(json_object_get(d, "state")), b3),
	       json_is_true(json_object_get(d, "password")) ? "set" : "-", v,
	       time_or_dash(json_object_get(d, "last-seen")));
	return 0;
}

sztp_rc cmd_device_list(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	char q[2048];
	long days;
	struct list l = {NULL, 0};

	if ((rc = list_query(c, q, sizeof(q), &days, e)) != SZTP_OK)
		return rc;
	if (c->json && !(l.arr = json_array()))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if ((rc = ctl_list_all(c, "/devices", q, list_row, &l, e)) == SZTP_OK) {
		list_header(&l);
		if (l.arr)
			rc = ctl_print_json(l.arr, e);
	}
	json_decref(l.arr);
	return rc;
}

/* ---- show --------------------------------------------------------------- */

static void show_text(json_t *d, long days)
{
	char b1[CTL_TEXT_MAX];
	json_t *prof = json_object_get(d, "profile"), *pin = json_object_get(d, "idevid-pin");
	json_t *sum = json_object_get(d, "voucher-summary");
	json_int_t n = json_integer_value(json_object_get(d, "progress-reports"));

	printf("serial:     %s\n", ctl_text(json_string_value(json_object_get(d, "serial")), b1));
	printf("profile:    %s\n",
	       json_is_string(prof) ? ctl_text(json_string_value(prof), b1) : "(none)");
	printf("password:   %s\n",
	       json_is_true(json_object_get(d, "password")) ? "set" : "not set");
	printf("idevid pin: %s%s\n", json_is_string(pin) ? "sha256 " : "none",
	       json_is_string(pin) ? json_string_value(pin) : "");
	printf("state:      %s\n", ctl_text(json_string_value(json_object_get(d, "state")), b1));
	printf("created:    %s\n", time_or_dash(json_object_get(d, "created")));
	printf("first seen: %s\n", json_is_string(json_object_get(d, "first-seen"))
				       ? json_string_value(json_object_get(d, "first-seen"))
				       : "never");
	printf("last seen:  %s\n", json_is_string(json_object_get(d, "last-seen"))
				       ? json_string_value(json_object_get(d, "last-seen"))
				       : "never");
	if (n)
		printf("progress:   %lld report(s), last %s at %s\n", (long long)n,
		       ctl_text(json_string_value(json_object_get(d, "last-progress")), b1),
		       time_or_dash(json_object_get(d, "last-progress-time")));
	else
		printf("progress:   no reports\n");
	if (!json_is_true(json_object_get(d, "voucher"))) {
		printf("voucher:    none\n");
		return;
	}
	printf("voucher:\n");
	if (json_is_object(sum))
		ctl_voucher_print(sum, days);
	else
		printf("  unreadable: the stored voucher does not parse\n");
}

sztp_rc cmd_device_show(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct ctl_resp r;
	long days = 0;
	char path[4 * PKI_SERIAL_MAX + 16], query[48];

	if ((rc = ctl_expiry_days(c, &days, e)) != SZTP_OK)
		return rc;
	snprintf(query, sizeof(query), "expiring-within=%ld", days);
	if ((rc = ctl_call(c, "GET", device_path(c->pos[0], path, sizeof(path)), query, NULL, &r,
			   e)) != SZTP_OK)
		return rc;
	if (c->json)
		rc = ctl_print_json(r.json, e);
	else
		show_text(r.json, days);
	ctl_resp_clear(&r);
	return rc;
}

/* ---- import ------------------------------------------------------------- */

/* Split one CSV record in place (RFC 4180, without line breaks inside a
 * field): a field is bare (no '"' in it) or wholly quoted, a quote inside
 * a quoted field written twice.  Returns the number of fields (the first
 * 4 in f), or -1 for a malformed quote. */
static int csv_fields(char *line, char *f[4])
{
	char *r = line, *w = line; /* read, write: w never passes r */
	int n = 0;

	for (;;) {
		char *start = w;
		if (*r == '"') {
			for (r++;; r++) {
				if (*r == '\0')
					return -1; /* not closed on this line */
				if (*r == '"' && r[1] != '"')
					break;
				if (*r == '"')
					r++; /* "" is one quote */
				*w++ = *r;
			}
			r++;
			if (*r != ',' && *r != '\0')
				return -1; /* text after the closing quote */
		} else {
			for (; *r && *r != ','; r++) {
				if (*r == '"')
					return -1; /* a quote in a bare field */
				*w++ = *r;
			}
		}
		if (n < 4)
			f[n] = start;
		n++;
		if (*r == '\0') {
			*w = '\0';
			return n;
		}
		r++; /* the comma */
		*w++ = '\0';
	}
}

struct import {
	const char *path, *dir;
	json_t *devices;       /* device-create items */
	size_t *lines, nlines; /* the CSV line of each item */
	int vouchers;
};

/* One data row as a device-create; errors are prefixed with the line
 * number by the caller. */
static sztp_rc import_row(struct import *im, char *line, size_t lineno, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	char *f[4], vpath[4096], *b64 = NULL;
	int n = csv_fields(line, f);
	json_t *o = NULL;
	size_t *l;

	if (n < 0)
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "malformed quoting (RFC 4180: a field is either unquoted or "
				    "wholly quoted, with \"\" for a quote; no line breaks inside)");
	if (n != 4)
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "expected 4 fields (" CSV_HEADER "), found %d", n);
	if (*f[3]) {
		int w = f[3][0] == '/' ? snprintf(vpath, sizeof(vpath), "%s", f[3])
				       : snprintf(vpath, sizeof(vpath), "%s/%s", im->dir, f[3]);
		if (w < 0 || (size_t)w >= sizeof(vpath))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE, "voucher path too long");
		if ((rc = ctl_voucher_file(vpath, &b64, e)) != SZTP_OK)
			return rc;
		im->vouchers++;
	}
	if (!(l = realloc(im->lines, (im->nlines + 1) * sizeof(*l))) ||
	    !(o = json_pack("{s:s, s:s*, s:s*, s:s*}", "serial", f[0], "profile",
			    *f[1] ? f[1] : NULL, "password", *f[2] ? f[2] : NULL, "voucher",
			    b64)) ||
	    json_array_append_new(im->devices, o) < 0) {
		if (l)
			im->lines = l;
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	} else {
		im->lines = l;
		im->lines[im->nlines++] = lineno;
		rc = SZTP_OK;
	}
	crypto_wipe(f[2], strlen(f[2]));
	free(b64);
	return rc;
}

static sztp_rc import_lines(struct import *im, char *text, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	char *line = text, *next, msg[SZTP_ERR_MSG_MAX];
	size_t lineno = 0;

	if (strncmp(line, "\xef\xbb\xbf", 3) == 0) /* UTF-8 BOM */
		line += 3;
	for (; line && *line; line = next) {
		size_t len;
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (lineno == 1) {
			if (strcmp(line, CSV_HEADER) != 0)
				return sztp_err_set(e, SZTP_E_MALFORMED,
						    "%s line 1: header must be '" CSV_HEADER "'",
						    im->path);
			continue;
		}
		if (len && (rc = import_row(im, line, lineno, e)) != SZTP_OK) {
			snprintf(msg, sizeof(msg), "%s", e ? e->msg : "");
			return sztp_err_set(e, rc, "%s line %zu: %s; nothing imported", im->path,
					    lineno, msg);
		}
	}
	if (lineno == 0)
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "%s is empty (no header line)", im->path);
	return rc;
}

/* The API names a bad item "devices[i]: ..."; the operator wants its line. */
static sztp_rc import_failed(struct import *im, sztp_rc rc, struct sztp_err *e)
{
	char msg[SZTP_ERR_MSG_MAX];
	size_t i;
	int off = 0;

	if (!e || sscanf(e->msg, "devices[%zu]: %n", &i, &off) != 1 || !off || i >= im->nlines)
		return rc;
	snprintf(msg, sizeof(msg), "%s", e->msg + off);
	return sztp_err_set(e, rc, "%s line %zu: %s; nothing imported", im->path, im->lines[i],
			    msg);
}

/* The CSV as one POST /bulk/devices (all or nothing). */
static sztp_rc import_call(struct ctl *c, struct import *im, struct ctl_resp *r, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	json_t *body = json_pack("{s:O}", "devices", im->devices);
	char *pem = NULL;

	memset(r, 0, sizeof(*r));
	if (!body) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	if (im->vouchers && (rc = ctl_voucher_anchor(c, &pem, e)) != SZTP_OK)
		goto out;
	if (pem)
		json_object_set_new(body, "masa-ca", json_string(pem));
	if ((rc = ctl_call(c, "POST", "/bulk/devices", NULL, body, r, e)) != SZTP_OK)
		rc = import_failed(im, rc, e);
out:
	free(pem);
	json_decref(body);
	return rc;
}

sztp_rc cmd_device_import(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	sztp_bytes b = {NULL, 0};
	char *dcopy = NULL;
	struct import im = {c->pos[0], NULL, json_array(), NULL, 0, 0};
	struct ctl_resp r;
	struct timespec t0, t1;
	double secs;
	json_t *o;
	size_t i;

	memset(&r, 0, sizeof(r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = file_read(c->pos[0], CSV_MAX, &b, e)) != SZTP_OK)
		goto out;
	if (memchr(b.data, '\0', b.len)) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "%s contains a NUL byte", c->pos[0]);
		goto out;
	}
	if (!im.devices || !(dcopy = strdup(c->pos[0]))) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	im.dir = dirname(dcopy);
	if ((rc = import_lines(&im, (char *)b.data, e)) != SZTP_OK ||
	    (im.nlines && ((rc = import_call(c, &im, &r, e)) != SZTP_OK ||
			   (rc = answered(c, &r, e)) != SZTP_OK)))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ctl_done(c, "imported %zu device(s) from %s in %.2f s (%.0f devices/s)", im.nlines,
		 c->pos[0], secs, secs > 0 ? (double)im.nlines / secs : 0.0);
out:
	ctl_resp_clear(&r);
	json_array_foreach(im.devices, i, o)
	{
		wipe_member(o, "password");
	}
	json_decref(im.devices);
	free(im.lines);
	free(dcopy);
	sztp_bytes_wipe(&b);
	return rc;
}
