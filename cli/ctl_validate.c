/*
 * ctl_validate.c - `sztpctl validate`: check a document against the
 * standard YANG modules without touching the database, e.g. conveyed
 * information decoded from a response (RFC 8572 s6.3) or a voucher's JSON
 * (RFC 8366 s5.3).  yanglint 2.1 cannot validate rc:yang-data, so this is
 * the operator's (and the end-to-end tests') way to do it.
 */
#include <string.h>

#include "ctl.h"
#include "util.h"
#include "yang.h"

#define MAX_DOC (16 * 1024 * 1024)

static sztp_rc validate(struct ctl *c, int voucher, struct sztp_err *e)
{
	struct sztp_yang *y = NULL;
	sztp_bytes doc = {0};
	enum yang_enc enc;
	sztp_rc rc;
	size_t i = 0;

	rc = ctl_yang(c, &y, e);
	if (rc == SZTP_OK)
		rc = file_read(c->pos[0], MAX_DOC, &doc, e);
	if (rc != SZTP_OK)
		return rc;
	while (i < doc.len && strchr(" \t\r\n", doc.data[i]))
		i++;
	enc = i < doc.len && doc.data[i] == '<' ? YANG_ENC_XML : YANG_ENC_JSON;
	if (voucher && enc == YANG_ENC_XML)
		rc = sztp_err_set(e, SZTP_E_UNSUPPORTED, "%s: vouchers are JSON (RFC 8366)",
				  c->pos[0]);
	else if (voucher)
		rc = yang_voucher_validate(y, (const char *)doc.data, doc.len, e);
	else
		rc = yang_conveyed_validate(y, enc, (const char *)doc.data, doc.len, e);
	if (rc == SZTP_OK)
		ctl_done(c, "%s: valid %s", c->pos[0],
			 voucher ? "voucher" : "conveyed-information");
	sztp_bytes_free(&doc);
	return rc;
}

sztp_rc cmd_validate_conveyed(struct ctl *c, struct sztp_err *e)
{
	return validate(c, 0, e);
}

sztp_rc cmd_validate_voucher(struct ctl *c, struct sztp_err *e)
{
	return validate(c, 1, e);
}
