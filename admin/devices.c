/*
 * devices.c - admin API: the devices the bootstrap server knows, each by
 * the serial number of its IDevID (RFC 8572 s5.3, s9.6): list with
 * filters and cursor pagination, create one or many in one all-or-nothing
 * request, show, change (profile, password, pinned IDevID key), delete.
 * A device may carry an HTTP Basic password (stored only as a salted hash
 * of sztpd's password-cost; never returned, except once when the server
 * generated it), an ownership voucher (checked by vouchers.c before it is
 * stored) and the pin of its IDevID key.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin_internal.h"
#include "crypto.h"
#include "event.h"
#include "passwd.h"
#include "voucher.h"

#define PW_MAX	       1024
#define BULK_MAX       100000
#define WARN_MAX       100 /* warnings in one answer */
#define CRYPTO_THREADS 8

/* One device-create, checked: the row to store and what the answer says. */
struct item {
	struct reg_device d;  /* serial, profile, password_hash, voucher and its window */
	const char *password; /* the body's (or generated), until hashed */
	char *generated;      /* password-generate: shown once */
	char ptr[32];	      /* JSON pointer of the item: "" or "/devices/<i>" */
	int has_pin;
	uint8_t pin[REG_PIN_LEN];
	const struct pki_trust *anchor; /* of its voucher, and its name */
	const char *anchor_name;
	sztp_bytes pinned; /* the voucher's pinned-domain-cert, once verified */
	char *why;	   /* why the voucher does not verify */
};

static void item_clear(struct item *it)
{
	reg_device_clear(&it->d);
	if (it->generated) {
		crypto_wipe(it->generated, strlen(it->generated));
		free(it->generated);
	}
	sztp_bytes_free(&it->pinned);
	free(it->why);
	memset(it, 0, sizeof(*it));
}

static void warn(json_t *warnings, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(json_t *warnings, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (json_array_size(warnings) >= WARN_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(warnings, json_string(msg));
}

/* ---- representation ---------------------------------------------------------- */

static json_t *pin_json(int has, const uint8_t pin[REG_PIN_LEN])
{
	char hex[2 * REG_PIN_LEN + 1];
	size_t i;

	if (!has)
		return json_null();
	for (i = 0; i < REG_PIN_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", pin[i]);
	return json_string(hex);
}

/* The device representation (api.md "device"); idevid-pin null until
 * with_pin fills it. */
static json_t *device_json(struct admin_call *c, const struct reg_device *d, int64_t days)
{
	json_t *o =
	    json_pack("{s:s, s:o, s:s, s:b, s:b}", "serial", d->serial, "profile",
		      d->profile[0] ? json_string(d->profile) : json_null(), "state", d->state,
		      "password", d->password_hash != NULL, "voucher", d->voucher.len > 0);
	int64_t ve;

	if (!o)
		return NULL;
	if (d->voucher.len) {
		ve = admin_voucher_expires(d);
		json_object_set_new(o, "voucher-expires", admin_time_json(ve));
		json_object_set_new(
		    o, "voucher-expiry",
		    json_string(admin_expiry_name(admin_expiry_of(ve, c->now, (long)days))));
	}
	json_object_set_new(o, "created", admin_time_json(d->created));
	json_object_set_new(o, "first-seen", admin_time_json(d->first_seen));
	json_object_set_new(o, "last-seen", admin_time_json(d->last_seen));
	json_object_set_new(o, "idevid-pin", json_null());
	json_object_set_new(o, "revision", admin_rev_json(d->revision));
	return o;
}

static int with_pin(struct admin_call *c, json_t *o, const char *serial)
{
	struct sztp_err e = {SZTP_OK, ""};
	uint8_t pin[REG_PIN_LEN];
	int has = 0;
	sztp_rc rc = reg_device_pin_get(c->ctx->reg, serial, &has, pin, &e);

	if (rc != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	json_object_set_new(o, "idevid-pin", pin_json(has, pin));
	return 0;
}

/* ---- checks shared by create and change ------------------------------------------ */

static const char *join(char *buf, size_t len, const char *ptr, const char *name)
{
	snprintf(buf, len, "%s/%s", ptr, name);
	return buf;
}

static int check_serial(struct admin_call *c, const char *ptr, const char *serial)
{
	struct sztp_err pe = {SZTP_OK, ""};
	char f[64];

	if (pki_serial_check(serial, &pe) == SZTP_OK)
		return 0;
	return admin_problem(c, 400, "invalid-field", join(f, sizeof(f), ptr, "serial"),
			     "bad serial number: %s (1 to %d bytes of UTF-8 without control "
			     "characters)",
			     pe.msg, PKI_SERIAL_MAX - 1);
}

/* password and password-generate exclude each other; RFC 7617: an HTTP
 * Basic user-id cannot hold a colon, so a device whose serial has one
 * authenticates with its certificate only. */
static int check_password(struct admin_call *c, const char *ptr, const char *serial, int has_pw,
			  int gen)
{
	char f[64];

	if (has_pw && gen)
		return admin_problem(c, 400, "invalid-field",
				     join(f, sizeof(f), ptr, "password-generate"),
				     "give \"password\" or \"password-generate\", not both");
	if ((has_pw || gen) && strchr(serial, ':'))
		return admin_problem(c, 400, "invalid-field", join(f, sizeof(f), ptr, "password"),
				     "serial number '%s' holds a ':', which an HTTP Basic user "
				     "name cannot (RFC 7617): such a device authenticates with its "
				     "certificate only, set no password",
				     serial);
	return 0;
}

/* idevid (PEM): the SHA-256 of its first certificate's public key, what
 * sztpd pins; a certificate naming another serial is refused (a SUDI
 * serialNumber "PID:... SN:<serial>" names the serial of its SN: token,
 * as sztpd reads it under manufacturer-ca serial=sudi). */
static int idevid_pin(struct admin_call *c, const char *field, const char *serial, const char *pem,
		      uint8_t pin[REG_PIN_LEN])
{
	struct sztp_err e = {SZTP_OK, ""};
	char sn[PKI_SERIAL_MAX], sudi[PKI_SERIAL_MAX];
	sztp_bytes *certs = NULL;
	size_t n = 0;
	int rc = -1;

	if (admin_pem_certs(c, field, "idevid", pem, &certs, &n) < 0)
		goto out;
	if (pki_cert_serial_number(&certs[0], sn, sizeof(sn), NULL) == SZTP_OK &&
	    strcmp(sn, serial) != 0 &&
	    (pki_serial_sudi(sn, sudi, sizeof(sudi), NULL) != SZTP_OK || strcmp(sudi, serial))) {
		admin_problem(c, 400, "invalid-field", field,
			      "the idevid certificate names serial number '%s', not '%s'", sn,
			      serial);
		goto out;
	}
	if (pki_cert_spki_sha256(&certs[0], pin, &e) != SZTP_OK) {
		admin_problem(c, 400, "invalid-field", field, "'idevid': %s", e.msg);
		goto out;
	}
	rc = 0;
out:
	pki_certs_free(certs, n);
	return rc;
}

/* The profile of a pinned device pins IDevIDs; else the pin is recorded
 * but not enforced: said in a warning. */
static void pin_advice(struct admin_call *c, const char *serial, const char *profile,
		       json_t *warnings)
{
	int on = 0;

	if (profile[0])
		(void)reg_profile_pin_get(c->ctx->reg, profile, &on, NULL);
	if (!on)
		warn(warnings,
		     "device %s: its profile %s does not pin IDevIDs (pin-idevid): the pin is "
		     "recorded but not enforced",
		     serial, profile[0] ? profile : "(none)");
}

static unsigned password_cost(struct admin_call *c)
{
	return c->ctx->password_cost ? c->ctx->password_cost : PASSWD_COST_DEFAULT;
}

/* ---- the costly checks: voucher signatures and password hashes ------------------- */

struct crypto_run {
	const struct admin_call *c;
	struct item *items;
	size_t n, next; /* next: the next item to take (atomic) */
	unsigned cost;
	int failed; /* atomic: a hash could not be made */
};

/* The voucher of it verified (why set when not), its password hashed. */
static void item_crypto(struct crypto_run *w, struct item *it)
{
	char out[PASSWD_HASH_MAX], msg[SZTP_ERR_MSG_MAX + 600];
	struct voucher v;

	memset(&v, 0, sizeof(v));
	if (it->d.voucher.len) {
		if (admin_voucher_verify(w->c, &it->d.voucher, it->d.serial, it->anchor,
					 it->anchor_name, &v, msg, sizeof(msg)) != SZTP_OK) {
			if (!(it->why = strdup(msg)))
				__atomic_store_n(&w->failed, 1, __ATOMIC_RELAXED);
			return;
		}
		it->d.voucher_created = (int64_t)v.created_on;
		it->d.voucher_expires = (int64_t)v.expires_on;
		it->pinned = v.pinned_domain_cert; /* taken */
		memset(&v.pinned_domain_cert, 0, sizeof(v.pinned_domain_cert));
		voucher_clear(&v);
	}
	if (it->password && (passwd_hash_cost(it->password, w->cost, out, NULL) != SZTP_OK ||
			     !(it->d.password_hash = strdup(out))))
		__atomic_store_n(&w->failed, 1, __ATOMIC_RELAXED);
}

static void *crypto_thread(void *arg)
{
	struct crypto_run *w = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED)) < w->n)
		item_crypto(w, &w->items[i]);
	return NULL;
}

/* Verify the vouchers and hash the passwords of n items on as many threads
 * as there are CPUs (at most CRYPTO_THREADS): ECDSA and PBKDF2 are what a
 * bulk request costs.  A voucher that does not verify: 400 naming the
 * first such item, *bad its index. */
static int items_crypto(struct admin_call *c, struct item *items, size_t n, size_t *bad)
{
	struct crypto_run w = {c, items, n, 0, password_cost(c), 0};
	pthread_t th[CRYPTO_THREADS - 1];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t i, extra = 0, started = 0;
	char f[64];

	if (n > 1 && cpus > 1)
		extra = (size_t)(cpus < CRYPTO_THREADS ? cpus : CRYPTO_THREADS) - 1;
	for (i = 0; i < extra && i + 1 < n; i++)
		if (pthread_create(&th[started], NULL, crypto_thread, &w) == 0)
			started++;
	crypto_thread(&w);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (w.failed)
		return admin_problem(c, 500, "internal", NULL, "a password could not be hashed");
	for (*bad = 0; *bad < n; (*bad)++)
		if (items[*bad].why)
			return admin_problem(c, 400, "invalid-field",
					     join(f, sizeof(f), items[*bad].ptr, "voucher"), "%s",
					     items[*bad].why);
	return 0;
}

/* ---- creating ------------------------------------------------------------------ */

static const char *const create_members[] = {"serial",	"profile", "password", "password-generate",
					     "voucher", "masa-ca", "idevid",   NULL};

/* The anchor of an item's voucher (checked with the others' later). */
static int item_anchor(struct admin_call *c, json_t *obj, struct item *it, struct admin_anchor *a,
		       const struct admin_anchor *dflt)
{
	if (!it->d.voucher.len)
		return 0;
	if (admin_anchor_get(c, obj, it->ptr, dflt, a) < 0 || admin_anchor_required(c, a) < 0)
		return -1;
	it->anchor = a->t;
	it->anchor_name = a->name;
	return 0;
}

/* Read and check a device-create (api.md) as far as that needs neither
 * the registry nor much CPU (items_crypto does the costly part). */
static int item_read(struct admin_call *c, json_t *obj, struct item *it, struct admin_anchor *a,
		     const struct admin_anchor *dflt, int single)
{
	const char *serial = NULL, *profile = NULL, *idevid = NULL;
	int gen = 0, prof_null, prof_set;
	char f[64];

	if (!json_is_object(obj))
		return admin_problem(c, 400, "invalid-field", it->ptr,
				     "a device must be a JSON object");
	if (admin_json_only(c, obj, it->ptr, create_members) < 0 ||
	    admin_json_str(c, obj, it->ptr, "serial", 1, PKI_SERIAL_MAX - 1, &serial) < 0 ||
	    check_serial(c, it->ptr, serial) < 0 ||
	    admin_json_str_or_null(c, obj, it->ptr, "profile", REG_NAME_MAX - 1, &profile,
				   &prof_null, &prof_set) < 0 ||
	    admin_json_str(c, obj, it->ptr, "password", 0, PW_MAX, &it->password) < 0 ||
	    admin_json_bool(c, obj, it->ptr, "password-generate", &gen) < 0 ||
	    admin_json_pem(c, obj, it->ptr, "idevid", 0, &idevid) < 0 ||
	    admin_json_b64(c, obj, it->ptr, "voucher", 0, ADMIN_VOUCHER_MAX, &it->d.voucher) < 0 ||
	    check_password(c, it->ptr, serial, it->password != NULL, gen) < 0)
		return -1;
	if (gen && !single)
		return admin_problem(c, 400, "invalid-field",
				     join(f, sizeof(f), it->ptr, "password-generate"),
				     "'password-generate' is not available in a bulk request (the "
				     "passwords could not be shown)");
	snprintf(it->d.serial, sizeof(it->d.serial), "%s", serial);
	snprintf(it->d.profile, sizeof(it->d.profile), "%s", profile ? profile : "");
	snprintf(it->d.state, sizeof(it->d.state), "enrolled");
	it->d.created = c->now;
	if (idevid) {
		if (idevid_pin(c, join(f, sizeof(f), it->ptr, "idevid"), serial, idevid, it->pin) <
		    0)
			return -1;
		it->has_pin = 1;
	}
	if (gen) {
		if (!(it->generated = malloc(PASSWD_GEN_MAX)) ||
		    passwd_generate(it->generated, PASSWD_GEN_MAX, PASSWD_GEN_LEN, NULL) != SZTP_OK)
			return admin_problem(c, 500, "internal", NULL,
					     "a password could not be generated");
		it->password = it->generated;
	}
	return item_anchor(c, obj, it, a, dflt);
}

/* Store a read item, in the request's transaction: its profile exists,
 * its voucher pins the chain of that profile's owner (RFC 8572 s5.4). */
static int item_store(struct admin_call *c, struct item *it, struct admin_vcache *vc,
		      json_t *warnings)
{
	struct sztp_err e = {SZTP_OK, ""};
	const char *sn = it->d.serial;
	char owner[REG_NAME_MAX], f[64];
	sztp_rc rc;

	if (admin_profile_owner(c, join(f, sizeof(f), it->ptr, "profile"), it->d.profile, vc,
				owner) < 0 ||
	    (it->d.voucher.len &&
	     admin_voucher_fits_owner(c, 400, join(f, sizeof(f), it->ptr, "voucher"), &it->pinned,
				      "the voucher", owner, vc, warnings) < 0))
		return -1;
	if ((rc = reg_device_add(c->ctx->reg, &it->d, &e)) == SZTP_E_EXISTS)
		return admin_problem(c, 409, "exists", join(f, sizeof(f), it->ptr, "serial"),
				     "device '%s' is already enrolled", sn);
	if (rc != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	if (it->has_pin) {
		if ((rc = reg_device_pin_set(c->ctx->reg, sn, it->pin, &e)) != SZTP_OK)
			return admin_problem_rc(c, rc, NULL, &e);
		pin_advice(c, sn, it->d.profile, warnings);
	}
	if (sn[0] == ' ' || sn[strlen(sn) - 1] == ' ')
		warn(warnings,
		     "serial number '%s' begins or ends with a space: it is part of the serial "
		     "and must match the certificate's exactly",
		     sn);
	return 0;
}

/* What the audit row and the event of a created device say of it. */
static json_t *create_detail(const struct item *it)
{
	return json_pack("{s:o, s:b, s:b, s:b}", "profile",
			 it->d.profile[0] ? json_string(it->d.profile) : json_null(), "password",
			 it->password != NULL, "voucher", it->d.voucher.len > 0, "idevid-pin",
			 it->has_pin);
}

/* A device of a bulk request stored: its device.enrolled event, in the
 * request's transaction (the audit row is one for the whole request). */
static int bulk_event(struct admin_call *c, const struct item *it)
{
	struct sztp_err e = {SZTP_OK, ""};
	json_t *detail = create_detail(it);
	int64_t rev = 0;
	sztp_rc rc = reg_device_revision(c->ctx->reg, it->d.serial, &rev, &e);
	int ret;

	if (rc != SZTP_OK) {
		json_decref(detail);
		return admin_problem_rc(c, rc, NULL, &e);
	}
	if (!detail)
		return admin_problem(c, 500, "internal", NULL, "out of memory");
	ret = admin_event(c, EV_DEVICE_ENROLLED, it->d.serial, "bulk.devices", rev, detail);
	json_decref(detail);
	return ret;
}

static void with_warnings(json_t *o, json_t *warnings)
{
	if (o && json_array_size(warnings))
		json_object_set(o, "warnings", warnings);
}

void admin_devices_create(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct admin_anchor a;
	struct admin_vcache vc;
	struct item it;
	json_t *warnings = json_array(), *o = NULL;
	size_t bad;

	memset(&a, 0, sizeof(a));
	memset(&vc, 0, sizeof(vc));
	memset(&it, 0, sizeof(it));
	if (admin_query_only(c, none) < 0 || item_read(c, c->body, &it, &a, NULL, 1) < 0 ||
	    items_crypto(c, &it, 1, &bad) < 0 || admin_begin(c) < 0 ||
	    item_store(c, &it, &vc, warnings) < 0 ||
	    admin_device_commit(c, &it.d, "device.create", 0, create_detail(&it)) < 0)
		goto out;
	if (!(o = device_json(c, &it.d, ADMIN_EXPIRING_DAYS))) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	json_object_set_new(o, "idevid-pin", pin_json(it.has_pin, it.pin));
	if (it.generated) /* shown this once */
		json_object_set_new(o, "password", json_string(it.generated));
	with_warnings(o, warnings);
	admin_reply_json(c, 201, o, NULL);
	if (c->resp->status == 201) {
		admin_etag_device(&it.d, c->resp->etag);
		admin_location(c, "/devices/", it.d.serial);
	}
out:
	json_decref(warnings);
	item_clear(&it);
	admin_vcache_clear(&vc);
	admin_anchor_clear(&a);
}

/* A bulk item's problem names the item: "devices[i]: " before its detail
 * (its "field" points into the item already). */
static void blame(struct admin_call *c, size_t i)
{
	struct admin_response *r = c->resp;
	json_t *p = json_loadb(r->body, r->body_len, 0, NULL);
	const char *detail = json_string_value(json_object_get(p, "detail"));
	char buf[SZTP_ERR_MSG_MAX + 600], *s = NULL;

	if (detail && r->status != 500) {
		snprintf(buf, sizeof(buf), "devices[%zu]: %s", i, detail);
		json_object_set_new(p, "detail", json_string(buf));
		s = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	if (s) {
		free(r->body);
		r->body = s;
		r->body_len = strlen(s);
	}
	json_decref(p);
}

/* {"devices": [device-create, ...], "masa-ca"?: PEM}: all or nothing. */
static int bulk_list(struct admin_call *c, json_t **arr)
{
	static const char *const members[] = {"devices", "masa-ca", NULL};
	size_t n;

	if (admin_json_only(c, c->body, "", members) < 0)
		return -1;
	if (!(*arr = json_object_get(c->body, "devices")))
		return admin_problem(c, 400, "missing-field", "/devices",
				     "member 'devices' is required");
	n = json_is_array(*arr) ? json_array_size(*arr) : 0;
	if (n < 1 || n > BULK_MAX)
		return admin_problem(c, 400, "invalid-field", "/devices",
				     "'devices' must be an array of 1 to %d devices", BULK_MAX);
	return 0;
}

void admin_devices_bulk(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct admin_anchor a, top; /* a keeps every PEM; top: the body's choice */
	struct admin_vcache vc;
	struct item *items = NULL;
	json_t *arr = NULL, *warnings = json_array(), *serials = json_array(), *o;
	size_t n = 0, i = 0;

	memset(&a, 0, sizeof(a));
	memset(&vc, 0, sizeof(vc));
	if (admin_query_only(c, none) < 0 || bulk_list(c, &arr) < 0 ||
	    admin_anchor_get(c, c->body, "", NULL, &a) < 0)
		goto out;
	top = a;
	top.parsed = NULL;
	n = json_array_size(arr);
	if (!(items = calloc(n, sizeof(*items))) || !serials) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		snprintf(items[i].ptr, sizeof(items[i].ptr), "/devices/%zu", i);
		if (item_read(c, json_array_get(arr, i), &items[i], &a, &top, 0) < 0)
			goto blame;
	}
	if (items_crypto(c, items, n, &i) < 0)
		goto blame;
	if (admin_begin(c) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (item_store(c, &items[i], &vc, warnings) < 0 || bulk_event(c, &items[i]) < 0 ||
		    json_array_append_new(serials, json_string(items[i].d.serial)) < 0)
			goto blame;
	if (admin_audit(c, "bulk.devices", "devices", 0, 0,
			json_pack("{s:I, s:O}", "created", (json_int_t)n, "serials", serials)) <
		0 ||
	    admin_commit(c) < 0)
		goto out;
	o = json_pack("{s:I, s:O}", "created", (json_int_t)n, "serials", serials);
	with_warnings(o, warnings);
	admin_reply_json(c, 201, o, NULL);
	goto out;
blame:
	if (!c->answered)
		admin_problem(c, 500, "internal", NULL, "out of memory");
	blame(c, i);
out:
	for (i = 0; items && i < n; i++)
		item_clear(&items[i]);
	free(items);
	json_decref(serials);
	json_decref(warnings);
	admin_vcache_clear(&vc);
	admin_anchor_clear(&a);
}

/* ---- listing ---------------------------------------------------------------------- */

struct page {
	struct admin_rows rows;
	struct admin_call *c;
	int64_t days;
};

static int page_row(const struct reg_device *d, void *arg)
{
	struct page *p = arg;

	return admin_rows_add(&p->rows, device_json(p->c, d, p->days));
}

/* The filters of GET /devices into q (their text in f), the page size. */
struct filters {
	char prefix[PKI_SERIAL_MAX], profile[REG_NAME_MAX], state[32], after[PKI_SERIAL_MAX];
};

static int list_query(struct admin_call *c, struct reg_query *q, struct filters *f, int64_t *days,
		      int *limit)
{
	static const char *const params[] = {
	    "serial-prefix", "profile",		"state", "seen-since", "seen-before",
	    "has-voucher",   "expiring-within", "limit", "cursor",     NULL};

	if (admin_query_only(c, params) < 0 ||
	    admin_query_filter(c, "serial-prefix", f->prefix, sizeof(f->prefix),
			       &q->serial_prefix) < 0 ||
	    admin_query_str(c, "profile", f->profile, sizeof(f->profile), &q->profile) < 0 ||
	    admin_query_filter(c, "state", f->state, sizeof(f->state), &q->state) < 0 ||
	    admin_query_time(c, "seen-since", &q->since) < 0 ||
	    admin_query_time(c, "seen-before", &q->before) < 0 ||
	    admin_query_bool(c, "has-voucher", &q->has_voucher) < 0 ||
	    admin_expiring_days(c, days) < 0 ||
	    admin_page_key(c, limit, f->after, sizeof(f->after)) < 0)
		return -1;
	if (q->before && !q->since)
		q->since = 1; /* a device never seen was not seen before anything */
	q->after_key = f->after[0] ? f->after : NULL;
	q->limit = *limit + 1; /* one more: is there a next page? */
	return 0;
}

void admin_devices_list(struct admin_call *c)
{
	struct reg_query q = REG_QUERY_INIT;
	struct sztp_err e = {SZTP_OK, ""};
	struct page p = {{json_array(), 0, 0}, c, 0};
	struct filters f;
	json_t *o;
	size_t i, more;
	int limit;

	if (list_query(c, &q, &f, &p.days, &limit) < 0 ||
	    admin_rows_done(c, &p.rows, reg_device_query(c->ctx->reg, &q, page_row, &p, &e), &e) <
		0)
		goto out;
	if ((more = json_array_size(p.rows.items) > (size_t)limit))
		json_array_remove(p.rows.items, (size_t)limit);
	json_array_foreach(p.rows.items, i, o)
	{
		if (with_pin(c, o, json_string_value(json_object_get(o, "serial"))) < 0)
			goto out;
	}
	o = json_array_get(p.rows.items, (size_t)limit - 1);
	admin_reply_page_key(c, p.rows.items, /* items stolen */
			     more ? json_string_value(json_object_get(o, "serial")) : NULL);
	p.rows.items = NULL;
out:
	json_decref(p.rows.items);
}

/* ---- one device ------------------------------------------------------------------- */

struct progress {
	int64_t n, last_time;
	char last[40];
};

static int progress_row(const struct reg_progress *r, void *arg)
{
	struct progress *p = arg;

	p->n++;
	p->last_time = r->time;
	snprintf(p->last, sizeof(p->last), "%s", r->type);
	return 0;
}

/* GET adds the voucher-summary and the progress reports' count and last. */
static int device_details(struct admin_call *c, const struct reg_device *d, json_t *o, int64_t days)
{
	struct sztp_err e = {SZTP_OK, ""};
	struct progress p;
	sztp_rc rc;

	memset(&p, 0, sizeof(p));
	if ((rc = reg_progress_list(c->ctx->reg, d->serial, 0, progress_row, &p, &e)) != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	json_object_set_new(o, "voucher-summary",
			    d->voucher.len ? admin_voucher_summary(c, &d->voucher, days, NULL)
					   : json_null());
	if (!json_object_get(o, "voucher-summary")) /* stored, but does not parse */
		json_object_set_new(o, "voucher-summary", json_null());
	json_object_set_new(o, "progress-reports", json_integer((json_int_t)p.n));
	json_object_set_new(o, "last-progress", p.n ? json_string(p.last) : json_null());
	json_object_set_new(o, "last-progress-time", admin_time_json(p.n ? p.last_time : 0));
	return 0;
}

void admin_device_get(struct admin_call *c)
{
	static const char *const params[] = {"expiring-within", NULL};
	struct sztp_err e = {SZTP_OK, ""};
	struct reg_device d;
	json_t *o = NULL;
	int64_t days;
	sztp_rc rc;

	memset(&d, 0, sizeof(d));
	if (admin_query_only(c, params) < 0 || admin_expiring_days(c, &days) < 0)
		return;
	if ((rc = reg_device_get(c->ctx->reg, c->param[0], &d, &e)) == SZTP_E_NOT_FOUND) {
		admin_problem(c, 404, "not-found", NULL, "no device with serial '%s'", c->param[0]);
		goto out;
	}
	if (rc != SZTP_OK) {
		admin_problem_rc(c, rc, NULL, &e);
		goto out;
	}
	if (!(o = device_json(c, &d, days))) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	if (with_pin(c, o, d.serial) < 0 || device_details(c, &d, o, days) < 0)
		goto out;
	admin_reply_json(c, 200, o, NULL);
	o = NULL;
	if (c->resp->status == 200)
		admin_etag_device(&d, c->resp->etag);
out:
	json_decref(o);
	reg_device_clear(&d);
}

/* ---- writes to one device -------------------------------------------------------------- */

int admin_device_lock(struct admin_call *c, struct reg_device *d)
{
	struct sztp_err e = {SZTP_OK, ""};
	char etag[ADMIN_ETAG_MAX];
	sztp_rc rc;

	if (admin_begin(c) < 0)
		return -1;
	if ((rc = reg_device_get(c->ctx->reg, c->param[0], d, &e)) == SZTP_E_NOT_FOUND) {
		if (c->req->if_match) /* RFC 9110 s13.1.1: no current representation */
			return admin_if_match(c, 0, "");
		return admin_problem(c, 404, "not-found", NULL, "no device with serial '%s'",
				     c->param[0]);
	}
	if (rc != SZTP_OK)
		return admin_problem_rc(c, rc, NULL, &e);
	admin_etag_device(d, etag);
	return admin_if_match(c, 1, etag);
}

int admin_device_commit(struct admin_call *c, struct reg_device *d, const char *action,
			int64_t rev_before, json_t *detail)
{
	struct sztp_err e = {SZTP_OK, ""};
	char res[16 + PKI_SERIAL_MAX];
	sztp_rc rc = reg_device_revision(c->ctx->reg, d->serial, &d->revision, &e);

	if (rc != SZTP_OK && rc != SZTP_E_NOT_FOUND) {
		json_decref(detail);
		return admin_problem_rc(c, rc, NULL, &e);
	}
	snprintf(res, sizeof(res), "devices/%s", d->serial);
	if (admin_audit(c, action, res, rev_before, d->revision, detail) < 0)
		return -1;
	return admin_commit(c);
}

/* A device-patch (api.md), read. */
struct patch {
	const char *profile, *password, *idevid;
	int prof_set, prof_null, pw_set, pw_null, gen, reset;
	uint8_t pin[REG_PIN_LEN];
	char hash[PASSWD_HASH_MAX], generated[PASSWD_GEN_MAX];
};

static int patch_read(struct admin_call *c, struct patch *p)
{
	static const char *const members[] = {"profile", "password",	     "password-generate",
					      "idevid",	 "reset-idevid-pin", NULL};
	json_t *b = c->body;

	if (admin_json_only(c, b, "", members) < 0 ||
	    admin_json_str_or_null(c, b, "", "profile", REG_NAME_MAX - 1, &p->profile,
				   &p->prof_null, &p->prof_set) < 0 ||
	    admin_json_str_or_null(c, b, "", "password", PW_MAX, &p->password, &p->pw_null,
				   &p->pw_set) < 0 ||
	    admin_json_bool(c, b, "", "password-generate", &p->gen) < 0 ||
	    admin_json_pem(c, b, "", "idevid", 0, &p->idevid) < 0 ||
	    admin_json_bool(c, b, "", "reset-idevid-pin", &p->reset) < 0)
		return -1;
	if (!p->prof_set && !p->pw_set && !p->gen && !p->idevid && !p->reset)
		return admin_problem(c, 400, "missing-field", NULL,
				     "nothing to change: give \"profile\", \"password\", "
				     "\"password-generate\", \"idevid\" or \"reset-idevid-pin\"");
	if (p->idevid && p->reset)
		return admin_problem(c, 400, "invalid-field", "/reset-idevid-pin",
				     "give \"idevid\" or \"reset-idevid-pin\", not both");
	if (p->pw_null && p->gen)
		return admin_problem(c, 400, "invalid-field", "/password-generate",
				     "give \"password\" or \"password-generate\", not both");
	if (check_password(c, "", c->param[0], p->password != NULL, p->gen) < 0 ||
	    (p->idevid && idevid_pin(c, "/idevid", c->param[0], p->idevid, p->pin) < 0))
		return -1;
	if (p->gen) {
		if (passwd_generate(p->generated, sizeof(p->generated), PASSWD_GEN_LEN, NULL) !=
		    SZTP_OK)
			return admin_problem(c, 500, "internal", NULL,
					     "a password could not be generated");
		p->password = p->generated;
	}
	if (p->password &&
	    passwd_hash_cost(p->password, password_cost(c), p->hash, NULL) != SZTP_OK)
		return admin_problem(c, 500, "internal", NULL, "a password could not be hashed");
	return 0;
}

/* profile: it exists, and the voucher stored for d pins its owner's chain
 * (RFC 8572 s5.4; a device would refuse the owner certificate). */
static int patch_profile(struct admin_call *c, struct reg_device *d, const char *profile,
			 json_t *warnings)
{
	struct admin_vcache vc;
	char owner[REG_NAME_MAX];
	int rc;

	memset(&vc, 0, sizeof(vc));
	rc = -1;
	if (admin_profile_owner(c, "/profile", profile, &vc, owner) == 0 &&
	    admin_device_voucher_fits(c, d, owner, &vc, warnings) == 0) {
		snprintf(d->profile, sizeof(d->profile), "%s", profile);
		rc = 0;
	}
	admin_vcache_clear(&vc);
	return rc;
}

/* The change of a read patch to the locked device d. */
static int patch_apply(struct admin_call *c, struct patch *p, struct reg_device *d, json_t *changed,
		       json_t *warnings)
{
	struct sztp_err e = {SZTP_OK, ""};
	sztp_rc rc;

	if (p->profile && patch_profile(c, d, p->profile, warnings) < 0)
		return -1;
	if (p->prof_null)
		d->profile[0] = '\0';
	if (p->password || p->pw_null) {
		free(d->password_hash);
		d->password_hash = NULL;
		if (p->password && !(d->password_hash = strdup(p->hash)))
			return admin_problem(c, 500, "internal", NULL, "out of memory");
	}
	if ((rc = reg_device_update(c->ctx->reg, d, &e)) != SZTP_OK ||
	    ((p->idevid || p->reset) &&
	     (rc = reg_device_pin_set(c->ctx->reg, d->serial, p->idevid ? p->pin : NULL, &e)) !=
		 SZTP_OK))
		return admin_problem_rc(c, rc, NULL, &e);
	if (p->idevid)
		pin_advice(c, d->serial, d->profile, warnings);
	if (p->prof_set)
		json_array_append_new(changed, json_string("profile"));
	if (p->pw_set || p->gen)
		json_array_append_new(changed, json_string("password"));
	if (p->idevid || p->reset)
		json_array_append_new(changed, json_string("idevid-pin"));
	return 0;
}

void admin_device_patch(struct admin_call *c)
{
	static const char *const none[] = {NULL};
	struct reg_device d;
	struct patch p;
	json_t *warnings = json_array(), *changed = json_array(), *o = NULL;
	int64_t before;

	memset(&d, 0, sizeof(d));
	memset(&p, 0, sizeof(p));
	if (admin_query_only(c, none) < 0 || patch_read(c, &p) < 0 || admin_device_lock(c, &d) < 0)
		goto out;
	before = d.revision;
	if (patch_apply(c, &p, &d, changed, warnings) < 0 ||
	    admin_device_commit(c, &d, "device.update", before,
				json_pack("{s:O}", "changed", changed)) < 0)
		goto out;
	if (!(o = device_json(c, &d, ADMIN_EXPIRING_DAYS))) {
		admin_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	if (with_pin(c, o, d.serial) < 0)
		goto out;
	if (p.gen) /* shown this once */
		json_object_set_new(o, "password", json_string(p.generated));
	with_warnings(o, warnings);
	admin_reply_json(c, 200, o, NULL);
	o = NULL;
	if (c->resp->status == 200)
		admin_etag_device(&d, c->resp->etag);
out:
	crypto_wipe(p.generated, sizeof(p.generated));
	json_decref(o);
	json_decref(changed);
	json_decref(warnings);
	reg_device_clear(&d);
}

void admin_device_change(struct admin_call *c, const char *action,
			 int (*change)(struct admin_call *c, struct reg_device *d))
{
	static const char *const none[] = {NULL};
	struct reg_device d;
	int64_t before;

	memset(&d, 0, sizeof(d));
	if (admin_query_only(c, none) < 0 || admin_device_lock(c, &d) < 0)
		goto out;
	before = d.revision;
	if (change(c, &d) < 0 || admin_device_commit(c, &d, action, before, NULL) < 0)
		goto out;
	admin_no_content(c);
out:
	reg_device_clear(&d);
}

static int device_remove(struct admin_call *c, struct reg_device *d)
{
	struct sztp_err e = {SZTP_OK, ""};
	sztp_rc rc = reg_device_remove(c->ctx->reg, d->serial, &e);

	return rc == SZTP_OK ? 0 : admin_problem_rc(c, rc, NULL, &e);
}

void admin_device_delete(struct admin_call *c)
{
	admin_device_change(c, "device.delete", device_remove);
}
