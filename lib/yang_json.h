/*
 * yang_json.h - the RPC input validation of yang.h, returning the
 * validated input as RFC 7951 JSON (jansson) instead of struct
 * yang_input: for the unit tests and fuzzers that check the exact
 * document libyang hands back.  The server uses yang.h only.
 */
#ifndef SZTP_YANG_JSON_H
#define SZTP_YANG_JSON_H

#include <jansson.h>

#include "yang.h"

/* As yang_rpc_input, but on success *input is a new JSON object holding
 * the input members with their names unprefixed ({"signed-data-preferred":
 * [null], "nonce":"<b64>", "progress-type":"bootstrap-complete", ...});
 * NULL on failure. */
sztp_rc yang_rpc_input_json(struct sztp_yang *y, enum yang_rpc rpc, enum yang_enc enc,
			    const char *body, size_t len, json_t **input, struct sztp_err *e);

#endif
