/*
 * pki.h - X.509 on GnuTLS: PEM chains, private keys (with a file
 * permission check), signers, trust lists (reloadable, with CRLs), chain
 * verification with key purpose, revocation and a verified-issuer cache,
 * certificate fields (subject
 * serialNumber, OID 2.5.4.5, IEEE 802.1AR practice, RFC 8572 s5.3, s9.6;
 * validity; keyUsage; AKI) and the client chain of a TLS session.
 * Minting certificates (sztp-pki) is pki_mint.h.
 *
 * Certificates cross module boundaries as DER in sztp_bytes; the GnuTLS
 * objects stay inside pki.c, pki_mint.c and cms.c (pki_internal.h), so no
 * caller includes GnuTLS.
 */
#ifndef SZTP_PKI_H
#define SZTP_PKI_H

#include <time.h>

#include "result.h"

#define PKI_OID_KP_CLIENT_AUTH "1.3.6.1.5.5.7.3.2"
#define PKI_OID_KP_SERVER_AUTH "1.3.6.1.5.5.7.3.1"
#define PKI_SERIAL_MAX	       128

/* keyUsage bits (RFC 5280 s4.2.1.3), as pki_cert_key_usage reports them
 * and struct mint_profile takes them (the values of GnuTLS's flags). */
#define PKI_KU_DIGITAL_SIGNATURE 0x80
#define PKI_KU_NON_REPUDIATION	 0x40
#define PKI_KU_KEY_ENCIPHERMENT	 0x20
#define PKI_KU_DATA_ENCIPHERMENT 0x10
#define PKI_KU_KEY_AGREEMENT	 0x08
#define PKI_KU_KEY_CERT_SIGN	 0x04
#define PKI_KU_CRL_SIGN		 0x02

/* ---- certificate lists ---------------------------------------------- */

/* Parse every CERTIFICATE block of a PEM text into DER, in file order. */
sztp_rc pki_pem_certs_parse(const char *pem, size_t len, sztp_bytes **certs, size_t *n,
			    struct sztp_err *e);
/* Same, reading a file (capped at 1 MiB). */
sztp_rc pki_pem_certs_read(const char *path, sztp_bytes **certs, size_t *n, struct sztp_err *e);
/* Encode DER certificates as PEM text (NUL-terminated, new string). */
sztp_rc pki_certs_to_pem(const sztp_bytes *certs, size_t n, char **pem, struct sztp_err *e);
void pki_certs_free(sztp_bytes *certs, size_t n);

/* What a device serial number may be - the one rule of the certificate
 * reader below, sztpctl and sztp-pki: 1..PKI_SERIAL_MAX-1 bytes of valid
 * UTF-8 without control characters (Unicode Cc: C0, DEL, C1).  Every
 * other character, the RFC 4514 specials + , ; " \ < > # and spaces
 * included, is part of the serial and taken literally.
 * SZTP_E_INVALID_VALUE says why not. */
sztp_rc pki_serial_check(const char *s, struct sztp_err *e);

/* Subject serialNumber (2.5.4.5) of a DER certificate: the attribute's
 * value decoded from its DER string (PrintableString, UTF8String,
 * IA5String, VisibleString, BMPString or UniversalString) as UTF-8, not
 * its DN rendering - "SN+1" stays "SN+1".  SZTP_E_NOT_FOUND when absent;
 * SZTP_E_INVALID_VALUE when it breaks pki_serial_check's rule, does not
 * fit outlen, or the subject holds two serialNumbers; SZTP_E_UNSUPPORTED
 * for another string type (TeletexString...).  out is NUL-terminated ("" on
 * failure). */
sztp_rc pki_cert_serial_number(const sztp_bytes *cert, char *out, size_t outlen,
			       struct sztp_err *e);
/* notBefore / notAfter of a DER certificate. */
sztp_rc pki_cert_validity(const sztp_bytes *cert, time_t *not_before, time_t *not_after,
			  struct sztp_err *e);
/* Subject DN as a string (for messages). */
sztp_rc pki_cert_subject(const sztp_bytes *cert, char *out, size_t outlen, struct sztp_err *e);
/* Issuer DN as a string (the owner identities of the admin API). */
sztp_rc pki_cert_issuer(const sztp_bytes *cert, char *out, size_t outlen, struct sztp_err *e);
/* Authority key identifier (for the voucher's idevid-issuer). */
sztp_rc pki_cert_aki(const sztp_bytes *cert, sztp_bytes *out, struct sztp_err *e);
/* keyUsage of a DER certificate: PKI_KU_* bits and whether the extension
 * is critical.  SZTP_E_NOT_FOUND when the certificate has no keyUsage
 * (then any usage is allowed, RFC 5280 s4.2.1.3); both outputs are 0 on
 * any failure. */
sztp_rc pki_cert_key_usage(const sztp_bytes *der, unsigned *usage_bits, int *critical,
			   struct sztp_err *e);
/* 1 if a and b are byte-identical certificates. */
int pki_cert_equal(const sztp_bytes *a, const sztp_bytes *b);

/* ---- private keys and signers ---------------------------------------- */

/* Refuse a key file that is group/world accessible or not a regular file
 * (SZTP_E_PERM names the path and the mode). */
sztp_rc pki_key_file_check(const char *path, struct sztp_err *e);

/* A private key with its certificate chain (leaf first).  Used by the CMS
 * module to sign; the key never leaves this object. */
struct pki_signer;

/* Load key (PEM, PKCS#8 or traditional; permissions checked) and chain
 * (PEM, leaf first); fails with SZTP_E_MISMATCH when the key does not
 * belong to the leaf certificate. */
sztp_rc pki_signer_load(const char *key_path, const char *chain_path, struct pki_signer **out,
			struct sztp_err *e);
/* Same from memory (key PEM or DER, chain as DER list, copied). */
sztp_rc pki_signer_from_mem(const uint8_t *key, size_t key_len, const sztp_bytes *chain, size_t n,
			    struct pki_signer **out, struct sztp_err *e);
/* Borrow the chain (leaf first). */
const sztp_bytes *pki_signer_chain(const struct pki_signer *s, size_t *n);
/* Sign data with SHA-256: DER ECDSA-Sig-Value or PKCS#1 v1.5.
 * *is_rsa tells the caller which signatureAlgorithm to write. */
sztp_rc pki_signer_sign(const struct pki_signer *s, const uint8_t *data, size_t len,
			sztp_bytes *sig, int *is_rsa, struct sztp_err *e);
void pki_signer_free(struct pki_signer *s);

/* 1 if the key file's public key matches cert (key file permissions are
 * checked too). */
sztp_rc pki_key_matches_cert(const char *key_path, const sztp_bytes *cert, struct sztp_err *e);

/* ---- trust anchors ---------------------------------------------------- */

/* Trust anchors and, optionally, CRLs (RFC 5280 s5) for the certificates
 * under them.  The object is a handle: pki_trust_replace swaps what it
 * verifies against while other threads verify with it (each verification
 * runs to its end on the set it started with). */
struct pki_trust;

/* Anchors only (PEM file / DER list). */
sztp_rc pki_trust_load(const char *pem_path, struct pki_trust **out, struct sztp_err *e);
sztp_rc pki_trust_from_der(const sztp_bytes *certs, size_t n, struct pki_trust **out,
			   struct sztp_err *e);
/* Anchors (PEM) and the CRLs of n_crls files (each: PEM "X509 CRL"
 * blocks, or one DER CRL; crls may be NULL when n_crls is 0).  Refused
 * with a message naming the file: a CRL that does not parse, a delta,
 * partitioned or indirect CRL or one with an unknown critical extension,
 * and a CRL naming an anchor as issuer that the anchor did not sign.
 * Other CRLs are checked when used, against the issuer a chain shows. */
sztp_rc pki_trust_load2(const char *anchors, const char *const *crls, size_t n_crls,
			struct pki_trust **out, struct sztp_err *e);
/* Make t verify against what fresh holds (anchors, CRLs, empty caches),
 * atomically for concurrent verifiers; consumes fresh.  Increments t's
 * generation. */
void pki_trust_replace(struct pki_trust *t, struct pki_trust *fresh);
/* pki_trust_load2, then pki_trust_replace: a reload.  On failure t is
 * unchanged and e says why. */
sztp_rc pki_trust_reload(struct pki_trust *t, const char *anchors, const char *const *crls,
			 size_t n_crls, struct sztp_err *e);
/* Changes with every replace (starts at 1): a cache of verification
 * results must not be used across a change. */
unsigned long pki_trust_generation(const struct pki_trust *t);
/* Not while another thread still uses t. */
void pki_trust_free(struct pki_trust *t);

/* Verify chain[0] (the leaf) to an anchor of t, using chain[1..n-1] as
 * untrusted intermediates.  purpose_oid (may be NULL) is enforced where
 * the certificate carries an EKU.  now = 0 means the current time.  With
 * CRLs loaded, every certificate on the path is checked against the CRLs
 * of its issuer whose signature verifies with that issuer's key; a CA
 * that has CRLs loaded but none verifying with its key gets its
 * certificates refused; nextUpdate is not enforced (a stale CRL still
 * revokes).  SZTP_E_VERIFY or SZTP_E_EXPIRED with a reason ("issuer is
 * unknown", "certificate expired", "... is revoked (listed in CRL F)").
 * Thread-safe for concurrent readers, and against pki_trust_replace. */
sztp_rc pki_trust_verify(const struct pki_trust *t, const sztp_bytes *chain, size_t n,
			 const char *purpose_oid, time_t now, struct sztp_err *e);

/* pki_trust_verify at the current time, then the verified leaf's subject
 * serialNumber (as pki_cert_serial_number) and notAfter, from the same
 * parse: the server's per-request device authentication. */
sztp_rc pki_trust_verify_identity(const struct pki_trust *t, const sztp_bytes *chain, size_t n,
				  const char *purpose_oid, char *serial, size_t serial_len,
				  time_t *not_after, struct sztp_err *e);

/* ---- anchor groups: manufacturer anchors with their own rules (issue 13) --
 * A trust object may hold several groups of anchors, each from one file
 * (client-ca, each manufacturer-ca line) with the rules of the chains
 * that verify to it.  Groups are tried in order; the first whose anchors
 * verify a chain decides how its serial is read and which signature
 * algorithms its certificates may use.  CRLs apply to every group. */

/* How the device serial number is read from a verified leaf. */
enum pki_serial_rule {
	PKI_SERIAL_SUBJECT = 0, /* serial=subject: the subject serialNumber as is */
	PKI_SERIAL_SUDI = 1,	/* serial=sudi: the SN: token of "PID:<pid> SN:<serial>" */
};
/* What a group's certificates may do beyond the defaults. */
#define PKI_ALLOW_SHA1	      0x1u /* allow=sha1: RSA-SHA1 / ECDSA-SHA1 signatures */
#define PKI_ANCHOR_GROUPS_MAX 17   /* client-ca and 16 manufacturer-ca lines */
#define PKI_ANCHOR_NAME_MAX   64

struct pki_anchor_spec {
	const char *path; /* PEM anchors */
	enum pki_serial_rule serial_rule;
	unsigned allow; /* PKI_ALLOW_* */
};

/* Cisco SUDI serialNumber ("PID:C9300-24T SN:FOC2233X0AB"): the value of
 * its one space-separated token starting "SN:", which must then pass
 * pki_serial_check.  No such token, two of them or an empty one:
 * SZTP_E_INVALID_VALUE saying so; out is "" on failure. */
sztp_rc pki_serial_sudi(const char *subject_serial, char *out, size_t outlen, struct sztp_err *e);

/* pki_trust_load2 with n groups (1..PKI_ANCHOR_GROUPS_MAX), in order.
 * Messages name the file.  allow=sha1 is refused when this system's
 * GnuTLS policy would refuse SHA-1 signatures anyway (checked once per
 * process, on a built-in SHA-1 chain). */
sztp_rc pki_trust_load_groups(const struct pki_anchor_spec *g, size_t n, const char *const *crls,
			      size_t n_crls, struct pki_trust **out, struct sztp_err *e);

/* A device chain verified, and what its anchor group says of it. */
struct pki_device_id {
	char serial[PKI_SERIAL_MAX]; /* by the group's serial rule */
	time_t not_after;	     /* the leaf's */
	unsigned group;		     /* index of the group that verified it */
	enum pki_serial_rule serial_rule;
	unsigned allow;
	/* the group's file base name, filled only when its rules are not
	 * the defaults (no copying for the common case) */
	char anchor[PKI_ANCHOR_NAME_MAX];
	/* the failure was the serial rule (the chain did verify) */
	int serial_rule_failed;
};

/* pki_trust_verify_identity for the device path: the chain verified at
 * the current time to the first group that accepts it, the serial read by
 * that group's rule.  On failure id->serial is "" and e says why; a SHA-1
 * signature under a group without allow=sha1 is named as such. */
sztp_rc pki_trust_verify_device(const struct pki_trust *t, const sztp_bytes *chain, size_t n,
				const char *purpose_oid, struct pki_device_id *id,
				struct sztp_err *e);

/* Whether this process's GnuTLS policy (/etc/gnutls/config, or the file
 * GNUTLS_SYSTEM_PRIORITY_FILE names) accepts SHA-1 certificate signatures
 * by default (*by_default) and when allowed per call (*when_allowed),
 * probed once on a built-in chain. */
void pki_sha1_policy(int *by_default, int *when_allowed);

/* What a trust list has done since it was loaded; the issuer cache is
 * working when a fleet's chains turn into issuer_hits instead of
 * path_verifies. */
struct pki_trust_stats {
	/* whole paths verified to the anchors: one signature check per
	 * certificate on the path */
	unsigned long path_verifies;
	/* leaves checked against a cached intermediate: one signature check */
	unsigned long issuer_hits;
	/* intermediates remembered after verifying to the anchors alone */
	unsigned long issuers_stored;
	/* certificates refused because a CRL lists them */
	unsigned long revoked;
	/* pki_trust_generation */
	unsigned long generation;
	/* the current set's CRLs: how many, their entries, how many are
	 * past their nextUpdate now, and the earliest nextUpdate (0: none) */
	unsigned long crls, crl_entries, crls_stale;
	time_t crl_next_update;
};
void pki_trust_stats(const struct pki_trust *t, struct pki_trust_stats *out);

/* ---- TLS ---------------------------------------------------------------- */

/* The certificate chain the peer sent in a TLS session (a
 * gnutls_session_t, e.g. MHD_CONNECTION_INFO_GNUTLS_SESSION), as DER,
 * leaf first: fills at most max entries of out with pointers borrowed from
 * the session (valid while it lives) and returns their count; 0 when the
 * peer sent no X.509 certificate or session is NULL. */
size_t pki_tls_peer_chain(void *gnutls_session, sztp_bytes *out, size_t max);

/* ---- TLS server credentials (sztpd's listener) ------------------------ */

/* One server certificate and key of a listener (issue 13: a listener may
 * serve two, one ECDSA and one RSA). */
struct pki_tls_pair_info {
	char subject[160];  /* of the leaf; "" = no such pair */
	uint8_t sha256[32]; /* SHA-256 of the leaf's DER (its fingerprint) */
	time_t not_after;   /* of the leaf; 0 = unknown */
	char key[8];	    /* the key's type: "ecdsa", "rsa", "rsa-pss", "eddsa", ... */
};

/* What pki_tls_creds_info reports of the credentials being served: the
 * first pair (NAME-cert) in the top-level fields, the second
 * (NAME-alt-cert) in alt. */
struct pki_tls_info {
	char subject[160];	      /* of the leaf */
	uint8_t sha256[32];	      /* SHA-256 of the leaf's DER (its fingerprint) */
	time_t not_after;	      /* of the leaf; 0 = unknown */
	unsigned generation;	      /* 1 at load, +1 per successful reload */
	char key[8];		      /* the first pair's key type, as pki_tls_pair_info's */
	struct pki_tls_pair_info alt; /* alt.subject "" = one pair */
	/* handshakes given the ECDSA / the RSA pair since load (every
	 * listener serving the object counts) */
	unsigned long served_ecdsa, served_rsa;
};

/* The files of a listener's credentials.  NAME-alt-cert and
 * NAME-alt-key: a second chain and key, both or neither; with them the
 * two keys must be one ECDSA and one RSA. */
struct pki_tls_files {
	const char *cert, *key;		/* NAME-cert, NAME-key */
	const char *alt_cert, *alt_key; /* NAME-alt-cert, NAME-alt-key; NULL: one pair */
	const char *priority;		/* tls-priority; NULL: not checked (GnuTLS's NORMAL) */
};

/* Everything the listener will use, checked as it uses it (sztpd -n and
 * start-up): the chain in cert_path parses (a file holding a key says
 * so), key_path has safe permissions and parses (a file holding a
 * certificate says so), the key belongs to the leaf, and priority is a
 * GnuTLS priority string that enables at least one TLS version and
 * cipher.  Messages name the configuration key (tls-cert, tls-key,
 * tls-priority) and the file. */
sztp_rc pki_tls_check(const char *cert_path, const char *key_path, const char *priority,
		      struct sztp_err *e);
/* The same for one or two pairs (messages name tls-alt-cert and
 * tls-alt-key for the second; a half pair, two keys of one type or a key
 * neither ECDSA nor RSA next to a second pair are refused), and what
 * would be served into out (may be NULL; served_* and generation 0). */
sztp_rc pki_tls_check_files(const struct pki_tls_files *f, struct pki_tls_info *out,
			    struct sztp_err *e);
/* The tls-priority part of pki_tls_check alone. */
sztp_rc pki_tls_priority_check(const char *priority, struct sztp_err *e);

/* The server certificate chain and key a TLS listener hands out, per
 * handshake, through a GnuTLS certificate callback, so they can be
 * replaced while connections stay up.  Load: the checks of pki_tls_check
 * (priority aside). */
struct pki_tls_creds;
sztp_rc pki_tls_creds_load(const char *cert_path, const char *key_path, struct pki_tls_creds **out,
			   struct sztp_err *e);
/* The same for another listener: messages name the configuration keys
 * NAME-cert and NAME-key ("admin": admin-cert, admin-key), here and on
 * every reload. */
sztp_rc pki_tls_creds_load_named(const char *name, const char *cert_path, const char *key_path,
				 struct pki_tls_creds **out, struct sztp_err *e);
/* Load the files again; on success new handshakes get the new chain and
 * key (handshakes already done keep theirs), on failure nothing changes
 * and e says why.  Safe while handshakes run on other threads. */
sztp_rc pki_tls_creds_reload(struct pki_tls_creds *c, const char *cert_path, const char *key_path,
			     struct sztp_err *e);
/* One or two pairs (pki_tls_check_files' checks, messages naming NAME-cert,
 * NAME-alt-cert...).  With two, each handshake gets the ECDSA pair when
 * the client takes it - an ECDSA signature scheme that f->priority
 * enables among its signature_algorithms (on the key's curve where the
 * scheme names one) and, under TLS 1.2, an ECDHE-ECDSA cipher suite that
 * f->priority enables - and the RSA pair otherwise.  The TLS 1.2 part
 * needs each session watched (pki_tls_session_watch); unwatched, the
 * client is assumed to offer such a suite. */
sztp_rc pki_tls_creds_open(const char *name, const struct pki_tls_files *f,
			   struct pki_tls_creds **out, struct sztp_err *e);
/* pki_tls_creds_reload for one or two pairs; the number of pairs cannot
 * change (SZTP_E_INVALID_VALUE). */
sztp_rc pki_tls_creds_reload_files(struct pki_tls_creds *c, const struct pki_tls_files *f,
				   struct sztp_err *e);
void pki_tls_creds_info(struct pki_tls_creds *c, struct pki_tls_info *out);
/* 2 when c serves two pairs, 1 for one (0: c NULL). */
int pki_tls_creds_pairs(struct pki_tls_creds *c);
/* Before the handshake of a session (a gnutls_session_t) served by an
 * object with two pairs: a ClientHello hook that lets the choice see the
 * cipher suites the client offers.  One pair: not needed. */
void pki_tls_session_watch(void *gnutls_session);
/* The cipher suites of a ClientHello body (RFC 5246 s7.4.1.2, RFC 8446
 * s4.1.2: version, random, session id, then the suites), as the hook sees
 * it from the device segment: copies at most max suites (2 bytes each)
 * into cs and returns how many; 0 when the body is too short, the list's
 * length is odd or runs past the end, or it is empty. */
size_t pki_tls_hello_suites(const uint8_t *d, size_t len, uint8_t *cs, size_t max);
/* Replaced generations are kept until here (a handshake in progress may
 * still use one).  Only after every listener serving c has stopped; frees
 * c's callback slot. */
void pki_tls_creds_free(struct pki_tls_creds *c);
/* The gnutls_certificate_retrieve_function2 that serves c (for
 * MHD_OPTION_HTTPS_CERT_CALLBACK), as a plain function pointer so the
 * caller needs no GnuTLS header.  Each object gets its own function (one
 * of PKI_TLS_SLOTS: a listener each); asking again for the same object
 * gives the same function, so two listeners may serve one object.  NULL
 * when every slot serves another object. */
#define PKI_TLS_SLOTS 4
typedef void (*pki_fnptr)(void);
pki_fnptr pki_tls_creds_callback(struct pki_tls_creds *c);

/* SHA-256 of a DER certificate's SubjectPublicKeyInfo (DER), the input of
 * an HPKP-style pin (RFC 7469 s2.4): what IDevID pinning records.  out is
 * zeroed on failure. */
sztp_rc pki_cert_spki_sha256(const sztp_bytes *cert, uint8_t out[32], struct sztp_err *e);

#endif
