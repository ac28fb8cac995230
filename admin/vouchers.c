/*
 * vouchers.c - admin API: a device's ownership voucher (RFC 8366, as RFC
 * 8572 s3.3 uses it): attach (PUT), show (GET), detach (DELETE), and the
 * checks every route that stores a voucher makes first.  A voucher is
 * stored only when it is a well-formed CMS SignedData verifying against
 * the manufacturer (MASA) anchor, valid against ietf-voucher, names the
 * device's serial number, is inside its created-on..expires-on window,
 * and pins a certificate that anchors the owner chain the device will be
 * sent (RFC 8572 s5.4: the device validates the owner certificate with
 * the pinned-domain-cert).  It is stored exactly as supplied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin_internal.h"
#include "cms.h"
#include "util.h"
#include "voucher.h"

#define DAY	   86400
#define CMS_TYPE   "application/pkcs7-mime"
#define REQ_ANCHOR "the request's masa-ca"

/* ---- small shared pieces ---------------------------------------------------- */

int admin_pem_certs(struct admin_call *c, const char *field, const char *name, const char *pem,
		    sztp_bytes **certs, size_t *n)
{
	struct sztp_err e = {SZTP_OK, ""};

	if (pki_pem_certs_parse(pem, strlen(pem), certs, n, &e) == SZTP_OK && *n)
		return 0;
	pki_certs_free(*certs, *n);
	*certs = NULL;
	*n = 0;
	return admin_problem(c, 400, "invalid-field", field, "'%s' holds no PEM certificate: %s",
			     name, e.msg[0] ? e.msg : "none found");
}

int admin_expiring_days(struct admin_call *c, int64_t *days)
{
	*days = ADMIN_EXPIRING_DAYS;
	return admin_query_int(c, "expiring-within", 0, 36500, days);
}

/* ---- the MASA anchor -------------------------------------------------------- */

struct admin_anchor_pem {
	struct admin_anchor_pem *next;
	char *pem;
	struct pki_trust *t;
};

void admin_anchor_clear(struct admin_anchor *a)
{
	struct admin_anchor_pem *p, *next;

	for (p = a->parsed; p; p = next) {
		next = p->next;
		pki_trust_free(p->t);
		free(p->pem);
		free(p);
	}
	memset(a, 0, sizeof(*a));
}

/* pem parsed, added to a's list. */
static struct admin_anchor_pem *anchor_parse(struct admin_call *c, const char *field,
					     const char *pem, struct admin_anchor *a)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct admin_anchor_pem *p = NULL;
	sztp_bytes *certs = NULL;
	struct pki_trust *t = NULL;
	size_t n = 0;

	if (admin_pem_certs(c, field, "masa-ca", pem, &certs, &n) < 0)
		goto out;
	if (pki_trust_from_der(certs, n, &t, &e) != SZTP_OK) {
		admin_problem(c, 400, "invalid-field", field, "'masa-ca' is not usable: %s", e.msg);
		goto out;
	}
	if (!(p = calloc(1, sizeof(*p))) || !(p->pem = strdup(pem))) {
		free(p);
		p = NULL;
		admin_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	p->t = t;
	p->next = a->parsed;
	a->parsed = p;
	t = NULL;
out:
	pki_trust_free(t);
	pki_certs_free(certs, n);
	return p;
}

int admin_anchor_get(struct admin_call *c, json_t *obj, const char *ptr,
		     const struct admin_anchor *dflt, struct admin_anchor *a)
{
	struct admin_anchor_pem *p;
	char field[128];
	const char *pem = NULL;

	if (obj && admin_json_pem(c, obj, ptr, "masa-ca", 0, &pem) < 0)
		return -1;
	if (!pem) {
		a->t = dflt ? dflt->t : c->ctx->masa;
		a->name = dflt ? dflt->name : c->ctx->masa_name;
		return 0;
	}
	for (p = a->parsed; p && strcmp(p->pem, pem); p = p->next)
		;
	snprintf(field, sizeof(field), "%s/masa-ca", ptr);
	if (!p && !(p = anchor_parse(c, field, pem, a)))
		return -1;
	a->t = p->t;
	a->name = REQ_ANCHOR;
	return 0;
}

int admin_anchor_required(struct admin_call *c, const struct admin_anchor *a)
{
	if (a->t)
		return 0;
	return admin_problem(c, 400, "missing-field", NULL,
			     "no voucher trust anchor: send the voucher as JSON with \"masa-ca\" "
			     "(the manufacturer's PEM certificate), or set masa-ca in sztpd's "
			     "configuration");
}

/* ---- checking a voucher ------------------------------------------------------- */

/* voucher_parse's failure in words (the anchor named). */
static void parse_failed(sztp_rc rc, const char *name, const char *why, char *msg, size_t len)
{
	switch (rc) {
	case SZTP_E_VERIFY:
	case SZTP_E_EXPIRED:
		snprintf(msg, len, "the voucher's signature does not verify against %s: %s", name,
			 why);
		break;
	case SZTP_E_INVALID_VALUE:
	case SZTP_E_MISSING_ELEMENT:
	case SZTP_E_UNKNOWN_ELEMENT:
		snprintf(msg, len, "the voucher's content is not a valid ietf-voucher: %s", why);
		break;
	default:
		snprintf(msg, len, "the voucher is malformed: %s", why);
		break;
	}
}

sztp_rc admin_voucher_verify(const struct admin_call *c, const sztp_bytes *cms, const char *serial,
			     const struct pki_trust *t, const char *name, struct voucher *v,
			     char *msg, size_t len)
{
	struct sztp_err pe = {SZTP_OK, ""};
	char ts[32];
	sztp_rc rc = SZTP_E_MALFORMED;

	if (!cms->len) {
		snprintf(msg, len, "the voucher is malformed: it is empty");
		goto out;
	}
	if ((rc = voucher_parse(cms->data, cms->len, t, c->ctx->y, v, &pe)) != SZTP_OK) {
		parse_failed(rc, name, pe.msg, msg, len);
		goto out;
	}
	/* distinct messages for the serial and each end of the window;
	 * voucher_check has the last word */
	rc = SZTP_E_MISMATCH;
	if (strcmp(v->serial, serial) != 0) {
		snprintf(msg, len, "the voucher is for serial-number '%s', not '%s'", v->serial,
			 serial);
		goto out;
	}
	rc = SZTP_E_EXPIRED;
	if (v->expires_on && v->expires_on <= c->now) {
		time_rfc3339(v->expires_on, ts);
		snprintf(msg, len, "the voucher expired (expires-on %s)", ts);
		goto out;
	}
	if (v->created_on > c->now) {
		time_rfc3339(v->created_on, ts);
		snprintf(msg, len, "the voucher is not yet valid (created-on %s is in the future)",
			 ts);
		goto out;
	}
	if ((rc = voucher_check(v, serial, (time_t)c->now, &pe)) != SZTP_OK)
		snprintf(msg, len, "%s", pe.msg);
out:
	if (rc != SZTP_OK)
		voucher_clear(v);
	return rc;
}

int admin_voucher_check(struct admin_call *c, const char *field, const sztp_bytes *cms,
			const char *serial, const struct admin_anchor *a, struct voucher *v)
{
	char msg[SZTP_ERR_MSG_MAX + 600];

	if (admin_anchor_required(c, a) < 0)
		return -1;
	if (admin_voucher_verify(c, cms, serial, a->t, a->name, v, msg, sizeof(msg)) != SZTP_OK)
		return admin_problem(c, 400, "invalid-field", field, "%s", msg);
	return 0;
}

/* ---- profiles and owners, read once a request ---------------------------------- */

void admin_vcache_clear(struct admin_vcache *vc)
{
	size_t i;

	for (i = 0; i < vc->n_own; i++) {
		reg_owner_clear(&vc->own[i].o);
		sztp_bytes_free(&vc->own[i].pinned_ok);
	}
	memset(vc, 0, sizeof(*vc));
}

int admin_profile_owner(struct admin_call *c, const char *field, const char *profile,
			struct admin_vcache *vc, char owner[REG_NAME_MAX])
{
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_profile p;
	size_t i;
	sztp_rc rc;

	snprintf(owner, REG_NAME_MAX, "default");
	if (!profile || !*profile)
		return 0;
	for (i = 0; i < vc->n_prof; i++)
		if (!strcmp(vc->prof[i].name, profile)) {
			snprintf(owner, REG_NAME_MAX, "%s", vc->prof[i].owner);
			return 0;
		}
	memset(&p, 0, sizeof(p));
	if ((rc = reg_profile_get(c->ctx->reg, profile, &p, &e)) == SZTP_E_NOT_FOUND)
		return admin_problem(c, 400, "invalid-field", field, "no profile named '%s'",
				     profile);
	if (rc != SZTP_OK)
		return admin_problem_rc(c, rc, field, &e);
	if (p.owner[0])
		snprintf(owner, REG_NAME_MAX, "%s", p.owner);
	reg_profile_clear(&p);
	if (vc->n_prof < ADMIN_VCACHE_MAX) {
		snprintf(vc->prof[vc->n_prof].name, REG_NAME_MAX, "%s", profile);
		snprintf(vc->prof[vc->n_prof++].owner, REG_NAME_MAX, "%s", owner);
	}
	return 0;
}

/* *idx: the cache entry of owner identity name, read when first asked
 * (found 0: it is not set); -1 when it cannot be read (answered). */
static int owner_entry(struct admin_call *c, const char *name, struct admin_vcache *vc, size_t *idx)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_owner o;
	sztp_rc rc;
	size_t i;

	for (i = 0; i < vc->n_own; i++)
		if (!strcmp(vc->own[i].name, name)) {
			*idx = i;
			return 0;
		}
	if (vc->n_own == ADMIN_VCACHE_MAX) /* many owners: start again */
		admin_vcache_clear(vc);
	memset(&o, 0, sizeof(o));
	rc = reg_owner_get(c->ctx->reg, name, &o, &e);
	if (rc != SZTP_OK && rc != SZTP_E_NOT_FOUND)
		return admin_problem_rc(c, rc, NULL, &e);
	i = vc->n_own++;
	snprintf(vc->own[i].name, REG_NAME_MAX, "%s", name);
	vc->own[i].found = rc == SZTP_OK;
	vc->own[i].o = o;
	*idx = i;
	return 0;
}

/* *idx: owner's entry; 1 when it is set, 0 when not (warned about:
 * nothing to check against), -1 when it cannot be read (answered). */
static int owner_set(struct admin_call *c, const char *owner, const char *what,
		     struct admin_vcache *vc, json_t *warnings, size_t *idx)
{
	char msg[512];

	if (owner_entry(c, owner, vc, idx) < 0)
		return -1;
	if (vc->own[*idx].found)
		return 1;
	snprintf(msg, sizeof(msg),
		 "owner identity '%s' is not set: pinned-domain-cert of %s not checked", owner,
		 what);
	json_array_append_new(warnings, json_string(msg));
	return 0;
}

int admin_device_voucher_fits(struct admin_call *c, const struct reg_device *d, const char *owner,
			      struct admin_vcache *vc, json_t *warnings)
{
	struct sztp_err e = {SZTP_OK, ""};
	size_t i = 0;
	int set = 0;

	if (d->voucher.len)
		set = owner_set(c, owner, "its voucher", vc, warnings, &i);
	if (set <= 0) /* no voucher, owner not set (warned), or answered */
		return set;
	if (admin_voucher_fits(d, owner, vc->own[i].o.chain, vc->own[i].o.n_chain, &e) != SZTP_OK)
		return admin_problem(c, 409, "conflict", "/profile", "%s", e.msg);
	return 0;
}

int admin_voucher_fits_owner(struct admin_call *c, int status, const char *field,
			     const sztp_bytes *pinned, const char *what, const char *owner,
			     struct admin_vcache *vc, json_t *warnings)
{
	char subj[256] = "?";
	size_t i = 0;
	int set;

	if ((set = owner_set(c, owner, what, vc, warnings, &i)) <= 0)
		return set;
	if (vc->own[i].pinned_ok.len && pki_cert_equal(&vc->own[i].pinned_ok, pinned))
		return 0;
	if (voucher_pins_chain(pinned, vc->own[i].o.chain, vc->own[i].o.n_chain, NULL) == SZTP_OK) {
		sztp_bytes_free(&vc->own[i].pinned_ok);
		if (sztp_bytes_dup(&vc->own[i].pinned_ok, pinned->data, pinned->len) != SZTP_OK)
			memset(&vc->own[i].pinned_ok, 0, sizeof(sztp_bytes));
		return 0;
	}
	pki_cert_subject(pinned, subj, sizeof(subj), NULL);
	return admin_problem(c, status, status == 409 ? "conflict" : "invalid-field", field,
			     "%s pins '%s' as pinned-domain-cert, which does not anchor the chain "
			     "of owner identity '%s'",
			     what, subj, owner);
}

/* ---- the voucher-summary ----------------------------------------------------------- */

json_t *admin_voucher_summary(struct admin_call *c, const sztp_bytes *cms, int64_t days,
			      const char *sig)
{
	struct voucher v, vv;
	struct sztp_err ve = {SZTP_OK, ""};
	char buf[SZTP_ERR_MSG_MAX + 600], subj[256] = "", t1[32], t2[32] = "never";
	json_t *o = NULL;

	memset(&v, 0, sizeof(v));
	memset(&vv, 0, sizeof(vv));
	/* parsed without the anchor first: a summary even when it does not verify */
	if (voucher_parse(cms->data, cms->len, NULL, NULL, &v, NULL) != SZTP_OK)
		goto out;
	if (!sig && !c->ctx->masa)
		sig = "not checked (no masa-ca)";
	if (!sig) {
		if (voucher_parse(cms->data, cms->len, c->ctx->masa, NULL, &vv, &ve) == SZTP_OK)
			snprintf(buf, sizeof(buf), "verified against %s", c->ctx->masa_name);
		else
			snprintf(buf, sizeof(buf), "DOES NOT VERIFY against %s: %s",
				 c->ctx->masa_name, ve.msg);
		sig = buf;
	}
	pki_cert_subject(&v.pinned_domain_cert, subj, sizeof(subj), NULL);
	time_rfc3339(v.created_on, t1);
	if (v.expires_on)
		time_rfc3339(v.expires_on, t2);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "serial-number", v.serial,
		      "created-on", t1, "expires-on", t2, "assertion", v.assertion,
		      "pinned-domain-cert", subj, "signature", sig, "bytes", (json_int_t)cms->len,
		      "expiry",
		      admin_expiry_name(admin_expiry_of(v.expires_on, c->now, (long)days)));
	/* flagged ahead of time: a device refuses an expired voucher */
	if (o && v.expires_on)
		json_object_set_new(o, "days-left",
				    json_integer((json_int_t)((v.expires_on - c->now) / DAY)));
out:
	voucher_clear(&vv);
	voucher_clear(&v);
	return o;
}

/* ---- PUT /devices/{serial}/voucher ------------------------------------------------- */

static int media_is(const char *ct, const char *type)
{
	size_t n = strlen(type);

	return ct && !strncasecmp(ct, type, n) && (!ct[n] || ct[n] == ';' || ct[n] == ' ');
}

/* The voucher of a PUT: the raw body (application/pkcs7-mime; the
 * server's anchor), or {"voucher": base64, "masa-ca"?: PEM}.  *field is
 * where a problem with it points. */
static int put_body(struct admin_call *c, sztp_bytes *cms, struct admin_anchor *a,
		    const char **field)
{
	static const char *const members[] = {"voucher", "masa-ca", NULL};
	const struct admin_request *req = c->req;
	json_error_t je;
	json_t *o;
	int rc;

	*field = NULL;
	if (media_is(req->content_type, CMS_TYPE)) {
		if (req->body_len > ADMIN_VOUCHER_MAX)
			return admin_problem(c, 413, "too-large", NULL,
					     "a voucher has at most %d bytes", ADMIN_VOUCHER_MAX);
		if (req->body_len && sztp_bytes_dup(cms, req->body, req->body_len) != SZTP_OK)
			return admin_problem(c, 500, "internal", NULL, "out of memory");
		return admin_anchor_get(c, NULL, "", NULL, a);
	}
	if (!media_is(req->content_type, "application/json"))
		return admin_problem(c, 415, "unsupported-media-type", NULL,
				     "the body must be " CMS_TYPE " or application/json, not %s",
				     req->content_type ? req->content_type : "(none)");
	*field = "/voucher";
	if (!(o = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &je)))
		return admin_problem(c, 400, "malformed-json", NULL,
				     "the body is not JSON: %s (line %d, column %d)", je.text,
				     je.line, je.column);
	rc = json_is_object(o)
		 ? 0
		 : admin_problem(c, 400, "malformed-json", "", "the body must be a JSON object");
	if (!rc)
		rc = admin_json_only(c, o, "", members);
	if (!rc)
		rc = admin_json_b64(c, o, "", "voucher", 1, ADMIN_VOUCHER_MAX, cms);
	if (!rc)
		rc = admin_anchor_get(c, o, "", NULL, a);
	json_decref(o);
	return rc;
}

/* 404 unless the device exists (before the voucher's costly checks). */
static int device_exists(struct admin_call *c)
{
	struct sztp_err e = {SZTP_OK, ""};
	int64_t rev;
	sztp_rc rc = reg_device_revision(c->ctx->reg, c->param[0], &rev, &e);

	if (rc == SZTP_E_NOT_FOUND)
		return admin_problem(c, 404, "not-found", NULL, "no device with serial '%s'",
				     c->param[0]);
	return rc == SZTP_OK ? 0 : admin_problem_rc(c, rc, NULL, &e);
}

void admin_voucher_put(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct admin_anchor a;
	struct admin_vcache vc;
	struct reg_device d;
	struct voucher v;
	struct sztp_err e = {SZTP_OK, ""};
	sztp_bytes cms = {NULL, 0};
	json_t *warn = json_array(), *sum = NULL;
	char owner[REG_NAME_MAX], sig[600];
	const char *field = NULL;
	int64_t before;
	int had;
	sztp_rc rc;

	memset(&a, 0, sizeof(a));
	memset(&vc, 0, sizeof(vc));
	memset(&d, 0, sizeof(d));
	memset(&v, 0, sizeof(v));
	if (admin_query_only(c, none) < 0 || device_exists(c) < 0 ||
	    put_body(c, &cms, &a, &field) < 0 ||
	    admin_voucher_check(c, field, &cms, c->param[0], &a, &v) < 0 ||
	    admin_device_lock(c, &d) < 0 ||
	    admin_profile_owner(c, NULL, d.profile, &vc, owner) < 0 ||
	    admin_voucher_fits_owner(c, 400, field, &v.pinned_domain_cert, "the voucher", owner,
				     &vc, warn) < 0)
		goto out;
	had = d.voucher.len > 0;
	before = d.revision;
	sztp_bytes_free(&d.voucher);
	d.voucher = cms; /* as supplied */
	d.voucher_created = (int64_t)v.created_on;
	d.voucher_expires = (int64_t)v.expires_on;
	cms.data = NULL;
	cms.len = 0;
	if ((rc = reg_device_update(c->ctx->reg, &d, &e)) != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	if (admin_device_commit(
		c, &d, "voucher.attach", before,
		json_pack("{s:b, s:I}", "replaced", had, "bytes", (json_int_t)d.voucher.len)) < 0)
		goto out;
	snprintf(sig, sizeof(sig), "verified against %s", a.name);
	if (!(sum = admin_voucher_summary(c, &d.voucher, ADMIN_EXPIRING_DAYS, sig))) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	if (json_array_size(warn))
		json_object_set(sum, "warnings", warn);
	/* RFC 9110 s9.3.4: 201 when the PUT created the voucher */
	admin_reply_json(c, had ? 200 : 201, sum, NULL);
	admin_etag_device(&d, c->resp->etag);
out:
	json_decref(warn);
	voucher_clear(&v);
	sztp_bytes_free(&cms);
	reg_device_clear(&d);
	admin_vcache_clear(&vc);
	admin_anchor_clear(&a);
}

/* ---- GET and DELETE ------------------------------------------------------------- */

/* The device's voucher (404 when the device or its voucher is absent). */
static int voucher_of(struct admin_call *c, struct reg_device *d)
{
	struct sztp_err e = {SZTP_OK, ""};
	sztp_rc rc = reg_device_get(c->ctx->reg, c->param[0], d, &e);

	if (rc == SZTP_E_NOT_FOUND)
		return admin_problem(c, 404, "not-found", NULL, "no device with serial '%s'",
				     c->param[0]);
	if (rc != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	if (!d->voucher.len)
		return admin_problem(c, 404, "not-found", NULL, "device '%s' has no voucher",
				     d->serial);
	return 0;
}

/* The voucher's JSON content (NULL when it does not parse). */
static json_t *voucher_content(const sztp_bytes *cms)
{
	struct cms_signed *s = NULL;
	json_t *j = NULL;

	if (cms_signed_parse(cms->data, cms->len, &s, NULL) == SZTP_OK)
		j = json_loadb((const char *)s->content.data, s->content.len, 0, NULL);
	cms_signed_free(s);
	return j;
}

void admin_voucher_get(struct admin_call *c)
{
	static const char *const params[] = {"expiring-within", NULL};
	struct reg_device d;
	json_t *sum = NULL, *content;
	int64_t days;

	memset(&d, 0, sizeof(d));
	if (admin_query_only(c, params) < 0 || admin_expiring_days(c, &days) < 0 ||
	    voucher_of(c, &d) < 0)
		goto out;
	if (c->req->accept && strstr(c->req->accept, CMS_TYPE)) {
		admin_reply_raw(c, 200, CMS_TYPE, d.voucher.data, d.voucher.len, NULL);
		goto out;
	}
	if (!(sum = admin_voucher_summary(c, &d.voucher, days, NULL))) {
		admin_problem(c, 500, "internal", NULL, "the stored voucher of '%s' does not parse",
			      d.serial);
		goto out;
	}
	if ((content = voucher_content(&d.voucher)) != NULL)
		json_object_set_new(sum, "content", content);
	admin_reply_json(c, 200, sum, NULL);
out:
	reg_device_clear(&d);
}

static int voucher_detach(struct admin_call *c, struct reg_device *d)
{
	struct sztp_err e = {SZTP_OK, ""};
	sztp_rc rc;

	if (!d->voucher.len)
		return admin_problem(c, 404, "not-found", NULL, "device '%s' has no voucher",
				     d->serial);
	sztp_bytes_free(&d->voucher);
	d->voucher_created = 0;
	d->voucher_expires = 0;
	if ((rc = reg_device_update(c->ctx->reg, d, &e)) != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	return 0;
}

void admin_voucher_delete(struct admin_call *c)
{
	admin_device_change(c, "voucher.detach", voucher_detach);
}
