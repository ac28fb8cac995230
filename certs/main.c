/*
 * main.c - sztp-pki, the demo/test PKI tool of the sztp project: mints
 * the manufacturer PKI (root, IDevID intermediate, MASA voucher signer),
 * the owner PKI (root CA, owner signing certificate, bootstrap server TLS
 * certificate), device IDevIDs with the subject serialNumber RFC 8572
 * s5.3 relies on, and RFC 8366 ownership vouchers (RFC 8572 s3.3).
 * This file holds the command table and option parsing; every option
 * error names the option and exits 2, runtime failures exit 1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "pki_mint.h"
#include "util.h"
#include "vouch.h"

enum opt_id {
	O_HELP = 'h',
	O_OUT = 256,
	O_PKI,
	O_CA,
	O_SERIAL,
	O_COUNT,
	O_PREFIX,
	O_SAN,
	O_MODEL,
	O_NAME,
	O_NONCE,
	O_PINNED,
	O_ASSERTION,
	O_SIGNER_KEY,
	O_SIGNER_CERT,
	O_DAYS,
	O_VOUCHER_DAYS,
	O_RSA,
	O_FORCE,
	O_NO_SERIAL_ATTR,
	O_SUBJECT_SERIAL,
	O_NO_VOUCHER,
	O_NO_EXPIRY,
	O_CLIENT,
	O_SERVER,
	O_NOT_BEFORE,
	O_NOT_AFTER,
	O_CREATED_ON,
	O_EXPIRES_ON,
	O_ISSUER,
	O_REVOKE,
	O_REVOKE_CERT,
	O_THIS_UPDATE,
	O_NEXT_UPDATE,
};

/* Per-command option tables (getopt_long); every table ends with --help. */
static const struct option init_opts[] = {
    {"out", required_argument, NULL, O_OUT},
    {"serial", required_argument, NULL, O_SERIAL},
    {"count", required_argument, NULL, O_COUNT},
    {"prefix", required_argument, NULL, O_PREFIX},
    {"server-san", required_argument, NULL, O_SAN},
    {"days", required_argument, NULL, O_DAYS},
    {"voucher-days", required_argument, NULL, O_VOUCHER_DAYS},
    {"model", required_argument, NULL, O_MODEL},
    {"rsa", no_argument, NULL, O_RSA},
    {"force", no_argument, NULL, O_FORCE},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};
static const struct option device_opts[] = {
    {"pki", required_argument, NULL, O_PKI},
    {"serial", required_argument, NULL, O_SERIAL},
    {"model", required_argument, NULL, O_MODEL},
    {"not-before", required_argument, NULL, O_NOT_BEFORE},
    {"not-after", required_argument, NULL, O_NOT_AFTER},
    {"days", required_argument, NULL, O_DAYS},
    {"voucher-days", required_argument, NULL, O_VOUCHER_DAYS},
    {"rsa", no_argument, NULL, O_RSA},
    {"force", no_argument, NULL, O_FORCE},
    {"no-serial-attr", no_argument, NULL, O_NO_SERIAL_ATTR},
    {"subject-serial", required_argument, NULL, O_SUBJECT_SERIAL},
    {"no-voucher", no_argument, NULL, O_NO_VOUCHER},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};
static const struct option voucher_opts[] = {
    {"pki", required_argument, NULL, O_PKI},
    {"serial", required_argument, NULL, O_SERIAL},
    {"out", required_argument, NULL, O_OUT},
    {"created-on", required_argument, NULL, O_CREATED_ON},
    {"expires-on", required_argument, NULL, O_EXPIRES_ON},
    {"no-expiry", no_argument, NULL, O_NO_EXPIRY},
    {"voucher-days", required_argument, NULL, O_VOUCHER_DAYS},
    {"nonce", required_argument, NULL, O_NONCE},
    {"pinned", required_argument, NULL, O_PINNED},
    {"assertion", required_argument, NULL, O_ASSERTION},
    {"signer-key", required_argument, NULL, O_SIGNER_KEY},
    {"signer-cert", required_argument, NULL, O_SIGNER_CERT},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};
static const struct option ca_opts[] = {
    {"out", required_argument, NULL, O_OUT},
    {"name", required_argument, NULL, O_NAME},
    {"days", required_argument, NULL, O_DAYS},
    {"rsa", no_argument, NULL, O_RSA},
    {"force", no_argument, NULL, O_FORCE},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};
static const struct option leaf_opts[] = {
    {"ca", required_argument, NULL, O_CA},
    {"out", required_argument, NULL, O_OUT},
    {"serial", required_argument, NULL, O_SERIAL},
    {"san", required_argument, NULL, O_SAN},
    {"days", required_argument, NULL, O_DAYS},
    {"not-before", required_argument, NULL, O_NOT_BEFORE},
    {"not-after", required_argument, NULL, O_NOT_AFTER},
    {"client", no_argument, NULL, O_CLIENT},
    {"server", no_argument, NULL, O_SERVER},
    {"rsa", no_argument, NULL, O_RSA},
    {"force", no_argument, NULL, O_FORCE},
    {"no-serial-attr", no_argument, NULL, O_NO_SERIAL_ATTR},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

static const struct option crl_opts[] = {
    {"pki", required_argument, NULL, O_PKI},
    {"ca", required_argument, NULL, O_CA},
    {"issuer", required_argument, NULL, O_ISSUER},
    {"revoke", required_argument, NULL, O_REVOKE},
    {"revoke-cert", required_argument, NULL, O_REVOKE_CERT},
    {"out", required_argument, NULL, O_OUT},
    {"this-update", required_argument, NULL, O_THIS_UPDATE},
    {"next-update", required_argument, NULL, O_NEXT_UPDATE},
    {"days", required_argument, NULL, O_DAYS},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

struct command {
	const char *name;
	const struct option *opts;
	sztp_rc (*run)(const struct cmd_opts *o, struct sztp_err *e);
	const char *usage;
};

static const struct command commands[] = {
    {"init", init_opts, cmd_init,
     "init --out DIR [--serial SN]... [--count N [--prefix SN-]] [--rsa]\n"
     "       [--server-san DNS:name,IP:addr,...] [--days N] [--voucher-days N]\n"
     "       [--model NAME|OID] [--force]\n"
     "    mint a complete PKI (manufacturer, owner, server, devices + vouchers)"},
    {"device", device_opts, cmd_device,
     "device --pki DIR --serial SN [--model NAME|OID] [--rsa] [--not-before T]\n"
     "       [--not-after T] [--days N] [--no-serial-attr | --subject-serial TEXT]\n"
     "       [--no-voucher] [--force]\n"
     "    add one IDevID (and its voucher) to an existing PKI; --subject-serial puts\n"
     "    TEXT in the certificate's serialNumber instead of SN (e.g. a Cisco SUDI's\n"
     "    'PID:C9300-24T SN:FOC2233X0AB'; the voucher keeps SN)"},
    {"voucher", voucher_opts, cmd_voucher,
     "voucher --pki DIR --serial SN [--out FILE] [--created-on T]\n"
     "       [--expires-on T | --no-expiry | --voucher-days N] [--nonce B64]\n"
     "       [--pinned FILE.pem] [--assertion verified|logged|proximity]\n"
     "       [--signer-key KEY --signer-cert CHAIN.pem]\n"
     "    mint an ownership voucher (default out: DIR/devices/SN/voucher.vcj)"},
    {"ca", ca_opts, cmd_ca,
     "ca --out DIR [--name CN] [--rsa] [--days N] [--force]\n"
     "    a standalone CA: DIR/ca.pem, DIR/ca.key"},
    {"leaf", leaf_opts, cmd_leaf,
     "leaf --ca DIR --out PREFIX --serial SN [--client|--server] [--san LIST]\n"
     "       [--not-before T] [--not-after T] [--days N] [--rsa] [--no-serial-attr] [--force]\n"
     "    a leaf from a standalone CA: PREFIX.pem, PREFIX.key, PREFIX-chain.pem"},
    {"crl", crl_opts, cmd_crl,
     "crl (--pki DIR [--issuer intermediate|root] | --ca DIR) [--revoke SN]...\n"
     "       [--revoke-cert FILE.pem]... [--out FILE] [--this-update T]\n"
     "       [--next-update T | --days N]\n"
     "    a CRL revoking devices' IDevIDs (--revoke SN) or any certificates the issuer\n"
     "    signed (default out: DIR/manufacturer/ISSUER.crl or DIR/ca.crl)"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: sztp-pki COMMAND [OPTIONS]   (T = RFC 3339, e.g. 2020-01-01T00:00:00Z)\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  sztp-pki %s\n", commands[i].usage);
}

static int usage_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sztp-pki %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(run 'sztp-pki %s --help' for the options)\n", cmd);
	return 2;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_time(const char *s, time_t *out)
{
	time_t t = time_parse_rfc3339(s);

	if (t <= 0)
		return -1;
	*out = t;
	return 0;
}

static int add_str(const char ***list, size_t *n, const char *v)
{
	const char **nl = realloc(*list, (*n + 1) * sizeof(*nl));

	if (!nl)
		return -1;
	*list = nl;
	(*list)[(*n)++] = v;
	return 0;
}

static int add_serial(struct cmd_opts *o, const char *sn)
{
	const char **n = realloc(o->serials, (o->n_serials + 1) * sizeof(*n));

	if (!n)
		return -1;
	o->serials = n;
	o->serials[o->n_serials++] = sn;
	return 0;
}

/* Apply one option; returns 0, or prints the problem and returns 2. */
static int apply_opt(const char *cmd, int id, const char *arg, struct cmd_opts *o)
{
	switch (id) {
	case O_OUT:
		o->out = arg;
		break;
	case O_PKI:
		o->pki = arg;
		break;
	case O_CA:
		o->ca = arg;
		break;
	case O_SERIAL:
	case O_REVOKE:
		if (add_serial(o, arg) < 0)
			return usage_err(cmd, "out of memory");
		break;
	case O_REVOKE_CERT:
		if (add_str(&o->revoke_certs, &o->n_revoke_certs, arg) < 0)
			return usage_err(cmd, "out of memory");
		break;
	case O_ISSUER:
		if (strcmp(arg, "intermediate") != 0 && strcmp(arg, "root") != 0)
			return usage_err(cmd, "--issuer \"%s\": want intermediate or root", arg);
		o->issuer = arg;
		break;
	case O_COUNT:
		if (parse_long(arg, 1, 1000000, &o->count) < 0)
			return usage_err(cmd, "--count \"%s\": want a number 1..1000000", arg);
		break;
	case O_PREFIX:
		o->prefix = arg;
		break;
	case O_SAN:
		o->server_san = arg;
		break;
	case O_MODEL:
		o->model = arg;
		break;
	case O_NAME:
		o->name = arg;
		break;
	case O_NONCE:
		o->nonce = arg;
		break;
	case O_PINNED:
		o->pinned = arg;
		break;
	case O_ASSERTION:
		o->assertion = arg;
		break;
	case O_SIGNER_KEY:
		o->signer_key = arg;
		break;
	case O_SIGNER_CERT:
		o->signer_cert = arg;
		break;
	case O_DAYS:
		if (parse_long(arg, 1, 36500, &o->days) < 0)
			return usage_err(cmd, "--days \"%s\": want a number 1..36500", arg);
		break;
	case O_VOUCHER_DAYS:
		if (parse_long(arg, 1, 36500, &o->voucher_days) < 0)
			return usage_err(cmd, "--voucher-days \"%s\": want a number 1..36500", arg);
		break;
	case O_RSA:
		o->rsa = 1;
		break;
	case O_FORCE:
		o->force = 1;
		break;
	case O_NO_SERIAL_ATTR:
		o->no_serial_attr = 1;
		break;
	case O_SUBJECT_SERIAL:
		o->subject_serial = arg;
		break;
	case O_NO_VOUCHER:
		o->no_voucher = 1;
		break;
	case O_NO_EXPIRY:
		o->no_expiry = 1;
		break;
	case O_CLIENT:
		o->client = 1;
		break;
	case O_SERVER:
		o->server = 1;
		break;
	case O_NOT_BEFORE:
	case O_NOT_AFTER:
	case O_CREATED_ON:
	case O_EXPIRES_ON:
	case O_THIS_UPDATE:
	case O_NEXT_UPDATE: {
		time_t *t = id == O_NOT_BEFORE	  ? &o->not_before
			    : id == O_NOT_AFTER	  ? &o->not_after
			    : id == O_CREATED_ON  ? &o->created_on
			    : id == O_EXPIRES_ON  ? &o->expires_on
			    : id == O_THIS_UPDATE ? &o->this_update
						  : &o->next_update;
		if (parse_time(arg, t) < 0)
			return usage_err(
			    cmd, "bad time \"%s\": want RFC 3339, e.g. 2020-01-01T00:00:00Z", arg);
		break;
	}
	default:
		return usage_err(cmd, "internal: unhandled option");
	}
	return 0;
}

/* A serialNumber attribute's text (ub-serial-number): 1..64 printable
 * ASCII characters. */
static int subject_serial_ok(const char *s)
{
	size_t len = strlen(s), i;

	if (len < 1 || len > CMD_SERIAL_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* Checks that need several options together. */
static int check_opts(const struct command *c, struct cmd_opts *o)
{
	const char *n = c->name;
	size_t i;

	if ((c->run == cmd_init || c->run == cmd_ca) && !o->out)
		return usage_err(n, "--out DIR is required");
	if ((c->run == cmd_device || c->run == cmd_voucher) && !o->pki)
		return usage_err(n, "--pki DIR is required");
	if (c->run == cmd_leaf && (!o->ca || !o->out))
		return usage_err(n, "--ca DIR and --out PREFIX are required");
	if (c->run == cmd_crl && !o->pki == !o->ca)
		return usage_err(n, "give --pki DIR or --ca DIR");
	if (c->run == cmd_crl && o->ca && (o->issuer || o->n_serials))
		return usage_err(n, "--issuer and --revoke go with --pki (use --revoke-cert)");
	if (c->run == cmd_crl && o->next_update && o->days)
		return usage_err(n, "--next-update excludes --days");
	if (c->run == cmd_crl && o->next_update && o->next_update <= o->this_update)
		return usage_err(n, "--next-update is not after --this-update");
	if (c->run != cmd_init && c->run != cmd_ca && c->run != cmd_crl && o->n_serials != 1)
		return usage_err(n, "exactly one --serial SN is required");
	if (o->prefix && !o->count)
		return usage_err(n, "--prefix needs --count");
	for (i = 0; c->run != cmd_voucher && i < o->n_serials; i++) {
		if (!cmd_serial_ok(o->serials[i]))
			return usage_err(
			    n,
			    "bad serial number \"%s\": 1..64 printable ASCII characters "
			    "(space included), no '/', not starting with '.'",
			    o->serials[i]);
	}
	if (c->run == cmd_voucher && (!*o->serials[0] || strlen(o->serials[0]) >= 128))
		return usage_err(n, "bad serial number \"%s\": 1..127 characters", o->serials[0]);
	if (o->prefix && !cmd_serial_ok(o->prefix))
		return usage_err(n, "bad --prefix \"%s\"", o->prefix);
	if (o->subject_serial && o->no_serial_attr)
		return usage_err(n, "--subject-serial and --no-serial-attr exclude each other");
	if (o->subject_serial && !subject_serial_ok(o->subject_serial))
		return usage_err(n,
				 "bad --subject-serial \"%s\": 1..64 printable ASCII characters "
				 "(space included)",
				 o->subject_serial);
	if (o->client && o->server)
		return usage_err(n, "--client and --server exclude each other");
	if (o->no_expiry && (o->expires_on || o->voucher_days))
		return usage_err(n, "--no-expiry excludes --expires-on and --voucher-days");
	if (o->expires_on && o->voucher_days)
		return usage_err(n, "--expires-on excludes --voucher-days");
	if (o->assertion && !vouch_assertion_ok(o->assertion))
		return usage_err(n, "--assertion \"%s\": want verified, logged or proximity",
				 o->assertion);
	if (!o->signer_key != !o->signer_cert)
		return usage_err(n, "--signer-key and --signer-cert go together");
	if (o->nonce) {
		sztp_bytes nb = {NULL, 0};
		if (b64_decode(o->nonce, strlen(o->nonce), &nb, NULL) != SZTP_OK)
			return usage_err(n, "--nonce \"%s\" is not strict base64", o->nonce);
		sztp_bytes_free(&nb);
	}
	if (o->model && !*o->model)
		return usage_err(n, "--model needs a non-empty value");
	if (o->server_san) {
		struct sztp_err e = {0, ""};
		if (mint_san_check(o->server_san, &e) != SZTP_OK)
			return usage_err(n, "%s", e.msg);
	}
	return 0;
}

/* Parse argv for command c into o; 0 on success, else an exit code. */
static int parse_opts(const struct command *c, int argc, char **argv, struct cmd_opts *o)
{
	int id, rc, li = 0;

	opterr = 0;
	optind = 1;
	while ((id = getopt_long(argc, argv, ":h", c->opts, &li)) != -1) {
		if (id == O_HELP) {
			printf("usage: sztp-pki %s\n", c->usage);
			return -1;
		}
		if (id == ':')
			return usage_err(c->name, "option %s needs a value", argv[optind - 1]);
		if (id == '?')
			return usage_err(c->name, "unknown option %s", argv[optind - 1]);
		if (optarg && optarg[0] == '-' && optarg[1] == '-')
			return usage_err(c->name, "option --%s needs a value, not \"%s\"",
					 c->opts[li].name, optarg);
		if ((rc = apply_opt(c->name, id, optarg, o)) != 0)
			return rc;
	}
	if (optind < argc)
		return usage_err(c->name, "unexpected argument \"%s\"", argv[optind]);
	return check_opts(c, o);
}

int main(int argc, char **argv)
{
	struct cmd_opts o;
	struct sztp_err e = {SZTP_OK, ""};
	const struct command *c = NULL;
	size_t i;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < N_COMMANDS; i++) {
		if (!strcmp(argv[1], commands[i].name))
			c = &commands[i];
	}
	if (!c) {
		fprintf(stderr, "sztp-pki: unknown command \"%s\"\n", argv[1]);
		usage(stderr);
		return 2;
	}
	memset(&o, 0, sizeof(o));
	rc = parse_opts(c, argc - 1, argv + 1, &o);
	if (rc != 0) {
		free(o.serials);
		free(o.revoke_certs);
		return rc < 0 ? 0 : rc;
	}
	if (mint_global_init(&e) != SZTP_OK || c->run(&o, &e) != SZTP_OK) {
		fprintf(stderr, "sztp-pki %s: error: %s\n", c->name, e.msg);
		rc = 1;
	}
	mint_global_deinit();
	free(o.serials);
	free(o.revoke_certs);
	return rc;
}

int cmd_serial_ok(const char *s)
{
	size_t len = strlen(s), i;

	if (len < 1 || len > CMD_SERIAL_MAX || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '/')
			return 0;
	return 1;
}

sztp_rc cmd_validity(const struct cmd_opts *o, long days, time_t now, time_t *nb, time_t *na,
		     struct sztp_err *e)
{
	*nb = o->not_before ? o->not_before : now - CMD_BACKDATE;
	*na = o->not_after ? o->not_after : (o->not_before ? *nb : now) + days * CMD_DAY;
	/* An explicit notAfter before the default start (an expired test
	 * certificate) moves the start back to keep the window valid. */
	if (!o->not_before && *na <= *nb)
		*nb = *na - 30 * CMD_DAY;
	if (*na <= *nb)
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "--not-after is not after --not-before");
	return SZTP_OK;
}
