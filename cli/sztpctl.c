/*
 * sztpctl.c - the operators' admin CLI of the SZTP bootstrap server
 * (RFC 8572): enrols devices with their ownership vouchers (s3.3, s5.3),
 * sets the owner identity that signs conveyed information (s3.2, s5.4),
 * builds onboarding and redirect profiles (s2.2, s6.3) and shows progress
 * reports (s7.3) and the bootstrapping log.  Commands are one table, like
 * OpenSMTPD's smtpctl; the table also drives option parsing and `help`.
 * Every command but init and validate is a request to the admin API
 * (admin/admin.h): in-process on the local registry, or with --server over
 * HTTPS to sztpd (ctl_call.c, ctl_remote.c), so both modes do and print
 * the same; every change is one registry transaction there, so a failed
 * command leaves the database as it was.  Only `init` creates a registry;
 * every other command refuses a file that does not exist (or is not a
 * registry) and names it, so a mistyped -d creates nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../server/config.h" /* sztpd's own table of its config file */
#include "ctl.h"
#include "pki.h"
#include "registry.h"
#include "util.h"
#include "yang.h"

#ifndef SZTP_VERSION
#define SZTP_VERSION "0.1.0"
#endif
#define DEFAULT_CONF "/etc/sztp/sztpd.conf"

/* CMD_NODB: needs no registry (local even with --server); CMD_INIT:
 * creates the registry (the only command that may; never with --server);
 * CMD_API: goes through the admin API (ctl_call: in-process or --server),
 * which opens the registry and runs each change in its own transaction */
enum { CMD_NODB = 0, CMD_INIT = 3, CMD_API = 4 };

struct cmd {
	const char *name; /* command words */
	int min, max;	  /* positional arguments */
	const char *opts; /* accepted options; "x=" takes a value */
	int mode;	  /* CMD_NODB, CMD_INIT, CMD_API */
	ctl_handler fn;
	const char *usage; /* arguments after the name */
	const char *help;
};

static sztp_rc cmd_help(struct ctl *c, struct sztp_err *e);
static sztp_rc cmd_version(struct ctl *c, struct sztp_err *e);
static sztp_rc cmd_init(struct ctl *c, struct sztp_err *e);

/* Every option of `opts` appears in `usage` (tests/unit/test_ctl_usage.c). */
#define PW_OPTS "password= password-file= password-generate "
#define EV_OPTS "serial= type= since= before= after-id= limit= json"
#define EV_USAGE                                                                                   \
	"[--serial SN] [--type TYPE] [--since TIME] [--before TIME] [--after-id ID] [--limit N] "  \
	"[--json]"
#define WH_OPTS                                                                                    \
	"url= types= all-types secret-file= secret-generate ca-cert= no-ca-cert enable disable "   \
	"json"
static const struct cmd cmds[] = {
    {"init", 0, 0, "", CMD_INIT, cmd_init, "",
     "create a new, empty registry (the only command that creates one; refused when the "
     "file exists)"},
    {"device add", 1, 1, "profile= " PW_OPTS "voucher= masa-ca= idevid= json", CMD_API,
     cmd_device_add,
     "SERIAL [--profile P] [--password PW | --password-file F | --password-generate] "
     "[--voucher F.vcj [--masa-ca ROOT.pem]] [--idevid IDEVID.pem] [--json]",
     "enrol a device (--password-generate prints the new password once; --idevid pins its "
     "key)"},
    {"device list", 0, 0,
     "profile= serial-prefix= state= has-voucher= seen-since= seen-before= expiring-within= "
     "json",
     CMD_API, cmd_device_list,
     "[--profile P] [--serial-prefix S] [--state STATE] [--has-voucher yes|no] "
     "[--seen-since TIME] [--seen-before TIME] [--expiring-within DAYS] [--json]",
     "list enrolled devices (vouchers expiring within DAYS, default 30, flagged; TIME as "
     "2026-11-30T12:00:00Z, on the last contact)"},
    {"device show", 1, 1, "masa-ca= expiring-within= json", CMD_API, cmd_device_show,
     "SERIAL [--masa-ca ROOT.pem] [--expiring-within DAYS] [--json]",
     "show a device, its voucher and progress"},
    {"device remove", 1, 1, "", CMD_API, cmd_device_remove, "SERIAL",
     "remove a device (and its progress reports)"},
    {"device set", 1, 1, "profile= no-profile " PW_OPTS "no-password idevid= reset-idevid-pin json",
     CMD_API, cmd_device_set,
     "SERIAL [--profile P | --no-profile] [--password PW | --password-file F | "
     "--password-generate | --no-password] [--idevid IDEVID.pem | --reset-idevid-pin] [--json]",
     "change a device's profile, password or pinned IDevID key"},
    {"device import", 1, 1, "masa-ca= json", CMD_API, cmd_device_import,
     "FILE.csv [--masa-ca ROOT.pem] [--json]",
     "enrol devices from CSV (serial,profile,password,voucher); all or nothing"},
    {"voucher attach", 2, 2, "masa-ca= json", CMD_API, cmd_voucher_attach,
     "SERIAL FILE.vcj --masa-ca ROOT.pem [--json]", "check and store a device's ownership voucher"},
    {"voucher show", 1, 1, "masa-ca= expiring-within= json", CMD_API, cmd_voucher_show,
     "SERIAL [--masa-ca ROOT.pem] [--expiring-within DAYS] [--json]",
     "show a device's voucher (flagged when it expires within DAYS, default 30)"},
    {"voucher detach", 1, 1, "", CMD_API, cmd_voucher_detach, "SERIAL",
     "remove a device's ownership voucher"},
    {"owner set", 0, 0, "chain= key= name= force strict json", CMD_API, cmd_owner_set,
     "--chain CHAIN.pem --key KEY.pem [--name default] [--force | --strict] [--json]",
     "set the owner identity that signs conveyed information (the key stays where it is: "
     "its path is stored)"},
    {"owner show", 0, 0, "name= expiring-within= json", CMD_API, cmd_owner_show,
     "[--name default] [--expiring-within DAYS] [--json]",
     "show the owner identity (certificates expiring within DAYS, default 30, flagged)"},
    {"owner list", 0, 0, "expiring-within= json", CMD_API, cmd_owner_list,
     "[--expiring-within DAYS] [--json]",
     "list the owner identities, the certificate of each that expires first, the profiles "
     "they sign"},
    {"profile onboarding", 1, 1,
     "image-name= image-version= image-file= image-uri= config= config-handling= "
     "pre-script= post-script= sign= reporting= owner= pin-idevid no-pin-idevid lenient= "
     "strict json",
     CMD_API, cmd_profile_onboarding,
     "NAME [--image-name N --image-version V --image-file F --image-uri URI ...] "
     "[--config F --config-handling merge|replace] [--pre-script F] [--post-script F] "
     "[--sign if-requested|always|never] [--reporting minimal|verbose] [--owner NAME] "
     "[--pin-idevid | --no-pin-idevid] "
     "[--lenient empty-nonce,omit-os-fields,empty-report-members | --strict] "
     "[--json]",
     "create or replace an onboarding profile (--image-file is hashed here, not sent)"},
    {"profile redirect", 1, 1,
     "server= sign= reporting= owner= pin-idevid no-pin-idevid lenient= strict json", CMD_API,
     cmd_profile_redirect,
     "NAME --server HOST[:PORT][,TRUST_ANCHOR.pem] ... [--sign ...] [--reporting ...] "
     "[--owner NAME] [--pin-idevid | --no-pin-idevid] [--lenient NAME,... | --strict] "
     "[--json]",
     "create or replace a redirect profile"},
    {"profile list", 0, 0, "json", CMD_API, cmd_profile_list, "[--json]", "list profiles"},
    {"profile show", 1, 1, "json", CMD_API, cmd_profile_show, "NAME [--json]",
     "show a profile's conveyed information"},
    {"profile remove", 1, 1, "", CMD_API, cmd_profile_remove, "NAME",
     "remove a profile no device uses"},
    {"device timeline", 1, 1, "json", CMD_API, cmd_device_timeline, "SERIAL [--json]",
     "a device's progress reports and bootstrapping-log rows, merged by time"},
    {"progress", 0, 1, "limit= json type= since= before= after-id=", CMD_API, cmd_progress,
     "[SERIAL] [--limit N] [--json] [--type TYPE] [--since TIME] [--before TIME] "
     "[--after-id ID]",
     "show progress reports (--limit: the newest N; TIME as 2026-11-30T12:00:00Z)"},
    {"log", 0, 1, "limit= json result= since= before= after-id=", CMD_API, cmd_log,
     "[SERIAL] [--limit N] [--json] [--result RESULT] [--since TIME] [--before TIME] "
     "[--after-id ID]",
     "show the bootstrapping log (--limit: the newest N)"},
    {"prune", 0, 0, "older-than=", CMD_API, cmd_prune, "--older-than DAYS",
     "delete bootstrapping-log rows and progress reports older than DAYS"},
    {"token create", 1, 1, "scope= expires=", CMD_API, cmd_token_create,
     "NAME --scope read|write [--expires DURATION]",
     "make an admin API token and print it, only now (DURATION: 30d, 12h, 90m, 3600s)"},
    {"token list", 0, 0, "json", CMD_API, cmd_token_list, "[--json]",
     "list the admin API tokens (never their secret)"},
    {"token revoke", 1, 1, "", CMD_API, cmd_token_revoke, "NAME",
     "revoke a token (it stays listed, as revoked)"},
    {"audit", 0, 0, "actor= resource= since= limit= json", CMD_API, cmd_audit,
     "[--actor A] [--resource R] [--since TIME] [--limit N] [--json]",
     "show the audit trail of admin changes (--resource: a prefix; --limit: the newest N)"},
    {"events", 0, 0, EV_OPTS, CMD_API, cmd_events, EV_USAGE,
     "show the events told to webhooks and syslog, oldest first (--limit: the newest N)"},
    {"events list", 0, 0, EV_OPTS, CMD_API, cmd_events, EV_USAGE, "the same as 'events'"},
    {"events dead-letters", 0, 1, "json", CMD_API, cmd_events_dead_letters, "[WEBHOOK] [--json]",
     "the events a webhook's receiver did not take within webhook-max-age (of every webhook "
     "without WEBHOOK)"},
    {"events replay", 1, 2, "all", CMD_API, cmd_events_replay, "WEBHOOK (EVENT-ID | --all)",
     "queue dead letters for delivery again (before new events)"},
    {"webhook add", 1, 1, WH_OPTS, CMD_API, cmd_webhook_add,
     "NAME --url https://... (--secret-file F | --secret-generate) [--types T,T... | "
     "--all-types] [--ca-cert CA.pem | --no-ca-cert] [--enable | --disable] [--json]",
     "subscribe a receiver to events (signed with HMAC-SHA256 of the secret; "
     "--secret-generate prints the new secret once)"},
    {"webhook list", 0, 0, "json", CMD_API, cmd_webhook_list, "[--json]",
     "list the webhooks and their delivery state (never their secret)"},
    {"webhook show", 1, 1, "json", CMD_API, cmd_webhook_show, "NAME [--json]",
     "show a webhook and its delivery state"},
    {"webhook set", 1, 1, WH_OPTS, CMD_API, cmd_webhook_set,
     "NAME [--url https://...] [--types T,T... | --all-types] [--secret-file F | "
     "--secret-generate] [--ca-cert CA.pem | --no-ca-cert] [--enable | --disable] [--json]",
     "change a webhook (what is not given is kept)"},
    {"webhook remove", 1, 1, "", CMD_API, cmd_webhook_remove, "NAME",
     "remove a webhook and its dead letters"},
    {"expiring", 0, 0, "expiring-within= json", CMD_API, cmd_expiring,
     "[--expiring-within DAYS] [--json]",
     "list vouchers and owner certificates expired or expiring within DAYS (default 30); "
     "exit status 1 when there is any"},
    {"dns", 1, 1, "server= ttl= serial= json", CMD_API, cmd_dns,
     "ZONE [--server https://HOST[:PORT]]... [--ttl SECONDS] [--serial SN]... [--json]",
     "the RFC 8572 s4.2 DNS records of the enrolled devices (TXT <serial>._sztp.ZONE with "
     "ci/oc/ov, SRV _sztp._tcp.ZONE per --server) as a zone file fragment"},
    {"validate conveyed-information", 1, 1, "", CMD_NODB, cmd_validate_conveyed, "FILE",
     "check a conveyed-information document (JSON or XML) against ietf-sztp-conveyed-info"},
    {"validate voucher", 1, 1, "", CMD_NODB, cmd_validate_voucher, "FILE",
     "check a voucher's JSON against ietf-voucher"},
    {"dhcp", 1, 32, "json", CMD_NODB, cmd_dhcp, "URI... [--json]",
     "the DHCP option 143/136 values (RFC 8572 s8) for bootstrap server URIs "
     "(https://HOST[:PORT]), and configuration for Kea, ISC dhcpd and dnsmasq"},
    {"migrate", 0, 0, "from= to= json", CMD_NODB, cmd_migrate,
     "--from (sqlite:FILE | postgresql://...) --to (sqlite:FILE | postgresql://...) [--json]",
     "copy a registry into a NEW one on another backend (ids, revisions, reports, log, "
     "events, tokens, audit), in one transaction; says what it copied"},
    {"version", 0, 0, "", CMD_NODB, cmd_version, "", "print the version"},
    {"help", 0, 2, "", CMD_NODB, cmd_help, "[COMMAND]",
     "print this table, or the commands starting with COMMAND"},
};
#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage_line(FILE *f, const struct cmd *k)
{
	fprintf(f, "  %s%s%s\n", k->name, *k->usage ? " " : "", k->usage);
}

/* Do the command's words start with these n words? */
static int cmd_matches(const struct cmd *k, int n, char **words)
{
	char buf[64], *save = NULL, *w;
	int i = 0;

	snprintf(buf, sizeof(buf), "%s", k->name);
	for (w = strtok_r(buf, " ", &save); w && i < n; w = strtok_r(NULL, " ", &save), i++)
		if (strcmp(w, words[i]) != 0)
			return 0;
	return i == n;
}

/* Usage (and with help, the help text) of the commands starting with the
 * n words on f; f NULL only counts them. */
static size_t print_commands(FILE *f, int n, char **words, int help)
{
	size_t i, found = 0;

	for (i = 0; i < N_CMDS; i++) {
		if (!cmd_matches(&cmds[i], n, words))
			continue;
		found++;
		if (!f)
			continue;
		usage_line(f, &cmds[i]);
		if (help)
			fprintf(f, "      %s\n", cmds[i].help);
	}
	return found;
}

/* The help of the commands starting with the n words (all: n == 0) on
 * stdout; 0 when there is none. */
static size_t print_help(int n, char **words)
{
	if (!print_commands(NULL, n, words, 0))
		return 0;
	printf("usage: sztpctl [-d DB] [-c CONF] [--yang-dir DIR] [--json] COMMAND ...\n"
	       "       sztpctl --server https://HOST:PORT [--token-file FILE] [--cacert CA.pem]\n"
	       "               [--cert CERT.pem --key KEY.pem] [--json] COMMAND ...\n"
	       "database: -d FILE|URI (an SQLite file or a postgresql:// URI), else $SZTP_DB,\n"
	       "  else `database` in the sztpd config (-c CONF, default " DEFAULT_CONF "),\n"
	       "  read as sztpd reads it\n"
	       "--server URL, else $SZTP_SERVER when no local registry is named: every command\n"
	       "  through sztpd's admin API over HTTPS, with the same arguments and output;\n"
	       "  init and validate stay local.  Token: first line of --token-file FILE (mode\n"
	       "  0600 or stricter), else $SZTP_TOKEN; server CA: --cacert FILE, else\n"
	       "  $SZTP_CACERT, else the system store; --cert/--key: admin client certificate\n"
	       "voucher anchor: --masa-ca FILE or $SZTP_MASA_CA\n"
	       "--json: JSON output (before or after the command); a command that prints a\n"
	       "  sentence prints {\"result\": \"...\"}\n\ncommands:\n");
	return print_commands(stdout, n, words, 1);
}

/* --json help: the table as {"commands": [{"command", "usage", "help"}]}. */
static sztp_rc help_json(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	json_t *o = json_object(), *a = json_array();
	size_t i;

	if (!o || !a || json_object_set(o, "commands", a) != 0)
		goto out;
	for (i = 0; i < N_CMDS; i++)
		if (cmd_matches(&cmds[i], c->npos, c->pos) &&
		    json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "command", cmds[i].name,
						       "usage", cmds[i].usage, "help",
						       cmds[i].help)) != 0)
			goto out;
	if (json_array_size(a) == 0) {
		rc = SZTP_E_NOT_FOUND;
		goto out;
	}
	rc = ctl_print_json(o, e);
out:
	json_decref(a);
	json_decref(o);
	if (rc == SZTP_E_NOMEM)
		sztp_err_set(e, rc, "out of memory");
	return rc;
}

static sztp_rc cmd_help(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc = c->json ? help_json(c, e) : SZTP_OK;

	if (rc == SZTP_OK && !c->json && !print_help(c->npos, c->pos))
		rc = SZTP_E_NOT_FOUND;
	if (rc == SZTP_E_NOT_FOUND)
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "no command '%s%s%s'; try 'sztpctl help'",
				    c->pos[0], c->npos > 1 ? " " : "",
				    c->npos > 1 ? c->pos[1] : "");
	return rc;
}

static sztp_rc cmd_version(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	json_t *o;

	if (!c->json) {
		printf("sztpctl %s\n", SZTP_VERSION);
		return SZTP_OK;
	}
	if (!(o = json_pack("{s:s}", "version", SZTP_VERSION)))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	rc = ctl_print_json(o, e);
	json_decref(o);
	return rc;
}

/* run() has created the registry already. */
static sztp_rc cmd_init(struct ctl *c, struct sztp_err *e)
{
	char shown[1024];

	reg_redact(c->reg_path, shown, sizeof(shown));
	ctl_done(c, "created registry %s (schema version %d)", shown, reg_schema_version(c->reg));
	return SZTP_OK;
}

/* ---- options ------------------------------------------------------------ */

const char *opt_get(const struct ctl *c, const char *name)
{
	int i;

	for (i = c->nopts - 1; i >= 0; i--)
		if (strcmp(c->opts[i].name, name) == 0)
			return c->opts[i].value;
	return NULL;
}

int opt_has(const struct ctl *c, const char *name)
{
	int i;

	for (i = 0; i < c->nopts; i++)
		if (strcmp(c->opts[i].name, name) == 0)
			return 1;
	return 0;
}

size_t opt_all(const struct ctl *c, const char *name, const char **out, size_t max)
{
	size_t n = 0;
	int i;

	for (i = 0; i < c->nopts && n < max; i++)
		if (strcmp(c->opts[i].name, name) == 0)
			out[n++] = c->opts[i].value;
	return n;
}

sztp_rc opt_int(const struct ctl *c, const char *name, long min, long max, long *v,
		struct sztp_err *e)
{
	const char *s = opt_get(c, name);
	char *end;
	long x;

	if (!s)
		return SZTP_OK;
	errno = 0;
	x = strtol(s, &end, 10);
	if (errno || end == s || *end || x < min || x > max)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "--%s wants a number from %ld to %ld, not '%s'", name, min, max,
				    s);
	*v = x;
	return SZTP_OK;
}

/* Does the table's option list accept --name, and with a value? */
static int opt_lookup(const char *spec, const char *name, size_t nlen, int *has_value)
{
	const char *p = spec;

	while (*p) {
		size_t l = strcspn(p, " ");
		size_t base = (l && p[l - 1] == '=') ? l - 1 : l;
		if (base == nlen && strncmp(p, name, nlen) == 0) {
			*has_value = base != l;
			return 1;
		}
		p += l;
		while (*p == ' ')
			p++;
	}
	return 0;
}

static sztp_rc parse_args(struct ctl *c, const struct cmd *k, int argc, char **argv,
			  struct sztp_err *e)
{
	int i, has_value, only_pos = 0;

	for (i = 0; i < argc; i++) {
		char *a = argv[i];
		if (only_pos || strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (!only_pos && strcmp(a, "--") == 0) {
				only_pos = 1;
				continue;
			}
			if (c->npos >= CTL_MAX_POS || c->npos >= k->max)
				return sztp_err_set(e, SZTP_E_INVALID_VALUE,
						    "too many arguments for '%s' (usage: %s %s)",
						    k->name, k->name, k->usage);
			c->pos[c->npos++] = a;
			continue;
		}
		char *name = a + 2, *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		if (strcmp(name, "json") == 0 && !opt_lookup(k->opts, name, nlen, &has_value)) {
			c->json = 1; /* every command has JSON output */
			continue;
		}
		if (!opt_lookup(k->opts, name, nlen, &has_value))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "unknown option --%.*s for '%s' (usage: %s %s)",
					    (int)nlen, name, k->name, k->name, k->usage);
		if (c->nopts >= CTL_MAX_OPTS)
			return sztp_err_set(e, SZTP_E_TOO_BIG, "more than %d options",
					    CTL_MAX_OPTS);
		if (eq)
			*eq = '\0';
		c->opts[c->nopts].name = name;
		c->opts[c->nopts].value = NULL;
		if (has_value) {
			if (eq)
				c->opts[c->nopts].value = eq + 1;
			else if (i + 1 < argc)
				c->opts[c->nopts].value = argv[++i];
			else
				return sztp_err_set(e, SZTP_E_INVALID_VALUE,
						    "option --%s needs a value", name);
		} else if (eq) {
			return sztp_err_set(e, SZTP_E_INVALID_VALUE, "option --%s takes no value",
					    name);
		}
		c->nopts++;
	}
	if (c->npos < k->min)
		return sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
				    "missing argument for '%s' (usage: %s %s)", k->name, k->name,
				    k->usage);
	if (opt_has(c, "json"))
		c->json = 1;
	return SZTP_OK;
}

/* The longest table entry whose words start argv; *used = words taken. */
static const struct cmd *cmd_find(int argc, char **argv, int *used)
{
	const struct cmd *best = NULL;
	int best_n = 0;
	size_t i;

	for (i = 0; i < N_CMDS; i++) {
		char buf[64], *save = NULL, *w;
		int n = 0, ok = 1;
		snprintf(buf, sizeof(buf), "%s", cmds[i].name);
		for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save), n++)
			if (n >= argc || strcmp(w, argv[n]) != 0) {
				ok = 0;
				break;
			}
		if (ok && n > best_n) {
			best = &cmds[i];
			best_n = n;
		}
	}
	*used = best_n;
	return best;
}

/* ---- shared helpers ----------------------------------------------------- */

void ctl_done(struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->done, sizeof(c->done), fmt, ap);
	va_end(ap);
}

void ctl_done_member(struct ctl *c, const char *name, json_t *v)
{
	if (!c->done_json)
		c->done_json = json_object();
	if (!c->done_json || json_object_set_new(c->done_json, name, v) != 0)
		json_decref(v);
}

/* The command's closing sentence: a line of text, or with --json
 * {"result": "...", members of ctl_done_member...} when the command has
 * not printed its JSON answer already. */
static sztp_rc print_done(struct ctl *c, struct sztp_err *e)
{
	sztp_rc rc;
	json_t *o;

	if (!c->json) {
		printf("%s\n", c->done);
		return SZTP_OK;
	}
	if (ctl_json_printed())
		return SZTP_OK;
	if (!(o = json_pack("{s:s}", "result", c->done)) ||
	    (c->done_json && json_object_update(o, c->done_json) != 0)) {
		json_decref(o);
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	rc = ctl_print_json(o, e);
	json_decref(o);
	return rc;
}

void ctl_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("sztpctl: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *ctl_text(const char *s, char buf[CTL_TEXT_MAX])
{
	static const char hex[] = "0123456789abcdef";
	const char *p;
	size_t o = 0;

	if (!s)
		return "";
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			break;
	if (!*p)
		return s;
	for (p = s; *p && o + 5 < CTL_TEXT_MAX; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = '\\';
		} else if (ch < 0x20 || ch == 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[ch >> 4];
			buf[o++] = hex[ch & 15];
		} else {
			buf[o++] = (char)ch;
		}
	}
	buf[o] = '\0';
	return buf;
}

const char *ctl_time(int64_t t, char buf[32])
{
	if (t == 0)
		return "-";
	time_rfc3339((time_t)t, buf);
	return buf;
}

sztp_rc ctl_check_serial(const char *s, struct sztp_err *e)
{
	struct sztp_err pe = {SZTP_OK, ""};

	if (pki_serial_check(s, &pe) != SZTP_OK)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "bad serial number: %s (1 to %d bytes of UTF-8 without "
				    "control characters)",
				    pe.msg, PKI_SERIAL_MAX - 1);
	return SZTP_OK;
}

sztp_rc ctl_check_name(const char *what, const char *s, struct sztp_err *e)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= REG_NAME_MAX)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE, "%s name must be 1 to %d characters",
				    what, REG_NAME_MAX - 1);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "%s name '%s': use letters, digits, '-', '_' and '.'",
					    what, s);
	}
	return SZTP_OK;
}

sztp_rc ctl_read_password(const char *path, char *out, size_t outlen, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INVALID_VALUE;
	sztp_bytes b = {NULL, 0};
	size_t n;

	if (file_read(path, 4096, &b, e) != SZTP_OK) {
		rc = e ? e->rc : SZTP_E_IO;
		goto out;
	}
	n = strcspn((const char *)b.data, "\r\n");
	if (n == 0) {
		sztp_err_set(e, rc, "password file %s is empty", path);
		goto out;
	}
	if (n >= outlen || memchr(b.data, '\0', n)) {
		sztp_err_set(e, rc, "password in %s is too long or binary", path);
		goto out;
	}
	memcpy(out, b.data, n);
	out[n] = '\0';
	rc = SZTP_OK;
out:
	sztp_bytes_wipe(&b);
	return rc;
}

static const char *yang_dir(const struct ctl *c)
{
	const char *env = getenv("SZTP_YANG_DIR");

	if (c->yang_dir)
		return c->yang_dir;
	if (env && *env)
		return env;
	return sztp_yang_dir_default();
}

sztp_rc ctl_yang(struct ctl *c, struct sztp_yang **y, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;

	if (!c->y)
		rc = yang_open(yang_dir(c), &c->y, e);
	*y = c->y;
	return rc;
}

sztp_rc ctl_masa(struct ctl *c, int required, const struct pki_trust **t, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;
	const char *path = opt_get(c, "masa-ca");

	*t = NULL;
	if (!path)
		path = getenv("SZTP_MASA_CA");
	if (!path || !*path) {
		if (required)
			return sztp_err_set(e, SZTP_E_MISSING_ELEMENT,
					    "no voucher trust anchor: use --masa-ca ROOT.pem "
					    "or set SZTP_MASA_CA");
		return SZTP_OK;
	}
	if (!c->masa) {
		snprintf(c->masa_path, sizeof(c->masa_path), "%s", path);
		if ((rc = pki_trust_load(path, &c->masa, e)) != SZTP_OK)
			return rc;
	}
	*t = c->masa;
	return rc;
}

/* ---- database selection -------------------------------------------------- */

/* The `database` of sztpd's config file, read through sztpd's own table
 * (server/config.c): relative paths, comments and quotes mean what they
 * mean to sztpd, and a file sztpd would refuse is refused with sztpd's
 * message.  *path is a new string. */
static sztp_rc conf_database(const char *conf, char **path, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOT_FOUND;
	struct config cfg;
	struct sztp_err ce = {SZTP_OK, ""};

	*path = NULL;
	rc = config_load(conf, &cfg, &ce);
	if (rc == SZTP_E_IO)
		return sztp_err_set(
		    e, SZTP_E_NOT_FOUND,
		    "no database: use -d FILE|URI (or set SZTP_DB), or -c CONF naming "
		    "sztpd's config (%s)",
		    ce.msg);
	if (rc != SZTP_OK)
		return sztp_err_set(e, rc, "%s", ce.msg);
	*path = cfg.database; /* taken from cfg */
	cfg.database = NULL;
	config_free(&cfg);
	return SZTP_OK;
}

/* The registry named by -d, else $SZTP_DB, else sztpd's config: created
 * by init only, otherwise it must exist (a mistyped path is named, not
 * created). */
static sztp_rc open_db(struct ctl *c, int create, char **owned, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOT_FOUND;
	const char *path = c->db_path, *from = "-d";
	const char *conf = c->conf_path ? c->conf_path : DEFAULT_CONF;
	char src[600];

	if (!path && (path = getenv("SZTP_DB")) != NULL)
		from = "$SZTP_DB";
	if (!path || !*path) {
		if ((rc = conf_database(conf, owned, e)) != SZTP_OK)
			return rc;
		path = *owned;
		from = "the database of ";
	}
	snprintf(src, sizeof(src), "%s%s", from, path == *owned ? conf : "");
	c->reg_path = path;
	if (create) {
		struct sztp_err ce = {SZTP_OK, ""};
		rc = reg_create(path, &c->reg, &ce);
		if (rc == SZTP_E_EXISTS)
			return sztp_err_set(e, rc, "%s (from %s); init creates a new registry only",
					    ce.msg, src);
		if (rc != SZTP_OK)
			sztp_err_set(e, rc, "%s", ce.msg);
		return rc;
	}
	rc = reg_open_existing(path, &c->reg, e);
	if (rc == SZTP_E_NOT_FOUND) {
		char shown[1024];

		reg_redact(path, shown, sizeof(shown));
		sztp_err_set(e, rc,
			     "no registry %s (from %s): check the path, or create a new one with "
			     "'sztpctl init'",
			     shown, src);
	}
	return rc;
}

sztp_rc ctl_open_db(struct ctl *c, struct sztp_err *e)
{
	if (c->reg)
		return SZTP_OK;
	return open_db(c, 0, &c->conf_db, e);
}

static int run(struct ctl *c, const struct cmd *k, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_INTERNAL;
	char *conf_db = NULL;

	if (c->server && k->mode == CMD_INIT) {
		rc = sztp_err_set(e, SZTP_E_UNSUPPORTED,
				  "'init' creates a local registry file and does not work with "
				  "--server; run 'sztpctl init' on sztpd's host");
		goto out;
	}
	if (k->mode == CMD_INIT && (rc = open_db(c, 1, &conf_db, e)) != SZTP_OK)
		goto out;
	rc = k->fn(c, e);
	if (rc == SZTP_OK && c->done[0])
		rc = print_done(c, e);
out:
	free(conf_db);
	return rc == SZTP_OK ? 0 : 1;
}

/* One line, whatever a library put in the message. */
static void print_error(struct sztp_err *e)
{
	char *p;

	for (p = e->msg; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	fprintf(stderr, "sztpctl: error: %s\n", e->msg[0] ? e->msg : "command failed");
}

/* Leading words of argv (up to the first option). */
static int count_words(int argc, char **argv)
{
	int n = 0;

	while (n < argc && argv[n][0] != '-')
		n++;
	return n;
}

/* An unknown command; "sztpctl device": list that group's commands. */
static int unknown_command(int argc, char **argv)
{
	int n = count_words(argc, argv) < 2 ? 1 : 2;

	if (n == 1 && print_commands(NULL, 1, argv, 0))
		fprintf(stderr, "sztpctl: error: '%s' needs a subcommand\n", argv[0]);
	else
		fprintf(stderr, "sztpctl: error: unknown command '%s%s%s'; try 'sztpctl help'\n",
			argv[0], n > 1 ? " " : "", n > 1 ? argv[1] : "");
	if (print_commands(NULL, 1, argv, 0)) {
		fprintf(stderr, "usage:\n");
		print_commands(stderr, 1, argv, 0);
	}
	return 2;
}

/* --help or -h among the arguments (before a "--"). */
static int wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: sztpctl [-d DB] [-c CONF] [--yang-dir DIR] [--json] COMMAND ...\n"
			"       sztpctl --server https://HOST:PORT [--token-file FILE] "
			"[--cacert CA.pem]\n"
			"               [--cert CERT.pem --key KEY.pem] [--json] COMMAND ...\n"
			"       sztpctl help\n");
	return 2;
}

/* The global option a names (and whether it takes a value), or NULL. */
static const char **global_opt(struct ctl *c, const char *a, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} t[] = {
	    {"-d", offsetof(struct ctl, db_path)},
	    {"-c", offsetof(struct ctl, conf_path)},
	    {"--yang-dir", offsetof(struct ctl, yang_dir)},
	    {"--server", offsetof(struct ctl, server)},
	    {"--token-file", offsetof(struct ctl, token_file)},
	    {"--cacert", offsetof(struct ctl, cacert)},
	    {"--cert", offsetof(struct ctl, cert)},
	    {"--key", offsetof(struct ctl, key)},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].name) == len && strncmp(a, t[i].name, len) == 0)
			return (const char **)(void *)((char *)c + t[i].off);
	return NULL;
}

/* Local registry or --server: the options of one may not be mixed with the
 * other's (a -d beside --server would be silently ignored).  $SZTP_SERVER
 * stands for --server unless a local registry is named (-d, -c, $SZTP_DB);
 * $SZTP_CACERT for --cacert. */
static int transport_check(struct ctl *c)
{
	const char *env = getenv("SZTP_SERVER");
	const char *remote_opt = c->token_file ? "--token-file"
				 : c->cacert   ? "--cacert"
				 : c->cert     ? "--cert"
				 : c->key      ? "--key"
					       : NULL;

	if (c->server && (c->db_path || c->conf_path)) {
		fprintf(stderr,
			"sztpctl: error: %s names a local registry; with --server the registry "
			"is sztpd's\n",
			c->db_path ? "-d" : "-c");
		return usage();
	}
	if (!c->server && !c->db_path && !c->conf_path && !getenv("SZTP_DB") && env && *env)
		c->server = env;
	if (!c->server && remote_opt) {
		fprintf(stderr,
			"sztpctl: error: %s is an option of --server https://HOST:PORT (the admin "
			"API); a local registry needs none\n",
			remote_opt);
		return usage();
	}
	if (c->server && !c->cacert && (env = getenv("SZTP_CACERT")) != NULL && *env)
		c->cacert = env;
	return 0;
}

int main(int argc, char **argv)
{
	static struct ctl c; /* large; zeroed */
	struct sztp_err e = {SZTP_OK, ""};
	const struct cmd *k;
	int i = 1, used, status;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		const char **dst;
		if (strcmp(a, "--json") == 0) {
			c.json = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return cmd_help(&c, &e) == SZTP_OK ? 0 : 1;
		if (!(dst = global_opt(&c, a, eq && a[1] == '-' ? (size_t)(eq - a) : strlen(a)))) {
			fprintf(stderr, "sztpctl: error: unknown option %s\n", a);
			return usage();
		}
		if (eq && a[1] == '-') { /* --server=URL */
			*dst = eq + 1;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "sztpctl: error: option %s needs a value\n", a);
			return usage();
		}
		*dst = argv[++i];
	}
	if (transport_check(&c))
		return 2;
	if (i >= argc)
		return usage();
	k = cmd_find(argc - i, argv + i, &used);
	if (!k && wants_help(argc - i, argv + i) &&
	    print_help(count_words(argc - i, argv + i), argv + i)) /* sztpctl device --help */
		return 0;
	if (!k)
		return unknown_command(argc - i, argv + i);
	if (wants_help(argc - i - used, argv + i + used)) /* sztpctl device add --help */
		return print_help(used, argv + i) ? 0 : 1;
	c.cmd = k->name;
	if (parse_args(&c, k, argc - i - used, argv + i + used, &e) != SZTP_OK) {
		fprintf(stderr, "sztpctl: error: %s\n", e.msg);
		return 2;
	}
	status = run(&c, k, &e);
	if (status)
		print_error(&e);
	if (fflush(stdout) != 0 && status == 0) {
		fprintf(stderr, "sztpctl: error: writing output: %s\n", strerror(errno));
		status = 1;
	}
	if (c.masa)
		pki_trust_free(c.masa);
	if (c.y)
		yang_close(c.y);
	ctl_admin_close(&c);
	if (c.reg)
		reg_close(c.reg);
	json_decref(c.done_json);
	free(c.conf_db);
	return status;
}
