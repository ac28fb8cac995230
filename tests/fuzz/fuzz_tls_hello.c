/*
 * fuzz_tls_hello.c - lib/pki_tls.c: the cipher suites read from a
 * ClientHello body by the TLS 1.2 hook that chooses between two server
 * certificates (tls-alt-cert), bytes any host on the device segment sends
 * before any authentication.  Input: a ClientHello body (after the
 * handshake header).  Promises checked: never more suites than asked
 * for, and the suites returned are exactly the list's first bytes at the
 * place RFC 5246 s7.4.1.2 puts it (after version, random and session
 * id), which lies wholly inside the input; nothing for a list of odd
 * length or one running past the end.
 */
#include "fuzz.h"
#include "pki.h"

#define MAX_SUITES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t cs[2 * MAX_SUITES + 1];
	size_t n, off, cl;

	memset(cs, 0xa5, sizeof(cs));
	n = pki_tls_hello_suites(data, size, cs, MAX_SUITES);
	FUZZ_CHECK(n <= MAX_SUITES);
	FUZZ_CHECK(cs[2 * MAX_SUITES] == 0xa5); /* nothing written past max */
	if (size < 35)
		FUZZ_CHECK(n == 0);
	if (n == 0)
		return 0;
	off = 35 + (size_t)data[34];
	FUZZ_CHECK(off + 2 <= size);
	cl = (size_t)data[off] << 8 | data[off + 1];
	FUZZ_CHECK(cl % 2 == 0 && off + 2 + cl <= size);
	FUZZ_CHECK(n == (cl / 2 < MAX_SUITES ? cl / 2 : MAX_SUITES));
	FUZZ_CHECK(!memcmp(cs, data + off + 2, 2 * n));
	return 0;
}
