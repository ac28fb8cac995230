/*
 * signing.h - whether get-bootstrapping-data is answered with signed
 * data (RFC 8572 s3.3 table, s4.4, s5.3): a pure decision on what the
 * device asked, what its profile says and whether a signature can be
 * made, so every row of the RFC's untrusted/trusted table is unit-tested
 * without a server.
 */
#ifndef SZTPD_SIGNING_H
#define SZTPD_SIGNING_H

#include "registry.h"

struct signing_case {
	int untrusted;		 /* the device sent signed-data-preferred */
	enum reg_kind kind;	 /* onboarding or redirect information */
	enum reg_sign policy;	 /* the profile's signing policy */
	const char *cannot_sign; /* NULL when signed data can be made, else why not
				  * (no usable voucher, no owner identity) */
};

struct signing_decision {
	int sign;
	const char *outcome; /* audit word: "signed", "unsigned", "unsigned-redirect" */
};

/* Whether this case wants signed data at all (only then does the caller
 * need to find out whether it can be made: cannot_sign). */
int signing_wanted(int untrusted, enum reg_sign policy);

/* The decision, or SZTP_E_NOT_FOUND (404 data-missing) with the reason
 * when the device can be given nothing it may accept: unsigned onboarding
 * information is never sent to a device that asked for signed data (s4.4,
 * s5.3); unsigned redirect information is (s3.3) unless the profile
 * demands signing.  On failure *d is zeroed. */
sztp_rc signing_decide(const struct signing_case *c, struct signing_decision *d,
		       struct sztp_err *e);

#endif
