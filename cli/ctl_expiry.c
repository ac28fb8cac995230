/*
 * ctl_expiry.c - what expires: the ownership vouchers (RFC 8366
 * expires-on) and the owner certificates (notAfter of every certificate
 * of an owner identity's chain) that sztpd hands to devices.  A device
 * refuses an expired voucher or owner certificate (RFC 8572 s5.4), so
 * sztpctl flags them ahead of time: `voucher show`, `device show`,
 * `device list` and `owner show` mark what expires within
 * --expiring-within DAYS (default 30), and `expiring` lists all of it
 * (GET /api/v1/expiring) and exits 1 when there is any (for cron and
 * monitoring).  The classification is the admin API's (admin.h), so the
 * API's "expiry" and these flags agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "ctl.h"
#include "util.h"

#define DAY 86400L

sztp_rc ctl_expiry_days(const struct ctl *c, long *days, struct sztp_err *e)
{
	*days = CTL_EXPIRING_DAYS;
	return opt_int(c, "expiring-within", 0, 36500, days, e);
}

_Static_assert((int)CTL_EXP_NEVER == (int)ADMIN_EXP_NEVER && (int)CTL_EXP_OK == (int)ADMIN_EXP_OK &&
		   (int)CTL_EXP_EXPIRING == (int)ADMIN_EXP_EXPIRING &&
		   (int)CTL_EXP_EXPIRED == (int)ADMIN_EXP_EXPIRED,
	       "enum ctl_expiry mirrors enum admin_expiry");

enum ctl_expiry ctl_expiry_of(int64_t not_after, time_t now, long days)
{
	return (enum ctl_expiry)admin_expiry_of(not_after, (int64_t)now, days);
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

/* ---- sztpctl expiring ---------------------------------------------------- */

static void expiring_row(json_t *it, time_t now, long days)
{
	const char *exp = json_string_value(json_object_get(it, "expires"));
	int64_t na = exp ? (int64_t)time_parse_rfc3339(exp) : 0;
	char txt[96], b1[CTL_TEXT_MAX], b2[CTL_TEXT_MAX], b3[CTL_TEXT_MAX];

	printf("%-8s %-24s %-21s %s  %s\n",
	       ctl_text(json_string_value(json_object_get(it, "kind")), b1),
	       ctl_text(json_string_value(json_object_get(it, "name")), b2), exp ? exp : "-",
	       ctl_expiry_text(na, now, days, txt, sizeof(txt)),
	       ctl_text(json_string_value(json_object_get(it, "what")), b3));
}

/* GET /expiring: the table (or --json its items), and exit status 1 when
 * anything expired or expires within --expiring-within DAYS. */
sztp_rc cmd_expiring(struct ctl *c, struct sztp_err *e)
{
	struct ctl_resp r;
	time_t now = time(NULL);
	char q[48];
	long days;
	json_t *items, *it;
	size_t i, n;
	sztp_rc rc = ctl_expiry_days(c, &days, e);

	if (rc != SZTP_OK)
		return rc;
	snprintf(q, sizeof(q), "expiring-within=%ld", days);
	if ((rc = ctl_call(c, "GET", "/expiring", q, NULL, &r, e)) != SZTP_OK)
		return rc;
	items = json_object_get(r.json, "items");
	n = json_array_size(items);
	if (!json_is_array(items)) {
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "the admin API's answer has no items");
	} else if (c->json) {
		rc = ctl_print_json(items, e);
	} else {
		printf("%-8s %-24s %-21s %s\n", "KIND", "NAME", "EXPIRES", "STATUS");
		json_array_foreach(items, i, it)
		{
			expiring_row(it, now, days);
		}
		if (!n)
			printf("(none: no voucher or owner certificate expires within %ld days)\n",
			       days);
	}
	if (rc == SZTP_OK && n)
		rc = sztp_err_set(e, SZTP_E_EXPIRED,
				  "%zu voucher(s) or owner certificate(s) expired or expire within "
				  "%ld days",
				  n, days);
	ctl_resp_clear(&r);
	return rc;
}
