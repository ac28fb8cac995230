/*
 * passwd.h - salted password hashes for HTTP Basic device authentication
 * (RFC 8572 s5.3 allows HTTP auth as an alternative to a client
 * certificate).  PBKDF2-HMAC-SHA256 with a random 16-byte salt, stored as
 * "$pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>": every hash carries
 * its own cost, so hashes made with an older, lower cost still verify
 * after the configured cost is raised; verification is constant-time.
 */
#ifndef SZTP_PASSWD_H
#define SZTP_PASSWD_H

#include <stddef.h>

#include "result.h"

#define PASSWD_HASH_MAX 160

/* The cost of new hashes unless configured otherwise: PBKDF2-HMAC-SHA256
 * iterations, OWASP Password Storage Cheat Sheet (2023). */
#define PASSWD_COST_DEFAULT 600000
/* Bounds of a configured cost (sztpd's password-cost); a stored hash may
 * carry any cost from 1 to PASSWD_COST_MAX (older releases wrote 4096). */
#define PASSWD_COST_MIN 1000
#define PASSWD_COST_MAX 10000000

/* Hash with PASSWD_COST_DEFAULT iterations. */
sztp_rc passwd_hash(const char *password, char out[PASSWD_HASH_MAX], struct sztp_err *e);
/* Hash with `cost` iterations (PASSWD_COST_MIN..PASSWD_COST_MAX). */
sztp_rc passwd_hash_cost(const char *password, unsigned cost, char out[PASSWD_HASH_MAX],
			 struct sztp_err *e);

/* Returns 1 when password matches stored, at the cost stored carries.
 * With stored == NULL it does the same work against a dummy hash of
 * PASSWD_COST_DEFAULT iterations and returns 0. */
int passwd_verify(const char *password, const char *stored);
/* passwd_verify doing at least min_cost iterations of PBKDF2 work
 * whatever stored carries (the difference is spent on a dummy
 * derivation): an unknown user (stored == NULL: min_cost iterations), a
 * malformed hash and a hash of a lower, older cost all take as long as a
 * current hash, so the time of a refusal tells nothing (RFC 8572 s9.6).
 * min_cost 0 means PASSWD_COST_DEFAULT. */
int passwd_verify_cost(const char *password, const char *stored, unsigned min_cost);

/* The iterations a stored hash carries; 0 when it is not a hash of ours. */
unsigned passwd_cost(const char *stored);

/* PBKDF2 derivations run so far by this process (verifications, dummy
 * work and new hashes): lets tests see that a cached verification did
 * not recompute the hash. */
unsigned long passwd_derivations(void);

/* A random password of `len` characters (16..PASSWD_GEN_MAX-1) from
 * [A-Za-z0-9] (5.95 bits each: 24 characters are 142 bits), NUL-terminated
 * in out (outlen > len). */
#define PASSWD_GEN_LEN 24
#define PASSWD_GEN_MAX 128
sztp_rc passwd_generate(char *out, size_t outlen, size_t len, struct sztp_err *e);

#endif
