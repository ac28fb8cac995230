/*
 * progress.c - the report-progress RPC (RFC 8572 s7.3).  Authenticates
 * the device, validates the report against ietf-sztp-bootstrap-server
 * (including the `when` rules that allow ssh-host-keys and
 * trust-anchor-certs only with bootstrap-complete) and stores it with
 * time and peer address; the device's state becomes the progress type.
 * Success is 204 No Content (RFC 8040 s3.6: the RPC has no output), sent
 * only once the report is committed to disk.  Quotas per device: the
 * report's message, ssh-host-keys and trust-anchor-certs together at
 * most report-max-bytes (413), at most reports-per-device-per-hour
 * reports (429 with Retry-After).  While the registry file is gone
 * (journal.h) every report gets 503: nothing is acknowledged into a
 * file that will not be there after a restart.
 *
 * Leniency (issue 13): the device's profile may tolerate empty
 * ssh-host-keys / trust-anchor-certs where the YANG forbids them
 * (empty-report-members: the OPI sztp-agent sends both in every report).
 * The report is judged strictly first; only one the strict rules refuse
 * as an invalid value (what a `when` gives) makes the device's profile be
 * read, and is judged again with the profile's leniency.  So a valid
 * report costs what it did, and every refusal is today's exact error: a
 * device without a profile (or gone since authenticating, or a registry
 * that cannot be read) keeps it, as does a report the leniency does not
 * save.  A report stored thanks to a leniency says so in the audit line
 * (lenient=), its progress.reported event's data and
 * sztpd_lenient_applied_total; 204 still means stored.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers.h"
#include "identity.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "throttle.h"

#define PUBLIC_500 "the bootstrap server could not store the report"
#define PUBLIC_503 "the bootstrap server cannot store reports now; retry later"

/* A report waiting for its commit while the connection is set aside. */
struct pending_report {
	struct journal_report jr;
	struct request *r;
};

static void pending_free(void *arg)
{
	struct pending_report *pr = arg;

	reg_progress_clear(&pr->jr.p);
	free(pr);
}

/* The result, once the report is stored (or not).  A stored report is
 * its own record: no bootstrapping-log row for it. */
static void finish(struct result *res, const char *type, sztp_rc rc, const struct sztp_err *e)
{
	if (rc != SZTP_OK) {
		res->err = *e;
		result_fail(res, rc, rc == SZTP_E_UNAVAILABLE ? PUBLIC_503 : PUBLIC_500);
		if (rc == SZTP_E_UNAVAILABLE)
			res->retry_after = SERVER_RETRY_AFTER_S;
		return;
	}
	result_outcome(res, type);
	result_ok(res, 204, NULL, NULL, 0);
	res->record = 0;
}

/* journal thread, after the commit */
static void committed(struct journal_report *jr)
{
	struct pending_report *pr = jr->arg;

	finish(&pr->r->res, jr->p.type, jr->rc, &jr->e);
	pr->r->answer_later(pr->r);
}

/* Store the report: answered later (the worker goes on with other
 * connections until the journal's commit answers) when the HTTP layer
 * allows it, else now, after waiting for the commit. */
static enum answer store(struct server *s, struct request *r, struct pending_report *pr)
{
	struct sztp_err e = {0};
	sztp_rc rc;

	pr->r = r;
	pr->jr.done = committed;
	pr->jr.arg = pr;
	if (r->defer && r->defer(r)) { /* before the journal can answer */
		if (journal_submit(s->journal, &pr->jr))
			return ANSWER_LATER;
		rc = reg_progress_add(s->reg, &pr->jr.p, &e); /* queue full or stopping */
		/* the journal checks the file before its commits; here, after */
		if (rc == SZTP_OK)
			rc = reg_check_file(s->reg, &e);
		finish(&r->res, pr->jr.p.type, rc, &e);
		r->answer_later(r);
		return ANSWER_LATER;
	}
	rc = journal_progress(s->journal, &pr->jr.p, &e);
	finish(&r->res, pr->jr.p.type, rc, &e);
	return ANSWER_NOW;
}

static size_t len0(const char *s)
{
	return s ? strlen(s) : 0;
}

/* The device's quotas: the report's size, and reports per hour (a
 * token taken for this one). */
static sztp_rc quota(struct server *s, const struct request *r, const struct yang_input *in,
		     struct result *res, struct sztp_err *e)
{
	size_t size = len0(in->message) + len0(in->ssh_host_keys) + len0(in->trust_anchor_certs);
	unsigned wait;

	if (s->cfg.report_max_bytes && size > (size_t)s->cfg.report_max_bytes)
		return sztp_err_set(e, SZTP_E_TOO_BIG,
				    "the report's message, ssh-host-keys and trust-anchor-certs "
				    "are %zu bytes, more than the %d bytes allowed",
				    size, s->cfg.report_max_bytes);
	wait = throttle_take(s->report_quota, r->serial, throttle_now_ms());
	if (wait) {
		res->retry_after = (int)wait;
		return sztp_err_set(e, SZTP_E_THROTTLED,
				    "more than %d progress reports from this device within an hour",
				    s->cfg.reports_per_device_per_hour);
	}
	return SZTP_OK;
}

/* A report of the device named serial, taking the strings of in. */
static void report_fill(struct reg_progress *p, const struct request *r, struct yang_input *in)
{
	snprintf(p->serial, sizeof(p->serial), "%s", r->serial);
	p->time = time(NULL);
	snprintf(p->peer, sizeof(p->peer), "%s", r->peer);
	snprintf(p->type, sizeof(p->type), "%s", in->progress_type);
	p->message = in->message;
	p->ssh_host_keys = in->ssh_host_keys;
	p->trust_anchors = in->trust_anchor_certs;
	in->message = in->ssh_host_keys = in->trust_anchor_certs = NULL;
}

/* A report the strict rules refused, judged again with the leniency of
 * the device's profile when it has one that could save it: SZTP_OK and
 * *in filled (*applied: the enum reg_lenient bits it needed), else
 * nothing changes (the caller keeps the strict error), unless the
 * registry could not be read (SZTP_E_UNAVAILABLE in a failover, with e
 * set): then the report is not judged at all (503, not the strict 400). */
static sztp_rc lenient_retry(struct server *s, const struct request *r, struct yang_input *in,
			     unsigned *applied, struct sztp_err *e)
{
	struct reg_bootstrap b = {0};
	struct sztp_err le = {0};
	unsigned got = 0;
	sztp_rc rc = reg_bootstrap_get(s->reg, r->serial, &b, &le);

	*applied = 0;
	if (rc != SZTP_OK && rc != SZTP_E_NOT_FOUND) {
		sztp_err_set(e, rc, "reading device %s: %s", r->serial, le.msg);
		goto out;
	}
	rc = SZTP_E_INVALID_VALUE;
	if (!b.has_profile || !(b.prof.lenient & REG_LENIENT_EMPTY_REPORT_MEMBERS))
		goto out;
	rc = yang_rpc_input_lenient(s->yang, YANG_RPC_REPORT_PROGRESS, r->in_enc, r->body,
				    r->body_len, YANG_LENIENT_EMPTY_REPORT_MEMBERS, &got, in, &le);
	if (rc == SZTP_OK && (got & YANG_LENIENT_EMPTY_REPORT_MEMBERS))
		*applied = REG_LENIENT_EMPTY_REPORT_MEMBERS;
	else if (rc == SZTP_OK) /* cannot happen: the strict call refused these bytes */
		rc = SZTP_E_INTERNAL;
out:
	if (rc != SZTP_OK)
		yang_input_clear(in);
	reg_bootstrap_clear(&b);
	return rc;
}

enum answer handle_report_progress(struct server *s, struct request *r, struct result *res)
{
	struct pending_report *pr;
	struct yang_input in = {0};
	struct sztp_err *e = &res->err;
	enum answer a = ANSWER_NOW;
	unsigned applied = 0;
	sztp_rc rc = server_check_ready(s, &res->retry_after, e);

	if (rc != SZTP_OK || (rc = identity_authenticate(s, r, r->serial, e)) != SZTP_OK)
		goto fail;
	rc = yang_rpc_input(s->yang, YANG_RPC_REPORT_PROGRESS, r->in_enc, r->body, r->body_len, &in,
			    e);
	/* a `when` refused is an invalid-value: the one error a leniency may undo */
	if (rc == SZTP_E_INVALID_VALUE) {
		struct sztp_err re = {0};
		if (lenient_retry(s, r, &in, &applied, &re) == SZTP_OK) {
			rc = SZTP_OK; /* the strict error is not the answer */
			memset(e, 0, sizeof(*e));
		} else if (re.rc != SZTP_OK) {
			rc = re.rc; /* the registry's failure is the answer */
			*e = re;
		}
	}
	if (rc != SZTP_OK)
		goto fail;
	if (!in.progress_type) {
		rc = sztp_err_set(e, SZTP_E_MISSING_ELEMENT, "progress-type is mandatory");
		goto fail;
	}
	if ((rc = quota(s, r, &in, res, e)) != SZTP_OK)
		goto fail;
	pr = calloc(1, sizeof(*pr));
	if (!pr) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		goto fail;
	}
	r->pending = pr; /* freed when the request ends */
	r->pending_free = pending_free;
	report_fill(&pr->jr.p, r, &in);
	pr->jr.p.lenient = applied;
	if (applied) {
		reg_lenient_format(applied, res->lenient, sizeof(res->lenient));
		metrics_lenient_applied(s->metrics, applied);
	}
	a = store(s, r, pr);
	goto out;
fail:
	if (rc == SZTP_E_THROTTLED && !res->retry_after)
		res->retry_after = (int)throttle_auth_retry_after(s, r);
	result_fail(res, rc, rc == SZTP_E_UNAVAILABLE ? PUBLIC_503 : PUBLIC_500);
out:
	yang_input_clear(&in);
	return a;
}
