/*
 * pki_revoke.c - CRL checks for the device's domain-cert-revocation-checks
 * (pki_revoke.h), on GnuTLS: path building by issuer name and signature,
 * CRL distribution points, CRL signature, issuer and freshness.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "pki.h"
#include "pki_revoke.h"

#define CRL_PER_BUF 64 /* CRLs read from one buffer */

static gnutls_x509_crt_t crt_new(const sztp_bytes *der)
{
	gnutls_x509_crt_t c = NULL;
	gnutls_datum_t d = {der->data, (unsigned)der->len};

	if (!der->data || gnutls_x509_crt_init(&c) < 0)
		return NULL;
	if (gnutls_x509_crt_import(c, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(c);
		return NULL;
	}
	return c;
}

/* 1 when issuer's name is cert's issuer and issuer's key verifies cert's
 * signature (time is not this function's business). */
static int signed_by(gnutls_x509_crt_t cert, gnutls_x509_crt_t issuer)
{
	unsigned st = 0;

	if (gnutls_x509_crt_check_issuer(cert, issuer) != 1)
		return 0;
	return gnutls_x509_crt_verify(cert, &issuer, 1,
				      GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
					  GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
				      &st) >= 0 &&
	       st == 0;
}

sztp_rc pki_path_to_anchor(const sztp_bytes *anchor, const sztp_bytes *leaf, const sztp_bytes *bag,
			   size_t n, sztp_bytes **path, size_t *np, struct sztp_err *e)
{
	gnutls_x509_crt_t a = NULL, lc = NULL, cur, next, *b = NULL;
	size_t idx[PKI_PATH_MAX], k = 0, i, j, got = 0;
	sztp_bytes *out = NULL;
	sztp_rc rc = SZTP_E_MALFORMED;

	*path = NULL;
	*np = 0;
	if (!(a = crt_new(anchor)) || !(lc = crt_new(leaf))) {
		sztp_err_set(e, rc, "a certificate of the owner chain does not parse");
		goto out;
	}
	rc = SZTP_OK;
	if (pki_cert_equal(anchor, leaf))
		goto out; /* the leaf is pinned itself: nothing below the anchor */
	if (n && !(b = calloc(n, sizeof(*b)))) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		b[i] = crt_new(&bag[i]); /* NULL: skipped */
	/* walk up from the leaf to the certificate the anchor signed; idx[k]
	 * is the bag index of path[k + 1] */
	for (cur = lc; !signed_by(cur, a); cur = next) {
		rc = SZTP_E_VERIFY;
		if (k + 1 >= PKI_PATH_MAX) {
			sztp_err_set(e, rc, "owner chain longer than %d certificates",
				     PKI_PATH_MAX);
			goto out;
		}
		for (next = NULL, i = 0; i < n && !next; i++) {
			int seen = pki_cert_equal(&bag[i], leaf) || pki_cert_equal(&bag[i], anchor);

			for (j = 0; j < k && !seen; j++)
				seen = idx[j] == i;
			if (!seen && b[i] && signed_by(cur, b[i])) {
				next = b[i];
				idx[k++] = i;
			}
		}
		if (!next) {
			sztp_err_set(
			    e, rc, "no path from the owner certificate to the pinned-domain-cert");
			goto out;
		}
	}
	rc = SZTP_E_NOMEM;
	if (!(out = calloc(k + 1, sizeof(*out))) ||
	    sztp_bytes_dup(&out[0], leaf->data, leaf->len)) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	for (got = 1, i = 0; i < k; i++, got++)
		if (sztp_bytes_dup(&out[i + 1], bag[idx[i]].data, bag[idx[i]].len)) {
			sztp_err_set(e, rc, "out of memory");
			goto out;
		}
	*path = out;
	*np = got;
	out = NULL;
	rc = SZTP_OK;
out:
	if (out)
		pki_certs_free(out, got);
	for (i = 0; b && i < n; i++)
		if (b[i])
			gnutls_x509_crt_deinit(b[i]);
	free(b);
	if (lc)
		gnutls_x509_crt_deinit(lc);
	if (a)
		gnutls_x509_crt_deinit(a);
	return rc;
}

size_t pki_cert_crl_uris(const sztp_bytes *cert, char (*uris)[PKI_CRL_URI_MAX], size_t max)
{
	gnutls_x509_crt_t c = crt_new(cert);
	unsigned seq, reasons, critical;
	size_t n = 0, size;
	int r;

	if (!c)
		return 0;
	for (seq = 0; n < max; seq++) {
		size = PKI_CRL_URI_MAX - 1;
		r = gnutls_x509_crt_get_crl_dist_points(c, seq, uris[n], &size, &reasons,
							&critical);
		if (r == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue; /* a URI this long is not one we fetch */
		if (r < 0)
			break;
		if (r != GNUTLS_SAN_URI || size == 0 || memchr(uris[n], '\0', size))
			continue;
		uris[n][size] = '\0';
		n++;
	}
	gnutls_x509_crt_deinit(c);
	return n;
}

/* The CRLs of one buffer: PEM blocks, else one DER CRL. */
static int crls_import(const sztp_bytes *buf, gnutls_x509_crl_t *out, unsigned max)
{
	gnutls_datum_t d = {buf->data, (unsigned)buf->len};
	gnutls_x509_crl_t *list = NULL;
	unsigned size = 0, i;

	if (!buf->data || !buf->len)
		return 0;
	if (memmem(buf->data, buf->len, "-----BEGIN X509 CRL", 19)) {
		if (gnutls_x509_crl_list_import2(&list, &size, &d, GNUTLS_X509_FMT_PEM, 0) < 0)
			return 0;
		for (i = 0; i < size; i++) {
			if (i < max)
				out[i] = list[i];
			else
				gnutls_x509_crl_deinit(list[i]);
		}
		gnutls_free(list);
		return (int)(size < max ? size : max);
	}
	if (max == 0 || gnutls_x509_crl_init(&out[0]) < 0)
		return 0;
	if (gnutls_x509_crl_import(out[0], &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crl_deinit(out[0]);
		return 0;
	}
	return 1;
}

/* A CRL verification status that is more than a time problem (times are
 * checked against the caller's clock, or not at all). */
static int crl_bad(unsigned st)
{
	const unsigned when =
	    GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED | GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE;

	if (st & ~(when | GNUTLS_CERT_INVALID))
		return 1;
	return (st & GNUTLS_CERT_INVALID) && !(st & when);
}

static void why_add(char *why, size_t len, const char *s)
{
	size_t l = strlen(why);

	if (l + 3 < len)
		snprintf(why + l, len - l, "%s%s", l ? "; " : "", s);
}

sztp_rc pki_crl_status(const sztp_bytes *cert, const sztp_bytes *issuer, const sztp_bytes *crls,
		       size_t n, time_t now, int *revoked, struct sztp_err *e)
{
	gnutls_x509_crt_t c = crt_new(cert), is = crt_new(issuer);
	gnutls_x509_crl_t list[CRL_PER_BUF];
	char why[SZTP_ERR_MSG_MAX] = "";
	size_t i;
	int m, k, found = 0;
	sztp_rc rc = SZTP_E_MALFORMED;

	*revoked = 0;
	if (!c || !is) {
		sztp_err_set(e, rc, "certificate does not parse");
		goto out;
	}
	for (i = 0; i < n && !found; i++) {
		m = crls_import(&crls[i], list, CRL_PER_BUF);
		if (m == 0)
			why_add(why, sizeof(why), "not a CRL");
		for (k = 0; k < m; k++) {
			unsigned st = 0;
			time_t tu, nu;
			int r;

			if (found)
				; /* only the first usable CRL decides */
			else if (gnutls_x509_crl_check_issuer(list[k], is) != 1)
				why_add(why, sizeof(why), "a CRL of another issuer");
			else if (gnutls_x509_crl_verify(list[k], &is, 1, 0, &st) < 0 || crl_bad(st))
				why_add(
				    why, sizeof(why),
				    "a CRL whose signature does not verify with the issuer's key");
			else if (now && ((tu = gnutls_x509_crl_get_this_update(list[k])) == -1 ||
					 tu > now))
				why_add(why, sizeof(why), "a CRL issued in the future");
			else if (now && (nu = gnutls_x509_crl_get_next_update(list[k])) != -1 &&
				 nu < now)
				why_add(why, sizeof(why), "a CRL past its nextUpdate");
			else if ((r = gnutls_x509_crt_check_revocation(c, &list[k], 1)) < 0)
				why_add(why, sizeof(why), "a CRL that cannot be read");
			else {
				found = 1;
				*revoked = r == 1;
			}
			gnutls_x509_crl_deinit(list[k]);
		}
	}
	rc = found ? SZTP_OK
		   : sztp_err_set(e, SZTP_E_NOT_FOUND, "no current CRL of the issuer (%s)",
				  why[0] ? why : "none given");
out:
	if (c)
		gnutls_x509_crt_deinit(c);
	if (is)
		gnutls_x509_crt_deinit(is);
	return rc;
}
