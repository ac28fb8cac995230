/*
 * fuzz_cms_signed_parse.c - lib/cms.c SignedData parser (RFC 5652 s5) on
 * arbitrary DER; when it parses and carries certificates, the signature
 * check against the first embedded certificate (cms_signed_verify_cert,
 * RFC 8572 s5.4) runs on the same bytes, so the verifier sees hostile
 * SignerInfos, attributes and keys too.
 */
#include "cms.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cms_signed *s = NULL;
	struct sztp_err e = {0};
	sztp_rc rc;
	size_t i;

	rc = cms_signed_parse(data, size, &s, &e);
	fuzz_err_ok(&e, rc);
	FUZZ_CHECK((rc == SZTP_OK) == (s != NULL));
	if (!s)
		return 0;
	FUZZ_CHECK(memchr(s->econtent_oid, '\0', sizeof(s->econtent_oid)) != NULL);
	FUZZ_CHECK(s->content.len <= size);
	FUZZ_CHECK(s->n_certs == 0 || s->certs != NULL);
	for (i = 0; i < s->n_certs; i++)
		FUZZ_CHECK(s->certs[i].len > 0 && s->certs[i].len <= size && s->certs[i].data);
	if (s->n_certs > 0) {
		memset(&e, 0, sizeof(e));
		rc = cms_signed_verify_cert(data, size, &s->certs[0], &e);
		fuzz_err_ok(&e, rc);
	}
	cms_signed_free(s);
	return 0;
}
