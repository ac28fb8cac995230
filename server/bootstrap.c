/*
 * bootstrap.c - the get-bootstrapping-data RPC (RFC 8572 s7.1, s4.4,
 * s5.3).  Authenticates the device (identity), validates the input
 * against ietf-sztp-bootstrap-server (yang), reads the device with its
 * profile and owner revision in one indexed read, decides whether to sign
 * (lib/signing.c, RFC 8572 s3.3) and answers with onboarding or redirect
 * information:
 *  - signed: conveyed information signed by the owner, plus the
 *    owner-certificate and the device's ownership voucher as the
 *    manufacturer supplied it;
 *  - unsigned: conveyed information alone.
 * The CMS comes prepared from artifacts.c; nothing is signed here.
 *
 * Leniency (issue 13): the device's profile may tolerate what one client
 * class gets wrong (registry.h enum reg_lenient), so the device is read
 * before its input is judged; the answers keep today's precedence (a bad
 * body is refused before what the read found: gone since authenticating,
 * no profile, a registry failure), and a device without a profile is held
 * to the strict input.  An answer that needed a leniency says so in the
 * audit line (lenient=), its bootstrap.served event and
 * sztpd_lenient_applied_total; one that did not is byte for byte what a
 * strict profile serves.
 *
 * Its event (issue 12): a 200 is sent once its bootstrap.served event (and
 * log row) is committed, by the journal's next batch (no wait for the
 * disk: a crash of sztpd loses nothing committed), so every answer a
 * device got has its event; the worker serves other connections
 * meanwhile.  Refusals are write-behind (http.c's audit), bounded like
 * their log rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "artifacts.h"
#include "event.h"
#include "handlers.h"
#include "identity.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "signing.h"
#include "throttle.h"
#include "util.h"

/* the profile's name fits whole: a truncated one would be another label */
_Static_assert(sizeof(((struct result *)0)->profile) >= REG_NAME_MAX, "result.profile too short");
_Static_assert(sizeof(((struct result *)0)->lenient) >= REG_LENIENT_LIST_MAX,
	       "result.lenient too short");

#define NS_SVR "urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"

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

/* What the device's one read (reg_bootstrap_get: rc, le) means for the
 * answer, once its input is valid; the device may have been removed
 * since it authenticated (then: the same 401). */
static sztp_rc device_checked(struct request *r, struct server *s, const struct reg_bootstrap *b,
			      sztp_rc rc, const struct sztp_err *le, struct sztp_err *e)
{
	if (rc == SZTP_E_NOT_FOUND) {
		metrics_auth_failure(s->metrics, METRICS_AUTH_NOT_ENROLLED);
		return identity_refuse(r->peer, r->serial, "removed while authenticating", e);
	}
	if (rc != SZTP_OK)
		return sztp_err_set(e, rc, "reading device %s: %s", r->serial, le->msg);
	if (!b->has_profile)
		return sztp_err_set(e, SZTP_E_NOT_FOUND,
				    "no bootstrapping data is configured for this device");
	return SZTP_OK;
}

/* The voucher's window through sztpd's per-device cache. */
static sztp_rc window(void *arg, const struct reg_device *d, time_t *created_on, time_t *expires_on,
		      struct sztp_err *e)
{
	return artifacts_voucher_window(((struct server *)arg)->art, d, created_on, expires_on, e);
}

static int64_t elapsed_us(int64_t start_us)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000 - start_us;
}

/* An answer waiting for its event's commit. */
struct pending_answer {
	struct journal_report jr;
	struct request *r;
};

static void pending_free(void *arg)
{
	struct pending_answer *pa = arg;

	free(pa->jr.ev.data);
	free(pa);
}

static void answer_failed(struct result *res, sztp_rc rc, const struct sztp_err *e)
{
	res->err = *e;
	free(res->body);
	res->body = NULL;
	res->len = 0;
	result_outcome(res, "event-not-stored");
	result_fail(res, rc,
		    rc == SZTP_E_UNAVAILABLE ? "the bootstrap server cannot serve now; retry later"
					     : "the bootstrap server could not record the answer");
	if (rc == SZTP_E_UNAVAILABLE)
		res->retry_after = SERVER_RETRY_AFTER_S;
}

/* journal thread, after the commit */
static void committed(struct journal_report *jr)
{
	struct pending_answer *pa = jr->arg;

	if (jr->rc != SZTP_OK)
		answer_failed(&pa->r->res, jr->rc, &jr->e);
	pa->r->answer_later(pa->r);
}

/* The served event (and the log row, which audit then leaves out); the
 * answer waits for their commit when the HTTP layer can set the
 * connection aside, else they are stored now. */
static enum answer record(struct server *s, struct request *r, const struct reg_bootstrap *b,
			  const struct signing_decision *d, const char *lenient)
{
	struct event_bootstrap eb = {0};
	struct pending_answer *pa = calloc(1, sizeof(*pa));
	struct sztp_err e = {0};
	sztp_rc rc;

	eb.status = 200;
	eb.outcome = d->outcome;
	eb.profile = b->prof.name;
	eb.kind =
	    b->prof.kind == REG_KIND_REDIRECT ? "redirect-information" : "onboarding-information";
	eb.signed_data = d->sign;
	eb.lenient = lenient;
	if (!pa || !(pa->jr.ev.data = event_bootstrap_data(&eb))) {
		free(pa);
		rc = sztp_err_set(&e, SZTP_E_NOMEM, "out of memory");
		answer_failed(&r->res, rc, &e);
		return ANSWER_NOW;
	}
	pa->r = r;
	r->pending = pa; /* freed when the request ends */
	r->pending_free = pending_free;
	pa->jr.answer = 1;
	pa->jr.write_log = s->cfg.bootstrap_log;
	pa->jr.log.time = pa->jr.ev.time = time(NULL);
	snprintf(pa->jr.log.serial, sizeof(pa->jr.log.serial), "%s", r->serial);
	snprintf(pa->jr.log.peer, sizeof(pa->jr.log.peer), "%s", r->peer);
	snprintf(pa->jr.log.endpoint, sizeof(pa->jr.log.endpoint), "%s", r->endpoint);
	snprintf(pa->jr.log.result, sizeof(pa->jr.log.result), "%s", d->outcome);
	pa->jr.log.status = 200;
	pa->jr.log.duration_us = elapsed_us(r->start_us);
	snprintf(pa->jr.ev.type, sizeof(pa->jr.ev.type), "%s", EV_BOOTSTRAP_SERVED);
	snprintf(pa->jr.ev.serial, sizeof(pa->jr.ev.serial), "%s", r->serial);
	snprintf(pa->jr.ev.peer, sizeof(pa->jr.ev.peer), "%s", r->peer);
	r->res.record = 0; /* written here */
	pa->jr.done = committed;
	pa->jr.arg = pa;
	if (r->defer && r->defer(r)) {
		if (journal_submit(s->journal, &pa->jr))
			return ANSWER_LATER;
		/* queue full or stopping: stored by this thread */
		pa->jr.done = NULL;
		rc = journal_answer(s->journal, &pa->jr, &e);
		if (rc != SZTP_OK)
			answer_failed(&r->res, rc, &e);
		r->answer_later(r);
		return ANSWER_LATER;
	}
	pa->jr.done = NULL; /* answered now: the journal's waiting path */
	rc = journal_answer(s->journal, &pa->jr, &e);
	if (rc != SZTP_OK)
		answer_failed(&r->res, rc, &e);
	return ANSWER_NOW;
}

/* Sign or not (RFC 8572 s3.3), given what the device asked: the same
 * decision `sztpctl dns` makes for an untrusted device (lib/signing.c). */
static sztp_rc decide(struct server *s, const struct reg_bootstrap *b, int untrusted,
		      struct signing_decision *d, struct sztp_err *e)
{
	struct sztp_err why = {0};
	sztp_rc rc = signing_decide_device(b, untrusted, time(NULL), window, s, d, &why, e);

	if (why.msg[0])
		log_warn("voucher of %s cannot be served: %s", b->dev.serial, why.msg);
	return rc;
}

enum answer handle_get_bootstrapping_data(struct server *s, struct request *r, struct result *res)
{
	struct reg_bootstrap b = {0};
	struct yang_input in = {0};
	struct conveyed_out co = {0};
	struct signing_decision d = {0};
	struct sztp_err *e = &res->err, le = {0};
	char *voucher_b64 = NULL, *body = NULL;
	int verbose;
	enum answer a = ANSWER_NOW;
	size_t len = 0;
	unsigned allow = 0, applied = 0;
	/* a registry that is gone serves nothing: its data may be stale */
	sztp_rc rc = server_check_ready(s, &res->retry_after, e), read_rc;

	if (rc != SZTP_OK || (rc = identity_authenticate(s, r, r->serial, e)) != SZTP_OK)
		goto fail;
	/* the device first: its profile says how strictly its input is read */
	read_rc = reg_bootstrap_get(s->reg, r->serial, &b, &le);
	/* the registry failed (503 when it went away): not the input's fault,
	 * so before the input is read with the profile's leniency unknown */
	if (read_rc != SZTP_OK && read_rc != SZTP_E_NOT_FOUND) {
		rc = device_checked(r, s, &b, read_rc, &le, e);
		goto fail;
	}
	if (read_rc == SZTP_OK && b.has_profile && (b.prof.lenient & REG_LENIENT_EMPTY_NONCE))
		allow |= YANG_LENIENT_EMPTY_NONCE;
	rc = yang_rpc_input_lenient(s->yang, YANG_RPC_GET_BOOTSTRAPPING_DATA, r->in_enc, r->body,
				    r->body_len, allow, &applied, &in, e);
	if (rc != SZTP_OK)
		goto fail;
	journal_seen(s->journal, r->serial, time(NULL));
	if ((rc = device_checked(r, s, &b, read_rc, &le, e)) != SZTP_OK ||
	    (rc = decide(s, &b, in.signed_data_preferred, &d, e)) != SZTP_OK ||
	    (rc = artifacts_get(s->art, &b.prof, b.owner_revision, r->enc, d.sign, &co, e)) !=
		SZTP_OK)
		goto fail;
	/* The voucher goes out as the manufacturer supplied it.  Encoded per
	 * request: a device asks once, so a per-device cache would not hit
	 * (docs/architecture.md). */
	if (d.sign &&
	    (rc = b64_encode(b.dev.voucher.data, b.dev.voucher.len, &voucher_b64, e)) != SZTP_OK)
		goto fail;
	/* reporting-level exists only for onboarding-server (s7.1) */
	verbose = b.prof.kind == REG_KIND_ONBOARDING && b.prof.reporting == REG_REPORT_VERBOSE;
	body = output_body(r->enc, &co, voucher_b64, verbose, &len);
	if (!body) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto fail;
	}
	result_outcome(res, d.outcome);
	snprintf(res->profile, sizeof(res->profile), "%s", b.prof.name); /* metrics label */
	applied = (applied & YANG_LENIENT_EMPTY_NONCE ? REG_LENIENT_EMPTY_NONCE : 0) |
		  (co.os_fields_omitted ? REG_LENIENT_OMIT_OS_FIELDS : 0);
	reg_lenient_format(applied, res->lenient, sizeof(res->lenient));
	metrics_lenient_applied(s->metrics, applied);
	result_ok(res, 200, r->enc == YANG_ENC_XML ? MT_XML : MT_JSON, body, len);
	a = record(s, r, &b, &d, res->lenient);
	goto out;
fail:
	if (rc == SZTP_E_THROTTLED)
		res->retry_after = (int)throttle_auth_retry_after(s, r);
	result_fail(res, rc,
		    rc == SZTP_E_UNAVAILABLE ? "the bootstrap server cannot serve now; retry later"
					     : "the bootstrap server could not prepare the data");
out:
	free(voucher_b64);
	conveyed_out_clear(&co);
	yang_input_clear(&in);
	reg_bootstrap_clear(&b);
	return a;
}
