/*
 * sources.c - the bootstrapping sources of RFC 8572 s4, tried in the
 * order s9.7 and Appendix C recommend (local first): removable storage
 * (s4.1: conveyed-information.cms, owner-certificate.cms,
 * ownership-voucher.cms or .vcj), the DHCPv4 option 143 / DHCPv6 option
 * 136 value as the DHCP client's hook hands it over (s4.3, s8), DNS
 * (s4.2: agent/dns.c), explicit URLs, then the configured well-known
 * bootstrap servers (s4.4).  All but the well-known servers are
 * untrusted sources.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "dhcp_option.h"
#include "log.h"
#include "util.h"

#define ART_MAX (4u << 20)

static enum agent_out removable(struct agent_dev *d)
{
	const char *dir = d->cfg->removable;
	struct received a = {0};
	struct sztp_err e;
	char p[1200];
	enum agent_out out = OUT_FAIL;

	snprintf(p, sizeof(p), "%s/conveyed-information.cms", dir);
	if (access(p, R_OK)) {
		agent_log(d, LOG_LVL_INFO, "source", "removable storage %s: no %s", dir,
			  "conveyed-information.cms");
		return OUT_FAIL;
	}
	if (file_read(p, ART_MAX, &a.ci, &e)) {
		agent_log(d, LOG_LVL_WARN, "source", "%s", e.msg);
		return OUT_FAIL;
	}
	snprintf(p, sizeof(p), "%s/owner-certificate.cms", dir);
	if (!access(p, R_OK) && file_read(p, ART_MAX, &a.oc, &e))
		goto out;
	snprintf(p, sizeof(p), "%s/ownership-voucher.cms", dir);
	if (access(p, R_OK))
		snprintf(p, sizeof(p), "%s/ownership-voucher.vcj", dir);
	if (!access(p, R_OK) && file_read(p, ART_MAX, &a.ov, &e))
		goto out;
	snprintf(a.reporting_level, sizeof(a.reporting_level), "minimal");
	snprintf(d->source, sizeof(d->source), "removable-storage");
	agent_log(d, LOG_LVL_INFO, "source", "removable storage %s", dir);
	out = process_response(d, NULL, &a, NULL, 0);
out:
	received_clear(&a);
	return out;
}

/* Unsigned redirect information from DHCP or explicit URLs (s4.3). */
static enum agent_out url_list(struct agent_dev *d, char *const *uris, size_t n, const char *what)
{
	char host[256];
	unsigned port;
	struct sztp_err e;
	size_t i;
	enum agent_out out = OUT_FAIL;

	snprintf(d->source, sizeof(d->source), "%s", what);
	for (i = 0; i < n && out == OUT_FAIL; i++) {
		if (url_split(uris[i], host, sizeof(host), &port, NULL, 0, &e)) {
			agent_log(d, LOG_LVL_WARN, "source", "%s", e.msg);
			continue;
		}
		agent_log(d, LOG_LVL_INFO, "source", "%s %s", what, uris[i]);
		out = server_process(d, host, port, NULL, 0, 0);
	}
	return out;
}

static enum agent_out dhcp(struct agent_dev *d)
{
	sztp_bytes f = {0};
	struct dhcp_uris u = {0};
	struct sztp_err e;
	uint8_t *v = NULL;
	size_t vlen = 0;
	enum agent_out out = OUT_FAIL;

	if (file_read(d->cfg->dhcp_option, 65536, &f, &e)) {
		agent_log(d, LOG_LVL_INFO, "source", "DHCP option: %s", e.msg);
		return OUT_FAIL;
	}
	if (!(v = malloc(f.len + 1)) || dhcp_value_decode(f.data, f.len, v, &vlen, &e) ||
	    dhcp_uri_list_parse(v, vlen, &u, &e)) {
		agent_log(d, LOG_LVL_WARN, "source", "DHCPv%ld option %d: %s", d->cfg->dhcp_version,
			  d->cfg->dhcp_version == 6 ? DHCP_V6_SZTP_REDIRECT : DHCP_V4_SZTP_REDIRECT,
			  v ? e.msg : "out of memory");
		goto out;
	}
	if (u.n_invalid)
		agent_log(d, LOG_LVL_WARN, "source", "DHCP option: %zu invalid entries ignored",
			  u.n_invalid);
	out = url_list(d, u.uri, u.n, d->cfg->dhcp_version == 6 ? "dhcpv6" : "dhcpv4");
out:
	dhcp_uris_free(&u);
	free(v);
	sztp_bytes_free(&f);
	return out;
}

enum agent_out sources_run(struct agent_dev *d)
{
	const struct agent_config *c = d->cfg;
	enum agent_out out = OUT_FAIL;

	if (*c->removable)
		out = removable(d);
	if (out == OUT_FAIL && *c->dhcp_option)
		out = dhcp(d);
	if (out == OUT_FAIL && c->dns)
		out = dns_source(d);
	if (out == OUT_FAIL && c->n_urls)
		out = url_list(d, c->urls, c->n_urls, "url");
	if (out == OUT_FAIL && c->n_well_known)
		out = url_list(d, c->well_known, c->n_well_known, "well-known");
	return out;
}
