/*
 * pki_mint.h - the pki module's X.509 minting, used by sztp-pki (certs/):
 * key generation (ECDSA P-256 or RSA-2048), certificate issuance from a
 * profile (CA or leaf, subject, key usage, EKU, SANs, RFC 4108
 * hardwareModuleName), CRLs, and loading an existing certificate + key
 * pair.
 * GnuTLS stays inside pki_mint.c; the tool sees DER/PEM in sztp_bytes.
 */
#ifndef SZTP_PKI_MINT_H
#define SZTP_PKI_MINT_H

#include <time.h>

#include "pki.h"
#include "result.h"

/* RFC 4108 s5: id-on-hardwareModuleName. */
#define MINT_OID_HW_MODULE_NAME "1.3.6.1.5.5.7.8.4"
/* hwType used for --model names that are not OIDs: the IANA example
 * enterprise arc (RFC 5612) plus a hash of the model name. */
#define MINT_OID_HW_TYPE_ARC "1.3.6.1.4.1.32473.1"

/* What to put into one certificate. */
struct mint_profile {
	const char *cn;		 /* subject commonName (required) */
	const char *org;	 /* subject organizationName, NULL = none */
	const char *serial_attr; /* subject serialNumber (2.5.4.5), NULL = none */
	int is_ca;
	int pathlen;	       /* CA path length, -1 = unlimited */
	unsigned key_usage;    /* PKI_KU_* (pki.h) */
	const char *eku;       /* key purpose OID, NULL = no EKU */
	const char *san;       /* "DNS:x,IP:y" list, NULL = none */
	const char *hw_type;   /* hardwareModuleName hwType OID, NULL = none */
	const char *hw_serial; /* its hwSerialNum */
	time_t not_before;
	time_t not_after;
};

/* A certificate with (optionally) its private key. */
struct mint_ident;

/* Generate a key and issue a certificate for it.  issuer NULL means
 * self-signed.  rsa selects RSA-2048 instead of ECDSA P-256. */
sztp_rc mint_issue(const struct mint_profile *p, int rsa, const struct mint_ident *issuer,
		   struct mint_ident **out, struct sztp_err *e);

/* Load the first certificate of a PEM file and, when key_path is not
 * NULL, its private key (permissions checked; SZTP_E_MISMATCH when the
 * key does not belong to the certificate). */
sztp_rc mint_ident_load(const char *cert_path, const char *key_path, struct mint_ident **out,
			struct sztp_err *e);

/* Certificate as DER and as PEM text (borrowed). */
const sztp_bytes *mint_ident_der(const struct mint_ident *id);
const char *mint_ident_pem(const struct mint_ident *id);
int mint_ident_has_key(const struct mint_ident *id);
/* Private key as unencrypted PKCS#8 PEM (new buffer; wipe it). */
sztp_rc mint_ident_key_pem(const struct mint_ident *id, sztp_bytes *out, struct sztp_err *e);
/* subjectKeyIdentifier / authorityKeyIdentifier keyIdentifier. */
sztp_rc mint_ident_ski(const struct mint_ident *id, sztp_bytes *out, struct sztp_err *e);
sztp_rc mint_ident_aki(const struct mint_ident *id, sztp_bytes *out, struct sztp_err *e);
/* Value of subject attribute oid (first occurrence), "" when absent. */
sztp_rc mint_ident_dn_attr(const struct mint_ident *id, const char *oid, char *out, size_t len,
			   struct sztp_err *e);
void mint_ident_free(struct mint_ident *id);

/* A CRL (RFC 5280 s5, v2, SHA-256, with authorityKeyIdentifier and a
 * cRLNumber of the current time) signed by issuer (which needs its key)
 * revoking the n certificates certs (DER; each must name issuer as its
 * issuer: SZTP_E_MISMATCH otherwise) at this_update.  next_update 0: no
 * nextUpdate.  PEM text ("X509 CRL") into pem. */
sztp_rc mint_crl(const struct mint_ident *issuer, const sztp_bytes *certs, size_t n,
		 time_t this_update, time_t next_update, sztp_bytes *pem, struct sztp_err *e);

/* Check a "DNS:a,IP:b" list (for option errors before any minting). */
sztp_rc mint_san_check(const char *san, struct sztp_err *e);
/* hwType for --model: the value itself when it is a dotted OID, else
 * MINT_OID_HW_TYPE_ARC.<31-bit FNV-1a of the name>.  out holds 64. */
void mint_model_oid(const char *model, char out[64]);

/* Library init/deinit (gnutls_global_init). */
sztp_rc mint_global_init(struct sztp_err *e);
void mint_global_deinit(void);

#endif
