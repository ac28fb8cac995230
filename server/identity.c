/*
 * identity.c - device authentication (RFC 8572 s5.3: client certificate
 * and/or HTTP authentication; s9.6: do not help an attacker enumerate
 * serial numbers; RFC 8040 s2.5).  The IDevID chain the device sent is
 * verified against the configured manufacturer anchors with the TLS client
 * key purpose; the serial number is the subject serialNumber attribute
 * (OID 2.5.4.5, IEEE 802.1AR).  HTTP Basic's user name is the serial and
 * its password is checked against the device's salted hash in constant
 * time; when both are present they must name the same serial.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "identity.h"
#include "log.h"
#include "passwd.h"
#include "server.h"
#include "util.h"

#define GENERIC_401 "authentication failed"

struct basic {
	char user[PKI_SERIAL_MAX];
	char pass[256];
};

/* Parse "Basic <b64(user:pass)>" (RFC 7617). */
static sztp_rc parse_basic(const char *hdr, struct basic *b, struct sztp_err *e)
{
	sztp_bytes raw = {0};
	const char *colon, *p = hdr;
	sztp_rc rc = SZTP_E_AUTH;
	size_t ulen;

	if (strncasecmp(p, "Basic ", 6))
		return sztp_err_set(e, rc, "only the HTTP Basic authentication scheme is supported");
	p += 6;
	while (*p == ' ')
		p++;
	if (b64_decode(p, strlen(p), &raw, NULL) != SZTP_OK)
		return sztp_err_set(e, rc, "malformed HTTP Basic credentials");
	colon = memchr(raw.data, ':', raw.len);
	if (!colon || memchr(raw.data, '\0', raw.len)) {
		sztp_err_set(e, rc, "malformed HTTP Basic credentials");
		goto out;
	}
	ulen = (size_t)(colon - (const char *)raw.data);
	if (ulen == 0 || ulen >= sizeof(b->user) || raw.len - ulen - 1 >= sizeof(b->pass)) {
		sztp_err_set(e, rc, "malformed HTTP Basic credentials");
		goto out;
	}
	memcpy(b->user, raw.data, ulen);
	b->user[ulen] = '\0';
	memcpy(b->pass, colon + 1, raw.len - ulen - 1);
	b->pass[raw.len - ulen - 1] = '\0';
	rc = SZTP_OK;
out:
	sztp_bytes_wipe(&raw);
	return rc;
}

/* Verify the client chain and take its serial number. */
static sztp_rc cert_serial(struct server *s, struct request *r, char *serial, struct sztp_err *e)
{
	struct sztp_err ve = {0};
	sztp_rc rc;

	rc = pki_trust_verify(s->idevid_trust, r->peer_certs, r->n_peer_certs,
			      PKI_OID_KP_CLIENT_AUTH, 0, &ve);
	if (rc != SZTP_OK)
		return sztp_err_set(e, SZTP_E_AUTH, "client certificate rejected: %s", ve.msg);
	rc = pki_cert_serial_number(&r->peer_certs[0], serial, PKI_SERIAL_MAX, &ve);
	if (rc != SZTP_OK)
		return sztp_err_set(e, SZTP_E_AUTH,
				    "client certificate rejected: subject has no serialNumber");
	return SZTP_OK;
}

sztp_rc identity_authenticate(struct server *s, struct request *r, struct reg_device *dev,
			      struct sztp_err *e)
{
	char cert_sn[PKI_SERIAL_MAX] = "";
	struct basic b;
	struct sztp_err le = {0};
	const char *serial;
	int have_basic = 0;
	sztp_rc rc;

	memset(&b, 0, sizeof(b));
	if (r->n_peer_certs) {
		rc = cert_serial(s, r, cert_sn, e);
		if (rc != SZTP_OK)
			goto fail_logged;
	}
	if (r->authorization) {
		if (!s->cfg.basic_auth) {
			rc = sztp_err_set(e, SZTP_E_AUTH, "HTTP authentication is disabled");
			goto fail_logged;
		}
		rc = parse_basic(r->authorization, &b, e);
		if (rc != SZTP_OK)
			goto fail_logged;
		have_basic = 1;
	}
	if (!r->n_peer_certs && !have_basic) {
		rc = sztp_err_set(e, SZTP_E_AUTH, "no client certificate or HTTP credentials");
		goto fail_logged;
	}
	/* RFC 8572 s5.3: both credentials must identify the same device */
	if (r->n_peer_certs && have_basic && strcmp(cert_sn, b.user)) {
		rc = sztp_err_set(e, SZTP_E_AUTH,
				  "client certificate and HTTP credentials name different serial "
				  "numbers");
		snprintf(r->serial, sizeof(r->serial), "%s", cert_sn);
		goto fail_logged;
	}
	serial = r->n_peer_certs ? cert_sn : b.user;
	snprintf(r->serial, sizeof(r->serial), "%s", serial);
	rc = reg_device_get(s->reg, serial, dev, &le);
	if (rc == SZTP_E_NOT_FOUND) {
		if (have_basic)
			(void)passwd_verify(b.pass, NULL); /* same cost as a known device */
		log_info("auth: serial %s is not enrolled", serial);
		goto fail_generic;
	}
	if (rc != SZTP_OK) {
		sztp_err_set(e, rc, "registry unavailable");
		log_err("auth: registry lookup for %s failed: %s", serial, le.msg);
		goto out;
	}
	if (have_basic && !passwd_verify(b.pass, dev->password_hash)) {
		log_info("auth: wrong or unset password for %s", serial);
		reg_device_clear(dev);
		goto fail_generic;
	}
	rc = SZTP_OK;
	goto out;
fail_generic:
	rc = sztp_err_set(e, SZTP_E_AUTH, GENERIC_401);
	goto out;
fail_logged:
	log_info("auth: peer %s: %s", r->peer, e ? e->msg : "");
out:
	explicit_bzero(b.pass, sizeof(b.pass));
	return rc;
}
