/*
 * ctl_dns.c - `sztpctl dns ZONE`: the DNS records of RFC 8572 s4.2 for the
 * enrolled devices, from the admin API (GET /dns-records, admin/dns.c),
 * printed as a zone file fragment BIND loads as is (fully qualified
 * names, one record a line or a parenthesised group, labels and TXT
 * strings escaped per RFC 1035 s5.1: lib/dns_zone.c), or with --json as
 * the API gave it.  Devices with nothing publishable are comments in the
 * fragment and warnings on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "dns_zone.h"
#include "util.h"

#define DNS_OPT_MAX 1000

static const char *str(json_t *it, const char *name)
{
	const char *s = json_string_value(json_object_get(it, name));

	return s ? s : "";
}

/* The query of the request: zone, every --server and --serial, --ttl.
 * *q is a new string. */
static sztp_rc query(struct ctl *c, char **q, struct sztp_err *e)
{
	const char *srv[DNS_OPT_MAX], *ser[DNS_OPT_MAX];
	size_t ns = opt_all(c, "server", srv, DNS_OPT_MAX),
	       nn = opt_all(c, "serial", ser, DNS_OPT_MAX);
	size_t len = 64 + 3 * strlen(c->pos[0]), i;
	const char *ttl = opt_get(c, "ttl");

	for (i = 0; i < ns; i++)
		len += 16 + 3 * strlen(srv[i]);
	for (i = 0; i < nn; i++)
		len += 16 + 3 * strlen(ser[i]);
	if (ttl)
		len += 16 + 3 * strlen(ttl);
	if (!(*q = calloc(1, len)))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	ctl_query_add(*q, len, "zone", c->pos[0]);
	for (i = 0; i < ns; i++)
		ctl_query_add(*q, len, "server", srv[i]);
	ctl_query_add(*q, len, "ttl", ttl);
	for (i = 0; i < nn; i++)
		ctl_query_add(*q, len, "serial", ser[i]);
	return SZTP_OK;
}

/* One TXT record: name TTL IN TXT ( "key=..." ... ). */
static sztp_rc print_txt(json_t *rec, json_int_t ttl, struct sztp_err *e)
{
	const char *b64 = str(rec, "data");
	sztp_bytes der = {0};
	char *text = NULL;
	sztp_rc rc = b64_decode(b64, strlen(b64), &der, e);

	if (rc == SZTP_OK)
		rc = dns_txt_text(str(rec, "key"), der.data, der.len, "\n\t", &text, e);
	if (rc == SZTP_OK)
		printf("%s\t%lld\tIN\tTXT\t(\n\t%s )\n", str(rec, "name"), (long long)ttl, text);
	free(text);
	sztp_bytes_free(&der);
	return rc;
}

/* The zone file fragment of answer a. */
static sztp_rc print_zone(json_t *a, struct sztp_err *e)
{
	json_t *recs = json_object_get(a, "records"), *skipped = json_object_get(a, "skipped"), *it;
	json_int_t ttl = json_integer_value(json_object_get(a, "ttl"));
	const char *last = "";
	size_t i, n_srv = 0, n_dev = 0, n_signed = 0;
	sztp_rc rc = SZTP_OK;
	char buf[CTL_TEXT_MAX];

	if (!json_is_array(recs) || !json_is_array(skipped))
		return sztp_err_set(e, SZTP_E_INTERNAL, "the admin API's answer has no records");
	json_array_foreach(recs, i, it)
	{
		if (!strcmp(str(it, "type"), "SRV")) {
			n_srv++;
		} else if (!strcmp(str(it, "key"), "ci")) {
			n_dev++;
			n_signed += json_is_true(json_object_get(it, "signed"));
		}
	}
	printf("; RFC 8572 s4.2 bootstrapping records for zone %s, made by sztpctl dns:\n"
	       "; %zu SRV record(s) _sztp._tcp.%s naming bootstrap servers;\n"
	       "; TXT <serial>._sztp.%s for %zu device(s): %zu with signed data (ci signed by\n"
	       "; the owner, oc owner certificate, ov ownership voucher), %zu with unsigned\n"
	       "; redirect information (ci alone); %zu device(s) skipped (listed at the end).\n"
	       "; Regenerate when devices, vouchers, profiles or the owner identity change.\n",
	       str(a, "zone"), n_srv, str(a, "zone"), str(a, "zone"), n_dev, n_signed,
	       n_dev - n_signed, json_array_size(skipped));
	json_array_foreach(recs, i, it)
	{
		if (!strcmp(str(it, "type"), "SRV")) {
			printf("%s\t%lld\tIN\tSRV\t%lld %lld %lld %s\n", str(it, "name"),
			       (long long)ttl,
			       (long long)json_integer_value(json_object_get(it, "priority")),
			       (long long)json_integer_value(json_object_get(it, "weight")),
			       (long long)json_integer_value(json_object_get(it, "port")),
			       str(it, "target"));
			continue;
		}
		if (strcmp(last, str(it, "serial")) != 0) {
			last = str(it, "serial");
			printf("; device %s: %s\n", ctl_text(last, buf),
			       json_is_true(json_object_get(it, "signed"))
				   ? "signed data"
				   : "unsigned redirect information");
		}
		if ((rc = print_txt(it, ttl, e)) != SZTP_OK)
			return rc;
	}
	json_array_foreach(skipped, i, it)
	{
		char wbuf[CTL_TEXT_MAX];
		const char *sn = ctl_text(str(it, "serial"), buf);
		const char *why = ctl_text(str(it, "reason"), wbuf);

		printf("; skipped %s: %s\n", sn, why);
		ctl_warn("device '%s' has no DNS records: %s", sn, why);
	}
	return rc;
}

sztp_rc cmd_dns(struct ctl *c, struct sztp_err *e)
{
	struct ctl_resp r = {0};
	char *q = NULL;
	sztp_rc rc = query(c, &q, e);

	if (rc == SZTP_OK)
		rc = ctl_call(c, "GET", "/dns-records", q, NULL, &r, e);
	if (rc == SZTP_OK)
		rc = c->json ? ctl_print_json(r.json, e) : print_zone(r.json, e);
	ctl_resp_clear(&r);
	free(q);
	return rc;
}
