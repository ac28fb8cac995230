/*
 * pki_revoke.h - revocation status of a certificate chain from CRLs (RFC
 * 5280 s5, s6.3), for the device's domain-cert-revocation-checks (RFC
 * 8366 s5.3, RFC 8572 s5.4): the path from a leaf up to a pinned anchor
 * out of an unordered bag, each certificate's CRL distribution points, and
 * a certificate's status in the CRLs its issuer signed.  The caller
 * obtains the CRLs (files, HTTPS) and decides; nothing here does I/O.
 * Only the agent uses it.
 */
#ifndef SZTP_PKI_REVOKE_H
#define SZTP_PKI_REVOKE_H

#include <time.h>

#include "result.h"

#define PKI_PATH_MAX	8   /* certificates below an anchor */
#define PKI_CRL_URI_MAX 512 /* bytes of one distribution point URI */

/* The path from leaf up to, not including, anchor, taken from bag (n DER
 * certificates, any order, may hold the leaf and the anchor): path[0] is
 * the leaf, path[k] is signed by path[k+1], the last one by anchor (names
 * and signatures checked, not validity).  *np = 0 when the leaf is the
 * anchor.  SZTP_E_VERIFY when no path exists.  Copies: pki_certs_free. */
sztp_rc pki_path_to_anchor(const sztp_bytes *anchor, const sztp_bytes *leaf, const sztp_bytes *bag,
			   size_t n, sztp_bytes **path, size_t *np, struct sztp_err *e);

/* The URIs of cert's CRL distribution points (fullName
 * uniformResourceIdentifier; other name forms are skipped), at most max,
 * into uris; returns how many (0: none, or cert does not parse). */
size_t pki_cert_crl_uris(const sztp_bytes *cert, char (*uris)[PKI_CRL_URI_MAX], size_t max);

/* The revocation status of cert in the CRLs of crls (n buffers, each PEM
 * "X509 CRL" blocks or one DER CRL) that issuer signed: a CRL counts when
 * its issuer name is issuer's subject, its signature verifies with
 * issuer's key, and (now != 0) now is within thisUpdate..nextUpdate.
 * SZTP_OK with *revoked 0 or 1 from the first CRL that counts;
 * SZTP_E_NOT_FOUND (e says why each was skipped) when none does. */
sztp_rc pki_crl_status(const sztp_bytes *cert, const sztp_bytes *issuer, const sztp_bytes *crls,
		       size_t n, time_t now, int *revoked, struct sztp_err *e);

#endif
