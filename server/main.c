/*
 * main.c - sztpd, the RFC 8572 bootstrap server: options, start-up in
 * dependency order, `-n` to check a configuration and exit, SIGHUP to
 * reload certificates and anchors, and a clean stop on SIGINT or SIGTERM.
 *
 * Start-up and `sztpd -n` run the same steps, each checked on its own so
 * that a failure names its one cause (issue 9): configuration, who to
 * run as, TLS certificate + key + priority string, manufacturer anchors,
 * YANG modules, the registry (a check creates and changes nothing),
 * the admin listener's files when admin-port is set (its certificate and
 * key, admin client CA, masa-ca, OpenAPI document), then - start only -
 * the listening sockets; then both drop root for good
 * (`user`) and check as that user what it will read later: the registry,
 * every owner identity's key.  Only then does the HTTPS server start
 * (start only), so no request is ever served as root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin_listener.h"
#include "artifacts.h"
#include "http.h"
#include "identity.h"
#include "journal.h"
#include "metrics.h"
#include "log.h"
#include "privs.h"
#include "server.h"
#include "syslog_sink.h"
#include "throttle.h"
#include "util.h"
#include "webhook.h"

#ifndef SZTP_VERSION
#define SZTP_VERSION "0.1.0"
#endif

/* On stdout when asked for (-h, --help), on stderr after a usage error. */
static void usage(FILE *f)
{
	fprintf(f, "usage: sztpd [-n] [-c FILE]\n"
		   "  -c FILE     configuration file (default /etc/sztp/sztpd.conf)\n"
		   "  -n          check the configuration and the files it names, then exit\n"
		   "  -V          print the version\n"
		   "  -h, --help  print this help\n"
		   "signals: SIGHUP reloads tls-cert, tls-key, tls-alt-cert, tls-alt-key,\n"
		   "         client-ca, manufacturer-ca (and admin-cert, admin-key,\n"
		   "         admin-client-ca, masa-ca); SIGTERM, SIGINT stop\n");
}

static void server_close(struct server *s)
{
	syslog_sink_stop(s->syslog);   /* its own registry handle; stores its cursor */
	admin_listener_free(s->admin); /* its registry handle; shares the YANG context */
	if (s->admin_listen_fd >= 0)
		close(s->admin_listen_fd);
	journal_stop(s->journal); /* commits what is queued */
	throttle_close_server(s);
	artifacts_free(s->art);
	metrics_free(s->metrics);
	identity_cache_free(s->idcache);
	reg_close(s->reg);
	yang_close(s->yang);
	pki_trust_free(s->idevid_trust);
	pki_tls_creds_free(s->tls);
	sztp_bytes_free(&s->client_ca_pem);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	config_free(&s->cfg);
}

/* The manufacturer anchors: client-ca (the default rules) first, then
 * each manufacturer-ca line with its own (issue 13), with the CRLs of
 * client-crl for all of them: the one place start-up, sztpd -n and SIGHUP
 * build them. */
static sztp_rc load_anchors(const struct config *cfg, struct pki_trust **out, struct sztp_err *e)
{
	struct pki_anchor_spec g[PKI_ANCHOR_GROUPS_MAX];
	struct config_mfr m[CONFIG_MFR_MAX];
	struct pki_trust_stats st;
	const char *why;
	size_t i, n = 0, nm = 0;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	*out = NULL;
	memset(m, 0, sizeof(m));
	if (cfg->client_ca)
		g[n++] = (struct pki_anchor_spec){cfg->client_ca, PKI_SERIAL_SUBJECT, 0};
	for (nm = 0; nm < cfg->n_manufacturer_ca; nm++) {
		if ((why = config_manufacturer_ca_parse(cfg->manufacturer_ca[nm], &m[nm]))) {
			sztp_err_set(e, rc, "manufacturer-ca: '%s' is %s", cfg->manufacturer_ca[nm],
				     why);
			goto out;
		}
		g[n++] = (struct pki_anchor_spec){
		    m[nm].path, m[nm].serial_sudi ? PKI_SERIAL_SUDI : PKI_SERIAL_SUBJECT,
		    m[nm].allow_sha1 ? PKI_ALLOW_SHA1 : 0};
	}
	rc = pki_trust_load_groups(g, n, (const char *const *)cfg->client_crl, cfg->n_client_crl,
				   out, e);
	if (rc != SZTP_OK && e) {
		char msg[SZTP_ERR_MSG_MAX];
		snprintf(msg, sizeof(msg), "%s", e->msg);
		sztp_err_set(e, rc, "%s%s: %s",
			     cfg->n_manufacturer_ca ? (cfg->client_ca ? "client-ca/manufacturer-ca"
								      : "manufacturer-ca")
						    : "client-ca",
			     cfg->n_client_crl ? "/client-crl" : "", msg);
	}
	if (rc == SZTP_OK) {
		pki_trust_stats(*out, &st);
		if (st.crls_stale)
			log_warn("client-crl: %lu CRL(s) past their nextUpdate (still applied)",
				 st.crls_stale);
		for (i = 0; i < nm; i++)
			log_info("manufacturer-ca %s: serial=%s%s", m[i].path,
				 m[i].serial_sudi ? "sudi" : "subject",
				 m[i].allow_sha1 ? " allow=sha1" : "");
	}
out:
	for (i = 0; i < nm; i++)
		free(m[i].path);
	return rc;
}

/* Every anchor file's PEM text, client-ca's first: the CA names the TLS
 * layer asks clients for, and /metrics' anchor expiry (read before the
 * privilege drop). */
static sztp_rc read_anchor_pem(const struct config *cfg, sztp_bytes *out, struct sztp_err *e)
{
	struct config_mfr m;
	sztp_bytes f = {NULL, 0};
	uint8_t *nb;
	const char *why;
	size_t i;
	sztp_rc rc = SZTP_OK;

	memset(out, 0, sizeof(*out));
	if (cfg->client_ca && (rc = file_read(cfg->client_ca, 1024 * 1024, out, e)) != SZTP_OK)
		return rc;
	for (i = 0; i < cfg->n_manufacturer_ca && rc == SZTP_OK; i++) {
		if ((why = config_manufacturer_ca_parse(cfg->manufacturer_ca[i], &m))) {
			rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "manufacturer-ca: %s", why);
			break;
		}
		rc = file_read(m.path, 1024 * 1024, &f, e);
		free(m.path);
		if (rc != SZTP_OK)
			break;
		/* one text, NUL-terminated (file_read's convention), a newline
		 * between files */
		if (!(nb = realloc(out->data, out->len + f.len + 2))) {
			rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		} else {
			out->data = nb;
			if (out->len)
				out->data[out->len++] = '\n';
			memcpy(out->data + out->len, f.data, f.len);
			out->len += f.len;
			out->data[out->len] = '\0';
		}
		sztp_bytes_free(&f);
	}
	if (rc != SZTP_OK)
		sztp_bytes_free(out);
	return rc;
}

/* -n and a registry that does not exist yet: sztpd creates it when it
 * starts; a check creates nothing, it only makes sure sztpd could. */
static sztp_rc check_new_registry(const char *path, const struct privs *p, struct sztp_err *e)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return sztp_err_set(e, SZTP_E_IO, "database %s: directory %s does not exist", path,
				    dir);
	if (access(dir, W_OK | X_OK) != 0)
		return sztp_err_set(e, SZTP_E_IO,
				    "database %s does not exist and directory %s is not writable",
				    path, dir);
	printf("sztpd: database %s does not exist yet; sztpd will create it%s%s\n", path,
	       p->drop ? " for user " : "", p->drop ? p->user : "");
	return SZTP_OK;
}

/* tls-cert/tls-key and, when set, tls-alt-cert/tls-alt-key (issue 13). */
static void tls_files(const struct config *cfg, struct pki_tls_files *f)
{
	memset(f, 0, sizeof(*f));
	f->cert = cfg->tls_cert;
	f->key = cfg->tls_key;
	f->alt_cert = cfg->tls_alt_cert;
	f->alt_key = cfg->tls_alt_key;
	f->priority = cfg->tls_priority;
}

/* One served pair, on the log (start, reload) or stdout (-n): key names
 * which ("tls-cert", "tls-alt-cert"). */
static void tls_pair_show(int check, const char *key, const char *path,
			  const struct pki_tls_pair_info *p, unsigned generation)
{
	char fp[32 * 3], na[32] = "unknown";
	struct tm tm;

	hex_colon(p->sha256, sizeof(p->sha256), fp);
	if (p->not_after && gmtime_r(&p->not_after, &tm))
		strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (check) { /* flushed: an error later on stderr comes after it */
		printf("sztpd: %s %s: %s key, subject %s, not after %s, sha256 %s\n", key, path,
		       p->key, p->subject, na, fp);
		fflush(stdout);
	} else if (generation > 1)
		log_info("reload: server certificate %s, %s key, sha256 %s (generation %u)",
			 p->subject, p->key, fp, generation);
	else
		log_info("server certificate %s, %s key, sha256 %s", p->subject, p->key, fp);
	if (p->not_after && p->not_after < time(NULL))
		log_warn("server certificate %s (%s) has expired: devices will refuse it",
			 p->subject, key);
}

/* Both pairs of an info (the second when there is one). */
static void tls_show(int check, const struct config *cfg, const struct pki_tls_info *in)
{
	struct pki_tls_pair_info first;

	memset(&first, 0, sizeof(first));
	memcpy(first.subject, in->subject, sizeof(first.subject));
	memcpy(first.sha256, in->sha256, sizeof(first.sha256));
	first.not_after = in->not_after;
	memcpy(first.key, in->key, sizeof(first.key));
	tls_pair_show(check, "tls-cert", cfg->tls_cert, &first, in->generation);
	if (in->alt.subject[0])
		tls_pair_show(check, "tls-alt-cert", cfg->tls_alt_cert, &in->alt, in->generation);
}

/* The server certificate(s) and key(s), and the priority string: loaded
 * to serve them (start), or loaded and dropped (check). */
static sztp_rc load_tls(struct server *s, int check, struct sztp_err *e)
{
	struct pki_tls_files f;
	struct pki_tls_info in;
	sztp_rc rc;

	tls_files(&s->cfg, &f);
	if (check) {
		rc = pki_tls_check_files(&f, &in, e);
		if (rc == SZTP_OK)
			tls_show(1, &s->cfg, &in);
		return rc;
	}
	rc = pki_tls_creds_open("tls", &f, &s->tls, e);
	if (rc == SZTP_OK)
		rc = pki_tls_priority_check(s->cfg.tls_priority, e);
	if (rc != SZTP_OK)
		return rc;
	pki_tls_creds_info(s->tls, &in);
	tls_show(0, &s->cfg, &in);
	return SZTP_OK;
}

/* Everything before the listener: also what -n checks (check != 0:
 * without creating or changing anything).  *new_db: the registry does
 * not exist yet (check only: nothing was opened). */
static sztp_rc server_open(struct server *s, const char *conf, int check, struct privs *p,
			   int *db_pending, int *new_db, struct sztp_err *e)
{
	struct pki_trust *t = NULL;
	sztp_rc rc;
	int lvl, pg;

	*new_db = 0;
	rc = config_load(conf, &s->cfg, e);
	if (rc != SZTP_OK)
		return rc;
	pg = reg_is_postgresql(s->cfg.database);
	lvl = log_level_parse(s->cfg.log_level);
	log_init("sztpd", lvl < 0 ? LOG_LVL_INFO : (enum log_level)lvl,
		 !strcmp(s->cfg.log_target, "syslog"));
	rc = privs_plan(&s->cfg, p, e);
	if (rc != SZTP_OK)
		return rc;
	rc = load_tls(s, check, e);
	if (rc != SZTP_OK)
		return rc;
	rc = identity_cache_new(&s->idcache, e);
	if (rc != SZTP_OK)
		return rc;
	rc = load_anchors(&s->cfg, &t, e);
	if (rc != SZTP_OK)
		return rc;
	identity_trust_set(s->idcache, t);		  /* the identity module owns them now */
	rc = admin_listener_open(s, check, &s->admin, e); /* nothing when admin-port is 0 */
	if (rc != SZTP_OK)
		return rc;
	/* syslog-*: the start loads the same files again (syslog_sink_start) */
	if (check && (rc = syslog_sink_check(&s->cfg, e)) != SZTP_OK)
		return rc;
	/* the same file for the TLS layer (the CAs a client is asked for),
	 * read now: http_start runs after root is dropped */
	if (!check && (rc = read_anchor_pem(&s->cfg, &s->client_ca_pem, e)) != SZTP_OK)
		return rc;
	rc = yang_open(s->cfg.yang_dir, &s->yang, e);
	if (rc != SZTP_OK)
		return rc;
	/* a PostgreSQL URI is no file: nothing to create, own or look at */
	if (check && !pg && access(s->cfg.database, F_OK) != 0) {
		*new_db = 1;
		return check_new_registry(s->cfg.database, p, e);
	}
	rc = privs_prepare_db(p, s->cfg.database, check, db_pending, e);
	if (rc != SZTP_OK)
		return rc;
	rc = reg_open(s->cfg.database, &s->reg, e);
	if (rc != SZTP_OK)
		return rc;
	if (check && pg) {
		char shown[1024];

		reg_redact(s->cfg.database, shown, sizeof(shown));
		printf("sztpd: database %s: PostgreSQL, schema version %d\n", shown,
		       reg_schema_version(s->reg));
		fflush(stdout); /* before a later error on stderr */
	}
	rc = journal_start(s->reg, &s->cfg, &s->journal, e);
	if (rc != SZTP_OK)
		return rc;
	/* events to syslog-target on a thread and registry handle of its own */
	if (!check && (rc = syslog_sink_start(&s->cfg, &s->syslog, e)) != SZTP_OK)
		return rc;
	rc = metrics_new(&s->metrics, e);
	if (rc != SZTP_OK)
		return rc;
	rc = throttle_open_server(s, e);
	if (rc != SZTP_OK)
		return rc;
	return artifacts_new(s, &s->art, e);
}

/* A listening socket (the device port, the admin port: key names its
 * address's configuration key), bound while still root (ports below 1024),
 * so that a port in use or a bad address is named as such. */
static sztp_rc listen_open(const char *key, const char *address, int port_nr, int *out,
			   struct sztp_err *e)
{
	struct addrinfo hints, *ai = NULL;
	char port[8];
	int fd = -1, one = 1, v6only, gai;
	sztp_rc rc = SZTP_E_IO;

	*out = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", port_nr);
	gai = getaddrinfo(address, port, &hints, &ai);
	if (gai) {
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "%s '%s': %s", key, address,
				  gai_strerror(gai));
		goto out;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		sztp_err_set(e, rc, "cannot listen on [%s]:%d: socket: %s", address, port_nr,
			     strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6) {
		/* "::" serves IPv4 too, as MHD's dual stack would */
		v6only = !IN6_IS_ADDR_UNSPECIFIED(
		    &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		int err = errno;
		sztp_err_set(e, rc, "cannot listen on [%s]:%d: %s%s", address, port_nr,
			     strerror(err),
			     err == EADDRINUSE	    ? " (another process holds this port)"
			     : err == EACCES	    ? " (ports below 1024 need root or "
						      "CAP_NET_BIND_SERVICE)"
			     : err == EADDRNOTAVAIL ? " (no interface has this address)"
						    : "");
		goto out;
	}
	if (listen(fd, SOMAXCONN) != 0) {
		sztp_err_set(e, rc, "cannot listen on [%s]:%d: %s", address, port_nr,
			     strerror(errno));
		goto out;
	}
	*out = fd;
	fd = -1;
	rc = SZTP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (ai)
		freeaddrinfo(ai);
	return rc;
}

struct owner_check {
	struct server *s;
	struct sztp_err *e;
	sztp_rc rc;
};

/* One owner identity: its key file is readable (now, as the user sztpd
 * runs as), safe and belongs to its certificate. */
static int owner_key_check(const char *name, void *arg)
{
	struct owner_check *oc = arg;
	struct reg_owner o;
	struct sztp_err oe = {0};

	oc->rc = reg_owner_get(oc->s->reg, name, &o, &oe);
	if (oc->rc != SZTP_OK) {
		sztp_err_set(oc->e, oc->rc, "owner identity '%s': %s", name, oe.msg);
		return 1;
	}
	if (o.key_path && o.n_chain &&
	    (oc->rc = pki_key_matches_cert(o.key_path, &o.chain[0], &oe)) != SZTP_OK) {
		if (strstr(oe.msg, o.key_path)) /* the message names the file */
			sztp_err_set(oc->e, oc->rc, "owner identity '%s': %s", name, oe.msg);
		else
			sztp_err_set(oc->e, oc->rc, "owner identity '%s': key %s: %s", name,
				     o.key_path, oe.msg);
	}
	reg_owner_clear(&o);
	return oc->rc != SZTP_OK;
}

/* Can this process create files next to path? */
static int db_dir_writable(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (!slash)
		return access(".", W_OK | X_OK) == 0;
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return access(dir, W_OK | X_OK) == 0;
}

/* The sockets of both listeners, bound as root. */
static sztp_rc listen_all(struct server *s, struct sztp_err *e)
{
	sztp_rc rc =
	    listen_open("listen-address", s->cfg.listen_address, s->cfg.port, &s->listen_fd, e);

	if (rc == SZTP_OK && s->admin)
		rc = listen_open("admin-listen-address", s->cfg.admin_listen_address,
				 s->cfg.admin_port, &s->admin_listen_fd, e);
	return rc;
}

/* What the running server reads after start-up, checked as the user it
 * runs as: the registry (read and written), every owner identity's key
 * (signing), and - for SIGHUP - the TLS and anchor files (the admin
 * listener's too, and its OpenAPI document). */
static sztp_rc check_as_user(struct server *s, const struct privs *p, int db_pending,
			     struct sztp_err *e)
{
	const char *reload_files[10] = {s->cfg.tls_cert, s->cfg.tls_key, s->cfg.client_ca};
	struct owner_check oc = {s, e, SZTP_OK};
	const char *who = p->drop ? p->user : "this user";
	struct config_mfr m;
	size_t i, n = s->cfg.client_ca ? 3 : 2;
	int pg = reg_is_postgresql(s->cfg.database);
	sztp_rc rc;

	if (s->reg && !pg && !db_pending && access(s->cfg.database, R_OK | W_OK) != 0)
		return sztp_err_set(e, SZTP_E_PERM,
				    "database %s is not readable and writable by %s",
				    s->cfg.database, who);
	if (s->reg) {
		rc = reg_owner_names(s->reg, owner_key_check, &oc, e);
		if (rc != SZTP_OK)
			return rc;
		if (oc.rc != SZTP_OK)
			return oc.rc;
	}
	if (p->drop && s->reg && !pg && !db_dir_writable(s->cfg.database))
		log_warn("the directory of %s is not writable by %s: SQLite cannot create or "
			 "remove its -wal and -shm files there (give the directory to %s)",
			 s->cfg.database, who, who);
	if (s->cfg.tls_alt_cert) {
		reload_files[n++] = s->cfg.tls_alt_cert;
		reload_files[n++] = s->cfg.tls_alt_key;
	}
	if (s->admin)
		n += admin_listener_files(s->admin, reload_files + n, 10 - n);
	for (i = 0; p->drop && i < n; i++)
		if (access(reload_files[i], R_OK) != 0)
			log_warn("%s is not readable by %s: SIGHUP will not be able to reload it",
				 reload_files[i], who);
	for (i = 0; p->drop && i < s->cfg.n_manufacturer_ca; i++) {
		if (config_manufacturer_ca_parse(s->cfg.manufacturer_ca[i], &m))
			continue;
		if (access(m.path, R_OK) != 0)
			log_warn("%s is not readable by %s: SIGHUP will not be able to reload it",
				 m.path, who);
		free(m.path);
	}
	return SZTP_OK;
}

/* SIGHUP: new server certificate and key, new anchors; what fails to
 * load keeps what is in use, and the log says why. */
static void reload(struct server *s)
{
	struct pki_trust *t = NULL;
	struct pki_tls_files f;
	struct pki_tls_info in;
	struct sztp_err e = {0};

	log_info("SIGHUP: reloading tls-cert, tls-key%s, client-ca and manufacturer-ca",
		 s->cfg.tls_alt_cert ? ", tls-alt-cert, tls-alt-key" : "");
	tls_files(&s->cfg, &f);
	if (pki_tls_creds_reload_files(s->tls, &f, &e) != SZTP_OK) {
		log_err("reload: keeping the server certificate%s in use: %s",
			s->cfg.tls_alt_cert ? "s" : "", e.msg);
	} else {
		pki_tls_creds_info(s->tls, &in);
		tls_show(0, &s->cfg, &in);
	}
	if (load_anchors(&s->cfg, &t, &e) != SZTP_OK) {
		log_err("reload: keeping the manufacturer anchors in use: %s", e.msg);
	} else {
		identity_trust_set(s->idcache, t);
		log_info("reload: manufacturer anchors from %s%s%zu manufacturer-ca file(s)",
			 s->cfg.client_ca ? s->cfg.client_ca : "", s->cfg.client_ca ? " and " : "",
			 s->cfg.n_manufacturer_ca);
	}
	admin_listener_reload(s->admin); /* NULL: none */
}

int main(int argc, char **argv)
{
	const char *conf = "/etc/sztp/sztpd.conf";
	struct server s;
	struct privs p;
	struct sztp_err e = {0};
	struct http *h = NULL;
	struct webhooks *hooks = NULL; /* events to the webhooks (issue 12) */
	int check = 0, opt, sig = 0, ret = 1, db_pending = 0, new_db = 0;
	char shown[1024]; /* the database as logged: reg_redact */
	sigset_t set;

	/* --help first: getopt knows short options only (the value of -c is
	 * skipped, whatever it is) */
	for (opt = 1; opt < argc && strcmp(argv[opt], "--") != 0; opt++) {
		if (strcmp(argv[opt], "-c") == 0) {
			opt++;
		} else if (strcmp(argv[opt], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	}
	while ((opt = getopt(argc, argv, "c:nVh")) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'V':
			printf("sztpd %s\n", SZTP_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	memset(&s, 0, sizeof(s));
	memset(&p, 0, sizeof(p));
	s.listen_fd = -1;
	s.admin_listen_fd = -1;
	signal(SIGPIPE, SIG_IGN);
	/* block before any thread starts so only sigwait sees them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (privs_no_new_privs(&e) != SZTP_OK ||
	    server_open(&s, conf, check, &p, &db_pending, &new_db, &e) != SZTP_OK ||
	    (!check && listen_all(&s, &e) != SZTP_OK) || privs_drop(&p, &e) != SZTP_OK ||
	    (!new_db && check_as_user(&s, &p, db_pending, &e) != SZTP_OK)) {
		fprintf(stderr, "sztpd: %s\n", e.msg);
		if (!check && s.cfg.log_target && !strcmp(s.cfg.log_target, "syslog"))
			log_err("%s", e.msg);
		goto out;
	}
	if (check) {
		printf("sztpd: configuration %s is valid\n", conf);
		ret = 0;
		goto out;
	}
	if (p.drop)
		log_info("running as user %s, group %s", p.user, p.group);
	else if (s.cfg.user && !p.stay_root)
		log_info("not started as root: user = %s changes nothing", s.cfg.user);
	else if (p.stay_root)
		log_warn("running as root (allow-root = yes)");
	/* after the journal, as the user sztpd runs as; its own registry handle */
	if (webhooks_start(&s.cfg, &hooks, &e) != SZTP_OK) {
		log_err("%s", e.msg);
		goto out;
	}
	if (http_start(&s, &h, &e) != SZTP_OK) {
		log_err("%s", e.msg);
		goto out;
	}
	s.listen_fd = -1; /* MHD's now */
	/* the admin API on its own threads: the device port never waits on it */
	if (s.admin && admin_listener_start(s.admin, s.admin_listen_fd, &e) != SZTP_OK) {
		log_err("%s", e.msg);
		http_stop(h);
		goto out;
	}
	s.admin_listen_fd = -1;
	reg_redact(s.cfg.database, shown, sizeof(shown));
	log_info("sztpd %s started (database %s: %s, schema version %d)", SZTP_VERSION, shown,
		 reg_is_postgresql(s.cfg.database) ? "PostgreSQL" : "SQLite",
		 reg_schema_version(s.reg));
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
		reload(&s);
	log_info("signal %d: stopping", sig);
	admin_listener_stop(s.admin);
	http_stop(h);
	ret = 0;
out:
	webhooks_stop(hooks); /* before the journal stops (server_close) */
	server_close(&s);
	return ret;
}
