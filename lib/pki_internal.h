/*
 * pki_internal.h - the GnuTLS objects behind struct pki_trust (a
 * swappable, refcounted set of anchors and CRLs) and struct pki_signer,
 * shared by pki.c and cms.c only (the rest of the code sees DER in
 * sztp_bytes and the opaque types of pki.h).
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
	unsigned group;	  /* the anchor group it verified to: its rules apply */
};

/* A CRL (RFC 5280 s5) reduced to what revocation checks read: plain
 * data, read-only after load (no GnuTLS object shared between threads). */
struct pki_crl_serial {
	uint8_t len;
	uint8_t b[32]; /* big-endian, leading zero octets stripped */
};

struct pki_crl {
	char *name;			/* "CRL FILE" or "CRL #k of FILE", for messages */
	sztp_bytes der;			/* as loaded: signature checks against intermediates */
	sztp_bytes issuer;		/* raw DER of its issuer name */
	time_t this_update;		/* thisUpdate */
	time_t next_update;		/* nextUpdate, (time_t)-1 when absent */
	int by_anchor;			/* issued by an anchor: signature checked at load */
	struct pki_crl_serial *revoked; /* sorted */
	size_t n_revoked;
};

/* One CRL signature checked against one issuer key (SHA-256 key id). */
struct pki_crl_check {
	size_t crl; /* index in crls */
	uint8_t key_id[32];
	int ok;
};

#define PKI_CRL_CHECKS	    16
#define PKI_CRL_FILE_MAX    (64 * 1024 * 1024)
#define PKI_CRL_ENTRIES_MAX (4 * 1024 * 1024)

/* The anchors of one configuration line (client-ca, or one
 * manufacturer-ca) and the rules of the chains that verify to them.
 * Read-only after load: GnuTLS verifies against one trust list from
 * many sessions at once (shared certificate credentials), so concurrent
 * gnutls_x509_trust_list_verify_crt2 calls are safe. */
struct pki_trust_group {
	gnutls_x509_trust_list_t tl;
	size_t n_anchors;
	unsigned vflags;		  /* GnuTLS verification flags (allow=sha1) */
	enum pki_serial_rule serial_rule; /* how the serial is read from the leaf */
	unsigned allow;			  /* PKI_ALLOW_* */
	char name[64];			  /* for logs: the file's base name */
};

/* What one load verifies against: anchor groups, CRLs, and the caches
 * built on them (so a reload drops every cached verification).
 * Refcounted: each verification holds a reference for its whole run. */
struct pki_trust_set {
	atomic_uint refs;
	/* tried in order; the first whose anchors verify a chain decides its
	 * rules (a set from pki_trust_load* has one group, with the defaults) */
	struct pki_trust_group groups[PKI_ANCHOR_GROUPS_MAX];
	size_t n_groups;
	struct pki_crl *crls;
	size_t n_crls;
	pthread_mutex_t mu; /* guards issuers and checks */
	struct pki_issuer issuers[PKI_ISSUER_CACHE];
	size_t n_issuers, next_issuer;
	struct pki_crl_check checks[PKI_CRL_CHECKS];
	size_t n_checks, next_check;
};

/* The handle callers hold: the current set, swapped by
 * pki_trust_replace under mu, and counters over every set it had. */
struct pki_trust {
	pthread_mutex_t mu; /* guards set (the pointer, not its contents) */
	struct pki_trust_set *set;
	atomic_ulong generation;
	/* pki_trust_stats */
	atomic_ulong n_path_verifies, n_issuer_hits, n_issuers_stored, n_revoked;
};

struct pki_signer {
	gnutls_privkey_t key;
	gnutls_x509_crt_t leaf; /* parsed chain[0] */
	sztp_bytes *chain;	/* DER, leaf first */
	size_t n;
	int is_rsa;
};

/* pki.c's certificate and key helpers that pki_tls.c (the TLS server
 * credentials) uses too. */
sztp_rc crt_import(const sztp_bytes *der, gnutls_x509_crt_t *out, struct sztp_err *e);
void crt_subject(gnutls_x509_crt_t crt, char *out, size_t outlen);
sztp_rc xkey_import(const uint8_t *key, size_t len, gnutls_x509_privkey_t *out, struct sztp_err *e);
sztp_rc xkey_match(gnutls_x509_privkey_t xk, gnutls_x509_crt_t crt, struct sztp_err *e);
/* Read a key file after checking its permissions (pki_key_file_check). */
sztp_rc key_file_read(const char *path, sztp_bytes *key, struct sztp_err *e);

#endif
