/*
 * cms.c - the CMS (RFC 5652) artifacts of SZTP, encoded and decoded with
 * libtasn1 (lib/cms.asn) and signed/verified with GnuTLS: SignedData v3
 * with a custom eContentType and signed attributes (RFC 5652 s5.1, s5.3,
 * s5.4, s11.1-11.3) for signed conveyed information (RFC 8572 s3.1) and
 * vouchers (RFC 8366 s5.1); degenerate certs-only SignedData (RFC 5652
 * s5.2, RFC 8572 s3.2); bare ContentInfo (RFC 8572 s3.1 unsigned).
 * Verification requires exactly one signer with signed attributes
 * (RFC 8366bis: a voucher without signedAttrs is rejected), checks the
 * content-type attribute, the message digest and the signature here
 * (GnuTLS's pkcs7 object only locates the signer certificate), then
 * pki_trust_verify for the chain.  Inputs are capped at 4 MiB and must be
 * DER-consistent (every length nests exactly, no trailing bytes).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <libtasn1.h>

#include "cms.h"
#include "pki_internal.h"

extern const asn1_static_node cms_asn1_tab[];

#define CMS_MAX		 (4 * 1024 * 1024)
#define CMS_CERTS_MAX	 32
#define OID_SHA256	 "2.16.840.1.101.3.4.2.1"
#define OID_SHA384	 "2.16.840.1.101.3.4.2.2"
#define OID_SHA512	 "2.16.840.1.101.3.4.2.3"
#define OID_ECDSA_SHA256 "1.2.840.10045.4.3.2"
#define OID_RSA_SHA256	 "1.2.840.113549.1.1.11"
#define OID_ATTR_CT	 "1.2.840.113549.1.9.3"
#define OID_ATTR_MD	 "1.2.840.113549.1.9.4"
#define OID_ATTR_STIME	 "1.2.840.113549.1.9.5"

/* Parse result with what the verifiers need beyond the public struct. */
struct cms_signed_priv {
	struct cms_signed pub; /* first: cms_signed_free frees the whole */
	char ct_attr[64];      /* content-type attribute of signer 1 */
	char digest_oid[64];   /* digestAlgorithm of signer 1 */
	char sig_oid[64];      /* signatureAlgorithm of signer 1 */
	int digest_listed;     /* ... and it appears in digestAlgorithms */
	int has_md_attr;
	sztp_bytes md;	/* message-digest attribute value */
	sztp_bytes sa;	/* signedAttrs as received (tag 0xA0) */
	sztp_bytes sig; /* signature of signer 1 */
};

static asn1_node cms_defs;
static int cms_defs_rc = ASN1_GENERIC_ERROR;
static pthread_once_t cms_defs_once = PTHREAD_ONCE_INIT;

static void cms_defs_init(void)
{
	char err[ASN1_MAX_ERROR_DESCRIPTION_SIZE] = "";

	cms_defs_rc = asn1_array2tree(cms_asn1_tab, &cms_defs, err);
}

static sztp_rc elem_new(const char *type, asn1_node *out, struct sztp_err *e)
{
	int r;

	*out = NULL;
	pthread_once(&cms_defs_once, cms_defs_init);
	if (cms_defs_rc != ASN1_SUCCESS)
		return sztp_err_set(e, SZTP_E_INTERNAL, "CMS ASN.1 definitions do not load: %s",
				    asn1_strerror(cms_defs_rc));
	r = asn1_create_element(cms_defs, type, out);
	if (r != ASN1_SUCCESS)
		return sztp_err_set(e, SZTP_E_INTERNAL, "cannot create %s: %s", type,
				    asn1_strerror(r));
	return SZTP_OK;
}

/* ---- encoding helpers ---------------------------------------------------- */

static sztp_rc der_encode(asn1_node n, const char *name, sztp_bytes *out, struct sztp_err *e)
{
	char err[ASN1_MAX_ERROR_DESCRIPTION_SIZE] = "";
	int len = 0, r;

	out->data = NULL;
	out->len = 0;
	r = asn1_der_coding(n, name, NULL, &len, err);
	if (r != ASN1_MEM_ERROR || len <= 0)
		return sztp_err_set(e, SZTP_E_INTERNAL, "DER encoding of %s failed: %s %s",
				    *name ? name : "CMS structure", asn1_strerror(r), err);
	out->data = malloc((size_t)len);
	if (!out->data)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory encoding CMS");
	r = asn1_der_coding(n, name, out->data, &len, err);
	if (r != ASN1_SUCCESS) {
		sztp_bytes_free(out);
		return sztp_err_set(e, SZTP_E_INTERNAL, "DER encoding failed: %s %s",
				    asn1_strerror(r), err);
	}
	out->len = (size_t)len;
	return SZTP_OK;
}

/* Write one value; len 0 with a string means a NUL-terminated string. */
static sztp_rc wr(asn1_node n, const char *name, const void *val, size_t len, struct sztp_err *e)
{
	int r;

	if (len > INT32_MAX)
		return sztp_err_set(e, SZTP_E_TOO_BIG, "value for %s is too large", name);
	r = asn1_write_value(n, name, val, (int)len);
	if (r != ASN1_SUCCESS)
		return sztp_err_set(e, SZTP_E_INTERNAL, "cannot set %s: %s", name,
				    asn1_strerror(r));
	return SZTP_OK;
}

/* DER of a single-value helper type (CMS.ObjectId, CMS.OctetString). */
static sztp_rc der_simple(const char *type, const void *val, size_t len, sztp_bytes *out,
			  struct sztp_err *e)
{
	asn1_node n = NULL;
	sztp_rc rc;

	rc = elem_new(type, &n, e);
	if (rc == SZTP_OK)
		rc = wr(n, "", val, len, e);
	if (rc == SZTP_OK)
		rc = der_encode(n, "", out, e);
	asn1_delete_structure(&n);
	return rc;
}

/* RFC 5652 s11.3: UTCTime through 2049, GeneralizedTime from 2050. */
static sztp_rc der_time(time_t t, sztp_bytes *out, struct sztp_err *e)
{
	char s[32];
	struct tm tm;
	asn1_node n = NULL;
	sztp_rc rc;
	int utc;

	if (!gmtime_r(&t, &tm))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "signing time out of range");
	utc = tm.tm_year + 1900 >= 1950 && tm.tm_year + 1900 <= 2049;
	strftime(s, sizeof(s), "%Y%m%d%H%M%SZ", &tm);
	if (utc) /* UTCTime: drop the century */
		memmove(s, s + 2, strlen(s + 2) + 1);
	rc = elem_new("CMS.Time", &n, e);
	if (rc == SZTP_OK)
		rc = wr(n, "", utc ? "utcTime" : "generalTime", 1, e);
	if (rc == SZTP_OK)
		rc = wr(n, utc ? "utcTime" : "generalTime", s, strlen(s), e);
	if (rc == SZTP_OK)
		rc = der_encode(n, "", out, e);
	asn1_delete_structure(&n);
	return rc;
}

/* Append a signed attribute with one value given as DER. */
static sztp_rc attr_add(asn1_node sd, const char *oid, const sztp_bytes *val, struct sztp_err *e)
{
	const char *base = "signerInfos.?1.signedAttrs";
	sztp_rc rc;

	rc = wr(sd, base, "NEW", 1, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "signerInfos.?1.signedAttrs.?LAST.attrType", oid, 1, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "signerInfos.?1.signedAttrs.?LAST.attrValues", "NEW", 1, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "signerInfos.?1.signedAttrs.?LAST.attrValues.?LAST", val->data,
			val->len, e);
	return rc;
}

/* The three signed attributes of RFC 5652 s5.3/s11. */
static sztp_rc signed_attrs_add(asn1_node sd, const char *oid, const uint8_t *content, size_t len,
				time_t when, struct sztp_err *e)
{
	sztp_bytes ct = {NULL, 0}, st = {NULL, 0}, md = {NULL, 0};
	uint8_t dig[32];
	sztp_rc rc;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, content, len, dig) < 0)
		return sztp_err_set(e, SZTP_E_CRYPTO, "SHA-256 failed");
	rc = der_simple("CMS.ObjectId", oid, 1, &ct, e);
	if (rc == SZTP_OK)
		rc = der_time(when ? when : time(NULL), &st, e);
	if (rc == SZTP_OK)
		rc = der_simple("CMS.OctetString", dig, sizeof(dig), &md, e);
	/* RFC 5652 s5.3: content-type and message-digest MUST be present */
	if (rc == SZTP_OK)
		rc = attr_add(sd, OID_ATTR_CT, &ct, e);
	if (rc == SZTP_OK)
		rc = attr_add(sd, OID_ATTR_STIME, &st, e);
	if (rc == SZTP_OK)
		rc = attr_add(sd, OID_ATTR_MD, &md, e);
	sztp_bytes_free(&ct);
	sztp_bytes_free(&st);
	sztp_bytes_free(&md);
	return rc;
}

static sztp_rc certs_add(asn1_node sd, const sztp_bytes *certs, size_t n, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	size_t i;

	if (!n)
		return wr(sd, "certificates", NULL, 0, e);
	for (i = 0; i < n && rc == SZTP_OK; i++) {
		rc = wr(sd, "certificates", "NEW", 1, e);
		if (rc == SZTP_OK)
			rc = wr(sd, "certificates.?LAST", certs[i].data, certs[i].len, e);
	}
	return rc;
}

/* Wrap DER SignedData in ContentInfo (RFC 5652 s3). */
static sztp_rc wrap_signed(asn1_node sd, sztp_bytes *out, struct sztp_err *e)
{
	sztp_bytes inner = {NULL, 0};
	asn1_node ci = NULL;
	sztp_rc rc;

	rc = der_encode(sd, "", &inner, e);
	if (rc == SZTP_OK)
		rc = elem_new("CMS.ContentInfo", &ci, e);
	if (rc == SZTP_OK)
		rc = wr(ci, "contentType", CMS_OID_SIGNED_DATA, 1, e);
	if (rc == SZTP_OK)
		rc = wr(ci, "content", inner.data, inner.len, e);
	if (rc == SZTP_OK)
		rc = der_encode(ci, "", out, e);
	asn1_delete_structure(&ci);
	sztp_bytes_free(&inner);
	return rc;
}

static sztp_rc sid_set(asn1_node sd, gnutls_x509_crt_t leaf, struct sztp_err *e)
{
	gnutls_datum_t dn = {NULL, 0};
	unsigned char serial[64];
	size_t slen = sizeof(serial);
	sztp_rc rc = SZTP_E_CRYPTO;

	if (gnutls_x509_crt_get_raw_issuer_dn(leaf, &dn) < 0 ||
	    gnutls_x509_crt_get_serial(leaf, serial, &slen) < 0) {
		sztp_err_set(e, rc, "cannot read the signer certificate's issuer and serial");
		goto out;
	}
	rc = wr(sd, "signerInfos.?1.sid", "issuerAndSerialNumber", 1, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "signerInfos.?1.sid.issuerAndSerialNumber.issuer", dn.data, dn.size, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "signerInfos.?1.sid.issuerAndSerialNumber.serialNumber", serial, slen,
			e);
out:
	gnutls_free(dn.data);
	return rc;
}

/* RFC 5652 s5.4: the signature covers the DER of signedAttrs with the
 * EXPLICIT SET OF tag (0x31) instead of the IMPLICIT [0] (0xA0). */
static sztp_rc sign_attrs(asn1_node sd, const struct pki_signer *signer, struct sztp_err *e)
{
	sztp_bytes sa = {NULL, 0}, sig = {NULL, 0};
	int is_rsa = 0;
	sztp_rc rc;

	rc = der_encode(sd, "signerInfos.?1.signedAttrs", &sa, e);
	if (rc != SZTP_OK)
		goto out;
	if (sa.data[0] != 0xA0) {
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "signedAttrs encoded with tag 0x%02x",
				  sa.data[0]);
		goto out;
	}
	sa.data[0] = 0x31;
	rc = pki_signer_sign(signer, sa.data, sa.len, &sig, &is_rsa, e);
	if (rc != SZTP_OK)
		goto out;
	rc = wr(sd, "signerInfos.?1.signatureAlgorithm.algorithm",
		is_rsa ? OID_RSA_SHA256 : OID_ECDSA_SHA256, 1, e);
	if (rc == SZTP_OK) /* RFC 4055 s5: NULL for RSA; RFC 5758 s3.2: absent for ECDSA */
		rc = wr(sd, "signerInfos.?1.signatureAlgorithm.parameters",
			is_rsa ? "\x05\x00" : NULL, is_rsa ? 2 : 0, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "signerInfos.?1.signature", sig.data, sig.len, e);
out:
	sztp_bytes_free(&sa);
	sztp_bytes_free(&sig);
	return rc;
}

static sztp_rc signer_info_fill(asn1_node sd, const char *oid, const uint8_t *content, size_t len,
				const struct pki_signer *signer, time_t when, struct sztp_err *e)
{
	sztp_rc rc;

	rc = wr(sd, "signerInfos", "NEW", 1, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "signerInfos.?1.version", "1", 0, e);
	if (rc == SZTP_OK)
		rc = sid_set(sd, signer->leaf, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "signerInfos.?1.digestAlgorithm.algorithm", OID_SHA256, 1, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "signerInfos.?1.digestAlgorithm.parameters", NULL, 0, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "signerInfos.?1.unsignedAttrs", NULL, 0, e);
	if (rc == SZTP_OK)
		rc = signed_attrs_add(sd, oid, content, len, when, e);
	if (rc == SZTP_OK)
		rc = sign_attrs(sd, signer, e);
	return rc;
}

sztp_rc cms_sign(const char *econtent_oid, const uint8_t *content, size_t len,
		 const struct pki_signer *signer, int include_chain, time_t signing_time,
		 sztp_bytes *out, struct sztp_err *e)
{
	asn1_node sd = NULL;
	sztp_rc rc;

	out->data = NULL;
	out->len = 0;
	if (!signer || !econtent_oid)
		return sztp_err_set(e, SZTP_E_INTERNAL, "cms_sign: no signer or content type");
	if (len > CMS_MAX)
		return sztp_err_set(e, SZTP_E_TOO_BIG, "content of %zu bytes exceeds %d", len,
				    CMS_MAX);
	rc = elem_new("CMS.SignedData", &sd, e);
	/* RFC 5652 s5.1: version 3 when eContentType is not id-data */
	if (rc == SZTP_OK)
		rc = wr(sd, "version", strcmp(econtent_oid, CMS_OID_DATA) ? "3" : "1", 0, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "digestAlgorithms", "NEW", 1, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "digestAlgorithms.?LAST.algorithm", OID_SHA256, 1, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "digestAlgorithms.?LAST.parameters", NULL, 0, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "encapContentInfo.eContentType", econtent_oid, 1, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "encapContentInfo.eContent", content ? content : (const uint8_t *)"",
			len, e);
	if (rc == SZTP_OK)
		rc = certs_add(sd, signer->chain, include_chain ? signer->n : 0, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "crls", NULL, 0, e);
	if (rc == SZTP_OK)
		rc = signer_info_fill(sd, econtent_oid, content, len, signer, signing_time, e);
	if (rc == SZTP_OK)
		rc = wrap_signed(sd, out, e);
	asn1_delete_structure(&sd);
	return rc;
}

sztp_rc cms_certs_only(const sztp_bytes *certs, size_t n, sztp_bytes *out, struct sztp_err *e)
{
	asn1_node sd = NULL;
	sztp_rc rc;

	out->data = NULL;
	out->len = 0;
	if (!certs || !n || n > CMS_CERTS_MAX)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "certs-only SignedData needs 1..%d certificates",
				    CMS_CERTS_MAX);
	/* RFC 5652 s5.2: degenerate case, id-data without eContent, v1 */
	rc = elem_new("CMS.SignedData", &sd, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "version", "1", 0, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "encapContentInfo.eContentType", CMS_OID_DATA, 1, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "encapContentInfo.eContent", NULL, 0, e);
	if (rc == SZTP_OK)
		rc = certs_add(sd, certs, n, e);
	if (rc == SZTP_OK)
		rc = wr(sd, "crls", NULL, 0, e);
	if (rc == SZTP_OK)
		rc = wrap_signed(sd, out, e);
	asn1_delete_structure(&sd);
	return rc;
}

sztp_rc cms_content_info(const char *oid, const uint8_t *content, size_t len, sztp_bytes *out,
			 struct sztp_err *e)
{
	asn1_node ci = NULL;
	sztp_rc rc;

	out->data = NULL;
	out->len = 0;
	if (len > CMS_MAX)
		return sztp_err_set(e, SZTP_E_TOO_BIG, "content of %zu bytes exceeds %d", len,
				    CMS_MAX);
	rc = elem_new("CMS.OctetContentInfo", &ci, e);
	if (rc == SZTP_OK)
		rc = wr(ci, "contentType", oid, 1, e);
	if (rc == SZTP_OK)
		rc = wr(ci, "content", content ? content : (const uint8_t *)"", len, e);
	if (rc == SZTP_OK)
		rc = der_encode(ci, "", out, e);
	asn1_delete_structure(&ci);
	return rc;
}

/* ---- decoding helpers ---------------------------------------------------- */

/* Length of the TLV at p (at most len bytes): header + content; 0 when
 * the header is malformed, SIZE_MAX for BER indefinite length. */
static size_t tlv_len(const uint8_t *p, size_t len, size_t *hdr)
{
	size_t off = 1, l, n;

	if (len < 2)
		return 0;
	if ((p[0] & 0x1f) == 0x1f) { /* high tag number */
		while (off < len && (p[off] & 0x80))
			off++;
		off++;
	}
	if (off >= len)
		return 0;
	l = p[off++];
	if (l == 0x80)
		return SIZE_MAX;
	if (l & 0x80) {
		n = l & 0x7f;
		if (n > 4 || n > len - off)
			return 0;
		for (l = 0; n; n--)
			l = l << 8 | p[off++];
	}
	*hdr = off;
	return l > len - off ? 0 : off + l;
}

/* Every constructed value must be filled exactly by its children (libtasn1
 * does not check the length of an EXPLICIT tag against its content).
 * 0 ok, 1 BER indefinite length met (left to libtasn1), -1 bad. */
static int tlv_nest_check(const uint8_t *p, size_t len, int depth)
{
	size_t off = 0, t, hdr = 0;
	int r;

	if (depth > 40)
		return -1;
	while (off < len) {
		t = tlv_len(p + off, len - off, &hdr);
		if (t == SIZE_MAX)
			return 1;
		if (!t)
			return -1;
		if (p[off] & 0x20) {
			r = tlv_nest_check(p + off + hdr, t - hdr, depth + 1);
			if (r)
				return r;
		}
		off += t;
	}
	return 0;
}

static sztp_rc der_shape(const uint8_t *der, size_t len, struct sztp_err *e)
{
	size_t hdr = 0, t = tlv_len(der, len, &hdr);

	if (t == SIZE_MAX)
		return SZTP_OK;
	if (!t)
		return sztp_err_set(e, SZTP_E_MALFORMED, "CMS is truncated or not DER");
	if (t < len)
		return sztp_err_set(e, SZTP_E_MALFORMED, "CMS has %zu bytes of trailing garbage",
				    len - t);
	if (tlv_nest_check(der, len, 0) < 0)
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "CMS has inconsistent or truncated inner lengths");
	return SZTP_OK;
}

/* Decode exactly len bytes as type; trailing bytes are an error. */
static sztp_rc der_decode(const char *type, const uint8_t *der, size_t len, asn1_node *out,
			  struct sztp_err *e)
{
	char err[ASN1_MAX_ERROR_DESCRIPTION_SIZE] = "";
	asn1_node n = NULL;
	sztp_rc rc;
	int used, r;

	*out = NULL;
	if (len > CMS_MAX)
		return sztp_err_set(e, SZTP_E_TOO_BIG, "CMS of %zu bytes exceeds %d", len, CMS_MAX);
	if (!der || !len)
		return sztp_err_set(e, SZTP_E_MALFORMED, "CMS is empty");
	rc = der_shape(der, len, e);
	if (rc != SZTP_OK)
		return rc;
	rc = elem_new(type, &n, e);
	if (rc != SZTP_OK)
		return rc;
	used = (int)len;
	r = asn1_der_decoding2(&n, der, &used, 0, err);
	if (r != ASN1_SUCCESS) {
		asn1_delete_structure(&n);
		return sztp_err_set(e, SZTP_E_MALFORMED, "CMS does not parse as %s: %s %s",
				    type + 4, asn1_strerror(r), err);
	}
	if ((size_t)used != len) {
		asn1_delete_structure(&n);
		return sztp_err_set(e, SZTP_E_MALFORMED, "CMS has %zu bytes of trailing garbage",
				    len - (size_t)used);
	}
	*out = n;
	return SZTP_OK;
}

/* Read a value of any size into a new buffer; SZTP_E_NOT_FOUND if absent. */
static sztp_rc rd(asn1_node n, const char *name, sztp_bytes *out, struct sztp_err *e)
{
	int len = 0, r;

	out->data = NULL;
	out->len = 0;
	r = asn1_read_value(n, name, NULL, &len);
	if (r == ASN1_ELEMENT_NOT_FOUND || r == ASN1_VALUE_NOT_FOUND)
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "CMS: %s is absent", name);
	if (r != ASN1_MEM_ERROR && r != ASN1_SUCCESS)
		return sztp_err_set(e, SZTP_E_MALFORMED, "CMS: cannot read %s: %s", name,
				    asn1_strerror(r));
	out->data = malloc(len > 0 ? (size_t)len + 1 : 1);
	if (!out->data)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory reading CMS");
	if (len > 0) {
		r = asn1_read_value(n, name, out->data, &len);
		if (r != ASN1_SUCCESS) {
			sztp_bytes_free(out);
			return sztp_err_set(e, SZTP_E_MALFORMED, "CMS: cannot read %s: %s", name,
					    asn1_strerror(r));
		}
	}
	out->len = len > 0 ? (size_t)len : 0;
	out->data[out->len] = 0;
	return SZTP_OK;
}

static sztp_rc rd_oid(asn1_node n, const char *name, char *oid, size_t oidlen, struct sztp_err *e)
{
	int len = (int)oidlen, r;

	oid[0] = '\0';
	r = asn1_read_value(n, name, oid, &len);
	if (r != ASN1_SUCCESS) {
		oid[0] = '\0';
		return sztp_err_set(e, SZTP_E_MALFORMED, "CMS: cannot read OID %s: %s", name,
				    asn1_strerror(r));
	}
	return SZTP_OK;
}

static int count(asn1_node n, const char *name)
{
	int c = 0;

	if (asn1_number_of_elements(n, name, &c) != ASN1_SUCCESS)
		return 0;
	return c;
}

sztp_rc cms_outer_type(const uint8_t *der, size_t len, char *oid, size_t oidlen, struct sztp_err *e)
{
	asn1_node ci = NULL;
	sztp_rc rc;

	if (oidlen)
		oid[0] = '\0';
	rc = der_decode("CMS.ContentInfo", der, len, &ci, e);
	if (rc == SZTP_OK)
		rc = rd_oid(ci, "contentType", oid, oidlen, e);
	asn1_delete_structure(&ci);
	return rc;
}

/* "YYMMDDHHMMSSZ" (UTCTime) or "YYYYMMDDHHMMSS[.f]Z" (GeneralizedTime). */
static time_t parse_asn1_time(const char *s, int utc)
{
	struct tm tm;
	int y, i, digits = utc ? 12 : 14;

	for (i = 0; i < digits; i++)
		if (s[i] < '0' || s[i] > '9')
			return (time_t)-1;
	memset(&tm, 0, sizeof(tm));
#define D2(p) ((s[p] - '0') * 10 + (s[(p) + 1] - '0'))
	if (utc) {
		y = D2(0);
		tm.tm_year = (y < 50 ? 2000 + y : 1900 + y) - 1900;
		s += 2;
	} else {
		tm.tm_year = D2(0) * 100 + D2(2) - 1900;
		s += 4;
	}
	tm.tm_mon = D2(0) - 1;
	tm.tm_mday = D2(2);
	tm.tm_hour = D2(4);
	tm.tm_min = D2(6);
	tm.tm_sec = D2(8);
#undef D2
	s += 10;
	if (!utc && *s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	if (strcmp(s, "Z") || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return (time_t)-1;
	return timegm(&tm);
}

static sztp_rc attr_time(const sztp_bytes *val, time_t *out, struct sztp_err *e)
{
	char s[40], which[16];
	asn1_node t = NULL;
	int len, r;
	sztp_rc rc;

	*out = 0;
	rc = der_decode("CMS.Time", val->data, val->len, &t, e);
	if (rc != SZTP_OK)
		goto out;
	len = sizeof(which);
	rc = SZTP_E_MALFORMED;
	if (asn1_read_value(t, "", which, &len) != ASN1_SUCCESS)
		goto bad;
	len = sizeof(s) - 1;
	r = asn1_read_value(t, which, s, &len);
	if (r != ASN1_SUCCESS || len <= 0)
		goto bad;
	s[len] = '\0';
	*out = parse_asn1_time(s, strcmp(which, "utcTime") == 0);
	if (*out != (time_t)-1) {
		rc = SZTP_OK;
		goto out;
	}
bad:
	*out = 0;
	sztp_err_set(e, rc, "CMS: signing-time attribute is not a valid Time");
out:
	asn1_delete_structure(&t);
	return rc;
}

static sztp_rc attr_oid(const sztp_bytes *val, char *oid, size_t oidlen, struct sztp_err *e)
{
	asn1_node n = NULL;
	sztp_rc rc = der_decode("CMS.ObjectId", val->data, val->len, &n, e);

	if (rc == SZTP_OK)
		rc = rd_oid(n, "", oid, oidlen, e);
	asn1_delete_structure(&n);
	return rc;
}

static sztp_rc attr_octets(const sztp_bytes *val, sztp_bytes *out, struct sztp_err *e)
{
	asn1_node n = NULL;
	sztp_rc rc = der_decode("CMS.OctetString", val->data, val->len, &n, e);

	sztp_bytes_free(out);
	if (rc == SZTP_OK)
		rc = rd(n, "", out, e);
	asn1_delete_structure(&n);
	return rc;
}

/* Look at the signed attributes of signer 1: content-type, message-digest,
 * signing-time (each MUST have exactly one value, RFC 5652 s11). */
static sztp_rc attrs_parse(asn1_node ci, struct cms_signed_priv *p, struct sztp_err *e)
{
	char name[96], type[64];
	sztp_bytes val = {NULL, 0};
	int i, na = count(ci, "content.signerInfos.?1.signedAttrs");
	sztp_rc rc = SZTP_OK;

	for (i = 1; i <= na && rc == SZTP_OK; i++) {
		snprintf(name, sizeof(name), "content.signerInfos.?1.signedAttrs.?%d.attrType", i);
		rc = rd_oid(ci, name, type, sizeof(type), e);
		if (rc != SZTP_OK)
			break;
		snprintf(name, sizeof(name), "content.signerInfos.?1.signedAttrs.?%d.attrValues",
			 i);
		if (strcmp(type, OID_ATTR_CT) && strcmp(type, OID_ATTR_MD) &&
		    strcmp(type, OID_ATTR_STIME))
			continue;
		if (count(ci, name) != 1) {
			rc = sztp_err_set(e, SZTP_E_MALFORMED,
					  "CMS: signed attribute %s must have exactly one value",
					  type);
			break;
		}
		snprintf(name, sizeof(name), "content.signerInfos.?1.signedAttrs.?%d.attrValues.?1",
			 i);
		rc = rd(ci, name, &val, e);
		if (rc != SZTP_OK)
			break;
		if (!strcmp(type, OID_ATTR_CT))
			rc = attr_oid(&val, p->ct_attr, sizeof(p->ct_attr), e);
		else if (!strcmp(type, OID_ATTR_STIME))
			rc = attr_time(&val, &p->pub.signing_time, e);
		else
			rc = attr_octets(&val, &p->md, e);
		p->has_md_attr |= rc == SZTP_OK && !strcmp(type, OID_ATTR_MD);
		sztp_bytes_free(&val);
	}
	return rc;
}

static sztp_rc certs_parse(asn1_node ci, struct cms_signed *s, struct sztp_err *e)
{
	int i, nc = count(ci, "content.certificates");
	char name[48];
	sztp_bytes c;
	sztp_rc rc;

	if (nc <= 0)
		return SZTP_OK;
	if (nc > CMS_CERTS_MAX)
		return sztp_err_set(e, SZTP_E_TOO_BIG, "CMS carries %d certificates (max %d)", nc,
				    CMS_CERTS_MAX);
	s->certs = calloc((size_t)nc, sizeof(*s->certs));
	if (!s->certs)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	for (i = 1; i <= nc; i++) {
		snprintf(name, sizeof(name), "content.certificates.?%d", i);
		rc = rd(ci, name, &c, e);
		if (rc != SZTP_OK)
			return rc;
		if (!c.len || c.data[0] != 0x30) { /* not an X.509 Certificate: skip */
			sztp_bytes_free(&c);
			continue;
		}
		s->certs[s->n_certs++] = c;
	}
	return SZTP_OK;
}

/* Is the INTEGER at name one byte with a value listed in ok? */
static int version_in(asn1_node n, const char *name, const char *ok)
{
	unsigned char v[8];
	int len = sizeof(v);

	if (asn1_read_value(n, name, v, &len) != ASN1_SUCCESS || len != 1 || !v[0])
		return 0;
	return strchr(ok, v[0]) != NULL;
}

/* RSA PKCS#1 v1.5 and ECDSA signature algorithms take NULL or no
 * parameters (RFC 4055 s5, RFC 5758 s3.2). */
static int params_absent_or_null(asn1_node ci, const char *name)
{
	sztp_bytes v = {NULL, 0};
	int ok;

	if (rd(ci, name, &v, NULL) != SZTP_OK)
		return 1;
	ok = v.len == 0 || (v.len == 2 && v.data[0] == 0x05 && v.data[1] == 0x00);
	sztp_bytes_free(&v);
	return ok;
}

/* RFC 5652 s5.1: digestAlgorithms lists the signers' digest algorithms. */
static int digest_listed(asn1_node ci, const char *oid)
{
	int i, n = count(ci, "content.digestAlgorithms");
	char name[64], got[64];

	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "content.digestAlgorithms.?%d.algorithm", i);
		if (rd_oid(ci, name, got, sizeof(got), NULL) == SZTP_OK && !strcmp(got, oid))
			return 1;
	}
	return 0;
}

static sztp_rc signed_fill(asn1_node ci, struct cms_signed_priv *p, struct sztp_err *e)
{
	struct cms_signed *s = &p->pub;
	sztp_rc rc;
	int i;

	rc = rd_oid(ci, "content.encapContentInfo.eContentType", s->econtent_oid,
		    sizeof(s->econtent_oid), e);
	if (rc != SZTP_OK)
		return rc;
	rc = rd(ci, "content.encapContentInfo.eContent", &s->content, NULL);
	if (rc == SZTP_E_NOT_FOUND)
		rc = SZTP_OK;
	else if (rc != SZTP_OK)
		return sztp_err_set(e, rc, "CMS: eContent is unreadable");
	rc = certs_parse(ci, s, e);
	if (rc != SZTP_OK)
		return rc;
	/* RFC 5652 s5.1: SignedData version 1, 3, 4 or 5 */
	if (!version_in(ci, "content.version", "\x01\x03\x04\x05"))
		return sztp_err_set(e, SZTP_E_MALFORMED, "SignedData version is not 1, 3, 4 or 5");
	s->n_signers = (size_t)count(ci, "content.signerInfos");
	for (i = 1; i <= (int)s->n_signers; i++) {
		char name[64];
		snprintf(name, sizeof(name), "content.signerInfos.?%d.version", i);
		if (!version_in(ci, name, "\x01\x03")) /* RFC 5652 s5.3 */
			return sztp_err_set(e, SZTP_E_MALFORMED,
					    "SignerInfo version is not 1 or 3");
	}
	if (s->n_signers && rd_oid(ci, "content.signerInfos.?1.digestAlgorithm.algorithm",
				   p->digest_oid, sizeof(p->digest_oid), e) != SZTP_OK)
		return SZTP_E_MALFORMED;
	p->digest_listed = digest_listed(ci, p->digest_oid);
	if (s->n_signers && rd_oid(ci, "content.signerInfos.?1.signatureAlgorithm.algorithm",
				   p->sig_oid, sizeof(p->sig_oid), e) != SZTP_OK)
		return SZTP_E_MALFORMED;
	if (s->n_signers && !params_absent_or_null(ci, "content.signerInfos.?1.signatureAlgorithm"
						       ".parameters"))
		return sztp_err_set(
		    e, SZTP_E_MALFORMED,
		    "SignerInfo signatureAlgorithm parameters are not absent or NULL");
	s->has_signed_attrs = s->n_signers > 0;
	for (i = 1; i <= (int)s->n_signers; i++) {
		char name[64];
		snprintf(name, sizeof(name), "content.signerInfos.?%d.signedAttrs", i);
		if (count(ci, name) <= 0)
			s->has_signed_attrs = 0;
	}
	if (s->n_signers && count(ci, "content.signerInfos.?1.signedAttrs") > 0)
		rc = attrs_parse(ci, p, e);
	return rc;
}

/* The received bytes of signer 1's signedAttrs (the signature covers
 * them, RFC 5652 s5.4) and its signature. */
static sztp_rc signer_raw(asn1_node ci, const uint8_t *der, size_t len, struct cms_signed_priv *p,
			  struct sztp_err *e)
{
	int start = 0, end = 0;
	sztp_rc rc;

	rc = rd(ci, "content.signerInfos.?1.signature", &p->sig, e);
	if (rc != SZTP_OK || !p->pub.has_signed_attrs)
		return rc == SZTP_E_NOT_FOUND ? SZTP_E_MALFORMED : rc;
	if (asn1_der_decoding_startEnd(ci, der, (int)len, "content.signerInfos.?1.signedAttrs",
				       &start, &end) != ASN1_SUCCESS ||
	    start < 0 || end < start || (size_t)end >= len)
		return sztp_err_set(e, SZTP_E_MALFORMED, "CMS: signedAttrs cannot be located");
	if (sztp_bytes_dup(&p->sa, der + start, (size_t)(end - start + 1)) != SZTP_OK)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	return SZTP_OK;
}

static sztp_rc signed_parse_priv(const uint8_t *der, size_t len, struct cms_signed_priv **out,
				 struct sztp_err *e)
{
	struct cms_signed_priv *p = NULL;
	asn1_node ci = NULL;
	char oid[64];
	sztp_rc rc;

	*out = NULL;
	rc = cms_outer_type(der, len, oid, sizeof(oid), e);
	if (rc != SZTP_OK)
		return rc;
	if (strcmp(oid, CMS_OID_SIGNED_DATA))
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "CMS contentType is %s, not signedData (%s)", oid,
				    CMS_OID_SIGNED_DATA);
	rc = der_decode("CMS.SignedContentInfo", der, len, &ci, e);
	if (rc != SZTP_OK)
		return rc;
	p = calloc(1, sizeof(*p));
	if (!p) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	rc = signed_fill(ci, p, e);
	if (rc == SZTP_OK && p->pub.n_signers)
		rc = signer_raw(ci, der, len, p, e);
	if (rc != SZTP_OK)
		goto out;
	*out = p;
	p = NULL;
out:
	if (p)
		cms_signed_free(&p->pub);
	asn1_delete_structure(&ci);
	return rc;
}

sztp_rc cms_signed_parse(const uint8_t *der, size_t len, struct cms_signed **out,
			 struct sztp_err *e)
{
	struct cms_signed_priv *p = NULL;
	sztp_rc rc = signed_parse_priv(der, len, &p, e);

	*out = p ? &p->pub : NULL;
	return rc;
}

void cms_signed_free(struct cms_signed *s)
{
	size_t i;

	if (!s)
		return;
	sztp_bytes_free(&s->content);
	for (i = 0; i < s->n_certs; i++)
		sztp_bytes_free(&s->certs[i]);
	free(s->certs);
	/* every cms_signed comes from signed_parse_priv */
	sztp_bytes_free(&((struct cms_signed_priv *)s)->md);
	sztp_bytes_free(&((struct cms_signed_priv *)s)->sa);
	sztp_bytes_free(&((struct cms_signed_priv *)s)->sig);
	free(s); /* s is the first member of struct cms_signed_priv */
}

/* ---- verification --------------------------------------------------------- */

static int sig_alg_ok(const char *oid)
{
	static const char *const ok[] = {
	    OID_ECDSA_SHA256,	    "1.2.840.10045.4.3.3",   "1.2.840.10045.4.3.4",
	    OID_RSA_SHA256,	    "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13",
	    "1.2.840.113549.1.1.1", /* rsaEncryption, as some signers write it */
	    "1.2.840.10045.2.1",    /* id-ecPublicKey, likewise */
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(oid, ok[i]))
			return 1;
	return 0;
}

/* Structural requirements before any cryptography. */
static sztp_rc verify_prepare(const uint8_t *der, size_t len, struct cms_signed_priv **pp,
			      gnutls_pkcs7_t *p7, struct sztp_err *e)
{
	gnutls_datum_t d = {(unsigned char *)der, (unsigned)len};
	struct cms_signed_priv *p = NULL;
	sztp_rc rc;
	int r;

	*pp = NULL;
	*p7 = NULL;
	rc = signed_parse_priv(der, len, &p, e);
	if (rc != SZTP_OK)
		return rc;
	rc = SZTP_E_VERIFY;
	if (p->pub.n_signers != 1) {
		sztp_err_set(e, rc, "SignedData has %zu signers; exactly one is required",
			     p->pub.n_signers);
		goto out;
	}
	/* RFC 8366bis s5.1 / RFC 5652 s5.3: signedAttrs required with a
	 * non-id-data eContentType; we require them always. */
	if (!p->pub.has_signed_attrs || !p->has_md_attr || !p->ct_attr[0]) {
		sztp_err_set(e, rc,
			     "SignedData has no signed attributes (content-type and "
			     "message-digest are required)");
		goto out;
	}
	/* GnuTLS hashes with the signature algorithm's digest and ignores
	 * digestAlgorithm; insist that it names a SHA-2 hash we accept. */
	if (strcmp(p->digest_oid, OID_SHA256) && strcmp(p->digest_oid, OID_SHA384) &&
	    strcmp(p->digest_oid, OID_SHA512)) {
		rc = sztp_err_set(e, SZTP_E_UNSUPPORTED,
				  "SignerInfo digestAlgorithm %s is not "
				  "SHA-256/384/512",
				  p->digest_oid);
		goto out;
	}
	/* only the algorithms SZTP uses; this also keeps unknown OIDs away
	 * from a GnuTLS 3.7.9 path that leaks a public key object */
	if (!sig_alg_ok(p->sig_oid)) {
		rc = sztp_err_set(e, SZTP_E_UNSUPPORTED,
				  "SignerInfo signatureAlgorithm %s is not ECDSA or RSA with SHA-2",
				  p->sig_oid);
		goto out;
	}
	if (!p->digest_listed) {
		rc = sztp_err_set(e, SZTP_E_VERIFY,
				  "digestAlgorithms does not list the signer's digest algorithm");
		goto out;
	}
	if (strcmp(p->ct_attr, p->pub.econtent_oid)) { /* RFC 5652 s11.1 */
		sztp_err_set(e, rc, "content-type attribute %s differs from eContentType %s",
			     p->ct_attr, p->pub.econtent_oid);
		goto out;
	}
	if (gnutls_pkcs7_init(p7) < 0) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	r = gnutls_pkcs7_import(*p7, &d, GNUTLS_X509_FMT_DER);
	if (r < 0) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "SignedData rejected by GnuTLS: %s",
				  gnutls_strerror(r));
		goto out;
	}
	*pp = p;
	p = NULL;
	rc = SZTP_OK;
out:
	if (p)
		cms_signed_free(&p->pub);
	if (rc != SZTP_OK && *p7) {
		gnutls_pkcs7_deinit(*p7);
		*p7 = NULL;
	}
	return rc;
}

/* Does crt match the SignerIdentifier of info? */
static int sid_matches(gnutls_x509_crt_t crt, const gnutls_pkcs7_signature_info_st *info)
{
	unsigned char buf[128];
	size_t sz = sizeof(buf);
	gnutls_datum_t dn = {NULL, 0};
	int ok = 0;

	if (info->issuer_keyid.size) {
		if (gnutls_x509_crt_get_subject_key_id(crt, buf, &sz, NULL) >= 0)
			ok = sz == info->issuer_keyid.size &&
			     !memcmp(buf, info->issuer_keyid.data, sz);
		return ok;
	}
	if (gnutls_x509_crt_get_serial(crt, buf, &sz) < 0 || sz != info->signer_serial.size ||
	    memcmp(buf, info->signer_serial.data, sz))
		return 0;
	if (gnutls_x509_crt_get_raw_issuer_dn(crt, &dn) >= 0)
		ok = dn.size == info->issuer_dn.size &&
		     !memcmp(dn.data, info->issuer_dn.data, dn.size);
	gnutls_free(dn.data);
	return ok;
}

/* Index in s->certs of the signer's certificate, or -1. */
static int signer_find(gnutls_pkcs7_t p7, const struct cms_signed *s, gnutls_x509_crt_t *out)
{
	gnutls_pkcs7_signature_info_st info;
	gnutls_x509_crt_t crt;
	int found = -1;
	size_t i;

	*out = NULL;
	if (gnutls_pkcs7_get_signature_info(p7, 0, &info) < 0)
		return -1;
	for (i = 0; i < s->n_certs && found < 0; i++) {
		gnutls_datum_t d = {s->certs[i].data, (unsigned)s->certs[i].len};
		if (gnutls_x509_crt_init(&crt) < 0)
			break;
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) >= 0 &&
		    sid_matches(crt, &info)) {
			found = (int)i;
			*out = crt;
		} else {
			gnutls_x509_crt_deinit(crt);
		}
	}
	gnutls_pkcs7_signature_info_deinit(&info);
	return found;
}

static gnutls_digest_algorithm_t digest_of(const char *oid)
{
	if (!strcmp(oid, OID_SHA256))
		return GNUTLS_DIG_SHA256;
	if (!strcmp(oid, OID_SHA384))
		return GNUTLS_DIG_SHA384;
	if (!strcmp(oid, OID_SHA512))
		return GNUTLS_DIG_SHA512;
	return GNUTLS_DIG_UNKNOWN;
}

/* The GnuTLS signature algorithm for signatureAlgorithm oid with a key of
 * type pk and digest dig; GNUTLS_SIGN_UNKNOWN when they do not agree. */
static gnutls_sign_algorithm_t sign_of(const char *oid, int pk, gnutls_digest_algorithm_t dig)
{
	gnutls_sign_algorithm_t sa;

	if (!strcmp(oid, "1.2.840.113549.1.1.1"))
		sa = gnutls_pk_to_sign(GNUTLS_PK_RSA, dig);
	else if (!strcmp(oid, "1.2.840.10045.2.1"))
		sa = gnutls_pk_to_sign(GNUTLS_PK_ECDSA, dig);
	else
		sa = gnutls_oid_to_sign(oid);
	if (sa == GNUTLS_SIGN_UNKNOWN || (int)gnutls_sign_get_pk_algorithm(sa) != pk ||
	    gnutls_sign_get_hash_algorithm(sa) != dig)
		return GNUTLS_SIGN_UNKNOWN;
	return sa;
}

/* RFC 5652 s5.4 and s11.2: the message digest over eContent and the
 * signature over the DER signedAttrs (with the SET OF tag).  Done here
 * rather than with gnutls_pkcs7_verify_direct, which in 3.7.9 leaks a
 * public key object on hostile keys and cannot verify empty content. */
static sztp_rc sig_check(const struct cms_signed_priv *p, gnutls_x509_crt_t crt, struct sztp_err *e)
{
	gnutls_digest_algorithm_t dig = digest_of(p->digest_oid);
	gnutls_datum_t sa = {NULL, 0}, sig = {p->sig.data, (unsigned)p->sig.len};
	gnutls_sign_algorithm_t algo;
	gnutls_pubkey_t pub = NULL;
	sztp_rc rc = SZTP_E_CRYPTO;
	uint8_t h[64];
	int pk;

	if (gnutls_hash_fast(dig, p->pub.content.data, p->pub.content.len, h) < 0) {
		sztp_err_set(e, rc, "hashing the content failed");
		goto out;
	}
	rc = SZTP_E_VERIFY;
	if (p->md.len != gnutls_hash_get_len(dig) || memcmp(p->md.data, h, p->md.len)) {
		sztp_err_set(e, rc, "message-digest attribute does not match the content");
		goto out;
	}
	pk = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
	algo = sign_of(p->sig_oid, pk, dig);
	if (algo == GNUTLS_SIGN_UNKNOWN) {
		sztp_err_set(e, rc,
			     "signatureAlgorithm %s does not fit the certificate's key "
			     "or the digest (wrong signer certificate?)",
			     p->sig_oid);
		goto out;
	}
	if (gnutls_pubkey_init(&pub) < 0 || gnutls_pubkey_import_x509(pub, crt, 0) < 0) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "signer public key does not load");
		goto out;
	}
	sa.data = malloc(p->sa.len ? p->sa.len : 1);
	if (!sa.data) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(sa.data, p->sa.data, p->sa.len);
	sa.size = (unsigned)p->sa.len;
	sa.data[0] = 0x31; /* RFC 5652 s5.4: EXPLICIT SET OF tag */
	if (gnutls_pubkey_verify_data2(pub, algo, 0, &sa, &sig) < 0) {
		sztp_err_set(e, rc, "CMS signature does not verify");
		goto out;
	}
	rc = SZTP_OK;
out:
	free(sa.data);
	gnutls_pubkey_deinit(pub);
	return rc;
}

/* Chain for pki_trust_verify: signer first, then the other certificates. */
static sztp_rc chain_verify(const struct cms_signed *s, int idx, const struct pki_trust *t,
			    time_t now, struct sztp_err *e)
{
	sztp_bytes chain[CMS_CERTS_MAX];
	size_t i, n = 0;

	chain[n++] = s->certs[idx];
	for (i = 0; i < s->n_certs && n < CMS_CERTS_MAX; i++)
		if ((int)i != idx)
			chain[n++] = s->certs[i];
	return pki_trust_verify(t, chain, n > 16 ? 16 : n, NULL, now, e);
}

sztp_rc cms_signed_verify_trust(const uint8_t *der, size_t len, const struct pki_trust *t,
				time_t now, struct sztp_err *e)
{
	struct cms_signed_priv *p = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_pkcs7_t p7 = NULL;
	sztp_rc rc;
	int idx;

	if (!t)
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "no trust anchors to verify CMS against");
	rc = verify_prepare(der, len, &p, &p7, e);
	if (rc != SZTP_OK)
		goto out;
	idx = signer_find(p7, &p->pub, &crt);
	if (idx < 0) {
		rc = sztp_err_set(e, SZTP_E_VERIFY,
				  "the signer's certificate is not among the %zu certificates "
				  "in the SignedData",
				  p->pub.n_certs);
		goto out;
	}
	rc = sig_check(p, crt, e);
	if (rc == SZTP_OK)
		rc = chain_verify(&p->pub, idx, t, now, e);
out:
	gnutls_x509_crt_deinit(crt);
	gnutls_pkcs7_deinit(p7);
	if (p)
		cms_signed_free(&p->pub);
	return rc;
}

sztp_rc cms_signed_verify_cert(const uint8_t *der, size_t len, const sztp_bytes *signer_cert,
			       struct sztp_err *e)
{
	gnutls_datum_t d = {signer_cert ? signer_cert->data : NULL,
			    signer_cert ? (unsigned)signer_cert->len : 0};
	struct cms_signed_priv *p = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_pkcs7_t p7 = NULL;
	sztp_rc rc;

	rc = verify_prepare(der, len, &p, &p7, e);
	if (rc != SZTP_OK)
		goto out;
	rc = SZTP_E_MALFORMED;
	if (!d.data || !d.size || gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		sztp_err_set(e, rc, "signer certificate does not parse");
		goto out;
	}
	rc = sig_check(p, crt, e); /* RFC 8572 s5.4 */
out:
	gnutls_x509_crt_deinit(crt);
	gnutls_pkcs7_deinit(p7);
	if (p)
		cms_signed_free(&p->pub);
	return rc;
}

sztp_rc cms_certs_only_parse(const uint8_t *der, size_t len, sztp_bytes **certs, size_t *n,
			     struct sztp_err *e)
{
	struct cms_signed *s = NULL;
	sztp_rc rc;

	*certs = NULL;
	*n = 0;
	rc = cms_signed_parse(der, len, &s, e);
	if (rc != SZTP_OK)
		return rc;
	if (!s->n_certs) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "SignedData carries no certificates");
	} else {
		*certs = s->certs;
		*n = s->n_certs;
		s->certs = NULL;
		s->n_certs = 0;
	}
	cms_signed_free(s);
	return rc;
}

sztp_rc cms_content_info_parse(const uint8_t *der, size_t len, char *oid, size_t oidlen,
			       sztp_bytes *content, struct sztp_err *e)
{
	asn1_node ci = NULL;
	sztp_rc rc;

	content->data = NULL;
	content->len = 0;
	if (oidlen)
		oid[0] = '\0';
	rc = der_decode("CMS.OctetContentInfo", der, len, &ci, e);
	if (rc == SZTP_OK)
		rc = rd_oid(ci, "contentType", oid, oidlen, e);
	if (rc == SZTP_OK) {
		rc = rd(ci, "content", content, e);
		if (rc == SZTP_E_NOT_FOUND)
			rc = sztp_err_set(e, SZTP_E_MALFORMED, "ContentInfo has no content");
	}
	asn1_delete_structure(&ci);
	return rc;
}
