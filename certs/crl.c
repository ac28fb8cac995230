/*
 * crl.c - sztp-pki's "crl" command: a CRL (RFC 5280 s5) from the demo
 * PKI's manufacturer intermediate (which issues the IDevIDs; --revoke SN
 * names a device of the tree) or root (--revoke-cert
 * manufacturer/intermediate.pem revokes the intermediate), or from a
 * standalone CA (--ca DIR, for "a CRL from the wrong issuer" tests).  The
 * times are chosen by the caller so tests can make stale CRLs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "out.h"
#include "pki.h"
#include "pki_mint.h"

/* Append the certificates of a PEM file (its first one) to *certs. */
static sztp_rc add_cert(const char *path, sztp_bytes **certs, size_t *n, struct sztp_err *e)
{
	sztp_bytes *list = NULL, *nl;
	size_t cnt = 0;
	sztp_rc rc = pki_pem_certs_read(path, &list, &cnt, e);

	if (rc != SZTP_OK)
		return rc;
	if (!(nl = realloc(*certs, (*n + 1) * sizeof(*nl)))) {
		pki_certs_free(list, cnt);
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	*certs = nl;
	nl[(*n)++] = list[0]; /* taken; the rest freed */
	list[0].data = NULL;
	list[0].len = 0;
	pki_certs_free(list, cnt);
	return SZTP_OK;
}

sztp_rc cmd_crl(const struct cmd_opts *o, struct sztp_err *e)
{
	struct mint_ident *issuer = NULL;
	struct out_path cert, key, out, p;
	const char *name = o->issuer ? o->issuer : "intermediate";
	sztp_bytes *certs = NULL, pem = {NULL, 0};
	size_t n = 0, i;
	time_t now = time(NULL), tu, nu;
	sztp_rc rc;

	if (o->pki) {
		rc = out_path_fmt(&cert, e, "%s/manufacturer/%s.pem", o->pki, name);
		if (rc == SZTP_OK)
			rc = out_path_fmt(&key, e, "%s/manufacturer/%s.key", o->pki, name);
		if (rc == SZTP_OK)
			rc = o->out ? out_path_fmt(&out, e, "%s", o->out)
				    : out_path_fmt(&out, e, "%s/manufacturer/%s.crl", o->pki, name);
	} else {
		rc = out_path_fmt(&cert, e, "%s/ca.pem", o->ca);
		if (rc == SZTP_OK)
			rc = out_path_fmt(&key, e, "%s/ca.key", o->ca);
		if (rc == SZTP_OK)
			rc = o->out ? out_path_fmt(&out, e, "%s", o->out)
				    : out_path_fmt(&out, e, "%s/ca.crl", o->ca);
	}
	if (rc != SZTP_OK || (rc = mint_ident_load(cert.s, key.s, &issuer, e)) != SZTP_OK)
		goto out;
	for (i = 0; i < o->n_serials && rc == SZTP_OK; i++) {
		rc = out_path_fmt(&p, e, "%s/devices/%s/idevid.pem", o->pki, o->serials[i]);
		if (rc == SZTP_OK)
			rc = add_cert(p.s, &certs, &n, e);
	}
	for (i = 0; i < o->n_revoke_certs && rc == SZTP_OK; i++)
		rc = add_cert(o->revoke_certs[i], &certs, &n, e);
	if (rc != SZTP_OK)
		goto out;
	/* an explicit nextUpdate in the past (a stale CRL) moves the default
	 * thisUpdate back with it */
	nu = o->next_update;
	tu = o->this_update ? o->this_update : now - 60;
	if (!nu)
		nu = tu + (o->days ? o->days : CMD_CRL_DAYS) * CMD_DAY;
	else if (!o->this_update && nu <= tu)
		tu = nu - CMD_CRL_DAYS * CMD_DAY;
	if ((rc = mint_crl(issuer, certs, n, tu, nu, &pem, e)) != SZTP_OK ||
	    (rc = out_write(out.s, pem.data, pem.len, OUT_MODE_PUBLIC, e)) != SZTP_OK)
		goto out;
	printf("sztp-pki: wrote %s: %zu certificate(s) revoked\n", out.s, n);
out:
	sztp_bytes_free(&pem);
	pki_certs_free(certs, n);
	mint_ident_free(issuer);
	return rc;
}
