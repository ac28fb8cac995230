/*
 * main.c - sztpd, the RFC 8572 bootstrap server: options, start-up in
 * dependency order (config, logging, trust anchors, YANG, registry, HTTPS),
 * `-n` to check a configuration and exit, and a clean stop on SIGINT or
 * SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifacts.h"
#include "http.h"
#include "identity.h"
#include "journal.h"
#include "log.h"
#include "server.h"
#include "throttle.h"

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
		   "  -h, --help  print this help\n");
}

static void server_close(struct server *s)
{
	journal_stop(s->journal); /* commits what is queued */
	throttle_close_server(s);
	artifacts_free(s->art);
	identity_cache_free(s->idcache);
	reg_close(s->reg);
	yang_close(s->yang);
	pki_trust_free(s->idevid_trust);
	config_free(&s->cfg);
}

/* -n and a registry that does not exist yet: sztpd creates it when it
 * starts; a check creates nothing, it only makes sure sztpd could. */
static sztp_rc check_new_registry(const char *path, struct sztp_err *e)
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
	printf("sztpd: database %s does not exist yet; sztpd will create it\n", path);
	return SZTP_OK;
}

/* Everything but the listener: also what -n checks (check != 0: without
 * creating a registry that does not exist yet). */
static sztp_rc server_open(struct server *s, const char *conf, int check, struct sztp_err *e)
{
	sztp_rc rc;
	int lvl;

	rc = config_load(conf, &s->cfg, e);
	if (rc != SZTP_OK)
		return rc;
	lvl = log_level_parse(s->cfg.log_level);
	log_init("sztpd", lvl < 0 ? LOG_LVL_INFO : (enum log_level)lvl,
		 !strcmp(s->cfg.log_target, "syslog"));
	rc = pki_trust_load2(s->cfg.client_ca, (const char *const *)s->cfg.client_crl,
			     s->cfg.n_client_crl, &s->idevid_trust, e);
	if (rc != SZTP_OK)
		return rc;
	rc = yang_open(s->cfg.yang_dir, &s->yang, e);
	if (rc != SZTP_OK)
		return rc;
	if (check && access(s->cfg.database, F_OK) != 0)
		return check_new_registry(s->cfg.database, e);
	rc = reg_open(s->cfg.database, &s->reg, e);
	if (rc != SZTP_OK)
		return rc;
	rc = journal_start(s->reg, &s->cfg, &s->journal, e);
	if (rc != SZTP_OK)
		return rc;
	rc = throttle_open_server(s, e);
	if (rc != SZTP_OK)
		return rc;
	rc = identity_cache_new(&s->idcache, e);
	if (rc != SZTP_OK)
		return rc;
	return artifacts_new(s, &s->art, e);
}

int main(int argc, char **argv)
{
	const char *conf = "/etc/sztp/sztpd.conf";
	struct server s;
	struct sztp_err e = {0};
	struct http *h = NULL;
	int check = 0, opt, sig, ret = 1;
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
	signal(SIGPIPE, SIG_IGN);
	/* block before any thread starts so only sigwait sees them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (server_open(&s, conf, check, &e) != SZTP_OK) {
		fprintf(stderr, "sztpd: %s\n", e.msg);
		goto out;
	}
	if (check) {
		if (http_check_tls(&s, &e) != SZTP_OK) {
			fprintf(stderr, "sztpd: %s\n", e.msg);
			goto out;
		}
		printf("sztpd: configuration %s is valid\n", conf);
		ret = 0;
		goto out;
	}
	if (http_start(&s, &h, &e) != SZTP_OK) {
		log_err("%s", e.msg);
		goto out;
	}
	log_info("sztpd %s started (database %s)", SZTP_VERSION, s.cfg.database);
	if (sigwait(&set, &sig) == 0)
		log_info("signal %d: stopping", sig);
	http_stop(h);
	ret = 0;
out:
	server_close(&s);
	return ret;
}
