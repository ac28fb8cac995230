/*
 * fuzz_yang_conveyed_validate.c - lib/yang.c conveyed-information
 * validation (ietf-sztp-conveyed-info yang-data, RFC 8572 s6.3) in JSON
 * and XML.  This target guards the libyang 2.1 yang-data choice bug (data
 * for both cases loops forever): run it with -timeout so a hang is a
 * failure.  Input: first byte bit 0 picks XML, the rest is the document.
 * A valid JSON document must convert to XML that validates too.
 */
#include "fuzz.h"
#include "yang.h"

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
	struct sztp_err e = {0};
	enum yang_enc enc;
	char *xml = NULL;
	sztp_rc rc;

	if (size < 1)
		return 0;
	enc = data[0] & 1 ? YANG_ENC_XML : YANG_ENC_JSON;
	rc = yang_conveyed_validate(Y, enc, (const char *)data + 1, size - 1, &e);
	fuzz_err_ok(&e, rc);
	fuzz_client_rc(rc, &e);
	if (rc == SZTP_OK && enc == YANG_ENC_JSON) {
		memset(&e, 0, sizeof(e));
		rc = yang_conveyed_to_xml(Y, (const char *)data + 1, size - 1, &xml, &e);
		if (rc != SZTP_OK)
			fprintf(stderr, "to_xml: %s\n", e.msg);
		FUZZ_CHECK(rc == SZTP_OK && xml != NULL);
		rc = yang_conveyed_validate(Y, YANG_ENC_XML, xml, strlen(xml), &e);
		if (rc != SZTP_OK)
			fprintf(stderr, "XML of a valid JSON document refused: %s\n%s\n", e.msg,
				xml);
		FUZZ_CHECK(rc == SZTP_OK);
		free(xml);
	}
	return 0;
}
