/*
 * ctl_device.c - sztpctl's `device` commands: enrol, list, show, change,
 * remove and bulk-import devices.  A device is known by the serial number
 * of its IDevID (RFC 8572 s5.3, s9.6), may carry an HTTP-auth password
 * (stored only as a salted hash; never printed), a profile naming the
 * conveyed information it receives, and an ownership voucher (s3.3)
 * checked by ctl_voucher.c before it is stored.
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

/* The cost of new password hashes: sztpd's password-cost when sztpctl
 * reads sztpd's configuration (-c CONF, or no -d and no $SZTP_DB), else
 * the default; so both hash alike. */
static unsigned password_cost(struct ctl *c)
{
	static unsigned cost; /* read once (device import hashes many) */
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

/* The password given by --password or --password-file, or made by
 * --password-generate (then also left in generated, to be shown once),
 * hashed into out; *given = 0 when none of them is present. */
static sztp_rc password_opt(struct ctl *c, char out[PASSWD_HASH_MAX], int *given,
			    char generated[PASSWD_GEN_MAX], struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	const char *pw = opt_get(c, "password"), *file = opt_get(c, "password-file");
	int gen = opt_has(c, "password-generate");
	char buf[PW_MAX];

	*given = 0;
	generated[0] = '\0';
	if ((pw != NULL) + (file != NULL) + gen > 1)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --password, --password-file or --password-generate, not "
				    "both");
	if (gen) {
		if ((rc = passwd_generate(generated, PASSWD_GEN_MAX, PASSWD_GEN_LEN, e)) != SZTP_OK)
			goto out;
		pw = generated;
	}
	if (file) {
		if ((rc = ctl_read_password(file, buf, sizeof(buf), e)) != SZTP_OK)
			goto out;
		pw = buf;
	}
	if (!pw)
		goto out;
	if (!*pw) {
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "the password is empty");
		goto out;
	}
	*given = 1;
	rc = passwd_hash_cost(pw, password_cost(c), out, e);
out:
	crypto_wipe(buf, sizeof(buf));
	return rc;
}

/* RFC 7617: an HTTP Basic user-id cannot hold a colon, so a device whose
 * serial has one can only authenticate with its certificate. */
static sztp_rc password_fits_serial(const char *serial, int has_pw, struct sztp_err *e)
{
	if (has_pw && strchr(serial, ':'))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "serial number '%s' holds a ':', which an HTTP Basic user name "
				    "cannot (RFC 7617): such a device authenticates with its "
				    "certificate only, set no password",
				    serial);
	return SZTP_OK;
}

/* One enrolment: serial checked, profile must exist, voucher verified. */
static sztp_rc enrol(struct ctl *c, const char *serial, const char *profile, const char *pw_hash,
		     const char *voucher_path, struct sztp_err *e)
{
	sztp_rc rc;
	struct reg_device d;
	char owner[REG_NAME_MAX];

	memset(&d, 0, sizeof(d));
	if ((rc = ctl_check_serial(serial, e)) != SZTP_OK ||
	    (rc = password_fits_serial(serial, pw_hash != NULL, e)) != SZTP_OK ||
	    (rc = ctl_profile_owner(c, profile, owner, e)) != SZTP_OK)
		goto out;
	if (serial[0] == ' ' || serial[strlen(serial) - 1] == ' ')
		ctl_warn("serial number '%s' begins or ends with a space: it is part of the "
			 "serial and must match the certificate's exactly",
			 serial);
	snprintf(d.serial, sizeof(d.serial), "%s", serial);
	snprintf(d.profile, sizeof(d.profile), "%s", profile ? profile : "");
	d.password_hash = (char *)pw_hash; /* borrowed; not freed below */
	snprintf(d.state, sizeof(d.state), "enrolled");
	d.created = (int64_t)time(NULL);
	if (voucher_path &&
	    (rc = ctl_voucher_load(c, voucher_path, serial, owner, &d, e)) != SZTP_OK)
		goto out;
	rc = reg_device_add(c->reg, &d, e);
	if (rc == SZTP_E_EXISTS)
		sztp_err_set(e, rc, "device '%s' is already enrolled", serial);
	else if (rc == SZTP_E_NOT_FOUND)
		sztp_err_set(e, rc, "no profile named '%s'", profile);
out:
	sztp_bytes_free(&d.voucher);
	return rc;
}

/* --idevid FILE.pem: the SHA-256 of its first certificate's public key
 * (what sztpd pins); a certificate naming another serial is refused. */
static sztp_rc idevid_opt(struct ctl *c, const char *serial, uint8_t pin[REG_PIN_LEN], int *given,
			  struct sztp_err *e)
{
	const char *path = opt_get(c, "idevid");
	char sn[PKI_SERIAL_MAX];
	sztp_bytes *certs = NULL;
	size_t n = 0;
	sztp_rc rc = SZTP_OK;

	*given = 0;
	if (!path)
		return SZTP_OK;
	if ((rc = pki_pem_certs_read(path, &certs, &n, e)) != SZTP_OK)
		goto out;
	rc = pki_cert_serial_number(&certs[0], sn, sizeof(sn), NULL);
	if (rc == SZTP_OK && strcmp(sn, serial) != 0) {
		rc = sztp_err_set(e, SZTP_E_MISMATCH,
				  "--idevid %s names serial number '%s', not '%s'", path, sn,
				  serial);
		goto out;
	}
	if ((rc = pki_cert_spki_sha256(&certs[0], pin, e)) != SZTP_OK)
		goto out;
	*given = 1;
out:
	pki_certs_free(certs, n);
	return rc;
}

/* The profile a device is in pins IDevIDs; else a warning that a pin
 * given for it is recorded but not enforced. */
static void pin_advice(struct ctl *c, const char *serial, const char *profile)
{
	int on = 0;

	if (profile && *profile)
		(void)reg_profile_pin_get(c->reg, profile, &on, NULL);
	if (!on)
		ctl_warn("device %s: its profile %s does not pin IDevIDs (--pin-idevid): the pin "
			 "is recorded but not enforced",
			 serial, profile && *profile ? profile : "(none)");
}

sztp_rc cmd_device_add(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	char hash[PASSWD_HASH_MAX], gen[PASSWD_GEN_MAX];
	uint8_t pin[REG_PIN_LEN];
	int has_pw, has_pin = 0;
	const char *voucher = opt_get(c, "voucher"), *profile = opt_get(c, "profile");

	if ((rc = ctl_check_serial(c->pos[0], e)) != SZTP_OK ||
	    (rc = idevid_opt(c, c->pos[0], pin, &has_pin, e)) != SZTP_OK ||
	    (rc = password_opt(c, hash, &has_pw, gen, e)) != SZTP_OK)
		goto out;
	rc = enrol(c, c->pos[0], profile, has_pw ? hash : NULL, voucher, e);
	if (rc == SZTP_OK && has_pin &&
	    (rc = reg_device_pin_set(c->reg, c->pos[0], pin, e)) == SZTP_OK)
		pin_advice(c, c->pos[0], profile);
	if (rc == SZTP_OK)
		ctl_done(c, "device %s enrolled%s%s%s%s%s", c->pos[0],
			 voucher ? " with voucher" : "", has_pw ? ", password set" : "",
			 has_pin ? ", IDevID key pinned" : "", gen[0] ? "\npassword: " : "", gen);
out:
	crypto_wipe(gen, sizeof(gen));
	return rc;
}

sztp_rc cmd_device_remove(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc = reg_device_remove(c->reg, c->pos[0], e);

	if (rc == SZTP_E_NOT_FOUND)
		sztp_err_set(e, rc, "no device with serial '%s'", c->pos[0]);
	if (rc == SZTP_OK)
		ctl_done(c, "device %s removed", c->pos[0]);
	return rc;
}

sztp_rc cmd_device_set(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct reg_device d;
	char hash[PASSWD_HASH_MAX], owner[REG_NAME_MAX], gen[PASSWD_GEN_MAX] = "";
	uint8_t pin[REG_PIN_LEN];
	const char *profile = opt_get(c, "profile");
	int has_pw, has_pin = 0, reset_pin = opt_has(c, "reset-idevid-pin");

	memset(&d, 0, sizeof(d));
	if (profile && opt_has(c, "no-profile"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --profile or --no-profile, not both");
	if (reset_pin && opt_has(c, "idevid"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --idevid or --reset-idevid-pin, not both");
	if ((rc = idevid_opt(c, c->pos[0], pin, &has_pin, e)) != SZTP_OK)
		return rc;
	if (opt_has(c, "no-password") && (opt_has(c, "password") || opt_has(c, "password-file") ||
					  opt_has(c, "password-generate")))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give a password or --no-password, not both");
	if ((rc = password_opt(c, hash, &has_pw, gen, e)) != SZTP_OK)
		goto out;
	if (!profile && !has_pw && !has_pin && !reset_pin && !opt_has(c, "no-profile") &&
	    !opt_has(c, "no-password")) {
		rc =
		    sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				 "nothing to change: give --profile, --no-profile, --password, "
				 "--password-file, --password-generate, --no-password, --idevid or "
				 "--reset-idevid-pin");
		goto out;
	}
	if ((rc = reg_device_get(c->reg, c->pos[0], &d, e)) != SZTP_OK) {
		if (rc == SZTP_E_NOT_FOUND)
			sztp_err_set(e, rc, "no device with serial '%s'", c->pos[0]);
		goto out;
	}
	if ((rc = password_fits_serial(d.serial, has_pw, e)) != SZTP_OK)
		goto out;
	if (profile) {
		if ((rc = ctl_profile_owner(c, profile, owner, e)) != SZTP_OK ||
		    (rc = ctl_voucher_recheck_owner(c, &d, owner, NULL, e)) != SZTP_OK)
			goto out;
		snprintf(d.profile, sizeof(d.profile), "%s", profile);
	} else if (opt_has(c, "no-profile")) {
		d.profile[0] = '\0';
	}
	if (has_pw || opt_has(c, "no-password")) {
		free(d.password_hash);
		d.password_hash = has_pw ? strdup(hash) : NULL;
		if (has_pw && !d.password_hash) {
			rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = reg_device_update(c->reg, &d, e)) != SZTP_OK)
		goto out;
	if ((has_pin || reset_pin) &&
	    (rc = reg_device_pin_set(c->reg, d.serial, has_pin ? pin : NULL, e)) != SZTP_OK)
		goto out;
	if (has_pin)
		pin_advice(c, d.serial, d.profile);
	ctl_done(c, "device %s updated: profile %s, password %s%s%s%s", d.serial,
		 d.profile[0] ? d.profile : "(none)", d.password_hash ? "set" : "not set",
		 has_pin     ? ", IDevID key pinned"
		 : reset_pin ? ", IDevID pin removed (the next key is pinned)"
			     : "",
		 gen[0] ? "\npassword: " : "", gen);
out:
	crypto_wipe(gen, sizeof(gen));
	reg_device_clear(&d);
	return rc;
}

/* ---- list --------------------------------------------------------------- */

struct list_ctx {
	struct ctl *c;
	const char *profile;
	json_t *arr;
	size_t n;
	time_t now;
	long days; /* --expiring-within */
};

/* The device as JSON; with a voucher, its expires-on and "voucher-expiry"
 * (never|ok|expiring|expired against days). */
static json_t *device_json(const struct reg_device *d, time_t now, long days)
{
	char t1[32], t2[32], t3[32], t4[32];
	int64_t ve = ctl_voucher_expires(d);
	json_t *o;

	o = json_pack("{s:s, s:s?, s:s, s:b, s:b, s:s, s:s?, s:s?}", "serial", d->serial, "profile",
		      d->profile[0] ? d->profile : NULL, "state", d->state, "password",
		      d->password_hash != NULL, "voucher", d->voucher.len > 0, "created",
		      ctl_time(d->created, t1), "first-seen",
		      d->first_seen ? ctl_time(d->first_seen, t2) : NULL, "last-seen",
		      d->last_seen ? ctl_time(d->last_seen, t3) : NULL);
	if (o && d->voucher.len) {
		json_object_set_new(o, "voucher-expires",
				    ve ? json_string(ctl_time(ve, t4)) : json_null());
		json_object_set_new(o, "voucher-expiry",
				    json_string(ctl_expiry_name(ctl_expiry_of(ve, now, days))));
	}
	return o;
}

static int list_cb(const struct reg_device *d, void *arg)
{
	struct list_ctx *l = arg;
	const char *v = "-";
	char t[32], b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX], b3[CTL_TEXT_MAX];

	if (l->profile && strcmp(l->profile, d->profile) != 0)
		return 0;
	l->n++;
	if (l->arr)
		return json_array_append_new(l->arr, device_json(d, l->now, l->days)) ? 1 : 0;
	if (d->voucher.len) {
		enum ctl_expiry x = ctl_expiry_of(ctl_voucher_expires(d), l->now, l->days);
		v = x == CTL_EXP_EXPIRED ? "EXPIRED" : x == CTL_EXP_EXPIRING ? "expiring" : "yes";
	}
	printf("%-24s %-16s %-22s %-8s %-8s %s\n", ctl_text(d->serial, b1),
	       d->profile[0] ? ctl_text(d->profile, b2) : "-", ctl_text(d->state, b3),
	       d->password_hash ? "set" : "-", v, ctl_time(d->last_seen, t));
	return 0;
}

static sztp_rc print_json(json_t *j, struct sztp_err *e)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (!s)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory formatting JSON");
	printf("%s\n", s);
	free(s);
	return SZTP_OK;
}

sztp_rc cmd_device_list(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct list_ctx l = {c, opt_get(c, "profile"), NULL, 0, time(NULL), 0};

	if ((rc = ctl_expiry_days(c, &l.days, e)) != SZTP_OK)
		return rc;
	if (c->json && !(l.arr = json_array()))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if (!c->json)
		printf("%-24s %-16s %-22s %-8s %-8s %s\n", "SERIAL", "PROFILE", "STATE", "PASSWORD",
		       "VOUCHER", "LAST-SEEN");
	if ((rc = reg_device_list(c->reg, list_cb, &l, e)) == SZTP_OK && l.arr)
		rc = print_json(l.arr, e);
	json_decref(l.arr);
	return rc;
}

/* ---- show --------------------------------------------------------------- */

struct prog_ctx {
	size_t n;
	char last_type[40];
	int64_t last_time;
};

static int prog_cb(const struct reg_progress *p, void *arg)
{
	struct prog_ctx *pc = arg;

	pc->n++;
	snprintf(pc->last_type, sizeof(pc->last_type), "%s", p->type);
	pc->last_time = p->time;
	return 0;
}

sztp_rc cmd_device_show(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct reg_device d;
	struct prog_ctx pc;
	json_t *obj = NULL;
	long days = 0;
	char t[32], pin_hex[2 * REG_PIN_LEN + 1] = "", b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX];
	uint8_t pin[REG_PIN_LEN];
	int has_pin = 0;
	size_t i;

	memset(&d, 0, sizeof(d));
	memset(&pc, 0, sizeof(pc));
	if ((rc = ctl_expiry_days(c, &days, e)) != SZTP_OK)
		return rc;
	if ((rc = reg_device_get(c->reg, c->pos[0], &d, e)) != SZTP_OK) {
		if (rc == SZTP_E_NOT_FOUND)
			sztp_err_set(e, rc, "no device with serial '%s'", c->pos[0]);
		goto out;
	}
	if ((rc = reg_progress_list(c->reg, d.serial, 0, prog_cb, &pc, e)) != SZTP_OK ||
	    (rc = reg_device_pin_get(c->reg, d.serial, &has_pin, pin, e)) != SZTP_OK)
		goto out;
	for (i = 0; i < REG_PIN_LEN; i++)
		snprintf(pin_hex + 2 * i, 3, "%02x", pin[i]);
	if (c->json) {
		if (!(obj = device_json(&d, time(NULL), days))) {
			rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
			goto out;
		}
		json_object_set_new(obj, "progress-reports", json_integer((json_int_t)pc.n));
		json_object_set_new(obj, "idevid-pin",
				    has_pin ? json_string(pin_hex) : json_null());
		if (pc.n)
			json_object_set_new(obj, "last-progress", json_string(pc.last_type));
		if (d.voucher.len && (rc = ctl_voucher_summary(c, &d.voucher, obj, e)) != SZTP_OK)
			goto out;
		rc = print_json(obj, e);
		goto out;
	}
	printf("serial:     %s\n", ctl_text(d.serial, b1));
	printf("profile:    %s\n", d.profile[0] ? ctl_text(d.profile, b2) : "(none)");
	printf("password:   %s\n", d.password_hash ? "set" : "not set");
	printf("idevid pin: %s%s\n", has_pin ? "sha256 " : "none", has_pin ? pin_hex : "");
	printf("state:      %s\n", ctl_text(d.state, b1));
	printf("created:    %s\n", ctl_time(d.created, t));
	printf("first seen: %s\n", d.first_seen ? ctl_time(d.first_seen, t) : "never");
	printf("last seen:  %s\n", d.last_seen ? ctl_time(d.last_seen, t) : "never");
	if (pc.n)
		printf("progress:   %zu report(s), last %s at %s\n", pc.n,
		       ctl_text(pc.last_type, b1), ctl_time(pc.last_time, t));
	else
		printf("progress:   no reports\n");
	if (!d.voucher.len) {
		printf("voucher:    none\n");
	} else {
		printf("voucher:\n");
		if (ctl_voucher_summary(c, &d.voucher, NULL, e) != SZTP_OK)
			printf("  unreadable: %s\n", e ? e->msg : "");
	}
out:
	json_decref(obj);
	reg_device_clear(&d);
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

/* One data row; errors are prefixed with the line number by the caller. */
static sztp_rc import_row(struct ctl *c, char *line, const char *dir, struct sztp_err *e)
{
	sztp_rc rc;
	char *f[4], hash[PASSWD_HASH_MAX], vpath[4096];
	int n = csv_fields(line, f);

	if (n < 0)
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "malformed quoting (RFC 4180: a field is either unquoted or "
				    "wholly quoted, with \"\" for a quote; no line breaks inside)");
	if (n != 4)
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "expected 4 fields (" CSV_HEADER "), found %d", n);
	if (*f[2] && (rc = passwd_hash_cost(f[2], password_cost(c), hash, e)) != SZTP_OK)
		return rc;
	if (*f[3]) {
		int w = f[3][0] == '/' ? snprintf(vpath, sizeof(vpath), "%s", f[3])
				       : snprintf(vpath, sizeof(vpath), "%s/%s", dir, f[3]);
		if (w < 0 || (size_t)w >= sizeof(vpath))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE, "voucher path too long");
	}
	rc = enrol(c, f[0], *f[1] ? f[1] : NULL, *f[2] ? hash : NULL, *f[3] ? vpath : NULL, e);
	crypto_wipe(f[2], strlen(f[2]));
	return rc;
}

static sztp_rc import_lines(struct ctl *c, const char *path, char *text, const char *dir,
			    size_t *count, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	char *line = text, *next;
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
						    path);
			continue;
		}
		if (len == 0)
			continue;
		if ((rc = import_row(c, line, dir, e)) != SZTP_OK) {
			char msg[SZTP_ERR_MSG_MAX];
			snprintf(msg, sizeof(msg), "%s", e ? e->msg : "");
			return sztp_err_set(e, rc, "%s line %zu: %s; nothing imported", path,
					    lineno, msg);
		}
		(*count)++;
	}
	if (lineno == 0)
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "%s is empty (no header line)", path);
	return rc;
}

sztp_rc cmd_device_import(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	sztp_bytes b = {NULL, 0};
	char *dcopy = NULL;
	size_t count = 0;
	struct timespec t0, t1;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = file_read(c->pos[0], CSV_MAX, &b, e)) != SZTP_OK)
		goto out;
	if (memchr(b.data, '\0', b.len)) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "%s contains a NUL byte", c->pos[0]);
		goto out;
	}
	if (!(dcopy = strdup(c->pos[0]))) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = import_lines(c, c->pos[0], (char *)b.data, dirname(dcopy), &count, e)) != SZTP_OK)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ctl_done(c, "imported %zu device(s) from %s in %.2f s (%.0f devices/s)", count, c->pos[0],
		 secs, secs > 0 ? (double)count / secs : 0.0);
out:
	free(dcopy);
	sztp_bytes_wipe(&b);
	return rc;
}
