/*
 * bootstrap.c - the get-bootstrapping-data RPC (RFC 8572 s7.1, s4.4,
 * s5.3).  Authenticates the device, validates the input against
 * ietf-sztp-bootstrap-server, looks up its profile and answers with
 * onboarding or redirect information:
 *  - signed (conveyed information signed by the owner, plus
 *    owner-certificate and the device's ownership voucher as the
 *    manufacturer supplied it) when the device sends signed-data-preferred
 *    or the profile says "always";
 *  - never unsigned onboarding information to a device that asked for
 *    signed data (s4.4, s5.3: the device would have to reject it);
 *  - unsigned redirect information is allowed to an untrusting device
 *    when no signature can be made (s3.3 table).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "artifacts.h"
#include "handlers.h"
#include "identity.h"
#include "journal.h"
#include "log.h"
#include "restconf.h"
#include "server.h"
#include "util.h"

#define NS_SVR "urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"

/* Whether the enrolled voucher can still be served: checked for serial
 * and validity now, so an expired voucher is never sent (a device would
 * reject it, RFC 8572 s5.4).  Returns NULL when usable, else the reason. */
static const char *voucher_unusable(struct server *s, const struct reg_device *d, char *buf,
				    size_t len)
{
	struct sztp_err e = {0};
	time_t created, expires, now = time(NULL);
	sztp_rc rc;

	if (d->voucher.len == 0)
		return "no ownership voucher is enrolled for this device";
	rc = artifacts_voucher_window(s->art, d, &created, &expires, &e);
	if (rc == SZTP_OK && (now < created || (expires && now >= expires)))
		rc = sztp_err_set(&e, SZTP_E_EXPIRED, "voucher valid only from %lld to %lld",
				  (long long)created, (long long)expires);
	if (rc == SZTP_OK)
		return NULL;
	log_warn("voucher of %s cannot be served: %s", d->serial, e.msg);
	snprintf(buf, len, "the device's ownership voucher cannot be used (%s)",
		 rc == SZTP_E_EXPIRED ? "expired or not yet valid" : sztp_rc_name(rc));
	return buf;
}

/* Decide whether to sign; fills *sign or returns the error to send. */
static sztp_rc signing_decision(struct server *s, const struct reg_profile *p,
				const struct reg_device *d, int sdp, int *sign, struct request *r,
				struct sztp_err *e)
{
	int onboarding = p->kind == REG_KIND_ONBOARDING;
	const char *why;
	char buf[128];

	*sign = sdp || p->sign == REG_SIGN_ALWAYS;
	if (p->sign == REG_SIGN_NEVER && *sign) {
		if (onboarding) /* RFC 8572 s5.3 */
			return sztp_err_set(e, SZTP_E_NOT_FOUND,
					    "the device asked for signed data, but its profile "
					    "never signs onboarding information");
		*sign = 0; /* unsigned redirect is allowed (s3.3) */
		r->result = "unsigned-redirect";
		return SZTP_OK;
	}
	if (*sign && (why = voucher_unusable(s, d, buf, sizeof(buf))) != NULL) {
		if (onboarding || p->sign == REG_SIGN_ALWAYS)
			return sztp_err_set(e, SZTP_E_NOT_FOUND, "signed data is required, but %s",
					    why);
		*sign = 0;
		r->result = "unsigned-redirect";
	}
	return SZTP_OK;
}

/* The RPC output (RFC 8572 s7.1; RFC 8040 s3.6.2 wraps it in "output").
 * Every value is base64 or a fixed keyword, none needs escaping in JSON
 * or XML, so the body is written directly: jansson spent ~0.1 ms per reply
 * escaping kilobytes of base64 character by character. */
static char *output_body(enum yang_enc enc, const struct conveyed_out *co, const char *voucher_b64,
			 int verbose, size_t *len)
{
	const char *oc = co->oc_b64;
	char *body = NULL;
	int n;

	if (enc == YANG_ENC_XML)
		n = asprintf(&body,
			     "<output xmlns=\"" NS_SVR "\">%s"
			     "<conveyed-information>%s</conveyed-information>"
			     "%s%s%s%s%s</output>\n",
			     verbose ? "<reporting-level>verbose</reporting-level>" : "",
			     co->ci_b64, oc ? "<owner-certificate>" : "", oc ? oc : "",
			     oc ? "</owner-certificate><ownership-voucher>" : "",
			     oc ? voucher_b64 : "", oc ? "</ownership-voucher>" : "");
	else
		n = asprintf(&body,
			     "{\"ietf-sztp-bootstrap-server:output\":{%s"
			     "\"conveyed-information\":\"%s\"%s%s%s%s%s}}",
			     verbose ? "\"reporting-level\":\"verbose\"," : "", co->ci_b64,
			     oc ? ",\"owner-certificate\":\"" : "", oc ? oc : "",
			     oc ? "\",\"ownership-voucher\":\"" : "", oc ? voucher_b64 : "",
			     oc ? "\"" : "");
	*len = n < 0 ? 0 : (size_t)n;
	return n < 0 ? NULL : body;
}

void handle_get_bootstrapping_data(struct server *s, struct request *r, enum yang_enc in_enc)
{
	struct reg_device dev = {0};
	struct reg_profile prof = {0};
	struct conveyed_out co = {0};
	struct sztp_err e = {0};
	char *voucher_b64 = NULL, *body = NULL;
	json_t *in = NULL;
	int sdp, sign = 0, verbose;
	size_t len = 0;
	sztp_rc rc;

	rc = identity_authenticate(s, r, &dev, 1, &e);
	if (rc != SZTP_OK)
		goto fail;
	rc = yang_rpc_input(s->yang, YANG_RPC_GET_BOOTSTRAPPING_DATA, in_enc, r->body, r->body_len,
			    &in, &e);
	if (rc != SZTP_OK)
		goto fail;
	sdp = json_object_get(in, "signed-data-preferred") != NULL;
	journal_seen(s->journal, dev.serial, time(NULL));
	if (!dev.profile[0]) {
		rc = sztp_err_set(&e, SZTP_E_NOT_FOUND,
				  "no bootstrapping data is configured for this device");
		goto fail;
	}
	rc = reg_profile_get(s->reg, dev.profile, &prof, &e);
	if (rc == SZTP_E_NOT_FOUND)
		sztp_err_set(&e, rc, "no bootstrapping data is configured for this device");
	if (rc != SZTP_OK)
		goto fail;
	rc = signing_decision(s, &prof, &dev, sdp, &sign, r, &e);
	if (rc != SZTP_OK)
		goto fail;
	rc = artifacts_get(s->art, &prof, r->enc, sign, &co, &e);
	if (rc != SZTP_OK)
		goto fail;
	if (sign) {
		rc = b64_encode(dev.voucher.data, dev.voucher.len, &voucher_b64, &e);
		if (rc != SZTP_OK)
			goto fail;
	}
	/* reporting-level exists only for onboarding-server (s7.1) */
	verbose = prof.kind == REG_KIND_ONBOARDING && prof.reporting == REG_REPORT_VERBOSE;
	body = output_body(r->enc, &co, voucher_b64, verbose, &len);
	if (!body) {
		rc = sztp_err_set(&e, SZTP_E_NOMEM, "out of memory");
		goto fail;
	}
	if (!r->result)
		r->result = sign ? "signed" : "unsigned";
	restconf_reply(r, 200, r->enc == YANG_ENC_XML ? MT_XML : MT_JSON, body, len);
	goto out;
fail:
	restconf_fail(r, rc, &e, "the bootstrap server could not prepare the data");
out:
	free(voucher_b64);
	conveyed_out_clear(&co);
	json_decref(in);
	reg_profile_clear(&prof);
	reg_device_clear(&dev);
}
