/*
 * passwd.c - salted password hashes for HTTP Basic device authentication
 * (RFC 8572 s5.3 lets a device authenticate with HTTP auth instead of, or
 * as well as, its IDevID).  PBKDF2-HMAC-SHA256 (crypto.h) with a random
 * 16-byte salt and a cost (iterations) carried in each hash.  Verification
 * compares in constant time and can be held to a minimum amount of work,
 * so unknown users, malformed hashes and older cheaper hashes cost as much
 * as a current one (no existence oracle, RFC 8572 s9.6).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "passwd.h"
#include "util.h"

#define PASSWD_SALT   16
#define PASSWD_DK     32
#define PASSWD_PREFIX "$pbkdf2-sha256$"

static atomic_ulong derivations;

static const uint8_t dummy_salt[PASSWD_SALT] = "sztp-dummy-salt!";

static void derive(const char *password, const uint8_t *salt, size_t salt_len, unsigned iter,
		   uint8_t dk[PASSWD_DK])
{
	atomic_fetch_add(&derivations, 1);
	crypto_pbkdf2_sha256(password, strlen(password), salt, salt_len, iter, dk, PASSWD_DK);
}

unsigned long passwd_derivations(void)
{
	return atomic_load(&derivations);
}

sztp_rc passwd_hash_cost(const char *password, unsigned cost, char out[PASSWD_HASH_MAX],
			 struct sztp_err *e)
{
	uint8_t salt[PASSWD_SALT], dk[PASSWD_DK];
	char *s64 = NULL, *d64 = NULL;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	out[0] = '\0';
	memset(dk, 0, sizeof(dk));
	if (cost < PASSWD_COST_MIN || cost > PASSWD_COST_MAX) {
		sztp_err_set(e, rc, "password cost %u is outside %d..%d", cost, PASSWD_COST_MIN,
			     PASSWD_COST_MAX);
		goto out;
	}
	rc = SZTP_E_CRYPTO;
	if (crypto_random(salt, sizeof(salt), NULL) != SZTP_OK) {
		sztp_err_set(e, rc, "no randomness for a password salt");
		goto out;
	}
	derive(password, salt, sizeof(salt), cost, dk);
	if ((rc = b64_encode(salt, sizeof(salt), &s64, e)) != SZTP_OK ||
	    (rc = b64_encode(dk, sizeof(dk), &d64, e)) != SZTP_OK)
		goto out;
	snprintf(out, PASSWD_HASH_MAX, PASSWD_PREFIX "%u$%s$%s", cost, s64, d64);
out:
	crypto_wipe(dk, sizeof(dk));
	free(s64);
	free(d64);
	return rc;
}

sztp_rc passwd_hash(const char *password, char out[PASSWD_HASH_MAX], struct sztp_err *e)
{
	return passwd_hash_cost(password, PASSWD_COST_DEFAULT, out, e);
}

/* A stored hash taken apart; 0 when it is not one of ours. */
struct parsed {
	unsigned iter;
	sztp_bytes salt, dk;
};

static int parse(const char *stored, struct parsed *p)
{
	char copy[PASSWD_HASH_MAX], *iter_s, *salt_s, *dk_s, *end;
	unsigned long iter;
	int ok = 0;

	memset(p, 0, sizeof(*p));
	if (!stored || strlen(stored) >= sizeof(copy) ||
	    strncmp(stored, PASSWD_PREFIX, strlen(PASSWD_PREFIX)))
		return 0;
	strcpy(copy, stored + strlen(PASSWD_PREFIX));
	iter_s = copy;
	salt_s = strchr(iter_s, '$');
	if (!salt_s)
		goto out;
	*salt_s++ = '\0';
	dk_s = strchr(salt_s, '$');
	if (!dk_s)
		goto out;
	*dk_s++ = '\0';
	iter = strtoul(iter_s, &end, 10);
	if (*end || end == iter_s || iter < 1 || iter > PASSWD_COST_MAX)
		goto out;
	if (b64_decode(salt_s, strlen(salt_s), &p->salt, NULL) != SZTP_OK || !p->salt.len)
		goto out;
	if (b64_decode(dk_s, strlen(dk_s), &p->dk, NULL) != SZTP_OK || p->dk.len != PASSWD_DK)
		goto out;
	p->iter = (unsigned)iter;
	ok = 1;
out:
	if (!ok) {
		sztp_bytes_free(&p->salt);
		sztp_bytes_free(&p->dk);
		p->iter = 0;
	}
	return ok;
}

unsigned passwd_cost(const char *stored)
{
	struct parsed p;
	unsigned iter = 0;

	if (parse(stored, &p))
		iter = p.iter;
	sztp_bytes_free(&p.salt);
	sztp_bytes_free(&p.dk);
	return iter;
}

int passwd_verify_cost(const char *password, const char *stored, unsigned min_cost)
{
	uint8_t dk[PASSWD_DK];
	struct parsed p;
	int ok = 0, usable;

	if (!min_cost)
		min_cost = PASSWD_COST_DEFAULT;
	usable = parse(stored, &p);
	if (usable) {
		derive(password, p.salt.data, p.salt.len, p.iter, dk);
		ok = ct_equal(dk, p.dk.data, PASSWD_DK);
	}
	/* what the real derivation did not spend, spent on the dummy: an
	 * unknown user (or a broken hash) costs min_cost, an old cheap hash
	 * costs min_cost too */
	if (!usable || p.iter < min_cost)
		derive(password, dummy_salt, sizeof(dummy_salt), min_cost - (usable ? p.iter : 0),
		       dk);
	crypto_wipe(dk, sizeof(dk));
	sztp_bytes_free(&p.salt);
	sztp_bytes_free(&p.dk);
	return ok;
}

int passwd_verify(const char *password, const char *stored)
{
	unsigned cost = passwd_cost(stored);

	return passwd_verify_cost(password, stored, cost ? cost : PASSWD_COST_DEFAULT);
}

sztp_rc passwd_generate(char *out, size_t outlen, size_t len, struct sztp_err *e)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t buf[64];
	size_t got = 0, i;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	if (outlen)
		out[0] = '\0';
	if (len < 16 || len >= PASSWD_GEN_MAX || outlen <= len)
		return sztp_err_set(e, rc, "a generated password has 16 to %d characters",
				    PASSWD_GEN_MAX - 1);
	while (got < len) {
		if (crypto_random(buf, sizeof(buf), NULL) != SZTP_OK) {
			rc = sztp_err_set(e, SZTP_E_CRYPTO, "no randomness for a password");
			goto out;
		}
		/* rejection sampling: 248 = 4 * 62, so every character is
		 * equally likely */
		for (i = 0; i < sizeof(buf) && got < len; i++)
			if (buf[i] < 248)
				out[got++] = alphabet[buf[i] % 62];
	}
	out[got] = '\0';
	rc = SZTP_OK;
out:
	crypto_wipe(buf, sizeof(buf));
	if (rc != SZTP_OK)
		crypto_wipe(out, outlen);
	return rc;
}
