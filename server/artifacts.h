/*
 * artifacts.h - prepared conveyed information.  The CMS a device gets
 * depends only on its profile, the owner identity, the encoding and
 * whether it is signed, so it is built once and reused until the profile
 * or owner revision changes: no signing and no key-file read per request.
 */
#ifndef SZTPD_ARTIFACTS_H
#define SZTPD_ARTIFACTS_H

#include "registry.h"
#include "yang.h"

struct artifacts;
struct server;

struct conveyed_out {
	char *ci_b64;	       /* conveyed-information CMS, base64 */
	char *oc_b64;	       /* owner-certificate CMS, base64; NULL when unsigned */
	int os_fields_omitted; /* p's omit-os-fields left boot-image os-name/os-version out */
};

sztp_rc artifacts_new(struct server *s, struct artifacts **out, struct sztp_err *e);
void artifacts_free(struct artifacts *a);

/* Copy out the prepared artifacts for profile p, as read with the device
 * (reg_bootstrap_get: name, revision and lenient, whose
 * REG_LENIENT_OMIT_OS_FIELDS selects the document without boot-image
 * os-name/os-version; its document is not needed) and
 * owner_rev, the revision of p's owner identity (ignored unless sign).
 * Nothing is read from the registry while the prepared entry matches
 * both revisions; otherwise the profile and owner identity are read in
 * full and the entry rebuilt (the owner key file is read only when the
 * owner identity changed).  On failure *out is zeroed. */
sztp_rc artifacts_get(struct artifacts *a, const struct reg_profile *p, int64_t owner_rev,
		      enum yang_enc enc, int sign, struct conveyed_out *out, struct sztp_err *e);
void conveyed_out_clear(struct conveyed_out *o);

/* The validity window of d's enrolled voucher: as stored with it by
 * sztpctl (which verified it), or else parsed, checked for d's serial
 * number and remembered per device revision, so it is parsed at most once.
 * The caller checks the window against its clock. */
sztp_rc artifacts_voucher_window(struct artifacts *a, const struct reg_device *d,
				 time_t *created_on, time_t *expires_on, struct sztp_err *e);

#endif
