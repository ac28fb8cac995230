/*
 * fuzz_cms_certs_only_parse.c - lib/cms.c certs-only SignedData parser
 * (owner-certificate, RFC 8572 s3.2; redirect trust anchors) on arbitrary
 * DER.
 */
#include "cms.h"
#include "fuzz.h"
#include "pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sztp_bytes *certs = NULL;
	size_t n = 0, i;
	struct sztp_err e = {0};
	sztp_rc rc;

	rc = cms_certs_only_parse(data, size, &certs, &n, &e);
	fuzz_err_ok(&e, rc);
	if (rc == SZTP_OK) {
		FUZZ_CHECK(n == 0 || certs != NULL);
		for (i = 0; i < n; i++)
			FUZZ_CHECK(certs[i].data && certs[i].len > 0 && certs[i].len <= size);
	}
	pki_certs_free(certs, n);
	return 0;
}
