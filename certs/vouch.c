/*
 * vouch.c - minting RFC 8366 ownership vouchers as RFC 8572 s3.3 uses
 * them: the "ietf-voucher:voucher" instance of the voucher-artifact
 * yang-data (RFC 8366 s5.3) encoded as JSON (RFC 7951), signed into a CMS
 * SignedData whose eContentType is id-ct-animaJSONVoucher (RFC 8366 s8.3,
 * OID corrected by erratum 6807) with signed attributes, by the MASA
 * signer (RFC 8366 s5.4).  Binary leaves (pinned-domain-cert,
 * idevid-issuer, nonce) are canonical base64 (RFC 7950 s9.8).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cms.h"
#include "util.h"
#include "vouch.h"

int vouch_assertion_ok(const char *a)
{
	return strcmp(a, "verified") == 0 || strcmp(a, "logged") == 0 ||
	       strcmp(a, "proximity") == 0;
}

/* obj[name] = base64(b); steals nothing from the caller. */
static sztp_rc set_b64(json_t *obj, const char *name, const sztp_bytes *b, struct sztp_err *e)
{
	char *s = NULL;
	sztp_rc rc = b64_encode(b->data, b->len, &s, e);

	if (rc != SZTP_OK)
		return rc;
	if (json_object_set_new(obj, name, json_string(s)) < 0)
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory building the voucher");
	free(s);
	return rc;
}

static sztp_rc set_time(json_t *obj, const char *name, time_t t, struct sztp_err *e)
{
	char buf[21];

	time_rfc3339(t, buf);
	if (json_object_set_new(obj, name, json_string(buf)) < 0)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory building the voucher");
	return SZTP_OK;
}

static sztp_rc check_params(const struct vouch_params *v, struct sztp_err *e)
{
	sztp_bytes nonce = {NULL, 0};
	json_t *utf8;
	sztp_rc rc;

	if (!v->serial || !*v->serial || !v->pinned || !v->pinned->len)
		return sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				    "voucher needs a serial number and a pinned-domain-cert");
	utf8 = json_string(v->serial); /* NULL when not valid UTF-8 */
	if (!utf8)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "serial number is not UTF-8");
	json_decref(utf8);
	if (!vouch_assertion_ok(v->assertion))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "assertion \"%s\" is not verified, logged or proximity",
				    v->assertion);
	if (v->nonce_b64) {
		rc = b64_decode(v->nonce_b64, strlen(v->nonce_b64), &nonce, e);
		sztp_bytes_free(&nonce);
		if (rc != SZTP_OK)
			return sztp_err_set(e, SZTP_E_INVALID_VALUE, "nonce is not strict base64");
	}
	return SZTP_OK;
}

sztp_rc vouch_json(const struct vouch_params *v, char **json, struct sztp_err *e)
{
	sztp_rc rc;
	json_t *root = NULL, *vo = json_object();
	json_t *chk;

	*json = NULL;
	if ((rc = check_params(v, e)) != SZTP_OK)
		goto out;
	rc = SZTP_E_NOMEM;
	if (!vo || !(root = json_object()) || json_object_set(root, "ietf-voucher:voucher", vo) < 0)
		goto nomem;
	if ((rc = set_time(vo, "created-on", v->created_on, e)) != SZTP_OK)
		goto out;
	if (v->expires_on && (rc = set_time(vo, "expires-on", v->expires_on, e)) != SZTP_OK)
		goto out;
	rc = SZTP_E_NOMEM;
	chk = json_string(v->serial); /* UTF-8 checked above; NULL only on OOM */
	if (json_object_set_new(vo, "assertion", json_string(v->assertion)) < 0 ||
	    json_object_set_new(vo, "serial-number", chk) < 0)
		goto nomem;
	if (v->idevid_issuer && v->idevid_issuer->len &&
	    (rc = set_b64(vo, "idevid-issuer", v->idevid_issuer, e)) != SZTP_OK)
		goto out;
	if ((rc = set_b64(vo, "pinned-domain-cert", v->pinned, e)) != SZTP_OK)
		goto out;
	rc = SZTP_E_NOMEM;
	if (json_object_set_new(vo, "domain-cert-revocation-checks",
				json_boolean(v->revocation_checks)) < 0)
		goto nomem;
	if (v->nonce_b64 && json_object_set_new(vo, "nonce", json_string(v->nonce_b64)) < 0)
		goto nomem;
	*json = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!*json)
		goto nomem;
	rc = SZTP_OK;
	goto out;
nomem:
	rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory building the voucher");
out:
	json_decref(vo);
	json_decref(root);
	return rc;
}

sztp_rc vouch_mint(const struct vouch_params *v, const struct pki_signer *signer, sztp_bytes *cms,
		   struct sztp_err *e)
{
	char *json = NULL;
	sztp_rc rc = vouch_json(v, &json, e);

	cms->data = NULL;
	cms->len = 0;
	if (rc != SZTP_OK)
		return rc;
	/* RFC 8366 s5.4: CMS signed, eContentType id-ct-animaJSONVoucher; the
	 * signer chain goes into `certificates` so the pledge can build the
	 * path to its MASA trust anchor. */
	rc = cms_sign(CMS_OID_VOUCHER, (const uint8_t *)json, strlen(json), signer, 1, 0, cms, e);
	free(json);
	return rc;
}
