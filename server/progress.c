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

void handle_report_progress(struct server *s, struct request *r, enum yang_enc in_enc)
{
	struct reg_device dev = {0};
	struct reg_progress p;
	struct sztp_err e = {0};
	const char *type, *msg;
	json_t *in = NULL;
	sztp_rc rc;

	memset(&p, 0, sizeof(p));
	rc = identity_authenticate(s, r, &dev, &e);
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
	snprintf(p.serial, sizeof(p.serial), "%s", dev.serial);
	p.time = time(NULL);
	snprintf(p.peer, sizeof(p.peer), "%s", r->peer);
	snprintf(p.type, sizeof(p.type), "%s", type);
	p.message = msg ? strdup(msg) : NULL;
	p.ssh_host_keys = member_text(in, "ssh-host-keys");
	p.trust_anchors = member_text(in, "trust-anchor-certs");
	rc = journal_progress(s->journal, &p, &e);
	if (rc != SZTP_OK)
		goto fail;
	/* the audit line outlives p: copy the type into the request */
	snprintf(r->result_buf, sizeof(r->result_buf), "%s", p.type);
	r->result = r->result_buf;
	restconf_reply(r, 204, NULL, NULL, 0);
	goto out;
fail:
	restconf_fail(r, rc, &e, "the bootstrap server could not store the report");
out:
	json_decref(in);
	reg_progress_clear(&p);
	reg_device_clear(&dev);
}
