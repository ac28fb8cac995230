/*
 * config.c - the agent's configuration file: the device's initial state
 * of RFC 8572 s5.1 (IDevID and key, voucher trust anchors, well-known
 * bootstrap servers and their anchors) plus the simulator's settings
 * (device root, sources, clock policy), as one table of keys read by
 * lib/conf.c (syntax and errors: conf.h).  Relative paths are relative to
 * the config file's directory.
 */
#include <stddef.h>
#include <string.h>

#include "agent.h"
#include "conf.h"

static const char *const levels[] = {"err", "warn", "info", "debug", NULL};
static const char *const reboots[] = {"restart", "exit", NULL};
static const char *const encodings[] = {"json", "xml", NULL};

/* Keys every single device needs; fleet mode sets them per device. */
#define PER_DEVICE (CONF_REQUIRED | CONF_GROUP(0))
#define E	   CONF_EMPTY
#define L	   AGENT_MAX_LIST

static const char *https_url(const char *v)
{
	return strncmp(v, "https://", 8) ? "not an https URL" : NULL;
}

static const char *dns_server(const char *v)
{
	struct sockaddr_storage ss;

	return dns_server_addr(v, &ss, NULL) ? "not IPv4, IPv4:port, IPv6 or [IPv6]:port" : NULL;
}

/* A name in presentation form: at most 253 characters (254 with the
 * root's dot), no blank, no empty label. */
static const char *dns_domain(const char *v)
{
	size_t l = strlen(v), i;

	if (l > 254 || v[0] == '.' || strstr(v, ".."))
		return "not a domain name";
	for (i = 0; i < l; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f)
			return "not a domain name";
	return NULL;
}

#define OFF(f) offsetof(struct agent_config, f)
static const struct conf_key keys[] = {
    {"idevid-cert", CONF_PATH, OFF(idevid_cert), 0, 0, 0, "", NULL, E, NULL},
    {"idevid-key", CONF_PATH, OFF(idevid_key), 0, 0, 0, NULL, NULL, PER_DEVICE, NULL},
    {"idevid-chain", CONF_PATH, OFF(idevid_chain), 0, 0, 0, NULL, NULL, PER_DEVICE, NULL},
    {"voucher-trust-anchors", CONF_PATH, OFF(voucher_trust), 0, 0, 0, NULL, NULL, PER_DEVICE, NULL},
    {"server-trust-anchors", CONF_PATH, OFF(server_trust), 0, 0, 0, "", NULL, E, NULL},
    {"well-known-server", CONF_LIST, OFF(well_known), OFF(n_well_known), 0, L, NULL, NULL, 0,
     https_url},
    {"bootstrap-url", CONF_LIST, OFF(urls), OFF(n_urls), 0, L, NULL, NULL, 0, https_url},
    {"serial-number", CONF_STR, OFF(serial), 0, 0, 0, "", NULL, E, NULL},
    {"device-root", CONF_PATH, OFF(device_root), 0, 0, 0, NULL, NULL, PER_DEVICE, NULL},
    {"removable-storage", CONF_PATH, OFF(removable), 0, 0, 0, "", NULL, E, NULL},
    {"dhcp-option-file", CONF_PATH, OFF(dhcp_option), 0, 0, 0, "", NULL, E, NULL},
    {"dhcp-version", CONF_LONG, OFF(dhcp_version), 0, 4, 6, "4", NULL, 0, NULL},
    {"dns", CONF_BOOL, OFF(dns), 0, 0, 0, "no", NULL, 0, NULL},
    {"dns-domain", CONF_LIST, OFF(dns_domain), OFF(n_dns_domain), 0, L, NULL, NULL, 0, dns_domain},
    {"dns-server", CONF_LIST, OFF(dns_server), OFF(n_dns_server), 0, AGENT_DNS_SERVERS, NULL, NULL,
     0, dns_server},
    {"hw-model", CONF_STR, OFF(hw_model), 0, 0, 0, "", NULL, E, NULL},
    {"os-name", CONF_STR, OFF(os_name), 0, 0, 0, "", NULL, E, NULL},
    {"os-version", CONF_STR, OFF(os_version), 0, 0, 0, "", NULL, E, NULL},
    {"clock-trusted", CONF_BOOL, OFF(clock_trusted), 0, 0, 0, "yes", NULL, 0, NULL},
    {"send-nonce", CONF_BOOL, OFF(send_nonce), 0, 0, 0, "no", NULL, 0, NULL},
    {"redirect-limit", CONF_LONG, OFF(redirect_limit), 0, 1, 32, "10", NULL, 0, NULL},
    {"script-timeout", CONF_LONG, OFF(script_timeout), 0, 1, 3600, "60", NULL, 0, NULL},
    {"http-timeout", CONF_LONG, OFF(http_timeout), 0, 1, 3600, "30", NULL, 0, NULL},
    {"ssh-host-key", CONF_PATHLIST, OFF(ssh_host_keys), OFF(n_ssh_host_keys), 0, L, NULL, NULL, 0,
     NULL},
    {"syslog-server", CONF_STR, OFF(syslog_server), 0, 0, 0, "", NULL, E, NULL},
    {"result-file", CONF_PATH, OFF(result_file), 0, 0, 0, "", NULL, E, NULL},
    {"yang-dir", CONF_PATH, OFF(yang_dir), 0, 0, 0, "", NULL, E, NULL},
    {"log-level", CONF_ENUM, OFF(log_level), 0, 0, 0, "info", levels, 0, NULL},
    {"reboot", CONF_ENUM, OFF(reboot_exit), 0, 0, 0, "restart", reboots, 0, NULL},
    {"password-file", CONF_PATH, OFF(password_file), 0, 0, 0, "", NULL, E, NULL},
    {"encoding", CONF_ENUM, OFF(encoding), 0, 0, 0, "json", encodings, 0, NULL},
    {"report-trust-anchors", CONF_PATHLIST, OFF(report_anchors), OFF(n_report_anchors), 0, L, NULL,
     NULL, 0, NULL},
    {"crl-file", CONF_PATHLIST, OFF(crl_files), OFF(n_crl_files), 0, L, NULL, NULL, 0, NULL},
};
static const struct conf_table table = CONF_TABLE(keys);

void agent_config_defaults(struct agent_config *c)
{
	memset(c, 0, sizeof(*c));
	conf_defaults(&table, c);
}

void agent_config_free(struct agent_config *c)
{
	if (!c)
		return;
	conf_free(&table, c);
	memset(c, 0, sizeof(*c));
}

sztp_rc agent_config_load(const char *path, int fleet, struct agent_config *c, struct sztp_err *e)
{
	memset(c, 0, sizeof(*c));
	return conf_load(&table, path, fleet ? CONF_GROUP(0) : 0, c, e);
}
