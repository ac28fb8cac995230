/* Unit tests for lib/signing.c: every row of RFC 8572's table of what
 * a trusted and an untrusted device may accept (s3.3, s4.4, s5.3),
 * crossed with the profile's signing policy and whether signed data can
 * be made; and signing_decide_device, what makes it possible for one
 * device (an owner identity, a voucher valid now).  No server, no
 * registry. */
#include "signing.h"
#include "unit.h"

#define ERR "404"

struct row {
	int untrusted;
	enum reg_kind kind;
	enum reg_sign policy;
	int can_sign;
	const char *want; /* outcome, or ERR */
};

#define OB  REG_KIND_ONBOARDING
#define RD  REG_KIND_REDIRECT
#define IFR REG_SIGN_IF_REQUESTED
#define ALW REG_SIGN_ALWAYS
#define NEV REG_SIGN_NEVER

static const struct row rows[] = {
    /* a trusting device accepts everything; it gets signed data only
     * when the profile always signs */
    {0, OB, IFR, 1, "unsigned"},
    {0, OB, IFR, 0, "unsigned"},
    {0, OB, ALW, 1, "signed"},
    {0, OB, ALW, 0, ERR},
    {0, OB, NEV, 1, "unsigned"},
    {0, OB, NEV, 0, "unsigned"},
    {0, RD, IFR, 1, "unsigned"},
    {0, RD, IFR, 0, "unsigned"},
    {0, RD, ALW, 1, "signed"},
    {0, RD, ALW, 0, ERR},
    {0, RD, NEV, 1, "unsigned"},
    {0, RD, NEV, 0, "unsigned"},
    /* an untrusting device (signed-data-preferred): signed data, or
     * unsigned redirect information, never unsigned onboarding */
    {1, OB, IFR, 1, "signed"},
    {1, OB, IFR, 0, ERR},
    {1, OB, ALW, 1, "signed"},
    {1, OB, ALW, 0, ERR},
    {1, OB, NEV, 1, ERR},
    {1, OB, NEV, 0, ERR},
    {1, RD, IFR, 1, "signed"},
    {1, RD, IFR, 0, "unsigned-redirect"},
    {1, RD, ALW, 1, "signed"},
    {1, RD, ALW, 0, ERR},
    {1, RD, NEV, 1, "unsigned-redirect"},
    {1, RD, NEV, 0, "unsigned-redirect"},
};

/* A window callback: the voucher valid in [win_from, win_to); win_rc
 * other than SZTP_OK: it cannot be read. */
static time_t win_from, win_to;
static sztp_rc win_rc;
static int win_calls;

static sztp_rc window(void *arg, const struct reg_device *d, time_t *created_on, time_t *expires_on,
		      struct sztp_err *e)
{
	win_calls++;
	*created_on = win_from;
	*expires_on = win_to;
	return win_rc == SZTP_OK ? SZTP_OK : sztp_err_set(e, win_rc, "unreadable voucher");
}

/* signing_decide_device: what makes signing possible for a device (an
 * owner identity, a voucher valid now), as sztpd and sztpctl dns see it. */
static void test_device(void)
{
	static uint8_t vb[] = {0x30, 0x00};
	struct reg_bootstrap b = {0};
	struct signing_decision d = {0};
	struct sztp_err e = {0}, why = {0};
	time_t created, expires;

	b.has_profile = b.has_owner = 1;
	b.prof.kind = OB;
	b.prof.sign = IFR;
	snprintf(b.dev.serial, sizeof(b.dev.serial), "SN-1");
	b.dev.voucher.data = vb;
	b.dev.voucher.len = sizeof(vb);
	win_from = 1000;
	win_to = 2000;
	/* valid now: signed; trusting: unsigned without looking at the voucher */
	CHECK_RC(signing_decide_device(&b, 1, 1500, window, NULL, &d, &why, &e), SZTP_OK);
	CHECK(d.sign && !strcmp(d.outcome, "signed") && why.msg[0] == '\0');
	win_calls = 0;
	CHECK_RC(signing_decide_device(&b, 0, 1500, window, NULL, &d, &why, &e), SZTP_OK);
	CHECK(!d.sign && win_calls == 0);
	/* expired, not yet valid: onboarding refused with the reason, the
	 * detail for the log in why; a redirect goes unsigned */
	CHECK_RC(signing_decide_device(&b, 1, 2000, window, NULL, &d, &why, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "expired or not yet valid") && strstr(why.msg, "valid only from"));
	CHECK_RC(signing_decide_device(&b, 1, 999, window, NULL, &d, NULL, &e), SZTP_E_NOT_FOUND);
	b.prof.kind = RD;
	CHECK_RC(signing_decide_device(&b, 1, 2500, window, NULL, &d, NULL, &e), SZTP_OK);
	CHECK(!d.sign && !strcmp(d.outcome, "unsigned-redirect"));
	/* no expiry: valid for ever */
	win_to = 0;
	CHECK_RC(signing_decide_device(&b, 1, 99999999, window, NULL, &d, NULL, &e), SZTP_OK);
	CHECK(d.sign);
	/* a voucher that cannot be read, none, no owner identity */
	win_rc = SZTP_E_MISMATCH;
	b.prof.kind = OB;
	CHECK_RC(signing_decide_device(&b, 1, 1500, window, NULL, &d, &why, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "mismatch") && strstr(why.msg, "unreadable voucher"));
	win_rc = SZTP_OK;
	b.dev.voucher.len = 0;
	CHECK_RC(signing_decide_device(&b, 1, 1500, window, NULL, &d, NULL, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "no ownership voucher is enrolled") != NULL);
	b.dev.voucher.len = sizeof(vb);
	b.has_owner = 0;
	CHECK_RC(signing_decide_device(&b, 1, 1500, window, NULL, &d, NULL, &e), SZTP_E_NOT_FOUND);
	CHECK(strstr(e.msg, "no owner identity") != NULL);
	/* without a callback: the stored window, else the voucher parsed */
	b.has_owner = 1;
	b.dev.voucher_created = 1000;
	b.dev.voucher_expires = 2000;
	CHECK_RC(signing_decide_device(&b, 1, 1500, NULL, NULL, &d, NULL, &e), SZTP_OK);
	CHECK(d.sign);
	CHECK_RC(signing_decide_device(&b, 1, 2001, NULL, NULL, &d, NULL, &e), SZTP_E_NOT_FOUND);
	b.dev.voucher_created = b.dev.voucher_expires = 0;
	CHECK_RC(signing_voucher_window(&b.dev, &created, &expires, &e), SZTP_E_MALFORMED);
	CHECK(created == 0 && expires == 0);
}

int main(void)
{
	size_t i;

	test_device();

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct signing_case c = {w->untrusted, w->kind, w->policy,
					 w->can_sign ? NULL : "no owner identity is configured"};
		struct signing_decision d = {1, "garbage"};
		struct sztp_err e = {0};
		sztp_rc rc = signing_decide(&c, &d, &e);
		int ok;

		if (!strcmp(w->want, ERR)) {
			ok = rc == SZTP_E_NOT_FOUND && d.sign == 0 && d.outcome == NULL &&
			     e.msg[0] != '\0';
			/* a reason of cannot_sign is passed on to the device */
			if (ok && !w->can_sign && w->policy != NEV)
				ok = strstr(e.msg, "no owner identity") != NULL;
		} else {
			ok = rc == SZTP_OK && d.outcome && !strcmp(d.outcome, w->want) &&
			     d.sign == !strcmp(w->want, "signed");
		}
		if (!ok)
			fprintf(stderr,
				"row %zu (untrusted %d kind %d policy %d can_sign %d): "
				"want %s, got rc %d outcome %s sign %d (%s)\n",
				i, w->untrusted, w->kind, w->policy, w->can_sign, w->want, rc,
				d.outcome ? d.outcome : "-", d.sign, e.msg);
		CHECK(ok);
		/* the RFC's rule, independently of the table above: an untrusted
		 * device never gets unsigned onboarding information */
		if (w->untrusted && w->kind == OB)
			CHECK(rc != SZTP_OK || d.sign);
		/* signing is only ever decided when it can be done */
		CHECK(!d.sign || w->can_sign);
		/* signing_wanted says when cannot_sign matters at all */
		if (!signing_wanted(w->untrusted, w->policy)) {
			CHECK(!d.sign);
		}
	}
	CHECK(signing_wanted(1, IFR) && signing_wanted(0, ALW) && signing_wanted(1, ALW));
	CHECK(!signing_wanted(0, IFR) && !signing_wanted(1, NEV) && !signing_wanted(0, NEV));
	return unit_report("test_signing");
}
