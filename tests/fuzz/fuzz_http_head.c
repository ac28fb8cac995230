/*
 * fuzz_http_head.c - server/http_parse.c: the request target sztpd checks
 * before libmicrohttpd decodes it, and the Host field value (RFC 9112
 * s3.2, RFC 3986 s3.3, RFC 9110 s7.2).  Input: the first byte picks the
 * check (bit 0: Host) and the output size for the target; the rest is the
 * raw text.  Promises checked: an accepted target decodes to no NUL or
 * control character and fits the buffer, a refused one says why and
 * leaves an empty path, query points into the input after a '?'.
 */
#include "fuzz.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, out[512];
	const char *query = NULL, *msg = NULL;
	size_t outlen, i;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		(void)http_host_valid((const char *)data + 1, size - 1);
		return 0;
	}
	in = fuzz_str(data + 1, size - 1);
	outlen = 1 + (data[0] >> 1) % sizeof(out);
	if (http_target(in, out, outlen, &query, &msg) == 0) {
		FUZZ_CHECK(msg == NULL && strlen(out) < outlen);
		for (i = 0; out[i]; i++)
			FUZZ_CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
	} else {
		FUZZ_CHECK(msg != NULL && out[0] == '\0');
	}
	FUZZ_CHECK(!query || (query > in && query[-1] == '?'));
	free(in);
	return 0;
}
