/*
 * pki_internal.h - the GnuTLS objects behind struct pki_trust and
 * struct pki_signer, shared by pki.c and cms.c only (the rest of the
 * code sees DER in sztp_bytes and the opaque types of pki.h).
 */
#ifndef SZTP_PKI_INTERNAL_H
#define SZTP_PKI_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "pki.h"

#define PKI_ISSUER_CACHE 32

/* An intermediate CA certificate that was itself verified to the trust
 * list for a key purpose; leaves it issued then need one signature check
 * instead of the whole path. */
struct pki_issuer {
	uint8_t hash[32]; /* SHA-256 of its DER */
	char purpose[64]; /* "" = none */
	time_t not_after; /* re-verify past this */
};

struct pki_trust {
	/* Read-only after load: GnuTLS verifies against one trust list from
	 * many sessions at once (shared certificate credentials), so
	 * concurrent gnutls_x509_trust_list_verify_crt2 calls are safe. */
	gnutls_x509_trust_list_t tl;
	size_t n_anchors;
	pthread_mutex_t mu; /* guards issuers */
	struct pki_issuer issuers[PKI_ISSUER_CACHE];
	size_t n_issuers, next_issuer;
	/* pki_trust_stats */
	atomic_ulong n_path_verifies, n_issuer_hits, n_issuers_stored;
};

struct pki_signer {
	gnutls_privkey_t key;
	gnutls_x509_crt_t leaf; /* parsed chain[0] */
	sztp_bytes *chain;	/* DER, leaf first */
	size_t n;
	int is_rsa;
};

#endif
