/*
 * dns.c - admin API: the DNS records of RFC 8572 s4.2 for the enrolled
 * devices (GET /dns-records), which `sztpctl dns` prints as a zone file
 * fragment.  SRV `_sztp._tcp.ZONE.` names the bootstrap servers given
 * (server=, in order: priority 10*i); TXT `<serial>._sztp.ZONE.` carries
 * one device's bootstrapping data as the keys ci, oc and ov.
 *
 * DNS is an untrusted source (s4.2): what a device gets there is what
 * sztpd gives a device that sent signed-data-preferred, decided by the
 * same code (lib/signing.c) and built by the same code (lib/bootdata.c):
 * conveyed information signed by the owner with the owner-certificate and
 * the enrolled voucher when one is valid now; else unsigned redirect
 * information (the profile's own, when a redirect profile may go
 * unsigned; else a redirect to the servers given).  A device with nothing
 * publishable is listed in "skipped" with the reason.  Conveyed
 * information is JSON-encoded (id-ct-sztpConveyedInfoJSON): a DNS answer
 * does not say which encoding the device wants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin_internal.h"
#include "bootdata.h"
#include "conveyed.h"
#include "dns_zone.h"
#include "signing.h"
#include "util.h"

#define DNS_SERVERS_MAX 32
#define DNS_SERIALS_MAX 1000
#define DNS_URI_MAX	1024
#define DNS_TTL_DEFAULT 3600
#define DNS_TTL_MAX	2147483647 /* RFC 2181 s8 */
#define WHY_MAX		(SZTP_ERR_MSG_MAX + 2 * REG_NAME_MAX + 64)

/* A profile's conveyed information as a CMS, signed or not (built once
 * per request: the devices of a profile share it, as in sztpd). */
struct prof_slot {
	char name[REG_NAME_MAX];
	int sign;
	sztp_rc rc;
	char why[WHY_MAX];
	sztp_bytes ci;
};

/* An owner identity ready to sign, loaded once per request. */
struct own_slot {
	char name[REG_NAME_MAX];
	sztp_rc rc;
	char why[WHY_MAX];
	struct bootdata_owner id;
};

struct dns_run {
	struct admin_call *c;
	char zone[DNS_TEXT_MAX];
	size_t zone_wire;
	sztp_bytes redirect; /* unsigned redirect to the servers given; empty: none */
	struct prof_slot *prof;
	size_t n_prof;
	struct own_slot *own;
	size_t n_own;
	char (*serial)[PKI_SERIAL_MAX];
	size_t n_serial, cap_serial;
	json_t *records, *skipped;
	int fail; /* out of memory */
};

/* One device's TXT values, before they become records. */
struct txt {
	const char *key;
	const sztp_bytes *data;
};

static void run_clear(struct dns_run *r)
{
	size_t i;

	for (i = 0; i < r->n_prof; i++)
		sztp_bytes_free(&r->prof[i].ci);
	for (i = 0; i < r->n_own; i++)
		bootdata_owner_clear(&r->own[i].id);
	free(r->prof);
	free(r->own);
	free(r->serial);
	sztp_bytes_free(&r->redirect);
	json_decref(r->records);
	json_decref(r->skipped);
}

static void skip(struct dns_run *r, const char *serial, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void skip(struct dns_run *r, const char *serial, const char *fmt, ...)
{
	char why[WHY_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (json_array_append_new(r->skipped,
				  json_pack("{s:s, s:s}", "serial", serial, "reason", why)) != 0)
		r->fail = 1;
}

static int serial_cb(const struct reg_device *d, void *arg)
{
	struct dns_run *r = arg;

	if (r->n_serial == r->cap_serial) {
		size_t cap = r->cap_serial ? r->cap_serial * 2 : 64;
		void *nv = realloc(r->serial, cap * sizeof(*r->serial));

		if (!nv) {
			r->fail = 1;
			return 1;
		}
		r->serial = nv;
		r->cap_serial = cap;
	}
	snprintf(r->serial[r->n_serial++], PKI_SERIAL_MAX, "%s", d->serial);
	return 0;
}

/* The owner identity named name, loaded (or why not). */
static struct own_slot *owner_slot(struct dns_run *r, const char *name)
{
	struct reg_owner o = {0};
	struct sztp_err e = {SZTP_OK, ""};
	struct own_slot *s;
	size_t i;
	void *nv;

	for (i = 0; i < r->n_own; i++)
		if (!strcmp(r->own[i].name, name))
			return &r->own[i];
	if (!(nv = realloc(r->own, (r->n_own + 1) * sizeof(*r->own))))
		return NULL;
	r->own = nv;
	s = &r->own[r->n_own++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->rc = reg_owner_get(r->c->ctx->reg, name, &o, &e);
	if (s->rc == SZTP_OK)
		s->rc = bootdata_owner_load(&o, &s->id, &e);
	if (s->rc != SZTP_OK)
		snprintf(s->why, sizeof(s->why), "owner identity '%s' cannot sign: %s", name,
			 e.msg);
	reg_owner_clear(&o);
	return s;
}

/* Profile name's conveyed information, signed by owner (NULL: unsigned). */
static struct prof_slot *prof_slot(struct dns_run *r, const char *name, struct own_slot *owner)
{
	struct reg_profile p = {0};
	struct sztp_err e = {SZTP_OK, ""};
	struct prof_slot *s;
	char *trimmed = NULL;
	size_t i;
	void *nv;
	int sign = owner != NULL;

	for (i = 0; i < r->n_prof; i++)
		if (r->prof[i].sign == sign && !strcmp(r->prof[i].name, name))
			return &r->prof[i];
	if (!(nv = realloc(r->prof, (r->n_prof + 1) * sizeof(*r->prof))))
		return NULL;
	r->prof = nv;
	s = &r->prof[r->n_prof++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->sign = sign;
	s->rc = reg_profile_get(r->c->ctx->reg, name, &p, &e);
	/* what sztpd serves the profile's devices (server/artifacts.c) */
	if (s->rc == SZTP_OK && (p.lenient & REG_LENIENT_OMIT_OS_FIELDS) && p.conveyed_json)
		s->rc = yang_conveyed_omit_os_fields(p.conveyed_json, &trimmed, &e);
	if (s->rc == SZTP_OK)
		s->rc = bootdata_conveyed(NULL, trimmed ? trimmed : p.conveyed_json, YANG_ENC_JSON,
					  sign ? owner->id.signer : NULL, &s->ci, &e);
	if (s->rc != SZTP_OK)
		snprintf(s->why, sizeof(s->why), "profile '%s': %s", name, e.msg);
	free(trimmed);
	reg_profile_clear(&p);
	return s;
}

/* The TXT records of one device (n values), unless they do not fit DNS:
 * each RR's RDATA below 64 KiB, and the whole answer to the TXT query in
 * one DNS message over TCP. */
static void add_txt(struct dns_run *r, const char *serial, const char *name, size_t name_wire,
		    const struct txt *v, size_t n, int sign)
{
	/* header, question, EDNS OPT; each answer RR: compressed name, type,
	 * class, TTL, RDLENGTH */
	size_t msg = 12 + name_wire + 4 + 11, i;
	char *b64 = NULL;

	for (i = 0; i < n; i++) {
		size_t rdlen = dns_txt_rdlen(strlen(v[i].key), v[i].data->len);

		if (rdlen >= DNS_RDATA_MAX) {
			/* no size in the reason: a signature's length varies */
			skip(r, serial, "its %s is larger than a TXT record holds (64 KiB)",
			     v[i].key);
			return;
		}
		msg += 2 + 10 + rdlen;
	}
	if (msg > DNS_MSG_MAX) {
		skip(r, serial,
		     "its TXT records together are larger than a DNS message holds (64 KiB)");
		return;
	}
	for (i = 0; i < n && !r->fail; i++) {
		if (b64_encode(v[i].data->data, v[i].data->len, &b64, NULL) != SZTP_OK ||
		    json_array_append_new(r->records,
					  json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "name", name,
						    "type", "TXT", "serial", serial, "key",
						    v[i].key, "signed", sign, "data", b64)) != 0)
			r->fail = 1;
		free(b64);
		b64 = NULL;
	}
}

/* DNS compares names without regard to ASCII case (RFC 4343): two
 * serials that differ only so would share one owner name, and each device
 * would be served both devices' values. */
static int casecmp_idx(const void *a, const void *b, void *arg)
{
	const struct dns_run *r = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int d = strcasecmp(r->serial[i], r->serial[j]);

	return d ? d : (i > j) - (i < j);
}

/* The serial that serial i shares its DNS name with, or NULL. */
static const char *case_twin(const struct dns_run *r, const size_t *order, size_t k)
{
	if (k > 0 && !strcasecmp(r->serial[order[k]], r->serial[order[k - 1]]))
		return r->serial[order[k - 1]];
	if (k + 1 < r->n_serial && !strcasecmp(r->serial[order[k]], r->serial[order[k + 1]]))
		return r->serial[order[k + 1]];
	return NULL;
}

/* Mark the serials whose DNS names collide: twin[i] names the other one. */
static int case_twins(struct dns_run *r, const char **twin)
{
	size_t *order = malloc((r->n_serial + 1) * sizeof(*order)), k;

	if (!order)
		return -1;
	for (k = 0; k < r->n_serial; k++)
		order[k] = k;
	qsort_r(order, r->n_serial, sizeof(*order), casecmp_idx, r);
	for (k = 0; k < r->n_serial; k++)
		twin[order[k]] = case_twin(r, order, k);
	free(order);
	return 0;
}

/* One device: its records, or why it has none.  -1: answered (a registry
 * failure). */
static int device(struct dns_run *r, const char *serial)
{
	struct reg_bootstrap b = {0};
	struct signing_decision d = {0};
	struct sztp_err e = {SZTP_OK, ""};
	struct own_slot *own = NULL;
	struct prof_slot *ps = NULL;
	struct txt v[3];
	char label[DNS_LABEL_TXT], name[sizeof(label) + 8 + DNS_TEXT_MAX];
	size_t len = strlen(serial), name_wire = len + 1 + 6 + r->zone_wire;
	sztp_rc rc = reg_bootstrap_get(r->c->ctx->reg, serial, &b, &e);
	int ret = 0;

	if (rc == SZTP_E_NOT_FOUND) {
		skip(r, serial, "not enrolled");
		goto out;
	}
	if (rc != SZTP_OK) {
		ret = admin_problem_rc(r->c, rc, NULL, &e);
		goto out;
	}
	if (dns_label_escape(serial, label, sizeof(label), &e) != SZTP_OK) {
		skip(r, serial, "the serial number is %zu bytes: a DNS label holds at most 63",
		     len);
		goto out;
	}
	if (name_wire > DNS_NAME_WIRE_MAX) {
		skip(r, serial, "its DNS name would be longer than 255 bytes");
		goto out;
	}
	snprintf(name, sizeof(name), "%s._sztp.%s", label, r->zone);
	if (!b.has_profile) {
		skip(r, serial, "no bootstrapping data is configured for this device (no profile)");
		goto out;
	}
	/* what sztpd answers a device that sent signed-data-preferred */
	rc = signing_decide_device(&b, 1, (time_t)r->c->now, NULL, NULL, &d, NULL, &e);
	if (rc == SZTP_OK && d.sign) {
		own = owner_slot(r, b.prof.owner[0] ? b.prof.owner : "default");
		if (!own) {
			r->fail = 1;
			goto out;
		}
		if (own->rc != SZTP_OK) {
			skip(r, serial, "%s", own->why);
			goto out;
		}
	}
	if (rc == SZTP_OK && !(ps = prof_slot(r, b.prof.name, own)))
		r->fail = 1;
	if (r->fail)
		goto out;
	if (ps && ps->rc != SZTP_OK) {
		skip(r, serial, "%s", ps->why);
	} else if (ps && d.sign) {
		v[0] = (struct txt){"ci", &ps->ci};
		v[1] = (struct txt){"oc", &own->id.oc};
		v[2] = (struct txt){"ov", &b.dev.voucher};
		add_txt(r, serial, name, name_wire, v, 3, 1);
	} else if (ps) { /* the profile's own redirect, unsigned (s3.3) */
		v[0] = (struct txt){"ci", &ps->ci};
		add_txt(r, serial, name, name_wire, v, 1, 0);
	} else if (r->redirect.len) { /* nothing it would accept: to the servers */
		v[0] = (struct txt){"ci", &r->redirect};
		add_txt(r, serial, name, name_wire, v, 1, 0);
	} else {
		skip(r, serial, "%s, and no server was given to redirect it to", e.msg);
	}
out:
	reg_bootstrap_clear(&b);
	return ret;
}

/* zone, ttl, server= into r and the SRV records.  -1: answered. */
static int parameters(struct dns_run *r, int64_t *ttl)
{
	struct admin_call *c = r->c;
	struct conveyed_server srv[DNS_SERVERS_MAX];
	char buf[DNS_URI_MAX], host[DNS_SERVERS_MAX][DNS_TEXT_MAX], fqdn[DNS_TEXT_MAX];
	const char *zone, *uri, *why;
	char *json = NULL;
	unsigned port;
	size_t n = 0;
	struct sztp_err e = {SZTP_OK, ""};
	sztp_rc rc;

	if (admin_query_str(c, "zone", buf, sizeof(buf), &zone) < 0)
		return -1;
	if (!zone)
		return admin_problem_param(c, "zone",
					   "'zone' is required: the DNS zone the "
					   "records are for");
	if ((why = dns_zone_problem(zone, r->zone, sizeof(r->zone), &r->zone_wire)) != NULL)
		return admin_problem_param(c, "zone", "zone '%s' %s", zone, why);
	if (admin_query_int(c, "ttl", 0, DNS_TTL_MAX, ttl) < 0)
		return -1;
	for (;; n++) {
		if (admin_query_nth(c, "server", n, buf, sizeof(buf), &uri) < 0)
			return -1;
		if (!uri)
			break;
		if (n == DNS_SERVERS_MAX)
			return admin_problem_param(c, "server", "more than %d servers",
						   DNS_SERVERS_MAX);
		if ((why = dns_server_uri_problem(uri, fqdn, sizeof(fqdn), &port)) != NULL)
			return admin_problem_param(c, "server", "server URI '%s': %s", uri, why);
		if (json_array_append_new(r->records,
					  json_pack("{s:s+, s:s, s:i, s:i, s:i, s:s}", "name",
						    "_sztp._tcp.", r->zone, "type", "SRV",
						    "priority", (int)(10 * n), "weight", 0, "port",
						    (int)port, "target", fqdn)) != 0)
			r->fail = 1;
		/* redirect information names the host without the root's dot */
		snprintf(host[n], sizeof(host[n]), "%.*s", (int)strlen(fqdn) - 1, fqdn);
		srv[n] = (struct conveyed_server){host[n], port == 443 ? 0 : port, NULL};
	}
	if (n == 0)
		return 0;
	rc = conveyed_redirect_json(srv, n, &json, &e);
	if (rc == SZTP_OK)
		rc = bootdata_conveyed(NULL, json, YANG_ENC_JSON, NULL, &r->redirect, &e);
	free(json);
	if (rc != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	return 0;
}

void admin_dns_records(struct admin_call *c)
{
	static const char *const allowed[] = {"zone", "server", "ttl", "serial", NULL};
	static const char *const repeatable[] = {"server", "serial", NULL};
	struct dns_run r = {0};
	struct sztp_err e = {SZTP_OK, ""};
	char buf[PKI_SERIAL_MAX * 3 + 1];
	const char *serial, **twin = NULL;
	int64_t ttl = DNS_TTL_DEFAULT;
	size_t i, k;
	sztp_rc rc;

	r.c = c;
	r.records = json_array();
	r.skipped = json_array();
	if (admin_query_only_rep(c, allowed, repeatable) < 0 || parameters(&r, &ttl) < 0)
		goto out;
	for (i = 0;; i++) {
		struct reg_device dev = {0};

		if (admin_query_nth(c, "serial", i, buf, sizeof(buf), &serial) < 0)
			goto out;
		if (!serial)
			break;
		if (i == DNS_SERIALS_MAX) {
			admin_problem_param(c, "serial", "more than %d serials", DNS_SERIALS_MAX);
			goto out;
		}
		if (!*serial || strlen(serial) >= PKI_SERIAL_MAX) {
			admin_problem_param(c, "serial", "'serial' must be 1 to %d bytes",
					    PKI_SERIAL_MAX - 1);
			goto out;
		}
		for (k = 0; k < r.n_serial && strcmp(r.serial[k], serial); k++)
			;
		if (k < r.n_serial) /* given twice */
			continue;
		snprintf(dev.serial, sizeof(dev.serial), "%s", serial);
		serial_cb(&dev, &r);
	}
	/* every enrolled device, ordered by serial; read first, then each
	 * device in its own read */
	if (i == 0 && (rc = reg_device_list(c->ctx->reg, serial_cb, &r, &e)) != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	if (!(twin = calloc(r.n_serial + 1, sizeof(*twin))) || case_twins(&r, twin) < 0)
		r.fail = 1;
	for (i = 0; i < r.n_serial && !r.fail; i++) {
		if (twin[i])
			skip(&r, r.serial[i],
			     "its DNS name is that of device %s (DNS ignores letter case)",
			     twin[i]);
		else if (device(&r, r.serial[i]) < 0)
			goto out;
	}
	if (r.fail || !r.records || !r.skipped) {
		sztp_err_set(&e, SZTP_E_NOMEM, "out of memory");
		admin_problem_rc(c, SZTP_E_NOMEM, NULL, &e);
		goto out;
	}
	admin_reply_json(c, 200,
			 json_pack("{s:s, s:I, s:O, s:O}", "zone", r.zone, "ttl", (json_int_t)ttl,
				   "records", r.records, "skipped", r.skipped),
			 NULL);
out:
	free(twin);
	run_clear(&r);
}
