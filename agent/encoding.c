/*
 * encoding.c - the RESTCONF encoding the agent speaks (`encoding = json|
 * xml`, RFC 8040 s5.2): RPC input bodies built once as a JSON object and
 * written in the configured encoding ({"ietf-sztp-bootstrap-server:input":
 * {...}} or <input xmlns="urn:...:ietf-sztp-bootstrap-server">...</input>,
 * RFC 7950 s7.14.2 / RFC 7951), and the get-bootstrapping-data output read
 * back into the JSON form verify.c parses (XML through libyang, yang.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "strbuf.h"
#include "yang.h"

#define BS_MOD "ietf-sztp-bootstrap-server"
#define BS_NS  "urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"

/* Character data: & < > escaped (XML 1.0 s2.4). */
static void put_text(struct strbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			strbuf_puts(b, "&amp;");
		else if (*s == '<')
			strbuf_puts(b, "&lt;");
		else if (*s == '>')
			strbuf_puts(b, "&gt;");
		else
			strbuf_add(b, s, 1);
	}
}

static void put_value(struct strbuf *b, const char *name, json_t *v);

/* One member: an array is a leaf-list or list (one element per entry),
 * [null] an empty leaf, an object a container. */
static void put_member(struct strbuf *b, const char *name, json_t *v)
{
	size_t i;
	json_t *x;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x) put_value(b, name, x);
		return;
	}
	put_value(b, name, v);
}

static void put_value(struct strbuf *b, const char *name, json_t *v)
{
	const char *k;
	json_t *x;
	char num[32];

	strbuf_puts(b, "<");
	strbuf_puts(b, name);
	if (json_is_null(v)) {
		strbuf_puts(b, "/>");
		return;
	}
	strbuf_puts(b, ">");
	if (json_is_object(v)) {
		json_object_foreach(v, k, x) put_member(b, k, x);
	} else if (json_is_string(v)) {
		put_text(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		strbuf_puts(b, num);
	} else if (json_is_boolean(v)) {
		strbuf_puts(b, json_is_true(v) ? "true" : "false");
	}
	strbuf_puts(b, "</");
	strbuf_puts(b, name);
	strbuf_puts(b, ">");
}

char *agent_input_body(const struct agent_dev *d, json_t *in)
{
	struct strbuf b = {0};
	json_t *doc;
	const char *k;
	json_t *x;
	char *text;

	if (d->cfg->encoding != AGENT_ENC_XML) {
		if (!(doc = json_pack("{s:O}", BS_MOD ":input", in)))
			return NULL;
		text = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
		return text;
	}
	strbuf_puts(&b, "<input xmlns=\"" BS_NS "\">");
	json_object_foreach(in, k, x) put_member(&b, k, x);
	strbuf_puts(&b, "</input>");
	return strbuf_take(&b);
}

const char *agent_media_type(const struct agent_dev *d)
{
	return d->cfg->encoding == AGENT_ENC_XML ? "application/yang-data+xml"
						 : "application/yang-data+json";
}

sztp_rc agent_output_parse(struct agent_dev *d, const sztp_bytes *body, struct received *a,
			   struct sztp_err *e)
{
	sztp_bytes j = {0};
	char *json = NULL;
	sztp_rc rc;

	memset(a, 0, sizeof(*a));
	if (d->cfg->encoding != AGENT_ENC_XML)
		return received_from_output(body, a, e);
	if ((rc = yang_bootstrap_output_json(d->y, (const char *)body->data, body->len, &json, e)))
		return rc;
	j.data = (uint8_t *)json;
	j.len = strlen(json);
	rc = received_from_output(&j, a, e);
	free(json);
	return rc;
}
