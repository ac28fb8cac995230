/*
 * fuzz_yang_rpc_input.c - lib/yang.c RESTCONF RPC input validation (RFC
 * 8572 s7, RFC 8040 s3.6) of both RPCs in JSON and XML.  Input: the first
 * byte picks the RPC (bit 0: report-progress) and the encoding (bit 1:
 * XML), bit 2 also runs yang_rpc_input_lenient with every leniency
 * allowed (empty-nonce, empty-report-members); the rest is the request
 * body.  The YANG context is opened once from the repo's yang/.  Promises
 * checked: *input is set exactly on success, and only with a client-error
 * result otherwise; leniency only widens: what the strict call takes the
 * lenient one takes with nothing applied, and a leniency applied means an
 * input the strict call refused, now valid, with only its own RPC's
 * leniency: a get-bootstrapping-data input without a nonce, or a report
 * (not bootstrap-complete) missing ssh-host-keys or trust-anchor-certs.
 */
#include "fuzz.h"
#include "yang_json.h"

static struct sztp_yang *Y;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sztp_err e = {0};

	if (yang_open(FUZZ_TOP "/yang", &Y, &e) != SZTP_OK) {
		fprintf(stderr, "yang_open: %s\n", e.msg);
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = NULL;
	struct sztp_err e = {0};
	enum yang_rpc rpc;
	enum yang_enc enc;
	sztp_rc rc;

	if (size < 1)
		return 0;
	rpc = data[0] & 1 ? YANG_RPC_REPORT_PROGRESS : YANG_RPC_GET_BOOTSTRAPPING_DATA;
	enc = data[0] & 2 ? YANG_ENC_XML : YANG_ENC_JSON;
	rc = yang_rpc_input_json(Y, rpc, enc, (const char *)data + 1, size - 1, &in, &e);
	fuzz_err_ok(&e, rc);
	FUZZ_CHECK((rc == SZTP_OK) == (in != NULL));
	fuzz_client_rc(rc, &e);
	if (in) {
		FUZZ_CHECK(json_is_object(in));
		if (rpc == YANG_RPC_REPORT_PROGRESS)
			FUZZ_CHECK(json_is_string(json_object_get(in, "progress-type")));
	}
	json_decref(in);
	if (data[0] & 4) {
		struct yang_input li;
		struct sztp_err le = {0};
		unsigned applied = 99;
		sztp_rc lrc = yang_rpc_input_lenient(Y, rpc, enc, (const char *)data + 1, size - 1,
						     YANG_LENIENT_EMPTY_NONCE |
							 YANG_LENIENT_EMPTY_REPORT_MEMBERS,
						     &applied, &li, &le);

		fuzz_err_ok(&le, lrc);
		fuzz_client_rc(lrc, &le);
		FUZZ_CHECK(applied == 0 || applied == (rpc == YANG_RPC_REPORT_PROGRESS
							   ? YANG_LENIENT_EMPTY_REPORT_MEMBERS
							   : YANG_LENIENT_EMPTY_NONCE));
		if (rc == SZTP_OK)
			FUZZ_CHECK(lrc == SZTP_OK && applied == 0);
		if (applied)
			FUZZ_CHECK(lrc == SZTP_OK && rc != SZTP_OK);
		if (applied && rpc == YANG_RPC_GET_BOOTSTRAPPING_DATA)
			FUZZ_CHECK(li.nonce == NULL);
		if (applied && rpc == YANG_RPC_REPORT_PROGRESS)
			FUZZ_CHECK((!li.ssh_host_keys || !li.trust_anchor_certs) &&
				   li.progress_type &&
				   strcmp(li.progress_type, "bootstrap-complete") != 0);
		yang_input_clear(&li);
	}
	return 0;
}
