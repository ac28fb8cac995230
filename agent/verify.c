/*
 * verify.c - the device's checks on conveyed information, RFC 8572 s5.4
 * in its order: (2) the ownership voucher's signature against the
 * manufacturer anchors, (3) created-on/expires-on against the clock when
 * the clock is trusted, (5) serial-number, (6) idevid-issuer, the nonce
 * when one was sent (RFC 8366), (7) the owner certificate's path to the
 * voucher's pinned-domain-cert, (8) the conveyed-information signature
 * with the owner key, signed attributes required and the eContentType
 * naming the encoding (.43 JSON, .42 XML).  Any failure rejects the whole
 * response.  With domain-cert-revocation-checks the owner chain's
 * revocation status is obtained (revoke.c).  Unsigned conveyed
 * information is a bare ContentInfo.  The document is then validated
 * against ietf-sztp-conveyed-info (s6.3); XML is read by libyang into the
 * same JSON form as the JSON encoding.  Encrypted artifacts (s3.4) are
 * not supported and are refused.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "cms.h"
#include "log.h"
#include "util.h"
#include "voucher.h"
#include "yang.h"

#define OUT_KEY "ietf-sztp-bootstrap-server:output"

void received_clear(struct received *a)
{
	if (!a)
		return;
	sztp_bytes_free(&a->ci);
	sztp_bytes_free(&a->oc);
	sztp_bytes_free(&a->ov);
	memset(a, 0, sizeof(*a));
}

static sztp_rc b64_member(json_t *o, const char *k, sztp_bytes *out, struct sztp_err *e)
{
	json_t *v = json_object_get(o, k); /* borrowed */
	const char *s;

	if (!v)
		return SZTP_OK;
	if (!json_is_string(v))
		return sztp_err_set(e, SZTP_E_MALFORMED, "output member %s is not a string", k);
	s = json_string_value(v);
	if (b64_decode(s, strlen(s), out, e))
		return sztp_err_set(e, SZTP_E_MALFORMED, "output member %s is not base64", k);
	return SZTP_OK;
}

sztp_rc received_from_output(const sztp_bytes *body, struct received *a, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_MALFORMED;
	json_error_t je;
	json_t *root, *o, *rl;

	memset(a, 0, sizeof(*a));
	root = json_loadb((const char *)body->data, body->len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return sztp_err_set(e, rc, "get-bootstrapping-data output is not JSON: %s",
				    je.text);
	o = json_object_get(root, OUT_KEY);
	if (!json_is_object(o)) {
		sztp_err_set(e, rc, "get-bootstrapping-data output has no %s object", OUT_KEY);
		goto out;
	}
	if (b64_member(o, "conveyed-information", &a->ci, e) ||
	    b64_member(o, "owner-certificate", &a->oc, e) ||
	    b64_member(o, "ownership-voucher", &a->ov, e))
		goto out;
	if (!a->ci.len) {
		sztp_err_set(e, SZTP_E_MISSING_ELEMENT, "output has no conveyed-information");
		goto out;
	}
	rl = json_object_get(o, "reporting-level");
	snprintf(a->reporting_level, sizeof(a->reporting_level), "%s",
		 json_is_string(rl) ? json_string_value(rl) : "minimal");
	rc = SZTP_OK;
out:
	json_decref(root);
	if (rc)
		received_clear(a);
	return rc;
}

/* s5.4 steps 2-6 and the nonce: the voucher.  On success v is filled. */
static sztp_rc check_voucher(struct agent_dev *d, const sztp_bytes *ov, const sztp_bytes *nonce,
			     struct voucher *v, struct sztp_err *e)
{
	sztp_bytes aki = {0};
	sztp_rc rc;

	if (!d->masa)
		return sztp_err_set(e, SZTP_E_VERIFY, "no manufacturer voucher trust anchors");
	if ((rc = voucher_parse(ov->data, ov->len, d->masa, d->y, v, e)) != SZTP_OK)
		return rc;	     /* signature to the manufacturer anchor (step 2) */
	if (d->cfg->clock_trusted) { /* step 3 */
		if ((rc = voucher_check(v, v->serial, 0, e)) != SZTP_OK)
			return rc;
	}
	if (strcmp(v->serial, d->serial)) /* step 5 */
		return sztp_err_set(e, SZTP_E_MISMATCH,
				    "voucher is for serial number \"%s\", not this device's \"%s\"",
				    v->serial, d->serial);
	if (v->idevid_issuer.len) { /* step 6 */
		rc = pki_cert_aki(&d->idevid, &aki, e);
		if (rc == SZTP_OK && (aki.len != v->idevid_issuer.len ||
				      !ct_equal(aki.data, v->idevid_issuer.data, aki.len)))
			rc = sztp_err_set(e, SZTP_E_MISMATCH,
					  "voucher idevid-issuer does not match the IDevID's "
					  "authority key identifier");
		sztp_bytes_free(&aki);
		if (rc)
			return rc;
	}
	if (nonce && nonce->len) { /* RFC 8366 s5.3: the nonce we sent */
		if (v->nonce.len != nonce->len || !ct_equal(v->nonce.data, nonce->data, nonce->len))
			return sztp_err_set(
			    e, SZTP_E_MISMATCH,
			    "voucher nonce does not match the nonce this device sent");
	}
	/* domain-cert-revocation-checks: check_owner, once the owner
	 * certificate's path is known */
	return SZTP_OK;
}

/* s5.4 steps 7-8: an owner certificate of `oc` that path-validates to the
 * pinned-domain-cert and whose key verifies the conveyed information. */
static sztp_rc check_owner(struct agent_dev *d, const struct voucher *v, const sztp_bytes *oc,
			   const sztp_bytes *ci, struct sztp_err *e)
{
	struct pki_trust *pinned = NULL;
	sztp_bytes *certs = NULL, *chain = NULL;
	size_t n = 0, i, j, k, chained = 0;
	struct sztp_err tmp;
	sztp_rc rc;

	if ((rc = cms_certs_only_parse(oc->data, oc->len, &certs, &n, e)) != SZTP_OK)
		goto out;
	rc = SZTP_E_VERIFY;
	if (n == 0) {
		sztp_err_set(e, rc, "owner-certificate holds no certificate");
		goto out;
	}
	if ((rc = pki_trust_from_der(&v->pinned_domain_cert, 1, &pinned, e)) != SZTP_OK)
		goto out;
	if (!(chain = calloc(n, sizeof(*chain)))) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	/* the set's order carries no meaning: try each as the end entity */
	for (i = 0; i < n; i++) {
		chain[0] = certs[i];
		for (j = 0, k = 1; j < n; j++)
			if (j != i)
				chain[k++] = certs[j];
		if (pki_trust_verify(pinned, chain, n, NULL, 0, &tmp) != SZTP_OK)
			continue;
		chained++;
		if (cms_signed_verify_cert(ci->data, ci->len, &certs[i], &tmp) == SZTP_OK) {
			/* s5.4 step 7 (RFC 8366 s5.3): the status MUST be obtained,
			 * else the owner certificate is not valid */
			rc = v->domain_cert_revocation_checks
				 ? revocation_check(d, &v->pinned_domain_cert, &certs[i], certs, n,
						    e)
				 : SZTP_OK;
			goto out;
		}
	}
	rc = SZTP_E_VERIFY;
	if (!chained)
		sztp_err_set(e, rc,
			     "owner certificate does not chain to the voucher's "
			     "pinned-domain-cert: %s",
			     tmp.msg);
	else
		sztp_err_set(e, rc,
			     "conveyed information is not signed by the owner "
			     "certificate: %s",
			     tmp.msg);
out:
	free(chain);
	pki_certs_free(certs, n);
	pki_trust_free(pinned);
	return rc;
}

static sztp_rc signed_ci(struct agent_dev *d, const struct received *a, const sztp_bytes *nonce,
			 sztp_bytes *content, int *xml, struct sztp_err *e)
{
	struct cms_signed *s = NULL;
	struct voucher v = {0};
	sztp_rc rc;

	if (!a->oc.len || !a->ov.len) {
		rc = sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				  "signed conveyed information without %s",
				  a->oc.len ? "ownership-voucher" : "owner-certificate");
		goto out;
	}
	if ((rc = check_voucher(d, &a->ov, nonce, &v, e)) != SZTP_OK)
		goto out;
	if ((rc = cms_signed_parse(a->ci.data, a->ci.len, &s, e)) != SZTP_OK)
		goto out;
	rc = SZTP_E_VERIFY;
	if (strcmp(s->econtent_oid, CMS_OID_CI_JSON) && strcmp(s->econtent_oid, CMS_OID_CI_XML)) {
		sztp_err_set(e, rc,
			     "signed conveyed information has eContentType %s, not %s (JSON) or "
			     "%s (XML)",
			     s->econtent_oid, CMS_OID_CI_JSON, CMS_OID_CI_XML);
		goto out;
	}
	*xml = !strcmp(s->econtent_oid, CMS_OID_CI_XML);
	if (!s->has_signed_attrs || s->n_signers != 1) {
		sztp_err_set(e, rc, "signed conveyed information %s",
			     s->n_signers != 1 ? "must have exactly one signer"
					       : "has no signed attributes");
		goto out;
	}
	if ((rc = check_owner(d, &v, &a->oc, &a->ci, e)) != SZTP_OK)
		goto out;
	rc = sztp_bytes_dup(content, s->content.data, s->content.len);
out:
	cms_signed_free(s);
	voucher_clear(&v);
	return rc;
}

sztp_rc verify_received(struct agent_dev *d, const struct received *a, const sztp_bytes *nonce,
			char **json, int *is_signed, struct sztp_err *e)
{
	sztp_bytes content = {0};
	char oid[64];
	double t0 = agent_now_ms();
	int xml = 0;
	sztp_rc rc;

	*json = NULL;
	*is_signed = 0;
	if ((rc = cms_outer_type(a->ci.data, a->ci.len, oid, sizeof(oid), e)) != SZTP_OK)
		goto out;
	if (!strcmp(oid, CMS_OID_SIGNED_DATA)) {
		if ((rc = signed_ci(d, a, nonce, &content, &xml, e)) != SZTP_OK)
			goto out;
		*is_signed = 1;
	} else if (!strcmp(oid, CMS_OID_CI_JSON) || !strcmp(oid, CMS_OID_CI_XML)) {
		rc = cms_content_info_parse(a->ci.data, a->ci.len, oid, sizeof(oid), &content, e);
		if (rc)
			goto out;
		xml = !strcmp(oid, CMS_OID_CI_XML);
	} else {
		rc = sztp_err_set(e, SZTP_E_UNSUPPORTED,
				  "conveyed information of content type %s is not supported "
				  "(signed or unsigned, JSON or XML; no encryption)",
				  oid);
		goto out;
	}
	if (xml) { /* validated and read by libyang, processed as its JSON */
		rc = yang_conveyed_to_json(d->y, YANG_ENC_XML, (const char *)content.data,
					   content.len, json, e);
		if (rc == SZTP_OK)
			agent_log(d, LOG_LVL_INFO, "verify", "conveyed information is XML (%s)",
				  CMS_OID_CI_XML);
		goto out;
	}
	if ((rc = yang_conveyed_validate(d->y, YANG_ENC_JSON, (const char *)content.data,
					 content.len, e)) != SZTP_OK)
		goto out;
	if (!(*json = strndup((const char *)content.data, content.len)))
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
out:
	sztp_bytes_free(&content);
	d->ms[PH_VERIFY] += agent_now_ms() - t0;
	return rc;
}
