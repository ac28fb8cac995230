/*
 * agent.h - the device agent's shared types: the configuration (RFC 8572
 * s5.1 initial state), one device's run state (s5.3 trust state, phase
 * timings, outcome), and the prototypes of each concern's module:
 * config, sources, discovery/RESTCONF client, trust/verify (s5.4),
 * redirect (s5.5), onboarding (s5.6), progress, syslog and fleet.
 */
#ifndef SZTP_AGENT_H
#define SZTP_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>

#include "pki.h"
#include "result.h"

struct sztp_yang;

#define AGENT_MAX_LIST	  16
#define AGENT_DNS_SERVERS 3 /* glibc's MAXNS */

/* RFC 8572 s5.1 initial state, from the config file (agent/config.c). */
struct agent_config {
	char *idevid_cert;		  /* PEM, leaf (default: first of idevid-chain) */
	char *idevid_key;		  /* PEM private key */
	char *idevid_chain;		  /* PEM leaf + intermediates, sent in TLS (s5.3) */
	char *voucher_trust;		  /* manufacturer voucher anchors (PEM) */
	char *server_trust;		  /* anchors for bootstrap servers (PEM), "" = none */
	char *well_known[AGENT_MAX_LIST]; /* https://host[:port] */
	size_t n_well_known;
	char *urls[AGENT_MAX_LIST]; /* explicit bootstrap URLs */
	size_t n_urls;
	char *serial;			  /* "" = subject serialNumber of the IDevID */
	char *device_root;		  /* everything installed or written goes below */
	char *removable;		  /* removable-storage directory, "" = none */
	char *dhcp_option;		  /* file with the option value (hex or raw), "" = none */
	long dhcp_version;		  /* 4 or 6 */
	int dns;			  /* the DNS source (RFC 8572 s4.2) */
	char *dns_domain[AGENT_MAX_LIST]; /* "" = the resolver's search list */
	size_t n_dns_domain;
	char *dns_server[AGENT_DNS_SERVERS]; /* IP, IP:port, [IPv6]:port; none = resolv.conf's */
	size_t n_dns_server;
	char *hw_model, *os_name, *os_version;
	int clock_trusted;
	int send_nonce;
	long redirect_limit;
	long script_timeout;
	long http_timeout;
	char *ssh_host_keys[AGENT_MAX_LIST]; /* OpenSSH .pub files */
	size_t n_ssh_host_keys;
	char *syslog_server;		      /* host[:port], "" = none */
	char *result_file;		      /* "" = <device-root>/var/lib/sztp/result.json */
	char *yang_dir;			      /* "" = default */
	int log_level;			      /* enum log_level */
	int reboot_exit;		      /* 1 = exit after installing an image */
	char *password_file;		      /* HTTP Basic password (RFC 8572 s5.3), "" = none */
	int encoding;			      /* enum agent_enc: request body, Accept */
	char *report_anchors[AGENT_MAX_LIST]; /* PEM chains, sent with bootstrap-complete */
	size_t n_report_anchors;
	char *crl_files[AGENT_MAX_LIST]; /* local CRLs for revocation checks */
	size_t n_crl_files;
};

enum agent_enc { AGENT_ENC_JSON, AGENT_ENC_XML };

/* Longest password a password-file may hold (RFC 7617 user-pass). */
#define AGENT_PASSWORD_MAX 256

/* Parse a config file; unknown key, duplicate or bad value -> error with
 * file:line.  `fleet` skips the per-device required keys. */
sztp_rc agent_config_load(const char *path, int fleet, struct agent_config *c, struct sztp_err *e);
void agent_config_defaults(struct agent_config *c);
void agent_config_free(struct agent_config *c);

/* Phases timed for reports and fleet percentiles. */
enum agent_phase {
	PH_DISCOVERY, /* TLS connect + host-meta */
	PH_REQUEST,   /* get-bootstrapping-data */
	PH_VERIFY,    /* s5.4 */
	PH_ONBOARD,   /* s5.6 (image, scripts, config) */
	PH_REPORT,    /* report-progress round trips */
	PH_TOTAL,
	PH__COUNT
};
extern const char *const agent_phase_names[PH__COUNT];

/* One device and its run (agent/main.c builds one, fleet.c many). */
struct agent_dev {
	const struct agent_config *cfg;
	struct sztp_yang *y;	/* shared, thread-safe */
	struct pki_trust *masa; /* voucher anchors, shared */
	char serial[PKI_SERIAL_MAX];
	sztp_bytes idevid;		    /* leaf DER */
	char root[1024];		    /* device root, absolute */
	char os_name[128], os_version[128]; /* running image */
	int quiet;			    /* fleet: log errors only */
	char password[AGENT_PASSWORD_MAX];  /* "" = none; sent to trusted servers only */
	int syslog_fd;			    /* -1 = none */
	struct sockaddr_storage syslog_addr;
	socklen_t syslog_len;
	/* outcome */
	char status[48]; /* bootstrap-complete, rebooting, failed */
	char error[SZTP_ERR_MSG_MAX];
	char source[64];
	char server[300];
	int trusted; /* last onboarding server was trusted */
	int reboots;
	unsigned tmp_seq;
	double ms[PH__COUNT];
	/* what servers acknowledged (fleet: compared with the server's
	 * events): get-bootstrapping-data answered 200 / refused (4xx, 5xx),
	 * reports answered 204, of which *-error and bootstrap-complete */
	unsigned acked_data, refused_data, acked_reports, acked_errors, acked_complete;
};

/* ---- device set-up and run (main.c uses, fleet.c too) ------------------ */
sztp_rc agent_dev_init(struct agent_dev *d, const struct agent_config *c, struct sztp_yang *y,
		       struct pki_trust *masa, struct sztp_err *e);
void agent_dev_free(struct agent_dev *d);
/* Run the boot sequence (s5.2) over every source once; 0 when
 * bootstrapped. */
int agent_run(struct agent_dev *d);
sztp_rc agent_write_result(const struct agent_dev *d, int code, const char *path,
			   struct sztp_err *e);
double agent_now_ms(void);

/* Outcome of processing a source, a server or a response. */
enum agent_out {
	OUT_FAIL = 0, /* try the next thing in the enclosing loop */
	OUT_DONE,     /* bootstrap-complete */
	OUT_REBOOT,   /* boot image installed, rebooting */
};

/* ---- logging (syslog.c) ------------------------------------------------ */
sztp_rc agent_syslog_open(struct agent_dev *d, const char *server, struct sztp_err *e);
void agent_log(struct agent_dev *d, int lvl, const char *phase, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- files under the device root (files.c) ------------------------------ */
/* root + "/" + rel into out; parents of the file are created with mkdir_p. */
sztp_rc dev_path(const struct agent_dev *d, const char *rel, char *out, size_t len,
		 struct sztp_err *e);
sztp_rc mkdir_p(const char *dir, struct sztp_err *e);
/* Write a whole file atomically (tmp + fsync + rename). */
sztp_rc file_write_atomic(const char *path, const void *data, size_t len, int mode,
			  struct sztp_err *e);

/* ---- bootstrap-server client: RESTCONF over HTTPS (restconf_client.c) -- */
struct bsclient;
/* Once per process, before any thread starts (libcurl global state). */
sztp_rc bsclient_global_init(struct sztp_err *e);
void bsclient_global_cleanup(void);
/* Connect to https://host:port (addr forces an IP, may be NULL) and find
 * the RESTCONF root (RFC 8040 s3.1).  ca_file NULL = blind (untrusted);
 * else the server must validate to it, or SZTP_E_VERIFY. */
sztp_rc bsclient_open(struct agent_dev *d, const char *host, unsigned port, const char *addr,
		      const char *ca_file, struct bsclient **out, struct sztp_err *e);
int bsclient_trusted(const struct bsclient *c);
const char *bsclient_root(const struct bsclient *c);
/* POST {root}/operations/ietf-sztp-bootstrap-server:<rpc> with a JSON body. */
sztp_rc bsclient_post(struct bsclient *c, const char *rpc, const char *body, long *status,
		      sztp_bytes *resp, struct sztp_err *e);
void bsclient_close(struct bsclient *c);
/* Fetch an https URL into path (image download; size capped). */
sztp_rc http_download(struct agent_dev *d, const char *url, const char *path, struct sztp_err *e);
/* GET an https URL into out (at most max bytes, 4 MiB at most; status 200
 * only).  The server is not authenticated: what is fetched must carry its
 * own proof (a CRL its issuer's signature). */
sztp_rc http_fetch(struct agent_dev *d, const char *url, size_t max, sztp_bytes *out,
		   struct sztp_err *e);
/* Split https://host[:port][/path] into host (brackets removed) and port. */
sztp_rc url_split(const char *url, char *host, size_t hlen, unsigned *port, char *path, size_t plen,
		  struct sztp_err *e);

/* ---- the RESTCONF encoding (encoding.c) ------------------------------------ */
/* An RPC input body for the members of `in` (borrowed), in the configured
 * encoding; new string, NULL when out of memory. */
char *agent_input_body(const struct agent_dev *d, json_t *in);
/* application/yang-data+json or +xml: Content-Type and Accept. */
const char *agent_media_type(const struct agent_dev *d);
struct received;
/* A get-bootstrapping-data output body in the configured encoding (XML
 * validated with libyang) into a; a is zeroed on failure. */
sztp_rc agent_output_parse(struct agent_dev *d, const sztp_bytes *body, struct received *a,
			   struct sztp_err *e);

/* ---- what the device received, and its verification (verify.c, s5.4) ---- */
/* The RFC 8572 s3 artifacts as one bootstrap server response (or the
 * removable-storage files) delivered them, not yet verified. */
struct received {
	sztp_bytes ci; /* conveyed information (CMS) */
	sztp_bytes oc; /* owner certificate (CMS), empty when none */
	sztp_bytes ov; /* ownership voucher (CMS), empty when none */
	char reporting_level[16];
};
/* Frees the members and zeroes *a (not a itself); NULL is a no-op. */
void received_clear(struct received *a);
/* Parse a get-bootstrapping-data output body (JSON); a is zeroed on failure. */
sztp_rc received_from_output(const sztp_bytes *body, struct received *a, struct sztp_err *e);
/* Verify and unwrap conveyed information.  *is_signed is set when signed
 * data verified (trust_state TRUE, s5.3 step 4). *json is a new string,
 * validated against ietf-sztp-conveyed-info. */
sztp_rc verify_received(struct agent_dev *d, const struct received *a, const sztp_bytes *nonce,
			char **json, int *is_signed, struct sztp_err *e);

/* ---- revocation (revoke.c; RFC 8366 s5.3, RFC 8572 s5.4) ------------------ */
/* The voucher asked for domain-cert-revocation-checks: the status of every
 * certificate on the path from the owner certificate `owner` (found in
 * bag, n certificates) up to, not including, the pinned-domain-cert, each
 * in a current CRL its issuer signed, from the crl-file CRLs or the
 * certificate's CRL distribution points (https).  A revoked certificate or
 * a status that cannot be obtained is SZTP_E_VERIFY (fail closed). */
sztp_rc revocation_check(struct agent_dev *d, const sztp_bytes *pinned, const sztp_bytes *owner,
			 const sztp_bytes *bag, size_t n, struct sztp_err *e);

/* ---- progress (progress.c) ----------------------------------------------- */
struct progress {
	struct agent_dev *d;
	struct bsclient *conn; /* NULL or untrusted: nothing is sent (s5.6) */
	int verbose;
};
/* Send a report when allowed; SZTP_E_IO (etc.) when the server does not
 * answer 204.  Reports skipped by the level return SZTP_OK. */
sztp_rc progress_send(struct progress *p, const char *type, const char *msg, struct sztp_err *e);

/* ---- onboarding (onboard.c, s5.6) ---------------------------------------- */
enum agent_out onboard(struct agent_dev *d, struct progress *p, const char *json);

/* ---- redirect and server processing (redirect.c, s5.3, s5.5) ----------- */
struct redirect_server {
	char host[256];
	unsigned port;
	sztp_bytes trust_anchor; /* certs-only CMS; empty = none */
};
/* Process what a connection (or NULL: a local source) delivered. */
enum agent_out process_response(struct agent_dev *d, struct bsclient *conn,
				const struct received *a, const sztp_bytes *nonce, int depth);
/* Walk a bootstrap-server list in order (s5.5).  trusted: whether the
 * redirect information itself was trusted. */
enum agent_out redirect_follow(struct agent_dev *d, const struct redirect_server *s, size_t n,
			       int trusted, int depth);
/* Contact one server: preconfigured anchors or the given CA file. */
enum agent_out server_process(struct agent_dev *d, const char *host, unsigned port,
			      const char *ca_file, int ca_required, int depth);

/* ---- sources (sources.c) ------------------------------------------------- */
enum agent_out sources_run(struct agent_dev *d);

/* ---- DNS source (dns.c, RFC 8572 s4.2) ------------------------------------ */
/* TXT <serial>._sztp.<domain> (as removable storage), then SRV
 * _sztp._tcp.<domain> (unsigned redirect), for each domain. */
enum agent_out dns_source(struct agent_dev *d);
/* A dns-server value: IPv4, IPv4:port, IPv6 or [IPv6]:port (port 53). */
sztp_rc dns_server_addr(const char *v, struct sockaddr_storage *ss, struct sztp_err *e);

/* ---- fleet (fleet.c) ----------------------------------------------------- */
int fleet_main(int argc, char **argv);

#endif
