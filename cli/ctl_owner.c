/*
 * ctl_owner.c - sztpctl's `owner` commands: the owner identity whose
 * certificate chain and private key sign conveyed information (RFC 8572
 * s3.2 owner certificate, s5.4).  Before it is stored: the key file's
 * permissions are safe and the key belongs to the first certificate, the
 * chain validates from the leaf to its last certificate, the leaf may sign
 * (keyUsage digitalSignature when the extension is present), and the
 * pinned-domain-cert of every enrolled voucher of a device this owner
 * serves anchors the chain (RFC 8572 s5.4); otherwise the change is refused,
 * naming the devices, unless --force (then a warning says what was
 * overridden).  Only the key's absolute path is stored; sztpd reads the key.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "voucher.h"

/* The leaf may sign: no keyUsage, or keyUsage with digitalSignature. */
static sztp_rc leaf_can_sign(const sztp_bytes *der, struct sztp_err *e)
{
	unsigned ku = 0;
	int crit = 0;
	sztp_rc rc = pki_cert_key_usage(der, &ku, &crit, e);

	if (rc == SZTP_E_NOT_FOUND || (rc == SZTP_OK && (ku & PKI_KU_DIGITAL_SIGNATURE)))
		rc = SZTP_OK;
	else if (rc == SZTP_OK)
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
				  "owner certificate's keyUsage lacks digitalSignature: it "
				  "cannot sign conveyed information");
	return rc;
}

static sztp_rc chain_validates(const sztp_bytes *chain, size_t n, struct sztp_err *e)
{
	sztp_rc rc;
	struct pki_trust *t = NULL;
	struct sztp_err ve = {SZTP_OK, ""};

	if ((rc = pki_trust_from_der(&chain[n - 1], 1, &t, e)) != SZTP_OK)
		return rc;
	if ((rc = pki_trust_verify(t, chain, n, NULL, 0, &ve)) != SZTP_OK)
		sztp_err_set(e, rc,
			     "owner chain does not validate from the leaf to its last "
			     "certificate: %s",
			     ve.msg);
	pki_trust_free(t);
	return rc;
}

/* Vouchers of devices served by owner `name` that do not pin this chain. */
struct vch {
	char serial[PKI_SERIAL_MAX];
	char profile[REG_NAME_MAX];
	sztp_bytes voucher;
};
struct vch_list {
	struct vch *v;
	size_t n, cap;
	int oom;
};

static int vch_cb(const struct reg_device *d, void *arg)
{
	struct vch_list *l = arg;
	struct vch *nv;

	if (!d->voucher.len)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		if (!(nv = realloc(l->v, cap * sizeof(*nv)))) {
			l->oom = 1;
			return 1;
		}
		l->v = nv;
		l->cap = cap;
	}
	nv = &l->v[l->n];
	memset(nv, 0, sizeof(*nv));
	snprintf(nv->serial, sizeof(nv->serial), "%s", d->serial);
	snprintf(nv->profile, sizeof(nv->profile), "%s", d->profile);
	if (sztp_bytes_dup(&nv->voucher, d->voucher.data, d->voucher.len) != SZTP_OK) {
		l->oom = 1;
		return 1;
	}
	l->n++;
	return 0;
}

#define NAMED_MAX 5 /* serials named in the message; the rest are counted */

/* "SN-1, SN-2 and 3 more": the first serials of bad[0..n). */
static void name_devices(const struct vch_list *l, const size_t *bad, size_t n, char *out,
			 size_t len)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < n && i < NAMED_MAX && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? ", " : "",
					 l->v[bad[i]].serial);
	if (n > NAMED_MAX && used < len)
		snprintf(out + used, len - used, " and %zu more", n - NAMED_MAX);
}

/* RFC 8572 s5.4: each device served by owner `name` validates the owner
 * certificate with its voucher's pinned-domain-cert.  A chain some of
 * those vouchers do not anchor is refused, unless --force. */
static sztp_rc check_vouchers(struct ctl *c, const char *name, const sztp_bytes *chain, size_t n,
			      struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	struct vch_list l = {NULL, 0, 0, 0};
	size_t i, nbad = 0, *bad = NULL;
	char owner[REG_NAME_MAX], names[NAMED_MAX * (PKI_SERIAL_MAX + 2) + 32];

	if ((rc = reg_device_list(c->reg, vch_cb, &l, e)) != SZTP_OK)
		goto out;
	if (l.oom || (l.n && !(bad = calloc(l.n, sizeof(*bad))))) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory reading vouchers");
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		struct voucher v;
		memset(&v, 0, sizeof(v));
		if (ctl_profile_owner(c, l.v[i].profile, owner, NULL) != SZTP_OK ||
		    strcmp(owner, name) != 0)
			continue;
		if (voucher_parse(l.v[i].voucher.data, l.v[i].voucher.len, NULL, NULL, &v, NULL) !=
			SZTP_OK ||
		    ctl_pinned_anchors(&v.pinned_domain_cert, chain, n, NULL) != SZTP_OK)
			bad[nbad++] = i;
		voucher_clear(&v);
	}
	rc = SZTP_OK;
	if (!nbad)
		goto out;
	name_devices(&l, bad, nbad, names, sizeof(names));
	if (opt_has(c, "force"))
		ctl_warn("--force: owner identity '%s' set although the vouchers of %zu device(s) "
			 "(%s) pin a certificate that does not anchor this chain: those devices "
			 "will reject the owner certificate until they get new vouchers",
			 name, nbad, names);
	else
		rc = sztp_err_set(
		    e, SZTP_E_MISMATCH,
		    "owner identity '%s' not changed (--force overrides): %zu device(s) "
		    "hold vouchers whose pinned-domain-cert does not anchor this chain, "
		    "so they would reject the owner certificate: %s",
		    name, nbad, names);
out:
	for (i = 0; i < l.n; i++)
		sztp_bytes_free(&l.v[i].voucher);
	free(l.v);
	free(bad);
	return rc;
}

sztp_rc cmd_owner_set(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	const char *chain_path = opt_get(c, "chain"), *key = opt_get(c, "key");
	const char *name = opt_get(c, "name");
	char abskey[PATH_MAX];
	struct reg_owner o;
	sztp_bytes *chain = NULL;
	size_t n = 0;

	memset(&o, 0, sizeof(o));
	if (!name)
		name = "default";
	if (!chain_path || !key)
		return sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				    "owner set needs --chain CHAIN.pem and --key KEY.pem");
	if (opt_has(c, "force") && opt_has(c, "strict"))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "give --force or --strict, not both (--strict is the default)");
	if ((rc = ctl_check_name("owner", name, e)) != SZTP_OK)
		return rc;
	if (!realpath(key, abskey))
		return sztp_err_set(e, SZTP_E_IO, "cannot resolve key file %s: %m", key);
	if ((rc = pki_key_file_check(abskey, e)) != SZTP_OK ||
	    (rc = pki_pem_certs_read(chain_path, &chain, &n, e)) != SZTP_OK)
		goto out;
	if (n == 0) {
		rc = sztp_err_set(e, SZTP_E_MALFORMED, "%s holds no certificate", chain_path);
		goto out;
	}
	if ((rc = pki_key_matches_cert(abskey, &chain[0], e)) != SZTP_OK) {
		if (rc == SZTP_E_MISMATCH)
			sztp_err_set(e, rc,
				     "key %s does not belong to the first certificate "
				     "of %s",
				     key, chain_path);
		goto out;
	}
	if ((rc = chain_validates(chain, n, e)) != SZTP_OK ||
	    (rc = leaf_can_sign(&chain[0], e)) != SZTP_OK ||
	    (rc = check_vouchers(c, name, chain, n, e)) != SZTP_OK)
		goto out;
	snprintf(o.name, sizeof(o.name), "%s", name);
	o.chain = chain;
	o.n_chain = n;
	o.key_path = abskey;
	if ((rc = reg_owner_put(c->reg, &o, e)) != SZTP_OK)
		goto out;
	ctl_done(c, "owner identity '%s' set: %zu certificate(s), key %s", name, n, abskey);
out:
	pki_certs_free(chain, n);
	return rc;
}

sztp_rc cmd_owner_show(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	const char *name = opt_get(c, "name");
	struct reg_owner o;
	json_t *obj = NULL, *certs = NULL;
	time_t now = time(NULL);
	long days = 0;
	size_t i;

	memset(&o, 0, sizeof(o));
	if (!name)
		name = "default";
	if ((rc = ctl_expiry_days(c, &days, e)) != SZTP_OK)
		return rc;
	if ((rc = reg_owner_get(c->reg, name, &o, e)) != SZTP_OK) {
		if (rc == SZTP_E_NOT_FOUND)
			sztp_err_set(e, rc,
				     "owner identity '%s' is not set (use 'sztpctl owner "
				     "set')",
				     name);
		goto out;
	}
	obj = json_pack("{s:s, s:s}", "name", o.name, "key", o.key_path ? o.key_path : "");
	certs = json_array();
	if (!obj || !certs) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < o.n_chain; i++) {
		char subj[256] = "?", t1[32] = "", t2[32] = "";
		time_t nb = 0, na = 0;
		json_t *x;
		pki_cert_subject(&o.chain[i], subj, sizeof(subj), NULL);
		if (pki_cert_validity(&o.chain[i], &nb, &na, NULL) == SZTP_OK) {
			ctl_time(nb, t1);
			ctl_time(na, t2);
		}
		x = json_pack("{s:s, s:s, s:s}", "subject", subj, "not-before", t1, "not-after",
			      t2);
		/* a device refuses an expired owner certificate (RFC 8572 s5.4) */
		if (x && na > 0) {
			json_object_set_new(
			    x, "expiry",
			    json_string(ctl_expiry_name(ctl_expiry_of(na, now, days))));
			json_object_set_new(x, "days-left",
					    json_integer((json_int_t)((na - now) / 86400)));
		}
		json_array_append_new(certs, x);
	}
	json_object_set(obj, "chain", certs);
	if (c->json) {
		char *s = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "{}");
		free(s);
		goto out;
	}
	printf("owner: %s\nkey:   %s\nchain:\n", o.name, o.key_path ? o.key_path : "");
	for (i = 0; i < json_array_size(certs); i++) {
		json_t *x = json_array_get(certs, i);
		const char *st = json_string_value(json_object_get(x, "expiry"));
		char human[96] = "";
		time_t nb = 0, na = 0;
		if (st && strcmp(st, "ok") &&
		    pki_cert_validity(&o.chain[i], &nb, &na, NULL) == SZTP_OK)
			ctl_expiry_text(na, now, days, human, sizeof(human));
		printf("  [%zu] %s\n      valid %s .. %s%s%s\n", i,
		       json_string_value(json_object_get(x, "subject")),
		       json_string_value(json_object_get(x, "not-before")),
		       json_string_value(json_object_get(x, "not-after")), human[0] ? "  " : "",
		       human);
	}
out:
	json_decref(certs);
	json_decref(obj);
	reg_owner_clear(&o);
	return rc;
}
