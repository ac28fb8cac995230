/*
 * crypto.c - SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and
 * PBKDF2-HMAC-SHA256 (RFC 8018 s5.2) on nettle, random bytes and wiping
 * on GnuTLS (gnutls_rnd, gnutls_memset).  The only includer of nettle:
 * util (file hashes), passwd (device password hashes), the server's chain
 * cache and webhook signatures use these through crypto.h.
 */
#include <stdalign.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/hmac.h>
#include <nettle/pbkdf2.h>
#include <nettle/sha2.h>

#include "crypto.h"

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(struct crypto_sha256),
	       "struct crypto_sha256 is too small for nettle's sha256_ctx");
_Static_assert(alignof(struct sha256_ctx) <= alignof(struct crypto_sha256),
	       "struct crypto_sha256 is not aligned for nettle's sha256_ctx");
_Static_assert(CRYPTO_SHA256_LEN == SHA256_DIGEST_SIZE, "SHA-256 digest size");

static struct sha256_ctx *ctx(struct crypto_sha256 *h)
{
	return (struct sha256_ctx *)(void *)h->opaque;
}

void crypto_sha256_init(struct crypto_sha256 *h)
{
	sha256_init(ctx(h));
}

void crypto_sha256_update(struct crypto_sha256 *h, const void *data, size_t len)
{
	if (len)
		sha256_update(ctx(h), len, data);
}

void crypto_sha256_final(struct crypto_sha256 *h, uint8_t out[CRYPTO_SHA256_LEN])
{
	sha256_digest(ctx(h), CRYPTO_SHA256_LEN, out);
	crypto_wipe(h, sizeof(*h));
}

void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
	struct crypto_sha256 h;

	crypto_sha256_init(&h);
	crypto_sha256_update(&h, data, len);
	crypto_sha256_final(&h, out);
}

void crypto_sha256_chain(const sztp_bytes *certs, size_t n, uint8_t out[CRYPTO_SHA256_LEN])
{
	struct crypto_sha256 h;
	size_t i;

	crypto_sha256_init(&h);
	for (i = 0; i < n; i++) {
		uint32_t l = (uint32_t)certs[i].len; /* length-prefixed: no ambiguity */
		crypto_sha256_update(&h, &l, sizeof(l));
		crypto_sha256_update(&h, certs[i].data, certs[i].len);
	}
	crypto_sha256_final(&h, out);
}

sztp_rc crypto_random(void *buf, size_t len, struct sztp_err *e)
{
	if (gnutls_rnd(GNUTLS_RND_RANDOM, buf, len) < 0)
		return sztp_err_set(e, SZTP_E_CRYPTO, "no randomness available (%zu bytes asked)",
				    len);
	return SZTP_OK;
}

void crypto_pbkdf2_sha256(const void *password, size_t password_len, const uint8_t *salt,
			  size_t salt_len, unsigned iter, uint8_t *out, size_t out_len)
{
	pbkdf2_hmac_sha256(password_len, password, iter, salt_len, salt, out_len, out);
}

void crypto_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
			uint8_t out[CRYPTO_SHA256_LEN])
{
	struct hmac_sha256_ctx h;

	hmac_sha256_set_key(&h, klen, key);
	hmac_sha256_update(&h, mlen, msg);
	hmac_sha256_digest(&h, CRYPTO_SHA256_LEN, out);
	crypto_wipe(&h, sizeof(h)); /* holds the key's inner and outer pads */
}

void crypto_wipe(void *p, size_t len)
{
	if (p && len)
		gnutls_memset(p, 0, len);
}
