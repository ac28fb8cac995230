/*
 * ctl_voucher.c - sztpctl's ownership voucher checks and the `voucher`
 * commands.  Before a voucher (RFC 8366, as RFC 8572 s3.3 uses it) is
 * stored for a device it must be a well-formed CMS SignedData verifying
 * against the manufacturer (MASA) anchor, name the device's serial number,
 * be inside its created-on..expires-on window, and pin a certificate that
 * anchors the owner certificate chain the device will be sent (RFC 8572
 * s5.4: the device validates the owner certificate with the
 * pinned-domain-cert).  The voucher is stored exactly as supplied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cms.h"
#include "ctl.h"
#include "util.h"
#include "voucher.h"

#define VOUCHER_MAX (256 * 1024)

sztp_rc ctl_profile_owner(struct ctl *c, const char *profile, char owner[REG_NAME_MAX],
			  struct sztp_err *e)
{
	sztp_rc rc;
	struct reg_profile p;

	memset(&p, 0, sizeof(p));
	if (!profile || !*profile) {
		snprintf(owner, REG_NAME_MAX, "default");
		return SZTP_OK;
	}
	rc = reg_profile_get(c->reg, profile, &p, e);
	if (rc == SZTP_E_NOT_FOUND)
		sztp_err_set(e, rc,
			     "no profile named '%s' (create it with 'sztpctl profile "
			     "onboarding' or 'profile redirect')",
			     profile);
	if (rc == SZTP_OK)
		snprintf(owner, REG_NAME_MAX, "%s", p.owner[0] ? p.owner : "default");
	reg_profile_clear(&p);
	return rc;
}

/* RFC 8572 s5.4: the pinned-domain-cert must anchor the chain of owner o. */
static sztp_rc pinned_fits(const char *path, const struct voucher *v, const char *owner_name,
			   const struct reg_owner *o, struct sztp_err *e)
{
	char subj[256] = "?";

	if (voucher_pins_chain(&v->pinned_domain_cert, o->chain, o->n_chain, NULL) == SZTP_OK)
		return SZTP_OK;
	pki_cert_subject(&v->pinned_domain_cert, subj, sizeof(subj), NULL);
	return sztp_err_set(e, SZTP_E_MISMATCH,
			    "voucher %s pins '%s' as pinned-domain-cert, which does not anchor the "
			    "chain of owner identity '%s'",
			    path, subj, owner_name);
}

/* pinned_fits against the stored owner; an owner not set yet is warned
 * about, not checked. */
static sztp_rc check_pinned(struct ctl *c, const char *path, const struct voucher *v,
			    const char *owner_name, struct sztp_err *e)
{
	sztp_rc rc;
	struct reg_owner o;

	memset(&o, 0, sizeof(o));
	rc = reg_owner_get(c->reg, owner_name, &o, e);
	if (rc == SZTP_E_NOT_FOUND) {
		ctl_warn("owner identity '%s' is not set: pinned-domain-cert of %s not checked",
			 owner_name, path);
		rc = SZTP_OK;
	} else if (rc == SZTP_OK) {
		rc = pinned_fits(path, v, owner_name, &o, e);
	}
	reg_owner_clear(&o);
	return rc;
}

static sztp_rc parse_verified(struct ctl *c, const char *path, const sztp_bytes *b,
			      struct voucher *v, struct sztp_err *e)
{
	sztp_rc rc;
	const struct pki_trust *masa;
	struct sztp_yang *y;
	struct sztp_err pe = {SZTP_OK, ""};

	if ((rc = ctl_masa(c, 1, &masa, e)) != SZTP_OK || (rc = ctl_yang(c, &y, e)) != SZTP_OK)
		return rc;
	rc = voucher_parse(b->data, b->len, masa, y, v, &pe);
	switch (rc) {
	case SZTP_OK:
		break;
	case SZTP_E_VERIFY:
	case SZTP_E_EXPIRED:
		sztp_err_set(e, rc, "voucher %s signature does not verify against %s: %s", path,
			     c->masa_path, pe.msg);
		break;
	case SZTP_E_INVALID_VALUE:
	case SZTP_E_MISSING_ELEMENT:
	case SZTP_E_UNKNOWN_ELEMENT:
		sztp_err_set(e, rc, "voucher %s content is not a valid ietf-voucher: %s", path,
			     pe.msg);
		break;
	default:
		sztp_err_set(e, rc, "voucher %s is malformed: %s", path, pe.msg);
		break;
	}
	return rc;
}

/* Distinct messages for the serial and each end of the validity window;
 * voucher_check() then has the last word. */
static sztp_rc check_fields(const char *path, const struct voucher *v, const char *serial,
			    struct sztp_err *e)
{
	time_t now = time(NULL);
	char t[32];

	if (strcmp(v->serial, serial) != 0)
		return sztp_err_set(e, SZTP_E_MISMATCH,
				    "voucher %s is for serial-number '%s', not '%s'", path,
				    v->serial, serial);
	if (v->expires_on && v->expires_on <= now)
		return sztp_err_set(e, SZTP_E_EXPIRED, "voucher %s expired (expires-on %s)", path,
				    ctl_time(v->expires_on, t));
	if (v->created_on > now)
		return sztp_err_set(e, SZTP_E_EXPIRED,
				    "voucher %s is not yet valid (created-on %s is in the future)",
				    path, ctl_time(v->created_on, t));
	if (voucher_check(v, serial, now, e) != SZTP_OK)
		return e ? e->rc : SZTP_E_VERIFY;
	return SZTP_OK;
}

sztp_rc ctl_voucher_load(struct ctl *c, const char *path, const char *serial,
			 const char *owner_name, struct reg_device *d, struct sztp_err *e)
{
	sztp_rc rc;
	sztp_bytes b = {NULL, 0};
	struct voucher v;

	memset(&v, 0, sizeof(v));
	if ((rc = file_read(path, VOUCHER_MAX, &b, e)) != SZTP_OK)
		goto out;
	if (b.len == 0) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "voucher %s is malformed: empty file", path);
		goto out;
	}
	if ((rc = parse_verified(c, path, &b, &v, e)) != SZTP_OK ||
	    (rc = check_fields(path, &v, serial, e)) != SZTP_OK ||
	    (rc = check_pinned(c, path, &v, owner_name, e)) != SZTP_OK)
		goto out;
	sztp_bytes_free(&d->voucher);
	d->voucher = b; /* as supplied (file_read's NUL is past len) */
	d->voucher_created = v.created_on;
	d->voucher_expires = v.expires_on;
	b.data = NULL;
	b.len = 0;
out:
	voucher_clear(&v);
	sztp_bytes_free(&b);
	return rc;
}

sztp_rc ctl_voucher_recheck_owner(struct ctl *c, const struct reg_device *d, const char *owner_name,
				  const struct reg_owner *o, struct sztp_err *e)
{
	struct voucher v;
	char label[sizeof(d->serial) + 16];
	sztp_rc rc;

	if (!d->voucher.len)
		return SZTP_OK;
	memset(&v, 0, sizeof(v));
	snprintf(label, sizeof(label), "of device %s", d->serial);
	/* the signature was verified when it was attached */
	rc = voucher_parse(d->voucher.data, d->voucher.len, NULL, NULL, &v, e);
	if (rc == SZTP_OK)
		rc = o ? pinned_fits(label, &v, owner_name, o, e)
		       : check_pinned(c, label, &v, owner_name, e);
	voucher_clear(&v);
	return rc;
}

sztp_rc cmd_voucher_attach(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct reg_device d;
	char owner[REG_NAME_MAX];
	int had;

	memset(&d, 0, sizeof(d));
	if ((rc = reg_device_get(c->reg, c->pos[0], &d, e)) != SZTP_OK) {
		if (rc == SZTP_E_NOT_FOUND)
			sztp_err_set(e, rc, "no device with serial '%s'", c->pos[0]);
		goto out;
	}
	had = d.voucher.len > 0;
	if ((rc = ctl_profile_owner(c, d.profile, owner, e)) != SZTP_OK ||
	    (rc = ctl_voucher_load(c, c->pos[1], d.serial, owner, &d, e)) != SZTP_OK ||
	    (rc = reg_device_update(c->reg, &d, e)) != SZTP_OK)
		goto out;
	ctl_done(c, "voucher %s for %s (%zu bytes)", had ? "replaced" : "attached", d.serial,
		 d.voucher.len);
out:
	reg_device_clear(&d);
	return rc;
}

/* ---- showing ----------------------------------------------------------- */

static json_t *voucher_json(const struct voucher *v, const char *sig)
{
	char t1[32], t2[32], subj[256] = "";
	json_t *o;

	pki_cert_subject(&v->pinned_domain_cert, subj, sizeof(subj), NULL);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "serial-number", v->serial, "created-on",
		      ctl_time(v->created_on, t1), "expires-on",
		      v->expires_on ? ctl_time(v->expires_on, t2) : "never", "assertion",
		      v->assertion, "pinned-domain-cert", subj, "signature", sig);
	return o;
}

sztp_rc ctl_voucher_summary(struct ctl *c, const sztp_bytes *b, json_t *obj, struct sztp_err *e)
{
	sztp_rc rc;
	const struct pki_trust *masa = NULL;
	struct voucher v, vv;
	struct sztp_err ve = {SZTP_OK, ""};
	char sig[1024], human[96];
	json_t *j = NULL;
	const char *key;
	json_t *val;
	time_t now = time(NULL);
	long days = 0;
	enum ctl_expiry x;

	memset(&v, 0, sizeof(v));
	memset(&vv, 0, sizeof(vv));
	if ((rc = ctl_expiry_days(c, &days, e)) != SZTP_OK ||
	    (rc = ctl_masa(c, 0, &masa, e)) != SZTP_OK)
		return rc;
	/* Parse without the anchor first: a summary even when it does not verify. */
	if ((rc = voucher_parse(b->data, b->len, NULL, NULL, &v, e)) != SZTP_OK)
		return rc;
	if (!masa)
		snprintf(sig, sizeof(sig), "not checked (no --masa-ca)");
	else if (voucher_parse(b->data, b->len, masa, NULL, &vv, &ve) == SZTP_OK)
		snprintf(sig, sizeof(sig), "verified against %s", c->masa_path);
	else
		snprintf(sig, sizeof(sig), "DOES NOT VERIFY against %s: %s", c->masa_path, ve.msg);
	if (!(j = voucher_json(&v, sig))) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	json_object_set_new(j, "bytes", json_integer((json_int_t)b->len));
	/* flagged ahead of time: a device refuses an expired voucher */
	x = ctl_expiry_of(v.expires_on, now, days);
	json_object_set_new(j, "expiry", json_string(ctl_expiry_name(x)));
	if (x != CTL_EXP_NEVER)
		json_object_set_new(j, "days-left",
				    json_integer((json_int_t)((v.expires_on - now) / 86400)));
	if (obj) {
		json_object_set(obj, "voucher", j);
	} else {
		json_object_foreach(j, key, val)
		{
			if (!strcmp(key, "days-left"))
				continue;
			if (!strcmp(key, "expiry"))
				printf(
				    "  %-19s %s\n", key,
				    ctl_expiry_text(v.expires_on, now, days, human, sizeof(human)));
			else if (json_is_string(val))
				printf("  %-19s %s\n", key, json_string_value(val));
			else
				printf("  %-19s %lld\n", key, (long long)json_integer_value(val));
		}
	}
out:
	json_decref(j);
	voucher_clear(&vv);
	voucher_clear(&v);
	return rc;
}

sztp_rc cmd_voucher_show(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	struct reg_device d;
	struct cms_signed *s = NULL;
	json_t *obj = NULL, *content = NULL;
	char *txt = NULL;

	memset(&d, 0, sizeof(d));
	if ((rc = reg_device_get(c->reg, c->pos[0], &d, e)) != SZTP_OK) {
		if (rc == SZTP_E_NOT_FOUND)
			sztp_err_set(e, rc, "no device with serial '%s'", c->pos[0]);
		goto out;
	}
	if (d.voucher.len == 0) {
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "device '%s' has no voucher", d.serial);
		goto out;
	}
	if (cms_signed_parse(d.voucher.data, d.voucher.len, &s, NULL) == SZTP_OK)
		content = json_loadb((const char *)s->content.data, s->content.len, 0, NULL);
	if (c->json) {
		obj = json_pack("{s:s}", "serial", d.serial);
		if ((rc = ctl_voucher_summary(c, &d.voucher, obj, e)) != SZTP_OK)
			goto out;
		if (content)
			json_object_set(json_object_get(obj, "voucher"), "content", content);
		txt = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", txt ? txt : "{}");
	} else {
		printf("voucher of %s:\n", d.serial);
		if ((rc = ctl_voucher_summary(c, &d.voucher, NULL, e)) != SZTP_OK)
			goto out;
		if (content && (txt = json_dumps(content, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
			printf("%s\n", txt);
	}
out:
	free(txt);
	json_decref(content);
	json_decref(obj);
	cms_signed_free(s);
	reg_device_clear(&d);
	return rc;
}
