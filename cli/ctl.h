/*
 * ctl.h - shared state of sztpctl's commands: the parsed command line,
 * the lazily opened registry, YANG context and voucher trust anchor, and
 * the handlers of the command table in sztpctl.c.  A handler returns
 * sztp_rc and fills e; the dispatcher prints "sztpctl: error: ..." (or
 * the closing sentence, as {"result": ...} with --json).  Commands reach
 * the registry through the admin API (ctl_call), which runs every change
 * in one transaction, in-process or over HTTPS with --server.
 */
#ifndef SZTP_CTL_H
#define SZTP_CTL_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "pki.h"
#include "registry.h"
#include "result.h"

struct sztp_yang;
struct admin_ctx;
struct ctl_remote;

#define CTL_MAX_OPTS 512
#define CTL_MAX_POS  32 /* sztpctl dhcp: up to DHCP_URI_MAX URIs */

struct ctl_opt {
	const char *name;  /* without the leading "--" */
	const char *value; /* NULL for a flag */
};

struct ctl {
	/* global options */
	const char *db_path;
	const char *conf_path;
	const char *yang_dir;
	int json;
	/* the current command */
	const char *cmd;
	char *pos[CTL_MAX_POS];
	int npos;
	struct ctl_opt opts[CTL_MAX_OPTS];
	int nopts;
	/* opened on demand */
	struct reg *reg;
	const char *reg_path; /* the registry's path, once opened */
	struct sztp_yang *y;
	struct pki_trust *masa;
	char masa_path[512];
	/* printed after a successful commit; with --json {"result": done, ...} */
	char done[768];
	json_t *done_json; /* members next to "result" (ctl_done_member) */
	/* the admin API (ctl_call.c): in-process on the registry, or --server */
	const char *server;	   /* --server https://host:port, else $SZTP_SERVER; NULL: local */
	const char *token_file;	   /* --token-file, else $SZTP_TOKEN */
	const char *cacert;	   /* --cacert: the admin listener's CA, else $SZTP_CACERT */
	const char *cert, *key;	   /* --cert/--key: admin client certificate */
	char *conf_db;		   /* the database path read from sztpd's config */
	struct admin_ctx *admin;   /* local mode, made on first use */
	struct ctl_remote *remote; /* --server: the HTTPS client (ctl_remote.c) */
};

/* ---- sztpctl.c: options and output ----------------------------------- */
/* Last value of --name, or NULL. */
const char *opt_get(const struct ctl *c, const char *name);
/* 1 when --name was given (flag or value). */
int opt_has(const struct ctl *c, const char *name);
/* Every value of a repeatable option, in order; returns the count. */
size_t opt_all(const struct ctl *c, const char *name, const char **out, size_t max);
/* Parse --name as an integer in [min, max]; *v unchanged when absent. */
sztp_rc opt_int(const struct ctl *c, const char *name, long min, long max, long *v,
		struct sztp_err *e);

/* The YANG context (opened on first use). */
sztp_rc ctl_yang(struct ctl *c, struct sztp_yang **y, struct sztp_err *e);
/* The voucher trust anchor from --masa-ca or SZTP_MASA_CA.  With
 * required == 0 a missing anchor gives SZTP_OK and *t = NULL. */
sztp_rc ctl_masa(struct ctl *c, int required, const struct pki_trust **t, struct sztp_err *e);
/* Message printed once the command's transaction is committed: one line
 * of text, or with --json the object {"result": "<message>"} unless the
 * command printed its own JSON answer (ctl_print_json): the output stays
 * one JSON document. */
void ctl_done(struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* With --json, member name (value v, stolen) next to "result" in that
 * object, e.g. a generated password: {"result": "...", "password": "..."}.
 * Text mode ignores it (the message says it). */
void ctl_done_member(struct ctl *c, const char *name, json_t *v);
void ctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* s as it may go to a terminal in a table: control characters (a
 * newline, ESC) as \xNN and a backslash as \\, so nothing a device sent
 * can forge a row or drive the terminal; s itself when nothing needs
 * escaping, else buf.  JSON output never goes through this: it is exact. */
#define CTL_TEXT_MAX 1024
const char *ctl_text(const char *s, char buf[CTL_TEXT_MAX]);
/* "2026-11-27T02:19:33Z", or dash when t == 0. */
const char *ctl_time(int64_t t, char buf[32]);
/* Serial numbers as sztpd reads them from certificates (pki_serial_check):
 * 1..127 bytes of UTF-8 without control characters; any other character
 * (spaces, RFC 4514 specials) is part of the serial. */
sztp_rc ctl_check_serial(const char *s, struct sztp_err *e);
sztp_rc ctl_check_name(const char *what, const char *s, struct sztp_err *e);
/* Read a password file: first line, newline stripped, non-empty. */
sztp_rc ctl_read_password(const char *path, char *out, size_t outlen, struct sztp_err *e);

/* ---- ctl_call.c: one admin API request, locally or over --server ------ */
struct ctl_resp {
	int status;
	json_t *json;	/* the body when it is JSON (success or problem), else NULL */
	sztp_bytes raw; /* the body as received */
	char etag[64];
	char location[512];
	char content_type[128]; /* "" when none */
};
/* Send one request to the admin API (admin/admin.h): in-process through
 * admin_handle on the local registry, or with --server over HTTPS (the
 * same request, so the same answer).  path is below ADMIN_PREFIX and
 * already encoded (ctl_seg); query encoded or NULL; body (JSON object,
 * not stolen) or NULL.  SZTP_OK for any 2xx/304 answer, with *r filled
 * (ctl_resp_clear it); a problem+json answer becomes SZTP_E_* (404
 * NOT_FOUND, 409 EXISTS, 400 INVALID_VALUE, 401/403 AUTH, 412 MISMATCH,
 * 413 TOO_BIG, 415 MEDIA_TYPE, 5xx INTERNAL/UNAVAILABLE) with the problem's
 * detail as e's message; *r is cleared then. */
sztp_rc ctl_call(struct ctl *c, const char *method, const char *path, const char *query,
		 json_t *body, struct ctl_resp *r, struct sztp_err *e);
/* The same with a raw body of media type ctype (a voucher's CMS). */
sztp_rc ctl_call_raw(struct ctl *c, const char *method, const char *path, const char *query,
		     const char *ctype, const void *body, size_t len, struct ctl_resp *r,
		     struct sztp_err *e);
void ctl_resp_clear(struct ctl_resp *r);
/* s percent-encoded as one path segment or query value, into buf. */
const char *ctl_seg(const char *s, char *buf, size_t len);
/* Every page of a list: GET path?query (plus cursor) until next-cursor is
 * null; each item to cb (non-zero stops). */
typedef int (*ctl_item_cb)(json_t *item, void *arg);
sztp_rc ctl_list_all(struct ctl *c, const char *path, const char *query, ctl_item_cb cb, void *arg,
		     struct sztp_err *e);
/* j as indented JSON on stdout (--json). */
sztp_rc ctl_print_json(json_t *j, struct sztp_err *e);
/* How many documents ctl_print_json printed: with --json the dispatcher
 * prints the ctl_done object only when the command printed none, so the
 * output is always exactly one JSON document. */
unsigned ctl_json_printed(void);
/* ---- ctl_remote.c: --server, the admin API over HTTPS (libcurl) ---------- */
#define CTL_REMOTE_MAX_BODY (256u << 20) /* a larger answer is refused */
#define CTL_REMOTE_CONNECT  10L		 /* seconds to connect (TCP and TLS) */
#define CTL_REMOTE_TOTAL    300L	 /* seconds for one request (bulk enrolment) */
/* One request to c->server (scheme https only) + path (ADMIN_PREFIX
 * included) + "?" query; body of media type ctype (NULL: none).  SZTP_OK
 * when an HTTP answer came back, whatever its status: r gets status,
 * body, ETag, Location and Content-Type.  Otherwise the connection or
 * TLS failure, named after the server: "https://h:p: certificate verify
 * failed: ...".  The token is read once per run and appears in no message. */
sztp_rc ctl_remote(struct ctl *c, const char *method, const char *path, const char *query,
		   const char *ctype, const void *body, size_t len, struct ctl_resp *r,
		   struct sztp_err *e);
/* 1 when the last request carried credentials (a token or a client
 * certificate): a 401 without either gets a hint how to give one. */
int ctl_remote_authenticated(const struct ctl *c);
/* Close the connection and wipe the token (ctl_admin_close calls it). */
void ctl_remote_close(struct ctl *c);
/* Free the local admin context (sztpctl.c's exit). */
void ctl_admin_close(struct ctl *c);
/* sztpctl.c: open the registry as every command does (local mode). */
sztp_rc ctl_open_db(struct ctl *c, struct sztp_err *e);

/* ---- ctl_dhcp.c: DHCP option 143/136 and server configuration --------- */
sztp_rc cmd_dhcp(struct ctl *c, struct sztp_err *e);

/* ---- ctl_migrate.c: sztpctl migrate --from --to --------------------------- */
sztp_rc cmd_migrate(struct ctl *c, struct sztp_err *e);

/* ---- ctl_validate.c ------------------------------------------------------ */
sztp_rc cmd_validate_conveyed(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_validate_voucher(struct ctl *c, struct sztp_err *e);

/* ---- ctl_voucher.c ------------------------------------------------------ */
/* The anchor of a voucher this command sends: the PEM text of --masa-ca or
 * $SZTP_MASA_CA goes in the request (*pem, the caller's to free) in both
 * modes, so local and --server send the same request and print the same;
 * without one the server's own anchor is used (*pem NULL), and in local
 * mode, which has none, the error names the options. */
sztp_rc ctl_voucher_anchor(struct ctl *c, char **pem, struct sztp_err *e);
/* A voucher file as base64 (*b64 the caller's to free). */
sztp_rc ctl_voucher_file(const char *path, char **b64, struct sztp_err *e);
/* A voucher-summary as "  key value" lines, expiry against days. */
void ctl_voucher_print(json_t *summary, long days);
/* The "warnings" of an answer, each as "sztpctl: warning: ..." on stderr. */
void ctl_warnings(json_t *answer);

/* ---- ctl_device.c ------------------------------------------------------- */
/* The PBKDF2 cost of passwords set in local mode: sztpd's password-cost
 * when sztpctl reads sztpd's configuration (-c CONF, or no -d and no
 * $SZTP_DB), else the default; so both hash alike. */
unsigned ctl_password_cost(struct ctl *c);

/* ---- ctl_expiry.c ------------------------------------------------------- */
#define CTL_EXPIRING_DAYS 30 /* --expiring-within default */
enum ctl_expiry { CTL_EXP_NEVER, CTL_EXP_OK, CTL_EXP_EXPIRING, CTL_EXP_EXPIRED };
/* --expiring-within DAYS (0..36500), else CTL_EXPIRING_DAYS. */
sztp_rc ctl_expiry_days(const struct ctl *c, long *days, struct sztp_err *e);
/* not_after 0: never expires; expired at or before now; expiring within
 * days of now. */
enum ctl_expiry ctl_expiry_of(int64_t not_after, time_t now, long days);
/* For people: "EXPIRES in 5 days (within 30)", "EXPIRED 2 days ago"... */
const char *ctl_expiry_text(int64_t not_after, time_t now, long days, char *buf, size_t len);

/* ---- handlers ---------------------------------------------------------- */
typedef sztp_rc (*ctl_handler)(struct ctl *c, struct sztp_err *e);

sztp_rc cmd_device_add(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_device_list(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_device_show(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_device_remove(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_device_set(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_device_import(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_voucher_attach(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_voucher_show(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_voucher_detach(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_owner_set(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_owner_show(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_owner_list(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_profile_onboarding(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_profile_redirect(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_profile_list(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_profile_show(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_profile_remove(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_progress(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_log(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_prune(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_expiring(struct ctl *c, struct sztp_err *e);

/* ---- ctl_report.c, ctl_token.c: reports, tokens, audit ------------------ */
/* Print one item of a list as a table line. */
typedef void (*ctl_row_fn)(json_t *item);
/* GET path?query, every page: with --json the items as one JSON array,
 * else header and one line per item.  For the id-ordered lists
 * (progress, log, audit): only rows with an id above after (0: all), and
 * with newest > 0 only the newest that many, still oldest first. */
sztp_rc ctl_rows(struct ctl *c, const char *path, const char *query, int64_t after, long newest,
		 const char *header, ctl_row_fn row, struct sztp_err *e);
/* Append "name=value" (value percent-encoded; nothing when NULL) to the
 * query q of size len. */
void ctl_query_add(char *q, size_t len, const char *name, const char *value);
sztp_rc cmd_device_timeline(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_token_create(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_token_list(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_token_revoke(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_audit(struct ctl *c, struct sztp_err *e);

/* ---- ctl_webhook.c, ctl_events.c: webhooks and the events outbox ---------- */
sztp_rc cmd_webhook_add(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_webhook_list(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_webhook_show(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_webhook_set(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_webhook_remove(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_events(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_events_dead_letters(struct ctl *c, struct sztp_err *e);
sztp_rc cmd_events_replay(struct ctl *c, struct sztp_err *e);

/* ---- ctl_dns.c ----------------------------------------------------------- */
sztp_rc cmd_dns(struct ctl *c, struct sztp_err *e);

#endif
