/*
 * registry.h - the device registry, the only interface to stored state.
 * Two backends behind it (db/registry.c dispatches, registry_backend.h):
 * SQLite, the embedded default (db/registry_sqlite*.c, the only includers
 * of sqlite3.h), and PostgreSQL for several sztpd instances on one
 * registry (db/registry_pg*.c, the only includers of libpq-fe.h).  Each has
 * its schema as one numbered list of migrations, db/migrations/NNN_*.sql
 * and db/migrations/pg/NNN_*.sql, applied in order at open.  The header is
 * kept narrow (plain structs, no SQL, no library type); sztpd, sztpctl and
 * the admin API do not know which backend they use, except where a file
 * is meant (reg_is_postgresql).
 *
 * All functions are safe to call from several threads on one handle.
 * Every admin change runs in one transaction: either inside an explicit
 * reg_begin()/reg_commit() pair, or its own.
 *
 * PostgreSQL: a lost connection (the server restarted, a failover under
 * way, a standby that is read-only) makes calls fail with
 * SZTP_E_UNAVAILABLE, never with a wrong answer; reg_check_file()
 * reconnects, so the handle serves again once a read-write server answers
 * (libpq's multi-host URIs with target_session_attrs=read-write).
 * Its text is UTF-8: a string argument that is not (a serial number, a
 * peer, a message from a device) is refused with SZTP_E_INVALID_VALUE,
 * where SQLite stores the bytes as given; inside reg_begin() the refused
 * call undoes only itself, as every failed call does on both backends.
 *
 * Getters: every function that fills an output (reg_*_get,
 * reg_device_auth_get, reg_bootstrap_get, reg_device_count, reg_prune's
 * counts, reg_open's handle) zeroes it first and leaves it zeroed on any
 * failure (not found, invalid argument, database error, a failed COMMIT of
 * its read), having freed whatever it had allocated; the caller frees it
 * (reg_*_clear) only after SZTP_OK, though clearing a zeroed output is
 * harmless.  A list callback's struct is valid during the call only.
 */
#ifndef SZTP_REGISTRY_H
#define SZTP_REGISTRY_H

#include <stdint.h>

#include "pki.h"
#include "result.h"

#define REG_NAME_MAX 64

struct reg;

enum reg_kind { REG_KIND_ONBOARDING = 0, REG_KIND_REDIRECT = 1 };
/* When get-bootstrapping-data is answered with signed data. */
enum reg_sign {
	REG_SIGN_IF_REQUESTED = 0, /* when the device sends signed-data-preferred */
	REG_SIGN_ALWAYS = 1,	   /* always (plus voucher and owner certificate) */
	REG_SIGN_NEVER = 2	   /* never (unsigned redirect only to untrusted devices) */
};
enum reg_reporting { REG_REPORT_MINIMAL = 0, REG_REPORT_VERBOSE = 1 };
/* What a profile tolerates of its devices' clients (issue 13; none by
 * default: strict RFC 8572).  One bit each; names as the admin API and
 * sztpctl give them. */
enum reg_lenient {
	REG_LENIENT_EMPTY_NONCE = 1u << 0,    /* "empty-nonce": "nonce":"" is taken as absent */
	REG_LENIENT_OMIT_OS_FIELDS = 1u << 1, /* "omit-os-fields": no boot-image os-name and
					       * os-version in the conveyed information */
	REG_LENIENT_EMPTY_REPORT_MEMBERS = 1u << 2, /* "empty-report-members": an empty
						     * ssh-host-keys / trust-anchor-certs
						     * the YANG forbids in a report-progress
						     * input is taken as absent */
};
#define REG_LENIENT_ALL 7u
/* "empty-nonce,omit-os-fields,empty-report-members" and its NUL fit */
#define REG_LENIENT_LIST_MAX 64

struct reg_profile {
	char name[REG_NAME_MAX];
	enum reg_kind kind;
	char *conveyed_json; /* conveyed-information JSON, as served */
	enum reg_sign sign;
	enum reg_reporting reporting;
	char owner[REG_NAME_MAX]; /* owner identity name, "default" */
	int64_t revision;	  /* changes on every update of this row */
	unsigned lenient;	  /* enum reg_lenient bits; 0 = strict */
};

struct reg_owner {
	char name[REG_NAME_MAX];
	sztp_bytes *chain; /* DER, signing certificate first */
	size_t n_chain;
	char *key_path; /* private key file, read by sztpd only */
	int64_t revision;
};

struct reg_device {
	char serial[PKI_SERIAL_MAX];
	char *password_hash;	    /* passwd.h format, NULL when none */
	char profile[REG_NAME_MAX]; /* "" when none */
	sztp_bytes voucher;	    /* voucher CMS as supplied, empty when none */
	int64_t voucher_created;    /* its created-on / expires-on (unix time), */
	int64_t voucher_expires;    /* set by whoever stores the voucher; 0 = unknown */
	char state[32];		    /* "enrolled", then the last progress-type */
	int64_t created;	    /* unix time */
	int64_t first_seen;	    /* 0 = never */
	int64_t last_seen;
	int64_t revision;
};

struct reg_progress {
	int64_t id; /* row id, ascending in insertion order (set by the getters) */
	char serial[PKI_SERIAL_MAX];
	int64_t time;
	char peer[64];
	char type[40];	     /* progress-type without prefix */
	char *message;	     /* may be NULL */
	char *ssh_host_keys; /* JSON array text or NULL */
	char *trust_anchors; /* JSON array text (base64 CMS) or NULL */
	unsigned lenient;    /* enum reg_lenient bits storing it needed: in its events' data
			      * ("lenient":[..]) only, not a column (getters leave 0) */
};

struct reg_log {
	int64_t id;		     /* row id, ascending (set by the getters) */
	char serial[PKI_SERIAL_MAX]; /* "" when unauthenticated */
	int64_t time;
	char peer[64];
	char endpoint[48];
	char result[48]; /* "ok", "signed", "unsigned", "auth-failed", ... */
	int status;	 /* HTTP status */
	int64_t duration_us;
};

/* Free what a getter allocated and zero the struct; NULL or an already
 * zeroed struct is a no-op. */
void reg_profile_clear(struct reg_profile *p);

/* The name of one reg_lenient bit; NULL when bit is not exactly one known bit. */
const char *reg_lenient_name(unsigned bit);
/* A comma-separated list of names ("" = none; no spaces, no repeats) as
 * bits.  SZTP_E_INVALID_VALUE naming the first unknown or repeated name;
 * *bits is 0 on failure. */
sztp_rc reg_lenient_parse(const char *list, unsigned *bits, struct sztp_err *e);
/* bits as a comma-separated list in bit order ("" for 0; unknown bits
 * left out) into buf of size (REG_LENIENT_LIST_MAX fits every list). */
void reg_lenient_format(unsigned bits, char *buf, size_t size);
void reg_owner_clear(struct reg_owner *o);
void reg_device_clear(struct reg_device *d);
void reg_progress_clear(struct reg_progress *p);

/* Whether database names a PostgreSQL registry: a libpq connection URI,
 * "postgresql://..." or "postgres://..." (everything else is a SQLite file
 * path).  The checks that concern a file (permissions, ownership, its
 * directory) apply only when this is 0. */
int reg_is_postgresql(const char *database);
/* database as it may be shown (messages, logs, sztpd -n): a URI's
 * password (user:PASSWORD@ and password=...) replaced by "***"; a path as
 * it is.  Cut to cap bytes, always terminated. */
void reg_redact(const char *database, char *out, size_t cap);

/* Open (creating if missing) and migrate to the latest schema.  SQLite:
 * WAL mode, foreign keys on, every commit synchronous (it survives a power
 * cut) unless begun with reg_begin_nosync.  PostgreSQL: path is the
 * connection URI; the database must exist, its tables are created by the
 * migrations (several processes migrating at once wait for each other);
 * commits wait for the server's synchronous_commit.  *out is NULL on
 * failure.  sztpd opens its registry so (a first start creates it). */
sztp_rc reg_open(const char *path, struct reg **out, struct sztp_err *e);
/* The same, for a registry that must exist already: SZTP_E_NOT_FOUND
 * naming path when there is no such file, SZTP_E_INVALID_VALUE when the
 * file is not an sztp registry (another database, an empty file: left
 * unchanged; PostgreSQL: a database without the registry's tables).
 * sztpctl opens so, so a mistyped path creates nothing. */
sztp_rc reg_open_existing(const char *path, struct reg **out, struct sztp_err *e);
/* Create a new registry at path and migrate it: SZTP_E_EXISTS when path
 * exists, or when a -wal/-shm/-journal file of an earlier registry is
 * still there (SQLite would replay it into the new file).  A registry it
 * could not finish is removed again.  PostgreSQL: SZTP_E_EXISTS when the
 * database holds a registry already.  (sztpctl init) */
sztp_rc reg_create(const char *path, struct reg **out, struct sztp_err *e);
/* SZTP_OK while path still names the file the handle has open;
 * SZTP_E_UNAVAILABLE (e names the path) once it was deleted, renamed
 * away or replaced by another file: every write from then on would go
 * into a file that is gone at the next start.  One stat(2) of the path;
 * safe to call often.  PostgreSQL: SZTP_OK while the connection is up
 * (and, after a failover, reconnected to a read-write server: this call
 * reconnects at most once a second); SZTP_E_UNAVAILABLE naming the
 * server's reason while none answers. */
sztp_rc reg_check_file(struct reg *r, struct sztp_err *e);
/* Whether a write can be committed now: one row (write_probe, migration
 * 007) given a new value, in a transaction that does not wait for the disk.  SZTP_E_DB with
 * SQLite's reason (disk full, read-only file system, the lock not granted within the busy timeout);
 * PostgreSQL: the commit waits (a hung synchronous standby shows), SZTP_E_UNAVAILABLE on a
 * read-only server or a lost connection.  /readyz's "database writable". */
sztp_rc reg_write_probe(struct reg *r, struct sztp_err *e);
void reg_close(struct reg *r);
/* The schema version the handle was migrated to (0 for NULL). */
int reg_schema_version(struct reg *r);

/* ---- transactions (admin) ------------------------------------------- */
/* reg_begin's transactions run one at a time across every process on the
 * registry (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock taken at
 * BEGIN), so what one reads (a revision for If-Match) no other changes
 * before its commit.  A wait longer than 5 s fails (SQLite's busy timeout,
 * PostgreSQL's lock_timeout). */
sztp_rc reg_begin(struct reg *r, struct sztp_err *e);
/* reg_begin for bookkeeping a power cut may lose (the bootstrapping log,
 * contact times): its commit does not wait for the disk (SQLite
 * synchronous = NORMAL; a crash of the process still loses nothing).
 * Every other commit waits.  Ended by reg_commit or reg_rollback. */
sztp_rc reg_begin_nosync(struct reg *r, struct sztp_err *e);
sztp_rc reg_commit(struct reg *r, struct sztp_err *e);
void reg_rollback(struct reg *r);

/* ---- devices --------------------------------------------------------- */
/* The whole row.  SZTP_E_NOT_FOUND when absent; on failure *out is left
 * zeroed. */
sztp_rc reg_device_get(struct reg *r, const char *serial, struct reg_device *out,
		       struct sztp_err *e);
/* What get-bootstrapping-data needs of one device, in one indexed read
 * (devices LEFT JOIN profiles LEFT JOIN owners on the profile's owner).
 * dev: serial, profile, voucher (bytes as supplied) and its window,
 * state, created/first/last seen, revision; password_hash stays NULL.
 * has_profile: the device names a profile (it exists: foreign key);
 * prof then holds name, kind, sign, reporting, owner, revision, lenient, and
 * conveyed_json stays NULL (not read: the caller's prepared artifacts
 * are keyed on the revision).  has_owner: that owner identity exists,
 * owner_revision its revision.
 * SZTP_E_NOT_FOUND when the serial is not enrolled.  On any failure
 * *out is left zeroed. */
struct reg_bootstrap {
	struct reg_device dev;
	int has_profile;
	struct reg_profile prof;
	int has_owner;
	int64_t owner_revision;
};
sztp_rc reg_bootstrap_get(struct reg *r, const char *serial, struct reg_bootstrap *out,
			  struct sztp_err *e);
void reg_bootstrap_clear(struct reg_bootstrap *b);
/* SZTP_E_EXISTS when the serial is enrolled; SZTP_E_NOT_FOUND when the
 * named profile does not exist. */
sztp_rc reg_device_add(struct reg *r, const struct reg_device *d, struct sztp_err *e);
/* Replace password hash, profile and voucher of an existing device. */
sztp_rc reg_device_update(struct reg *r, const struct reg_device *d, struct sztp_err *e);
sztp_rc reg_device_remove(struct reg *r, const char *serial, struct sztp_err *e);
/* Record a contact: sets first_seen (once) and last_seen, and state when
 * state is non-NULL. */
sztp_rc reg_device_seen(struct reg *r, const char *serial, const char *state, int64_t now,
			struct sztp_err *e);
/* Callback returns non-zero to stop.  Ordered by serial. */
typedef int (*reg_device_cb)(const struct reg_device *d, void *arg);
sztp_rc reg_device_list(struct reg *r, reg_device_cb cb, void *arg, struct sztp_err *e);
/* *n is 0 on failure. */
sztp_rc reg_device_count(struct reg *r, int64_t *n, struct sztp_err *e);

/* ---- profiles -------------------------------------------------------- */
/* SZTP_E_NOT_FOUND when absent; on failure *out is left zeroed. */
sztp_rc reg_profile_get(struct reg *r, const char *name, struct reg_profile *out,
			struct sztp_err *e);
/* Insert or replace (revision changes). */
sztp_rc reg_profile_put(struct reg *r, const struct reg_profile *p, struct sztp_err *e);
/* SZTP_E_EXISTS when devices still use it (PostgreSQL: also when another
 * instance enrolls one with it while the call runs). */
sztp_rc reg_profile_remove(struct reg *r, const char *name, struct sztp_err *e);
typedef int (*reg_profile_cb)(const struct reg_profile *p, void *arg);
sztp_rc reg_profile_list(struct reg *r, reg_profile_cb cb, void *arg, struct sztp_err *e);

/* ---- owner identity -------------------------------------------------- */
/* The row and its chain, read in one transaction.  SZTP_E_NOT_FOUND when
 * absent; on failure (its COMMIT included) *out is left zeroed. */
sztp_rc reg_owner_get(struct reg *r, const char *name, struct reg_owner *out, struct sztp_err *e);
sztp_rc reg_owner_put(struct reg *r, const struct reg_owner *o, struct sztp_err *e);

/* ---- progress reports and the bootstrapping log ----------------------- */
/* Store a report and set the device state to its type. */
sztp_rc reg_progress_add(struct reg *r, const struct reg_progress *p, struct sztp_err *e);
typedef int (*reg_progress_cb)(const struct reg_progress *p, void *arg);
/* serial NULL = all devices; newest last; limit <= 0 = no limit. */
sztp_rc reg_progress_list(struct reg *r, const char *serial, int limit, reg_progress_cb cb,
			  void *arg, struct sztp_err *e);
sztp_rc reg_log_add(struct reg *r, const struct reg_log *l, struct sztp_err *e);
typedef int (*reg_log_cb)(const struct reg_log *l, void *arg);
sztp_rc reg_log_list(struct reg *r, const char *serial, int limit, reg_log_cb cb, void *arg,
		     struct sztp_err *e);

/* Retention: delete bootstrapping-log rows and progress reports older
 * than `before` (unix time), in one transaction; counts are optional and
 * 0 on failure (nothing was deleted then). */
sztp_rc reg_prune(struct reg *r, int64_t before, int64_t *log_deleted, int64_t *progress_deleted,
		  struct sztp_err *e);
/* The bootstrapping log's automatic retention, in small steps: deletes
 * at most limit of its oldest rows that are older than before (unix time;
 * <= 0: no age bound) or not among the newest keep rows (<= 0: no count
 * bound), in one short transaction that does not wait for the disk (both
 * bounds use an index: the cost follows limit, not the table).
 * *deleted (optional; 0 on failure) is how many went: call again while it
 * equals limit.  Not inside reg_begin.  PostgreSQL: ids have gaps (rolled
 * back inserts, other instances' sequence caches), so keep may leave
 * somewhat fewer rows than keep. */
sztp_rc reg_log_trim(struct reg *r, int64_t before, int64_t keep, int limit, int64_t *deleted,
		     struct sztp_err *e);

/* ---- IDevID pinning and authentication (issue 9) ----------------------- */
#define REG_PIN_LEN 32 /* SHA-256 of the IDevID's SubjectPublicKeyInfo */

/* What authenticating a device needs, in one indexed read (devices LEFT
 * JOIN profiles): its password hash (NULL when none), whether its profile
 * pins IDevIDs, and the pin recorded for it (has_pin = 0: none).
 * SZTP_E_NOT_FOUND when the serial is not enrolled; on failure *out is
 * left zeroed. */
struct reg_device_auth {
	char *password_hash;
	int pin_required;
	int has_pin;
	uint8_t pin[REG_PIN_LEN];
};
sztp_rc reg_device_auth_get(struct reg *r, const char *serial, struct reg_device_auth *out,
			    struct sztp_err *e);
void reg_device_auth_clear(struct reg_device_auth *a);
/* Trust on first use: store pin when the device has none (*recorded = 1);
 * SZTP_OK with *recorded = 0 when that same pin is there already;
 * SZTP_E_MISMATCH when a different one is; SZTP_E_NOT_FOUND when the
 * serial is not enrolled.  One transaction, so two first contacts with
 * different keys cannot both win. */
sztp_rc reg_device_pin_record(struct reg *r, const char *serial, const uint8_t pin[REG_PIN_LEN],
			      int *recorded, struct sztp_err *e);
/* Set (pin non-NULL) or clear (NULL) a device's pin, whatever was there
 * (sztpctl).  SZTP_E_NOT_FOUND when the serial is not enrolled. */
sztp_rc reg_device_pin_set(struct reg *r, const char *serial, const uint8_t *pin,
			   struct sztp_err *e);
/* *has = 0 (and pin zeroed) when none or on failure. */
sztp_rc reg_device_pin_get(struct reg *r, const char *serial, int *has, uint8_t pin[REG_PIN_LEN],
			   struct sztp_err *e);
/* A profile's pin-idevid setting; SZTP_E_NOT_FOUND when it does not
 * exist.  reg_profile_put leaves the setting as it was. */
sztp_rc reg_profile_pin_set(struct reg *r, const char *name, int on, struct sztp_err *e);
sztp_rc reg_profile_pin_get(struct reg *r, const char *name, int *on, struct sztp_err *e);

/* The names of the owner identities, ordered (sztpd -n checks each key). */
typedef int (*reg_name_cb)(const char *name, void *arg);
sztp_rc reg_owner_names(struct reg *r, reg_name_cb cb, void *arg, struct sztp_err *e);

/* ---- leases: once across instances (issue 14) ---------------------------- */
/* A holder (unique per process: "hostname:pid:random") holds the lease
 * called name for ttl_ms from now by the database's clock; *held = 1 when
 * it holds it now (it did already, or the lease was free or expired), 0
 * while another holder's lease runs.  Renew by calling again before ttl_ms
 * passes.  SQLite: the same table (several processes on one file; the
 * clock is that machine's).  name and holder: non-empty, shorter than
 * REG_LEASE_MAX; ttl_ms 1 ms .. 1 day.  *held is 0 on failure. */
#define REG_LEASE_MAX 256
sztp_rc reg_lease(struct reg *r, const char *name, const char *holder, int64_t ttl_ms, int *held,
		  struct sztp_err *e);
/* Gives the lease up when holder holds it (else nothing happens): another
 * holder may take it at once. */
sztp_rc reg_lease_release(struct reg *r, const char *name, const char *holder, struct sztp_err *e);

/* ---- admin API queries (issue 10) ---------------------------------------- */
/* A filtered, paginated read.  Every member is optional (NULL / 0 / -1:
 * no condition).  Devices come ordered by serial (byte order), the
 * id-ordered tables by id ascending; the callback sees at most `limit`
 * rows (limit <= 0: no limit) and returns non-zero to stop.
 * PostgreSQL stores text as UTF-8: a filter or cursor that is not valid
 * UTF-8 is refused there (SZTP_E_INVALID_VALUE), where SQLite compares its
 * bytes and finds nothing. */
struct reg_query {
	const char *serial;	   /* exact serial */
	const char *serial_prefix; /* devices: serial starts with (byte-wise, not LIKE) */
	const char *profile;	   /* devices: profile name; "" = devices without one */
	const char *state;	   /* devices: state equals */
	const char *type;	   /* progress: type equals; log: result equals */
	const char *actor;	   /* audit: actor equals */
	const char *resource;	   /* audit: resource starts with */
	int has_voucher;	   /* devices: -1 any, 0 without, 1 with */
	int64_t since, before;	   /* time in [since, before); devices: last_seen; 0 = open */
	const char *after_key;	   /* devices: serial > after_key (cursor) */
	int64_t after_id;	   /* id-ordered: id > after_id (cursor), 0 = from the start */
	int limit;
};
#define REG_QUERY_INIT                                                                             \
	{                                                                                          \
		.has_voucher = -1                                                                  \
	}
sztp_rc reg_device_query(struct reg *r, const struct reg_query *q, reg_device_cb cb, void *arg,
			 struct sztp_err *e);
sztp_rc reg_progress_query(struct reg *r, const struct reg_query *q, reg_progress_cb cb, void *arg,
			   struct sztp_err *e);
sztp_rc reg_log_query(struct reg *r, const struct reg_query *q, reg_log_cb cb, void *arg,
		      struct sztp_err *e);
/* How many devices use each profile is asked per profile: *n = 0 on failure. */
sztp_rc reg_profile_device_count(struct reg *r, const char *profile, int64_t *n,
				 struct sztp_err *e);

/* ---- admin tokens (issue 10) ---------------------------------------------- */
#define REG_TOKEN_HASH_LEN 32 /* SHA-256 of the token text */
enum reg_token_scope { REG_TOKEN_READ = 1, REG_TOKEN_WRITE = 2 };
struct reg_token {
	char name[REG_NAME_MAX];
	uint8_t hash[REG_TOKEN_HASH_LEN];
	enum reg_token_scope scope;
	int64_t created;
	int64_t expires; /* 0 = never */
	int64_t revoked; /* 0 = not revoked; else when */
};
/* SZTP_E_EXISTS when the name is taken (a revoked token keeps its name). */
sztp_rc reg_token_add(struct reg *r, const struct reg_token *t, struct sztp_err *e);
/* The token whose hash this is (revoked or expired ones too: the caller
 * decides); SZTP_E_NOT_FOUND when none; *out zeroed on failure. */
sztp_rc reg_token_get_by_hash(struct reg *r, const uint8_t hash[REG_TOKEN_HASH_LEN],
			      struct reg_token *out, struct sztp_err *e);
sztp_rc reg_token_get(struct reg *r, const char *name, struct reg_token *out, struct sztp_err *e);
/* Sets revoked = now (SZTP_E_NOT_FOUND when no such name; revoking a
 * revoked token again keeps the first time and returns SZTP_OK). */
sztp_rc reg_token_revoke(struct reg *r, const char *name, int64_t now, struct sztp_err *e);
typedef int (*reg_token_cb)(const struct reg_token *t, void *arg);
/* Ordered by name; only names > after_key when after_key is non-NULL; at
 * most limit (<= 0: all). */
sztp_rc reg_token_list(struct reg *r, const char *after_key, int limit, reg_token_cb cb, void *arg,
		       struct sztp_err *e);

/* ---- audit (issue 10) ---------------------------------------------------- */
struct reg_audit {
	int64_t id; /* set by the getters */
	int64_t time;
	char actor[256];    /* "token:NAME", "cert:DN", "local:USER" */
	char action[48];    /* "device.create", ... */
	char resource[192]; /* "devices/SN1" */
	int64_t rev_before; /* 0 = none (created) */
	int64_t rev_after;  /* 0 = none (deleted) */
	char *detail;	    /* JSON text or NULL */
};
void reg_audit_clear(struct reg_audit *a);
/* Append a row; meant to run inside the caller's reg_begin/reg_commit so
 * the row commits with the change it describes. */
sztp_rc reg_audit_add(struct reg *r, const struct reg_audit *a, struct sztp_err *e);
typedef int (*reg_audit_cb)(const struct reg_audit *a, void *arg);
/* Filters: actor, resource (prefix), since/before, after_id, limit. */
sztp_rc reg_audit_query(struct reg *r, const struct reg_query *q, reg_audit_cb cb, void *arg,
			struct sztp_err *e);

/* The current revision of a row, for ETags: SZTP_E_NOT_FOUND when absent. */
sztp_rc reg_device_revision(struct reg *r, const char *serial, int64_t *rev, struct sztp_err *e);
/* Names of owners, profiles: listing with a cursor (after_key) and limit. */
sztp_rc reg_profile_query(struct reg *r, const char *after_key, int limit, reg_profile_cb cb,
			  void *arg, struct sztp_err *e);

/* ---- events: the outbox (issue 12, db/registry_sqlite_events.c) ---------- */
/* An event is written in the transaction of the row it describes:
 * reg_progress_add writes "progress.reported" (and "device.completed" for
 * bootstrap-complete, "device.failed" for a *-error or boot-image-mismatch
 * report) itself, inside its own savepoint; everything else is written by
 * its caller with reg_event_add inside the caller's transaction (the
 * journal's batch, the admin change's reg_begin/reg_commit).  Ids come
 * from AUTOINCREMENT: ascending in commit order of one writer, never
 * reused, so "id > the last one seen" is a cursor and receivers drop
 * repeats by id.  PostgreSQL: an identity column, never reused either, but
 * an id a rolled-back or failed insert took is skipped (SQLite takes it
 * again), so ids may have gaps; with several instances writing, the
 * transactions that write events commit one after the other in id order
 * (an advisory lock, registry_pg_internal.h), so the cursor rule holds
 * across instances too.  Consumers (webhooks, the syslog sender) each keep a
 * cursor: the last event id they are done with. */
#define REG_EVENT_TYPE_MAX 48
struct reg_event {
	int64_t id;		       /* set by reg_event_add (out) and the getters */
	int64_t time;		       /* unix time; 0 = now */
	char type[REG_EVENT_TYPE_MAX]; /* "progress.reported", ... (events/event.h) */
	char serial[PKI_SERIAL_MAX];   /* "" for an event of no device */
	char peer[64];		       /* device's or admin client's address; "" = none */
	char *data;		       /* JSON object text ("{}" when NULL on add) */
};
void reg_event_clear(struct reg_event *ev);
/* Append one event (ev->id and ev->data are read; *id optional: the new
 * id).  Meant to run inside the caller's transaction; alone it is its own. */
sztp_rc reg_event_add(struct reg *r, const struct reg_event *ev, int64_t *id, struct sztp_err *e);
typedef int (*reg_event_cb)(const struct reg_event *ev, void *arg);
/* Filters: serial, type (equal), since/before, after_id, limit; id order. */
sztp_rc reg_event_query(struct reg *r, const struct reg_query *q, reg_event_cb cb, void *arg,
			struct sztp_err *e);
/* The newest event id (0: none yet). */
sztp_rc reg_event_last_id(struct reg *r, int64_t *id, struct sztp_err *e);
/* How many events have id > after_id, and the time of the oldest of them
 * (0 when none): a consumer's backlog. */
sztp_rc reg_event_backlog(struct reg *r, int64_t after_id, int64_t *count, int64_t *oldest_time,
			  struct sztp_err *e);
/* Retention: delete at most limit events older than before (unix time)
 * that every consumer is done with (id <= every webhook's and every
 * named cursor's position) and no dead letter holds.  Its own short
 * transaction; *deleted optional. */
sztp_rc reg_event_trim(struct reg *r, int64_t before, int limit, int64_t *deleted,
		       struct sztp_err *e);
/* A named consumer's cursor ("syslog"): SZTP_E_NOT_FOUND when it has none
 * (start it at reg_event_last_id, or 0 for everything kept). */
sztp_rc reg_event_cursor_get(struct reg *r, const char *name, int64_t *cursor, struct sztp_err *e);
sztp_rc reg_event_cursor_set(struct reg *r, const char *name, int64_t cursor, struct sztp_err *e);
/* Forget a consumer no longer configured (its cursor would hold every
 * event back from retention).  Not found is SZTP_OK. */
sztp_rc reg_event_cursor_drop(struct reg *r, const char *name, struct sztp_err *e);

/* ---- webhook subscriptions ------------------------------------------------ */
struct reg_webhook {
	char name[REG_NAME_MAX];
	char *url;    /* https://... */
	char *types;  /* comma-separated event types; "" = every type */
	char *secret; /* HMAC-SHA256 key (text); never shown by the API */
	char *ca_pem; /* PEM bundle verifying the receiver; NULL = system store */
	int enabled;
	/* delivery state, written by the worker only (reg_webhook_result) */
	int64_t cursor;		 /* last event id done with (delivered, skipped, dead) */
	int attempts;		 /* consecutive failed attempts of the head batch */
	int64_t next_attempt_ms; /* unix ms; 0 = now */
	int last_status;	 /* HTTP status of the last attempt; 0 = none / transport error */
	char *last_error;	 /* NULL after a success */
	int64_t last_success;	 /* unix time; 0 = never */
	int64_t delivered;	 /* events delivered (replays included) */
	int64_t failed;		 /* failed attempts */
	int64_t dead;		 /* events sent to the dead-letter list */
	int64_t created;
	int64_t revision; /* changes when the configuration (not the state) changes */
};
void reg_webhook_clear(struct reg_webhook *w);
/* Add: SZTP_E_EXISTS when the name is taken.  The cursor starts at the
 * newest event (a new subscription gets what happens from now on);
 * state members of w are ignored (read the row back with reg_webhook_get). */
sztp_rc reg_webhook_add(struct reg *r, const struct reg_webhook *w, struct sztp_err *e);
/* Replace url, types, secret (NULL: keep), ca_pem, enabled; the state is
 * kept.  SZTP_E_NOT_FOUND when absent. */
sztp_rc reg_webhook_update(struct reg *r, const struct reg_webhook *w, struct sztp_err *e);
/* Its dead letters go with it. */
sztp_rc reg_webhook_remove(struct reg *r, const char *name, struct sztp_err *e);
sztp_rc reg_webhook_get(struct reg *r, const char *name, struct reg_webhook *out,
			struct sztp_err *e);
typedef int (*reg_webhook_cb)(const struct reg_webhook *w, void *arg);
/* By name. */
sztp_rc reg_webhook_list(struct reg *r, reg_webhook_cb cb, void *arg, struct sztp_err *e);
/* What one delivery attempt did, recorded in one transaction (nothing when
 * the webhook was removed meanwhile: SZTP_E_NOT_FOUND). */
struct reg_webhook_result {
	int ok;			 /* the receiver took the batch (2xx) */
	int status;		 /* HTTP status; 0 = transport error */
	const char *error;	 /* failure text (NULL when ok) */
	int64_t cursor;		 /* new cursor (>= the old one) */
	int64_t delivered;	 /* events the receiver took */
	int attempts;		 /* consecutive failures now (0 after a success) */
	int64_t next_attempt_ms; /* when to try again */
	const int64_t *dead;	 /* event ids that go to the dead-letter list now */
	size_t n_dead;
	const int64_t *replayed; /* dead letters delivered by a replay: removed */
	size_t n_replayed;
};
sztp_rc reg_webhook_result(struct reg *r, const char *name, const struct reg_webhook_result *res,
			   struct sztp_err *e);

/* ---- dead letters ------------------------------------------------------ */
struct reg_dead_letter {
	char webhook[REG_NAME_MAX];
	struct reg_event ev; /* the event, whole */
	int64_t time;	     /* when it was given up */
	int attempts;
	char *last_error;
	int replay; /* 1: queued for replay */
};
void reg_dead_letter_clear(struct reg_dead_letter *d);
typedef int (*reg_dead_letter_cb)(const struct reg_dead_letter *d, void *arg);
/* webhook NULL = all; replay_only: those queued for replay; ordered by
 * (webhook, event id); after_id: event id > after_id (within one webhook). */
sztp_rc reg_dead_letter_query(struct reg *r, const char *webhook, int replay_only, int64_t after_id,
			      int limit, reg_dead_letter_cb cb, void *arg, struct sztp_err *e);
/* Queue for replay (event_id 0: all of that webhook's); *n optional: how
 * many.  SZTP_E_NOT_FOUND when the webhook or that dead letter is absent. */
sztp_rc reg_dead_letter_replay(struct reg *r, const char *webhook, int64_t event_id, int64_t *n,
			       struct sztp_err *e);
/* Drop for good (event_id 0: all of that webhook's). */
sztp_rc reg_dead_letter_remove(struct reg *r, const char *webhook, int64_t event_id, int64_t *n,
			       struct sztp_err *e);

/* ---- copying a registry between backends (sztpctl migrate) ------------- */
/* A registry moves as its tables' rows, typed values one backend dumps and
 * the other loads; db/registry_copy.c holds the one list of the tables and
 * their columns (in the order the migrations give them, the same on both
 * backends), parents before children.  Not copied: schema_version and
 * write_probe (the target's own migrations write them) and leases
 * (held by running processes of the old deployment). */
#define REG_COPY_COLS_MAX 24
enum reg_value_type { REG_VAL_NULL, REG_VAL_INT, REG_VAL_TEXT, REG_VAL_BLOB };
struct reg_value {
	enum reg_value_type type;
	int64_t i;     /* REG_VAL_INT */
	const void *p; /* REG_VAL_TEXT (NUL-terminated) / REG_VAL_BLOB */
	size_t len;    /* bytes at p (without the NUL) */
};
struct reg_copy_table {
	const char *name;
	const char *const *cols; /* column names, in the table's order */
	size_t n_cols;
	const char *types;  /* one letter per column: i(nteger), t(ext), b(lob) */
	const char *select; /* SELECT * FROM name ORDER BY its key (both dialects) */
	int has_id;	    /* column 0 is "id" (SQLite rowid, PostgreSQL identity) */
	int autoincrement;  /* SQLite AUTOINCREMENT: ids are never reused */
};
extern const struct reg_copy_table reg_copy_tables[];
extern const size_t reg_copy_tables_count;
/* One row (t->cols values); valid during the call only. */
typedef sztp_rc (*reg_row_cb)(void *arg, const struct reg_value *row, struct sztp_err *e);
/* Every row of t, in key order, from one snapshot: call between
 * reg_copy_snapshot(r, 1) and reg_copy_snapshot(r, 0).  SZTP_E_UNSUPPORTED
 * when the table's columns are not t's (a schema this program does not
 * copy). */
sztp_rc reg_copy_snapshot(struct reg *r, int begin, struct sztp_err *e);
sztp_rc reg_copy_dump(struct reg *r, const struct reg_copy_table *t, reg_row_cb cb, void *arg,
		      struct sztp_err *e);
/* The high-water mark of t's ids (the next id is above it): SQLite's
 * sqlite_sequence (AUTOINCREMENT tables), PostgreSQL's identity sequence;
 * 0 when none. */
sztp_rc reg_copy_id_mark(struct reg *r, const struct reg_copy_table *t, int64_t *n,
			 struct sztp_err *e);
/* A new registry at database being filled, all in one transaction.
 * reg_create's checks (SZTP_E_EXISTS when it holds a registry already);
 * nothing of it is visible before reg_copy_commit, and an abort (or a
 * killed process) leaves database as it was.  PostgreSQL: the schema and
 * the rows in one transaction; SQLite: a file beside it
 * (FILE.migrate-PID) renamed into place at the commit. */
struct reg_copy_target;
sztp_rc reg_copy_create(const char *database, struct reg_copy_target **out, struct sztp_err *e);
/* One row of t, ids kept (PostgreSQL: OVERRIDING SYSTEM VALUE). */
sztp_rc reg_copy_load(struct reg_copy_target *c, const struct reg_copy_table *t,
		      const struct reg_value *row, struct sztp_err *e);
/* After t's rows: its next id is above n (setval / sqlite_sequence). */
sztp_rc reg_copy_set_id_mark(struct reg_copy_target *c, const struct reg_copy_table *t, int64_t n,
			     struct sztp_err *e);
/* Commits, closes and frees c (also on failure). */
sztp_rc reg_copy_commit(struct reg_copy_target *c, struct sztp_err *e);
void reg_copy_abort(struct reg_copy_target *c);
/* The whole move: every table of from (an open registry at this
 * program's schema version) into a new registry at to; rows[i] = rows of
 * reg_copy_tables[i] (reg_copy_tables_count entries).  Refuses a source
 * holding a table the list does not know. */
sztp_rc reg_copy(struct reg *from, const char *to, int64_t *rows, struct sztp_err *e);

#endif
