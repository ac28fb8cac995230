/*
 * registry_backend.h - what the two registry backends share, for db/ only:
 * the handle every caller holds (struct reg: one backend's connection),
 * each backend's implementation of the registry.h calls, and the checks of
 * arguments both apply before they touch their database (db/registry.c).
 *
 * db/registry.c is the dispatch: `reg_X(r, ...)` calls `rsq_X` (SQLite,
 * db/registry_sqlite*.c) or `rpg_X` (PostgreSQL, db/registry_pg*.c), which
 * keep registry.h's contract word for word (same codes, same zeroed
 * outputs).  Which one a handle uses is decided once, by reg_open's
 * argument (reg_is_postgresql).
 */
#ifndef SZTP_REGISTRY_BACKEND_H
#define SZTP_REGISTRY_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "registry.h"

/* sizeof(struct reg_device).state */
#define REG_STATE_MAX 32

struct reg_sqlite;
struct reg_pg;

/* Exactly one of the two is set. */
struct reg {
	struct reg_sqlite *sq;
	struct reg_pg *pg;
};

/* How a backend opens: reg_open, reg_open_existing, reg_create. */
enum reg_open_how { REG_OPEN_CREATE, REG_OPEN_EXISTING, REG_OPEN_NEW };

/* The schema: db/migrations/NNN_name.sql (SQLite) and
 * db/migrations/pg/NNN_name.sql (PostgreSQL), embedded by
 * scripts/embed-migrations.sh; one numbered list, the same (version, name)
 * pairs in both (the build checks). */
struct reg_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct reg_migration reg_migrations[];
extern const size_t reg_migrations_count;
extern const struct reg_migration reg_migrations_pg[];
extern const size_t reg_migrations_pg_count;

/* Text forms of the enums, as stored (index = enum value). */
extern const char *const reg_kind_names[2];
extern const char *const reg_sign_names[3];
extern const char *const reg_report_names[2];

/* ---- argument checks (db/registry.c), SZTP_E_INVALID_VALUE naming the field */
/* A string that must be non-empty (unless allow_empty) and fit in cap
 * bytes with its NUL. */
sztp_rc reg_valid_str(const char *what, const char *v, size_t cap, int allow_empty,
		      struct sztp_err *e);
sztp_rc reg_valid_serial(const char *serial, struct sztp_err *e);
sztp_rc reg_valid_device(const struct reg_device *d, struct sztp_err *e);
sztp_rc reg_valid_profile(const struct reg_profile *p, struct sztp_err *e);
sztp_rc reg_valid_progress(const struct reg_progress *p, struct sztp_err *e);
sztp_rc reg_valid_log(const struct reg_log *l, struct sztp_err *e);
sztp_rc reg_valid_device_query(const struct reg_query *q, struct sztp_err *e);
sztp_rc reg_valid_id_query(const struct reg_query *q, struct sztp_err *e);
sztp_rc reg_valid_event(const struct reg_event *ev, struct sztp_err *e);
sztp_rc reg_valid_cursor_name(const char *name, struct sztp_err *e);
sztp_rc reg_valid_webhook(const struct reg_webhook *w, int need_secret, struct sztp_err *e);

/* ---- SQLite: db/registry_sqlite*.c ----------------------------------- */
sztp_rc rsq_open(const char *path, enum reg_open_how how, struct reg_sqlite **out,
		 struct sztp_err *e);
sztp_rc rsq_check_file(struct reg_sqlite *r, struct sztp_err *e);
sztp_rc rsq_write_probe(struct reg_sqlite *r, struct sztp_err *e);
void rsq_close(struct reg_sqlite *r);
int rsq_schema_version(struct reg_sqlite *r);
sztp_rc rsq_begin(struct reg_sqlite *r, struct sztp_err *e);
sztp_rc rsq_begin_nosync(struct reg_sqlite *r, struct sztp_err *e);
sztp_rc rsq_commit(struct reg_sqlite *r, struct sztp_err *e);
void rsq_rollback(struct reg_sqlite *r);
sztp_rc rsq_device_get(struct reg_sqlite *r, const char *serial, struct reg_device *out,
		       struct sztp_err *e);
sztp_rc rsq_bootstrap_get(struct reg_sqlite *r, const char *serial, struct reg_bootstrap *out,
			  struct sztp_err *e);
sztp_rc rsq_device_add(struct reg_sqlite *r, const struct reg_device *d, struct sztp_err *e);
sztp_rc rsq_device_update(struct reg_sqlite *r, const struct reg_device *d, struct sztp_err *e);
sztp_rc rsq_device_remove(struct reg_sqlite *r, const char *serial, struct sztp_err *e);
sztp_rc rsq_device_seen(struct reg_sqlite *r, const char *serial, const char *state, int64_t now,
			struct sztp_err *e);
sztp_rc rsq_device_list(struct reg_sqlite *r, reg_device_cb cb, void *arg, struct sztp_err *e);
sztp_rc rsq_device_count(struct reg_sqlite *r, int64_t *n, struct sztp_err *e);
sztp_rc rsq_profile_get(struct reg_sqlite *r, const char *name, struct reg_profile *out,
			struct sztp_err *e);
sztp_rc rsq_profile_put(struct reg_sqlite *r, const struct reg_profile *p, struct sztp_err *e);
sztp_rc rsq_profile_remove(struct reg_sqlite *r, const char *name, struct sztp_err *e);
sztp_rc rsq_profile_list(struct reg_sqlite *r, reg_profile_cb cb, void *arg, struct sztp_err *e);
sztp_rc rsq_owner_get(struct reg_sqlite *r, const char *name, struct reg_owner *out,
		      struct sztp_err *e);
sztp_rc rsq_owner_put(struct reg_sqlite *r, const struct reg_owner *o, struct sztp_err *e);
sztp_rc rsq_progress_add(struct reg_sqlite *r, const struct reg_progress *p, struct sztp_err *e);
sztp_rc rsq_progress_list(struct reg_sqlite *r, const char *serial, int limit, reg_progress_cb cb,
			  void *arg, struct sztp_err *e);
sztp_rc rsq_log_add(struct reg_sqlite *r, const struct reg_log *l, struct sztp_err *e);
sztp_rc rsq_log_list(struct reg_sqlite *r, const char *serial, int limit, reg_log_cb cb, void *arg,
		     struct sztp_err *e);
sztp_rc rsq_prune(struct reg_sqlite *r, int64_t before, int64_t *log_deleted,
		  int64_t *progress_deleted, struct sztp_err *e);
sztp_rc rsq_log_trim(struct reg_sqlite *r, int64_t before, int64_t keep, int limit,
		     int64_t *deleted, struct sztp_err *e);
sztp_rc rsq_device_auth_get(struct reg_sqlite *r, const char *serial, struct reg_device_auth *out,
			    struct sztp_err *e);
sztp_rc rsq_device_pin_record(struct reg_sqlite *r, const char *serial,
			      const uint8_t pin[REG_PIN_LEN], int *recorded, struct sztp_err *e);
sztp_rc rsq_device_pin_set(struct reg_sqlite *r, const char *serial, const uint8_t *pin,
			   struct sztp_err *e);
sztp_rc rsq_device_pin_get(struct reg_sqlite *r, const char *serial, int *has,
			   uint8_t pin[REG_PIN_LEN], struct sztp_err *e);
sztp_rc rsq_profile_pin_set(struct reg_sqlite *r, const char *name, int on, struct sztp_err *e);
sztp_rc rsq_profile_pin_get(struct reg_sqlite *r, const char *name, int *on, struct sztp_err *e);
sztp_rc rsq_owner_names(struct reg_sqlite *r, reg_name_cb cb, void *arg, struct sztp_err *e);
/* db/registry_sqlite_lease.c */
sztp_rc rsq_lease(struct reg_sqlite *r, const char *name, const char *holder, int64_t ttl_ms,
		  int *held, struct sztp_err *e);
sztp_rc rsq_lease_release(struct reg_sqlite *r, const char *name, const char *holder,
			  struct sztp_err *e);
sztp_rc rsq_device_query(struct reg_sqlite *r, const struct reg_query *q, reg_device_cb cb,
			 void *arg, struct sztp_err *e);
sztp_rc rsq_progress_query(struct reg_sqlite *r, const struct reg_query *q, reg_progress_cb cb,
			   void *arg, struct sztp_err *e);
sztp_rc rsq_log_query(struct reg_sqlite *r, const struct reg_query *q, reg_log_cb cb, void *arg,
		      struct sztp_err *e);
sztp_rc rsq_profile_device_count(struct reg_sqlite *r, const char *profile, int64_t *n,
				 struct sztp_err *e);
sztp_rc rsq_token_add(struct reg_sqlite *r, const struct reg_token *t, struct sztp_err *e);
sztp_rc rsq_token_get_by_hash(struct reg_sqlite *r, const uint8_t hash[REG_TOKEN_HASH_LEN],
			      struct reg_token *out, struct sztp_err *e);
sztp_rc rsq_token_get(struct reg_sqlite *r, const char *name, struct reg_token *out,
		      struct sztp_err *e);
sztp_rc rsq_token_revoke(struct reg_sqlite *r, const char *name, int64_t now, struct sztp_err *e);
sztp_rc rsq_token_list(struct reg_sqlite *r, const char *after_key, int limit, reg_token_cb cb,
		       void *arg, struct sztp_err *e);
sztp_rc rsq_audit_add(struct reg_sqlite *r, const struct reg_audit *a, struct sztp_err *e);
sztp_rc rsq_audit_query(struct reg_sqlite *r, const struct reg_query *q, reg_audit_cb cb, void *arg,
			struct sztp_err *e);
sztp_rc rsq_device_revision(struct reg_sqlite *r, const char *serial, int64_t *rev,
			    struct sztp_err *e);
sztp_rc rsq_profile_query(struct reg_sqlite *r, const char *after_key, int limit, reg_profile_cb cb,
			  void *arg, struct sztp_err *e);
sztp_rc rsq_event_add(struct reg_sqlite *r, const struct reg_event *ev, int64_t *id,
		      struct sztp_err *e);
sztp_rc rsq_event_query(struct reg_sqlite *r, const struct reg_query *q, reg_event_cb cb, void *arg,
			struct sztp_err *e);
sztp_rc rsq_event_last_id(struct reg_sqlite *r, int64_t *id, struct sztp_err *e);
sztp_rc rsq_event_backlog(struct reg_sqlite *r, int64_t after_id, int64_t *count,
			  int64_t *oldest_time, struct sztp_err *e);
sztp_rc rsq_event_trim(struct reg_sqlite *r, int64_t before, int limit, int64_t *deleted,
		       struct sztp_err *e);
sztp_rc rsq_event_cursor_get(struct reg_sqlite *r, const char *name, int64_t *cursor,
			     struct sztp_err *e);
sztp_rc rsq_event_cursor_set(struct reg_sqlite *r, const char *name, int64_t cursor,
			     struct sztp_err *e);
sztp_rc rsq_event_cursor_drop(struct reg_sqlite *r, const char *name, struct sztp_err *e);
sztp_rc rsq_webhook_add(struct reg_sqlite *r, const struct reg_webhook *w, struct sztp_err *e);
sztp_rc rsq_webhook_update(struct reg_sqlite *r, const struct reg_webhook *w, struct sztp_err *e);
sztp_rc rsq_webhook_remove(struct reg_sqlite *r, const char *name, struct sztp_err *e);
sztp_rc rsq_webhook_get(struct reg_sqlite *r, const char *name, struct reg_webhook *out,
			struct sztp_err *e);
sztp_rc rsq_webhook_list(struct reg_sqlite *r, reg_webhook_cb cb, void *arg, struct sztp_err *e);
sztp_rc rsq_webhook_result(struct reg_sqlite *r, const char *name,
			   const struct reg_webhook_result *res, struct sztp_err *e);
sztp_rc rsq_dead_letter_query(struct reg_sqlite *r, const char *webhook, int replay_only,
			      int64_t after_id, int limit, reg_dead_letter_cb cb, void *arg,
			      struct sztp_err *e);
sztp_rc rsq_dead_letter_replay(struct reg_sqlite *r, const char *webhook, int64_t event_id,
			       int64_t *n, struct sztp_err *e);
sztp_rc rsq_dead_letter_remove(struct reg_sqlite *r, const char *webhook, int64_t event_id,
			       int64_t *n, struct sztp_err *e);

/* ---- PostgreSQL: db/registry_pg*.c ------------------------------------ */
/* conninfo: a libpq connection URI (reg_is_postgresql). */
sztp_rc rpg_open(const char *conninfo, enum reg_open_how how, struct reg_pg **out,
		 struct sztp_err *e);
sztp_rc rpg_check_file(struct reg_pg *r, struct sztp_err *e);
sztp_rc rpg_write_probe(struct reg_pg *r, struct sztp_err *e);
void rpg_close(struct reg_pg *r);
int rpg_schema_version(struct reg_pg *r);
sztp_rc rpg_begin(struct reg_pg *r, struct sztp_err *e);
sztp_rc rpg_begin_nosync(struct reg_pg *r, struct sztp_err *e);
sztp_rc rpg_commit(struct reg_pg *r, struct sztp_err *e);
void rpg_rollback(struct reg_pg *r);
sztp_rc rpg_device_get(struct reg_pg *r, const char *serial, struct reg_device *out,
		       struct sztp_err *e);
sztp_rc rpg_bootstrap_get(struct reg_pg *r, const char *serial, struct reg_bootstrap *out,
			  struct sztp_err *e);
sztp_rc rpg_device_add(struct reg_pg *r, const struct reg_device *d, struct sztp_err *e);
sztp_rc rpg_device_update(struct reg_pg *r, const struct reg_device *d, struct sztp_err *e);
sztp_rc rpg_device_remove(struct reg_pg *r, const char *serial, struct sztp_err *e);
sztp_rc rpg_device_seen(struct reg_pg *r, const char *serial, const char *state, int64_t now,
			struct sztp_err *e);
sztp_rc rpg_device_list(struct reg_pg *r, reg_device_cb cb, void *arg, struct sztp_err *e);
sztp_rc rpg_device_count(struct reg_pg *r, int64_t *n, struct sztp_err *e);
sztp_rc rpg_profile_get(struct reg_pg *r, const char *name, struct reg_profile *out,
			struct sztp_err *e);
sztp_rc rpg_profile_put(struct reg_pg *r, const struct reg_profile *p, struct sztp_err *e);
sztp_rc rpg_profile_remove(struct reg_pg *r, const char *name, struct sztp_err *e);
sztp_rc rpg_profile_list(struct reg_pg *r, reg_profile_cb cb, void *arg, struct sztp_err *e);
sztp_rc rpg_owner_get(struct reg_pg *r, const char *name, struct reg_owner *out,
		      struct sztp_err *e);
sztp_rc rpg_owner_put(struct reg_pg *r, const struct reg_owner *o, struct sztp_err *e);
sztp_rc rpg_progress_add(struct reg_pg *r, const struct reg_progress *p, struct sztp_err *e);
sztp_rc rpg_progress_list(struct reg_pg *r, const char *serial, int limit, reg_progress_cb cb,
			  void *arg, struct sztp_err *e);
sztp_rc rpg_log_add(struct reg_pg *r, const struct reg_log *l, struct sztp_err *e);
sztp_rc rpg_log_list(struct reg_pg *r, const char *serial, int limit, reg_log_cb cb, void *arg,
		     struct sztp_err *e);
sztp_rc rpg_prune(struct reg_pg *r, int64_t before, int64_t *log_deleted, int64_t *progress_deleted,
		  struct sztp_err *e);
sztp_rc rpg_log_trim(struct reg_pg *r, int64_t before, int64_t keep, int limit, int64_t *deleted,
		     struct sztp_err *e);
sztp_rc rpg_device_auth_get(struct reg_pg *r, const char *serial, struct reg_device_auth *out,
			    struct sztp_err *e);
sztp_rc rpg_device_pin_record(struct reg_pg *r, const char *serial, const uint8_t pin[REG_PIN_LEN],
			      int *recorded, struct sztp_err *e);
sztp_rc rpg_device_pin_set(struct reg_pg *r, const char *serial, const uint8_t *pin,
			   struct sztp_err *e);
sztp_rc rpg_device_pin_get(struct reg_pg *r, const char *serial, int *has, uint8_t pin[REG_PIN_LEN],
			   struct sztp_err *e);
sztp_rc rpg_profile_pin_set(struct reg_pg *r, const char *name, int on, struct sztp_err *e);
sztp_rc rpg_profile_pin_get(struct reg_pg *r, const char *name, int *on, struct sztp_err *e);
sztp_rc rpg_owner_names(struct reg_pg *r, reg_name_cb cb, void *arg, struct sztp_err *e);
/* db/registry_pg_lease.c */
sztp_rc rpg_lease(struct reg_pg *r, const char *name, const char *holder, int64_t ttl_ms, int *held,
		  struct sztp_err *e);
sztp_rc rpg_lease_release(struct reg_pg *r, const char *name, const char *holder,
			  struct sztp_err *e);
sztp_rc rpg_device_query(struct reg_pg *r, const struct reg_query *q, reg_device_cb cb, void *arg,
			 struct sztp_err *e);
sztp_rc rpg_progress_query(struct reg_pg *r, const struct reg_query *q, reg_progress_cb cb,
			   void *arg, struct sztp_err *e);
sztp_rc rpg_log_query(struct reg_pg *r, const struct reg_query *q, reg_log_cb cb, void *arg,
		      struct sztp_err *e);
sztp_rc rpg_profile_device_count(struct reg_pg *r, const char *profile, int64_t *n,
				 struct sztp_err *e);
sztp_rc rpg_token_add(struct reg_pg *r, const struct reg_token *t, struct sztp_err *e);
sztp_rc rpg_token_get_by_hash(struct reg_pg *r, const uint8_t hash[REG_TOKEN_HASH_LEN],
			      struct reg_token *out, struct sztp_err *e);
sztp_rc rpg_token_get(struct reg_pg *r, const char *name, struct reg_token *out,
		      struct sztp_err *e);
sztp_rc rpg_token_revoke(struct reg_pg *r, const char *name, int64_t now, struct sztp_err *e);
sztp_rc rpg_token_list(struct reg_pg *r, const char *after_key, int limit, reg_token_cb cb,
		       void *arg, struct sztp_err *e);
sztp_rc rpg_audit_add(struct reg_pg *r, const struct reg_audit *a, struct sztp_err *e);
sztp_rc rpg_audit_query(struct reg_pg *r, const struct reg_query *q, reg_audit_cb cb, void *arg,
			struct sztp_err *e);
sztp_rc rpg_device_revision(struct reg_pg *r, const char *serial, int64_t *rev, struct sztp_err *e);
sztp_rc rpg_profile_query(struct reg_pg *r, const char *after_key, int limit, reg_profile_cb cb,
			  void *arg, struct sztp_err *e);
sztp_rc rpg_event_add(struct reg_pg *r, const struct reg_event *ev, int64_t *id,
		      struct sztp_err *e);
sztp_rc rpg_event_query(struct reg_pg *r, const struct reg_query *q, reg_event_cb cb, void *arg,
			struct sztp_err *e);
sztp_rc rpg_event_last_id(struct reg_pg *r, int64_t *id, struct sztp_err *e);
sztp_rc rpg_event_backlog(struct reg_pg *r, int64_t after_id, int64_t *count, int64_t *oldest_time,
			  struct sztp_err *e);
sztp_rc rpg_event_trim(struct reg_pg *r, int64_t before, int limit, int64_t *deleted,
		       struct sztp_err *e);
sztp_rc rpg_event_cursor_get(struct reg_pg *r, const char *name, int64_t *cursor,
			     struct sztp_err *e);
sztp_rc rpg_event_cursor_set(struct reg_pg *r, const char *name, int64_t cursor,
			     struct sztp_err *e);
sztp_rc rpg_event_cursor_drop(struct reg_pg *r, const char *name, struct sztp_err *e);
sztp_rc rpg_webhook_add(struct reg_pg *r, const struct reg_webhook *w, struct sztp_err *e);
sztp_rc rpg_webhook_update(struct reg_pg *r, const struct reg_webhook *w, struct sztp_err *e);
sztp_rc rpg_webhook_remove(struct reg_pg *r, const char *name, struct sztp_err *e);
sztp_rc rpg_webhook_get(struct reg_pg *r, const char *name, struct reg_webhook *out,
			struct sztp_err *e);
sztp_rc rpg_webhook_list(struct reg_pg *r, reg_webhook_cb cb, void *arg, struct sztp_err *e);
sztp_rc rpg_webhook_result(struct reg_pg *r, const char *name, const struct reg_webhook_result *res,
			   struct sztp_err *e);
sztp_rc rpg_dead_letter_query(struct reg_pg *r, const char *webhook, int replay_only,
			      int64_t after_id, int limit, reg_dead_letter_cb cb, void *arg,
			      struct sztp_err *e);
sztp_rc rpg_dead_letter_replay(struct reg_pg *r, const char *webhook, int64_t event_id, int64_t *n,
			       struct sztp_err *e);
sztp_rc rpg_dead_letter_remove(struct reg_pg *r, const char *webhook, int64_t event_id, int64_t *n,
			       struct sztp_err *e);

/* ---- copying (registry.h reg_copy_*; db/registry_copy.c dispatches) -- */
struct rsq_copy;
struct rpg_copy;
sztp_rc rsq_copy_snapshot(struct reg_sqlite *r, int begin, struct sztp_err *e);
sztp_rc rsq_copy_tables(struct reg_sqlite *r, reg_name_cb cb, void *arg, struct sztp_err *e);
sztp_rc rsq_copy_dump(struct reg_sqlite *r, const struct reg_copy_table *t, reg_row_cb cb,
		      void *arg, struct sztp_err *e);
sztp_rc rsq_copy_id_mark(struct reg_sqlite *r, const struct reg_copy_table *t, int64_t *n,
			 struct sztp_err *e);
sztp_rc rsq_copy_create(const char *path, struct rsq_copy **out, struct sztp_err *e);
sztp_rc rsq_copy_load(struct rsq_copy *c, const struct reg_copy_table *t,
		      const struct reg_value *row, struct sztp_err *e);
sztp_rc rsq_copy_set_id_mark(struct rsq_copy *c, const struct reg_copy_table *t, int64_t n,
			     struct sztp_err *e);
sztp_rc rsq_copy_commit(struct rsq_copy *c, struct sztp_err *e);
void rsq_copy_abort(struct rsq_copy *c);
sztp_rc rpg_copy_snapshot(struct reg_pg *r, int begin, struct sztp_err *e);
sztp_rc rpg_copy_tables(struct reg_pg *r, reg_name_cb cb, void *arg, struct sztp_err *e);
sztp_rc rpg_copy_dump(struct reg_pg *r, const struct reg_copy_table *t, reg_row_cb cb, void *arg,
		      struct sztp_err *e);
sztp_rc rpg_copy_id_mark(struct reg_pg *r, const struct reg_copy_table *t, int64_t *n,
			 struct sztp_err *e);
sztp_rc rpg_copy_create(const char *conninfo, struct rpg_copy **out, struct sztp_err *e);
sztp_rc rpg_copy_load(struct rpg_copy *c, const struct reg_copy_table *t,
		      const struct reg_value *row, struct sztp_err *e);
sztp_rc rpg_copy_set_id_mark(struct rpg_copy *c, const struct reg_copy_table *t, int64_t n,
			     struct sztp_err *e);
sztp_rc rpg_copy_commit(struct rpg_copy *c, struct sztp_err *e);
void rpg_copy_abort(struct rpg_copy *c);

#endif
