/*
 * pki_internal.h - the GnuTLS objects behind struct pki_trust and
 * struct pki_signer, shared by pki.c and cms.c only (the rest of the
 * code sees DER in sztp_bytes).
 */
#ifndef SZTP_PKI_INTERNAL_H
#define SZTP_PKI_INTERNAL_H

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "pki.h"

struct pki_trust {
	/* Read-only after load: GnuTLS verifies against one trust list from
	 * many sessions at once (shared certificate credentials), so
	 * concurrent gnutls_x509_trust_list_verify_crt2 calls are safe. */
	gnutls_x509_trust_list_t tl;
	size_t n_anchors;
};

struct pki_signer {
	gnutls_privkey_t key;
	gnutls_x509_crt_t leaf; /* parsed chain[0] */
	sztp_bytes *chain;	/* DER, leaf first */
	size_t n;
	int is_rsa;
};

#endif
