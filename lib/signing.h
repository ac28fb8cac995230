/*
 * signing.h - whether get-bootstrapping-data is answered with signed
 * data (RFC 8572 s3.3 table, s4.4, s5.3): a pure decision on what the
 * device asked, what its profile says and whether a signature can be
 * made, so every row of the RFC's untrusted/trusted table is unit-tested
 * without a server.  In libsztp: sztpd decides per request, `sztpctl dns`
 * (admin/dns.c) per enrolled device what an untrusted device would get,
 * by the same code.
 */
#ifndef SZTP_SIGNING_H
#define SZTP_SIGNING_H

#include <time.h>

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

/* The validity window of d's enrolled voucher: as stored with it
 * (voucher_created / voucher_expires), else parsed from the voucher
 * itself and checked for d's serial number (SZTP_E_MISMATCH).  No
 * signature check (it was checked when the voucher was attached).
 * On failure both times are 0. */
sztp_rc signing_voucher_window(const struct reg_device *d, time_t *created_on, time_t *expires_on,
			       struct sztp_err *e);

/* How a caller learns a voucher's window (sztpd: a per-device cache over
 * signing_voucher_window). */
typedef sztp_rc (*signing_window_fn)(void *arg, const struct reg_device *d, time_t *created_on,
				     time_t *expires_on, struct sztp_err *e);

/* The decision for device b (read with reg_bootstrap_get, has_profile
 * set) at time now: signed data can be made when its profile's owner
 * identity exists and its voucher is enrolled and valid now (an expired
 * voucher is never sent: a device would reject it, RFC 8572 s5.4); the
 * window comes from window(arg, ...), or signing_voucher_window when
 * window is NULL.  why (optional) gets the detail of a voucher that cannot
 * be used (for the log), else stays empty.  Returns what signing_decide
 * returns. */
sztp_rc signing_decide_device(const struct reg_bootstrap *b, int untrusted, time_t now,
			      signing_window_fn window, void *arg, struct signing_decision *d,
			      struct sztp_err *why, struct sztp_err *e);

#endif
