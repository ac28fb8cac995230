/*
 * signing.c - the signing decision of get-bootstrapping-data (RFC 8572
 * s3.3's table of what a trusted or untrusted device may accept, s4.4,
 * s5.3).  An untrusting device (signed-data-preferred) may accept signed
 * data of either kind and unsigned redirect information, never unsigned
 * onboarding information; a trusting device accepts everything.  The
 * profile's policy adds "always sign" and "never sign".
 */
#include <string.h>

#include "signing.h"

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
