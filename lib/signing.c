/*
 * signing.c - the signing decision of get-bootstrapping-data (RFC 8572
 * s3.3's table of what a trusted or untrusted device may accept, s4.4,
 * s5.3).  An untrusting device (signed-data-preferred) may accept signed
 * data of either kind and unsigned redirect information, never unsigned
 * onboarding information; a trusting device accepts everything.  The
 * profile's policy adds "always sign" and "never sign".
 */
#include <stdio.h>
#include <string.h>

#include "signing.h"
#include "voucher.h"

int signing_wanted(int untrusted, enum reg_sign policy)
{
	return policy != REG_SIGN_NEVER && (untrusted || policy == REG_SIGN_ALWAYS);
}

sztp_rc signing_decide(const struct signing_case *c, struct signing_decision *d, struct sztp_err *e)
{
	int onboarding = c->kind == REG_KIND_ONBOARDING;
	sztp_rc rc = SZTP_E_NOT_FOUND;

	memset(d, 0, sizeof(*d));
	if (c->policy == REG_SIGN_NEVER && c->untrusted) {
		if (onboarding) { /* s5.3: the device would have to reject it */
			sztp_err_set(e, rc,
				     "the device asked for signed data, but its profile never "
				     "signs onboarding information");
			goto out;
		}
		d->outcome = "unsigned-redirect"; /* s3.3: allowed untrusted */
		rc = SZTP_OK;
		goto out;
	}
	if (!signing_wanted(c->untrusted, c->policy)) {
		d->outcome = "unsigned";
		rc = SZTP_OK;
		goto out;
	}
	if (c->cannot_sign) {
		if (onboarding || c->policy == REG_SIGN_ALWAYS) {
			sztp_err_set(e, rc, "signed data is required, but %s", c->cannot_sign);
			goto out;
		}
		d->outcome = "unsigned-redirect";
		rc = SZTP_OK;
		goto out;
	}
	d->sign = 1;
	d->outcome = "signed";
	rc = SZTP_OK;
out:
	return rc;
}

sztp_rc signing_voucher_window(const struct reg_device *d, time_t *created_on, time_t *expires_on,
			       struct sztp_err *e)
{
	struct voucher v;
	sztp_rc rc;

	*created_on = *expires_on = 0;
	/* stored with the voucher by sztpctl (migration 002): nothing to parse */
	if (d->voucher_created || d->voucher_expires) {
		*created_on = (time_t)d->voucher_created;
		*expires_on = (time_t)d->voucher_expires;
		return SZTP_OK;
	}
	memset(&v, 0, sizeof(v));
	rc = voucher_parse(d->voucher.data, d->voucher.len, NULL, NULL, &v, e);
	if (rc == SZTP_OK && strcmp(v.serial, d->serial))
		rc = sztp_err_set(e, SZTP_E_MISMATCH, "voucher is for serial number %s", v.serial);
	if (rc == SZTP_OK) {
		*created_on = v.created_on;
		*expires_on = v.expires_on;
	}
	voucher_clear(&v);
	return rc;
}

static sztp_rc window_plain(void *arg, const struct reg_device *d, time_t *created_on,
			    time_t *expires_on, struct sztp_err *e)
{
	return signing_voucher_window(d, created_on, expires_on, e);
}

/* Whether the enrolled voucher can be served at now: NULL when usable,
 * else the reason (in buf), with the detail in why. */
static const char *voucher_unusable(const struct reg_device *d, time_t now,
				    signing_window_fn window, void *arg, char *buf, size_t len,
				    struct sztp_err *why)
{
	struct sztp_err e = {0};
	time_t created, expires;
	sztp_rc rc;

	if (d->voucher.len == 0)
		return "no ownership voucher is enrolled for this device";
	rc = window(arg, d, &created, &expires, &e);
	if (rc == SZTP_OK && (now < created || (expires && now >= expires)))
		rc = sztp_err_set(&e, SZTP_E_EXPIRED, "voucher valid only from %lld to %lld",
				  (long long)created, (long long)expires);
	if (rc == SZTP_OK)
		return NULL;
	if (why)
		sztp_err_set(why, rc, "%s", e.msg);
	snprintf(buf, len, "the device's ownership voucher cannot be used (%s)",
		 rc == SZTP_E_EXPIRED ? "expired or not yet valid" : sztp_rc_name(rc));
	return buf;
}

sztp_rc signing_decide_device(const struct reg_bootstrap *b, int untrusted, time_t now,
			      signing_window_fn window, void *arg, struct signing_decision *d,
			      struct sztp_err *why, struct sztp_err *e)
{
	struct signing_case c = {untrusted, b->prof.kind, b->prof.sign, NULL};
	char buf[128];

	if (signing_wanted(untrusted, b->prof.sign)) {
		if (!b->has_owner)
			c.cannot_sign = "no owner identity is configured";
		else
			c.cannot_sign =
			    voucher_unusable(&b->dev, now, window ? window : window_plain, arg, buf,
					     sizeof(buf), why);
	}
	return signing_decide(&c, d, e);
}
