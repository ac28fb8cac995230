/*
 * redirect.c - one bootstrap server and what it returns: RFC 8572 s5.3
 * (trust state from the TLS authentication of the server, the request
 * an untrusted device may send, signed data raising trust) and s5.5
 * (redirect information: bootstrap servers in order, every resolved
 * address of a host tried until one yields data, trust anchors used
 * only when the redirect is trusted and discarded otherwise, and a
 * recursion limit).  Onboarding information from an untrusted, unsigned
 * source is refused (s5.3 step 6).
 */
#include <jansson.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "agent.h"
#include "cms.h"
#include "log.h"
#include "util.h"

#define CI_REDIR  "ietf-sztp-conveyed-info:redirect-information"
#define CI_ONB	  "ietf-sztp-conveyed-info:onboarding-information"
#define MAX_ADDRS 8

/* The get-bootstrapping-data input (s5.3 step 2). */
static char *request_body(struct agent_dev *d, int trusted, const sztp_bytes *nonce)
{
	const struct agent_config *c = d->cfg;
	json_t *in = json_object();
	char *b64 = NULL, *text;

	if (!trusted) { /* only this (and a nonce) to an untrusted server */
		json_object_set_new(in, "signed-data-preferred", json_pack("[n]"));
	} else {
		if (*c->hw_model)
			json_object_set_new(in, "hw-model", json_string(c->hw_model));
		if (*d->os_name)
			json_object_set_new(in, "os-name", json_string(d->os_name));
		if (*d->os_version)
			json_object_set_new(in, "os-version", json_string(d->os_version));
	}
	if (nonce->len && b64_encode(nonce->data, nonce->len, &b64, NULL) == SZTP_OK)
		json_object_set_new(in, "nonce", json_string(b64));
	free(b64);
	text = agent_input_body(d, in);
	json_decref(in);
	return text;
}

static size_t resolve(const char *host, unsigned port, char addrs[][64], size_t max)
{
	struct addrinfo hints = {0}, *ai = NULL, *p;
	char ps[8];
	size_t n = 0, i;

	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%u", port);
	if (getaddrinfo(host, ps, &hints, &ai))
		return 0;
	for (p = ai; p && n < max; p = p->ai_next) {
		char a[64];

		if (getnameinfo(p->ai_addr, p->ai_addrlen, a, sizeof(a), NULL, 0, NI_NUMERICHOST))
			continue;
		for (i = 0; i < n && strcmp(addrs[i], a); i++)
			;
		if (i == n)
			snprintf(addrs[n++], 64, "%s", a);
	}
	freeaddrinfo(ai);
	return n;
}

/* Open a connection to one address: with ca_file (required or not),
 * else the preconfigured anchors when configured, else blind. */
static sztp_rc connect_one(struct agent_dev *d, const char *host, unsigned port, const char *addr,
			   const char *ca_file, int required, struct bsclient **c,
			   struct sztp_err *e)
{
	const char *ca = ca_file ? ca_file : (*d->cfg->server_trust ? d->cfg->server_trust : NULL);
	sztp_rc rc;

	if (ca) {
		rc = bsclient_open(d, host, port, addr, ca, c, e);
		if (rc != SZTP_E_VERIFY || required)
			return rc;
		agent_log(d, LOG_LVL_INFO, "connect", "%s; continuing untrusted", e->msg);
	}
	return bsclient_open(d, host, port, addr, NULL, c, e);
}

enum agent_out server_process(struct agent_dev *d, const char *host, unsigned port,
			      const char *ca_file, int ca_required, int depth)
{
	char addrs[MAX_ADDRS][64], *body = NULL;
	uint8_t nb[32];
	sztp_bytes nonce = {0}, resp = {0};
	struct received a = {0};
	struct bsclient *c = NULL;
	struct sztp_err e = {0};
	size_t n, i;
	long st;
	enum agent_out out = OUT_FAIL;

	if (depth > d->cfg->redirect_limit) { /* RFC 8572 s5.5: MUST limit */
		snprintf(d->error, sizeof(d->error), "redirect limit (%ld) reached at %s",
			 d->cfg->redirect_limit, host);
		agent_log(d, LOG_LVL_ERR, "redirect", "%s", d->error);
		return OUT_FAIL;
	}
	if (!(n = resolve(host, port, addrs, MAX_ADDRS))) {
		snprintf(d->error, sizeof(d->error), "cannot resolve %s", host);
		agent_log(d, LOG_LVL_WARN, "connect", "%s", d->error);
		return OUT_FAIL;
	}
	if (d->cfg->send_nonce && getrandom(nb, 16, 0) == 16) {
		nonce.data = nb;
		nonce.len = 16;
	}
	for (i = 0; i < n && out == OUT_FAIL; i++) {
		bsclient_close(c);
		c = NULL;
		free(body);
		body = NULL;
		received_clear(&a);
		if (connect_one(d, host, port, addrs[i], ca_file, ca_required, &c, &e)) {
			agent_log(d, LOG_LVL_WARN, "connect", "%s (%s): %s", host, addrs[i], e.msg);
			snprintf(d->error, sizeof(d->error), "%s", e.msg);
			if (e.rc == SZTP_E_VERIFY)
				break; /* the certificate is the same at every address */
			continue;
		}
		agent_log(d, LOG_LVL_INFO, "connect", "%s (%s) %s, RESTCONF root %s", host,
			  addrs[i], bsclient_trusted(c) ? "trusted" : "untrusted",
			  bsclient_root(c));
		body = request_body(d, bsclient_trusted(c), &nonce);
		if (!body || bsclient_post(c, "get-bootstrapping-data", body, &st, &resp, &e)) {
			agent_log(d, LOG_LVL_WARN, "request", "%s: %s", host,
				  body ? e.msg : "no memory");
			continue;
		}
		if (st == 200)
			d->acked_data++;
		else if (st >= 400)
			d->refused_data++;
		if (st != 200 || agent_output_parse(d, &resp, &a, &e)) {
			if (st != 200)
				snprintf(e.msg, sizeof(e.msg),
					 "get-bootstrapping-data: status %ld: %.200s", st,
					 resp.data ? (char *)resp.data : "");
			snprintf(d->error, sizeof(d->error), "%.64s: %.250s", host, e.msg);
			agent_log(d, LOG_LVL_WARN, "request", "%s", d->error);
			sztp_bytes_free(&resp);
			continue;
		}
		sztp_bytes_free(&resp);
		snprintf(d->server, sizeof(d->server), "%s", bsclient_root(c));
		out = process_response(d, c, &a, &nonce, depth);
		break; /* this address yielded data: stop (s5.5) */
	}
	bsclient_close(c);
	free(body);
	received_clear(&a);
	return out;
}

/* Redirect list from the conveyed information JSON. */
static size_t redirect_parse(json_t *ri, struct redirect_server *s, size_t max)
{
	json_t *list = json_object_get(ri, "bootstrap-server"), *x;
	const char *addr, *ta;
	size_t i, n = 0;

	json_array_foreach(list, i, x)
	{
		if (n == max)
			break;
		addr = json_string_value(json_object_get(x, "address"));
		if (!addr)
			continue;
		memset(&s[n], 0, sizeof(s[n]));
		snprintf(s[n].host, sizeof(s[n].host), "%s", addr);
		s[n].port = json_is_integer(json_object_get(x, "port"))
				? (unsigned)json_integer_value(json_object_get(x, "port"))
				: 443;
		ta = json_string_value(json_object_get(x, "trust-anchor"));
		if (ta && b64_decode(ta, strlen(ta), &s[n].trust_anchor, NULL))
			continue; /* YANG validated it; be safe anyway */
		n++;
	}
	return n;
}

enum agent_out process_response(struct agent_dev *d, struct bsclient *conn,
				const struct received *a, const sztp_bytes *nonce, int depth)
{
	struct progress p = {.d = d, .conn = conn};
	struct redirect_server srv[AGENT_MAX_LIST];
	struct sztp_err e = {0};
	json_t *root = NULL, *x;
	char *json = NULL;
	int is_signed = 0, trust;
	size_t n = 0, i;
	enum agent_out out = OUT_FAIL;

	p.verbose = !strcmp(a->reporting_level, "verbose");
	if (verify_received(d, a, nonce, &json, &is_signed, &e)) { /* RFC 8572 s5.4 */
		snprintf(d->error, sizeof(d->error), "%s", e.msg);
		agent_log(d, LOG_LVL_ERR, "verify", "response rejected: %s", e.msg);
		p.verbose = 0;
		progress_send(&p, "bootstrap-error", d->error, &e);
		goto out;
	}
	trust = bsclient_trusted(conn) || is_signed; /* s5.3 step 4 */
	agent_log(d, LOG_LVL_INFO, "verify", "%s conveyed information accepted",
		  is_signed ? "signed" : "unsigned");
	root = json_loads(json, 0, NULL);
	if ((x = json_object_get(root, CI_REDIR)) != NULL) {
		n = redirect_parse(x, srv, AGENT_MAX_LIST);
		agent_log(d, LOG_LVL_INFO, "redirect", "%s redirect to %zu server(s)",
			  trust ? "trusted" : "untrusted", n);
		out = redirect_follow(d, srv, n, trust, depth);
	} else if ((x = json_object_get(root, CI_ONB)) != NULL) {
		if (!trust) { /* s5.3 step 6 */
			snprintf(
			    d->error, sizeof(d->error),
			    "unsigned onboarding information from an untrusted source refused");
			agent_log(d, LOG_LVL_ERR, "verify", "%s", d->error);
			goto out;
		}
		d->trusted = bsclient_trusted(conn);
		out = onboard(d, &p, json);
	}
out:
	for (i = 0; i < n; i++)
		sztp_bytes_free(&srv[i].trust_anchor);
	json_decref(root);
	free(json);
	return out;
}

/* Write a trust-anchor CMS as a PEM file under the device root. */
static sztp_rc anchor_file(struct agent_dev *d, const sztp_bytes *ta, char *path, size_t len,
			   struct sztp_err *e)
{
	sztp_bytes *certs = NULL;
	size_t n = 0;
	char *pem = NULL, rel[64];
	sztp_rc rc;

	if ((rc = cms_certs_only_parse(ta->data, ta->len, &certs, &n, e)) != SZTP_OK)
		return rc;
	snprintf(rel, sizeof(rel), "var/lib/sztp/trust-anchor.%u.pem", d->tmp_seq++);
	if ((rc = pki_certs_to_pem(certs, n, &pem, e)) == SZTP_OK &&
	    (rc = dev_path(d, rel, path, len, e)) == SZTP_OK)
		rc = file_write_atomic(path, pem, strlen(pem), 0644, e);
	free(pem);
	pki_certs_free(certs, n);
	return rc;
}

enum agent_out redirect_follow(struct agent_dev *d, const struct redirect_server *s, size_t n,
			       int trusted, int depth)
{
	struct sztp_err e;
	char ca[1200];
	size_t i;
	int have_ca;
	enum agent_out out = OUT_FAIL;

	for (i = 0; i < n && out == OUT_FAIL; i++) {
		have_ca = 0;
		if (trusted && s[i].trust_anchor.len) { /* s5.5: use it */
			if (anchor_file(d, &s[i].trust_anchor, ca, sizeof(ca), &e)) {
				agent_log(d, LOG_LVL_WARN, "redirect", "%s: bad trust-anchor: %s",
					  s[i].host, e.msg);
				continue;
			}
			have_ca = 1;
		} else if (s[i].trust_anchor.len) { /* untrusted: discard it */
			agent_log(d, LOG_LVL_INFO, "redirect",
				  "untrusted redirect: trust anchor for %s discarded", s[i].host);
		}
		agent_log(d, LOG_LVL_INFO, "redirect", "trying %s:%u (depth %d)", s[i].host,
			  s[i].port, depth + 1);
		out = server_process(d, s[i].host, s[i].port, have_ca ? ca : NULL, have_ca,
				     depth + 1);
		if (have_ca)
			unlink(ca);
	}
	return out;
}
