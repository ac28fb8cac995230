/*
 * owners.c - admin API: the owner identities whose certificate chain and
 * private key sign conveyed information (RFC 8572 s3.2 owner certificate,
 * s5.4).  PUT takes the chain (PEM, signing certificate first) and the
 * path of the key on the server's disk: the private key never travels over
 * the API, sztpd reads it.  Before anything is stored: the key file is
 * safe (a regular file only its owner may read) and belongs to the first
 * certificate, the chain validates from the leaf to its last certificate,
 * the leaf may sign (keyUsage digitalSignature when present), and the
 * pinned-domain-cert of every stored voucher of a device this owner serves
 * anchors the chain; otherwise 409, naming the devices, unless "force"
 * (then the answer's warnings say what was overridden).  GET shows each
 * certificate's subject, issuer, validity and expiry, and the profiles the
 * owner serves.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "voucher.h"

#define CHAIN_MAX	(1024 * 1024) /* as pki_pem_certs_read */
#define NAMED_MAX	5	      /* serials named in a message; the rest are counted */
#define WITHIN_DAYS_DEF 30	      /* certificates expiring within: flagged */
#define DAY		86400

sztp_rc admin_voucher_fits(const struct reg_device *d, const char *owner, const sztp_bytes *chain,
			   size_t n, struct sztp_err *e)
{
	struct voucher v;
	char subj[256] = "?";
	sztp_rc rc = SZTP_OK;

	memset(&v, 0, sizeof(v));
	if (!d->voucher.len)
		goto out;
	/* its signature was verified when it was attached */
	if ((rc = voucher_parse(d->voucher.data, d->voucher.len, NULL, NULL, &v, e)) != SZTP_OK ||
	    voucher_pins_chain(&v.pinned_domain_cert, chain, n, NULL) == SZTP_OK)
		goto out;
	pki_cert_subject(&v.pinned_domain_cert, subj, sizeof(subj), NULL);
	rc = sztp_err_set(e, SZTP_E_MISMATCH,
			  "voucher of device %s pins '%s' as pinned-domain-cert, which does not "
			  "anchor the chain of owner identity '%s'",
			  d->serial, subj, owner);
out:
	voucher_clear(&v);
	return rc;
}

int admin_json_pem(struct admin_call *c, json_t *obj, const char *ptr, const char *name,
		   int required, const char **out)
{
	json_t *v = json_object_get(obj, name);
	char where[512];

	*out = NULL;
	snprintf(where, sizeof(where), "%s/%s", ptr, name);
	if (!v && !required)
		return 0;
	if (!v)
		return admin_problem(c, 400, "missing-field", where, "member '%s' is required",
				     name);
	if (!json_is_string(v) || !json_string_length(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return admin_problem(c, 400, "invalid-field", where,
				     "'%s' must be PEM text (-----BEGIN CERTIFICATE-----...)",
				     name);
	if (json_string_length(v) > CHAIN_MAX)
		return admin_problem(c, 413, "too-large", where, "'%s' is larger than %d bytes",
				     name, CHAIN_MAX);
	*out = json_string_value(v);
	return 0;
}

/* ---- representation ---------------------------------------------------------- */

/* never | ok | expiring | expired, as sztpctl names them (RFC 8572 s5.4:
 * a device refuses an expired owner certificate) */
static const char *expiry_of(int64_t not_after, int64_t now, int64_t days)
{
	if (not_after <= 0)
		return "never";
	return not_after <= now ? "expired" : not_after <= now + days * DAY ? "expiring" : "ok";
}

static json_t *cert_json(const sztp_bytes *der, int64_t now, int64_t days)
{
	char subj[512], iss[512];
	time_t nb = 0, na = 0;
	json_t *x;

	pki_cert_subject(der, subj, sizeof(subj), NULL);
	pki_cert_issuer(der, iss, sizeof(iss), NULL);
	if (pki_cert_validity(der, &nb, &na, NULL) != SZTP_OK)
		nb = na = 0;
	x = json_pack("{s:s, s:s, s:o, s:o, s:s}", "subject", subj, "issuer", iss, "not-before",
		      admin_time_json(nb), "not-after", admin_time_json(na), "expiry",
		      expiry_of(na, now, days));
	if (x && na > 0)
		json_object_set_new(x, "days-left", json_integer((json_int_t)((na - now) / DAY)));
	return x;
}

/* The profiles of every owner: {"owner": ["profile", ...]} (one read for
 * a whole page of owners). */
static int served_cb(const struct reg_profile *p, void *arg)
{
	json_t *map = arg, *list;
	const char *owner = p->owner[0] ? p->owner : "default";

	if (!(list = json_object_get(map, owner))) {
		list = json_array();
		if (json_object_set_new(map, owner, list))
			return 1;
	}
	return json_array_append_new(list, json_string(p->name)) ? 1 : 0;
}

static int served_map(struct admin_call *c, json_t **map)
{
	struct sztp_err e = {SZTP_OK, ""};
	sztp_rc rc;

	if (!(*map = json_object()))
		return admin_problem(c, 500, "internal", NULL, "out of memory");
	if ((rc = reg_profile_list(c->ctx->reg, served_cb, *map, &e)) != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	return 0;
}

static json_t *owner_json(const struct reg_owner *o, json_t *served, int64_t now, int64_t days)
{
	json_t *certs = json_array(), *profiles = json_object_get(served, o->name);
	size_t i;

	for (i = 0; certs && i < o->n_chain; i++)
		json_array_append_new(certs, cert_json(&o->chain[i], now, days));
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", o->name, "key-path",
			 o->key_path ? o->key_path : "", "revision", admin_rev_json(o->revision),
			 "chain", certs, "profiles", profiles ? json_copy(profiles) : json_array());
}

/* The query parameters (allowed) of the GETs; expiring-within: certificates
 * expiring within that many days are flagged "expiring". */
static int within_days(struct admin_call *c, const char *const *allowed, int64_t *days)
{
	*days = WITHIN_DAYS_DEF;
	if (admin_query_only(c, allowed) < 0 ||
	    admin_query_int(c, "expiring-within", 0, 36500, days) < 0)
		return -1;
	return 0;
}

/* ---- GET /owners ------------------------------------------------------------- */

struct page {
	const char *after;
	int limit;
	json_t *names;
};

static int page_cb(const char *name, void *arg)
{
	struct page *pg = arg;

	if (strcmp(name, pg->after) <= 0)
		return 0;
	json_array_append_new(pg->names, json_string(name));
	return (int)json_array_size(pg->names) >= pg->limit;
}

void admin_owners_list(struct admin_call *c)
{
	static const char *const params[] = {"expiring-within", "limit", "cursor", NULL};
	struct sztp_err e = {SZTP_OK, ""};
	char key[ADMIN_PARAM_MAX];
	struct page pg = {key, 0, json_array()};
	json_t *items = json_array(), *served = NULL, *x;
	int64_t days;
	sztp_rc rc;
	size_t i;

	if (!pg.names || !items) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	if (within_days(c, params, &days) < 0 || admin_page_key(c, &pg.limit, key, sizeof(key)) < 0)
		goto out;
	if ((rc = reg_owner_names(c->ctx->reg, page_cb, &pg, &e)) != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	if (json_array_size(pg.names) && served_map(c, &served) < 0)
		goto out;
	json_array_foreach(pg.names, i, x)
	{
		struct reg_owner o;

		if ((rc = reg_owner_get(c->ctx->reg, json_string_value(x), &o, &e)) ==
		    SZTP_E_NOT_FOUND)
			continue; /* removed since its name was read */
		if (rc != SZTP_OK) {
			admin_problem_rc(c, rc, NULL, &e);
			goto out;
		}
		json_array_append_new(items, owner_json(&o, served, c->now, days));
		reg_owner_clear(&o);
	}
	admin_reply_page_key(c, items,
			     (int)json_array_size(pg.names) == pg.limit
				 ? json_string_value(json_array_get(pg.names, pg.limit - 1))
				 : NULL);
	items = NULL;
out:
	json_decref(items);
	json_decref(served);
	json_decref(pg.names);
}

/* ---- GET /owners/{name} ---------------------------------------------------- */

void admin_owner_get(struct admin_call *c)
{
	static const char *const params[] = {"expiring-within", NULL};
	struct sztp_err e = {SZTP_OK, ""};
	const char *name = c->param[0];
	char etag[ADMIN_ETAG_MAX];
	struct reg_owner o;
	json_t *served = NULL;
	int64_t days;
	sztp_rc rc;

	memset(&o, 0, sizeof(o));
	if (within_days(c, params, &days) < 0)
		return;
	if ((rc = reg_owner_get(c->ctx->reg, name, &o, &e)) != SZTP_OK) {
		if (rc == SZTP_E_NOT_FOUND || rc == SZTP_E_INVALID_VALUE)
			admin_problem(c, 404, "not-found", NULL, "owner identity '%s' is not set",
				      name);
		else
			admin_problem_rc(c, rc, NULL, &e);
		return;
	}
	if (served_map(c, &served) == 0) {
		admin_etag_rev(o.revision, etag);
		admin_reply_json(c, 200, owner_json(&o, served, c->now, days), etag);
	}
	json_decref(served);
	reg_owner_clear(&o);
}

/* ---- PUT /owners/{name} ------------------------------------------------------ */

/* The checks of the chain and the key that need no registry; answers. */
static int chain_checks(struct admin_call *c, const char *key, const sztp_bytes *chain, size_t n)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct pki_trust *t = NULL;
	unsigned ku = 0;
	int crit = 0, bad;
	sztp_rc rc;

	if ((rc = pki_key_matches_cert(key, &chain[0], &e)) == SZTP_E_MISMATCH)
		return admin_problem(c, 400, "invalid-field", "/key-path",
				     "key %s does not belong to the first certificate of the chain",
				     key);
	if (rc != SZTP_OK)
		return admin_problem(c, 400, "invalid-field", "/key-path", "%s", e.msg);
	if ((rc = pki_trust_from_der(&chain[n - 1], 1, &t, &e)) == SZTP_OK)
		rc = pki_trust_verify(t, chain, n, NULL, 0, &e);
	pki_trust_free(t);
	if (rc != SZTP_OK)
		return admin_problem(c, 400, "invalid-field", "/chain",
				     "owner chain does not validate from the leaf to its last "
				     "certificate: %s",
				     e.msg);
	rc = pki_cert_key_usage(&chain[0], &ku, &crit, &e);
	bad = rc == SZTP_OK && !(ku & PKI_KU_DIGITAL_SIGNATURE);
	if (bad || (rc != SZTP_OK && rc != SZTP_E_NOT_FOUND))
		return admin_problem(
		    c, 400, "invalid-field", "/chain", "%s",
		    bad ? "owner certificate's keyUsage lacks digitalSignature: it "
			  "cannot sign conveyed information"
			: e.msg);
	return 0;
}

/* Devices with vouchers that this owner serves (through its profiles, or
 * as "default" without a profile) and whose voucher does not pin chain. */
struct vcheck {
	const char *owner;
	json_t *profiles; /* names of the profiles it serves, or NULL */
	const sztp_bytes *chain;
	size_t n;
	json_t *bad; /* serials */
	int oom;
};

static int served_by(const struct vcheck *k, const char *profile)
{
	size_t i;
	json_t *x;

	if (!*profile)
		return !strcmp(k->owner, "default");
	json_array_foreach(k->profiles, i, x) if (!strcmp(json_string_value(x), profile)) return 1;
	return 0;
}

static int vcheck_cb(const struct reg_device *d, void *arg)
{
	struct vcheck *k = arg;

	if (!served_by(k, d->profile) ||
	    admin_voucher_fits(d, k->owner, k->chain, k->n, NULL) == SZTP_OK)
		return 0;
	k->oom = json_array_append_new(k->bad, json_string(d->serial)) != 0;
	return k->oom;
}

/* "SN-1, SN-2 and 3 more" */
static void name_devices(json_t *bad, char *out, size_t len)
{
	size_t i, used = 0, n = json_array_size(bad);

	out[0] = '\0';
	for (i = 0; i < n && i < NAMED_MAX && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : "",
					 json_string_value(json_array_get(bad, i)));
	if (n > NAMED_MAX && used < len)
		snprintf(out + used, len - used, " and %zu more", n - NAMED_MAX);
}

/* RFC 8572 s5.4: each device this owner serves validates the owner
 * certificate with its voucher's pinned-domain-cert.  A chain some of those
 * vouchers do not anchor: 409, or with force a warning (and *forced, the
 * serials, for the audit row). */
static int voucher_checks(struct admin_call *c, const char *name, const sztp_bytes *chain, size_t n,
			  int force, json_t *served, json_t *warnings, json_t **forced)
{
	struct vcheck k = {name, json_object_get(served, name), chain, n, json_array(), 0};
	struct reg_query q = REG_QUERY_INIT;
	struct sztp_err e = {SZTP_OK, ""};
	char names[NAMED_MAX * (PKI_SERIAL_MAX + 2) + 32],
	    msg[sizeof(names) + ADMIN_PARAM_MAX + 256];
	sztp_rc rc;

	*forced = NULL;
	q.has_voucher = 1;
	if (!k.bad)
		return admin_problem(c, 500, "internal", NULL, "out of memory");
	if ((rc = reg_device_query(c->ctx->reg, &q, vcheck_cb, &k, &e)) != SZTP_OK || k.oom) {
		json_decref(k.bad);
		return k.oom ? admin_problem(c, 500, "internal", NULL, "out of memory")
			     : admin_problem_rc(c, rc, NULL, &e);
	}
	if (!json_array_size(k.bad)) {
		json_decref(k.bad);
		return 0;
	}
	name_devices(k.bad, names, sizeof(names));
	if (!force) {
		admin_problem(c, 409, "conflict", "/chain",
			      "owner identity '%s' not changed (force overrides): %zu device(s) "
			      "hold vouchers whose pinned-domain-cert does not anchor this chain, "
			      "so they would reject the owner certificate: %s",
			      name, json_array_size(k.bad), names);
		json_decref(k.bad);
		return -1;
	}
	snprintf(msg, sizeof(msg),
		 "owner identity '%s' set although the vouchers of %zu device(s) (%s) pin a "
		 "certificate that does not anchor this chain: those devices will reject the owner "
		 "certificate until they get new vouchers",
		 name, json_array_size(k.bad), names);
	json_array_append_new(warnings, json_string(msg));
	*forced = k.bad;
	return 0;
}

/* Parse what the body gives; answers on failure.  *chain owned by caller. */
static int owner_body(struct admin_call *c, char abskey[PATH_MAX], sztp_bytes **chain, size_t *n,
		      int *force)
{
	static const char *const allowed[] = {"chain", "key-path", "force", "strict", NULL};
	struct sztp_err e = {SZTP_OK, ""};
	const char *pem, *key;
	int strict = 0;

	*force = 0;
	if (admin_json_only(c, c->body, "", allowed) < 0 ||
	    admin_json_pem(c, c->body, "", "chain", 1, &pem) < 0 ||
	    admin_json_str(c, c->body, "", "key-path", 1, PATH_MAX - 1, &key) < 0 ||
	    admin_json_bool(c, c->body, "", "force", force) < 0 ||
	    admin_json_bool(c, c->body, "", "strict", &strict) < 0)
		return -1;
	if (*force && strict)
		return admin_problem(c, 400, "invalid-field", "/strict",
				     "give force or strict, not both (strict is the default)");
	if (key[0] != '/')
		return admin_problem(c, 400, "invalid-field", "/key-path",
				     "'key-path' must be an absolute path on the server, not %s",
				     key);
	if (!realpath(key, abskey))
		return admin_problem(c, 400, "invalid-field", "/key-path",
				     "cannot resolve key file %s: %s", key, strerror(errno));
	if (pki_key_file_check(abskey, &e) != SZTP_OK)
		return admin_problem(c, 400, "invalid-field", "/key-path", "%s", e.msg);
	if (pki_pem_certs_parse(pem, strlen(pem), chain, n, &e) != SZTP_OK)
		return admin_problem(c, 400, "invalid-field", "/chain", "'chain': %s", e.msg);
	if (*n == 0)
		return admin_problem(c, 400, "invalid-field", "/chain",
				     "'chain' holds no certificate");
	return chain_checks(c, abskey, *chain, *n);
}

/* The owner as stored now, with its warnings: the PUT's answer. */
static void owner_put_reply(struct admin_call *c, const struct reg_owner *o, int existed,
			    json_t *served, json_t *warnings)
{
	char etag[ADMIN_ETAG_MAX];
	json_t *rep = owner_json(o, served, c->now, WITHIN_DAYS_DEF);

	if (rep)
		json_object_set(rep, "warnings", warnings);
	if (!existed)
		admin_location(c, "/owners/", o->name);
	admin_etag_rev(o->revision, etag);
	admin_reply_json(c, existed ? 200 : 201, rep, etag);
}

void admin_owner_put(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct sztp_err e = {SZTP_OK, ""};
	const char *name = c->param[0];
	char abskey[PATH_MAX], etag[ADMIN_ETAG_MAX], res[REG_NAME_MAX + 8];
	struct reg_owner old, o, w;
	sztp_bytes *chain = NULL;
	size_t n = 0;
	json_t *served = NULL, *warnings = json_array(), *forced = NULL, *detail;
	int force = 0, existed;
	sztp_rc rc;

	memset(&old, 0, sizeof(old));
	memset(&o, 0, sizeof(o));
	if (!warnings) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	if (admin_query_only(c, none) < 0 || admin_check_name(c, "owner", name, NULL) < 0 ||
	    owner_body(c, abskey, &chain, &n, &force) < 0 || admin_begin(c) < 0)
		goto out;
	rc = reg_owner_get(c->ctx->reg, name, &old, &e);
	if (rc != SZTP_OK && rc != SZTP_E_NOT_FOUND) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	existed = rc == SZTP_OK;
	admin_etag_rev(old.revision, etag);
	if (admin_put_preconditions(c, existed, etag) < 0 || served_map(c, &served) < 0 ||
	    voucher_checks(c, name, chain, n, force, served, warnings, &forced) < 0)
		goto out;
	memset(&w, 0, sizeof(w));
	snprintf(w.name, sizeof(w.name), "%.*s", REG_NAME_MAX - 1, name);
	w.chain = chain;
	w.n_chain = n;
	w.key_path = abskey;
	if ((rc = reg_owner_put(c->ctx->reg, &w, &e)) != SZTP_OK ||
	    (rc = reg_owner_get(c->ctx->reg, name, &o, &e)) != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	snprintf(res, sizeof(res), "owners/%s", w.name);
	detail = json_pack("{s:s, s:i, s:o*}", "key-path", abskey, "certificates", (int)n, "forced",
			   forced);
	forced = NULL; /* json_pack took it */
	if (admin_audit(c, "owner.put", res, old.revision, o.revision, detail) < 0 ||
	    admin_commit(c) < 0)
		goto out;
	owner_put_reply(c, &o, existed, served, warnings);
out:
	json_decref(forced);
	json_decref(warnings);
	json_decref(served);
	pki_certs_free(chain, n);
	reg_owner_clear(&old);
	reg_owner_clear(&o);
}
