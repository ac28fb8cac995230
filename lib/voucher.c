/*
 * voucher.c - RFC 8366 ownership vouchers as RFC 8572 uses them (s3.3,
 * s5.4): the CMS SignedData (eContentType id-ct-animaJSONVoucher or
 * id-data, RFC 8366 s5.1) is verified against the manufacturer (MASA)
 * anchors, its JSON {"ietf-voucher:voucher":{...}} validated against
 * ietf-voucher (RFC 8366 s5.3) and its fields extracted; voucher_check
 * then matches the device serial number and the validity window
 * (created-on .. expires-on).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cms.h"
#include "util.h"
#include "voucher.h"
#include "yang.h"

#define VOUCHER_TOP "ietf-voucher:voucher"

void voucher_clear(struct voucher *v)
{
	if (!v)
		return;
	sztp_bytes_free(&v->pinned_domain_cert);
	sztp_bytes_free(&v->idevid_issuer);
	sztp_bytes_free(&v->nonce);
	memset(v, 0, sizeof(*v));
}

sztp_rc voucher_pins_chain(const sztp_bytes *pinned, const sztp_bytes *chain, size_t n,
			   struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_VERIFY;
	struct pki_trust *t = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (pki_cert_equal(pinned, &chain[i]))
			return SZTP_OK;
	if ((rc = pki_trust_from_der(pinned, 1, &t, e)) != SZTP_OK)
		goto out;
	rc = pki_trust_verify(t, chain, n, NULL, 0, e);
out:
	pki_trust_free(t);
	return rc;
}

/* A string member; SZTP_E_NOT_FOUND when absent (message set only when
 * `mandatory`). */
static sztp_rc str_get(json_t *o, const char *key, int mandatory, const char **out,
		       struct sztp_err *e)
{
	json_t *j = json_object_get(o, key); /* borrowed */

	*out = NULL;
	if (!j) {
		if (mandatory)
			return sztp_err_set(e, SZTP_E_MISSING_ELEMENT, "voucher has no \"%s\"",
					    key);
		return SZTP_E_NOT_FOUND;
	}
	if (!json_is_string(j))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "voucher \"%s\" is not a string", key);
	*out = json_string_value(j);
	return SZTP_OK;
}

static sztp_rc str_copy(json_t *o, const char *key, char *dst, size_t dstlen, struct sztp_err *e)
{
	const char *s;
	sztp_rc rc = str_get(o, key, 1, &s, e);

	if (rc != SZTP_OK)
		return rc;
	if (!*s || strlen(s) >= dstlen)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "voucher \"%s\" is empty or longer than %zu characters", key,
				    dstlen - 1);
	memcpy(dst, s, strlen(s) + 1);
	return SZTP_OK;
}

static sztp_rc time_get(json_t *o, const char *key, int mandatory, time_t *out, struct sztp_err *e)
{
	const char *s;
	sztp_rc rc = str_get(o, key, mandatory, &s, e);

	*out = 0;
	if (rc == SZTP_E_NOT_FOUND)
		return SZTP_OK;
	if (rc != SZTP_OK)
		return rc;
	*out = time_parse_rfc3339(s);
	if (*out == (time_t)-1) {
		*out = 0;
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "voucher \"%s\" is not a date-and-time: \"%.40s\"", key, s);
	}
	return SZTP_OK;
}

static sztp_rc b64_get(json_t *o, const char *key, int mandatory, sztp_bytes *out,
		       struct sztp_err *e)
{
	const char *s;
	sztp_rc rc = str_get(o, key, mandatory, &s, e);

	out->data = NULL;
	out->len = 0;
	if (rc == SZTP_E_NOT_FOUND)
		return SZTP_OK;
	if (rc != SZTP_OK)
		return rc;
	rc = b64_decode(s, strlen(s), out, NULL);
	if (rc != SZTP_OK)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "voucher \"%s\" is not base64", key);
	return SZTP_OK;
}

static sztp_rc fields_get(json_t *v, struct voucher *out, struct sztp_err *e)
{
	json_t *rev;
	sztp_rc rc;

	rc = str_copy(v, "serial-number", out->serial, sizeof(out->serial), e);
	if (rc == SZTP_OK)
		rc = str_copy(v, "assertion", out->assertion, sizeof(out->assertion), e);
	if (rc == SZTP_OK)
		rc = time_get(v, "created-on", 1, &out->created_on, e);
	if (rc == SZTP_OK)
		rc = time_get(v, "expires-on", 0, &out->expires_on, e);
	if (rc == SZTP_OK)
		rc = b64_get(v, "pinned-domain-cert", 1, &out->pinned_domain_cert, e);
	if (rc == SZTP_OK && !out->pinned_domain_cert.len)
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
				  "voucher \"pinned-domain-cert\" is empty");
	if (rc == SZTP_OK)
		rc = b64_get(v, "idevid-issuer", 0, &out->idevid_issuer, e);
	if (rc == SZTP_OK)
		rc = b64_get(v, "nonce", 0, &out->nonce, e);
	if (rc != SZTP_OK)
		return rc;
	rev = json_object_get(v, "domain-cert-revocation-checks"); /* borrowed */
	if (rev && !json_is_boolean(rev))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "voucher \"domain-cert-revocation-checks\" is not a boolean");
	out->domain_cert_revocation_checks = rev ? json_is_true(rev) : 0;
	if (out->expires_on && out->expires_on <= out->created_on)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "voucher expires-on is not after created-on");
	return SZTP_OK;
}

static sztp_rc json_parse(const sztp_bytes *content, struct voucher *out, struct sztp_err *e)
{
	json_error_t jerr;
	json_t *doc, *v;
	sztp_rc rc = SZTP_E_MALFORMED;

	doc = json_loadb((const char *)content->data, content->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return sztp_err_set(e, rc, "voucher is not JSON: %s (line %d)", jerr.text,
				    jerr.line);
	v = json_object_get(doc, VOUCHER_TOP); /* borrowed */
	if (!json_is_object(doc) || json_object_size(doc) != 1 || !json_is_object(v)) {
		sztp_err_set(e, rc, "voucher JSON must be one object {\"%s\":{...}}", VOUCHER_TOP);
		goto out;
	}
	rc = fields_get(v, out, e);
out:
	json_decref(doc);
	return rc;
}

sztp_rc voucher_parse(const uint8_t *cms, size_t len, const struct pki_trust *masa,
		      struct sztp_yang *y, struct voucher *out, struct sztp_err *e)
{
	struct cms_signed *s = NULL;
	sztp_rc rc;

	memset(out, 0, sizeof(*out));
	rc = cms_signed_parse(cms, len, &s, e);
	if (rc != SZTP_OK)
		goto out;
	/* RFC 8366 s5.1 (erratum 6807): id-ct-animaJSONVoucher; id-data tolerated */
	if (strcmp(s->econtent_oid, CMS_OID_VOUCHER) && strcmp(s->econtent_oid, CMS_OID_DATA)) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "CMS eContentType %s is not a voucher (%s)",
				  s->econtent_oid, CMS_OID_VOUCHER);
		goto out;
	}
	if (s->n_signers != 1 || !s->has_signed_attrs) {
		rc = sztp_err_set(e, SZTP_E_VERIFY,
				  "voucher must have exactly one signer with signed attributes "
				  "(%zu signers)",
				  s->n_signers);
		goto out;
	}
	if (!s->content.len) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "voucher CMS has no content");
		goto out;
	}
	if (masa) {
		rc = cms_signed_verify_trust(cms, len, masa, 0, e);
		if (rc != SZTP_OK)
			goto out;
	}
	if (y) { /* RFC 8366 s5.3: the ietf-voucher schema */
		rc = yang_voucher_validate(y, (const char *)s->content.data, s->content.len, e);
		if (rc != SZTP_OK)
			goto out;
	}
	rc = json_parse(&s->content, out, e);
out:
	if (rc != SZTP_OK)
		voucher_clear(out);
	cms_signed_free(s);
	return rc;
}

sztp_rc voucher_check(const struct voucher *v, const char *serial, time_t now, struct sztp_err *e)
{
	char a[21], b[21];

	if (!serial || strcmp(v->serial, serial)) /* RFC 8366 s5.3 serial-number */
		return sztp_err_set(e, SZTP_E_MISMATCH,
				    "voucher is for serial number \"%s\", not \"%s\"", v->serial,
				    serial ? serial : "");
	if (!now)
		now = time(NULL);
	if (now < v->created_on) {
		time_rfc3339(v->created_on, a);
		return sztp_err_set(e, SZTP_E_EXPIRED, "voucher is not valid before %s", a);
	}
	if (v->expires_on && now >= v->expires_on) {
		time_rfc3339(v->expires_on, b);
		return sztp_err_set(e, SZTP_E_EXPIRED, "voucher expired at %s", b);
	}
	return SZTP_OK;
}
