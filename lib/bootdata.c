/*
 * bootdata.c - conveyed information and owner-certificate CMS (RFC 8572
 * s3.1, s3.2) from a profile's document and an owner identity; see
 * bootdata.h.  No caching here: sztpd caches on top (server/artifacts.c).
 */
#include <stdlib.h>
#include <string.h>

#include "bootdata.h"
#include "cms.h"
#include "util.h"

#define MAX_KEY_FILE (64 * 1024)

sztp_rc bootdata_owner_load(const struct reg_owner *o, struct bootdata_owner *out,
			    struct sztp_err *e)
{
	sztp_bytes key = {0};
	sztp_rc rc;

	memset(out, 0, sizeof(*out));
	rc = pki_key_file_check(o->key_path, e);
	if (rc == SZTP_OK)
		rc = file_read(o->key_path, MAX_KEY_FILE, &key, e);
	if (rc == SZTP_OK)
		rc = pki_signer_from_mem(key.data, key.len, o->chain, o->n_chain, &out->signer, e);
	sztp_bytes_wipe(&key);
	/* RFC 8572 s3.2: the owner certificate and its intermediates */
	if (rc == SZTP_OK)
		rc = cms_certs_only(o->chain, o->n_chain, &out->oc, e);
	if (rc != SZTP_OK)
		bootdata_owner_clear(out);
	return rc;
}

void bootdata_owner_clear(struct bootdata_owner *o)
{
	pki_signer_free(o->signer);
	sztp_bytes_free(&o->oc);
	memset(o, 0, sizeof(*o));
}

sztp_rc bootdata_conveyed(struct sztp_yang *y, const char *json, enum yang_enc enc,
			  const struct pki_signer *signer, sztp_bytes *out, struct sztp_err *e)
{
	const char *doc = json;
	char *xml = NULL;
	/* the content-type OID matches the encoding of the content (s3.1) */
	const char *oid = enc == YANG_ENC_XML ? CMS_OID_CI_XML : CMS_OID_CI_JSON;
	sztp_rc rc = SZTP_OK;

	memset(out, 0, sizeof(*out));
	if (enc == YANG_ENC_XML) {
		rc = yang_conveyed_to_xml(y, json, strlen(json), &xml, e);
		if (rc != SZTP_OK)
			goto out;
		doc = xml;
	}
	if (signer)
		rc = cms_sign(oid, (const uint8_t *)doc, strlen(doc), signer, 0, 0, out, e);
	else
		rc = cms_content_info(oid, (const uint8_t *)doc, strlen(doc), out, e);
out:
	free(xml);
	return rc;
}
