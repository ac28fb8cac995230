/*
 * progress.c - report-progress (RFC 8572 s5.6, s7): sent only to a
 * trusted bootstrap server, never to an untrusted one even when its data
 * was signed.  With reporting-level minimal only bootstrap-initiated, the
 * *-error types, boot-image-installed-rebooting and bootstrap-complete go
 * out; verbose adds every *-initiated, *-warning and *-complete.
 * bootstrap-complete carries the device's SSH host keys when configured
 * (RFC 4253 s6.6 key-data, from OpenSSH .pub files) and its trust anchors
 * (trust-anchor-certs: one certs-only CMS per report-trust-anchors file,
 * the chain as the file holds it).
 */
#include <ctype.h>
#include <jansson.h>
#include <string.h>

#include "agent.h"
#include "cms.h"
#include "log.h"
#include "util.h"

static int minimal_type(const char *t)
{
	size_t n = strlen(t);

	return !strcmp(t, "bootstrap-initiated") || !strcmp(t, "bootstrap-complete") ||
	       !strcmp(t, "boot-image-installed-rebooting") ||
	       (n > 6 && !strcmp(t + n - 6, "-error"));
}

/* ssh-host-keys from "ALGO BASE64 [comment]" files. */
static sztp_rc host_keys(struct agent_dev *d, json_t *in, struct sztp_err *e)
{
	const struct agent_config *c = d->cfg;
	json_t *list, *k;
	sztp_bytes f = {0}, raw = {0};
	char algo[64], *p, *sp, *end;
	size_t i;
	sztp_rc rc = SZTP_OK;

	if (!c->n_ssh_host_keys)
		return SZTP_OK;
	list = json_array();
	json_object_set_new(in, "ssh-host-keys", json_pack("{s:o}", "ssh-host-key", list));
	for (i = 0; i < c->n_ssh_host_keys && rc == SZTP_OK; i++) {
		if ((rc = file_read(c->ssh_host_keys[i], 65536, &f, e)) != SZTP_OK)
			break;
		p = (char *)f.data;
		sp = strchr(p, ' ');
		if (!sp || (size_t)(sp - p) >= sizeof(algo)) {
			rc = sztp_err_set(e, SZTP_E_MALFORMED, "%s: not an OpenSSH public key",
					  c->ssh_host_keys[i]);
			break;
		}
		memcpy(algo, p, (size_t)(sp - p));
		algo[sp - p] = '\0';
		p = sp + 1;
		for (end = p; *end && !isspace((unsigned char)*end); end++)
			;
		*end = '\0';
		if (b64_decode(p, strlen(p), &raw, e)) { /* key-data is binary */
			rc = sztp_err_set(e, SZTP_E_MALFORMED, "%s: key data is not base64",
					  c->ssh_host_keys[i]);
			break;
		}
		sztp_bytes_free(&raw);
		k = json_pack("{s:s,s:s}", "algorithm", algo, "key-data", p);
		json_array_append_new(list, k);
		sztp_bytes_free(&f);
	}
	sztp_bytes_free(&f);
	return rc;
}

/* trust-anchor-certs: each report-trust-anchors file (PEM) as one
 * degenerate certs-only SignedData, base64 (RFC 8572 s7.3). */
static sztp_rc trust_anchors(struct agent_dev *d, json_t *in, struct sztp_err *e)
{
	const struct agent_config *c = d->cfg;
	sztp_bytes *certs = NULL, cms = {0};
	size_t n = 0, i;
	char *b64 = NULL;
	json_t *list;
	sztp_rc rc = SZTP_OK;

	if (!c->n_report_anchors)
		return SZTP_OK;
	list = json_array();
	json_object_set_new(in, "trust-anchor-certs",
			    json_pack("{s:o}", "trust-anchor-cert", list));
	for (i = 0; i < c->n_report_anchors && rc == SZTP_OK; i++) {
		if ((rc = pki_pem_certs_read(c->report_anchors[i], &certs, &n, e)) != SZTP_OK)
			break;
		if (n == 0)
			rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "%s holds no certificate",
					  c->report_anchors[i]);
		if (rc == SZTP_OK && (rc = cms_certs_only(certs, n, &cms, e)) == SZTP_OK &&
		    (rc = b64_encode(cms.data, cms.len, &b64, e)) == SZTP_OK)
			json_array_append_new(list, json_string(b64));
		free(b64);
		b64 = NULL;
		sztp_bytes_free(&cms);
		pki_certs_free(certs, n);
		certs = NULL;
		n = 0;
	}
	return rc;
}

sztp_rc progress_send(struct progress *p, const char *type, const char *msg, struct sztp_err *e)
{
	json_t *in;
	sztp_bytes resp = {0};
	char *text = NULL;
	long st = 0;
	sztp_rc rc;

	if (!p || !bsclient_trusted(p->conn)) /* RFC 8572 s5.6: trusted servers only */
		return SZTP_OK;
	if (!p->verbose && !minimal_type(type))
		return SZTP_OK;
	in = json_pack("{s:s}", "progress-type", type);
	if (msg && *msg)
		json_object_set_new(in, "message", json_string(msg));
	if (!strcmp(type, "bootstrap-complete") && (rc = host_keys(p->d, in, e)) != SZTP_OK) {
		agent_log(p->d, LOG_LVL_WARN, "progress", "ssh host keys not sent: %s", e->msg);
		json_object_del(in, "ssh-host-keys");
	}
	if (!strcmp(type, "bootstrap-complete") && (rc = trust_anchors(p->d, in, e)) != SZTP_OK) {
		agent_log(p->d, LOG_LVL_WARN, "progress", "trust anchors not sent: %s", e->msg);
		json_object_del(in, "trust-anchor-certs");
	}
	if (!(text = agent_input_body(p->d, in))) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = bsclient_post(p->conn, "report-progress", text, &st, &resp, e)) != SZTP_OK)
		goto out;
	if (st != 204) {
		rc = sztp_err_set(e, SZTP_E_IO, "report-progress %s: server answered %ld, not 204",
				  type, st);
		goto out;
	}
	p->d->acked_reports++;
	if (!strcmp(type, "bootstrap-complete"))
		p->d->acked_complete++;
	else if (strlen(type) > 6 && !strcmp(type + strlen(type) - 6, "-error"))
		p->d->acked_errors++;
	agent_log(p->d, LOG_LVL_DEBUG, "progress", "reported %s", type);
out:
	sztp_bytes_free(&resp);
	free(text);
	json_decref(in);
	return rc;
}
