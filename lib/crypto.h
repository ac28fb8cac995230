/*
 * crypto.h - the non-X.509 primitives every module needs: SHA-256 (one
 * shot, over several parts, over a certificate chain), random bytes,
 * PBKDF2-HMAC-SHA256, HMAC-SHA256 and a wipe the compiler cannot drop.  crypto.c is the
 * only includer of nettle and the only user of GnuTLS's raw primitives
 * (gnutls_rnd, gnutls_memset); X.509, keys and signatures are pki's, CMS
 * is cms's.  Nothing here allocates.
 */
#ifndef SZTP_CRYPTO_H
#define SZTP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

#define CRYPTO_SHA256_LEN 32

/* SHA-256 in progress.  The state is nettle's, kept opaque so that no
 * caller includes nettle; crypto.c checks at compile time that it fits. */
struct crypto_sha256 {
	uint64_t opaque[16];
};

/* SHA-256 of one buffer. */
void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_LEN]);

/* SHA-256 over several parts: init, update any number of times, final
 * (which wipes the state). */
void crypto_sha256_init(struct crypto_sha256 *h);
void crypto_sha256_update(struct crypto_sha256 *h, const void *data, size_t len);
void crypto_sha256_final(struct crypto_sha256 *h, uint8_t out[CRYPTO_SHA256_LEN]);

/* SHA-256 of a list of buffers (a certificate chain as sent), each as a
 * 4-byte length (uint32_t, host byte order) followed by its bytes, so that
 * no two different lists hash the same input.  An empty list hashes
 * nothing.  The result only ever identifies chains within one process
 * (a cache key), so host byte order is fine. */
void crypto_sha256_chain(const sztp_bytes *certs, size_t n, uint8_t out[CRYPTO_SHA256_LEN]);

/* len bytes from the system's cryptographic random generator (salts,
 * serial numbers).  SZTP_E_CRYPTO when none can be had. */
sztp_rc crypto_random(void *buf, size_t len, struct sztp_err *e);

/* PBKDF2-HMAC-SHA256 (RFC 8018 s5.2) of password with salt, iter
 * iterations (>= 1), into out_len bytes of out. */
void crypto_pbkdf2_sha256(const void *password, size_t password_len, const uint8_t *salt,
			  size_t salt_len, unsigned iter, uint8_t *out, size_t out_len);

/* HMAC-SHA256 (RFC 2104, FIPS 198-1) of msg under key (any length):
 * webhook signatures (events/webhook.c). */
void crypto_hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
			uint8_t out[CRYPTO_SHA256_LEN]);

/* Overwrite len bytes at p with zeros (not optimised away): passwords,
 * derived keys, private key text. */
void crypto_wipe(void *p, size_t len);

#endif
