/* Unit tests for server/signing.c: every row of RFC 8572's table of what
 * a trusted and an untrusted device may accept (s3.3, s4.4, s5.3),
 * crossed with the profile's signing policy and whether signed data can
 * be made.  No server, no registry. */
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

int main(void)
{
	size_t i;

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
