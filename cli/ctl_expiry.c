/*
 * ctl_expiry.c - what expires: the ownership vouchers (RFC 8366
 * expires-on) and the owner certificates (notAfter of every certificate
 * of an owner identity's chain) that sztpd hands to devices.  A device
 * refuses an expired voucher or owner certificate (RFC 8572 s5.4), so
 * sztpctl flags them ahead of time: `voucher show`, `device show`,
 * `device list` and `owner show` mark what expires within
 * --expiring-within DAYS (default 30), and `expiring` lists all of it and
 * exits 1 when there is any (for cron and monitoring).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "util.h"
#include "voucher.h"

#define DAY 86400L

sztp_rc ctl_expiry_days(const struct ctl *c, long *days, struct sztp_err *e)
{
	*days = CTL_EXPIRING_DAYS;
	return opt_int(c, "expiring-within", 0, 36500, days, e);
}

enum ctl_expiry ctl_expiry_of(int64_t not_after, time_t now, long days)
{
	if (!not_after)
		return CTL_EXP_NEVER;
	if (not_after <= now)
		return CTL_EXP_EXPIRED;
	if (not_after <= now + days * DAY)
		return CTL_EXP_EXPIRING;
	return CTL_EXP_OK;
}

const char *ctl_expiry_name(enum ctl_expiry x)
{
	static const char *const names[] = {"never", "ok", "expiring", "expired"};

	return names[x];
}

const char *ctl_expiry_text(int64_t not_after, time_t now, long days, char *buf, size_t len)
{
	long d = labs((long)(not_after - now)) / DAY;

	switch (ctl_expiry_of(not_after, now, days)) {
	case CTL_EXP_NEVER:
		snprintf(buf, len, "never expires");
		break;
	case CTL_EXP_OK:
		snprintf(buf, len, "ok (more than %ld days left)", days);
		break;
	case CTL_EXP_EXPIRING:
		snprintf(buf, len, "EXPIRES in %s%ld day%s (within %ld)", d ? "" : "less than ",
			 d ? d : 1, d > 1 ? "s" : "", days);
		break;
	case CTL_EXP_EXPIRED:
		snprintf(buf, len, "EXPIRED %s%ld day%s ago", d ? "" : "less than ", d ? d : 1,
			 d > 1 ? "s" : "");
		break;
	}
	return buf;
}

int64_t ctl_voucher_expires(const struct reg_device *d)
{
	struct voucher v;
	int64_t t = 0;

	if (!d->voucher.len)
		return 0;
	if (d->voucher_expires)
		return d->voucher_expires;
	/* stored before the registry kept the window: read it (the
	 * signature was checked when it was attached) */
	memset(&v, 0, sizeof(v));
	if (voucher_parse(d->voucher.data, d->voucher.len, NULL, NULL, &v, NULL) == SZTP_OK)
		t = v.expires_on;
	voucher_clear(&v);
	return t;
}

/* ---- sztpctl expiring ---------------------------------------------------- */

struct expiring {
	struct ctl *c;
	time_t now;
	long days;
	json_t *arr; /* --json */
	size_t n;
	char owners[64][REG_NAME_MAX]; /* owner identities in use */
	size_t n_owners;
	sztp_rc rc;
	struct sztp_err *e;
};

static int add_row(struct expiring *x, const char *kind, const char *name, const char *what,
		   int64_t not_after)
{
	enum ctl_expiry st = ctl_expiry_of(not_after, x->now, x->days);
	char t[32], txt[96];

	if (st != CTL_EXP_EXPIRING && st != CTL_EXP_EXPIRED)
		return 0;
	x->n++;
	if (x->arr) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "kind", kind, "name", name,
				      "what", what, "expires", ctl_time(not_after, t), "expiry",
				      ctl_expiry_name(st), "days-left",
				      (json_int_t)((not_after - x->now) / DAY));
		return o && json_array_append_new(x->arr, o) == 0 ? 0 : 1;
	}
	printf("%-8s %-24s %-21s %s  %s\n", kind, name, ctl_time(not_after, t),
	       ctl_expiry_text(not_after, x->now, x->days, txt, sizeof(txt)), what);
	return 0;
}

static int device_cb(const struct reg_device *d, void *arg)
{
	struct expiring *x = arg;

	if (!d->voucher.len)
		return 0;
	return add_row(x, "voucher", d->serial, "ownership voucher", ctl_voucher_expires(d));
}

static void owner_use(struct expiring *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->n_owners; i++)
		if (!strcmp(x->owners[i], name))
			return;
	if (x->n_owners < sizeof(x->owners) / sizeof(x->owners[0]))
		snprintf(x->owners[x->n_owners++], REG_NAME_MAX, "%s", name);
}

static int profile_cb(const struct reg_profile *p, void *arg)
{
	owner_use(arg, p->owner[0] ? p->owner : "default");
	return 0;
}

/* Every certificate of one owner identity's chain. */
static sztp_rc owner_rows(struct expiring *x, const char *name, struct sztp_err *e)
{
	struct reg_owner o;
	sztp_rc rc;
	size_t i;

	memset(&o, 0, sizeof(o));
	rc = reg_owner_get(x->c->reg, name, &o, e);
	if (rc == SZTP_E_NOT_FOUND) /* not set: nothing that can expire */
		rc = SZTP_OK;
	for (i = 0; rc == SZTP_OK && i < o.n_chain; i++) {
		char subj[256] = "?", label[REG_NAME_MAX + 16];
		time_t nb = 0, na = 0;
		if (pki_cert_validity(&o.chain[i], &nb, &na, NULL) != SZTP_OK)
			continue;
		pki_cert_subject(&o.chain[i], subj, sizeof(subj), NULL);
		snprintf(label, sizeof(label), "%s[%zu]", name, i);
		if (add_row(x, "owner", label, subj, na))
			rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	reg_owner_clear(&o);
	return rc;
}

sztp_rc cmd_expiring(struct ctl *c, struct sztp_err *e)
{
	struct expiring *x = calloc(1, sizeof(*x));
	sztp_rc rc = SZTP_E_NOMEM;
	size_t i;

	if (!x)
		return sztp_err_set(e, rc, "out of memory");
	x->c = c;
	x->now = time(NULL);
	if ((rc = ctl_expiry_days(c, &x->days, e)) != SZTP_OK)
		goto out;
	if (c->json && !(x->arr = json_array())) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	if (!c->json)
		printf("%-8s %-24s %-21s %s\n", "KIND", "NAME", "EXPIRES", "STATUS");
	/* the owner identities in use: "default" and those profiles name */
	owner_use(x, "default");
	if ((rc = reg_profile_list(c->reg, profile_cb, x, e)) != SZTP_OK ||
	    (rc = reg_device_list(c->reg, device_cb, x, e)) != SZTP_OK)
		goto out;
	for (i = 0; i < x->n_owners && rc == SZTP_OK; i++)
		rc = owner_rows(x, x->owners[i], e);
	if (rc != SZTP_OK)
		goto out;
	if (x->arr) {
		char *s = json_dumps(x->arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "[]");
		free(s);
	} else if (!x->n)
		printf("(none: no voucher or owner certificate expires within %ld days)\n",
		       x->days);
	if (x->n)
		rc = sztp_err_set(e, SZTP_E_EXPIRED,
				  "%zu voucher(s) or owner certificate(s) expired or expire within "
				  "%ld days",
				  x->n, x->days);
out:
	json_decref(x->arr);
	free(x);
	return rc;
}
