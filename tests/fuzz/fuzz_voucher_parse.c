/*
 * fuzz_voucher_parse.c - lib/voucher.c voucher_parse (RFC 8366 voucher
 * CMS as RFC 8572 s3.3 uses it) without a MASA trust list or YANG context,
 * so the CMS and JSON extraction (serial, dates, pinned-domain-cert, nonce)
 * see arbitrary input; a parsed voucher then goes through voucher_check.
 */
#include "fuzz.h"
#include "voucher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct voucher v;
	struct sztp_err e = {0};
	sztp_rc rc;

	memset(&v, 0, sizeof(v));
	rc = voucher_parse(data, size, NULL, NULL, &v, &e);
	fuzz_err_ok(&e, rc);
	if (rc == SZTP_OK) {
		FUZZ_CHECK(memchr(v.serial, '\0', sizeof(v.serial)) != NULL);
		FUZZ_CHECK(memchr(v.assertion, '\0', sizeof(v.assertion)) != NULL);
		memset(&e, 0, sizeof(e));
		rc = voucher_check(&v, v.serial, v.created_on, &e);
		fuzz_err_ok(&e, rc);
		memset(&e, 0, sizeof(e));
		rc = voucher_check(&v, "SN-NOT-THIS-ONE", 0, &e);
		fuzz_err_ok(&e, rc);
	}
	voucher_clear(&v);
	return 0;
}
