/*
 * fuzz_yang_voucher_validate.c - lib/yang.c voucher JSON validation
 * against ietf-voucher (RFC 8366 s5.3) on arbitrary text.
 */
#include "fuzz.h"
#include "yang.h"

static struct sztp_yang *Y;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sztp_err e = {0};

	if (yang_open(FUZZ_TOP "/yang", &Y, &e) != SZTP_OK) {
		fprintf(stderr, "yang_open: %s\n", e.msg);
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sztp_err e = {0};
	sztp_rc rc;

	rc = yang_voucher_validate(Y, (const char *)data, size, &e);
	fuzz_err_ok(&e, rc);
	fuzz_client_rc(rc, &e);
	return 0;
}
