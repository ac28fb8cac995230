/*
 * config.h - sztpd's configuration file: "key = value" lines read by
 * lib/conf.c (comments, quotes: see conf.h) through one table of keys
 * with types, bounds and defaults.  An unknown key, a duplicate or a bad
 * value stops start-up naming file and line.  sztpctl reads the same file
 * through the same table.  Devices, profiles, owners and vouchers live in
 * the database.
 */
#ifndef SZTPD_CONFIG_H
#define SZTPD_CONFIG_H

#include <stddef.h>

#include "result.h"

#define CONFIG_CRL_MAX 64 /* client-crl lines */
#define CONFIG_MFR_MAX 16 /* manufacturer-ca lines */

struct config {
	char *listen_address;	/* listen-address */
	int port;		/* port */
	char *tls_cert;		/* tls-cert: PEM chain, leaf first */
	char *tls_key;		/* tls-key */
	char *tls_priority;	/* tls-priority: GnuTLS priority string */
	char *tls_alt_cert;	/* tls-alt-cert: a second chain, the other key type; NULL = none */
	char *tls_alt_key;	/* tls-alt-key: its key */
	char *client_ca;	/* client-ca: manufacturer IDevID anchors (PEM); NULL = none */
	char *database;		/* database: SQLite file or PostgreSQL URI */
	char *yang_dir;		/* yang-dir */
	int threads;		/* threads: 0 = one per core */
	int max_body;		/* max-body: bytes */
	int max_connections;	/* max-connections */
	int connection_timeout; /* connection-timeout: seconds */
	int basic_auth;		/* basic-auth: yes/no */
	int bootstrap_log;	/* bootstrap-log: yes/no, record requests in the database */
	char *log_level;	/* log-level */
	char *log_target;	/* log-target: stderr | syslog */
	/* what failed requests and devices may cost (throttle.h, journal.h);
	 * 0 = no limit */
	int log_retention_days;		 /* log-retention-days */
	int log_max_rows;		 /* log-max-rows */
	int log_failures_per_address;	 /* log-failures-per-address-per-minute */
	int log_failures_per_minute;	 /* log-failures-per-minute */
	int auth_failures_per_address;	 /* auth-failures-per-address-per-minute */
	int auth_failures_per_serial;	 /* auth-failures-per-serial-per-minute */
	int report_max_bytes;		 /* report-max-bytes */
	int reports_per_device_per_hour; /* reports-per-device-per-hour */

	/* what one client may hold (http.h's struct http_limits) */
	int max_connections_per_address; /* 0 = no limit */
	int request_timeout;		 /* s for a whole request, head and body */

	/* client-crl: CRL files for the CAs under every anchor (repeatable) */
	char *client_crl[CONFIG_CRL_MAX];
	size_t n_client_crl;
	/* manufacturer-ca (issue 13): "PATH [serial=subject|sudi] [allow=sha1]"
	 * lines as written, PATH made absolute; config_manufacturer_ca_parse */
	char *manufacturer_ca[CONFIG_MFR_MAX];
	size_t n_manufacturer_ca;
	/* privileges (issue 9) */
	char *user;	/* user: drop to it after binding; NULL = none */
	char *group;	/* group: instead of user's primary group; NULL = none */
	int allow_root; /* allow-root: yes/no, keep running as root without user */
	/* device passwords (issue 9) */
	int password_cost;	       /* password-cost: PBKDF2 iterations of new hashes */
	int password_hash_concurrency; /* password-hash-concurrency: 0 = half the workers */
	/* the admin API's own HTTPS listener (issue 10, server/admin_listener.c);
	 * read by sztpd only when admin_port is set */
	char *admin_listen_address; /* admin-listen-address */
	int admin_port;		    /* admin-port: 0 = no admin listener */
	char *admin_cert;	    /* admin-cert: NULL = tls-cert */
	char *admin_key;	    /* admin-key: NULL = tls-key */
	char *admin_client_ca;	    /* admin-client-ca: NULL = no admin client certificates */
	int admin_client_scope;	    /* admin-client-scope: CONFIG_SCOPE_READ or _WRITE */
	int admin_max_body;	    /* admin-max-body: bytes */
	int admin_threads;	    /* admin-threads */
	char *masa_ca;		    /* masa-ca: default voucher anchor of the API; NULL = none */
	char *admin_openapi;	    /* admin-openapi: NULL = config_openapi_default() */
	/* webhook delivery and the outbox's retention (issue 12, events/webhook.c) */
	int webhook_batch;	  /* webhook-batch: events per POST */
	int webhook_timeout;	  /* webhook-timeout: s for one POST */
	int webhook_backoff_max;  /* webhook-backoff-max: s, longest wait between attempts */
	int webhook_max_age;	  /* webhook-max-age: s before an undelivered event is dead */
	int event_retention_days; /* event-retention-days: 0 = keep every event */
	/* events as RFC 5424 syslog messages (issue 12, events/syslog.c) */
	char *syslog_target;   /* syslog-target: udp|tcp|tls://HOST:PORT; NULL = none */
	char *syslog_ca;       /* syslog-ca: anchors of the collector's certificate (tls) */
	char *syslog_cert;     /* syslog-cert: client certificate chain (tls, optional) */
	char *syslog_key;      /* syslog-key: its key */
	char *syslog_facility; /* syslog-facility: one of config_syslog_facilities */
	int syslog_max_age;    /* syslog-max-age: s; older unsent events are skipped; 0 = never */
};

enum { CONFIG_SCOPE_READ = 0, CONFIG_SCOPE_WRITE = 1 }; /* admin-client-scope */

/* Parse path into cfg (defaults first).  On error e->msg is
 * "FILE:LINE: message" (SZTP_E_INVALID_VALUE), or "FILE: message" for a
 * required key no line sets or a file that cannot be read (SZTP_E_IO);
 * cfg then holds nothing (config_free is still safe). */
sztp_rc config_load(const char *path, struct config *cfg, struct sztp_err *e);
/* Set defaults only (no file). */
void config_defaults(struct config *cfg);
void config_free(struct config *cfg);
/* Where admin-openapi points when it is not set: openapi.json in the
 * share directory next to the YANG modules' (<prefix>/share/sztp/, found
 * as yang-dir's default is), or docs/openapi.json of the source tree
 * sztpd runs from. */
void config_openapi_default(char *out, size_t len);

/* One manufacturer-ca value: "PATH [serial=subject|sudi] [allow=sha1]"
 * (PATH without whitespace, options separated by whitespace, each at
 * most once).  NULL and *out filled (path: a copy of PATH, malloc'd), or
 * why the value is refused, naming the option (*out then zeroed). */
struct config_mfr {
	char *path;
	int serial_sudi; /* serial=sudi */
	int allow_sha1;	 /* allow=sha1 */
};
const char *config_manufacturer_ca_parse(const char *value, struct config_mfr *out);

/* syslog-target (issue 12): "udp://HOST:PORT", "tcp://..." or
 * "tls://..." (RFC 5426, 6587 octet counting, 5425); HOST a name or an IP
 * address, IPv6 in brackets.  NULL and *out filled, or why value is
 * refused (then *out is zeroed).  The one parser of the key: the config
 * check and events/syslog.c. */
enum { CONFIG_SYSLOG_UDP = 1, CONFIG_SYSLOG_TCP, CONFIG_SYSLOG_TLS };
struct config_syslog_target {
	int proto;	/* CONFIG_SYSLOG_* */
	char host[256]; /* without brackets */
	char port[6];
};
const char *config_syslog_target_parse(const char *value, struct config_syslog_target *out);
/* syslog-facility's names, NULL-terminated ("kern" .. "local7"), and the
 * facility number of one (-1: not a name of the list). */
extern const char *const config_syslog_facilities[];
int config_syslog_facility_code(const char *name);

#endif
