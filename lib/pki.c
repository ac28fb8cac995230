/*
 * pki.c - X.509 on GnuTLS: PEM certificate lists, private keys (refused
 * when group/world accessible), signers (key + chain, SHA-256 signatures
 * for CMS), trust lists and chain verification with an optional key
 * purpose (RFC 5280 s4.2.1.12) and a caller-chosen time, CRLs (RFC 5280
 * s5; checked by us against the issuer each path shows), a trust object
 * that can be swapped while in use (pki_trust_replace), a cache of
 * verified intermediates with counters (pki_trust_stats), certificate
 * fields (keyUsage, AKI, validity, subject) including the device serial
 * number from the subject serialNumber attribute (2.5.4.5; RFC 8572 s5.3
 * and s9.6, IEEE 802.1AR), and the peer's chain of a TLS session.
 *
 * Verifying at a given time: GnuTLS 3.7.9 has no per-call verification
 * time (only the process-wide gnutls_global_set_time_function), so for
 * now != 0 GnuTLS's own time checks are disabled and the validity of every
 * certificate on the path leaf -> anchor is checked here.  now = 0 leaves
 * the time checks to GnuTLS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "crypto.h"
#include "pki_internal.h"
#include "util.h"

_Static_assert(PKI_KU_DIGITAL_SIGNATURE == GNUTLS_KEY_DIGITAL_SIGNATURE, "KU bits");
_Static_assert(PKI_KU_NON_REPUDIATION == GNUTLS_KEY_NON_REPUDIATION, "KU bits");
_Static_assert(PKI_KU_KEY_ENCIPHERMENT == GNUTLS_KEY_KEY_ENCIPHERMENT, "KU bits");
_Static_assert(PKI_KU_DATA_ENCIPHERMENT == GNUTLS_KEY_DATA_ENCIPHERMENT, "KU bits");
_Static_assert(PKI_KU_KEY_AGREEMENT == GNUTLS_KEY_KEY_AGREEMENT, "KU bits");
_Static_assert(PKI_KU_KEY_CERT_SIGN == GNUTLS_KEY_KEY_CERT_SIGN, "KU bits");
_Static_assert(PKI_KU_CRL_SIGN == GNUTLS_KEY_CRL_SIGN, "KU bits");

#define PEM_FILE_MAX   (1024 * 1024)
#define KEY_FILE_MAX   (64 * 1024)
#define CHAIN_MAX      16
#define PEM_CERTS_MAX  256
#define PEM_BEGIN_CERT "-----BEGIN CERTIFICATE-----"
#define PEM_END_CERT   "-----END CERTIFICATE-----"

/* ---- certificate lists ------------------------------------------------ */

void pki_certs_free(sztp_bytes *certs, size_t n)
{
	size_t i;

	if (!certs)
		return;
	for (i = 0; i < n; i++)
		sztp_bytes_free(&certs[i]);
	free(certs);
}

sztp_rc crt_import(const sztp_bytes *der, gnutls_x509_crt_t *out, struct sztp_err *e)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d;
	int r;

	*out = NULL;
	if (!der || !der->data || !der->len || der->len > UINT32_MAX)
		return sztp_err_set(e, SZTP_E_MALFORMED, "empty certificate");
	if (gnutls_x509_crt_init(&crt) < 0)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory for a certificate");
	d.data = der->data;
	d.size = (unsigned)der->len;
	r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER);
	if (r < 0) {
		gnutls_x509_crt_deinit(crt);
		return sztp_err_set(e, SZTP_E_MALFORMED, "certificate does not parse: %s",
				    gnutls_strerror(r));
	}
	*out = crt;
	return SZTP_OK;
}

/* Append one PEM block (from BEGIN to END inclusive) decoded as DER. */
static sztp_rc pem_block_add(const char *blk, size_t blen, sztp_bytes *dst, size_t idx,
			     struct sztp_err *e)
{
	gnutls_datum_t in = {(unsigned char *)blk, (unsigned)blen}, der = {NULL, 0};
	gnutls_x509_crt_t crt = NULL;
	sztp_rc rc = SZTP_E_MALFORMED;
	int r;

	r = gnutls_pem_base64_decode2("CERTIFICATE", &in, &der);
	if (r < 0) {
		sztp_err_set(e, rc, "PEM certificate #%zu: bad base64: %s", idx + 1,
			     gnutls_strerror(r));
		goto out;
	}
	if (sztp_bytes_dup(dst, der.data, der.size) != SZTP_OK) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory reading PEM");
		goto out;
	}
	rc = crt_import(dst, &crt, e);
	if (rc != SZTP_OK) {
		sztp_err_set(e, rc, "PEM certificate #%zu is not a valid X.509 certificate",
			     idx + 1);
		sztp_bytes_free(dst);
	}
out:
	gnutls_x509_crt_deinit(crt);
	gnutls_free(der.data);
	return rc;
}

sztp_rc pki_pem_certs_parse(const char *pem, size_t len, sztp_bytes **certs, size_t *n,
			    struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_MALFORMED;
	sztp_bytes *list = NULL;
	size_t cnt = 0, pos = 0;
	const char *b, *end;

	*certs = NULL;
	*n = 0;
	if (len > PEM_FILE_MAX)
		return sztp_err_set(e, SZTP_E_TOO_BIG, "PEM text of %zu bytes exceeds %d", len,
				    PEM_FILE_MAX);
	while (pem && pos < len) {
		b = memmem(pem + pos, len - pos, PEM_BEGIN_CERT, strlen(PEM_BEGIN_CERT));
		if (!b)
			break;
		end = memmem(b, len - (size_t)(b - pem), PEM_END_CERT, strlen(PEM_END_CERT));
		if (!end) {
			rc = sztp_err_set(e, SZTP_E_MALFORMED,
					  "PEM certificate #%zu is truncated (no END line)",
					  cnt + 1);
			goto out;
		}
		end += strlen(PEM_END_CERT);
		if (cnt == PEM_CERTS_MAX) {
			rc = sztp_err_set(e, SZTP_E_TOO_BIG, "more than %d certificates in PEM",
					  PEM_CERTS_MAX);
			goto out;
		}
		if (cnt % 8 == 0) {
			sztp_bytes *nl = realloc(list, (cnt + 8) * sizeof(*list));
			if (!nl) {
				rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory reading PEM");
				goto out;
			}
			list = nl;
		}
		rc = pem_block_add(b, (size_t)(end - b), &list[cnt], cnt, e);
		if (rc != SZTP_OK)
			goto out;
		cnt++;
		pos = (size_t)(end - pem);
	}
	if (!cnt) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "no CERTIFICATE block in PEM text");
		goto out;
	}
	*certs = list;
	*n = cnt;
	list = NULL;
	rc = SZTP_OK;
out:
	pki_certs_free(list, cnt);
	return rc;
}

sztp_rc pki_pem_certs_read(const char *path, sztp_bytes **certs, size_t *n, struct sztp_err *e)
{
	sztp_bytes f = {NULL, 0};
	sztp_rc rc;

	*certs = NULL;
	*n = 0;
	rc = file_read(path, PEM_FILE_MAX, &f, e);
	if (rc != SZTP_OK)
		return rc;
	rc = pki_pem_certs_parse((const char *)f.data, f.len, certs, n, e);
	if (rc != SZTP_OK) {
		char msg[SZTP_ERR_MSG_MAX];
		if (e) {
			snprintf(msg, sizeof(msg), "%s", e->msg);
			sztp_err_set(e, rc, "%s: %s", path, msg);
		}
	}
	sztp_bytes_free(&f);
	return rc;
}

sztp_rc pki_certs_to_pem(const sztp_bytes *certs, size_t n, char **pem, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	char *s = NULL, *ns;
	size_t len = 0, i;

	*pem = NULL;
	s = calloc(1, 1);
	if (!s)
		return sztp_err_set(e, rc, "out of memory encoding PEM");
	for (i = 0; i < n; i++) {
		gnutls_datum_t d = {certs[i].data, (unsigned)certs[i].len}, o = {NULL, 0};
		int r = gnutls_pem_base64_encode2("CERTIFICATE", &d, &o);
		if (r < 0) {
			rc = sztp_err_set(e, SZTP_E_CRYPTO, "PEM encoding failed: %s",
					  gnutls_strerror(r));
			goto out;
		}
		ns = realloc(s, len + o.size + 1);
		if (!ns) {
			gnutls_free(o.data);
			sztp_err_set(e, rc, "out of memory encoding PEM");
			goto out;
		}
		s = ns;
		memcpy(s + len, o.data, o.size);
		len += o.size;
		s[len] = '\0';
		gnutls_free(o.data);
	}
	*pem = s;
	s = NULL;
	rc = SZTP_OK;
out:
	free(s);
	return rc;
}

/* ---- single certificate attributes ------------------------------------ */

/* Next code point of a strictly valid UTF-8 string (no overlong forms,
 * surrogates or values past U+10FFFF); -1 when invalid.  *i advances. */
static long utf8_next(const uint8_t *s, size_t len, size_t *i)
{
	uint8_t c = s[*i];
	size_t n, k;
	long cp, min;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 1, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (*i + n >= len)
		return -1;
	for (k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n + 1;
	return cp;
}

/* Unicode general category Cc: C0, DEL and C1. */
static int is_control(long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

sztp_rc pki_serial_check(const char *s, struct sztp_err *e)
{
	size_t len = s ? strlen(s) : 0, i = 0;
	long cp;

	if (len == 0)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "serial number is empty");
	if (len >= PKI_SERIAL_MAX)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "serial number is longer than %d bytes", PKI_SERIAL_MAX - 1);
	while (i < len) {
		cp = utf8_next((const uint8_t *)s, len, &i);
		if (cp < 0)
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "serial number is not valid UTF-8");
		if (is_control(cp))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "serial number holds a control character (U+%04lX)",
					    (unsigned long)cp);
	}
	return SZTP_OK;
}

/* Append code point cp to out as UTF-8; 0 when it does not fit. */
static int utf8_put(unsigned long cp, char *out, size_t cap, size_t *o)
{
	uint8_t b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (*o + n >= cap)
		return 0;
	memcpy(out + *o, b, n);
	*o += n;
	return 1;
}

/* DER string types a serialNumber may arrive in (X.520 says
 * PrintableString; CAs also write UTF8String, and DirectoryString allows
 * the rest). */
#define DER_UTF8STRING	    0x0c
#define DER_PRINTABLESTRING 0x13
#define DER_IA5STRING	    0x16
#define DER_VISIBLESTRING   0x1a
#define DER_UNIVERSALSTRING 0x1c
#define DER_BMPSTRING	    0x1e

/* The value of a DER string (tag, definite length, content: exactly len
 * bytes) as NUL-terminated UTF-8.  Not the RFC 4514 rendering: "SN+1" is
 * "SN+1", never "SN\+1". */
static sztp_rc der_string_utf8(const uint8_t *der, size_t len, char *out, size_t outlen,
			       struct sztp_err *e)
{
	size_t clen, hl = 2, i = 0, o = 0, unit = 1;
	const uint8_t *c;
	unsigned long cp;
	long u;
	uint8_t tag;

	if (len < 2)
		return sztp_err_set(e, SZTP_E_MALFORMED, "certificate serialNumber is truncated");
	tag = der[0];
	clen = der[1];
	if (clen == 0x81 && len >= 3 && der[2] >= 0x80) {
		clen = der[2], hl = 3;
	} else if (clen == 0x82 && len >= 4 && der[2] != 0) {
		clen = (size_t)der[2] << 8 | der[3], hl = 4;
	} else if (clen >= 0x80) {
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "certificate serialNumber has a bad DER length");
	}
	if (hl + clen != len)
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "certificate serialNumber has a bad DER length");
	c = der + hl;
	if (tag == DER_BMPSTRING)
		unit = 2;
	else if (tag == DER_UNIVERSALSTRING)
		unit = 4;
	else if (tag != DER_UTF8STRING && tag != DER_PRINTABLESTRING && tag != DER_IA5STRING &&
		 tag != DER_VISIBLESTRING)
		return sztp_err_set(e, SZTP_E_UNSUPPORTED,
				    "certificate serialNumber is a string of unsupported type "
				    "(DER tag 0x%02x)",
				    tag);
	if (clen % unit)
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "certificate serialNumber has a bad DER length");
	while (i < clen) {
		if (tag == DER_UTF8STRING) {
			u = utf8_next(c, clen, &i);
			if (u < 0)
				return sztp_err_set(e, SZTP_E_INVALID_VALUE,
						    "certificate serialNumber is not valid UTF-8");
			cp = (unsigned long)u;
		} else if (unit == 2) {
			cp = (unsigned long)c[i] << 8 | c[i + 1];
			i += 2;
		} else if (unit == 4) {
			cp = (unsigned long)c[i] << 24 | (unsigned long)c[i + 1] << 16 |
			     (unsigned long)c[i + 2] << 8 | c[i + 3];
			i += 4;
		} else {
			cp = c[i++];
			if (cp >= 0x80)
				return sztp_err_set(e, SZTP_E_INVALID_VALUE,
						    "certificate serialNumber holds a non-ASCII "
						    "byte in an ASCII string type");
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "certificate serialNumber holds an invalid character");
		if (is_control((long)cp))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "certificate serialNumber holds control characters");
		if (!utf8_put(cp, out, outlen, &o))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "certificate serialNumber is longer than %zu bytes",
					    outlen ? outlen - 1 : 0);
	}
	out[o] = '\0';
	if (!o)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "certificate serialNumber is empty");
	return SZTP_OK;
}

/* RFC 8572 s5.3 / 802.1AR: serial number from the subject serialNumber
 * of an already parsed certificate: the attribute's value, decoded from
 * its DER string.  A subject with two serialNumber attributes names no
 * single device and is refused. */
static sztp_rc crt_serial_number(gnutls_x509_crt_t crt, char *out, size_t outlen,
				 struct sztp_err *e)
{
	uint8_t raw[1024];
	size_t sz = sizeof(raw);
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	int r;

	if (!outlen)
		return sztp_err_set(e, rc, "no room for the serial number");
	out[0] = '\0';
	r = gnutls_x509_crt_get_dn_by_oid(crt, "2.5.4.5", 0, 1, raw, &sz);
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND,
				  "certificate subject has no serialNumber (2.5.4.5) attribute");
	} else if (r == GNUTLS_E_SHORT_MEMORY_BUFFER) {
		rc = sztp_err_set(e, rc, "certificate serialNumber is longer than %zu bytes",
				  outlen - 1);
	} else if (r < 0) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "certificate serialNumber unreadable: %s",
				  gnutls_strerror(r));
	} else {
		rc = der_string_utf8(raw, sz, out, outlen, e);
	}
	if (rc == SZTP_OK) {
		uint8_t two[8];
		size_t tsz = sizeof(two);
		r = gnutls_x509_crt_get_dn_by_oid(crt, "2.5.4.5", 1, 1, two, &tsz);
		if (r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
					  "certificate subject has more than one serialNumber");
	}
	if (rc != SZTP_OK)
		out[0] = '\0';
	return rc;
}

sztp_rc pki_cert_serial_number(const sztp_bytes *cert, char *out, size_t outlen, struct sztp_err *e)
{
	gnutls_x509_crt_t crt = NULL;
	sztp_rc rc;

	if (outlen)
		out[0] = '\0';
	rc = crt_import(cert, &crt, e);
	if (rc != SZTP_OK)
		return rc;
	rc = crt_serial_number(crt, out, outlen, e);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

sztp_rc pki_cert_validity(const sztp_bytes *cert, time_t *not_before, time_t *not_after,
			  struct sztp_err *e)
{
	gnutls_x509_crt_t crt = NULL;
	sztp_rc rc = crt_import(cert, &crt, e);

	if (rc != SZTP_OK)
		return rc;
	*not_before = gnutls_x509_crt_get_activation_time(crt);
	*not_after = gnutls_x509_crt_get_expiration_time(crt);
	if (*not_before == (time_t)-1 || *not_after == (time_t)-1)
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "certificate validity is unreadable");
	gnutls_x509_crt_deinit(crt);
	return rc;
}

/* The subject (issuer 0) or issuer DN of crt as a string. */
static void crt_dn(gnutls_x509_crt_t crt, int issuer, char *out, size_t outlen)
{
	gnutls_datum_t d = {NULL, 0};
	int r;

	if (!outlen)
		return;
	out[0] = '\0';
	r = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0)
		   : gnutls_x509_crt_get_dn3(crt, &d, 0);
	if (r >= 0)
		snprintf(out, outlen, "%.*s", (int)d.size, (const char *)d.data);
	else
		snprintf(out, outlen, "(unreadable %s)", issuer ? "issuer" : "subject");
	gnutls_free(d.data);
}

void crt_subject(gnutls_x509_crt_t crt, char *out, size_t outlen)
{
	crt_dn(crt, 0, out, outlen);
}

static sztp_rc cert_dn(const sztp_bytes *cert, int issuer, char *out, size_t outlen,
		       struct sztp_err *e)
{
	gnutls_x509_crt_t crt = NULL;
	sztp_rc rc = crt_import(cert, &crt, e);

	if (outlen)
		out[0] = '\0';
	if (rc != SZTP_OK)
		return rc;
	crt_dn(crt, issuer, out, outlen);
	gnutls_x509_crt_deinit(crt);
	return SZTP_OK;
}

sztp_rc pki_cert_subject(const sztp_bytes *cert, char *out, size_t outlen, struct sztp_err *e)
{
	return cert_dn(cert, 0, out, outlen, e);
}

sztp_rc pki_cert_issuer(const sztp_bytes *cert, char *out, size_t outlen, struct sztp_err *e)
{
	return cert_dn(cert, 1, out, outlen, e);
}

sztp_rc pki_cert_aki(const sztp_bytes *cert, sztp_bytes *out, struct sztp_err *e)
{
	gnutls_x509_crt_t crt = NULL;
	unsigned char buf[128];
	size_t sz = sizeof(buf);
	unsigned crit = 0;
	sztp_rc rc;
	int r;

	out->data = NULL;
	out->len = 0;
	rc = crt_import(cert, &crt, e);
	if (rc != SZTP_OK)
		return rc;
	r = gnutls_x509_crt_get_authority_key_id(crt, buf, &sz, &crit);
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND,
				  "certificate has no authority key identifier");
	else if (r < 0)
		rc = sztp_err_set(e, SZTP_E_MALFORMED,
				  "certificate authority key identifier unreadable: %s",
				  gnutls_strerror(r));
	else if (sztp_bytes_dup(out, buf, sz) != SZTP_OK)
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	gnutls_x509_crt_deinit(crt);
	return rc;
}

sztp_rc pki_cert_key_usage(const sztp_bytes *der, unsigned *usage_bits, int *critical,
			   struct sztp_err *e)
{
	gnutls_x509_crt_t crt = NULL;
	unsigned ku = 0, crit = 0;
	sztp_rc rc;
	int r;

	*usage_bits = 0;
	*critical = 0;
	rc = crt_import(der, &crt, e);
	if (rc != SZTP_OK)
		goto out;
	r = gnutls_x509_crt_get_key_usage(crt, &ku, &crit);
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "certificate has no keyUsage extension");
		goto out;
	}
	if (r < 0) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "certificate keyUsage unreadable: %s",
				  gnutls_strerror(r));
		goto out;
	}
	*usage_bits = ku;
	*critical = crit != 0;
	rc = SZTP_OK;
out:
	gnutls_x509_crt_deinit(crt);
	return rc;
}

int pki_cert_equal(const sztp_bytes *a, const sztp_bytes *b)
{
	if (!a || !b || !a->data || !b->data || a->len != b->len)
		return 0;
	return memcmp(a->data, b->data, a->len) == 0;
}

/* ---- private keys ------------------------------------------------------ */

sztp_rc pki_key_file_check(const char *path, struct sztp_err *e)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return sztp_err_set(e, SZTP_E_IO, "cannot stat key file %s: %s", path,
				    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return sztp_err_set(e, SZTP_E_PERM, "key file %s is not a regular file (mode %04o)",
				    path, (unsigned)(st.st_mode & 07777));
	if (st.st_mode & 077)
		return sztp_err_set(e, SZTP_E_PERM,
				    "key file %s has mode %04o: it must not be accessible by "
				    "group or others (chmod 600)",
				    path, (unsigned)(st.st_mode & 07777));
	return SZTP_OK;
}

/* Parse a private key: PEM (PKCS#8 or traditional RSA/EC) or DER. */
sztp_rc xkey_import(const uint8_t *key, size_t len, gnutls_x509_privkey_t *out, struct sztp_err *e)
{
	gnutls_x509_privkey_t xk = NULL;
	gnutls_datum_t d = {(unsigned char *)key, (unsigned)len};
	gnutls_x509_crt_fmt_t fmt = GNUTLS_X509_FMT_DER;
	int r;

	*out = NULL;
	if (!key || !len || len > KEY_FILE_MAX)
		return sztp_err_set(e, SZTP_E_MALFORMED, "private key is empty or too large");
	if (memmem(key, len, "-----BEGIN", 10))
		fmt = GNUTLS_X509_FMT_PEM;
	if (gnutls_x509_privkey_init(&xk) < 0)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory for a private key");
	r = gnutls_x509_privkey_import2(xk, &d, fmt, NULL, GNUTLS_PKCS_PLAIN);
	if (r < 0) {
		gnutls_x509_privkey_deinit(xk);
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "private key does not parse (unencrypted PKCS#8, RSA or EC "
				    "key in PEM or DER expected): %s",
				    gnutls_strerror(r));
	}
	*out = xk;
	return SZTP_OK;
}

/* SZTP_OK when the key's public half is the certificate's. */
sztp_rc xkey_match(gnutls_x509_privkey_t xk, gnutls_x509_crt_t crt, struct sztp_err *e)
{
	unsigned char a[64], b[64];
	size_t alen = sizeof(a), blen = sizeof(b);
	char subj[160];

	if (gnutls_x509_privkey_get_key_id(xk, GNUTLS_KEYID_USE_SHA256, a, &alen) < 0 ||
	    gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, b, &blen) < 0)
		return sztp_err_set(e, SZTP_E_CRYPTO, "cannot compute key identifiers");
	if (alen != blen || memcmp(a, b, alen) != 0) {
		crt_subject(crt, subj, sizeof(subj));
		return sztp_err_set(e, SZTP_E_MISMATCH,
				    "private key does not belong to certificate %s", subj);
	}
	return SZTP_OK;
}

void pki_signer_free(struct pki_signer *s)
{
	if (!s)
		return;
	gnutls_privkey_deinit(s->key); /* wipes the key (auto-release of x509 key) */
	gnutls_x509_crt_deinit(s->leaf);
	pki_certs_free(s->chain, s->n);
	free(s);
}

static sztp_rc chain_copy(const sztp_bytes *chain, size_t n, struct pki_signer *s,
			  struct sztp_err *e)
{
	size_t i;

	s->chain = calloc(n, sizeof(*s->chain));
	if (!s->chain)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if (sztp_bytes_dup(&s->chain[i], chain[i].data, chain[i].len) != SZTP_OK)
			return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		s->n = i + 1;
	}
	return SZTP_OK;
}

sztp_rc pki_signer_from_mem(const uint8_t *key, size_t key_len, const sztp_bytes *chain, size_t n,
			    struct pki_signer **out, struct sztp_err *e)
{
	gnutls_x509_privkey_t xk = NULL;
	struct pki_signer *s = NULL;
	sztp_rc rc = SZTP_E_NOMEM;
	int r, alg;

	*out = NULL;
	if (!chain || !n || n > CHAIN_MAX)
		return sztp_err_set(e, SZTP_E_MALFORMED, "signer needs 1..%d certificates, got %zu",
				    CHAIN_MAX, chain ? n : 0);
	s = calloc(1, sizeof(*s));
	if (!s) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	rc = chain_copy(chain, n, s, e);
	if (rc != SZTP_OK)
		goto out;
	rc = crt_import(&s->chain[0], &s->leaf, e);
	if (rc != SZTP_OK)
		goto out;
	rc = xkey_import(key, key_len, &xk, e);
	if (rc != SZTP_OK)
		goto out;
	rc = xkey_match(xk, s->leaf, e);
	if (rc != SZTP_OK)
		goto out;
	alg = gnutls_x509_privkey_get_pk_algorithm(xk);
	if (alg != GNUTLS_PK_RSA && alg != GNUTLS_PK_ECDSA) {
		rc = sztp_err_set(e, SZTP_E_UNSUPPORTED,
				  "signing key algorithm %s is not supported (RSA or ECDSA)",
				  gnutls_pk_algorithm_get_name((gnutls_pk_algorithm_t)alg));
		goto out;
	}
	s->is_rsa = alg == GNUTLS_PK_RSA;
	rc = SZTP_E_CRYPTO;
	if (gnutls_privkey_init(&s->key) < 0) {
		sztp_err_set(e, rc, "cannot create a private key object");
		goto out;
	}
	r = gnutls_privkey_import_x509(s->key, xk, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
	if (r < 0) {
		sztp_err_set(e, rc, "cannot load private key: %s", gnutls_strerror(r));
		goto out;
	}
	xk = NULL; /* owned by s->key now */
	*out = s;
	s = NULL;
	rc = SZTP_OK;
out:
	gnutls_x509_privkey_deinit(xk);
	pki_signer_free(s);
	return rc;
}

/* Read a key file after checking its permissions. */
sztp_rc key_file_read(const char *path, sztp_bytes *key, struct sztp_err *e)
{
	sztp_rc rc = pki_key_file_check(path, e);

	key->data = NULL;
	key->len = 0;
	if (rc != SZTP_OK)
		return rc;
	return file_read(path, KEY_FILE_MAX, key, e);
}

sztp_rc pki_signer_load(const char *key_path, const char *chain_path, struct pki_signer **out,
			struct sztp_err *e)
{
	sztp_bytes key = {NULL, 0}, *chain = NULL;
	size_t n = 0;
	sztp_rc rc;

	*out = NULL;
	rc = key_file_read(key_path, &key, e);
	if (rc != SZTP_OK)
		goto out;
	rc = pki_pem_certs_read(chain_path, &chain, &n, e);
	if (rc != SZTP_OK)
		goto out;
	rc = pki_signer_from_mem(key.data, key.len, chain, n, out, e);
	if (rc != SZTP_OK && e) {
		char msg[SZTP_ERR_MSG_MAX];
		snprintf(msg, sizeof(msg), "%s", e->msg);
		sztp_err_set(e, rc, "%s / %s: %s", key_path, chain_path, msg);
	}
out:
	sztp_bytes_wipe(&key);
	pki_certs_free(chain, n);
	return rc;
}

const sztp_bytes *pki_signer_chain(const struct pki_signer *s, size_t *n)
{
	*n = s ? s->n : 0;
	return s ? s->chain : NULL;
}

sztp_rc pki_signer_sign(const struct pki_signer *s, const uint8_t *data, size_t len,
			sztp_bytes *sig, int *is_rsa, struct sztp_err *e)
{
	gnutls_datum_t d = {(unsigned char *)data, (unsigned)len}, o = {NULL, 0};
	sztp_rc rc = SZTP_OK;
	int r;

	sig->data = NULL;
	sig->len = 0;
	if (len > UINT32_MAX)
		return sztp_err_set(e, SZTP_E_TOO_BIG, "data to sign is too large");
	r = gnutls_privkey_sign_data(s->key, GNUTLS_DIG_SHA256, 0, &d, &o);
	if (r < 0)
		return sztp_err_set(e, SZTP_E_CRYPTO, "signing failed: %s", gnutls_strerror(r));
	if (sztp_bytes_dup(sig, o.data, o.size) != SZTP_OK)
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if (is_rsa)
		*is_rsa = s->is_rsa;
	gnutls_free(o.data);
	return rc;
}

sztp_rc pki_key_matches_cert(const char *key_path, const sztp_bytes *cert, struct sztp_err *e)
{
	gnutls_x509_privkey_t xk = NULL;
	gnutls_x509_crt_t crt = NULL;
	sztp_bytes key = {NULL, 0};
	sztp_rc rc;

	rc = key_file_read(key_path, &key, e);
	if (rc != SZTP_OK)
		goto out;
	rc = crt_import(cert, &crt, e);
	if (rc != SZTP_OK)
		goto out;
	rc = xkey_import(key.data, key.len, &xk, e);
	if (rc != SZTP_OK)
		goto out;
	rc = xkey_match(xk, crt, e);
out:
	gnutls_x509_privkey_deinit(xk);
	gnutls_x509_crt_deinit(crt);
	sztp_bytes_wipe(&key);
	return rc;
}

/* ---- trust anchors and CRLs --------------------------------------------
 * struct pki_trust is a handle on a refcounted struct pki_trust_set: the
 * anchors, the CRLs and the caches built on them.  A verification takes a
 * reference on the current set for its whole run, so pki_trust_replace
 * can swap in a new set while others verify: they finish on the old one,
 * which is freed by the last of them. */

static void crl_clear(struct pki_crl *c)
{
	sztp_bytes_free(&c->der);
	sztp_bytes_free(&c->issuer);
	free(c->revoked);
	free(c->name);
	memset(c, 0, sizeof(*c));
}

static void set_free(struct pki_trust_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_groups; i++)
		if (s->groups[i].tl)
			gnutls_x509_trust_list_deinit(s->groups[i].tl, 1);
	for (i = 0; i < s->n_crls; i++)
		crl_clear(&s->crls[i]);
	free(s->crls);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Drop one reference; the last one frees the set. */
static void set_put(struct pki_trust_set *s)
{
	if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		set_free(s);
}

/* A reference on t's current set (NULL when t is NULL or empty). */
static struct pki_trust_set *set_get(const struct pki_trust *t)
{
	struct pki_trust *mt = (struct pki_trust *)t; /* the lock only */
	struct pki_trust_set *s;

	if (!t)
		return NULL;
	pthread_mutex_lock(&mt->mu);
	s = mt->set;
	if (s)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&mt->mu);
	return s;
}

void pki_trust_free(struct pki_trust *t)
{
	if (!t)
		return;
	set_put(t->set);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* One CRL serial number, leading zero octets stripped. */
static int serial_cmp(const void *a, const void *b)
{
	const struct pki_crl_serial *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->b, y->b, x->len);
}

static int serial_norm(const uint8_t *in, size_t len, struct pki_crl_serial *out)
{
	while (len > 1 && *in == 0)
		in++, len--;
	if (len > sizeof(out->b))
		return 0;
	out->len = (uint8_t)len;
	memcpy(out->b, in, len);
	return 1;
}

/* Refuse what this reader would misread: delta CRLs, partitioned or
 * indirect CRLs (issuingDistributionPoint), any unknown critical
 * extension (RFC 5280 s5.2). */
static sztp_rc crl_extensions_ok(gnutls_x509_crl_t crl, const char *name, struct sztp_err *e)
{
	char oid[128];
	size_t sz;
	unsigned i, crit;
	int r;

	for (i = 0;; i++) {
		sz = sizeof(oid);
		crit = 0;
		r = gnutls_x509_crl_get_extension_info(crl, i, oid, &sz, &crit);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return SZTP_OK;
		if (r < 0)
			return sztp_err_set(e, SZTP_E_MALFORMED, "%s: extensions unreadable: %s",
					    name, gnutls_strerror(r));
		if (!strcmp(oid, "2.5.29.27"))
			return sztp_err_set(e, SZTP_E_UNSUPPORTED,
					    "%s is a delta CRL: load complete CRLs", name);
		if (!strcmp(oid, "2.5.29.28"))
			return sztp_err_set(e, SZTP_E_UNSUPPORTED,
					    "%s has an issuingDistributionPoint (partitioned or "
					    "indirect CRL): load complete CRLs",
					    name);
		if (crit)
			return sztp_err_set(e, SZTP_E_UNSUPPORTED,
					    "%s has an unknown critical extension %s", name, oid);
	}
}

/* Read one parsed CRL into c: issuer, dates, sorted revoked serials. */
static sztp_rc crl_read(gnutls_x509_crl_t crl, const char *name, struct pki_crl *c,
			struct sztp_err *e)
{
	gnutls_x509_crl_iter_t it = NULL;
	gnutls_datum_t dn = {NULL, 0}, der = {NULL, 0};
	uint8_t sn[64];
	size_t sz, cap = 0;
	sztp_rc rc = SZTP_E_MALFORMED;
	int r;

	memset(c, 0, sizeof(*c));
	if (!(c->name = strdup(name))) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = crl_extensions_ok(crl, name, e)) != SZTP_OK)
		goto out;
	rc = SZTP_E_MALFORMED;
	if (gnutls_x509_crl_get_raw_issuer_dn(crl, &dn) < 0 ||
	    gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_DER, &der) < 0) {
		sztp_err_set(e, rc, "%s: issuer unreadable", name);
		goto out;
	}
	if (sztp_bytes_dup(&c->issuer, dn.data, dn.size) != SZTP_OK ||
	    sztp_bytes_dup(&c->der, der.data, der.size) != SZTP_OK) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	c->this_update = gnutls_x509_crl_get_this_update(crl);
	c->next_update = gnutls_x509_crl_get_next_update(crl);
	for (;;) {
		sz = sizeof(sn);
		r = gnutls_x509_crl_iter_crt_serial(crl, &it, sn, &sz, NULL);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0) {
			sztp_err_set(e, rc, "%s: revoked certificate #%zu unreadable: %s", name,
				     c->n_revoked + 1, gnutls_strerror(r));
			goto out;
		}
		if (c->n_revoked == PKI_CRL_ENTRIES_MAX) {
			rc = sztp_err_set(e, SZTP_E_TOO_BIG, "%s lists more than %d certificates",
					  name, PKI_CRL_ENTRIES_MAX);
			goto out;
		}
		if (c->n_revoked == cap) {
			struct pki_crl_serial *nr;
			cap = cap ? cap * 2 : 64;
			if (!(nr = realloc(c->revoked, cap * sizeof(*nr)))) {
				rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
				goto out;
			}
			c->revoked = nr;
		}
		if (!serial_norm(sn, sz, &c->revoked[c->n_revoked])) {
			sztp_err_set(e, rc, "%s: a revoked serial number is longer than %zu octets",
				     name, sizeof(c->revoked[0].b));
			goto out;
		}
		c->n_revoked++;
	}
	if (c->n_revoked)
		qsort(c->revoked, c->n_revoked, sizeof(*c->revoked), serial_cmp);
	rc = SZTP_OK;
out:
	gnutls_x509_crl_iter_deinit(it);
	gnutls_free(der.data);
	gnutls_free(dn.data); /* gnutls returns a copy */
	if (rc != SZTP_OK)
		crl_clear(c);
	return rc;
}

/* gnutls_x509_crl_verify flags a CRL past its nextUpdate (or issued in
 * the future) even with time checks disabled: dates are our policy (see
 * "revocation" below), the signature is what this checks. */
#define CRL_DATE_BITS                                                                              \
	(GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED | GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE)

static int crl_verifies(gnutls_x509_crl_t crl, gnutls_x509_crt_t issuer)
{
	unsigned st = 0;

	if (gnutls_x509_crl_verify(crl, &issuer, 1, GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &st) < 0)
		return 0;
	/* a date bit comes with GNUTLS_CERT_INVALID; any other bit fails */
	if (st & CRL_DATE_BITS)
		st &= ~(unsigned)(CRL_DATE_BITS | GNUTLS_CERT_INVALID);
	return st == 0;
}

static int dn_equal(const gnutls_datum_t *a, const sztp_bytes *b)
{
	return a->size == b->len && !memcmp(a->data, b->data, b->len);
}

/* A CRL whose issuer is one of the anchors must be signed by it: checked
 * now, once.  Other CRLs are checked against the issuer a chain shows. */
static sztp_rc crl_anchor_check(gnutls_x509_crl_t crl, struct pki_crl *c, gnutls_x509_crt_t *a,
				size_t n, struct sztp_err *e)
{
	gnutls_datum_t dn = {NULL, 0};
	size_t i;
	int named = 0;

	for (i = 0; i < n && !c->by_anchor; i++) {
		if (gnutls_x509_crt_get_raw_dn(a[i], &dn) < 0)
			continue;
		if (dn_equal(&dn, &c->issuer)) {
			named = 1;
			c->by_anchor = crl_verifies(crl, a[i]);
		}
		gnutls_free(dn.data);
		dn.data = NULL;
	}
	if (named && !c->by_anchor)
		return sztp_err_set(e, SZTP_E_VERIFY,
				    "%s is not signed by the trust anchor it names as issuer",
				    c->name);
	return SZTP_OK;
}

/* Every CRL of one file (PEM "X509 CRL" blocks, or one DER CRL) into s. */
static sztp_rc crls_add(struct pki_trust_set *s, const char *path, gnutls_x509_crt_t *anchors,
			size_t n_anchors, struct sztp_err *e)
{
	gnutls_x509_crl_t *list = NULL;
	gnutls_datum_t d;
	sztp_bytes f = {NULL, 0};
	unsigned n = 0, i;
	char name[600];
	sztp_rc rc;
	int r;

	if ((rc = file_read(path, PKI_CRL_FILE_MAX, &f, e)) != SZTP_OK)
		return rc;
	d.data = f.data;
	d.size = (unsigned)f.len;
	if (f.len && memmem(f.data, f.len, "-----BEGIN X509 CRL", 19))
		r = gnutls_x509_crl_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	else
		r = gnutls_x509_crl_list_import2(&list, &n, &d, GNUTLS_X509_FMT_DER, 0);
	if (r < 0 || !n) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED,
				  "%s: no CRL (PEM \"X509 CRL\" blocks or one DER CRL): %s", path,
				  r < 0 ? gnutls_strerror(r) : "empty");
		goto out;
	}
	for (i = 0; i < n && rc == SZTP_OK; i++) {
		struct pki_crl *nc = realloc(s->crls, (s->n_crls + 1) * sizeof(*nc));
		if (!nc) {
			rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
			break;
		}
		s->crls = nc;
		if (n > 1)
			snprintf(name, sizeof(name), "CRL #%u of %s", i + 1, path);
		else
			snprintf(name, sizeof(name), "CRL %s", path);
		rc = crl_read(list[i], name, &s->crls[s->n_crls], e);
		if (rc == SZTP_OK) {
			s->n_crls++;
			rc = crl_anchor_check(list[i], &s->crls[s->n_crls - 1], anchors, n_anchors,
					      e);
		}
	}
out:
	for (i = 0; i < n; i++)
		gnutls_x509_crl_deinit(list[i]);
	gnutls_free(list);
	sztp_bytes_free(&f);
	return rc;
}

/* One group's anchors as read (DER) with its rules. */
struct group_in {
	sztp_bytes *certs;
	size_t n;
	const char *path; /* NULL: from memory */
	enum pki_serial_rule serial_rule;
	unsigned allow;
};

static void group_name(const char *path, char out[PKI_ANCHOR_NAME_MAX])
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	snprintf(out, PKI_ANCHOR_NAME_MAX, "%s", !path ? "anchors" : slash ? slash + 1 : path);
}

/* A new set: the anchor groups (DER) and the CRLs of n_crls files; the
 * CRLs apply to the anchors of every group. */
static sztp_rc set_new(const struct group_in *gi, size_t ng, const char *const *crls, size_t n_crls,
		       struct pki_trust_set **out, struct sztp_err *e)
{
	gnutls_x509_crt_t *crts = NULL;
	struct pki_trust_set *s = NULL;
	sztp_rc rc = SZTP_E_NOMEM;
	size_t i, g, total = 0, got = 0, first = 0;
	int r;

	*out = NULL;
	if (!ng || ng > PKI_ANCHOR_GROUPS_MAX)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "trust anchors: need 1..%d files",
				    PKI_ANCHOR_GROUPS_MAX);
	for (g = 0; g < ng; g++) {
		if (!gi[g].n || gi[g].n > PEM_CERTS_MAX) {
			if (gi[g].path && ng > 1)
				return sztp_err_set(e, SZTP_E_MALFORMED,
						    "%s: trust anchors: need 1..%d certificates",
						    gi[g].path, PEM_CERTS_MAX);
			return sztp_err_set(e, SZTP_E_MALFORMED,
					    "trust anchors: need 1..%d certificates",
					    PEM_CERTS_MAX);
		}
		total += gi[g].n;
	}
	s = calloc(1, sizeof(*s));
	crts = calloc(total, sizeof(*crts));
	if (!s || !crts) {
		free(s);
		s = NULL;
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	pthread_mutex_init(&s->mu, NULL);
	atomic_init(&s->refs, 1);
	for (g = 0; g < ng; g++) {
		struct pki_trust_group *grp = &s->groups[g];
		if (gnutls_x509_trust_list_init(&grp->tl, 0) < 0) {
			sztp_err_set(e, rc, "cannot create a trust list");
			goto out;
		}
		s->n_groups++;
		grp->serial_rule = gi[g].serial_rule;
		grp->allow = gi[g].allow;
		grp->vflags = gi[g].allow & PKI_ALLOW_SHA1 ? GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1 : 0;
		group_name(gi[g].path, grp->name);
		for (i = 0; i < gi[g].n; i++, got++) {
			rc = crt_import(&gi[g].certs[i], &crts[got], e);
			if (rc != SZTP_OK)
				goto out;
		}
	}
	for (i = 0; i < n_crls; i++)
		if ((rc = crls_add(s, crls[i], crts, total, e)) != SZTP_OK)
			goto out;
	for (g = 0; g < ng; g++) {
		r = gnutls_x509_trust_list_add_cas(s->groups[g].tl, crts + first, (unsigned)gi[g].n,
						   0);
		if (r < 0) {
			rc = sztp_err_set(e, SZTP_E_CRYPTO, "cannot add trust anchors: %s",
					  gnutls_strerror(r));
			goto out;
		}
		first += gi[g].n; /* the trust list owns them now */
		s->groups[g].n_anchors = (size_t)r;
	}
	*out = s;
	s = NULL;
	rc = SZTP_OK;
out:
	for (i = first; i < got; i++)
		gnutls_x509_crt_deinit(crts[i]);
	free(crts);
	set_free(s);
	return rc;
}

static sztp_rc trust_new(struct pki_trust_set *s, struct pki_trust **out, struct sztp_err *e)
{
	struct pki_trust *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t) {
		set_free(s);
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	pthread_mutex_init(&t->mu, NULL);
	t->set = s;
	atomic_init(&t->generation, 1);
	*out = t;
	return SZTP_OK;
}

sztp_rc pki_trust_from_der(const sztp_bytes *certs, size_t n, struct pki_trust **out,
			   struct sztp_err *e)
{
	struct pki_trust_set *s = NULL;
	sztp_rc rc;

	struct group_in gi = {(sztp_bytes *)certs, n, NULL, PKI_SERIAL_SUBJECT, 0};

	*out = NULL;
	if ((rc = set_new(&gi, 1, NULL, 0, &s, e)) != SZTP_OK)
		return rc;
	return trust_new(s, out, e);
}

sztp_rc pki_trust_load_groups(const struct pki_anchor_spec *g, size_t n, const char *const *crls,
			      size_t n_crls, struct pki_trust **out, struct sztp_err *e)
{
	struct group_in gi[PKI_ANCHOR_GROUPS_MAX];
	struct pki_trust_set *s = NULL;
	int sha1_allowed = -1;
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	size_t i, read = 0;

	*out = NULL;
	memset(gi, 0, sizeof(gi));
	if (!n || n > PKI_ANCHOR_GROUPS_MAX) {
		sztp_err_set(e, rc, "trust anchors: need 1..%d files", PKI_ANCHOR_GROUPS_MAX);
		goto out;
	}
	for (read = 0; read < n; read++) {
		gi[read].path = g[read].path;
		gi[read].serial_rule = g[read].serial_rule;
		gi[read].allow = g[read].allow;
		if (g[read].allow & PKI_ALLOW_SHA1) {
			if (sha1_allowed < 0)
				pki_sha1_policy(NULL, &sha1_allowed);
			if (!sha1_allowed) {
				rc = sztp_err_set(
				    e, SZTP_E_UNSUPPORTED,
				    "%s: allow=sha1: this system's GnuTLS policy refuses SHA-1 "
				    "certificate signatures even when allowed (see "
				    "min-verification-profile in /etc/gnutls/config)",
				    g[read].path);
				goto out;
			}
		}
		rc = pki_pem_certs_read(g[read].path, &gi[read].certs, &gi[read].n, e);
		if (rc != SZTP_OK)
			goto out;
	}
	rc = set_new(gi, n, crls, n_crls, &s, e);
	if (rc == SZTP_OK)
		rc = trust_new(s, out, e);
out:
	for (i = 0; i < read; i++)
		pki_certs_free(gi[i].certs, gi[i].n);
	return rc;
}

sztp_rc pki_trust_load2(const char *anchors, const char *const *crls, size_t n_crls,
			struct pki_trust **out, struct sztp_err *e)
{
	struct pki_anchor_spec g = {anchors, PKI_SERIAL_SUBJECT, 0};

	return pki_trust_load_groups(&g, 1, crls, n_crls, out, e);
}

sztp_rc pki_trust_load(const char *pem_path, struct pki_trust **out, struct sztp_err *e)
{
	return pki_trust_load2(pem_path, NULL, 0, out, e);
}

void pki_trust_replace(struct pki_trust *t, struct pki_trust *fresh)
{
	struct pki_trust_set *old;

	if (!t || !fresh)
		return;
	pthread_mutex_lock(&t->mu);
	old = t->set;
	t->set = fresh->set;
	fresh->set = NULL;
	atomic_fetch_add_explicit(&t->generation, 1, memory_order_release);
	pthread_mutex_unlock(&t->mu);
	set_put(old); /* freed here, or by the last verification still on it */
	pki_trust_free(fresh);
}

sztp_rc pki_trust_reload(struct pki_trust *t, const char *anchors, const char *const *crls,
			 size_t n_crls, struct sztp_err *e)
{
	struct pki_trust *fresh = NULL;
	sztp_rc rc = pki_trust_load2(anchors, crls, n_crls, &fresh, e);

	if (rc == SZTP_OK)
		pki_trust_replace(t, fresh);
	return rc;
}

unsigned long pki_trust_generation(const struct pki_trust *t)
{
	return t ? atomic_load_explicit(&t->generation, memory_order_acquire) : 0;
}

/* The first certificate of crts signed with an algorithm GnuTLS does not
 * call secure for certificates (SHA-1...): for the reason of a refusal. */
static void insecure_sig(gnutls_x509_crt_t *crts, size_t n, char *out, size_t len)
{
	char subj[160];
	size_t i;
	int sig;

	snprintf(out, len, "insecure signature algorithm");
	for (i = 0; i < n; i++) {
		sig = gnutls_x509_crt_get_signature_algorithm(crts[i]);
		if (sig >= 0 && gnutls_sign_is_secure2((gnutls_sign_algorithm_t)sig,
						       GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS))
			continue;
		crt_subject(crts[i], subj, sizeof(subj));
		snprintf(out, len,
			 "certificate %s is signed with %s, an insecure signature algorithm "
			 "(not allowed under this anchor%s)",
			 subj,
			 sig >= 0 ? gnutls_sign_get_name((gnutls_sign_algorithm_t)sig)
				  : "an unknown "
				    "algorithm",
			 sig >= 0 && gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)sig) ==
					 GNUTLS_DIG_SHA1
			     ? "; manufacturer-ca ... allow=sha1 allows SHA-1"
			     : "");
		return;
	}
}

/* Translate GnuTLS verification status bits of the chain crts (leaf
 * first) into a result and reason. */
static sztp_rc status_err(unsigned st, gnutls_x509_crt_t *crts, size_t n, struct sztp_err *e)
{
	gnutls_datum_t txt = {NULL, 0};
	const char *why = NULL;
	sztp_rc rc = SZTP_E_VERIFY;
	char subj[160], alg[400];

	crt_subject(crts[0], subj, sizeof(subj));
	if (st & GNUTLS_CERT_SIGNER_NOT_FOUND)
		why = "issuer is unknown";
	else if (st & GNUTLS_CERT_SIGNATURE_FAILURE)
		why = "signature failure";
	else if (st & GNUTLS_CERT_SIGNER_NOT_CA)
		why = "issuer is not a CA";
	else if (st & GNUTLS_CERT_PURPOSE_MISMATCH)
		why = "key purpose mismatch";
	else if (st & GNUTLS_CERT_INSECURE_ALGORITHM) {
		insecure_sig(crts, n, alg, sizeof(alg));
		why = alg;
	} else if (st & GNUTLS_CERT_REVOKED)
		why = "certificate revoked";
	else if (st & GNUTLS_CERT_EXPIRED) {
		why = "certificate expired";
		rc = SZTP_E_EXPIRED;
	} else if (st & GNUTLS_CERT_NOT_ACTIVATED) {
		why = "certificate not yet activated";
		rc = SZTP_E_EXPIRED;
	}
	if (why)
		return sztp_err_set(e, rc, "certificate %s does not verify: %s", subj, why);
	gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &txt, 0);
	sztp_err_set(e, rc, "certificate %s does not verify: %s", subj,
		     txt.data ? (const char *)txt.data : "unknown reason");
	gnutls_free(txt.data);
	return rc;
}

/* ---- revocation ---------------------------------------------------------
 * A certificate is checked against the CRLs whose issuer name is its
 * issuer's, each used only when its signature verifies with the key of
 * the issuer the path actually shows (RFC 5280 s6.3.3 (f)); an anchor's
 * CRLs were checked at load.  When a CA has CRLs loaded but none of them
 * verifies with its key, its certificates are refused: a configured CRL
 * means revocation is checked for that CA, and a CRL that cannot be
 * checked must not quietly turn that off.  nextUpdate is not enforced: a
 * stale CRL still revokes what it lists (pki_trust_stats counts it). */

/* Has CRL i been verified with the key (SHA-256 key id kid) of issuer? */
static int crl_signed_by(struct pki_trust_set *s, size_t i, gnutls_x509_crt_t issuer,
			 const uint8_t kid[32])
{
	gnutls_x509_crl_t crl = NULL;
	gnutls_datum_t d = {s->crls[i].der.data, (unsigned)s->crls[i].der.len};
	struct pki_crl_check *slot;
	size_t k;
	int ok = -1;

	pthread_mutex_lock(&s->mu);
	for (k = 0; k < s->n_checks && ok < 0; k++)
		if (s->checks[k].crl == i && !memcmp(s->checks[k].key_id, kid, 32))
			ok = s->checks[k].ok;
	pthread_mutex_unlock(&s->mu);
	if (ok >= 0)
		return ok;
	/* outside the lock: a large CRL's signature covers megabytes */
	ok = gnutls_x509_crl_init(&crl) >= 0 &&
	     gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_DER) >= 0 && crl_verifies(crl, issuer);
	if (crl)
		gnutls_x509_crl_deinit(crl);
	pthread_mutex_lock(&s->mu);
	slot = &s->checks[s->next_check];
	s->next_check = (s->next_check + 1) % PKI_CRL_CHECKS;
	if (s->n_checks < PKI_CRL_CHECKS)
		s->n_checks++;
	slot->crl = i;
	memcpy(slot->key_id, kid, 32);
	slot->ok = ok;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

/* cur, whose signature issuer's key verifies, against the CRLs of its
 * issuer (is_anchor: issuer is one of s's anchors). */
static sztp_rc revocation_check(struct pki_trust *t, struct pki_trust_set *s, gnutls_x509_crt_t cur,
				gnutls_x509_crt_t issuer, int is_anchor, struct sztp_err *e)
{
	gnutls_datum_t idn = {NULL, 0};
	struct pki_crl_serial want;
	uint8_t sn[64], kid[32];
	size_t sz = sizeof(sn), kl = sizeof(kid), i;
	char subj[160], iss[160];
	const struct pki_crl *hit = NULL;
	sztp_rc rc = SZTP_E_VERIFY;
	int named = 0, usable = 0;

	if (gnutls_x509_crt_get_raw_issuer_dn(cur, &idn) < 0 ||
	    gnutls_x509_crt_get_serial(cur, sn, &sz) < 0 || !serial_norm(sn, sz, &want) ||
	    gnutls_x509_crt_get_key_id(issuer, GNUTLS_KEYID_USE_SHA256, kid, &kl) < 0 || kl != 32) {
		crt_subject(cur, subj, sizeof(subj));
		sztp_err_set(e, rc,
			     "certificate %s: cannot check revocation (unreadable serial "
			     "number, issuer or key)",
			     subj);
		goto out;
	}
	for (i = 0; i < s->n_crls && !hit; i++) {
		const struct pki_crl *c = &s->crls[i];
		if (!dn_equal(&idn, &c->issuer))
			continue;
		named = 1;
		if (!(is_anchor && c->by_anchor) && !crl_signed_by(s, i, issuer, kid))
			continue;
		usable = 1;
		if (c->n_revoked &&
		    bsearch(&want, c->revoked, c->n_revoked, sizeof(want), serial_cmp))
			hit = c;
	}
	crt_subject(cur, subj, sizeof(subj));
	if (hit) {
		atomic_fetch_add_explicit(&t->n_revoked, 1, memory_order_relaxed);
		sztp_err_set(e, rc, "certificate %s is revoked (listed in %s)", subj, hit->name);
		goto out;
	}
	if (named && !usable) {
		crt_subject(issuer, iss, sizeof(iss));
		sztp_err_set(e, rc,
			     "certificate %s: revocation not checkable: no CRL loaded for its "
			     "issuer %s verifies with that issuer's key",
			     subj, iss);
		goto out;
	}
	rc = SZTP_OK;
out:
	gnutls_free(idn.data);
	return rc;
}

/* The certificate of chain whose key verifies cur's signature: the next
 * step of the path, whatever names the sender put beside it. */
static gnutls_x509_crt_t signed_by(gnutls_x509_crt_t cur, gnutls_x509_crt_t *crts, size_t n)
{
	unsigned st;
	size_t i;

	for (i = 1; i < n; i++) {
		if (crts[i] == cur || !gnutls_x509_crt_check_issuer(cur, crts[i]))
			continue;
		st = 0;
		if (gnutls_x509_crt_verify(cur, &crts[i], 1,
					   GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
					       GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
					   &st) >= 0 &&
		    st == 0)
			return crts[i];
	}
	return NULL;
}

/* Every certificate on the verified path leaf -> anchor against its
 * issuer's CRLs (nothing to do without CRLs). */
static sztp_rc revocation_path(struct pki_trust *t, struct pki_trust_set *s, size_t g,
			       gnutls_x509_crt_t *crts, size_t n, struct sztp_err *e)
{
	gnutls_x509_crt_t cur = crts[0], next, anchor;
	sztp_rc rc = SZTP_OK;
	size_t depth;
	char subj[160];

	if (!s->n_crls)
		return SZTP_OK;
	for (depth = 0; depth <= CHAIN_MAX && rc == SZTP_OK; depth++) {
		if (gnutls_x509_crt_check_issuer(cur, cur))
			break; /* an anchor itself */
		anchor = NULL;
		if (gnutls_x509_trust_list_get_issuer(s->groups[g].tl, cur, &anchor, 0) >= 0 &&
		    anchor)
			return revocation_check(t, s, cur, anchor, 1, e);
		if (!(next = signed_by(cur, crts, n))) {
			crt_subject(cur, subj, sizeof(subj));
			return sztp_err_set(e, SZTP_E_VERIFY,
					    "certificate %s: cannot check revocation (its issuer "
					    "is not in the chain)",
					    subj);
		}
		rc = revocation_check(t, s, cur, next, 0, e);
		cur = next;
	}
	return rc;
}

static sztp_rc time_check_one(gnutls_x509_crt_t c, time_t now, struct sztp_err *e)
{
	time_t nb = gnutls_x509_crt_get_activation_time(c);
	time_t na = gnutls_x509_crt_get_expiration_time(c);
	char subj[160];

	if (nb != (time_t)-1 && now < nb) {
		crt_subject(c, subj, sizeof(subj));
		return sztp_err_set(e, SZTP_E_EXPIRED,
				    "certificate %s does not verify: certificate not yet activated",
				    subj);
	}
	if (na != (time_t)-1 && now > na) {
		crt_subject(c, subj, sizeof(subj));
		return sztp_err_set(e, SZTP_E_EXPIRED,
				    "certificate %s does not verify: certificate expired", subj);
	}
	return SZTP_OK;
}

/* Walk leaf -> anchor (the chain already verified) checking validity at
 * `now` for every certificate on the path, the anchor included. */
static sztp_rc time_check_path(gnutls_x509_trust_list_t tl, gnutls_x509_crt_t *crts, size_t n,
			       time_t now, struct sztp_err *e)
{
	gnutls_x509_crt_t cur = crts[0], next, anchor;
	sztp_rc rc = SZTP_OK;
	size_t depth, i;

	for (depth = 0; depth <= CHAIN_MAX && rc == SZTP_OK; depth++) {
		rc = time_check_one(cur, now, e);
		if (rc != SZTP_OK || gnutls_x509_crt_check_issuer(cur, cur))
			break;
		anchor = NULL;
		if (gnutls_x509_trust_list_get_issuer(tl, cur, &anchor, 0) >= 0 && anchor) {
			rc = time_check_one(anchor, now, e);
			break;
		}
		next = NULL;
		for (i = 1; i < n && !next; i++)
			if (crts[i] != cur && gnutls_x509_crt_check_issuer(cur, crts[i]))
				next = crts[i];
		if (!next)
			break;
		cur = next;
	}
	return rc;
}

/* ---- verified-issuer cache --------------------------------------------
 * A device's chain is leaf + the manufacturer's intermediate(s), and the
 * intermediates are shared by a whole fleet.  Verifying the path costs one
 * signature check per certificate; once an intermediate has been verified
 * to the anchors on its own (never merely because it appeared in some
 * chain that verified), later leaves it issued need only their own
 * signature checked against it. */

static void issuer_key(const sztp_bytes *der, const char *purpose, uint8_t hash[32], char p[64])
{
	crypto_sha256(der->data, der->len, hash);
	snprintf(p, 64, "%s", purpose ? purpose : "");
}

/* The parsed form of a cached issuer, kept per thread (a gnutls_x509_crt_t
 * is not shared between threads): a fleet's chains share a few
 * manufacturer intermediates, and parsing one (libtasn1 builds the whole
 * Certificate tree) cost as much as a third of the ECDSA check it feeds. */
#define TL_ISSUERS 4
struct tl_issuers {
	struct {
		uint8_t hash[32];
		gnutls_x509_crt_t crt;
	} slot[TL_ISSUERS];
	unsigned next;
};
static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;
static int tl_ready;

static void tl_free(void *arg)
{
	struct tl_issuers *t = arg;
	unsigned i;

	for (i = 0; t && i < TL_ISSUERS; i++)
		if (t->slot[i].crt)
			gnutls_x509_crt_deinit(t->slot[i].crt);
	free(t);
}

static void tl_init(void)
{
	tl_ready = pthread_key_create(&tl_key, tl_free) == 0;
}

/* This thread's parsed copy of der (SHA-256 h), parsed on first use; NULL
 * when none can be kept (the caller parses its own). */
static gnutls_x509_crt_t issuer_parsed(const sztp_bytes *der, const uint8_t h[32])
{
	struct tl_issuers *t;
	gnutls_x509_crt_t crt;
	unsigned i;

	pthread_once(&tl_once, tl_init);
	if (!tl_ready)
		return NULL;
	t = pthread_getspecific(tl_key);
	if (!t) {
		if (!(t = calloc(1, sizeof(*t))) || pthread_setspecific(tl_key, t) != 0) {
			free(t);
			return NULL;
		}
	}
	for (i = 0; i < TL_ISSUERS; i++)
		if (t->slot[i].crt && !memcmp(t->slot[i].hash, h, 32))
			return t->slot[i].crt;
	if (crt_import(der, &crt, NULL) != SZTP_OK)
		return NULL;
	i = t->next++ % TL_ISSUERS;
	if (t->slot[i].crt)
		gnutls_x509_crt_deinit(t->slot[i].crt);
	memcpy(t->slot[i].hash, h, 32);
	t->slot[i].crt = crt;
	return crt;
}

/* 1 when der is a remembered issuer; *group: the group it verified to. */
static int issuer_cached(struct pki_trust_set *t, const sztp_bytes *der, const char *purpose,
			 uint8_t h[32], size_t *group)
{
	char p[64];
	time_t now = time(NULL);
	size_t i;
	int hit = 0;

	issuer_key(der, purpose, h, p);
	pthread_mutex_lock(&t->mu);
	for (i = 0; i < t->n_issuers && !hit; i++) {
		hit = !memcmp(t->issuers[i].hash, h, 32) && !strcmp(t->issuers[i].purpose, p) &&
		      now <= t->issuers[i].not_after;
		if (hit)
			*group = t->issuers[i].group;
	}
	pthread_mutex_unlock(&t->mu);
	return hit;
}

static void issuer_remember(struct pki_trust *mt, struct pki_trust_set *t, const sztp_bytes *der,
			    const char *purpose, time_t not_after, size_t group)
{
	struct pki_issuer *slot;

	atomic_fetch_add_explicit(&mt->n_issuers_stored, 1, memory_order_relaxed);
	pthread_mutex_lock(&t->mu);
	slot = &t->issuers[t->next_issuer];
	t->next_issuer = (t->next_issuer + 1) % PKI_ISSUER_CACHE;
	if (t->n_issuers < PKI_ISSUER_CACHE)
		t->n_issuers++;
	issuer_key(der, purpose, slot->hash, slot->purpose);
	slot->not_after = not_after;
	slot->group = (unsigned)group;
	pthread_mutex_unlock(&t->mu);
}

/* RFC 5280 s4.2.1.12 as GnuTLS applies it: no EKU, the purpose, or
 * anyExtendedKeyUsage. */
static int purpose_ok(gnutls_x509_crt_t c, const char *purpose)
{
	char oid[128];
	size_t sz;
	unsigned i;
	int r;

	if (!purpose)
		return 1;
	for (i = 0;; i++) {
		sz = sizeof(oid);
		r = gnutls_x509_crt_get_key_purpose_oid(c, i, oid, &sz, NULL);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return i == 0;
		if (r < 0)
			return 0;
		if (!strcmp(oid, purpose) || !strcmp(oid, "2.5.29.37.0"))
			return 1;
	}
}

/* Leaf against an intermediate already verified to the anchors. */
static sztp_rc verify_by_issuer(gnutls_x509_crt_t leaf, gnutls_x509_crt_t issuer,
				const char *purpose_oid, unsigned vflags, struct sztp_err *e)
{
	unsigned st = 0;
	char subj[160];
	int r;

	r = gnutls_x509_crt_verify(leaf, &issuer, 1, vflags, &st);
	if (r < 0)
		return sztp_err_set(e, SZTP_E_VERIFY, "certificate verification error: %s",
				    gnutls_strerror(r));
	if (st)
		return status_err(st, &leaf, 1, e);
	if (!purpose_ok(leaf, purpose_oid)) {
		crt_subject(leaf, subj, sizeof(subj));
		return sztp_err_set(e, SZTP_E_VERIFY,
				    "certificate %s does not verify: key purpose mismatch", subj);
	}
	return SZTP_OK;
}

/* The whole path crts[0] -> anchor through group g's trust list (one
 * signature check per certificate on it), with the group's flags; *st
 * gets GnuTLS's status (0: verified). */
static sztp_rc group_verify(struct pki_trust_set *s, size_t g, gnutls_x509_crt_t *crts, size_t n,
			    const char *purpose_oid, unsigned flags, unsigned *st,
			    struct sztp_err *e)
{
	gnutls_typed_vdata_st vd;
	int r;

	*st = 0;
	memset(&vd, 0, sizeof(vd));
	vd.type = GNUTLS_DT_KEY_PURPOSE_OID;
	vd.data = (unsigned char *)purpose_oid;
	r = gnutls_x509_trust_list_verify_crt2(s->groups[g].tl, crts, (unsigned)n, &vd,
					       purpose_oid ? 1 : 0, flags | s->groups[g].vflags, st,
					       NULL);
	if (r < 0)
		return sztp_err_set(e, SZTP_E_VERIFY, "certificate verification error: %s",
				    gnutls_strerror(r));
	return SZTP_OK;
}

/* The whole path crts[0] -> anchor: the groups in order, the first that
 * verifies it wins (*group).  A group that does not know the issuer
 * passes it on; the reason given is the first other failure (a group
 * that knows the anchor and refuses, e.g. a SHA-1 signature), else
 * "issuer is unknown".  Counted once in the trust list's statistics. */
static sztp_rc path_verify(struct pki_trust *t, struct pki_trust_set *s, gnutls_x509_crt_t *crts,
			   size_t n, const char *purpose_oid, unsigned flags, size_t *group,
			   struct sztp_err *e)
{
	unsigned st = 0, first = 0;
	size_t g;
	sztp_rc rc = SZTP_OK;

	atomic_fetch_add_explicit(&t->n_path_verifies, 1, memory_order_relaxed);
	*group = 0;
	for (g = 0; g < s->n_groups; g++) {
		if ((rc = group_verify(s, g, crts, n, purpose_oid, flags, &st, e)) != SZTP_OK)
			return rc;
		if (!st) {
			*group = g;
			return SZTP_OK;
		}
		if (!first && !(st & GNUTLS_CERT_SIGNER_NOT_FOUND))
			first = st;
	}
	return status_err(first ? first : st, crts, n, e);
}

void pki_trust_stats(const struct pki_trust *t, struct pki_trust_stats *out)
{
	struct pki_trust_set *s = set_get(t);
	time_t now = time(NULL);
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!t)
		return;
	out->path_verifies = atomic_load_explicit(&t->n_path_verifies, memory_order_relaxed);
	out->issuer_hits = atomic_load_explicit(&t->n_issuer_hits, memory_order_relaxed);
	out->issuers_stored = atomic_load_explicit(&t->n_issuers_stored, memory_order_relaxed);
	out->revoked = atomic_load_explicit(&t->n_revoked, memory_order_relaxed);
	out->generation = pki_trust_generation(t);
	for (i = 0; s && i < s->n_crls; i++) {
		time_t nu = s->crls[i].next_update;
		out->crls++;
		out->crl_entries += s->crls[i].n_revoked;
		if (nu != (time_t)-1 && nu < now)
			out->crls_stale++;
		if (nu != (time_t)-1 && (!out->crl_next_update || nu < out->crl_next_update))
			out->crl_next_update = nu;
	}
	set_put(s);
}

/* What pki_trust_verify_identity / _device take from the verified leaf. */
struct leaf_info {
	char *serial;
	size_t serial_len;
	time_t *not_after;
	struct pki_device_id *id; /* NULL: subject serial, no group */
};

static sztp_rc verify(const struct pki_trust *t, const sztp_bytes *chain, size_t n,
		      const char *purpose_oid, time_t now, const struct leaf_info *li,
		      struct sztp_err *e);

sztp_rc pki_trust_verify(const struct pki_trust *t, const sztp_bytes *chain, size_t n,
			 const char *purpose_oid, time_t now, struct sztp_err *e)
{
	return verify(t, chain, n, purpose_oid, now, NULL, e);
}

sztp_rc pki_trust_verify_identity(const struct pki_trust *t, const sztp_bytes *chain, size_t n,
				  const char *purpose_oid, char *serial, size_t serial_len,
				  time_t *not_after, struct sztp_err *e)
{
	struct leaf_info li = {serial, serial_len, not_after, NULL};

	if (serial_len)
		serial[0] = '\0';
	return verify(t, chain, n, purpose_oid, 0, &li, e);
}

sztp_rc pki_trust_verify_device(const struct pki_trust *t, const sztp_bytes *chain, size_t n,
				const char *purpose_oid, struct pki_device_id *id,
				struct sztp_err *e)
{
	struct leaf_info li = {id->serial, sizeof(id->serial), &id->not_after, id};

	id->serial[0] = '\0';
	id->not_after = 0;
	id->group = 0;
	id->serial_rule = PKI_SERIAL_SUBJECT;
	id->allow = 0;
	id->anchor[0] = '\0';
	id->serial_rule_failed = 0;
	return verify(t, chain, n, purpose_oid, 0, &li, e);
}

sztp_rc pki_serial_sudi(const char *subject_serial, char *out, size_t outlen, struct sztp_err *e)
{
	const char *p = subject_serial, *tok, *sn = NULL;
	size_t len, sn_len = 0;
	int found = 0;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	if (outlen)
		out[0] = '\0';
	while (*p) {
		while (*p == ' ')
			p++;
		tok = p;
		while (*p && *p != ' ')
			p++;
		len = (size_t)(p - tok);
		if (len >= 3 && !strncmp(tok, "SN:", 3)) {
			found++;
			sn = tok + 3;
			sn_len = len - 3;
		}
	}
	if (found != 1) {
		sztp_err_set(e, rc,
			     "serialNumber '%s' %s (serial=sudi takes the serial from the one "
			     "\"SN:\" token of \"PID:<pid> SN:<serial>\")",
			     subject_serial,
			     found ? "has more than one SN: token" : "has no SN: token");
		goto out;
	}
	if (!sn_len) {
		sztp_err_set(e, rc, "serialNumber '%s' has an empty SN: token (serial=sudi)",
			     subject_serial);
		goto out;
	}
	if (sn_len >= outlen) {
		sztp_err_set(e, rc, "the SN: token of serialNumber '%s' is too long",
			     subject_serial);
		goto out;
	}
	memcpy(out, sn, sn_len);
	out[sn_len] = '\0';
	if ((rc = pki_serial_check(out, e)) != SZTP_OK)
		out[0] = '\0';
out:
	return rc;
}

/* SHA-1 and this system's policy.  GnuTLS 3.7.9 refuses SHA-1
 * certificate signatures unless the verification allows them
 * (GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1); its system file (/etc/gnutls/config,
 * absent on Debian 12, or GNUTLS_SYSTEM_PRIORITY_FILE) can change that
 * either way: min-verification-profile refuses SHA-1 even when allowed,
 * an allow-list policy could accept it without being asked.  Probed once
 * on this built-in chain (a P-256 root, a leaf it signed with
 * ecdsa-with-SHA1; validity not checked), so allow=sha1 is refused where
 * it could not work. */
static const char sha1_probe_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBqDCCAU2gAwIBAgIUVIhc0ECySw2esZLhs2v7b/0mGccwCgYIKoZIzj0EAwIw\n"
    "IDEeMBwGA1UEAwwVc3p0cCBTSEEtMSBwcm9iZSByb290MCAXDTI2MTIwMTAwMjEw\n"
    "MVoYDzIxMjYxMTA3MDAyMTAxWjAgMR4wHAYDVQQDDBVzenRwIFNIQS0xIHByb2Jl\n"
    "IHJvb3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASL3ZZyoPK/zxD6jO03itR5\n"
    "hWGjNJxO4+KAFDcb5nb0MOfNi7cUU2NAFHYnvJ5fyeEOWw7DjHKvaTKMzTJlLNdg\n"
    "o2MwYTAdBgNVHQ4EFgQUUEXzZJAwoGbzsqfn/M8LWVpbx1UwHwYDVR0jBBgwFoAU\n"
    "UEXzZJAwoGbzsqfn/M8LWVpbx1UwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8E\n"
    "BAMCAgQwCgYIKoZIzj0EAwIDSQAwRgIhAPVmzU1xNOmWTVLL1uSMkd5NGVfSj4vg\n"
    "fgYT83OEWb83AiEAsXFZ9gZiOxySJorkggh1PryufSN4GHvwhugDFZkVGiM=\n"
    "-----END CERTIFICATE-----\n"
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBJjCBzwIBAjAJBgcqhkjOPQQBMCAxHjAcBgNVBAMMFXN6dHAgU0hBLTEgcHJv\n"
    "YmUgcm9vdDAgFw0yNjEyMDEwMDIxMDFaGA8yMTI2MTEwNzAwMjEwMVowIDEeMBwG\n"
    "A1UEAwwVc3p0cCBTSEEtMSBwcm9iZSBsZWFmMFkwEwYHKoZIzj0CAQYIKoZIzj0D\n"
    "AQcDQgAEqbwUVqTzRKy+sa+fAzCaIIyRToFfjhQQ687GI1r3xpT3wdhdL9dI2AAZ\n"
    "EpVIDMcK0Lobv15dMSEBcp42FaZPYjAJBgcqhkjOPQQBA0cAMEQCIEikAMJhZIXu\n"
    "OlGMvN2QkeR1M6i2M4xcd1sqMq1WDbuBAiB7xUfL3rFte5cjDI6mykXJGZl0PeTK\n"
    "cQR1mZhyLY4wDQ==\n"
    "-----END CERTIFICATE-----\n";

static int sha1_by_default, sha1_when_allowed;
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;

static int sha1_probe_verifies(gnutls_x509_trust_list_t tl, gnutls_x509_crt_t leaf, unsigned flags)
{
	unsigned st = 1;

	return gnutls_x509_trust_list_verify_crt2(tl, &leaf, 1, NULL, 0,
						  flags | GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
						      GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
						  &st, NULL) >= 0 &&
	       st == 0;
}

static void sha1_probe(void)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t root = NULL;
	sztp_bytes *certs = NULL;
	size_t n = 0;
	gnutls_x509_crt_t leaf = NULL;

	if (pki_pem_certs_parse(sha1_probe_pem, sizeof(sha1_probe_pem) - 1, &certs, &n, NULL) !=
		SZTP_OK ||
	    n != 2 || gnutls_x509_trust_list_init(&tl, 0) < 0)
		goto out;
	if (crt_import(&certs[0], &root, NULL) != SZTP_OK ||
	    crt_import(&certs[1], &leaf, NULL) != SZTP_OK)
		goto out;
	if (gnutls_x509_trust_list_add_cas(tl, &root, 1, 0) < 0)
		goto out;
	root = NULL; /* the trust list's now */
	sha1_by_default = sha1_probe_verifies(tl, leaf, 0);
	sha1_when_allowed = sha1_probe_verifies(tl, leaf, GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1);
out:
	if (root)
		gnutls_x509_crt_deinit(root);
	if (leaf)
		gnutls_x509_crt_deinit(leaf);
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	pki_certs_free(certs, n);
}

void pki_sha1_policy(int *by_default, int *when_allowed)
{
	pthread_once(&sha1_once, sha1_probe);
	if (by_default)
		*by_default = sha1_by_default;
	if (when_allowed)
		*when_allowed = sha1_when_allowed;
}

/* Fill li from the parsed, verified leaf, by the rules of group gi. */
static sztp_rc leaf_info_fill(gnutls_x509_crt_t leaf, const struct pki_trust_set *s, size_t gi,
			      const struct leaf_info *li, struct sztp_err *e)
{
	const struct pki_trust_group *g = &s->groups[gi];
	char subject_serial[PKI_SERIAL_MAX];
	struct pki_device_id *id;
	sztp_rc rc;

	if (!li)
		return SZTP_OK;
	if (li->not_after)
		*li->not_after = gnutls_x509_crt_get_expiration_time(leaf);
	if (!(id = li->id) || g->serial_rule == PKI_SERIAL_SUBJECT) {
		rc = crt_serial_number(leaf, li->serial, li->serial_len, e);
	} else {
		rc = crt_serial_number(leaf, subject_serial, sizeof(subject_serial), e);
		if (rc == SZTP_OK && (rc = pki_serial_sudi(subject_serial, li->serial,
							   li->serial_len, e)) != SZTP_OK)
			id->serial_rule_failed = 1;
	}
	if (id) {
		id->group = (unsigned)gi;
		id->serial_rule = g->serial_rule;
		id->allow = g->allow;
		if (g->serial_rule != PKI_SERIAL_SUBJECT || g->allow)
			memcpy(id->anchor, g->name, sizeof(id->anchor));
	}
	return rc;
}

/* The intermediate alone verifies, and its first accepting group is g
 * (so a leaf it issued gets, from the cache, the rules the whole path
 * would give it). */
static int group_path_ok(struct pki_trust *t, struct pki_trust_set *s, size_t g,
			 gnutls_x509_crt_t *crts, size_t n, const char *purpose_oid)
{
	size_t got = 0;

	return path_verify(t, s, crts, n, purpose_oid, 0, &got, NULL) == SZTP_OK && got == g;
}

static sztp_rc verify(const struct pki_trust *t, const sztp_bytes *chain, size_t n,
		      const char *purpose_oid, time_t now, const struct leaf_info *li,
		      struct sztp_err *e)
{
	/* the counters are atomic, the set's caches internally locked */
	struct pki_trust *mt = (struct pki_trust *)t;
	struct pki_trust_set *s = NULL;
	gnutls_x509_crt_t crts[CHAIN_MAX] = {NULL};
	uint8_t ih[32];
	sztp_rc rc = SZTP_E_MALFORMED;
	size_t i, got = 0, g = 0;

	if (!t || !(s = set_get(t)) || !s->n_groups) {
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "no trust anchors configured");
		goto out;
	}
	if (!chain || !n || n > CHAIN_MAX) {
		rc = sztp_err_set(e, rc, "certificate chain must hold 1..%d certificates",
				  CHAIN_MAX);
		goto out;
	}
	/* fast path: the leaf's sender-supplied issuer is a known-good CA
	 * (verified, revocation included, against this same set; its group's
	 * rules apply) */
	if (!now && n >= 2 && issuer_cached(s, &chain[1], purpose_oid, ih, &g)) {
		gnutls_x509_crt_t issuer = issuer_parsed(&chain[1], ih);

		atomic_fetch_add_explicit(&mt->n_issuer_hits, 1, memory_order_relaxed);
		rc = crt_import(&chain[0], &crts[0], e);
		if (rc == SZTP_OK && !issuer) {
			rc = crt_import(&chain[1], &crts[1], e);
			issuer = crts[1]; /* ours: freed below */
		}
		if (rc == SZTP_OK)
			rc = verify_by_issuer(crts[0], issuer, purpose_oid, s->groups[g].vflags, e);
		if (rc == SZTP_OK && s->n_crls)
			rc = revocation_check(mt, s, crts[0], issuer, 0, e);
		if (rc == SZTP_OK)
			rc = leaf_info_fill(crts[0], s, g, li, e);
		got = 2;
		/* with several groups a later one may accept what the cached
		 * issuer's refuses (a SHA-1 leaf under allow=sha1): the path
		 * decides, as without the cache */
		if (rc != SZTP_E_VERIFY || s->n_groups < 2)
			goto out;
		for (i = 0; i < got; i++)
			if (crts[i])
				gnutls_x509_crt_deinit(crts[i]);
		memset(crts, 0, sizeof(crts));
		got = 0;
	}
	for (got = 0; got < n; got++) {
		rc = crt_import(&chain[got], &crts[got], e);
		if (rc != SZTP_OK)
			goto out;
	}
	if (now) {
		rc = path_verify(mt, s, crts, n, purpose_oid,
				 GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
				     GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
				 &g, e);
		if (rc == SZTP_OK)
			rc = time_check_path(s->groups[g].tl, crts, n, now, e);
		if (rc == SZTP_OK)
			rc = revocation_path(mt, s, g, crts, n, e);
		goto out;
	}
	rc = path_verify(mt, s, crts, n, purpose_oid, 0, &g, e);
	if (rc == SZTP_OK)
		rc = revocation_path(mt, s, g, crts, n, e);
	/* remember chain[1] only when it verifies to the same group's anchors
	 * by itself, is not revoked, and actually issued the leaf */
	if (rc == SZTP_OK && n >= 2 && gnutls_x509_crt_check_issuer(crts[0], crts[1]) &&
	    group_path_ok(mt, s, g, crts + 1, n - 1, purpose_oid) &&
	    revocation_path(mt, s, g, crts + 1, n - 1, NULL) == SZTP_OK)
		issuer_remember(mt, s, &chain[1], purpose_oid,
				gnutls_x509_crt_get_expiration_time(crts[1]), g);
	if (rc == SZTP_OK)
		rc = leaf_info_fill(crts[0], s, g, li, e);
out:
	for (i = 0; i < got; i++)
		if (crts[i])
			gnutls_x509_crt_deinit(crts[i]);
	set_put(s);
	return rc;
}

sztp_rc pki_cert_spki_sha256(const sztp_bytes *cert, uint8_t out[32], struct sztp_err *e)
{
	gnutls_x509_crt_t crt = NULL;
	size_t len = 32;
	sztp_rc rc;

	memset(out, 0, 32);
	rc = crt_import(cert, &crt, e);
	if (rc != SZTP_OK)
		return rc;
	/* GnuTLS's key ID with SHA-256 is the hash of the DER
	 * SubjectPublicKeyInfo (RFC 7469 s2.4's pin input) */
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, out, &len) < 0 || len != 32) {
		memset(out, 0, 32);
		rc = sztp_err_set(e, SZTP_E_CRYPTO, "cannot hash the certificate's public key");
	}
	gnutls_x509_crt_deinit(crt);
	return rc;
}
