/*
 * fuzz_log_kv_quote.c - lib/log.c log_kv_quote, which makes client-supplied
 * values (serial numbers, paths, messages) safe for the key=value audit
 * line: the result is either the value itself (no space, quote, '=',
 * backslash or control character) or a quoted, escaped copy that fits the
 * buffer and has no control character, so nobody can forge audit fields or
 * lines.  The first input byte sets the buffer size.
 */
#include "fuzz.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v, *buf;
	const char *q, *p;
	size_t len;

	if (size < 1)
		return 0;
	len = data[0];
	v = fuzz_str(data + 1, size - 1);
	buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	q = log_kv_quote(v, buf, len);
	FUZZ_CHECK(q != NULL && *q != '\0');
	for (p = q; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	if (q == v) {
		FUZZ_CHECK(strcspn(v, " \"=\\") == strlen(v));
	} else {
		size_t n = strlen(q);
		FUZZ_CHECK(n >= 2 && q[0] == '"' && q[n - 1] == '"');
		FUZZ_CHECK(q != buf || n < len);
		/* inside the quotes, every '"' and '\\' is escaped */
		for (p = q + 1; p < q + n - 1; p++) {
			if (*p == '\\') {
				FUZZ_CHECK(p + 1 < q + n - 1 &&
					   (p[1] == '\\' || p[1] == '"' || p[1] == 'x'));
				if (p[1] == 'x') /* a control character as \xNN */
					FUZZ_CHECK(p + 3 < q + n - 1);
				p += p[1] == 'x' ? 3 : 1;
			} else {
				FUZZ_CHECK(*p != '"');
			}
		}
	}
	free(buf);
	free(v);
	return 0;
}
