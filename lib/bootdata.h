/*
 * bootdata.h - the CMS artifacts of RFC 8572 s3 that bootstrapping data
 * is made of, built from a profile's conveyed information and an owner
 * identity: conveyed information as a bare ContentInfo (unsigned) or as
 * SignedData by the owner's key (s3.1; eContentType .43 for JSON, .42 for
 * XML), and the owner-certificate as a certs-only SignedData of the owner
 * chain (s3.2).  sztpd (server/artifacts.c) caches them per profile and
 * owner revision; `sztpctl dns` (admin/dns.c) publishes them in DNS
 * (s4.2).  One builder, so both give a device the same data.
 */
#ifndef SZTP_BOOTDATA_H
#define SZTP_BOOTDATA_H

#include "registry.h"
#include "yang.h"

/* An owner identity ready to sign: its private key (in the pki signer
 * object; never copied out) and its owner-certificate CMS. */
struct bootdata_owner {
	struct pki_signer *signer;
	sztp_bytes oc; /* certs-only SignedData of the owner chain, DER */
};

/* Load o's key file (permissions checked: pki_key_file_check) with its
 * chain and build its owner-certificate.  On failure *out is zeroed. */
sztp_rc bootdata_owner_load(const struct reg_owner *o, struct bootdata_owner *out,
			    struct sztp_err *e);
void bootdata_owner_clear(struct bootdata_owner *o);

/* The conveyed-information CMS (DER) of json, a profile's document:
 * signed by signer (NULL: unsigned, a bare ContentInfo), encoded as
 * enc (YANG_ENC_XML converts json with y; y may be NULL for JSON).  On
 * failure *out is empty. */
sztp_rc bootdata_conveyed(struct sztp_yang *y, const char *json, enum yang_enc enc,
			  const struct pki_signer *signer, sztp_bytes *out, struct sztp_err *e);

#endif
