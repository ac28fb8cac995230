/*
 * fuzz_b64_decode.c - lib/util.c strict base64 decoder (RFC 4648 s4,
 * padding required, canonical pad bits): whatever decodes must encode back
 * to exactly the input.
 */
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sztp_bytes out = {0};
	struct sztp_err e = {0};
	char *enc = NULL;
	sztp_rc rc;

	rc = b64_decode((const char *)data, size, &out, &e);
	fuzz_err_ok(&e, rc);
	if (rc == SZTP_OK) {
		FUZZ_CHECK(out.len == size / 4 * 3 - (size && data[size - 1] == '=') -
					  (size > 1 && data[size - 2] == '='));
		FUZZ_CHECK(b64_encode(out.data, out.len, &enc, NULL) == SZTP_OK);
		FUZZ_CHECK(strlen(enc) == size && !memcmp(enc, data, size));
		free(enc);
	}
	sztp_bytes_free(&out);
	return 0;
}
