/*
 * tree.c - the commands that work on the fixed sztp-pki layout (init,
 * device, voucher).  The layout is an interface: sztpd's end-to-end tests
 * and the demo script read it.
 *
 *   manufacturer/root.pem,key          IDevID + voucher trust anchor
 *   manufacturer/intermediate.pem,key  issues IDevIDs
 *   manufacturer/voucher-signer.pem,key MASA signer (RFC 8366 s5.4)
 *   owner/ca.pem,key                   the vouchers' pinned-domain-cert
 *   owner/signer.pem,key, chain.pem    owner certificate (RFC 8572 s3.2)
 *   server/cert.pem,key.pem, chain.pem bootstrap server TLS (RFC 8572 s5.1)
 *   devices/SN/idevid.pem,key, chain.pem, voucher.vcj
 *
 * Fleets (--count) mint one key and certificate per device in a loop with
 * the CA keys held in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "out.h"
#include "pki.h"
#include "pki_mint.h"
#include "util.h"
#include "vouch.h"

#define MFG_ORG	  "Demo Manufacturer"
#define OWNER_ORG "Demo Owner"

struct tree {
	const char *dir;
	struct mint_ident *root, *inter, *masa_cert, *owner_ca, *owner_signer, *server;
	struct pki_signer *masa; /* voucher signer with chain {masa_cert, root} */
};

/* One device to mint. */
struct dev_spec {
	const char *serial;
	const char *subject_serial; /* the serialNumber when not serial (SUDI form) */
	int rsa, serial_attr, voucher, force;
	const char *hw_type; /* hardwareModuleName hwType, NULL = none */
	time_t nb, na;	     /* certificate validity */
	time_t v_created, v_expires;
};

static void tree_free(struct tree *t)
{
	mint_ident_free(t->root);
	mint_ident_free(t->inter);
	mint_ident_free(t->masa_cert);
	mint_ident_free(t->owner_ca);
	mint_ident_free(t->owner_signer);
	mint_ident_free(t->server);
	pki_signer_free(t->masa);
	memset(t, 0, sizeof(*t));
}

/* Write cert (0644) and key (0600) of id into dir. */
static sztp_rc write_ident(const struct mint_ident *id, const char *dir, const char *cert,
			   const char *key, struct sztp_err *e)
{
	struct out_path p;
	sztp_bytes k = {NULL, 0};
	const char *pem = mint_ident_pem(id);
	sztp_rc rc;

	if ((rc = out_path_fmt(&p, e, "%s/%s", dir, cert)) != SZTP_OK ||
	    (rc = out_write(p.s, pem, strlen(pem), OUT_MODE_PUBLIC, e)) != SZTP_OK)
		return rc;
	if ((rc = out_path_fmt(&p, e, "%s/%s", dir, key)) != SZTP_OK ||
	    (rc = mint_ident_key_pem(id, &k, e)) != SZTP_OK)
		return rc;
	rc = out_write(p.s, k.data, k.len, OUT_MODE_KEY, e);
	sztp_bytes_wipe(&k);
	return rc;
}

static sztp_rc write_chain(const char *dir, const char *name, const struct mint_ident *a,
			   const struct mint_ident *b, struct sztp_err *e)
{
	const char *pems[2] = {mint_ident_pem(a), mint_ident_pem(b)};
	struct out_path p;
	sztp_rc rc = out_path_fmt(&p, e, "%s/%s", dir, name);

	return rc != SZTP_OK ? rc : out_write_pems(p.s, pems, 2, e);
}

/* The MASA signer from the voucher-signer identity (key in memory). */
static sztp_rc masa_signer(struct tree *t, struct sztp_err *e)
{
	sztp_bytes chain[2] = {*mint_ident_der(t->masa_cert), *mint_ident_der(t->root)};
	sztp_bytes k = {NULL, 0};
	sztp_rc rc = mint_ident_key_pem(t->masa_cert, &k, e);

	if (rc != SZTP_OK)
		return rc;
	rc = pki_signer_from_mem(k.data, k.len, chain, 2, &t->masa, e);
	sztp_bytes_wipe(&k);
	return rc;
}

/* ---- devices --------------------------------------------------------- */

static sztp_rc device_voucher(const struct tree *t, const struct dev_spec *d,
			      const struct mint_ident *idevid, const char *dir, struct sztp_err *e)
{
	struct vouch_params vp;
	sztp_bytes aki = {NULL, 0}, cms = {NULL, 0};
	struct out_path p;
	sztp_rc rc;

	if ((rc = mint_ident_aki(idevid, &aki, e)) != SZTP_OK)
		return rc;
	memset(&vp, 0, sizeof(vp));
	vp.serial = d->serial;
	vp.assertion = "verified";
	vp.created_on = d->v_created;
	vp.expires_on = d->v_expires;
	vp.pinned = mint_ident_der(t->owner_ca);
	vp.idevid_issuer = &aki; /* RFC 8366 s5.3: AKI of the IDevID */
	if ((rc = vouch_mint(&vp, t->masa, &cms, e)) == SZTP_OK &&
	    (rc = out_path_fmt(&p, e, "%s/voucher.vcj", dir)) == SZTP_OK)
		rc = out_write(p.s, cms.data, cms.len, OUT_MODE_PUBLIC, e);
	sztp_bytes_free(&aki);
	sztp_bytes_free(&cms);
	return rc;
}

static sztp_rc device_mint(const struct tree *t, const struct dev_spec *d, struct sztp_err *e)
{
	struct mint_profile p;
	struct mint_ident *id = NULL;
	struct out_path dir;
	sztp_rc rc;

	if ((rc = out_path_fmt(&dir, e, "%s/devices/%s", t->dir, d->serial)) != SZTP_OK)
		return rc;
	if (!d->force && out_exists(dir.s))
		return sztp_err_set(e, SZTP_E_EXISTS,
				    "device %s already exists in %s (use --force)", d->serial,
				    dir.s);
	if ((rc = out_mkdir(dir.s, OUT_MODE_KEYDIR, e)) != SZTP_OK)
		return rc;
	memset(&p, 0, sizeof(p));
	p.cn = d->serial;
	p.org = MFG_ORG;
	/* RFC 8572 s5.3; or another text holding it (sztpd's serial=sudi) */
	p.serial_attr = !d->serial_attr ? NULL : d->subject_serial ? d->subject_serial : d->serial;
	p.key_usage = PKI_KU_DIGITAL_SIGNATURE;
	p.eku = PKI_OID_KP_CLIENT_AUTH;
	p.hw_type = d->hw_type;
	p.hw_serial = d->serial;
	p.not_before = d->nb;
	p.not_after = d->na;
	if ((rc = mint_issue(&p, d->rsa, t->inter, &id, e)) != SZTP_OK ||
	    (rc = write_ident(id, dir.s, "idevid.pem", "idevid.key", e)) != SZTP_OK ||
	    (rc = write_chain(dir.s, "chain.pem", id, t->inter, e)) != SZTP_OK)
		goto out;
	if (d->voucher)
		rc = device_voucher(t, d, id, dir.s, e);
out:
	mint_ident_free(id);
	return rc;
}

/* Serial numbers for init: --serial values, then --count generated ones,
 * or the one default.  Duplicates are refused. */
static sztp_rc init_serials(const struct cmd_opts *o, char ***out, size_t *n, struct sztp_err *e)
{
	size_t total = o->n_serials + (size_t)o->count, i, j;
	const char *prefix = o->prefix ? o->prefix : "SN-";
	int width = o->count >= 10000 ? snprintf(NULL, 0, "%ld", o->count) : 4;
	char **s;

	if (!total)
		total = 1;
	s = calloc(total, sizeof(*s));
	if (!s)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	*out = s;
	*n = total;
	for (i = 0; i < total; i++) {
		if (i < o->n_serials)
			s[i] = strdup(o->serials[i]);
		else if (!o->count)
			s[i] = strdup(CMD_DEFAULT_SN);
		else if (asprintf(&s[i], "%s%0*zu", prefix, width, i - o->n_serials + 1) < 0)
			s[i] = NULL;
		if (!s[i])
			return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		if (!cmd_serial_ok(s[i]))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "generated serial number %s is too long", s[i]);
	}
	for (i = 0; i < o->n_serials; i++)
		for (j = i + 1; j < total; j++)
			if (!strcmp(s[i], s[j]))
				return sztp_err_set(e, SZTP_E_EXISTS, "serial %s given twice",
						    s[i]);
	return SZTP_OK;
}

static void serials_free(char **s, size_t n)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		free(s[i]);
	free(s);
}

/* ---- init --------------------------------------------------------------- */

static void profile_ca(struct mint_profile *p, const char *cn, const char *org, int pathlen,
		       time_t nb, time_t na)
{
	memset(p, 0, sizeof(*p));
	p->cn = cn;
	p->org = org;
	p->is_ca = 1;
	p->pathlen = pathlen;
	p->key_usage = PKI_KU_KEY_CERT_SIGN | PKI_KU_CRL_SIGN;
	p->not_before = nb;
	p->not_after = na;
}

static void profile_leaf(struct mint_profile *p, const char *cn, const char *org, time_t nb,
			 time_t na)
{
	memset(p, 0, sizeof(*p));
	p->cn = cn;
	p->org = org;
	p->key_usage = PKI_KU_DIGITAL_SIGNATURE;
	p->not_before = nb;
	p->not_after = na;
}

static sztp_rc init_manufacturer(struct tree *t, int rsa, time_t nb, time_t ca_na, time_t na,
				 struct sztp_err *e)
{
	struct mint_profile p;
	struct out_path dir;
	sztp_rc rc;

	if ((rc = out_path_fmt(&dir, e, "%s/manufacturer", t->dir)) != SZTP_OK ||
	    (rc = out_mkdir(dir.s, OUT_MODE_KEYDIR, e)) != SZTP_OK)
		return rc;
	profile_ca(&p, "Demo Manufacturer Root CA", MFG_ORG, 1, nb, ca_na);
	if ((rc = mint_issue(&p, rsa, NULL, &t->root, e)) != SZTP_OK ||
	    (rc = write_ident(t->root, dir.s, "root.pem", "root.key", e)) != SZTP_OK)
		return rc;
	profile_ca(&p, "Demo Manufacturer IDevID CA", MFG_ORG, 0, nb, ca_na);
	if ((rc = mint_issue(&p, rsa, t->root, &t->inter, e)) != SZTP_OK ||
	    (rc = write_ident(t->inter, dir.s, "intermediate.pem", "intermediate.key", e)) !=
		SZTP_OK)
		return rc;
	profile_leaf(&p, "Demo Manufacturer Voucher Signer", MFG_ORG, nb, na);
	if ((rc = mint_issue(&p, rsa, t->root, &t->masa_cert, e)) != SZTP_OK ||
	    (rc = write_ident(t->masa_cert, dir.s, "voucher-signer.pem", "voucher-signer.key",
			      e)) != SZTP_OK)
		return rc;
	return masa_signer(t, e);
}

static sztp_rc init_owner(struct tree *t, const char *san, int rsa, time_t nb, time_t ca_na,
			  time_t na, struct sztp_err *e)
{
	struct mint_profile p;
	struct out_path dir;
	sztp_rc rc;

	if ((rc = out_path_fmt(&dir, e, "%s/owner", t->dir)) != SZTP_OK ||
	    (rc = out_mkdir(dir.s, OUT_MODE_KEYDIR, e)) != SZTP_OK)
		return rc;
	profile_ca(&p, "Demo Owner Root CA", OWNER_ORG, 1, nb, ca_na);
	if ((rc = mint_issue(&p, rsa, NULL, &t->owner_ca, e)) != SZTP_OK ||
	    (rc = write_ident(t->owner_ca, dir.s, "ca.pem", "ca.key", e)) != SZTP_OK)
		return rc;
	profile_leaf(&p, "Demo Owner Signer", OWNER_ORG, nb, na);
	if ((rc = mint_issue(&p, rsa, t->owner_ca, &t->owner_signer, e)) != SZTP_OK ||
	    (rc = write_ident(t->owner_signer, dir.s, "signer.pem", "signer.key", e)) != SZTP_OK ||
	    (rc = write_chain(dir.s, "chain.pem", t->owner_signer, t->owner_ca, e)) != SZTP_OK)
		return rc;
	if ((rc = out_path_fmt(&dir, e, "%s/server", t->dir)) != SZTP_OK ||
	    (rc = out_mkdir(dir.s, OUT_MODE_KEYDIR, e)) != SZTP_OK)
		return rc;
	profile_leaf(&p, "SZTP Bootstrap Server", OWNER_ORG, nb, na);
	p.eku = PKI_OID_KP_SERVER_AUTH;
	p.san = san;
	if (rsa)
		p.key_usage |= PKI_KU_KEY_ENCIPHERMENT; /* TLS 1.2 RSA key transport */
	if ((rc = mint_issue(&p, rsa, t->owner_ca, &t->server, e)) != SZTP_OK ||
	    (rc = write_ident(t->server, dir.s, "cert.pem", "key.pem", e)) != SZTP_OK)
		return rc;
	return write_chain(dir.s, "chain.pem", t->server, t->owner_ca, e);
}

static void init_summary(const struct cmd_opts *o, const char *san, char **sns, size_t n)
{
	size_t i;

	printf("sztp-pki: wrote %s PKI to %s\n", o->rsa ? "RSA-2048" : "ECDSA P-256", o->out);
	printf("  manufacturer/ root.pem intermediate.pem voucher-signer.pem (+ .key)\n");
	printf("  owner/        ca.pem signer.pem chain.pem (+ .key)\n");
	printf("  server/       cert.pem key.pem chain.pem  SAN %s\n", san);
	printf("  devices/      %zu device(s):", n);
	for (i = 0; i < n && i < 5; i++)
		printf(" %s", sns[i]);
	printf("%s\n", n > 5 ? " ..." : "");
	printf("                idevid.pem idevid.key chain.pem voucher.vcj each\n");
}

sztp_rc cmd_init(const struct cmd_opts *o, struct sztp_err *e)
{
	struct tree t;
	struct dev_spec d;
	struct out_path devs;
	char **sns = NULL, hw[64];
	size_t n = 0, i;
	time_t now = time(NULL), nb = now - CMD_BACKDATE, na, ca_na;
	long days = o->days ? o->days : CMD_LEAF_DAYS;
	const char *san = o->server_san ? o->server_san : CMD_DEFAULT_SAN;
	sztp_rc rc;

	memset(&t, 0, sizeof(t));
	t.dir = o->out;
	na = now + days * CMD_DAY;
	ca_na = now + (days > CMD_CA_DAYS ? days : CMD_CA_DAYS) * CMD_DAY;
	if ((rc = init_serials(o, &sns, &n, e)) != SZTP_OK ||
	    (rc = out_prepare_top(o->out, o->force, e)) != SZTP_OK ||
	    (rc = init_manufacturer(&t, o->rsa, nb, ca_na, na, e)) != SZTP_OK ||
	    (rc = init_owner(&t, san, o->rsa, nb, ca_na, na, e)) != SZTP_OK ||
	    (rc = out_path_fmt(&devs, e, "%s/devices", o->out)) != SZTP_OK ||
	    (rc = out_mkdir(devs.s, OUT_MODE_DIR, e)) != SZTP_OK)
		goto out;
	memset(&d, 0, sizeof(d));
	d.rsa = o->rsa;
	d.serial_attr = 1;
	d.voucher = 1;
	d.force = o->force;
	d.nb = nb;
	d.na = na;
	d.v_created = now;
	d.v_expires = now + (o->voucher_days ? o->voucher_days : CMD_VOUCHER_DAYS) * CMD_DAY;
	if (o->model) {
		mint_model_oid(o->model, hw);
		d.hw_type = hw;
	}
	for (i = 0; i < n; i++) {
		d.serial = sns[i];
		if ((rc = device_mint(&t, &d, e)) != SZTP_OK)
			goto out;
	}
	init_summary(o, san, sns, n);
	rc = SZTP_OK;
out:
	serials_free(sns, n);
	tree_free(&t);
	return rc;
}

/* ---- device / voucher on an existing tree ------------------------------ */

/* Load the pieces of an existing tree; keys only where asked. */
static sztp_rc tree_load(struct tree *t, const char *dir, int inter_key, int masa,
			 struct sztp_err *e)
{
	struct out_path c, k;
	sztp_rc rc;

	memset(t, 0, sizeof(*t));
	t->dir = dir;
	if ((rc = out_path_fmt(&c, e, "%s/manufacturer/root.pem", dir)) != SZTP_OK ||
	    (rc = mint_ident_load(c.s, NULL, &t->root, e)) != SZTP_OK ||
	    (rc = out_path_fmt(&c, e, "%s/manufacturer/intermediate.pem", dir)) != SZTP_OK ||
	    (rc = out_path_fmt(&k, e, "%s/manufacturer/intermediate.key", dir)) != SZTP_OK ||
	    (rc = mint_ident_load(c.s, inter_key ? k.s : NULL, &t->inter, e)) != SZTP_OK ||
	    (rc = out_path_fmt(&c, e, "%s/owner/ca.pem", dir)) != SZTP_OK ||
	    (rc = mint_ident_load(c.s, NULL, &t->owner_ca, e)) != SZTP_OK)
		return rc;
	if (!masa)
		return SZTP_OK;
	if ((rc = out_path_fmt(&c, e, "%s/manufacturer/voucher-signer.pem", dir)) != SZTP_OK ||
	    (rc = out_path_fmt(&k, e, "%s/manufacturer/voucher-signer.key", dir)) != SZTP_OK ||
	    (rc = mint_ident_load(c.s, k.s, &t->masa_cert, e)) != SZTP_OK)
		return rc;
	return masa_signer(t, e);
}

sztp_rc cmd_device(const struct cmd_opts *o, struct sztp_err *e)
{
	struct tree t;
	struct dev_spec d;
	char hw[64];
	time_t now = time(NULL);
	sztp_rc rc;

	memset(&d, 0, sizeof(d));
	d.serial = o->serials[0];
	d.rsa = o->rsa;
	d.serial_attr = !o->no_serial_attr;
	d.subject_serial = o->subject_serial;
	d.voucher = !o->no_voucher;
	d.force = o->force;
	d.v_created = now;
	d.v_expires = now + (o->voucher_days ? o->voucher_days : CMD_VOUCHER_DAYS) * CMD_DAY;
	if (o->model) {
		mint_model_oid(o->model, hw);
		d.hw_type = hw;
	}
	if ((rc = cmd_validity(o, o->days ? o->days : CMD_LEAF_DAYS, now, &d.nb, &d.na, e)) !=
	    SZTP_OK)
		return rc;
	rc = tree_load(&t, o->pki, 1, d.voucher, e);
	if (rc == SZTP_OK)
		rc = device_mint(&t, &d, e);
	if (rc == SZTP_OK)
		printf("sztp-pki: wrote %s/devices/%s/ idevid.pem idevid.key chain.pem%s%s%s\n",
		       o->pki, d.serial, d.voucher ? " voucher.vcj" : "",
		       d.hw_type ? "  hwType " : "", d.hw_type ? d.hw_type : "");
	tree_free(&t);
	return rc;
}

/* idevid-issuer for a voucher: the AKI of devices/SN/idevid.pem when the
 * device exists, else the intermediate's SKI (what any IDevID it issues
 * carries as AKI). */
static sztp_rc voucher_issuer(const struct tree *t, const char *serial, sztp_bytes *out,
			      struct sztp_err *e)
{
	struct mint_ident *dev = NULL;
	struct out_path p;
	sztp_rc rc = out_path_fmt(&p, e, "%s/devices/%s/idevid.pem", t->dir, serial);

	if (rc != SZTP_OK)
		return rc;
	if (!cmd_serial_ok(serial) || !out_exists(p.s))
		return mint_ident_ski(t->inter, out, e);
	if ((rc = mint_ident_load(p.s, NULL, &dev, e)) == SZTP_OK)
		rc = mint_ident_aki(dev, out, e);
	mint_ident_free(dev);
	return rc;
}

static sztp_rc voucher_output(const struct cmd_opts *o, struct out_path *p, struct sztp_err *e)
{
	sztp_rc rc;

	if (o->out)
		return out_path_fmt(p, e, "%s", o->out);
	if (!cmd_serial_ok(o->serials[0]))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "serial \"%s\" is no device directory name; give --out FILE",
				    o->serials[0]);
	if ((rc = out_path_fmt(p, e, "%s/devices/%s", o->pki, o->serials[0])) != SZTP_OK)
		return rc;
	if (!out_exists(p->s))
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "%s does not exist; give --out FILE",
				    p->s);
	return out_path_fmt(p, e, "%s/devices/%s/voucher.vcj", o->pki, o->serials[0]);
}

static sztp_rc voucher_pinned(const struct cmd_opts *o, const struct tree *t, sztp_bytes *pinned,
			      struct sztp_err *e)
{
	sztp_bytes *certs = NULL;
	size_t n = 0;
	sztp_rc rc;

	if (!o->pinned)
		return sztp_bytes_dup(pinned, mint_ident_der(t->owner_ca)->data,
				      mint_ident_der(t->owner_ca)->len) == SZTP_OK
			   ? SZTP_OK
			   : sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	if ((rc = pki_pem_certs_read(o->pinned, &certs, &n, e)) != SZTP_OK)
		return rc;
	if (n == 0) {
		rc = sztp_err_set(e, SZTP_E_NOT_FOUND, "%s holds no certificate", o->pinned);
	} else {
		*pinned = certs[0];
		certs[0].data = NULL;
		certs[0].len = 0;
	}
	pki_certs_free(certs, n);
	return rc;
}

sztp_rc cmd_voucher(const struct cmd_opts *o, struct sztp_err *e)
{
	struct tree t;
	struct vouch_params vp;
	struct out_path outp;
	sztp_bytes issuer = {NULL, 0}, pinned = {NULL, 0}, cms = {NULL, 0};
	struct pki_signer *other = NULL;
	char created[21], expires[21];
	time_t now = time(NULL);
	long vdays = o->voucher_days ? o->voucher_days : CMD_VOUCHER_DAYS;
	sztp_rc rc;

	memset(&vp, 0, sizeof(vp));
	vp.serial = o->serials[0];
	vp.assertion = o->assertion ? o->assertion : "verified";
	vp.created_on = o->created_on ? o->created_on : now;
	if (o->expires_on)
		vp.expires_on = o->expires_on;
	else if (!o->no_expiry && (!o->nonce || o->voucher_days))
		vp.expires_on = vp.created_on + vdays * CMD_DAY; /* nonce excludes expiry */
	vp.nonce_b64 = o->nonce;
	vp.pinned = &pinned;
	vp.idevid_issuer = &issuer;
	if ((rc = tree_load(&t, o->pki, 0, !o->signer_key, e)) != SZTP_OK ||
	    (rc = voucher_output(o, &outp, e)) != SZTP_OK ||
	    (rc = voucher_issuer(&t, o->serials[0], &issuer, e)) != SZTP_OK ||
	    (rc = voucher_pinned(o, &t, &pinned, e)) != SZTP_OK)
		goto out;
	if (o->signer_key &&
	    (rc = pki_signer_load(o->signer_key, o->signer_cert, &other, e)) != SZTP_OK)
		goto out;
	if ((rc = vouch_mint(&vp, other ? other : t.masa, &cms, e)) != SZTP_OK ||
	    (rc = out_write(outp.s, cms.data, cms.len, OUT_MODE_PUBLIC, e)) != SZTP_OK)
		goto out;
	time_rfc3339(vp.created_on, created);
	time_rfc3339(vp.expires_on, expires);
	printf("sztp-pki: wrote %s (serial %s, %s, created %s, %s%s)\n", outp.s, vp.serial,
	       vp.assertion, created, vp.expires_on ? "expires " : "no expiry",
	       vp.expires_on ? expires : "");
out:
	pki_signer_free(other);
	sztp_bytes_free(&issuer);
	sztp_bytes_free(&pinned);
	sztp_bytes_free(&cms);
	tree_free(&t);
	return rc;
}
