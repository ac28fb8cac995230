/*
 * vouch.h - RFC 8366 ownership vouchers for sztp-pki: the
 * ietf-voucher:voucher JSON and its CMS SignedData (eContentType
 * id-ct-animaJSONVoucher) signed through lib/cms.h.
 */
#ifndef SZTP_CERTS_VOUCH_H
#define SZTP_CERTS_VOUCH_H

#include <time.h>

#include "result.h"

struct pki_signer;

struct vouch_params {
	const char *serial;		 /* serial-number (mandatory) */
	const char *assertion;		 /* verified | logged | proximity */
	time_t created_on;		 /* mandatory */
	time_t expires_on;		 /* 0 = leave out */
	const sztp_bytes *pinned;	 /* pinned-domain-cert DER (mandatory) */
	const sztp_bytes *idevid_issuer; /* NULL or empty = leave out */
	const char *nonce_b64;		 /* NULL = leave out (checked strict base64) */
	int revocation_checks;		 /* domain-cert-revocation-checks */
};

/* 1 if a is one of the RFC 8366 s5.3 assertion values. */
int vouch_assertion_ok(const char *a);

/* The voucher JSON (new NUL-terminated string). */
sztp_rc vouch_json(const struct vouch_params *v, char **json, struct sztp_err *e);

/* JSON signed into a .vcj CMS by signer, its chain in `certificates`. */
sztp_rc vouch_mint(const struct vouch_params *v, const struct pki_signer *signer, sztp_bytes *cms,
		   struct sztp_err *e);

#endif
