/*
 * progress.c - the report-progress RPC (RFC 8572 s7.3).  Authenticates
 * the device, validates the report against ietf-sztp-bootstrap-server
 * (including the `when` rules that allow ssh-host-keys and
 * trust-anchor-certs only with bootstrap-complete) and stores it with
 * time and peer address; the device's state becomes the progress type.
 * Success is 204 No Content (RFC 8040 s3.6: the RPC has no output).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "handlers.h"
#include "identity.h"
#include "journal.h"
#include "log.h"
#include "restconf.h"
#include "server.h"

static char *member_text(json_t *in, const char *name)
{
	json_t *v = json_object_get(in, name);

	return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

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

/* The answer, once the report is stored (or not). */
static void finish(struct request *r, const char *type, sztp_rc rc, struct sztp_err *e)
{
	if (rc != SZTP_OK) {
		restconf_fail(r, rc, e, "the bootstrap server could not store the report");
		return;
	}
	snprintf(r->result_buf, sizeof(r->result_buf), "%s", type);
	r->result = r->result_buf;
	restconf_reply(r, 204, NULL, NULL, 0);
}

/* journal thread, after the commit */
static void committed(struct journal_report *jr)
{
	struct pending_report *pr = jr->arg;

	finish(pr->r, jr->p.type, jr->rc, &jr->e);
	pr->r->resume(pr->r);
}

/* Store p: deferred (the worker goes on with other connections until the
 * journal's commit answers) when the HTTP layer allows it, else waiting. */
static void store(struct server *s, struct request *r, struct pending_report *pr)
{
	struct sztp_err e = {0};
	sztp_rc rc;

	pr->r = r;
	pr->jr.done = committed;
	pr->jr.arg = pr;
	if (r->defer && r->defer(r)) { /* before the journal can answer */
		if (journal_submit(s->journal, &pr->jr))
			return;
		rc = reg_progress_add(s->reg, &pr->jr.p, &e); /* queue full or stopping */
		finish(r, pr->jr.p.type, rc, &e);
		r->resume(r);
		return;
	}
	rc = journal_progress(s->journal, &pr->jr.p, &e);
	finish(r, pr->jr.p.type, rc, &e);
}

void handle_report_progress(struct server *s, struct request *r, enum yang_enc in_enc)
{
	struct reg_device dev = {0};
	struct pending_report *pr;
	struct reg_progress *p;
	struct sztp_err e = {0};
	const char *type, *msg;
	json_t *in = NULL;
	sztp_rc rc;

	rc = identity_authenticate(s, r, &dev, 0, &e);
	if (rc != SZTP_OK)
		goto fail;
	rc = yang_rpc_input(s->yang, YANG_RPC_REPORT_PROGRESS, in_enc, r->body, r->body_len, &in,
			    &e);
	if (rc != SZTP_OK)
		goto fail;
	type = json_string_value(json_object_get(in, "progress-type"));
	msg = json_string_value(json_object_get(in, "message"));
	if (!type) {
		rc = sztp_err_set(&e, SZTP_E_MISSING_ELEMENT, "progress-type is mandatory");
		goto fail;
	}
	pr = calloc(1, sizeof(*pr));
	if (!pr) {
		rc = sztp_err_set(&e, SZTP_E_NOMEM, "out of memory");
		goto fail;
	}
	r->pending = pr; /* freed when the request ends */
	r->pending_free = pending_free;
	p = &pr->jr.p;
	snprintf(p->serial, sizeof(p->serial), "%s", dev.serial);
	p->time = time(NULL);
	snprintf(p->peer, sizeof(p->peer), "%s", r->peer);
	snprintf(p->type, sizeof(p->type), "%s", type);
	p->message = msg ? strdup(msg) : NULL;
	p->ssh_host_keys = member_text(in, "ssh-host-keys");
	p->trust_anchors = member_text(in, "trust-anchor-certs");
	if ((msg && !p->message) || (json_object_get(in, "ssh-host-keys") && !p->ssh_host_keys) ||
	    (json_object_get(in, "trust-anchor-certs") && !p->trust_anchors)) {
		rc = sztp_err_set(&e, SZTP_E_NOMEM, "out of memory");
		goto fail;
	}
	store(s, r, pr);
	goto out;
fail:
	restconf_fail(r, rc, &e, "the bootstrap server could not store the report");
out:
	json_decref(in);
	reg_device_clear(&dev);
}
