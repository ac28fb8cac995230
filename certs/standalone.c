/*
 * standalone.c - the separate test CA of sztp-pki ("ca" and "leaf"): a
 * root CA outside the demo PKI, for the negative tests "a certificate
 * from another CA" (RFC 8572 s5.3: the server must reject a device
 * identity it cannot chain; s5.4 / RFC 8366: a voucher or owner
 * certificate from the wrong issuer must fail).  Leaves carry the serial
 * number in the subject serialNumber like IDevIDs.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "out.h"
#include "pki.h"
#include "pki_mint.h"

static sztp_rc write_pair(const struct mint_ident *id, const char *cert, const char *key,
			  struct sztp_err *e)
{
	sztp_bytes k = {NULL, 0};
	const char *pem = mint_ident_pem(id);
	sztp_rc rc = out_write(cert, pem, strlen(pem), OUT_MODE_PUBLIC, e);

	if (rc != SZTP_OK || (rc = mint_ident_key_pem(id, &k, e)) != SZTP_OK)
		return rc;
	rc = out_write(key, k.data, k.len, OUT_MODE_KEY, e);
	sztp_bytes_wipe(&k);
	return rc;
}

sztp_rc cmd_ca(const struct cmd_opts *o, struct sztp_err *e)
{
	struct mint_profile p;
	struct mint_ident *ca = NULL;
	struct out_path c, k;
	time_t now = time(NULL);
	sztp_rc rc;

	memset(&p, 0, sizeof(p));
	p.cn = o->name ? o->name : "Demo Test CA";
	p.org = p.cn;
	p.is_ca = 1;
	p.pathlen = 1;
	p.key_usage = PKI_KU_KEY_CERT_SIGN | PKI_KU_CRL_SIGN;
	p.not_before = now - CMD_BACKDATE;
	p.not_after = now + (o->days ? o->days : CMD_CA_DAYS) * CMD_DAY;
	if ((rc = out_prepare_top(o->out, o->force, e)) != SZTP_OK ||
	    (rc = out_mkdir(o->out, OUT_MODE_KEYDIR, e)) != SZTP_OK ||
	    (rc = out_path_fmt(&c, e, "%s/ca.pem", o->out)) != SZTP_OK ||
	    (rc = out_path_fmt(&k, e, "%s/ca.key", o->out)) != SZTP_OK ||
	    (rc = mint_issue(&p, o->rsa, NULL, &ca, e)) != SZTP_OK ||
	    (rc = write_pair(ca, c.s, k.s, e)) != SZTP_OK)
		goto out;
	printf("sztp-pki: wrote %s and %s (CN=%s)\n", c.s, k.s, p.cn);
out:
	mint_ident_free(ca);
	return rc;
}

sztp_rc cmd_leaf(const struct cmd_opts *o, struct sztp_err *e)
{
	struct mint_profile p;
	struct mint_ident *ca = NULL, *leaf = NULL;
	struct out_path cc, ck, c, k, ch;
	const char *pems[2];
	char org[128];
	time_t now = time(NULL);
	sztp_rc rc;

	memset(&p, 0, sizeof(p));
	p.cn = o->serials[0];
	p.serial_attr = o->no_serial_attr ? NULL : o->serials[0];
	p.key_usage = PKI_KU_DIGITAL_SIGNATURE;
	p.eku = o->server ? PKI_OID_KP_SERVER_AUTH : PKI_OID_KP_CLIENT_AUTH;
	p.san = o->server_san ? o->server_san : o->server ? CMD_DEFAULT_SAN : NULL;
	if ((rc = cmd_validity(o, o->days ? o->days : CMD_LEAF_DAYS, now, &p.not_before,
			       &p.not_after, e)) != SZTP_OK ||
	    (rc = out_path_fmt(&cc, e, "%s/ca.pem", o->ca)) != SZTP_OK ||
	    (rc = out_path_fmt(&ck, e, "%s/ca.key", o->ca)) != SZTP_OK ||
	    (rc = out_path_fmt(&c, e, "%s.pem", o->out)) != SZTP_OK ||
	    (rc = out_path_fmt(&k, e, "%s.key", o->out)) != SZTP_OK ||
	    (rc = out_path_fmt(&ch, e, "%s-chain.pem", o->out)) != SZTP_OK)
		goto out;
	if (!o->force && (out_exists(c.s) || out_exists(k.s))) {
		rc = sztp_err_set(e, SZTP_E_EXISTS, "%s or %s exists (use --force)", c.s, k.s);
		goto out;
	}
	if ((rc = mint_ident_load(cc.s, ck.s, &ca, e)) != SZTP_OK ||
	    (rc = mint_ident_dn_attr(ca, "2.5.4.10", org, sizeof(org), e)) != SZTP_OK)
		goto out;
	p.org = org[0] ? org : NULL;
	if ((rc = mint_issue(&p, o->rsa, ca, &leaf, e)) != SZTP_OK ||
	    (rc = write_pair(leaf, c.s, k.s, e)) != SZTP_OK)
		goto out;
	pems[0] = mint_ident_pem(leaf);
	pems[1] = mint_ident_pem(ca);
	if ((rc = out_write_pems(ch.s, pems, 2, e)) != SZTP_OK)
		goto out;
	printf("sztp-pki: wrote %s %s %s (%s, serial %s)\n", c.s, k.s, ch.s,
	       o->server ? "serverAuth" : "clientAuth", o->serials[0]);
out:
	mint_ident_free(ca);
	mint_ident_free(leaf);
	return rc;
}
