/*
 * passwd.c - salted password hashes for HTTP Basic device authentication
 * (RFC 8572 s5.3 lets a device authenticate with HTTP auth instead of, or
 * as well as, its IDevID).  PBKDF2-HMAC-SHA256 (crypto.h) with a random
 * 16-byte salt.  Verification compares in constant time and costs the same
 * for unknown users (no existence oracle, RFC 8572 s9.6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "passwd.h"
#include "util.h"

#define PASSWD_ITER 4096
#define PASSWD_SALT 16
#define PASSWD_DK   32

/* A hash of a random password, verified when the user is unknown. */
static const char dummy_hash[] = "$pbkdf2-sha256$4096$c3p0cC1kdW1teS1zYWx0IQ==$"
				 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

sztp_rc passwd_hash(const char *password, char out[PASSWD_HASH_MAX], struct sztp_err *e)
{
	uint8_t salt[PASSWD_SALT], dk[PASSWD_DK];
	char *s64 = NULL, *d64 = NULL;
	sztp_rc rc = SZTP_E_CRYPTO;

	out[0] = '\0';
	if (crypto_random(salt, sizeof(salt), NULL) != SZTP_OK) {
		sztp_err_set(e, rc, "no randomness for a password salt");
		goto out;
	}
	crypto_pbkdf2_sha256(password, strlen(password), salt, sizeof(salt), PASSWD_ITER, dk,
			     sizeof(dk));
	if ((rc = b64_encode(salt, sizeof(salt), &s64, e)) != SZTP_OK ||
	    (rc = b64_encode(dk, sizeof(dk), &d64, e)) != SZTP_OK)
		goto out;
	snprintf(out, PASSWD_HASH_MAX, "$pbkdf2-sha256$%d$%s$%s", PASSWD_ITER, s64, d64);
out:
	crypto_wipe(dk, sizeof(dk));
	free(s64);
	free(d64);
	return rc;
}

int passwd_verify(const char *password, const char *stored)
{
	char copy[PASSWD_HASH_MAX], *iter_s, *salt_s, *dk_s, *end;
	sztp_bytes salt = {0}, want = {0};
	uint8_t dk[PASSWD_DK];
	unsigned long iter;
	int known = stored != NULL, ok = 0;

	if (!stored)
		stored = dummy_hash;
	if (strlen(stored) >= sizeof(copy) || strncmp(stored, "$pbkdf2-sha256$", 15))
		return 0;
	strcpy(copy, stored + 15);
	iter_s = copy;
	salt_s = strchr(iter_s, '$');
	if (!salt_s)
		return 0;
	*salt_s++ = '\0';
	dk_s = strchr(salt_s, '$');
	if (!dk_s)
		return 0;
	*dk_s++ = '\0';
	iter = strtoul(iter_s, &end, 10);
	if (*end || iter < 1 || iter > 10000000)
		return 0;
	if (b64_decode(salt_s, strlen(salt_s), &salt, NULL) != SZTP_OK)
		goto out;
	if (b64_decode(dk_s, strlen(dk_s), &want, NULL) != SZTP_OK || want.len != PASSWD_DK)
		goto out;
	crypto_pbkdf2_sha256(password, strlen(password), salt.data, salt.len, (unsigned)iter, dk,
			     sizeof(dk));
	ok = ct_equal(dk, want.data, PASSWD_DK) && known;
	crypto_wipe(dk, sizeof(dk));
out:
	sztp_bytes_free(&salt);
	sztp_bytes_free(&want);
	return ok;
}
