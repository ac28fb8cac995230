/*
 * passwd.h - salted password hashes for HTTP Basic device authentication
 * (RFC 8572 s5.3 allows HTTP auth as an alternative to a client
 * certificate).  PBKDF2-HMAC-SHA256 with a random 16-byte salt, stored as
 * "$pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>"; verification is
 * constant-time.
 */
#ifndef SZTP_PASSWD_H
#define SZTP_PASSWD_H

#include "result.h"

#define PASSWD_HASH_MAX 160

sztp_rc passwd_hash(const char *password, char out[PASSWD_HASH_MAX], struct sztp_err *e);
/* Returns 1 when password matches stored.  With stored == NULL it does the
 * same work against a dummy hash and returns 0, so an unknown user costs
 * the same time as a known one. */
int passwd_verify(const char *password, const char *stored);

#endif
