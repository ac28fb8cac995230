/*
 * cmd.h - the parsed command line of sztp-pki and its commands.  main.c
 * parses and checks options into struct cmd_opts; tree.c implements the
 * commands that work on the fixed PKI layout (init, device, voucher);
 * standalone.c the separate test CA (ca, leaf); crl.c CRLs of either.
 */
#ifndef SZTP_CERTS_CMD_H
#define SZTP_CERTS_CMD_H

#include <stddef.h>
#include <time.h>

#include "result.h"

#define CMD_SERIAL_MAX	 64 /* ub-serial-number (RFC 5280 appendix A.1) */
#define CMD_DAY		 86400L
#define CMD_BACKDATE	 3600 /* notBefore = now - 1 h: tolerate clock skew */
#define CMD_CA_DAYS	 3650
#define CMD_LEAF_DAYS	 825
#define CMD_VOUCHER_DAYS 365
#define CMD_DEFAULT_SAN	 "DNS:localhost,IP:127.0.0.1,IP:::1"
#define CMD_DEFAULT_SN	 "SN-DEMO-0001"

struct cmd_opts {
	const char *out;      /* --out DIR (init, ca) / FILE (voucher) / PREFIX (leaf) */
	const char *pki;      /* --pki DIR */
	const char *ca;	      /* --ca DIR */
	const char **serials; /* --serial (repeatable) */
	size_t n_serials;
	long count;		/* --count, 0 = none */
	const char *prefix;	/* --prefix, default "SN-" */
	const char *server_san; /* --server-san / --san */
	const char *model;	/* --model */
	const char *name;	/* --name */
	const char *nonce;	/* --nonce B64 */
	const char *pinned;	/* --pinned FILE.pem */
	const char *assertion;	/* --assertion, default verified */
	const char *signer_key, *signer_cert;
	long days;	   /* leaf validity, default CMD_LEAF_DAYS */
	long voucher_days; /* default CMD_VOUCHER_DAYS */
	int rsa, force, no_serial_attr, no_voucher, no_expiry, client, server;
	const char *subject_serial; /* --subject-serial: the serialNumber, else the serial */
	time_t not_before, not_after, created_on, expires_on; /* 0 = default */
	/* crl */
	const char *issuer;	   /* --issuer intermediate|root */
	const char **revoke_certs; /* --revoke-cert (repeatable); --revoke: serials */
	size_t n_revoke_certs;
	time_t this_update, next_update; /* 0 = default */
};

/* Each returns SZTP_OK or fills e; main prints e and exits 1. */
sztp_rc cmd_init(const struct cmd_opts *o, struct sztp_err *e);
sztp_rc cmd_device(const struct cmd_opts *o, struct sztp_err *e);
sztp_rc cmd_voucher(const struct cmd_opts *o, struct sztp_err *e);
sztp_rc cmd_ca(const struct cmd_opts *o, struct sztp_err *e);
sztp_rc cmd_leaf(const struct cmd_opts *o, struct sztp_err *e);
sztp_rc cmd_crl(const struct cmd_opts *o, struct sztp_err *e);

#define CMD_CRL_DAYS 30 /* nextUpdate = thisUpdate + 30 days by default */

/* 1 if s is usable as a device serial number and directory name:
 * 1..64 printable ASCII characters (0x20..0x7e: the RFC 4514 specials
 * and spaces included), no '/', not starting with '.'.  Serials outside
 * the PrintableString alphabet are minted as UTF8String. */
int cmd_serial_ok(const char *s);

/* Validity window from options: not_before/not_after when given, else
 * now - CMD_BACKDATE .. now + days; SZTP_E_INVALID_VALUE when empty. */
sztp_rc cmd_validity(const struct cmd_opts *o, long days, time_t now, time_t *nb, time_t *na,
		     struct sztp_err *e);

#endif
