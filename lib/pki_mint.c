/*
 * pki_mint.c - certificate minting for sztp-pki with GnuTLS.  Every
 * certificate is X.509 v3 with a random positive 16-byte serial (RFC 5280
 * s4.1.2.2), subjectKeyIdentifier and authorityKeyIdentifier (s4.2.1.1,
 * s4.2.1.2), basicConstraints (critical; CA:TRUE with a path length on
 * CAs, which also get keyCertSign+cRLSign, s4.2.1.9) and keyUsage.
 * Device certificates follow IEEE 802.1AR practice as RFC 8572 s5.3 and
 * s9.6 expect: the serial number in the subject serialNumber attribute
 * (2.5.4.5), optionally also as an RFC 4108 s5 hardwareModuleName
 * otherName, whose small DER value is encoded here by hand.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "pki.h"
#include "pki_mint.h"
#include "util.h"

#define MINT_FILE_MAX (1024 * 1024)
/* X.680 s41.4: the PrintableString alphabet */
#define PRINTABLE_STRING_CHARS                                                                     \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?"

struct mint_ident {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t xkey; /* NULL for a certificate without key */
	gnutls_privkey_t key;
	sztp_bytes der;
	char *pem;
};

static sztp_rc gt_err(struct sztp_err *e, int ret, const char *what)
{
	return sztp_err_set(e, SZTP_E_CRYPTO, "%s: %s", what, gnutls_strerror(ret));
}

sztp_rc mint_global_init(struct sztp_err *e)
{
	int ret = gnutls_global_init();

	if (ret < 0)
		return gt_err(e, ret, "gnutls_global_init");
	return SZTP_OK;
}

void mint_global_deinit(void)
{
	gnutls_global_deinit();
}

static struct mint_ident *ident_new(void)
{
	struct mint_ident *id = calloc(1, sizeof(*id));

	if (id && gnutls_x509_crt_init(&id->crt) < 0) {
		free(id);
		id = NULL;
	}
	return id;
}

void mint_ident_free(struct mint_ident *id)
{
	if (!id)
		return;
	gnutls_x509_crt_deinit(id->crt);
	if (id->key)
		gnutls_privkey_deinit(id->key); /* also frees xkey (IMPORT_AUTO_RELEASE) */
	else if (id->xkey)
		gnutls_x509_privkey_deinit(id->xkey);
	sztp_bytes_free(&id->der);
	free(id->pem);
	free(id);
}

const sztp_bytes *mint_ident_der(const struct mint_ident *id)
{
	return &id->der;
}

const char *mint_ident_pem(const struct mint_ident *id)
{
	return id->pem;
}

int mint_ident_has_key(const struct mint_ident *id)
{
	return id->key != NULL;
}

/* Wrap id->xkey in an abstract key (which then owns it). */
static sztp_rc ident_wrap_key(struct mint_ident *id, struct sztp_err *e)
{
	int ret = gnutls_privkey_init(&id->key);

	if (ret < 0)
		return gt_err(e, ret, "gnutls_privkey_init");
	ret = gnutls_privkey_import_x509(id->key, id->xkey, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
	if (ret < 0) {
		gnutls_privkey_deinit(id->key);
		id->key = NULL;
		return gt_err(e, ret, "gnutls_privkey_import_x509");
	}
	return SZTP_OK;
}

static sztp_rc ident_export(struct mint_ident *id, struct sztp_err *e)
{
	gnutls_datum_t d = {NULL, 0};
	int ret;

	ret = gnutls_x509_crt_export2(id->crt, GNUTLS_X509_FMT_DER, &d);
	if (ret < 0)
		return gt_err(e, ret, "exporting certificate");
	if (sztp_bytes_dup(&id->der, d.data, d.size) != SZTP_OK) {
		gnutls_free(d.data);
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	gnutls_free(d.data);
	ret = gnutls_x509_crt_export2(id->crt, GNUTLS_X509_FMT_PEM, &d);
	if (ret < 0)
		return gt_err(e, ret, "exporting certificate");
	id->pem = strndup((const char *)d.data, d.size);
	gnutls_free(d.data);
	if (!id->pem)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	return SZTP_OK;
}

/* ---- DER for hardwareModuleName (RFC 4108 s5) ------------------------ */

static size_t der_len_size(size_t len)
{
	return len < 0x80 ? 1 : len < 0x100 ? 2 : 3;
}

/* Write tag and length (< 64 KiB) at p; returns the end of the header. */
static uint8_t *der_hdr(uint8_t *p, uint8_t tag, size_t len)
{
	*p++ = tag;
	if (len >= 0x100) {
		*p++ = 0x82;
		*p++ = (uint8_t)(len >> 8);
	} else if (len >= 0x80) {
		*p++ = 0x81;
	}
	*p++ = (uint8_t)len;
	return p;
}

static uint8_t *der_put(uint8_t *p, uint8_t tag, const uint8_t *v, size_t len)
{
	p = der_hdr(p, tag, len);
	memcpy(p, v, len);
	return p + len;
}

/* Encode a dotted OID's content octets (X.690 s8.19); 0 on error. */
static size_t der_oid_body(const char *oid, uint8_t *out, size_t cap)
{
	unsigned long arcs[32];
	size_t n = 0, o = 0, i;
	const char *p = oid;
	char *end;

	while (n < 32) {
		if (*p < '0' || *p > '9')
			return 0;
		arcs[n++] = strtoul(p, &end, 10);
		if (arcs[n - 1] > 0xffffffffUL)
			return 0;
		p = end;
		if (!*p)
			break;
		if (*p++ != '.')
			return 0;
	}
	if (*p || n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39))
		return 0;
	arcs[1] += arcs[0] * 40;
	for (i = 1; i < n; i++) {
		uint8_t tmp[6];
		size_t k = 0;
		unsigned long v = arcs[i];

		do {
			tmp[k++] = (uint8_t)(v & 0x7f);
			v >>= 7;
		} while (v);
		if (o + k > cap)
			return 0;
		while (k--)
			out[o++] = (uint8_t)(tmp[k] | (k ? 0x80 : 0));
	}
	return o;
}

/* HardwareModuleName ::= SEQUENCE { hwType OBJECT IDENTIFIER,
 *                                    hwSerialNum OCTET STRING } */
static sztp_rc hw_module_name_der(const char *hw_type, const char *serial, sztp_bytes *out,
				  struct sztp_err *e)
{
	uint8_t oid[64], *p;
	size_t olen = der_oid_body(hw_type, oid, sizeof(oid)), slen = strlen(serial), body;

	if (!olen)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "hwType \"%s\" is not an OID",
				    hw_type);
	if (slen > 1024)
		return sztp_err_set(e, SZTP_E_TOO_BIG, "hwSerialNum too long");
	body = 1 + der_len_size(olen) + olen + 1 + der_len_size(slen) + slen;
	out->data = malloc(1 + der_len_size(body) + body);
	if (!out->data)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	p = der_hdr(out->data, 0x30, body);
	p = der_put(p, 0x06, oid, olen);
	p = der_put(p, 0x04, (const uint8_t *)serial, slen);
	out->len = (size_t)(p - out->data);
	return SZTP_OK;
}

void mint_model_oid(const char *model, char out[64])
{
	uint32_t h = 2166136261u;
	uint8_t tmp[64];
	const char *s;

	if (der_oid_body(model, tmp, sizeof(tmp)) && strlen(model) < 64) {
		snprintf(out, 64, "%s", model);
		return;
	}
	for (s = model; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	snprintf(out, 64, "%s.%u", MINT_OID_HW_TYPE_ARC, (unsigned)(h & 0x7fffffff));
}

/* ---- subjectAltName ---------------------------------------------------- */

/* Apply (crt != NULL) or only check one "DNS:x,IP:y" list. */
static sztp_rc san_apply(gnutls_x509_crt_t crt, const char *san, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	char *copy = strdup(san), *tok, *save = NULL;
	int ret;

	if (!copy)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint8_t ip[16];
		size_t iplen = 0;

		if (strncmp(tok, "DNS:", 4) == 0 && tok[4]) {
			if (strspn(tok + 4, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					    "0123456789.-*") != strlen(tok + 4)) {
				sztp_err_set(e, rc, "bad DNS name in SAN \"%s\"", tok);
				goto out;
			}
			if (!crt)
				continue;
			ret = gnutls_x509_crt_set_subject_alt_name(
			    crt, GNUTLS_SAN_DNSNAME, tok + 4, strlen(tok + 4), GNUTLS_FSAN_APPEND);
		} else if (strncmp(tok, "IP:", 3) == 0) {
			if (inet_pton(AF_INET, tok + 3, ip) == 1)
				iplen = 4;
			else if (inet_pton(AF_INET6, tok + 3, ip) == 1)
				iplen = 16;
			if (!iplen) {
				sztp_err_set(e, rc, "bad IP address in SAN \"%s\"", tok);
				goto out;
			}
			if (!crt)
				continue;
			ret = gnutls_x509_crt_set_subject_alt_name(
			    crt, GNUTLS_SAN_IPADDRESS, ip, (unsigned)iplen, GNUTLS_FSAN_APPEND);
		} else {
			sztp_err_set(e, rc, "SAN entry \"%s\" is neither DNS:name nor IP:address",
				     tok);
			goto out;
		}
		if (ret < 0) {
			rc = gt_err(e, ret, "setting subjectAltName");
			goto out;
		}
	}
	rc = SZTP_OK;
out:
	free(copy);
	return rc;
}

sztp_rc mint_san_check(const char *san, struct sztp_err *e)
{
	if (!*san)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "empty SAN list");
	return san_apply(NULL, san, e);
}

/* ---- issuing ------------------------------------------------------------ */

static sztp_rc key_generate(struct mint_ident *id, int rsa, struct sztp_err *e)
{
	int ret = gnutls_x509_privkey_init(&id->xkey);

	if (ret < 0)
		return gt_err(e, ret, "gnutls_x509_privkey_init");
	if (rsa)
		ret = gnutls_x509_privkey_generate2(id->xkey, GNUTLS_PK_RSA, 2048, 0, NULL, 0);
	else
		ret = gnutls_x509_privkey_generate2(
		    id->xkey, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0,
		    NULL, 0);
	if (ret < 0)
		return gt_err(e, ret, "generating a private key");
	return ident_wrap_key(id, e);
}

static sztp_rc set_subject(gnutls_x509_crt_t crt, const struct mint_profile *p, struct sztp_err *e)
{
	int ret = 0;

	if (p->org)
		ret = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
						    p->org, (unsigned)strlen(p->org));
	if (ret >= 0)
		ret = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, p->cn,
						    (unsigned)strlen(p->cn));
	if (ret >= 0 && p->serial_attr) { /* RFC 8572 s5.3 / 802.1AR */
		uint8_t der[2 + 127];
		size_t len = strlen(p->serial_attr);
		if (pki_serial_check(p->serial_attr, e) != SZTP_OK)
			return SZTP_E_INVALID_VALUE;
		/* X.520 wants a PrintableString; a serial outside its
		 * alphabet becomes a UTF8String (GnuTLS would refuse it) */
		der[0] = strspn(p->serial_attr, PRINTABLE_STRING_CHARS) == len ? 0x13 : 0x0c;
		der[1] = (uint8_t)len; /* < 128: short form */
		memcpy(der + 2, p->serial_attr, len);
		ret = gnutls_x509_crt_set_dn_by_oid(crt, "2.5.4.5", 1, der, (unsigned)len + 2);
	}
	if (ret < 0)
		return gt_err(e, ret, "setting the subject name");
	return SZTP_OK;
}

static sztp_rc set_serial_and_validity(gnutls_x509_crt_t crt, const struct mint_profile *p,
				       struct sztp_err *e)
{
	uint8_t sn[16];
	int ret = gnutls_rnd(GNUTLS_RND_NONCE, sn, sizeof(sn));

	if (ret < 0)
		return gt_err(e, ret, "gnutls_rnd");
	sn[0] = (uint8_t)((sn[0] & 0x7f) | 0x40); /* positive, 16 octets (RFC 5280 s4.1.2.2) */
	ret = gnutls_x509_crt_set_version(crt, 3);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_serial(crt, sn, sizeof(sn));
	if (ret >= 0)
		ret = gnutls_x509_crt_set_activation_time(crt, p->not_before);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_expiration_time(crt, p->not_after);
	if (ret < 0)
		return gt_err(e, ret, "setting serial/validity");
	return SZTP_OK;
}

static sztp_rc set_key_ids(struct mint_ident *id, const struct mint_ident *issuer,
			   struct sztp_err *e)
{
	uint8_t ski[64], aki[64];
	size_t ski_len = sizeof(ski), aki_len = sizeof(aki);
	int ret;

	ret = gnutls_x509_privkey_get_key_id(id->xkey, GNUTLS_KEYID_USE_SHA1, ski, &ski_len);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_subject_key_id(id->crt, ski, ski_len);
	if (ret >= 0 && issuer) {
		unsigned crit;
		ret = gnutls_x509_crt_get_subject_key_id(issuer->crt, aki, &aki_len, &crit);
	} else if (ret >= 0) {
		memcpy(aki, ski, ski_len);
		aki_len = ski_len;
	}
	if (ret >= 0)
		ret = gnutls_x509_crt_set_authority_key_id(id->crt, aki, aki_len);
	if (ret < 0)
		return gt_err(e, ret, "setting key identifiers");
	return SZTP_OK;
}

static sztp_rc set_extensions(struct mint_ident *id, const struct mint_profile *p,
			      struct sztp_err *e)
{
	sztp_bytes hw = {NULL, 0};
	sztp_rc rc = SZTP_E_CRYPTO;
	int ret;

	ret = gnutls_x509_crt_set_basic_constraints(id->crt, p->is_ca, p->is_ca ? p->pathlen : -1);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_key_usage(id->crt, p->key_usage);
	if (ret >= 0 && p->eku)
		ret = gnutls_x509_crt_set_key_purpose_oid(id->crt, p->eku, 0);
	if (ret < 0)
		return gt_err(e, ret, "setting extensions");
	if (p->san && (rc = san_apply(id->crt, p->san, e)) != SZTP_OK)
		return rc;
	if (p->hw_type) { /* RFC 4108 s5 */
		rc = hw_module_name_der(p->hw_type, p->hw_serial ? p->hw_serial : "", &hw, e);
		if (rc != SZTP_OK)
			return rc;
		ret = gnutls_x509_crt_set_subject_alt_othername(id->crt, MINT_OID_HW_MODULE_NAME,
								hw.data, (unsigned)hw.len,
								GNUTLS_FSAN_APPEND);
		sztp_bytes_free(&hw);
		if (ret < 0)
			return gt_err(e, ret, "setting hardwareModuleName");
	}
	return SZTP_OK;
}

sztp_rc mint_issue(const struct mint_profile *p, int rsa, const struct mint_ident *issuer,
		   struct mint_ident **out, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	struct mint_ident *id = ident_new();
	int ret;

	*out = NULL;
	if (!id) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	if (issuer && !issuer->key) {
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "issuer has no private key");
		goto out;
	}
	if ((rc = key_generate(id, rsa, e)) != SZTP_OK ||
	    (rc = set_serial_and_validity(id->crt, p, e)) != SZTP_OK ||
	    (rc = set_subject(id->crt, p, e)) != SZTP_OK)
		goto out;
	ret = gnutls_x509_crt_set_key(id->crt, id->xkey);
	if (ret < 0) {
		rc = gt_err(e, ret, "setting the public key");
		goto out;
	}
	if ((rc = set_key_ids(id, issuer, e)) != SZTP_OK ||
	    (rc = set_extensions(id, p, e)) != SZTP_OK)
		goto out;
	ret = gnutls_x509_crt_privkey_sign(id->crt, issuer ? issuer->crt : id->crt,
					   issuer ? issuer->key : id->key, GNUTLS_DIG_SHA256, 0);
	if (ret < 0) {
		rc = gt_err(e, ret, "signing the certificate");
		goto out;
	}
	if ((rc = ident_export(id, e)) != SZTP_OK)
		goto out;
	*out = id;
	id = NULL;
	rc = SZTP_OK;
out:
	mint_ident_free(id);
	return rc;
}

/* ---- CRLs ----------------------------------------------------------------- */

sztp_rc mint_crl(const struct mint_ident *issuer, const sztp_bytes *certs, size_t n,
		 time_t this_update, time_t next_update, sztp_bytes *pem, struct sztp_err *e)
{
	gnutls_x509_crl_t crl = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d = {NULL, 0};
	uint8_t ski[64], num[8];
	size_t ski_len = sizeof(ski), i;
	unsigned crit;
	sztp_rc rc = SZTP_E_CRYPTO;
	int ret;

	pem->data = NULL;
	pem->len = 0;
	if (!issuer->key)
		return sztp_err_set(e, SZTP_E_INTERNAL, "the CRL issuer has no private key");
	if ((ret = gnutls_x509_crl_init(&crl)) < 0) {
		gt_err(e, ret, "gnutls_x509_crl_init");
		goto out;
	}
	ret = gnutls_x509_crl_set_version(crl, 2);
	if (ret >= 0)
		ret = gnutls_x509_crl_set_this_update(crl, this_update);
	if (ret >= 0 && next_update)
		ret = gnutls_x509_crl_set_next_update(crl, next_update);
	for (i = 0; i < 8; i++)
		num[i] = (uint8_t)((uint64_t)this_update >> (56 - 8 * i));
	if (ret >= 0)
		ret = gnutls_x509_crl_set_number(crl, num, sizeof(num));
	if (ret >= 0 && gnutls_x509_crt_get_subject_key_id(issuer->crt, ski, &ski_len, &crit) >= 0)
		ret = gnutls_x509_crl_set_authority_key_id(crl, ski, ski_len);
	if (ret < 0) {
		gt_err(e, ret, "building the CRL");
		goto out;
	}
	for (i = 0; i < n; i++) {
		gnutls_datum_t cd = {certs[i].data, (unsigned)certs[i].len};
		if ((ret = gnutls_x509_crt_init(&crt)) < 0 ||
		    (ret = gnutls_x509_crt_import(crt, &cd, GNUTLS_X509_FMT_DER)) < 0) {
			rc = sztp_err_set(e, SZTP_E_MALFORMED,
					  "certificate #%zu to revoke does not parse", i + 1);
			goto out;
		}
		if (!gnutls_x509_crt_check_issuer(crt, issuer->crt)) {
			rc = sztp_err_set(e, SZTP_E_MISMATCH,
					  "certificate #%zu to revoke was not issued by the CRL's "
					  "issuer",
					  i + 1);
			goto out;
		}
		if ((ret = gnutls_x509_crl_set_crt(crl, crt, this_update)) < 0) {
			gt_err(e, ret, "adding a revoked certificate");
			goto out;
		}
		gnutls_x509_crt_deinit(crt);
		crt = NULL;
	}
	ret = gnutls_x509_crl_privkey_sign(crl, issuer->crt, issuer->key, GNUTLS_DIG_SHA256, 0);
	if (ret >= 0)
		ret = gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM, &d);
	if (ret < 0) {
		gt_err(e, ret, "signing the CRL");
		goto out;
	}
	if (sztp_bytes_dup(pem, d.data, d.size) != SZTP_OK) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	rc = SZTP_OK;
out:
	gnutls_free(d.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (crl)
		gnutls_x509_crl_deinit(crl);
	return rc;
}

/* ---- loading ------------------------------------------------------------- */

static sztp_rc load_key(struct mint_ident *id, const char *key_path, struct sztp_err *e)
{
	sztp_bytes kb = {NULL, 0};
	uint8_t a[64], b[64];
	size_t alen = sizeof(a), blen = sizeof(b);
	gnutls_datum_t d;
	sztp_rc rc;
	int ret;

	if ((rc = pki_key_file_check(key_path, e)) != SZTP_OK ||
	    (rc = file_read(key_path, MINT_FILE_MAX, &kb, e)) != SZTP_OK)
		return rc;
	rc = SZTP_E_CRYPTO;
	d.data = kb.data;
	d.size = (unsigned)kb.len;
	ret = gnutls_x509_privkey_init(&id->xkey);
	if (ret >= 0)
		ret = gnutls_x509_privkey_import2(id->xkey, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (ret < 0) {
		sztp_err_set(e, rc, "%s: not a usable private key: %s", key_path,
			     gnutls_strerror(ret));
		goto out;
	}
	if ((rc = ident_wrap_key(id, e)) != SZTP_OK)
		goto out;
	if (gnutls_x509_privkey_get_key_id(id->xkey, GNUTLS_KEYID_USE_SHA256, a, &alen) < 0 ||
	    gnutls_x509_crt_get_key_id(id->crt, GNUTLS_KEYID_USE_SHA256, b, &blen) < 0 ||
	    alen != blen || memcmp(a, b, alen) != 0) {
		rc = sztp_err_set(e, SZTP_E_MISMATCH, "%s does not belong to the certificate",
				  key_path);
		goto out;
	}
	rc = SZTP_OK;
out:
	sztp_bytes_wipe(&kb);
	return rc;
}

sztp_rc mint_ident_load(const char *cert_path, const char *key_path, struct mint_ident **out,
			struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	struct mint_ident *id = ident_new();
	sztp_bytes cb = {NULL, 0};
	gnutls_datum_t d;
	int ret;

	*out = NULL;
	if (!id) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	if ((rc = file_read(cert_path, MINT_FILE_MAX, &cb, e)) != SZTP_OK)
		goto out;
	d.data = cb.data;
	d.size = (unsigned)cb.len;
	ret = gnutls_x509_crt_import(id->crt, &d, GNUTLS_X509_FMT_PEM);
	if (ret < 0) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "%s: no usable PEM certificate: %s",
				  cert_path, gnutls_strerror(ret));
		goto out;
	}
	if ((rc = ident_export(id, e)) != SZTP_OK)
		goto out;
	if (key_path && (rc = load_key(id, key_path, e)) != SZTP_OK)
		goto out;
	*out = id;
	id = NULL;
	rc = SZTP_OK;
out:
	sztp_bytes_free(&cb);
	mint_ident_free(id);
	return rc;
}

/* ---- accessors ----------------------------------------------------------- */

/* DER of P-256 keys, written here because GnuTLS 3.7 writes the
 * ECPrivateKey's privateKey as a minimal INTEGER (33 octets when the top
 * bit is set, fewer when the top octet is 0), where RFC 5915 s3 wants an
 * OCTET STRING of exactly ceiling(log2(n)/8) = 32 octets, left-padded;
 * strict parsers refuse the other lengths. */
#define P256_LEN 32

/* Append tag, DER length and content (which may overlap buf: moved) to
 * buf at *o; 0 when it does not fit in cap. */
static int der_append(uint8_t *buf, size_t cap, size_t *o, uint8_t tag, const uint8_t *c,
		      size_t len)
{
	uint8_t *p;

	if (len > 0xffff || *o + 1 + der_len_size(len) + len > cap)
		return 0;
	p = der_hdr(buf + *o, tag, len);
	memmove(p, c, len);
	*o = (size_t)(p - buf) + len;
	return 1;
}

/* Left-pad (or strip leading zero octets of) a big-endian value to
 * exactly P256_LEN octets; 0 when it does not fit. */
static int p256_fixed(const gnutls_datum_t *v, uint8_t out[P256_LEN])
{
	const uint8_t *p = v->data;
	size_t n = v->size;

	while (n > P256_LEN && *p == 0)
		p++, n--;
	if (n > P256_LEN)
		return 0;
	memset(out, 0, P256_LEN - n);
	memcpy(out + P256_LEN - n, p, n);
	return 1;
}

/* PKCS#8 PrivateKeyInfo (RFC 5208) around an RFC 5915 ECPrivateKey for a
 * P-256 key, as DER in out (wiped by the caller). */
static sztp_rc p256_pkcs8(gnutls_x509_privkey_t xk, sztp_bytes *out, struct sztp_err *e)
{
	/* id-ecPublicKey, prime256v1 (RFC 5480 s2.1.1) */
	static const uint8_t alg[] = {0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
				      0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
				      0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	static const uint8_t curve[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	static const uint8_t v0[] = {0x02, 0x01, 0x00}, v1[] = {0x02, 0x01, 0x01};
	gnutls_datum_t x = {NULL, 0}, y = {NULL, 0}, k = {NULL, 0};
	gnutls_ecc_curve_t cv = GNUTLS_ECC_CURVE_INVALID;
	uint8_t d[P256_LEN], pub[2 + 2 * P256_LEN], bs[4 + sizeof(pub)], ec[160], p8[200];
	size_t eo = 0, po = 0, bo = 0, body;
	sztp_rc rc = SZTP_E_CRYPTO;
	int ret;

	out->data = NULL;
	out->len = 0;
	ret = gnutls_x509_privkey_export_ecc_raw(xk, &cv, &x, &y, &k);
	if (ret < 0) {
		gt_err(e, ret, "exporting the EC private key");
		goto out;
	}
	pub[0] = 0x00; /* BIT STRING: no unused bits */
	pub[1] = 0x04; /* uncompressed point (SEC 1 s2.3.3) */
	if (cv != GNUTLS_ECC_CURVE_SECP256R1 || !p256_fixed(&k, d) || !p256_fixed(&x, pub + 2) ||
	    !p256_fixed(&y, pub + 2 + P256_LEN)) {
		sztp_err_set(e, rc, "EC private key is not a P-256 key");
		goto out;
	}
	/* ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING,
	 * [0] parameters, [1] publicKey } - built after a 4-octet gap for
	 * its own header */
	eo = 4;
	memcpy(ec + eo, v1, sizeof(v1));
	eo += sizeof(v1);
	if (!der_append(ec, sizeof(ec), &eo, 0x04, d, sizeof(d)) ||
	    !der_append(ec, sizeof(ec), &eo, 0xa0, curve, sizeof(curve)) ||
	    !der_append(bs, sizeof(bs), &bo, 0x03, pub, sizeof(pub)) ||
	    !der_append(ec, sizeof(ec), &eo, 0xa1, bs, bo))
		goto out;
	body = eo - 4;
	eo = 0;
	if (!der_append(ec, sizeof(ec), &eo, 0x30, ec + 4, body))
		goto out;
	/* PrivateKeyInfo ::= SEQUENCE { version 0, algorithm, privateKey } */
	po = 4;
	memcpy(p8 + po, v0, sizeof(v0));
	po += sizeof(v0);
	memcpy(p8 + po, alg, sizeof(alg));
	po += sizeof(alg);
	if (!der_append(p8, sizeof(p8), &po, 0x04, ec, eo))
		goto out;
	body = po - 4;
	po = 0;
	if (!der_append(p8, sizeof(p8), &po, 0x30, p8 + 4, body))
		goto out;
	if (sztp_bytes_dup(out, p8, po) != SZTP_OK) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	rc = SZTP_OK;
out:
	if (rc == SZTP_E_CRYPTO && e && !e->msg[0])
		sztp_err_set(e, rc, "encoding the EC private key failed");
	gnutls_memset(d, 0, sizeof(d));
	gnutls_memset(ec, 0, sizeof(ec));
	gnutls_memset(p8, 0, sizeof(p8));
	if (k.data)
		gnutls_memset(k.data, 0, k.size);
	gnutls_free(k.data);
	gnutls_free(x.data);
	gnutls_free(y.data);
	return rc;
}

sztp_rc mint_ident_key_pem(const struct mint_ident *id, sztp_bytes *out, struct sztp_err *e)
{
	gnutls_datum_t d = {NULL, 0}, pem = {NULL, 0};
	sztp_bytes der = {NULL, 0};
	sztp_rc rc = SZTP_E_CRYPTO;
	int ret;

	out->data = NULL;
	out->len = 0;
	if (!id->xkey)
		return sztp_err_set(e, SZTP_E_INTERNAL, "no private key loaded");
	if (gnutls_x509_privkey_get_pk_algorithm(id->xkey) == GNUTLS_PK_ECDSA) {
		if ((rc = p256_pkcs8(id->xkey, &der, e)) != SZTP_OK)
			goto out;
		d.data = der.data;
		d.size = (unsigned)der.len;
		ret = gnutls_pem_base64_encode2("PRIVATE KEY", &d, &pem);
		d.data = NULL;
	} else {
		ret = gnutls_x509_privkey_export2_pkcs8(id->xkey, GNUTLS_X509_FMT_PEM, NULL,
							GNUTLS_PKCS_PLAIN, &pem);
	}
	if (ret < 0) {
		rc = gt_err(e, ret, "exporting the private key");
		goto out;
	}
	if (sztp_bytes_dup(out, pem.data, pem.size) != SZTP_OK) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	rc = SZTP_OK;
out:
	sztp_bytes_wipe(&der);
	if (pem.data)
		gnutls_memset(pem.data, 0, pem.size);
	gnutls_free(pem.data);
	return rc;
}

sztp_rc mint_ident_ski(const struct mint_ident *id, sztp_bytes *out, struct sztp_err *e)
{
	uint8_t buf[64];
	size_t len = sizeof(buf);
	unsigned crit;
	int ret = gnutls_x509_crt_get_subject_key_id(id->crt, buf, &len, &crit);

	if (ret < 0)
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "certificate has no subjectKeyIdentifier");
	if (sztp_bytes_dup(out, buf, len) != SZTP_OK)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	return SZTP_OK;
}

sztp_rc mint_ident_aki(const struct mint_ident *id, sztp_bytes *out, struct sztp_err *e)
{
	uint8_t buf[64];
	size_t len = sizeof(buf);
	unsigned crit;
	int ret = gnutls_x509_crt_get_authority_key_id(id->crt, buf, &len, &crit);

	if (ret < 0)
		return sztp_err_set(e, SZTP_E_NOT_FOUND,
				    "certificate has no authorityKeyIdentifier keyIdentifier");
	if (sztp_bytes_dup(out, buf, len) != SZTP_OK)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	return SZTP_OK;
}

sztp_rc mint_ident_dn_attr(const struct mint_ident *id, const char *oid, char *out, size_t len,
			   struct sztp_err *e)
{
	size_t sz = len;
	int ret = gnutls_x509_crt_get_dn_by_oid(id->crt, oid, 0, 0, out, &sz);

	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		if (len)
			out[0] = '\0';
		return SZTP_OK;
	}
	if (ret < 0)
		return gt_err(e, ret, "reading the subject");
	return SZTP_OK;
}
