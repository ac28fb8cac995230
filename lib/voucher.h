/*
 * voucher.h - RFC 8366 ownership vouchers as RFC 8572 uses them (s3.3,
 * s5.4): parse the CMS (.vcj) a manufacturer supplies, verify its
 * signature against the manufacturer anchors, validate the JSON against
 * ietf-voucher, and check serial number, validity and pinned-domain-cert.
 */
#ifndef SZTP_VOUCHER_H
#define SZTP_VOUCHER_H

#include <time.h>

#include "pki.h"
#include "result.h"

struct sztp_yang;

struct voucher {
	char serial[PKI_SERIAL_MAX];
	char assertion[16];
	time_t created_on;
	time_t expires_on;	       /* 0 when absent */
	sztp_bytes pinned_domain_cert; /* DER */
	sztp_bytes idevid_issuer;      /* empty when absent */
	sztp_bytes nonce;	       /* empty when absent */
	int domain_cert_revocation_checks;
};

/* Parse and verify a voucher CMS: SignedData with eContentType .40 (or
 * id-data), signed attributes present, signature verified against masa
 * (when non-NULL), JSON validated with y (when non-NULL).  Errors:
 * SZTP_E_MALFORMED, SZTP_E_VERIFY, SZTP_E_INVALID_VALUE. */
sztp_rc voucher_parse(const uint8_t *cms, size_t len, const struct pki_trust *masa,
		      struct sztp_yang *y, struct voucher *out, struct sztp_err *e);

/* Check a parsed voucher for serial (SZTP_E_MISMATCH) and time now
 * (0 = current; SZTP_E_EXPIRED when now is outside created-on..expires-on). */
sztp_rc voucher_check(const struct voucher *v, const char *serial, time_t now, struct sztp_err *e);

/* RFC 8572 s5.4: the device validates the owner certificate with the
 * voucher's pinned-domain-cert.  SZTP_OK when pinned is a certificate of
 * chain (n DER certificates, owner certificate first) or chain validates
 * to it; else e says why (sztpctl and the admin API check vouchers and
 * owner identities with it before either is stored). */
sztp_rc voucher_pins_chain(const sztp_bytes *pinned, const sztp_bytes *chain, size_t n,
			   struct sztp_err *e);

void voucher_clear(struct voucher *v);

#endif
