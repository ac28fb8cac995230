/*
 * dns.c - the DNS bootstrapping source of RFC 8572 s4.2 over unicast DNS
 * (glibc's libresolv: res_nquery, which retries over TCP when a UDP
 * answer comes back truncated, as the large TXT records of signed data
 * do).  For each domain (dns-domain, else the resolver's search list):
 * the device-specific TXT records `<serial>._sztp.<domain>` first, keys
 * ci/oc/ov processed exactly like removable storage (an untrusted
 * source: only signed data verified against the voucher anchors is
 * trusted, s5.3); then the SRV records `_sztp._tcp.<domain>`, followed
 * as unsigned redirect information (s5.5: untrusted, no trust anchor).
 * DNS is untrusted (no DNSSEC check here): it can steer the device or
 * deny it service, never make it accept unsigned onboarding.  Multicast
 * DNS is not implemented.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "dns_msg.h"
#include "log.h"

#define ANSWER_MAX   65536 /* the largest DNS message (TCP) */
#define DNS_RETRANS  2	   /* seconds per try at most, */
#define DNS_RETRY    2	   /* tries per server at most: a dead server costs little */
#define NAME_TXT_MAX 1100  /* a query name in presentation form */

sztp_rc dns_server_addr(const char *v, struct sockaddr_storage *ss, struct sztp_err *e)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char host[64], *end;
	const char *port = NULL, *colon = strrchr(v, ':'), *rb;
	unsigned long p = 53;
	size_t hl;
	int v6_only = 0;

	memset(ss, 0, sizeof(*ss));
	if (v[0] == '[') { /* [IPv6] or [IPv6]:port */
		if (!(rb = strchr(v, ']')) || (rb[1] && rb[1] != ':'))
			goto bad;
		hl = (size_t)(rb - v - 1);
		port = rb[1] ? rb + 2 : NULL;
		v6_only = 1;
		v++;
	} else if (colon && strchr(v, ':') == colon) { /* IPv4:port */
		hl = (size_t)(colon - v);
		port = colon + 1;
	} else { /* IPv4, or IPv6 without brackets (no port) */
		hl = strlen(v);
	}
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, v, hl);
	host[hl] = '\0';
	if (port) {
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno || end == port || *end || p == 0 || p > 65535 || *port == '+' ||
		    *port == '-')
			goto bad;
	}
	if (!v6_only && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		return SZTP_OK;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		return SZTP_OK;
	}
bad:
	memset(ss, 0, sizeof(*ss));
	return sztp_err_set(e, SZTP_E_INVALID_VALUE,
			    "'%.80s' is not IPv4, IPv4:port, IPv6 or [IPv6]:port", v);
}

/* The configured servers replace resolv.conf's in the resolver state
 * (glibc: IPv4 in nsaddr_list, IPv6 in _u._ext.nsaddrs with a zero
 * family in nsaddr_list; res_nclose frees what is there). */
static sztp_rc set_servers(struct __res_state *rs, char *const *list, size_t n, struct sztp_err *e)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6;
	size_t i;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	for (i = 0; i < (size_t)rs->nscount && i < MAXNS; i++) {
		free(rs->_u._ext.nsaddrs[i]);
		rs->_u._ext.nsaddrs[i] = NULL;
	}
	rs->nscount = 0;
	for (i = 0; i < n && i < MAXNS; i++) {
		if ((rc = dns_server_addr(list[i], &ss, e)) != SZTP_OK)
			goto out;
		if (ss.ss_family == AF_INET) {
			memcpy(&rs->nsaddr_list[i], &ss, sizeof(struct sockaddr_in));
		} else {
			if (!(s6 = malloc(sizeof(*s6)))) {
				rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
				goto out;
			}
			memcpy(s6, &ss, sizeof(*s6));
			rs->_u._ext.nsaddrs[i] = s6;
			rs->nsaddr_list[i].sin_family = 0;
		}
		rs->_u._ext.nssocks[i] = -1;
		rs->nscount = (int)i + 1;
	}
	rs->_u._ext.nscount = 0; /* res_send sets up its copy afresh */
	rc = SZTP_OK;
out:
	return rc;
}

static void servers_text(const struct __res_state *rs, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	const struct sockaddr_in6 *s6;
	size_t o = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < rs->nscount && i < MAXNS && o < len; i++) {
		s6 = rs->nsaddr_list[i].sin_family ? NULL : rs->_u._ext.nsaddrs[i];
		if (s6 && inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a)))
			o += (size_t)snprintf(out + o, len - o, "%s[%s]:%u", i ? ", " : "", a,
					      ntohs(s6->sin6_port));
		else if (!s6 && inet_ntop(AF_INET, &rs->nsaddr_list[i].sin_addr, a, sizeof(a)))
			o += (size_t)snprintf(out + o, len - o, "%s%s:%u", i ? ", " : "", a,
					      ntohs(rs->nsaddr_list[i].sin_port));
	}
}

/* One query; the answer's length, or 0 with why in `why`.  A query no
 * server answered within the resolver's timeout sets *down: the DNS
 * source gives up rather than wait again for every other name.  (glibc
 * reports REFUSED and SERVFAIL like a timeout, TRY_AGAIN with ETIMEDOUT,
 * so the time taken tells them apart.) */
static size_t query(struct __res_state *rs, const char *name, int type, uint8_t *ans, char *why,
		    size_t wlen, int *down)
{
	double t0 = agent_now_ms(), ms;
	int n;

	errno = 0;
	n = res_nquery(rs, name, ns_c_in, type, ans, ANSWER_MAX);
	if (n > 0)
		return (size_t)n < ANSWER_MAX ? (size_t)n : ANSWER_MAX;
	ms = agent_now_ms() - t0;
	switch (rs->res_h_errno) {
	case HOST_NOT_FOUND:
		snprintf(why, wlen, "NXDOMAIN");
		break;
	case NO_DATA:
		snprintf(why, wlen, "no %s records", type == ns_t_txt ? "TXT" : "SRV");
		break;
	case TRY_AGAIN:
		if (ms >= rs->retrans * 1000.0 - 50) {
			*down = 1;
			snprintf(why, wlen, "no answer, timed out after %.1f s", ms / 1000);
		} else if (errno == ECONNREFUSED) {
			snprintf(why, wlen, "server unreachable (connection refused)");
		} else {
			snprintf(why, wlen,
				 "the server refused the query or failed (REFUSED, "
				 "SERVFAIL)");
		}
		break;
	case NO_RECOVERY:
		snprintf(why, wlen, "the server could not answer the query (FORMERR, NOTIMP)");
		break;
	default:
		snprintf(why, wlen, "resolver error: %s", errno ? strerror(errno) : "unknown");
	}
	return 0;
}

/* TXT <serial>._sztp.<domain>: the device's own artifacts. */
static enum agent_out txt(struct agent_dev *d, struct __res_state *rs, const char *label,
			  const char *dom, uint8_t *ans, int *down)
{
	struct dns_sztp_txt t = {0};
	struct received a = {0};
	struct sztp_err e;
	char name[NAME_TXT_MAX], why[200];
	size_t n;
	enum agent_out out = OUT_FAIL;

	snprintf(name, sizeof(name), "%.252s._sztp.%.255s", label, dom);
	agent_log(d, LOG_LVL_INFO, "source", "DNS: TXT %s?", name);
	if (!(n = query(rs, name, ns_t_txt, ans, why, sizeof(why), down))) {
		agent_log(d, LOG_LVL_INFO, "source", "DNS: TXT %s: %s; skipped", name, why);
		return OUT_FAIL;
	}
	if (dns_sztp_txt_parse(ans, n, &t, &e)) {
		agent_log(d, e.rc == SZTP_E_NOT_FOUND ? LOG_LVL_INFO : LOG_LVL_WARN, "source",
			  "DNS: TXT %s: %s; skipped", name, e.msg);
		return OUT_FAIL;
	}
	agent_log(d, LOG_LVL_INFO, "source",
		  "DNS: TXT %s: %zu records (%zu bytes): ci %zu bytes, oc %zu, ov %zu; %zu "
		  "records of other keys ignored",
		  name, t.n_rr, n, t.ci.len, t.oc.len, t.ov.len, t.n_ignored);
	if (!(t.keys & DNS_KEY_CI) || !t.ci.len) {
		agent_log(d, LOG_LVL_WARN, "source",
			  "DNS: TXT %s: no ci (conveyed information); "
			  "skipped",
			  name);
		goto out;
	}
	a.ci = t.ci; /* moved: received_clear frees them */
	a.oc = t.oc;
	a.ov = t.ov;
	memset(&t, 0, sizeof(t));
	snprintf(a.reporting_level, sizeof(a.reporting_level), "minimal");
	snprintf(d->source, sizeof(d->source), "dns-txt");
	out = process_response(d, NULL, &a, NULL, 0); /* untrusted, as removable storage */
out:
	received_clear(&a);
	dns_sztp_txt_free(&t);
	return out;
}

/* SRV _sztp._tcp.<domain>: bootstrap servers, as unsigned redirect
 * information. */
static enum agent_out srv(struct agent_dev *d, struct __res_state *rs, const char *dom,
			  uint8_t *ans, int *down)
{
	struct dns_srv s[AGENT_MAX_LIST];
	struct redirect_server r[AGENT_MAX_LIST];
	struct sztp_err e;
	char name[NAME_TXT_MAX], why[200];
	size_t n, ns, skipped, i;

	snprintf(name, sizeof(name), "_sztp._tcp.%.255s", dom);
	agent_log(d, LOG_LVL_INFO, "source", "DNS: SRV %s?", name);
	if (!(n = query(rs, name, ns_t_srv, ans, why, sizeof(why), down))) {
		agent_log(d, LOG_LVL_INFO, "source", "DNS: SRV %s: %s; skipped", name, why);
		return OUT_FAIL;
	}
	if (dns_srv_parse(ans, n, s, AGENT_MAX_LIST, &ns, &skipped, &e)) {
		agent_log(d, e.rc == SZTP_E_NOT_FOUND ? LOG_LVL_INFO : LOG_LVL_WARN, "source",
			  "DNS: SRV %s: %s; skipped", name, e.msg);
		return OUT_FAIL;
	}
	if (skipped)
		agent_log(d, LOG_LVL_INFO, "source",
			  "DNS: SRV %s: %zu records skipped (target \".\", port 0 or not a host "
			  "name)",
			  name, skipped);
	if (!ns) {
		agent_log(d, LOG_LVL_INFO, "source", "DNS: SRV %s: no usable server; skipped",
			  name);
		return OUT_FAIL;
	}
	memset(r, 0, sizeof(r));
	for (i = 0; i < ns; i++) {
		agent_log(d, LOG_LVL_INFO, "source",
			  "DNS: SRV %s: %zu. %s port %u (priority %u, weight %u)", name, i + 1,
			  s[i].target, s[i].port, s[i].priority, s[i].weight);
		snprintf(r[i].host, sizeof(r[i].host), "%s", s[i].target);
		r[i].port = s[i].port;
	}
	snprintf(d->source, sizeof(d->source), "dns-srv");
	return redirect_follow(d, r, ns, 0, 0); /* unsigned redirect information */
}

/* A domain as the query names' suffix: no trailing dot. */
static void domain_copy(const char *in, char *out, size_t len)
{
	size_t l;

	snprintf(out, len, "%s", in);
	l = strlen(out);
	if (l > 1 && out[l - 1] == '.' && out[l - 2] != '\\')
		out[l - 1] = '\0';
}

enum agent_out dns_source(struct agent_dev *d)
{
	const struct agent_config *c = d->cfg;
	struct __res_state rs;
	struct sztp_err e;
	char label[DNS_LABEL_TXT], dom[MAXDNSRCH + AGENT_MAX_LIST][256], srvs[200];
	uint8_t *ans = NULL;
	size_t nd = 0, i;
	int have_label, inited = 0, down = 0;
	enum agent_out out = OUT_FAIL;

	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs)) {
		agent_log(d, LOG_LVL_WARN, "source", "DNS: resolver initialisation failed");
		goto out;
	}
	inited = 1;
	if (rs.retrans > DNS_RETRANS)
		rs.retrans = DNS_RETRANS;
	if (rs.retry > DNS_RETRY)
		rs.retry = DNS_RETRY;
	if (c->n_dns_server && set_servers(&rs, c->dns_server, c->n_dns_server, &e)) {
		agent_log(d, LOG_LVL_WARN, "source", "DNS: %s", e.msg);
		goto out;
	}
	for (i = 0; i < c->n_dns_domain; i++)
		domain_copy(c->dns_domain[i], dom[nd++], sizeof(dom[0]));
	for (i = 0; !c->n_dns_domain && i < MAXDNSRCH && rs.dnsrch[i]; i++)
		domain_copy(rs.dnsrch[i], dom[nd++], sizeof(dom[0]));
	servers_text(&rs, srvs, sizeof(srvs));
	if (!nd) {
		agent_log(d, LOG_LVL_INFO, "source",
			  "DNS: no domain to search (no dns-domain, no search list in "
			  "/etc/resolv.conf); skipped");
		goto out;
	}
	if (!rs.nscount) {
		agent_log(d, LOG_LVL_INFO, "source", "DNS: no name server; skipped");
		goto out;
	}
	agent_log(d, LOG_LVL_INFO, "source", "DNS: servers %s; %zu domain(s) from %s", srvs, nd,
		  c->n_dns_domain ? "dns-domain" : "the resolver's search list");
	have_label = dns_label_escape(d->serial, label, sizeof(label), &e) == SZTP_OK;
	if (!have_label)
		agent_log(d, LOG_LVL_WARN, "source",
			  "DNS: serial number as a DNS label: %s; TXT records not looked up",
			  e.msg);
	if (!(ans = malloc(ANSWER_MAX))) {
		agent_log(d, LOG_LVL_WARN, "source", "DNS: out of memory");
		goto out;
	}
	for (i = 0; i < nd && out == OUT_FAIL && !down; i++) {
		if (have_label)
			out = txt(d, &rs, label, dom[i], ans, &down);
		if (out == OUT_FAIL && !down)
			out = srv(d, &rs, dom[i], ans, &down);
	}
	if (down)
		agent_log(d, LOG_LVL_WARN, "source",
			  "DNS: the name servers do not answer; DNS source given up");
out:
	free(ans);
	if (inited)
		res_nclose(&rs);
	return out;
}
