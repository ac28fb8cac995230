/*
 * cms.h - the CMS (RFC 5652) artifacts of SZTP, built with libtasn1 and
 * GnuTLS crypto (GnuTLS's pkcs7 API cannot set eContentType):
 *  - SignedData with a custom eContentType and signed attributes
 *    (content-type, message-digest, signing-time): signed conveyed
 *    information (RFC 8572 s3.1) and ownership vouchers (RFC 8366);
 *  - degenerate certs-only SignedData: owner-certificate (s3.2) and
 *    redirect trust anchors;
 *  - bare ContentInfo: unsigned conveyed information.
 * And the matching parsers/verifiers for the device side and sztpctl.
 * This is the only module that knows DER.
 */
#ifndef SZTP_CMS_H
#define SZTP_CMS_H

#include <time.h>

#include "result.h"

struct pki_signer;
struct pki_trust;

#define CMS_OID_DATA	    "1.2.840.113549.1.7.1"
#define CMS_OID_SIGNED_DATA "1.2.840.113549.1.7.2"
#define CMS_OID_VOUCHER	    "1.2.840.113549.1.9.16.1.40" /* id-ct-animaJSONVoucher, erratum 6807 */
#define CMS_OID_CI_XML	    "1.2.840.113549.1.9.16.1.42" /* id-ct-sztpConveyedInfoXML */
#define CMS_OID_CI_JSON	    "1.2.840.113549.1.9.16.1.43" /* id-ct-sztpConveyedInfoJSON */

/* Build SignedData (v3 unless eContentType is id-data) over content with
 * eContentType econtent_oid, signed by signer with SHA-256, signed
 * attributes always present; signing_time 0 = now.  The signer's chain
 * is written into `certificates` when include_chain is set. */
sztp_rc cms_sign(const char *econtent_oid, const uint8_t *content, size_t len,
		 const struct pki_signer *signer, int include_chain, time_t signing_time,
		 sztp_bytes *out, struct sztp_err *e);

/* Degenerate certs-only SignedData (v1, id-data, no eContent, no signers). */
sztp_rc cms_certs_only(const sztp_bytes *certs, size_t n, sztp_bytes *out, struct sztp_err *e);

/* Bare ContentInfo { oid, [0] EXPLICIT OCTET STRING content }. */
sztp_rc cms_content_info(const char *oid, const uint8_t *content, size_t len, sztp_bytes *out,
			 struct sztp_err *e);

/* ---- parsing and verification ------------------------------------------ */

/* Outer contentType of a ContentInfo (e.g. CMS_OID_SIGNED_DATA). */
sztp_rc cms_outer_type(const uint8_t *der, size_t len, char *oid, size_t oidlen,
		       struct sztp_err *e);

struct cms_signed {
	char econtent_oid[64];
	sztp_bytes content; /* eContent, empty for certs-only */
	sztp_bytes *certs;  /* `certificates`, DER */
	size_t n_certs;
	size_t n_signers;
	int has_signed_attrs; /* every SignerInfo has signedAttrs */
	time_t signing_time;  /* 0 if absent */
};

/* Parse a SignedData ContentInfo (no verification).  Malformed,
 * truncated or trailing-garbage input gives SZTP_E_MALFORMED. */
sztp_rc cms_signed_parse(const uint8_t *der, size_t len, struct cms_signed **out,
			 struct sztp_err *e);
void cms_signed_free(struct cms_signed *s);

/* Verify a SignedData: exactly one signer, signed attributes required,
 * content-type attribute equal to eContentType, message digest, and the
 * signer certificate chaining (through the embedded certificates) to an
 * anchor of t.  now = 0 means the current time. */
sztp_rc cms_signed_verify_trust(const uint8_t *der, size_t len, const struct pki_trust *t,
				time_t now, struct sztp_err *e);
/* Verify a SignedData signed by exactly this certificate (RFC 8572 s5.4:
 * conveyed information against the owner certificate). Signed attributes
 * required. */
sztp_rc cms_signed_verify_cert(const uint8_t *der, size_t len, const sztp_bytes *signer_cert,
			       struct sztp_err *e);

/* Certificates of a (degenerate) SignedData. */
sztp_rc cms_certs_only_parse(const uint8_t *der, size_t len, sztp_bytes **certs, size_t *n,
			     struct sztp_err *e);

/* Bare ContentInfo: its contentType and the OCTET STRING content. */
sztp_rc cms_content_info_parse(const uint8_t *der, size_t len, char *oid, size_t oidlen,
			       sztp_bytes *content, struct sztp_err *e);

#endif
