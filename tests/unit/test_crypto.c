/* Unit tests for crypto.c: SHA-256 against FIPS 180-2 vectors, one shot
 * against several parts, the chain hash against the length-prefixed
 * GnuTLS computation it replaced in server/identity.c, PBKDF2-HMAC-SHA256
 * against RFC 7914 s11, random bytes and wiping. */
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "unit.h"
#include "crypto.h"

static void hex(const char *s, uint8_t *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned v = 0;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static int digest_is(const uint8_t d[CRYPTO_SHA256_LEN], const char *want_hex)
{
	uint8_t w[CRYPTO_SHA256_LEN];

	hex(want_hex, w, sizeof(w));
	return !memcmp(d, w, sizeof(w));
}

static void test_sha256(void)
{
	uint8_t d[CRYPTO_SHA256_LEN], d2[CRYPTO_SHA256_LEN];
	static uint8_t big[1 << 20];
	struct crypto_sha256 h;
	size_t i, off;

	/* FIPS 180-2 appendix B.1 and the empty string */
	crypto_sha256("abc", 3, d);
	CHECK(digest_is(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	crypto_sha256("", 0, d);
	CHECK(digest_is(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	/* B.2, fed in uneven parts */
	crypto_sha256_init(&h);
	crypto_sha256_update(&h, "abcdbcdecdefdefgefghfghighijhijk", 32);
	crypto_sha256_update(&h, "", 0);
	crypto_sha256_update(&h, "ijkljklmklmnlmnomnopnopq", 24);
	crypto_sha256_final(&h, d);
	CHECK(digest_is(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
	/* final wipes the state */
	for (i = 0; i < sizeof(h.opaque) / sizeof(h.opaque[0]); i++)
		CHECK(h.opaque[i] == 0);

	/* one shot == several parts of odd sizes */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 131 + (i >> 9));
	crypto_sha256(big, sizeof(big), d);
	crypto_sha256_init(&h);
	for (off = 0, i = 1; off < sizeof(big); i = i * 7 % 65537 + 1) {
		size_t k = i < sizeof(big) - off ? i : sizeof(big) - off;
		crypto_sha256_update(&h, big + off, k);
		off += k;
	}
	crypto_sha256_final(&h, d2);
	CHECK(!memcmp(d, d2, sizeof(d)));
	CHECK(gnutls_hash_fast(GNUTLS_DIG_SHA256, big, sizeof(big), d2) == 0);
	CHECK(!memcmp(d, d2, sizeof(d)));
}

/* What server/identity.c's chain_hash() computed with GnuTLS before it
 * used crypto_sha256_chain: the result must not change. */
static void chain_hash_gnutls(const sztp_bytes *certs, size_t n, uint8_t h[32])
{
	gnutls_hash_hd_t hd;
	size_t i;

	if (gnutls_hash_init(&hd, GNUTLS_DIG_SHA256) < 0) {
		memset(h, 0, 32);
		return;
	}
	for (i = 0; i < n; i++) {
		uint32_t l = (uint32_t)certs[i].len;
		gnutls_hash(hd, &l, sizeof(l));
		gnutls_hash(hd, certs[i].data, certs[i].len);
	}
	gnutls_hash_deinit(hd, h);
}

static void test_chain(void)
{
	uint8_t leaf[700], inter[450], a[32], b[32];
	sztp_bytes chain[2] = {{leaf, sizeof(leaf)}, {inter, sizeof(inter)}};
	sztp_bytes x[2] = {{(uint8_t *)"xxx", 3}, {(uint8_t *)"hello", 5}};
	sztp_bytes split1[2] = {{(uint8_t *)"ab", 2}, {(uint8_t *)"c", 1}};
	sztp_bytes split2[2] = {{(uint8_t *)"a", 1}, {(uint8_t *)"bc", 2}};
	size_t i;

	for (i = 0; i < sizeof(leaf); i++)
		leaf[i] = (uint8_t)(i ^ 0x5a);
	for (i = 0; i < sizeof(inter); i++)
		inter[i] = (uint8_t)(i * 3);
	for (i = 0; i <= 2; i++) {
		crypto_sha256_chain(chain, i, a);
		chain_hash_gnutls(chain, i, b);
		CHECK(!memcmp(a, b, sizeof(a)));
	}
	crypto_sha256_chain(NULL, 0, a);
	CHECK(digest_is(a, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	/* host order length prefix: Python struct.pack('=I', len) + bytes */
	crypto_sha256_chain(x, 2, a);
	{
		static const uint32_t one = 1;
		if (*(const uint8_t *)&one == 1) /* little-endian hosts */
			CHECK(digest_is(
			    a, "336817064824984dcc1388aabe0042d7cc4ab43c019f1472ee8cf99a973ab6ff"));
	}
	/* the same bytes split differently hash differently */
	crypto_sha256_chain(split1, 2, a);
	crypto_sha256_chain(split2, 2, b);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
}

static void test_pbkdf2(void)
{
	uint8_t dk[64], want[64];

	/* RFC 7914 s11 */
	crypto_pbkdf2_sha256("passwd", 6, (const uint8_t *)"salt", 4, 1, dk, sizeof(dk));
	hex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
	    "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
	    want, sizeof(want));
	CHECK(!memcmp(dk, want, sizeof(dk)));
	crypto_pbkdf2_sha256("Password", 8, (const uint8_t *)"NaCl", 4, 80000, dk, sizeof(dk));
	hex("4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
	    "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d",
	    want, sizeof(want));
	CHECK(!memcmp(dk, want, sizeof(dk)));
}

static void test_random_wipe(void)
{
	uint8_t a[32], b[32], zero[32] = {0};
	char secret[] = "hunter2";

	CHECK_RC(crypto_random(a, sizeof(a), NULL), SZTP_OK);
	CHECK_RC(crypto_random(b, sizeof(b), NULL), SZTP_OK);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(memcmp(a, zero, sizeof(a)) != 0);
	crypto_wipe(a, sizeof(a));
	CHECK(!memcmp(a, zero, sizeof(a)));
	crypto_wipe(secret, strlen(secret));
	CHECK(!memcmp(secret, zero, sizeof(secret)));
	crypto_wipe(NULL, 5); /* no-op */
}

int main(void)
{
	test_sha256();
	test_chain();
	test_pbkdf2();
	test_random_wipe();
	return unit_report("test_crypto");
}
