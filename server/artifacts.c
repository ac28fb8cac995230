/*
 * artifacts.c - caches the CMS artifacts of RFC 8572 s3 (built by
 * lib/bootdata.c, the builder `sztpctl dns` uses too): conveyed
 * information as a bare ContentInfo (unsigned) or as SignedData by the
 * owner's key (signed, s3.1), eContentType .43 for JSON and .42 for XML,
 * and the owner-certificate as a degenerate certs-only SignedData
 * (s3.2).  Entries are keyed by profile name, encoding, signing and the
 * profile's omit-os-fields leniency (issue 13: boot-image os-name and
 * os-version left out of the document before it is encoded and signed),
 * and are rebuilt when the profile's or the owner's revision changes (a
 * profile's revision changes with its leniency too: registry.h).  The
 * owner's private key is loaded (permissions checked) only when its
 * revision changes, and never leaves the pki signer object.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifacts.h"
#include "bootdata.h"
#include "signing.h"
#include "log.h"
#include "server.h"
#include "util.h"

struct entry {
	char profile[REG_NAME_MAX];
	enum yang_enc enc;
	int sign;
	int omit;    /* REG_LENIENT_OMIT_OS_FIELDS: built without os-name/os-version */
	int omitted; /* and the document had one of them to leave out */
	int64_t profile_rev;
	int64_t owner_rev;
	char *ci_b64;
	char *oc_b64;
};

struct signer_slot {
	char owner[REG_NAME_MAX];
	int64_t rev;
	struct bootdata_owner id; /* signer and owner-certificate */
	char *oc_b64;
};

#define VOUCHER_SLOTS 4096 /* direct-mapped by serial; a collision re-parses */

struct voucher_slot {
	char serial[PKI_SERIAL_MAX];
	int64_t revision;
	size_t len; /* of the voucher, a cheap extra guard */
	sztp_rc rc;
	time_t created_on, expires_on;
	char msg[96];
};

struct artifacts {
	struct server *s;
	pthread_mutex_t mu;
	pthread_mutex_t vmu; /* guards vouchers */
	struct voucher_slot *vouchers;
	struct entry *v;
	size_t n, cap;
	struct signer_slot signer;
};

sztp_rc artifacts_new(struct server *s, struct artifacts **out, struct sztp_err *e)
{
	struct artifacts *a = calloc(1, sizeof(*a));

	if (!a)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	a->vouchers = calloc(VOUCHER_SLOTS, sizeof(*a->vouchers));
	if (!a->vouchers) {
		free(a);
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	a->s = s;
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->vmu, NULL);
	*out = a;
	return SZTP_OK;
}

void artifacts_free(struct artifacts *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->v[i].ci_b64);
		free(a->v[i].oc_b64);
	}
	free(a->v);
	bootdata_owner_clear(&a->signer.id);
	free(a->signer.oc_b64);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->vmu);
	free(a->vouchers);
	free(a);
}

void conveyed_out_clear(struct conveyed_out *o)
{
	free(o->ci_b64);
	free(o->oc_b64);
	o->ci_b64 = o->oc_b64 = NULL;
	o->os_fields_omitted = 0;
}

/* Load the owner signer for owner o (called with a->mu held). */
static sztp_rc load_signer(struct artifacts *a, const struct reg_owner *o, struct sztp_err *e)
{
	struct bootdata_owner id = {0};
	char *oc_b64 = NULL;
	sztp_rc rc = bootdata_owner_load(o, &id, e);

	if (rc == SZTP_OK)
		rc = b64_encode(id.oc.data, id.oc.len, &oc_b64, e);
	if (rc != SZTP_OK) {
		bootdata_owner_clear(&id);
		return rc;
	}
	bootdata_owner_clear(&a->signer.id);
	free(a->signer.oc_b64);
	snprintf(a->signer.owner, sizeof(a->signer.owner), "%s", o->name);
	a->signer.rev = o->revision;
	a->signer.id = id;
	a->signer.oc_b64 = oc_b64;
	log_info("owner identity '%s' loaded (revision %lld)", o->name, (long long)o->revision);
	return SZTP_OK;
}

/* Build the conveyed-information CMS for p into ent (a->mu held). */
static sztp_rc build(struct artifacts *a, const struct reg_profile *p, struct entry *ent,
		     struct sztp_err *e)
{
	sztp_bytes cms = {0};
	char *trimmed = NULL;
	sztp_rc rc = SZTP_OK;

	ent->omitted = 0;
	if (ent->omit && p->conveyed_json &&
	    (rc = yang_conveyed_omit_os_fields(p->conveyed_json, &trimmed, e)) != SZTP_OK)
		return rc;
	ent->omitted = trimmed != NULL;
	rc = bootdata_conveyed(a->s->yang, trimmed ? trimmed : p->conveyed_json, ent->enc,
			       ent->sign ? a->signer.id.signer : NULL, &cms, e);
	free(trimmed);

	if (rc == SZTP_OK)
		rc = b64_encode(cms.data, cms.len, &ent->ci_b64, e);
	sztp_bytes_free(&cms);
	if (rc == SZTP_OK && ent->sign) {
		ent->oc_b64 = strdup(a->signer.oc_b64);
		if (!ent->oc_b64)
			rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	return rc;
}

static struct entry *slot(struct artifacts *a, const char *name, enum yang_enc enc, int sign,
			  int omit)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].enc == enc && a->v[i].sign == sign && a->v[i].omit == omit &&
		    !strcmp(a->v[i].profile, name))
			return &a->v[i];
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct entry *nv = realloc(a->v, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		a->v = nv;
		a->cap = cap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[0]));
	snprintf(a->v[a->n].profile, sizeof(a->v[0].profile), "%s", name);
	a->v[a->n].enc = enc;
	a->v[a->n].sign = sign;
	a->v[a->n].omit = omit;
	a->v[a->n].profile_rev = -1;
	return &a->v[a->n++];
}

/* Copy ent's artifacts to out (a->mu held). */
static sztp_rc copy_out(const struct entry *ent, struct conveyed_out *out, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;

	out->ci_b64 = strdup(ent->ci_b64);
	out->oc_b64 = ent->oc_b64 ? strdup(ent->oc_b64) : NULL;
	out->os_fields_omitted = ent->omitted;
	if (!out->ci_b64 || (ent->oc_b64 && !out->oc_b64)) {
		conveyed_out_clear(out);
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	rc = SZTP_OK;
out:
	return rc;
}

/* The entry for (p, enc, sign) as built from the profile and owner
 * identity as they are now (a->mu held).  Reads both in full. */
static sztp_rc rebuild(struct artifacts *a, struct entry *ent, const char *profile,
		       struct sztp_err *e)
{
	struct reg_profile full = {0};
	struct reg_owner owner = {0};
	sztp_rc rc;

	free(ent->ci_b64);
	free(ent->oc_b64);
	ent->ci_b64 = ent->oc_b64 = NULL;
	ent->profile_rev = -1;
	rc = reg_profile_get(a->s->reg, profile, &full, e);
	if (rc != SZTP_OK)
		goto out;
	if (ent->sign) {
		rc = reg_owner_get(a->s->reg, full.owner[0] ? full.owner : "default", &owner, e);
		if (rc == SZTP_E_NOT_FOUND)
			sztp_err_set(e, rc,
				     "signed data is required, but no owner identity is "
				     "configured");
		if (rc != SZTP_OK)
			goto out;
		if (!a->signer.id.signer || a->signer.rev != owner.revision ||
		    strcmp(a->signer.owner, owner.name)) {
			rc = load_signer(a, &owner, e);
			if (rc != SZTP_OK) {
				log_err("cannot load owner identity '%s': %s", owner.name, e->msg);
				goto out;
			}
		}
	}
	rc = build(a, &full, ent, e);
	if (rc != SZTP_OK)
		goto out;
	ent->profile_rev = full.revision;
	ent->owner_rev = ent->sign ? owner.revision : 0;
out:
	reg_owner_clear(&owner);
	reg_profile_clear(&full);
	return rc;
}

sztp_rc artifacts_get(struct artifacts *a, const struct reg_profile *p, int64_t owner_rev,
		      enum yang_enc enc, int sign, struct conveyed_out *out, struct sztp_err *e)
{
	struct entry *ent;
	sztp_rc rc = SZTP_E_NOMEM;

	memset(out, 0, sizeof(*out));
	if (!sign)
		owner_rev = 0;
	pthread_mutex_lock(&a->mu);
	ent = slot(a, p->name, enc, sign, (p->lenient & REG_LENIENT_OMIT_OS_FIELDS) != 0);
	if (!ent) {
		sztp_err_set(e, rc, "out of memory");
		goto out;
	}
	if (!ent->ci_b64 || ent->profile_rev != p->revision || ent->owner_rev != owner_rev) {
		rc = rebuild(a, ent, p->name, e);
		if (rc != SZTP_OK)
			goto out;
	}
	rc = copy_out(ent, out, e);
out:
	pthread_mutex_unlock(&a->mu);
	return rc;
}

static size_t serial_slot(const char *serial)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *serial; serial++)
		h = (h ^ (uint8_t)*serial) * 16777619u;
	return h % VOUCHER_SLOTS;
}

sztp_rc artifacts_voucher_window(struct artifacts *a, const struct reg_device *d,
				 time_t *created_on, time_t *expires_on, struct sztp_err *e)
{
	struct voucher_slot *vs = &a->vouchers[serial_slot(d->serial)], fresh;
	struct sztp_err ve = {0};
	sztp_rc rc;

	/* stored with the voucher by sztpctl (migration 002): nothing to parse */
	if (d->voucher_created || d->voucher_expires) {
		*created_on = (time_t)d->voucher_created;
		*expires_on = (time_t)d->voucher_expires;
		return SZTP_OK;
	}
	pthread_mutex_lock(&a->vmu);
	if (vs->revision == d->revision && vs->len == d->voucher.len &&
	    !strcmp(vs->serial, d->serial)) {
		fresh = *vs;
		pthread_mutex_unlock(&a->vmu);
		goto answer;
	}
	pthread_mutex_unlock(&a->vmu);

	memset(&fresh, 0, sizeof(fresh));
	rc = signing_voucher_window(d, &fresh.created_on, &fresh.expires_on, &ve);
	fresh.rc = rc;
	snprintf(fresh.msg, sizeof(fresh.msg), "%.95s", ve.msg);
	snprintf(fresh.serial, sizeof(fresh.serial), "%s", d->serial);
	fresh.revision = d->revision;
	fresh.len = d->voucher.len;
	pthread_mutex_lock(&a->vmu);
	*vs = fresh;
	pthread_mutex_unlock(&a->vmu);
answer:
	*created_on = fresh.created_on;
	*expires_on = fresh.expires_on;
	if (fresh.rc != SZTP_OK)
		return sztp_err_set(e, fresh.rc, "%s", fresh.msg);
	return SZTP_OK;
}
