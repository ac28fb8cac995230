/* Unit tests for util.c (base64, hex-string, time, file hashes),
 * result.c's wiping free and passwd.c. */
#include <unistd.h>

#include "unit.h"
#include "crypto.h"
#include "log.h"
#include "passwd.h"
#include "util.h"

static void test_b64(void)
{
	static const struct {
		const char *plain, *enc;
	} kat[] = {{"", ""},
		   {"f", "Zg=="},
		   {"fo", "Zm8="},
		   {"foo", "Zm9v"},
		   {"foob", "Zm9vYg=="},
		   {"fooba", "Zm9vYmE="},
		   {"foobar", "Zm9vYmFy"}}; /* RFC 4648 s10 */
	size_t i;

	for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		char *s = NULL;
		sztp_bytes b = {0};
		CHECK_RC(b64_encode((const uint8_t *)kat[i].plain, strlen(kat[i].plain), &s, NULL),
			 SZTP_OK);
		CHECK(s && !strcmp(s, kat[i].enc));
		CHECK_RC(b64_decode(kat[i].enc, strlen(kat[i].enc), &b, NULL), SZTP_OK);
		CHECK(b.len == strlen(kat[i].plain) && !memcmp(b.data, kat[i].plain, b.len));
		free(s);
		sztp_bytes_free(&b);
	}
	{
		sztp_bytes b = {0};
		struct sztp_err e = {0};
		CHECK_RC(b64_decode("Zm9", 3, &b, &e), SZTP_E_MALFORMED);
		CHECK(strstr(e.msg, "multiple of 4") != NULL);
		CHECK_RC(b64_decode("Zm9v\n", 5, &b, NULL), SZTP_E_MALFORMED);
		CHECK_RC(b64_decode("Zm!v", 4, &b, NULL), SZTP_E_MALFORMED);
		CHECK_RC(b64_decode("Zh==", 4, &b, NULL), SZTP_E_MALFORMED); /* non-canonical */
		CHECK_RC(b64_decode("=Zm9", 4, &b, NULL), SZTP_E_MALFORMED);
		CHECK(b.data == NULL);
	}
}

static void test_hex_time(void)
{
	uint8_t d[3] = {0xba, 0xec, 0x0f};
	char out[9], ts[21];

	hex_colon(d, 3, out);
	CHECK(!strcmp(out, "ba:ec:0f"));
	time_rfc3339(0, ts);
	CHECK(!strcmp(ts, "1970-01-01T00:00:00Z"));
	CHECK(time_parse_rfc3339("2026-11-27T02:19:33Z") == 1795745973);
	CHECK(time_parse_rfc3339("2026-11-27T04:19:33.123+02:00") == 1795745973);
	CHECK(time_parse_rfc3339("2026-11-26T23:19:33-03:00") == 1795745973);
	CHECK(time_parse_rfc3339("2026-11-27T02:19:33") == -1);
	CHECK(time_parse_rfc3339("2026-11-27T02:19:33Zjunk") == -1);
	CHECK(time_parse_rfc3339("yesterday") == -1);
	/* found by fuzzing: a one-digit minute made the parser step past the NUL */
	CHECK(time_parse_rfc3339("2026-11-27T02:19:33+01:5") == -1);
	CHECK(time_parse_rfc3339("2026-11-27T02:19:33+1:05") == -1);
	CHECK(time_parse_rfc3339("2026-11-27T02:19:33+01:05x") == -1);
	CHECK(time_parse_rfc3339("2026-11-27T02:19:33+24:00") == -1);
}

/* sha256_file streams through crypto.h: a file of several read buffers
 * hashes like the same bytes in one piece; a missing file zeroes digest. */
static void test_sha256_file(void)
{
	char path[] = "/tmp/sztp-util-XXXXXX";
	uint8_t d[32], want[32], zero[32] = {0};
	static uint8_t buf[200000];
	struct sztp_err e = {0};
	size_t i;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i % 251);
	CHECK(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
	close(fd);
	crypto_sha256(buf, sizeof(buf), want);
	CHECK_RC(sha256_file(path, d, NULL), SZTP_OK);
	CHECK(!memcmp(d, want, 32));
	unlink(path);
	CHECK_RC(sha256_file(path, d, &e), SZTP_E_IO);
	CHECK(!memcmp(d, zero, 32) && strstr(e.msg, path) != NULL);
}

static void test_bytes_wipe(void)
{
	sztp_bytes b = {0};

	CHECK_RC(sztp_bytes_dup(&b, "secret", 6), SZTP_OK);
	sztp_bytes_wipe(&b);
	CHECK(b.data == NULL && b.len == 0);
	sztp_bytes_wipe(&b); /* empty: no-op */
	sztp_bytes_wipe(NULL);
}

static void test_passwd(void)
{
	char h1[PASSWD_HASH_MAX], h2[PASSWD_HASH_MAX];

	CHECK_RC(passwd_hash("activation-code-1", h1, NULL), SZTP_OK);
	CHECK_RC(passwd_hash("activation-code-1", h2, NULL), SZTP_OK);
	CHECK(strcmp(h1, h2) != 0); /* salted */
	CHECK(strncmp(h1, "$pbkdf2-sha256$", 15) == 0);
	CHECK(passwd_verify("activation-code-1", h1) == 1);
	CHECK(passwd_verify("activation-code-2", h1) == 0);
	CHECK(passwd_verify("", h1) == 0);
	CHECK(passwd_verify("activation-code-1", NULL) == 0);
	CHECK(passwd_verify("x", "$md5$nope") == 0);
	CHECK(passwd_verify("x", "$pbkdf2-sha256$99999999999$AA==$AA==") == 0);
	/* a hash made elsewhere (Python hashlib.pbkdf2_hmac): same PBKDF2 */
	CHECK(passwd_verify("activation", "$pbkdf2-sha256$4096$MDEyMzQ1Njc4OWFiY2RlZg==$"
					  "80goukQh7qZX/8AQsokJ+//yXeuTpEw/InBotZBfcWk=") == 1);
}

static void test_kv_quote(void)
{
	char buf[64];

	CHECK(!strcmp(log_kv_quote("SN-1", buf, sizeof(buf)), "SN-1"));
	CHECK(!strcmp(log_kv_quote("a b", buf, sizeof(buf)), "\"a b\""));
	CHECK(!strcmp(log_kv_quote("x=\"y\"\n", buf, sizeof(buf)), "\"x=\\\"y\\\"\\x0a\""));
	CHECK(!strcmp(log_kv_quote("\x1b[2J", buf, sizeof(buf)), "\"\\x1b[2J\""));
	/* truncated to fit, never in the middle of an escape */
	CHECK(!strcmp(log_kv_quote("\n\n\n", buf, 8), "\"\\x0a\""));
	CHECK(!strcmp(log_kv_quote("", buf, sizeof(buf)), "\"\""));
}

int main(void)
{
	test_b64();
	test_hex_time();
	test_sha256_file();
	test_bytes_wipe();
	test_passwd();
	test_kv_quote();
	return unit_report("test_util");
}
