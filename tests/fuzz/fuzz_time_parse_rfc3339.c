/*
 * fuzz_time_parse_rfc3339.c - lib/util.c yang:date-and-time parser
 * (RFC 3339 s5.6, any offset, optional fraction): an accepted time formats
 * back (time_rfc3339, UTC) to a string that parses to the same instant.
 */
#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	char back[21];
	time_t t = time_parse_rfc3339(s);

	if (t != (time_t)-1 && t >= 0 && t < (time_t)253402300800LL) { /* years 1970..9999 */
		time_rfc3339(t, back);
		FUZZ_CHECK(time_parse_rfc3339(back) == t);
	}
	free(s);
	return 0;
}
