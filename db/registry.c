/*
 * registry.c - the registry's dispatch and what both backends share.
 *
 * A handle is one backend's connection (registry_backend.h): reg_open's
 * argument decides which, once: a PostgreSQL connection URI
 * (postgresql://... or postgres://..., libpq's syntax, with several hosts
 * for failover) opens db/registry_pg*.c, anything else is a SQLite file
 * path (db/registry_sqlite*.c).  Every other reg_ call forwards to the
 * handle's backend; the checks of arguments and the clearing of outputs
 * live here so that both backends refuse the same input with the same
 * message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "registry_backend.h"

/* r is NULL-safe: a NULL handle goes to the SQLite side, whose functions
 * answer it as they always have (invalid argument, 0, no-op). */
#define DISPATCH(fn, ...)                                                                          \
	((r) && (r)->pg ? rpg_##fn((r)->pg, __VA_ARGS__)                                           \
			: rsq_##fn((r) ? (r)->sq : NULL, __VA_ARGS__))
#define DISPATCH0(fn) ((r) && (r)->pg ? rpg_##fn((r)->pg) : rsq_##fn((r) ? (r)->sq : NULL))

const char *const reg_kind_names[2] = {"onboarding", "redirect"};
const char *const reg_sign_names[3] = {"if-requested", "always", "never"};
const char *const reg_report_names[2] = {"minimal", "verbose"};
/* enum reg_lenient, in bit order */
static const char *const lenient_names[] = {"empty-nonce", "omit-os-fields",
					    "empty-report-members"};
#define LENIENT_N (sizeof(lenient_names) / sizeof(lenient_names[0]))
_Static_assert(REG_LENIENT_ALL == (1u << LENIENT_N) - 1, "a name for every lenient bit");

int reg_is_postgresql(const char *database)
{
	return database &&
	       (!strncmp(database, "postgresql://", 13) || !strncmp(database, "postgres://", 11));
}

/* Appends n bytes of s to out (cap bytes, always terminated). */
static void put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + 1 >= cap)
		return;
	if (n > cap - 1 - *len)
		n = cap - 1 - *len;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
}

void reg_redact(const char *uri, char *out, size_t cap)
{
	const char *p = uri, *auth = strstr(uri, "://"), *end, *at, *colon, *pw;
	size_t len = 0;

	if (!cap)
		return;
	out[0] = '\0';
	if (auth) {
		auth += 3;
		end = auth + strcspn(auth, "/?");
		at = memchr(auth, '@', (size_t)(end - auth));
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			put(out, cap, &len, p, (size_t)(colon - p) + 1);
			put(out, cap, &len, "***", 3);
			p = at;
		}
	}
	while ((pw = strstr(p, "password=")) != NULL) {
		put(out, cap, &len, p, (size_t)(pw - p) + 9);
		put(out, cap, &len, "***", 3);
		p = pw + 9 + strcspn(pw + 9, "& ");
	}
	put(out, cap, &len, p, strlen(p));
}

/* ---- open and close ------------------------------------------------------ */

static sztp_rc open_how(const char *database, enum reg_open_how how, struct reg **out,
			struct sztp_err *e)
{
	struct reg *r = NULL;
	sztp_rc rc = SZTP_E_NOMEM;

	if (out)
		*out = NULL;
	if (!database || !out)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "registry: no database given");
	r = calloc(1, sizeof(*r));
	if (!r)
		return sztp_err_set(e, rc, "registry: out of memory");
	if (reg_is_postgresql(database))
		rc = rpg_open(database, how, &r->pg, e);
	else
		rc = rsq_open(database, how, &r->sq, e);
	if (rc != SZTP_OK) {
		free(r);
		return rc;
	}
	*out = r;
	return SZTP_OK;
}

sztp_rc reg_open(const char *database, struct reg **out, struct sztp_err *e)
{
	return open_how(database, REG_OPEN_CREATE, out, e);
}

sztp_rc reg_open_existing(const char *database, struct reg **out, struct sztp_err *e)
{
	return open_how(database, REG_OPEN_EXISTING, out, e);
}

sztp_rc reg_create(const char *database, struct reg **out, struct sztp_err *e)
{
	return open_how(database, REG_OPEN_NEW, out, e);
}

void reg_close(struct reg *r)
{
	if (!r)
		return;
	if (r->pg)
		rpg_close(r->pg);
	else
		rsq_close(r->sq);
	free(r);
}

/* ---- forwarding ------------------------------------------------------------ */

sztp_rc reg_check_file(struct reg *r, struct sztp_err *e)
{
	return DISPATCH(check_file, e);
}

sztp_rc reg_write_probe(struct reg *r, struct sztp_err *e)
{
	return DISPATCH(write_probe, e);
}

int reg_schema_version(struct reg *r)
{
	return DISPATCH0(schema_version);
}

sztp_rc reg_begin(struct reg *r, struct sztp_err *e)
{
	return DISPATCH(begin, e);
}

sztp_rc reg_begin_nosync(struct reg *r, struct sztp_err *e)
{
	return DISPATCH(begin_nosync, e);
}

sztp_rc reg_commit(struct reg *r, struct sztp_err *e)
{
	return DISPATCH(commit, e);
}

void reg_rollback(struct reg *r)
{
	DISPATCH0(rollback);
}

sztp_rc reg_device_get(struct reg *r, const char *serial, struct reg_device *out,
		       struct sztp_err *e)
{
	return DISPATCH(device_get, serial, out, e);
}

sztp_rc reg_bootstrap_get(struct reg *r, const char *serial, struct reg_bootstrap *out,
			  struct sztp_err *e)
{
	return DISPATCH(bootstrap_get, serial, out, e);
}

sztp_rc reg_device_add(struct reg *r, const struct reg_device *d, struct sztp_err *e)
{
	return DISPATCH(device_add, d, e);
}

sztp_rc reg_device_update(struct reg *r, const struct reg_device *d, struct sztp_err *e)
{
	return DISPATCH(device_update, d, e);
}

sztp_rc reg_device_remove(struct reg *r, const char *serial, struct sztp_err *e)
{
	return DISPATCH(device_remove, serial, e);
}

sztp_rc reg_device_seen(struct reg *r, const char *serial, const char *state, int64_t now,
			struct sztp_err *e)
{
	return DISPATCH(device_seen, serial, state, now, e);
}

sztp_rc reg_device_list(struct reg *r, reg_device_cb cb, void *arg, struct sztp_err *e)
{
	return DISPATCH(device_list, cb, arg, e);
}

sztp_rc reg_device_count(struct reg *r, int64_t *n, struct sztp_err *e)
{
	return DISPATCH(device_count, n, e);
}

sztp_rc reg_profile_get(struct reg *r, const char *name, struct reg_profile *out,
			struct sztp_err *e)
{
	return DISPATCH(profile_get, name, out, e);
}

sztp_rc reg_profile_put(struct reg *r, const struct reg_profile *p, struct sztp_err *e)
{
	return DISPATCH(profile_put, p, e);
}

sztp_rc reg_profile_remove(struct reg *r, const char *name, struct sztp_err *e)
{
	return DISPATCH(profile_remove, name, e);
}

sztp_rc reg_profile_list(struct reg *r, reg_profile_cb cb, void *arg, struct sztp_err *e)
{
	return DISPATCH(profile_list, cb, arg, e);
}

sztp_rc reg_owner_get(struct reg *r, const char *name, struct reg_owner *out, struct sztp_err *e)
{
	return DISPATCH(owner_get, name, out, e);
}

sztp_rc reg_owner_put(struct reg *r, const struct reg_owner *o, struct sztp_err *e)
{
	return DISPATCH(owner_put, o, e);
}

sztp_rc reg_progress_add(struct reg *r, const struct reg_progress *p, struct sztp_err *e)
{
	return DISPATCH(progress_add, p, e);
}

sztp_rc reg_progress_list(struct reg *r, const char *serial, int limit, reg_progress_cb cb,
			  void *arg, struct sztp_err *e)
{
	return DISPATCH(progress_list, serial, limit, cb, arg, e);
}

sztp_rc reg_log_add(struct reg *r, const struct reg_log *l, struct sztp_err *e)
{
	return DISPATCH(log_add, l, e);
}

sztp_rc reg_log_list(struct reg *r, const char *serial, int limit, reg_log_cb cb, void *arg,
		     struct sztp_err *e)
{
	return DISPATCH(log_list, serial, limit, cb, arg, e);
}

sztp_rc reg_prune(struct reg *r, int64_t before, int64_t *log_deleted, int64_t *progress_deleted,
		  struct sztp_err *e)
{
	return DISPATCH(prune, before, log_deleted, progress_deleted, e);
}

sztp_rc reg_log_trim(struct reg *r, int64_t before, int64_t keep, int limit, int64_t *deleted,
		     struct sztp_err *e)
{
	return DISPATCH(log_trim, before, keep, limit, deleted, e);
}

sztp_rc reg_device_auth_get(struct reg *r, const char *serial, struct reg_device_auth *out,
			    struct sztp_err *e)
{
	return DISPATCH(device_auth_get, serial, out, e);
}

sztp_rc reg_device_pin_record(struct reg *r, const char *serial, const uint8_t pin[REG_PIN_LEN],
			      int *recorded, struct sztp_err *e)
{
	return DISPATCH(device_pin_record, serial, pin, recorded, e);
}

sztp_rc reg_device_pin_set(struct reg *r, const char *serial, const uint8_t *pin,
			   struct sztp_err *e)
{
	return DISPATCH(device_pin_set, serial, pin, e);
}

sztp_rc reg_device_pin_get(struct reg *r, const char *serial, int *has, uint8_t pin[REG_PIN_LEN],
			   struct sztp_err *e)
{
	return DISPATCH(device_pin_get, serial, has, pin, e);
}

sztp_rc reg_profile_pin_set(struct reg *r, const char *name, int on, struct sztp_err *e)
{
	return DISPATCH(profile_pin_set, name, on, e);
}

sztp_rc reg_profile_pin_get(struct reg *r, const char *name, int *on, struct sztp_err *e)
{
	return DISPATCH(profile_pin_get, name, on, e);
}

sztp_rc reg_owner_names(struct reg *r, reg_name_cb cb, void *arg, struct sztp_err *e)
{
	return DISPATCH(owner_names, cb, arg, e);
}

static sztp_rc reg_valid_lease(const char *name, const char *holder, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("lease name", name, REG_LEASE_MAX, 0, e);

	return rc == SZTP_OK ? reg_valid_str("lease holder", holder, REG_LEASE_MAX, 0, e) : rc;
}

sztp_rc reg_lease(struct reg *r, const char *name, const char *holder, int64_t ttl_ms, int *held,
		  struct sztp_err *e)
{
	sztp_rc rc = reg_valid_lease(name, holder, e);

	*held = 0;
	if (rc == SZTP_OK && (ttl_ms < 1 || ttl_ms > 86400000))
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "lease time %lld ms is out of range",
				  (long long)ttl_ms);
	if (rc == SZTP_OK)
		rc = DISPATCH(lease, name, holder, ttl_ms, held, e);
	if (rc != SZTP_OK)
		*held = 0;
	return rc;
}

sztp_rc reg_lease_release(struct reg *r, const char *name, const char *holder, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_lease(name, holder, e);

	return rc == SZTP_OK ? DISPATCH(lease_release, name, holder, e) : rc;
}

sztp_rc reg_device_query(struct reg *r, const struct reg_query *q, reg_device_cb cb, void *arg,
			 struct sztp_err *e)
{
	return DISPATCH(device_query, q, cb, arg, e);
}

sztp_rc reg_progress_query(struct reg *r, const struct reg_query *q, reg_progress_cb cb, void *arg,
			   struct sztp_err *e)
{
	return DISPATCH(progress_query, q, cb, arg, e);
}

sztp_rc reg_log_query(struct reg *r, const struct reg_query *q, reg_log_cb cb, void *arg,
		      struct sztp_err *e)
{
	return DISPATCH(log_query, q, cb, arg, e);
}

sztp_rc reg_profile_device_count(struct reg *r, const char *profile, int64_t *n, struct sztp_err *e)
{
	return DISPATCH(profile_device_count, profile, n, e);
}

sztp_rc reg_token_add(struct reg *r, const struct reg_token *t, struct sztp_err *e)
{
	return DISPATCH(token_add, t, e);
}

sztp_rc reg_token_get_by_hash(struct reg *r, const uint8_t hash[REG_TOKEN_HASH_LEN],
			      struct reg_token *out, struct sztp_err *e)
{
	return DISPATCH(token_get_by_hash, hash, out, e);
}

sztp_rc reg_token_get(struct reg *r, const char *name, struct reg_token *out, struct sztp_err *e)
{
	return DISPATCH(token_get, name, out, e);
}

sztp_rc reg_token_revoke(struct reg *r, const char *name, int64_t now, struct sztp_err *e)
{
	return DISPATCH(token_revoke, name, now, e);
}

sztp_rc reg_token_list(struct reg *r, const char *after_key, int limit, reg_token_cb cb, void *arg,
		       struct sztp_err *e)
{
	return DISPATCH(token_list, after_key, limit, cb, arg, e);
}

sztp_rc reg_audit_add(struct reg *r, const struct reg_audit *a, struct sztp_err *e)
{
	return DISPATCH(audit_add, a, e);
}

sztp_rc reg_audit_query(struct reg *r, const struct reg_query *q, reg_audit_cb cb, void *arg,
			struct sztp_err *e)
{
	return DISPATCH(audit_query, q, cb, arg, e);
}

sztp_rc reg_device_revision(struct reg *r, const char *serial, int64_t *rev, struct sztp_err *e)
{
	return DISPATCH(device_revision, serial, rev, e);
}

sztp_rc reg_profile_query(struct reg *r, const char *after_key, int limit, reg_profile_cb cb,
			  void *arg, struct sztp_err *e)
{
	return DISPATCH(profile_query, after_key, limit, cb, arg, e);
}

sztp_rc reg_event_add(struct reg *r, const struct reg_event *ev, int64_t *id, struct sztp_err *e)
{
	return DISPATCH(event_add, ev, id, e);
}

sztp_rc reg_event_query(struct reg *r, const struct reg_query *q, reg_event_cb cb, void *arg,
			struct sztp_err *e)
{
	return DISPATCH(event_query, q, cb, arg, e);
}

sztp_rc reg_event_last_id(struct reg *r, int64_t *id, struct sztp_err *e)
{
	return DISPATCH(event_last_id, id, e);
}

sztp_rc reg_event_backlog(struct reg *r, int64_t after_id, int64_t *count, int64_t *oldest_time,
			  struct sztp_err *e)
{
	return DISPATCH(event_backlog, after_id, count, oldest_time, e);
}

sztp_rc reg_event_trim(struct reg *r, int64_t before, int limit, int64_t *deleted,
		       struct sztp_err *e)
{
	return DISPATCH(event_trim, before, limit, deleted, e);
}

sztp_rc reg_event_cursor_get(struct reg *r, const char *name, int64_t *cursor, struct sztp_err *e)
{
	return DISPATCH(event_cursor_get, name, cursor, e);
}

sztp_rc reg_event_cursor_set(struct reg *r, const char *name, int64_t cursor, struct sztp_err *e)
{
	return DISPATCH(event_cursor_set, name, cursor, e);
}

sztp_rc reg_event_cursor_drop(struct reg *r, const char *name, struct sztp_err *e)
{
	return DISPATCH(event_cursor_drop, name, e);
}

sztp_rc reg_webhook_add(struct reg *r, const struct reg_webhook *w, struct sztp_err *e)
{
	return DISPATCH(webhook_add, w, e);
}

sztp_rc reg_webhook_update(struct reg *r, const struct reg_webhook *w, struct sztp_err *e)
{
	return DISPATCH(webhook_update, w, e);
}

sztp_rc reg_webhook_remove(struct reg *r, const char *name, struct sztp_err *e)
{
	return DISPATCH(webhook_remove, name, e);
}

sztp_rc reg_webhook_get(struct reg *r, const char *name, struct reg_webhook *out,
			struct sztp_err *e)
{
	return DISPATCH(webhook_get, name, out, e);
}

sztp_rc reg_webhook_list(struct reg *r, reg_webhook_cb cb, void *arg, struct sztp_err *e)
{
	return DISPATCH(webhook_list, cb, arg, e);
}

sztp_rc reg_webhook_result(struct reg *r, const char *name, const struct reg_webhook_result *res,
			   struct sztp_err *e)
{
	return DISPATCH(webhook_result, name, res, e);
}

sztp_rc reg_dead_letter_query(struct reg *r, const char *webhook, int replay_only, int64_t after_id,
			      int limit, reg_dead_letter_cb cb, void *arg, struct sztp_err *e)
{
	return DISPATCH(dead_letter_query, webhook, replay_only, after_id, limit, cb, arg, e);
}

sztp_rc reg_dead_letter_replay(struct reg *r, const char *webhook, int64_t event_id, int64_t *n,
			       struct sztp_err *e)
{
	return DISPATCH(dead_letter_replay, webhook, event_id, n, e);
}

sztp_rc reg_dead_letter_remove(struct reg *r, const char *webhook, int64_t event_id, int64_t *n,
			       struct sztp_err *e)
{
	return DISPATCH(dead_letter_remove, webhook, event_id, n, e);
}

/* ---- shared: names, checks, clearing ------------------------------------ */

const char *reg_lenient_name(unsigned bit)
{
	for (size_t i = 0; i < LENIENT_N; i++)
		if (bit == 1u << i)
			return lenient_names[i];
	return NULL;
}

sztp_rc reg_lenient_parse(const char *list, unsigned *bits, struct sztp_err *e)
{
	const char *p = list, *end;
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	size_t n, i;

	*bits = 0;
	while (*p) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < LENIENT_N; i++)
			if (strlen(lenient_names[i]) == n && !memcmp(p, lenient_names[i], n))
				break;
		if (i == LENIENT_N) {
			sztp_err_set(e, rc,
				     "leniency '%.*s' is unknown (known: empty-nonce, "
				     "omit-os-fields, empty-report-members)",
				     (int)(n > 64 ? 64 : n), p);
			goto fail;
		}
		if (*bits & (1u << i)) {
			sztp_err_set(e, rc, "leniency '%s' is given twice", lenient_names[i]);
			goto fail;
		}
		*bits |= 1u << i;
		if (!end)
			break;
		p = end + 1;
		if (!*p) {
			sztp_err_set(e, rc, "leniency list '%s' ends with a comma", list);
			goto fail;
		}
	}
	return SZTP_OK;
fail:
	*bits = 0;
	return rc;
}

void reg_lenient_format(unsigned bits, char *buf, size_t size)
{
	size_t len = 0, i;

	if (!size)
		return;
	buf[0] = '\0';
	for (i = 0; i < LENIENT_N; i++) {
		int n;

		if (!(bits & (1u << i)))
			continue;
		n = snprintf(buf + len, size - len, "%s%s", len ? "," : "", lenient_names[i]);
		if (n < 0 || (size_t)n >= size - len) {
			buf[len] = '\0'; /* whole names only */
			return;
		}
		len += (size_t)n;
	}
}

/* Checks a name that must be non-empty (unless allow_empty) and fit in cap
 * bytes with its NUL. */
sztp_rc reg_valid_str(const char *what, const char *v, size_t cap, int allow_empty,
		      struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	size_t n;

	if (!v) {
		sztp_err_set(e, rc, "%s is missing", what);
		goto out;
	}
	n = strnlen(v, cap);
	if (n == 0 && !allow_empty)
		sztp_err_set(e, rc, "%s is empty", what);
	else if (n >= cap)
		sztp_err_set(e, rc, "%s '%.40s...' is too long (at most %zu characters)", what, v,
			     cap - 1);
	else
		rc = SZTP_OK;
out:
	return rc;
}

sztp_rc reg_valid_serial(const char *serial, struct sztp_err *e)
{
	return reg_valid_str("device serial number", serial, PKI_SERIAL_MAX, 0, e);
}

void reg_profile_clear(struct reg_profile *p)
{
	if (!p)
		return;
	free(p->conveyed_json);
	memset(p, 0, sizeof(*p));
}

void reg_owner_clear(struct reg_owner *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; o->chain && i < o->n_chain; i++)
		sztp_bytes_free(&o->chain[i]);
	free(o->chain);
	free(o->key_path);
	memset(o, 0, sizeof(*o));
}

void reg_device_clear(struct reg_device *d)
{
	if (!d)
		return;
	free(d->password_hash);
	sztp_bytes_free(&d->voucher);
	memset(d, 0, sizeof(*d));
}

void reg_progress_clear(struct reg_progress *p)
{
	if (!p)
		return;
	free(p->message);
	free(p->ssh_host_keys);
	free(p->trust_anchors);
	memset(p, 0, sizeof(*p));
}

void reg_bootstrap_clear(struct reg_bootstrap *b)
{
	if (!b)
		return;
	reg_device_clear(&b->dev);
	reg_profile_clear(&b->prof);
	memset(b, 0, sizeof(*b));
}

sztp_rc reg_valid_device(const struct reg_device *d, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(d->serial, e);

	if (rc == SZTP_OK)
		rc = reg_valid_str("profile name", d->profile, sizeof(d->profile), 1, e);
	if (rc == SZTP_OK)
		rc = reg_valid_str("device state", d->state, sizeof(d->state), 1, e);
	return rc;
}

sztp_rc reg_valid_profile(const struct reg_profile *p, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("profile name", p->name, sizeof(p->name), 0, e);

	if (rc == SZTP_OK)
		rc = reg_valid_str("profile owner", p->owner, sizeof(p->owner), 0, e);
	if (rc == SZTP_OK && (unsigned)p->kind > REG_KIND_REDIRECT)
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "profile '%s': kind %d is unknown",
				  p->name, (int)p->kind);
	if (rc == SZTP_OK && (unsigned)p->sign > REG_SIGN_NEVER)
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "profile '%s': sign %d is unknown",
				  p->name, (int)p->sign);
	if (rc == SZTP_OK && (unsigned)p->reporting > REG_REPORT_VERBOSE)
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "profile '%s': reporting %d is unknown",
				  p->name, (int)p->reporting);
	if (rc == SZTP_OK && (p->lenient & ~REG_LENIENT_ALL))
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
				  "profile '%s': lenient bits %#x are unknown", p->name,
				  p->lenient & ~REG_LENIENT_ALL);
	return rc;
}

sztp_rc reg_valid_progress(const struct reg_progress *p, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_serial(p->serial, e);

	if (rc == SZTP_OK) /* the type becomes the device state */
		rc = reg_valid_str("progress type", p->type, REG_STATE_MAX, 0, e);
	if (rc == SZTP_OK)
		rc = reg_valid_str("peer address", p->peer, sizeof(p->peer), 1, e);
	return rc;
}

sztp_rc reg_valid_log(const struct reg_log *l, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("device serial number", l->serial, sizeof(l->serial), 1, e);

	if (rc == SZTP_OK)
		rc = reg_valid_str("peer address", l->peer, sizeof(l->peer), 1, e);
	if (rc == SZTP_OK)
		rc = reg_valid_str("endpoint", l->endpoint, sizeof(l->endpoint), 1, e);
	if (rc == SZTP_OK)
		rc = reg_valid_str("result", l->result, sizeof(l->result), 1, e);
	return rc;
}

sztp_rc reg_valid_device_query(const struct reg_query *q, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;

	if (q->serial)
		rc = reg_valid_serial(q->serial, e);
	if (rc == SZTP_OK && q->serial_prefix)
		rc = reg_valid_str("serial prefix", q->serial_prefix, PKI_SERIAL_MAX, 1, e);
	if (rc == SZTP_OK && q->after_key)
		rc = reg_valid_str("cursor serial", q->after_key, PKI_SERIAL_MAX, 1, e);
	return rc;
}

sztp_rc reg_valid_id_query(const struct reg_query *q, struct sztp_err *e)
{
	/* "" is a serial too: the log's unauthenticated requests */
	return q->serial ? reg_valid_str("device serial number", q->serial, PKI_SERIAL_MAX, 1, e)
			 : SZTP_OK;
}

void reg_device_auth_clear(struct reg_device_auth *a)
{
	if (!a)
		return;
	free(a->password_hash);
	memset(a, 0, sizeof(*a));
}

void reg_audit_clear(struct reg_audit *a)
{
	if (!a)
		return;
	free(a->detail);
	memset(a, 0, sizeof(*a));
}

void reg_event_clear(struct reg_event *ev)
{
	if (!ev)
		return;
	free(ev->data);
	memset(ev, 0, sizeof(*ev));
}

sztp_rc reg_valid_event(const struct reg_event *ev, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("event type", ev->type, sizeof(ev->type), 0, e);

	if (rc == SZTP_OK)
		rc = reg_valid_str("event serial", ev->serial, sizeof(ev->serial), 1, e);
	if (rc == SZTP_OK)
		rc = reg_valid_str("event peer", ev->peer, sizeof(ev->peer), 1, e);
	return rc;
}

sztp_rc reg_valid_cursor_name(const char *name, struct sztp_err *e)
{
	return reg_valid_str("event consumer name", name, REG_NAME_MAX, 0, e);
}

void reg_webhook_clear(struct reg_webhook *w)
{
	if (!w)
		return;
	free(w->url);
	free(w->types);
	if (w->secret) {
		explicit_bzero(w->secret, strlen(w->secret));
		free(w->secret);
	}
	free(w->ca_pem);
	free(w->last_error);
	memset(w, 0, sizeof(*w));
}

sztp_rc reg_valid_webhook(const struct reg_webhook *w, int need_secret, struct sztp_err *e)
{
	sztp_rc rc = reg_valid_str("webhook name", w->name, sizeof(w->name), 0, e);

	if (rc != SZTP_OK)
		return rc;
	if (!w->url || strncmp(w->url, "https://", 8) != 0)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "webhook '%s': the url must be https://", w->name);
	if ((need_secret || w->secret) && (!w->secret || !*w->secret))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "webhook '%s': the secret is empty",
				    w->name);
	return SZTP_OK;
}

void reg_dead_letter_clear(struct reg_dead_letter *d)
{
	if (!d)
		return;
	reg_event_clear(&d->ev);
	free(d->last_error);
	memset(d, 0, sizeof(*d));
}
