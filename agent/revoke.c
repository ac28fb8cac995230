/*
 * revoke.c - domain-cert-revocation-checks (RFC 8366 s5.3; RFC 8572 s5.4:
 * "if the revocation status is not attainable or if it is determined that
 * a certificate has been revoked, the device MUST NOT validate the owner
 * certificate").  Each certificate on the path from the owner certificate
 * up to the voucher's pinned-domain-cert (which is the anchor and is not
 * itself checked) needs a current CRL signed by its issuer: first from
 * the configured crl-file files, else fetched from the certificate's own
 * CRL distribution points (https only; the TLS server is not
 * authenticated, as for image downloads: the CRL's signature is its
 * proof, and with a trusted clock thisUpdate..nextUpdate its freshness).
 * Revoked -> refused; no usable CRL -> refused (fail closed).  A pinned
 * owner certificate (nothing below the anchor) cannot be checked, so it
 * is refused too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "log.h"
#include "pki_revoke.h"
#include "util.h"

#define CRL_MAX	 (1u << 20) /* one CRL file or download */
#define DP_MAX	 4	    /* distribution points tried per certificate */
#define WHY_SIZE 600

static void subject(const sztp_bytes *c, char *out, size_t len)
{
	if (pki_cert_subject(c, out, len, NULL) != SZTP_OK)
		snprintf(out, len, "(unreadable certificate)");
}

static void why_add(char *why, const char *s)
{
	size_t l = strlen(why);

	if (l + 8 < WHY_SIZE)
		snprintf(why + l, WHY_SIZE - l, "%s%s", l ? "; " : "", s);
}

/* The status of path[k] (issued by issuer): 0 good, 1 revoked (src names
 * the CRL), -1 unobtainable (why says what was tried). */
static int one_status(struct agent_dev *d, const sztp_bytes *cert, const sztp_bytes *issuer,
		      const sztp_bytes *local, size_t n_local, char *src, size_t srclen, char *why)
{
	char uris[DP_MAX][PKI_CRL_URI_MAX], line[SZTP_ERR_MSG_MAX + PKI_CRL_URI_MAX];
	time_t now = d->cfg->clock_trusted ? time(NULL) : 0;
	struct sztp_err e = {0};
	sztp_bytes crl = {0};
	size_t n, i;
	int revoked = 0;

	if (n_local && pki_crl_status(cert, issuer, local, n_local, now, &revoked, &e) == SZTP_OK) {
		snprintf(src, srclen, "crl-file");
		return revoked;
	}
	if (n_local) {
		snprintf(line, sizeof(line), "crl-file: %s", e.msg);
		why_add(why, line);
	}
	n = pki_cert_crl_uris(cert, uris, DP_MAX);
	if (!n)
		why_add(why, n_local ? "no CRL distribution point"
				     : "no CRL distribution point and no crl-file");
	for (i = 0; i < n; i++) {
		if (http_fetch(d, uris[i], CRL_MAX, &crl, &e) != SZTP_OK) {
			why_add(why, e.msg);
			continue;
		}
		if (pki_crl_status(cert, issuer, &crl, 1, now, &revoked, &e) == SZTP_OK) {
			sztp_bytes_free(&crl);
			snprintf(src, srclen, "%s", uris[i]);
			agent_log(d, LOG_LVL_DEBUG, "revocation", "CRL from %s", uris[i]);
			return revoked;
		}
		sztp_bytes_free(&crl);
		snprintf(line, sizeof(line), "%s: %s", uris[i], e.msg);
		why_add(why, line);
	}
	return -1;
}

static sztp_rc local_crls(const struct agent_config *c, sztp_bytes *out, struct sztp_err *e)
{
	size_t i;
	sztp_rc rc;

	for (i = 0; i < c->n_crl_files; i++)
		if ((rc = file_read(c->crl_files[i], CRL_MAX, &out[i], e)) != SZTP_OK)
			return sztp_err_set(e, rc, "crl-file: %s", e->msg);
	return SZTP_OK;
}

sztp_rc revocation_check(struct agent_dev *d, const sztp_bytes *pinned, const sztp_bytes *owner,
			 const sztp_bytes *bag, size_t n, struct sztp_err *e)
{
	sztp_bytes local[AGENT_MAX_LIST] = {{0}}, *path = NULL;
	char subj[256], src[PKI_CRL_URI_MAX], why[WHY_SIZE];
	size_t np = 0, k;
	int st;
	sztp_rc rc;

	if ((rc = local_crls(d->cfg, local, e)) != SZTP_OK)
		goto out;
	if (!d->cfg->clock_trusted)
		agent_log(d, LOG_LVL_WARN, "revocation",
			  "clock not trusted: CRL thisUpdate/nextUpdate not checked");
	if ((rc = pki_path_to_anchor(pinned, owner, bag, n, &path, &np, e)) != SZTP_OK)
		goto out;
	rc = SZTP_E_VERIFY;
	if (np == 0) {
		sztp_err_set(e, rc,
			     "domain-cert-revocation-checks: the pinned-domain-cert is the owner "
			     "certificate itself, whose revocation status cannot be obtained");
		goto out;
	}
	for (k = 0; k < np; k++) {
		why[0] = '\0';
		subject(&path[k], subj, sizeof(subj));
		st = one_status(d, &path[k], k + 1 < np ? &path[k + 1] : pinned, local,
				d->cfg->n_crl_files, src, sizeof(src), why);
		if (st == 1) {
			sztp_err_set(e, rc, "owner certificate chain: \"%s\" is revoked (CRL %s)",
				     subj, src);
			goto out;
		}
		if (st < 0) {
			sztp_err_set(e, rc,
				     "domain-cert-revocation-checks: revocation status of \"%s\" "
				     "cannot be obtained: %s",
				     subj, why);
			goto out;
		}
		agent_log(d, LOG_LVL_INFO, "revocation", "\"%s\" not revoked (CRL %s)", subj, src);
	}
	rc = SZTP_OK;
out:
	for (k = 0; k < AGENT_MAX_LIST; k++)
		sztp_bytes_free(&local[k]);
	pki_certs_free(path, np);
	return rc;
}
