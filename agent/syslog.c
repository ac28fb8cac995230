/*
 * syslog.c - the agent's log: one line per phase event to stderr
 * ("sztp-agent[SERIAL] phase: message") and, when a syslog server is
 * configured (in the seed scenario the one DHCP names), the same event as
 * an RFC 5424 message over UDP (RFC 5426), facility daemon, MSGID = the
 * phase.  Never logs keys or whole conveyed information.
 */
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

sztp_rc agent_syslog_open(struct agent_dev *d, const char *server, struct sztp_err *e)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char host[256], *colon;
	const char *port = "514";
	sztp_rc rc = SZTP_E_IO;
	int err;

	snprintf(host, sizeof(host), "%s", server);
	if (host[0] == '[') { /* [v6]:port */
		memmove(host, host + 1, strlen(host));
		colon = strchr(host, ']');
		if (colon) {
			*colon = '\0';
			if (colon[1] == ':')
				port = colon + 2;
		}
	} else if ((colon = strrchr(host, ':')) && strchr(host, ':') == colon) {
		*colon = '\0';
		port = colon + 1;
	}
	hints.ai_socktype = SOCK_DGRAM;
	if ((err = getaddrinfo(host, port, &hints, &ai)) != 0) {
		sztp_err_set(e, rc, "syslog server %s: %s", server, gai_strerror(err));
		goto out;
	}
	d->syslog_fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->syslog_fd < 0) {
		sztp_err_set(e, rc, "syslog socket: %m");
		goto out;
	}
	memcpy(&d->syslog_addr, ai->ai_addr, ai->ai_addrlen);
	d->syslog_len = ai->ai_addrlen;
	rc = SZTP_OK;
out:
	if (ai)
		freeaddrinfo(ai);
	return rc;
}

static void send_5424(struct agent_dev *d, int lvl, const char *phase, const char *msg)
{
	static const int sev[] = {3, 4, 6, 7}; /* err, warning, info, debug */
	char buf[1400], ts[40], host[64];
	struct timespec now;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = (int)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - (size_t)n, ".%06ldZ", now.tv_nsec / 1000);
	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "-");
	host[sizeof(host) - 1] = '\0';
	/* RFC 5424 s6: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG */
	n = snprintf(buf, sizeof(buf), "<%d>1 %s %s sztp-agent %d %s [sztp@32473 serial=\"%s\"] %s",
		     3 * 8 + sev[lvl], ts, host, (int)getpid(), phase, d->serial, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	(void)sendto(d->syslog_fd, buf, (size_t)n, 0, (struct sockaddr *)&d->syslog_addr,
		     d->syslog_len);
}

void agent_log(struct agent_dev *d, int lvl, const char *phase, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int to_stderr = lvl <= (d->quiet ? LOG_LVL_ERR : (int)d->cfg->log_level);

	if (!to_stderr && d->syslog_fd < 0)
		return;
	if (lvl > (int)d->cfg->log_level && d->syslog_fd >= 0 && !to_stderr && lvl == LOG_LVL_DEBUG)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (to_stderr)
		fprintf(stderr, "sztp-agent[%s] %s: %s\n", d->serial, phase, msg);
	if (d->syslog_fd >= 0)
		send_5424(d, lvl, phase, msg);
}
