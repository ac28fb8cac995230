/*
 * yang.h - validation against the standard YANG modules with libyang
 * 2.1 (the only includer of libyang): RESTCONF RPC input of
 * ietf-sztp-bootstrap-server (RFC 8572 s7), conveyed information
 * (ietf-sztp-conveyed-info yang-data, s6.3) and vouchers (RFC 8366).
 * Guards libyang 2.1's yang-data choice bug (a top-level choice is not
 * enforced and data for both cases loops forever) by checking the
 * top-level member with jansson first (inside yang.c: no caller sees
 * jansson through this header).  Thread-safe.
 */
#ifndef SZTP_YANG_H
#define SZTP_YANG_H

#include "result.h"

struct sztp_yang;

enum yang_enc { YANG_ENC_JSON, YANG_ENC_XML };
enum yang_rpc { YANG_RPC_GET_BOOTSTRAPPING_DATA, YANG_RPC_REPORT_PROGRESS };

/* Load ietf-sztp-bootstrap-server, ietf-sztp-conveyed-info, ietf-voucher
 * and ietf-restconf from dir (the project's yang/ or the installed copy). */
sztp_rc yang_open(const char *dir, struct sztp_yang **out, struct sztp_err *e);
void yang_close(struct sztp_yang *y);

/* The validated input of one RPC, whatever the wire encoding.  Strings
 * are new (yang_input_clear frees them) and NULL when the member is
 * absent. */
struct yang_input {
	/* get-bootstrapping-data (RFC 8572 s7.1) */
	int signed_data_preferred; /* the device does not trust this server */
	char *hw_model;
	char *os_name;
	char *os_version;
	char *nonce; /* base64, as sent */
	/* report-progress (RFC 8572 s7.3) */
	char *progress_type; /* enumeration value, e.g. "bootstrap-complete" */
	char *message;
	char *ssh_host_keys;	  /* the member as compact RFC 7951 JSON text */
	char *trust_anchor_certs; /* the member as compact RFC 7951 JSON text */
};
void yang_input_clear(struct yang_input *in);

/* Validate a RESTCONF RPC input body: JSON {"ietf-sztp-bootstrap-server:input":{...}}
 * or XML <input xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server">.
 * An empty body (len 0) is valid for get-bootstrapping-data.
 * On success *out holds the input's members; on failure it is zeroed.
 * Errors: SZTP_E_MALFORMED (not JSON/XML, missing input wrapper),
 * SZTP_E_UNKNOWN_ELEMENT, SZTP_E_INVALID_VALUE (types, lengths, `when`),
 * SZTP_E_MISSING_ELEMENT; e->msg names the offending node.
 * (lib/yang_json.h has the same validation returning RFC 7951 JSON.) */
sztp_rc yang_rpc_input(struct sztp_yang *y, enum yang_rpc rpc, enum yang_enc enc, const char *body,
		       size_t len, struct yang_input *out, struct sztp_err *e);

/* Validate a conveyed-information document (exactly one of
 * ietf-sztp-conveyed-info:redirect-information / :onboarding-information). */
sztp_rc yang_conveyed_validate(struct sztp_yang *y, enum yang_enc enc, const char *doc, size_t len,
			       struct sztp_err *e);
/* Convert a valid JSON conveyed-information document to XML (new string). */
sztp_rc yang_conveyed_to_xml(struct sztp_yang *y, const char *json, size_t len, char **xml,
			     struct sztp_err *e);

/* Validate a conveyed-information document in either encoding and print
 * it as RFC 7951 JSON (new string; the device reads XML conveyed
 * information, id-ct-sztpConveyedInfoXML, through it). */
sztp_rc yang_conveyed_to_json(struct sztp_yang *y, enum yang_enc enc, const char *doc, size_t len,
			      char **json, struct sztp_err *e);
/* Validate a get-bootstrapping-data output in XML (<output xmlns=
 * "..ietf-sztp-bootstrap-server">, RFC 8040 s3.6.2) and give its JSON
 * encoding {"ietf-sztp-bootstrap-server:output":{...}} (new string). */
sztp_rc yang_bootstrap_output_json(struct sztp_yang *y, const char *xml, size_t len, char **json,
				   struct sztp_err *e);

/* Validate a voucher JSON document ({"ietf-voucher:voucher":{...}}). */
sztp_rc yang_voucher_validate(struct sztp_yang *y, const char *json, size_t len,
			      struct sztp_err *e);

#endif
