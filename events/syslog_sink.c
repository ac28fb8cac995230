/*
 * syslog_sink.c - the outbox's events as RFC 5424 messages over UDP, TCP
 * (RFC 6587 octet counting) or TLS (RFC 5425) to one collector
 * (syslog_sink.h).  GnuTLS is used here directly for the TLS client
 * (scripts/include-owners): lib/pki.c's TLS code is the server side.
 * Several sztpd on one registry (issue 14): only the holder of the
 * "syslog" lease sends; another instance that takes the lease over goes on
 * from the stored cursor (at most a second behind: a few messages twice).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include "../server/config.h" /* sztpd's configuration: events/ is part of sztpd */
#include "event.h"
#include "lease_keeper.h"
#include "log.h"
#include "pki.h"
#include "strbuf.h"
#include "syslog_sink.h"

#define CURSOR_NAME	 "syslog"
#define BATCH		 100
#define IDLE_MS		 100   /* poll of the outbox when there is nothing to send */
#define CURSOR_EVERY_MS	 1000  /* the cursor's store while events flow */
#define BACKOFF_MIN_MS	 500   /* reconnect backoff: doubles up to the max */
#define BACKOFF_MAX_MS	 10000 /* (a collector back up is found within 10 s) */
#define IO_TIMEOUT_MS	 10000 /* connect, handshake, one message's write */
#define TLS13_VERDICT_MS 500   /* after a TLS 1.3 handshake: the collector's verdict */
#define SEVERITY_WARN	 4
#define SEVERITY_NOTICE	 5
#define SEVERITY_INFO	 6

/* ---- the formatter --------------------------------------------------------- */

int syslog_severity(const char *type)
{
	if (!type)
		return SEVERITY_NOTICE;
	if (!strcmp(type, EV_BOOTSTRAP_REFUSED) || !strcmp(type, EV_DEVICE_FAILED))
		return SEVERITY_WARN;
	if (!strcmp(type, EV_PROGRESS))
		return SEVERITY_INFO;
	return SEVERITY_NOTICE; /* served, completed, admin changes */
}

/* Bytes of the UTF-8 sequence that starts with c (1 for a stray byte). */
static size_t utf8_seq_len(unsigned char c)
{
	if (c >= 0xF0 && c <= 0xF7)
		return 4;
	if (c >= 0xE0)
		return c <= 0xEF ? 3 : 1;
	if (c >= 0xC0)
		return 2;
	return 1;
}

size_t syslog_sd_escape(const char *in, char *out, size_t cap)
{
	size_t i = 0, o = 0, n, k, esc;

	if (!cap)
		return 0;
	while (in && in[i]) {
		n = utf8_seq_len((unsigned char)in[i]);
		for (k = 1; k < n; k++) /* a sequence cut short by the NUL */
			if (!in[i + k])
				n = k;
		esc = (in[i] == '"' || in[i] == '\\' || in[i] == ']');
		if (o + esc + n + 1 > cap)
			break;
		if (esc)
			out[o++] = '\\';
		memcpy(out + o, in + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return o;
}

size_t syslog_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n;

	if (len <= max)
		return len;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* printf into b, each call's text cut at 511 bytes (a longer piece of the
 * sentence is cut there, before the message as a whole is cut at max), on
 * a UTF-8 character boundary: the byte after the cut is kept in tmp to
 * tell whether the cut splits a character. */
#define SB_PIECE_MAX 511
static void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	char tmp[SB_PIECE_MAX + 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		strbuf_add(b, tmp,
			   syslog_utf8_cut(tmp,
					   (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1,
					   SB_PIECE_MAX));
}

/* SP NAME="VALUE" with the value cut at SYSLOG_VALUE_MAX and escaped */
static void sd_param(struct strbuf *b, const char *name, const char *value)
{
	char cut[SYSLOG_VALUE_MAX + 1], esc[2 * SYSLOG_VALUE_MAX + 1];
	size_t n = syslog_utf8_cut(value, strlen(value), SYSLOG_VALUE_MAX), i;

	memcpy(cut, value, n);
	cut[n] = '\0';
	for (i = 0; i < n; i++) /* one line for every collector, whatever its framing */
		if ((unsigned char)cut[i] < 0x20 || cut[i] == 0x7f)
			cut[i] = ' ';
	syslog_sd_escape(cut, esc, sizeof(esc));
	sb_printf(b, " %s=\"", name);
	strbuf_puts(b, esc);
	strbuf_puts(b, "\"");
}

/* An SD-NAME (RFC 5424 s6.3.3: 1..32 printable US-ASCII but '=', SP, ']',
 * '"') from a data member's name: other bytes become '_'.  0 when empty or
 * one of the fixed params. */
static int sd_name(const char *key, char out[33])
{
	size_t i;

	for (i = 0; key[i] && i < 32; i++) {
		unsigned char c = (unsigned char)key[i];
		out[i] = (c < 33 || c > 126 || c == '=' || c == ']' || c == '"') ? '_' : (char)c;
	}
	out[i] = '\0';
	return i > 0 && strcmp(out, "id") && strcmp(out, "type") && strcmp(out, "serial") &&
	       strcmp(out, "peer");
}

/* The data members as SD-PARAMs, in their order. */
static void sd_data(struct strbuf *b, json_t *data)
{
	const char *key;
	json_t *v;
	char name[33], num[64], *text;

	json_object_foreach(data, key, v)
	{
		if (!sd_name(key, name) || json_is_null(v))
			continue;
		if (json_is_string(v)) {
			sd_param(b, name, json_string_value(v));
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			sd_param(b, name, num);
		} else if (json_is_boolean(v)) {
			sd_param(b, name, json_is_true(v) ? "true" : "false");
		} else if ((text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY))) {
			/* reals, objects, arrays; JSON cut short says nothing: left out */
			if (json_is_real(v) || strlen(text) <= SYSLOG_VALUE_MAX)
				sd_param(b, name, text);
			free(text);
		} else {
			b->oom = 1;
		}
	}
}

static const char *dstr(json_t *data, const char *key)
{
	json_t *v = json_object_get(data, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* MSG: one sentence an operator reads in a log viewer. */
static void sentence(struct strbuf *b, const struct reg_event *ev, json_t *data)
{
	char dev[PKI_SERIAL_MAX + 16];
	const char *t = ev->type, *s, *actor = dstr(data, "actor");
	size_t start = b->len, i;
	json_t *st;

	if (ev->serial[0])
		snprintf(dev, sizeof(dev), "device %s", ev->serial);
	else
		snprintf(dev, sizeof(dev), "a device");
	if (!strcmp(t, EV_BOOTSTRAP_SERVED)) {
		s = dstr(data, "kind");
		sb_printf(b, "%s was served %s", dev, s ? s : "bootstrapping data");
		if ((s = dstr(data, "profile")) && *s)
			sb_printf(b, " (profile %s)", s);
		if (json_is_true(json_object_get(data, "signed")))
			strbuf_puts(b, ", signed");
	} else if (!strcmp(t, EV_BOOTSTRAP_REFUSED)) {
		st = json_object_get(data, "status");
		sb_printf(b, "%s was refused bootstrapping data", dev);
		if (json_is_integer(st))
			sb_printf(b, " (%" JSON_INTEGER_FORMAT ")", json_integer_value(st));
		if ((s = dstr(data, "reason")) && *s)
			sb_printf(b, ": %s", s);
	} else if (!strcmp(t, EV_PROGRESS)) {
		s = dstr(data, "progress-type");
		sb_printf(b, "%s reported %s", dev, s ? s : "progress");
	} else if (!strcmp(t, EV_DEVICE_COMPLETED)) {
		sb_printf(b, "%s completed bootstrapping", dev);
	} else if (!strcmp(t, EV_DEVICE_FAILED)) {
		s = dstr(data, "progress-type");
		sb_printf(b, "%s failed bootstrapping%s%s", dev, s ? ": " : "", s ? s : "");
	} else if (!strncmp(t, "device.", 7)) {
		sb_printf(b, "%s %s", dev, t + 7);
	} else if (!strncmp(t, "voucher.", 8)) {
		sb_printf(b, "voucher %s, %s", t + 8, dev);
	} else if (!strncmp(t, "profile.", 8)) {
		s = dstr(data, "profile");
		if (!s)
			s = dstr(data, "name");
		sb_printf(b, "profile %s %s", s ? s : "", t + 8);
	} else {
		sb_printf(b, "%s, %s", t, dev);
	}
	if (actor && *actor)
		sb_printf(b, " by %s", actor);
	for (i = start; !b->oom && i < b->len; i++) /* one line, whatever the values hold */
		if ((unsigned char)b->p[i] < 0x20 || b->p[i] == 0x7f)
			b->p[i] = ' ';
}

/* HOSTNAME: printable US-ASCII, else "-" (RFC 5424 s6.2.4) */
static const char *hostname_or_nil(const char *h)
{
	size_t i;

	if (!h || !*h || strlen(h) > 255)
		return "-";
	for (i = 0; h[i]; i++)
		if ((unsigned char)h[i] < 33 || (unsigned char)h[i] > 126)
			return "-";
	return h;
}

sztp_rc syslog_format(const struct reg_event *ev, int facility, const char *hostname, long procid,
		      size_t max, char **out, size_t *len, struct sztp_err *e)
{
	struct strbuf b = {0};
	json_t *data = NULL;
	char ts[32] = "-", msgid[33];
	time_t t = ev->time ? (time_t)ev->time : time(NULL);
	struct tm tm;
	sztp_rc rc = SZTP_E_NOMEM;
	size_t i;

	*out = NULL;
	*len = 0;
	if (facility < 0 || facility > 23) {
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "syslog facility %d is not 0..23",
				  facility);
		goto out;
	}
	if (gmtime_r(&t, &tm))
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* MSGID: the type, 1..32 printable US-ASCII */
	for (i = 0; ev->type[i] && i < 32; i++)
		msgid[i] = ((unsigned char)ev->type[i] < 33 || (unsigned char)ev->type[i] > 126)
			       ? '_'
			       : ev->type[i];
	msgid[i] = '\0';
	if (!i)
		snprintf(msgid, sizeof(msgid), "-");
	data = json_loads(ev->data ? ev->data : "{}", 0, NULL);
	if (data && !json_is_object(data)) {
		json_decref(data);
		data = NULL;
	}
	sb_printf(&b, "<%d>1 %s %s sztpd %ld %s [" SYSLOG_SD_ID,
		  facility * 8 + syslog_severity(ev->type), ts, hostname_or_nil(hostname), procid,
		  msgid);
	sb_printf(&b, " id=\"%lld\"", (long long)ev->id);
	sd_param(&b, "type", ev->type);
	sd_param(&b, "serial", ev->serial);
	sd_param(&b, "peer", ev->peer);
	if (data)
		sd_data(&b, data);
	strbuf_puts(&b, "] ");
	sentence(&b, ev, data);
	if (b.oom) {
		sztp_err_set(e, rc, "out of memory formatting a syslog message");
		goto out;
	}
	b.len = syslog_utf8_cut(b.p, b.len, max);
	b.p[b.len] = '\0';
	*len = b.len;
	*out = strbuf_take(&b); /* not out of memory: the text */
	rc = SZTP_OK;
out:
	strbuf_free(&b);
	json_decref(data);
	return rc;
}

sztp_rc syslog_frame(const char *msg, size_t len, char **out, size_t *outlen, struct sztp_err *e)
{
	char head[24];
	int n = snprintf(head, sizeof(head), "%zu ", len);

	*out = NULL;
	*outlen = 0;
	if (!(*out = malloc((size_t)n + len + 1)))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory framing a syslog message");
	memcpy(*out, head, (size_t)n);
	memcpy(*out + n, msg, len);
	(*out)[(size_t)n + len] = '\0';
	*outlen = (size_t)n + len;
	return SZTP_OK;
}

/* ---- the sender ---------------------------------------------------------- */

struct syslog_sink {
	struct config_syslog_target t;
	char target[300]; /* as configured, for the log */
	int facility, max_age;
	char hostname[256];
	long pid;
	size_t max; /* SYSLOG_UDP_MAX or SYSLOG_TCP_MAX */
	gnutls_certificate_credentials_t cred;
	int fd;		       /* -1: not connected */
	gnutls_session_t tls;  /* tls:// once connected */
	struct reg *reg;       /* our own handle */
	int64_t stored_cursor; /* what the registry holds */
	int64_t stored_ms;     /* when it was stored (monotonic) */
	int down;	       /* a failure is logged and not yet recovered */
	char why[SZTP_ERR_MSG_MAX];
	int db_down;
	int has_cert;		/* syslog-cert is set */
	int64_t udp_refused_ms; /* last ICMP port unreachable seen (monotonic) */
	int backoff_ms;
	int64_t next_try_ms; /* monotonic */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int stopping;
	_Atomic uint64_t sent, failed;
	_Atomic int64_t cursor;
	/* one instance of several on one registry sends: the holder of this
	 * lease; active: this one sends, from the cursor it read when it
	 * took the lease */
	struct lease_keeper lease;
	atomic_int active;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep up to ms unless stopped meanwhile. */
static void nap(struct syslog_sink *s, int ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->mu);
	while (!atomic_load(&s->stopping))
		if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0)
			break;
	pthread_mutex_unlock(&s->mu);
}

/* 1: fd is ready for events; 0: deadline (monotonic ms) passed; -1: stopping */
static int wait_fd(struct syslog_sink *s, int fd, short events, int64_t deadline)
{
	struct pollfd p = {fd, events, 0};
	int64_t left;
	int r;

	while (!atomic_load(&s->stopping)) {
		left = deadline - mono_ms();
		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > 100 ? 100 : (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1; /* let the I/O call say what is wrong */
	}
	return -1;
}

static void conn_close(struct syslog_sink *s)
{
	if (s->tls) {
		(void)gnutls_bye(s->tls, GNUTLS_SHUT_WR); /* non-blocking: best effort */
		gnutls_deinit(s->tls);
		s->tls = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static sztp_rc conn_alive(struct syslog_sink *s, struct sztp_err *e);

static sztp_rc tls_handshake(struct syslog_sink *s, struct sztp_err *e)
{
	struct in6_addr a;
	int64_t deadline = mono_ms() + IO_TIMEOUT_MS;
	gnutls_datum_t txt = {NULL, 0};
	unsigned status;
	int r, w;

	if ((r = gnutls_init(&s->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0 ||
	    (r = gnutls_set_default_priority(s->tls)) < 0 ||
	    (r = gnutls_credentials_set(s->tls, GNUTLS_CRD_CERTIFICATE, s->cred)) < 0)
		return sztp_err_set(e, SZTP_E_CRYPTO, "TLS session: %s", gnutls_strerror(r));
	/* SNI for a name; the name (or address) checked against the certificate */
	if (inet_pton(AF_INET, s->t.host, &a) != 1 && inet_pton(AF_INET6, s->t.host, &a) != 1)
		(void)gnutls_server_name_set(s->tls, GNUTLS_NAME_DNS, s->t.host, strlen(s->t.host));
	gnutls_session_set_verify_cert(s->tls, s->t.host, 0);
	gnutls_transport_set_int(s->tls, s->fd);
	for (;;) {
		r = gnutls_handshake(s->tls);
		if (r >= 0)
			break;
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED)
			break;
		w = wait_fd(s, s->fd, gnutls_record_get_direction(s->tls) ? POLLOUT : POLLIN,
			    deadline);
		if (w <= 0)
			return sztp_err_set(e, SZTP_E_IO, "TLS handshake: %s",
					    w < 0 ? "stopping" : "timed out");
	}
	if (r >= 0 && gnutls_protocol_get_version(s->tls) == GNUTLS_TLS1_3) {
		/* TLS 1.3: the collector judges our certificate (or its absence)
		 * after our side of the handshake is done; a message written now
		 * into a session it then refuses would be lost.  Its verdict: an
		 * alert, or a session ticket (accepted), or silence. */
		w = wait_fd(s, s->fd, POLLIN, mono_ms() + TLS13_VERDICT_MS);
		if (w < 0)
			return sztp_err_set(e, SZTP_E_IO, "TLS handshake: stopping");
		if (w > 0 && conn_alive(s, e) != SZTP_OK) {
			char msg[SZTP_ERR_MSG_MAX];
			snprintf(msg, sizeof(msg), "%s", e ? e->msg : "");
			return sztp_err_set(e, SZTP_E_IO,
					    "the collector ended the TLS session after the "
					    "handshake: %s%s",
					    msg,
					    s->has_cert ? ""
							: " (does it want a client certificate? "
							  "syslog-cert)");
		}
		return SZTP_OK;
	}
	if (r >= 0)
		return SZTP_OK;
	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		status = gnutls_session_get_verify_cert_status(s->tls);
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt,
								 0) >= 0) {
			sztp_err_set(e, SZTP_E_VERIFY,
				     "TLS handshake: the collector's certificate does not verify "
				     "against syslog-ca for %s: %s",
				     s->t.host, (char *)txt.data);
			gnutls_free(txt.data);
			return SZTP_E_VERIFY;
		}
	}
	return sztp_err_set(e, SZTP_E_IO, "TLS handshake: %s", gnutls_strerror(r));
}

static sztp_rc conn_open(struct syslog_sink *s, struct sztp_err *e)
{
	struct addrinfo hints, *ai = NULL, *a;
	int gai, err = 0, w;
	socklen_t el = sizeof(err);
	sztp_rc rc = SZTP_E_IO;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = s->t.proto == CONFIG_SYSLOG_UDP ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((gai = getaddrinfo(s->t.host, s->t.port, &hints, &ai)) != 0) {
		sztp_err_set(e, rc, "cannot resolve %s: %s", s->t.host, gai_strerror(gai));
		goto out;
	}
	for (a = ai; a; a = a->ai_next) {
		s->fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (s->fd < 0) {
			err = errno;
			continue;
		}
		if (connect(s->fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS) {
			w = wait_fd(s, s->fd, POLLOUT, mono_ms() + IO_TIMEOUT_MS);
			err = w > 0 ? 0 : w < 0 ? EINTR : ETIMEDOUT;
			if (w > 0 && getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
				err = errno;
			if (!err)
				break;
		}
		close(s->fd);
		s->fd = -1;
	}
	if (s->fd < 0) {
		sztp_err_set(e, rc, "cannot connect: %s", strerror(err));
		goto out;
	}
	if (s->t.proto == CONFIG_SYSLOG_TLS && (rc = tls_handshake(s, e)) != SZTP_OK)
		goto out;
	rc = SZTP_OK;
out:
	if (ai)
		freeaddrinfo(ai);
	if (rc != SZTP_OK)
		conn_close(s);
	return rc;
}

/* A stream connection the collector closed shows as readable (it never
 * sends anything): found before writing, so no message goes into a dead
 * connection's buffer and is lost. */
static sztp_rc conn_alive(struct syslog_sink *s, struct sztp_err *e)
{
	struct pollfd p = {s->fd, POLLIN, 0};
	char buf[4096];
	ssize_t n;
	int i;

	if (s->t.proto == CONFIG_SYSLOG_UDP)
		return SZTP_OK;
	if (s->t.proto == CONFIG_SYSLOG_TCP) {
		if (poll(&p, 1, 0) <= 0)
			return SZTP_OK;
		for (i = 0; i < 16; i++) {
			n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0)
				return sztp_err_set(e, SZTP_E_IO,
						    "the collector closed the connection");
			if (n < 0)
				return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					   ? SZTP_OK
					   : sztp_err_set(e, SZTP_E_IO, "connection: %s",
							  strerror(errno));
		}
		return SZTP_OK;
	}
	if (!gnutls_record_check_pending(s->tls) && poll(&p, 1, 0) <= 0)
		return SZTP_OK;
	for (i = 0; i < 16; i++) { /* session tickets, alerts, a close_notify */
		n = gnutls_record_recv(s->tls, buf, sizeof(buf));
		if (n == 0)
			return sztp_err_set(e, SZTP_E_IO, "the collector closed the connection");
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return SZTP_OK;
		if (n == GNUTLS_E_FATAL_ALERT_RECEIVED)
			return sztp_err_set(e, SZTP_E_IO, "alert %s",
					    gnutls_alert_get_name(gnutls_alert_get(s->tls)));
		if (n < 0 && gnutls_error_is_fatal((int)n))
			return sztp_err_set(e, SZTP_E_IO, "connection: %s",
					    gnutls_strerror((int)n));
	}
	return SZTP_OK;
}

static sztp_rc conn_write(struct syslog_sink *s, const char *p, size_t len, struct sztp_err *e)
{
	int64_t deadline = mono_ms() + IO_TIMEOUT_MS;
	ssize_t n;
	int w;

	int refused = 0;

	while (len) {
		if (s->tls) {
			n = gnutls_record_send(s->tls, p, len);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				w = wait_fd(s, s->fd,
					    gnutls_record_get_direction(s->tls) ? POLLOUT : POLLIN,
					    deadline);
				if (w <= 0)
					return sztp_err_set(e, SZTP_E_IO, "write: %s",
							    w < 0 ? "stopping" : "timed out");
				continue;
			}
			if (n < 0)
				return sztp_err_set(e, SZTP_E_IO, "write: %s",
						    gnutls_strerror((int)n));
		} else {
			n = send(s->fd, p, len, MSG_NOSIGNAL);
			/* UDP: an ICMP port unreachable for an earlier datagram (it is
			 * lost: that is UDP); this one is sent again once, and the
			 * log says so at most once a minute */
			if (n < 0 && errno == ECONNREFUSED && s->t.proto == CONFIG_SYSLOG_UDP &&
			    !refused++) {
				if (mono_ms() - s->udp_refused_ms > 60000 || !s->udp_refused_ms)
					log_warn("syslog %s: nothing listens there (ICMP port "
						 "unreachable): messages are being lost",
						 s->target);
				s->udp_refused_ms = mono_ms();
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
				w = wait_fd(s, s->fd, POLLOUT, deadline);
				if (w <= 0)
					return sztp_err_set(e, SZTP_E_IO, "write: %s",
							    w < 0 ? "stopping" : "timed out");
				continue;
			}
			if (n < 0)
				return sztp_err_set(e, SZTP_E_IO, "write: %s", strerror(errno));
			if (s->t.proto == CONFIG_SYSLOG_UDP) /* a datagram goes whole or not */
				return SZTP_OK;
		}
		p += n;
		len -= (size_t)n;
	}
	return SZTP_OK;
}

/* Log a failure once per state change, and when it is cured. */
static void state_down(struct syslog_sink *s, const char *why)
{
	if (!s->down || strcmp(s->why, why))
		log_warn("syslog %s: %s (retrying)", s->target, why);
	s->down = 1;
	snprintf(s->why, sizeof(s->why), "%s", why);
}

static void state_up(struct syslog_sink *s)
{
	const char *what = s->t.proto == CONFIG_SYSLOG_UDP ? "sending" : "connected";

	if (s->down)
		log_info("syslog %s: %s again", s->target, what);
	else
		log_info("syslog %s: %s", s->target, what);
	s->down = 0;
	s->why[0] = '\0';
}

struct batch {
	struct reg_event ev[BATCH];
	size_t n;
	int oom;
};

static int collect(const struct reg_event *ev, void *arg)
{
	struct batch *b = arg;
	struct reg_event *c = &b->ev[b->n];

	if (b->n == BATCH)
		return 1;
	*c = *ev;
	c->data = ev->data ? strdup(ev->data) : NULL;
	if (ev->data && !c->data) {
		b->oom = 1;
		return 1;
	}
	b->n++;
	return 0;
}

static void batch_clear(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->ev[i].data);
	b->n = 0;
	b->oom = 0;
}

/* One message: formatted, framed (streams), written. */
/* Messages formatted but not yet written (TCP and TLS): a batch goes out
 * in one write, so a collector takes a few large segments instead of one
 * per event; the cursor moves past them only once the write succeeded. */
struct pending {
	struct strbuf buf; /* the framed messages */
	size_t n;	   /* messages in buf */
	int64_t last_id;   /* the last of them */
};

static sztp_rc pending_add(struct pending *p, const char *msg, size_t len, struct sztp_err *e)
{
	strbuf_add(&p->buf, msg, len);
	if (p->buf.oom)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	p->n++;
	return SZTP_OK;
}

/* One event: UDP sends its datagram now; TCP and TLS frame it (RFC 6587
 * octet counting) into p. */
static sztp_rc send_event(struct syslog_sink *s, const struct reg_event *ev, struct pending *p,
			  struct sztp_err *e)
{
	char *msg = NULL, *framed = NULL;
	size_t len = 0, flen = 0;
	sztp_rc rc = syslog_format(ev, s->facility, s->hostname, s->pid, s->max, &msg, &len, e);

	if (rc != SZTP_OK)
		goto out;
	if (s->t.proto != CONFIG_SYSLOG_UDP) {
		if ((rc = syslog_frame(msg, len, &framed, &flen, e)) == SZTP_OK &&
		    (rc = pending_add(p, framed, flen, e)) == SZTP_OK)
			p->last_id = ev->id;
	} else {
		rc = conn_write(s, msg, len, e);
	}
out:
	free(msg);
	free(framed);
	return rc;
}

/* Write what p holds (the collector checked first: a closed connection
 * is found before, not after, the write); then the cursor moves. */
static sztp_rc pending_flush(struct syslog_sink *s, struct pending *p, struct sztp_err *e)
{
	sztp_rc rc = SZTP_OK;

	if (!p->n)
		return SZTP_OK;
	if ((rc = conn_alive(s, e)) == SZTP_OK &&
	    (rc = conn_write(s, p->buf.p, p->buf.len, e)) == SZTP_OK) {
		atomic_fetch_add(&s->sent, p->n);
		atomic_store(&s->cursor, p->last_id);
	}
	strbuf_reset(&p->buf);
	p->n = 0;
	return rc;
}

/* The cursor into the registry: at most once a second while events flow
 * (a write transaction each time: the journal's commits must not queue
 * behind them), at once when idle or stopping (force).  A crash resends
 * at most that second's events: at least once, receivers drop ids. */
static void cursor_store(struct syslog_sink *s, int force)
{
	struct sztp_err e = {0};
	int64_t c = atomic_load(&s->cursor);

	if (c == s->stored_cursor || (!force && mono_ms() - s->stored_ms < CURSOR_EVERY_MS))
		return;
	s->stored_ms = mono_ms();
	if (reg_event_cursor_set(s->reg, CURSOR_NAME, c, &e) != SZTP_OK) {
		if (!s->db_down)
			log_err("syslog: cannot store the cursor (event %lld): %s", (long long)c,
				e.msg);
		s->db_down = 1;
		return;
	}
	s->stored_cursor = c;
}

/* Send what the batch holds, in order; stop at the first failure (the
 * cursor stays before it). */
static void send_batch(struct syslog_sink *s, struct batch *b)
{
	struct sztp_err e = {0};
	struct pending p = {0};
	int64_t now = (int64_t)time(NULL), first_old = 0, last_old = 0, old = 0;
	int failed = 0;
	size_t i;

	for (i = 0; i < b->n && !atomic_load(&s->stopping); i++) {
		const struct reg_event *ev = &b->ev[i];
		if (s->max_age && ev->time && ev->time < now - s->max_age) {
			/* the cursor passes it: what is formatted before it goes first */
			if (pending_flush(s, &p, &e) != SZTP_OK) {
				failed = 1;
				break;
			}
			if (!old++)
				first_old = ev->id;
			last_old = ev->id;
			atomic_fetch_add(&s->failed, 1);
			atomic_store(&s->cursor, ev->id);
			continue;
		}
		if (s->fd < 0) {
			if (mono_ms() < s->next_try_ms)
				break;
			if (conn_open(s, &e) != SZTP_OK) {
				s->next_try_ms = mono_ms() + s->backoff_ms;
				s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS
						    ? BACKOFF_MAX_MS
						    : s->backoff_ms * 2;
				state_down(s, e.msg);
				break;
			}
			s->backoff_ms = BACKOFF_MIN_MS;
			state_up(s);
		}
		if (send_event(s, ev, &p, &e) != SZTP_OK) {
			failed = 1;
			break;
		}
		if (s->t.proto == CONFIG_SYSLOG_UDP) {
			atomic_fetch_add(&s->sent, 1);
			atomic_store(&s->cursor, ev->id);
		}
	}
	if (!failed && !atomic_load(&s->stopping) && pending_flush(s, &p, &e) != SZTP_OK)
		failed = 1;
	if (failed) {
		conn_close(s); /* reconnect now; then with backoff */
		s->next_try_ms = mono_ms();
		if (!atomic_load(&s->stopping))
			state_down(s, e.msg);
	}
	strbuf_free(&p.buf);
	if (old)
		log_warn("syslog %s: %lld event(s) older than syslog-max-age (%d s) not sent "
			 "(ids %lld..%lld)",
			 s->target, (long long)old, s->max_age, (long long)first_old,
			 (long long)last_old);
	cursor_store(s, 0);
}

/* Taking the lease: go on from where the last holder stopped (another
 * instance may have moved the cursor since this one last sent). */
static sztp_rc cursor_reload(struct syslog_sink *s, struct sztp_err *e)
{
	int64_t c = 0;
	sztp_rc rc = reg_event_cursor_get(s->reg, CURSOR_NAME, &c, e);

	if (rc == SZTP_E_NOT_FOUND)
		return SZTP_OK; /* dropped meanwhile: ours stands, stored again */
	if (rc != SZTP_OK)
		return rc;
	atomic_store(&s->cursor, c);
	s->stored_cursor = c;
	return SZTP_OK;
}

static void *run(void *arg)
{
	struct syslog_sink *s = arg;
	struct batch *b = calloc(1, sizeof(*b));
	struct reg_query q;
	struct sztp_err e = {0};
	int64_t before;

	if (!b) {
		log_err("syslog: out of memory: no events will be sent");
		return NULL;
	}
	while (!atomic_load(&s->stopping)) {
		if (!lease_keeper_hold(&s->lease, s->reg)) {
			/* another instance sends (or this one lost the registry):
			 * stand by; its cursor is not ours to store */
			if (atomic_load(&s->active))
				conn_close(s);
			atomic_store(&s->active, 0);
			nap(s, IDLE_MS);
			continue;
		}
		if (!atomic_load(&s->active)) {
			if (cursor_reload(s, &e) != SZTP_OK) {
				log_err("syslog: cannot read the cursor: %s", e.msg);
				nap(s, 1000);
				continue;
			}
			atomic_store(&s->active, 1);
		}
		q = (struct reg_query)REG_QUERY_INIT;
		q.after_id = atomic_load(&s->cursor);
		q.limit = BATCH;
		if (reg_event_query(s->reg, &q, collect, b, &e) != SZTP_OK || b->oom) {
			if (!s->db_down)
				log_err("syslog: cannot read the events: %s",
					b->oom ? "out of memory" : e.msg);
			s->db_down = 1;
			batch_clear(b);
			nap(s, 1000);
			continue;
		}
		s->db_down = 0;
		if (!b->n) {
			cursor_store(s, 1);
			nap(s, IDLE_MS);
			continue;
		}
		before = atomic_load(&s->cursor);
		send_batch(s, b);
		batch_clear(b);
		if (atomic_load(&s->cursor) == before) /* nothing moved: wait for the retry */
			nap(s, s->fd < 0 && s->next_try_ms > mono_ms()
				   ? (int)(s->next_try_ms - mono_ms())
				   : IDLE_MS);
	}
	if (atomic_load(&s->active))
		cursor_store(s, 1);
	conn_close(s);
	lease_keeper_release(&s->lease, s->reg);
	free(b);
	return NULL;
}

/* ---- start, stop ------------------------------------------------------------- */

static sztp_rc creds_load(const struct config *cfg, gnutls_certificate_credentials_t *out,
			  struct sztp_err *e)
{
	gnutls_certificate_credentials_t c = NULL;
	sztp_rc rc = SZTP_E_CRYPTO;
	int r;

	*out = NULL;
	if (gnutls_certificate_allocate_credentials(&c) < 0) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory for TLS credentials");
		goto out;
	}
	r = gnutls_certificate_set_x509_trust_file(c, cfg->syslog_ca, GNUTLS_X509_FMT_PEM);
	if (r <= 0) {
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "syslog-ca %s: %s", cfg->syslog_ca,
				  r == 0 ? "no certificate in it" : gnutls_strerror(r));
		goto out;
	}
	if (cfg->syslog_cert) {
		if ((rc = pki_key_file_check(cfg->syslog_key, e)) != SZTP_OK) {
			char msg[SZTP_ERR_MSG_MAX];
			snprintf(msg, sizeof(msg), "%s", e ? e->msg : "");
			sztp_err_set(e, rc, "syslog-key: %s", msg);
			goto out;
		}
		r = gnutls_certificate_set_x509_key_file(c, cfg->syslog_cert, cfg->syslog_key,
							 GNUTLS_X509_FMT_PEM);
		if (r < 0) {
			rc = sztp_err_set(e, SZTP_E_INVALID_VALUE,
					  "syslog-cert %s / syslog-key %s: %s", cfg->syslog_cert,
					  cfg->syslog_key, gnutls_strerror(r));
			goto out;
		}
	}
	*out = c;
	c = NULL;
	rc = SZTP_OK;
out:
	if (c)
		gnutls_certificate_free_credentials(c);
	return rc;
}

sztp_rc syslog_sink_check(const struct config *cfg, struct sztp_err *e)
{
	struct config_syslog_target t;
	gnutls_certificate_credentials_t c = NULL;
	const char *why;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	if (!cfg->syslog_target)
		return SZTP_OK;
	if ((why = config_syslog_target_parse(cfg->syslog_target, &t)))
		return sztp_err_set(e, rc, "syslog-target '%s' is %s", cfg->syslog_target, why);
	if (config_syslog_facility_code(cfg->syslog_facility) < 0)
		return sztp_err_set(e, rc, "syslog-facility '%s' is unknown",
				    cfg->syslog_facility ? cfg->syslog_facility : "");
	if (t.proto != CONFIG_SYSLOG_TLS) {
		if (cfg->syslog_ca || cfg->syslog_cert || cfg->syslog_key)
			return sztp_err_set(
			    e, rc,
			    "syslog-ca, syslog-cert and syslog-key are for a tls:// "
			    "syslog-target only");
		return SZTP_OK;
	}
	if (!cfg->syslog_ca)
		return sztp_err_set(e, rc,
				    "syslog-target %s needs syslog-ca (the anchors of the "
				    "collector's certificate)",
				    cfg->syslog_target);
	if (!cfg->syslog_cert != !cfg->syslog_key)
		return sztp_err_set(e, rc, "syslog-cert and syslog-key go together");
	rc = creds_load(cfg, &c, e);
	if (c)
		gnutls_certificate_free_credentials(c);
	return rc;
}

/* No syslog-target: forget the cursor so retention is not held back. */
static void cursor_drop(const struct config *cfg)
{
	struct reg *r = NULL;
	struct sztp_err e = {0};

	if (reg_open_existing(cfg->database, &r, &e) != SZTP_OK ||
	    reg_event_cursor_drop(r, CURSOR_NAME, &e) != SZTP_OK)
		log_warn("syslog: cannot drop the cursor of an earlier syslog-target: %s", e.msg);
	reg_close(r);
}

sztp_rc syslog_sink_start(const struct config *cfg, struct syslog_sink **out, struct sztp_err *e)
{
	struct syslog_sink *s = NULL;
	pthread_condattr_t ca;
	int64_t c = 0;
	sztp_rc rc;

	*out = NULL;
	if (!cfg->syslog_target) {
		cursor_drop(cfg);
		return SZTP_OK;
	}
	if ((rc = syslog_sink_check(cfg, e)) != SZTP_OK)
		return rc;
	if (!(s = calloc(1, sizeof(*s))))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	s->fd = -1;
	(void)config_syslog_target_parse(cfg->syslog_target, &s->t);
	snprintf(s->target, sizeof(s->target), "%s", cfg->syslog_target);
	s->facility = config_syslog_facility_code(cfg->syslog_facility);
	s->max_age = cfg->syslog_max_age;
	s->has_cert = cfg->syslog_cert != NULL;
	s->max = s->t.proto == CONFIG_SYSLOG_UDP ? SYSLOG_UDP_MAX : SYSLOG_TCP_MAX;
	s->pid = (long)getpid();
	s->backoff_ms = BACKOFF_MIN_MS;
	lease_keeper_init(&s->lease, "syslog");
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) != 0)
		s->hostname[0] = '\0';
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (s->t.proto == CONFIG_SYSLOG_TLS && (rc = creds_load(cfg, &s->cred, e)) != SZTP_OK)
		goto fail;
	if ((rc = reg_open_existing(cfg->database, &s->reg, e)) != SZTP_OK)
		goto fail;
	/* first start: from now on, like a new webhook */
	rc = reg_event_cursor_get(s->reg, CURSOR_NAME, &c, e);
	if (rc == SZTP_E_NOT_FOUND) {
		if ((rc = reg_event_last_id(s->reg, &c, e)) != SZTP_OK ||
		    (rc = reg_event_cursor_set(s->reg, CURSOR_NAME, c, e)) != SZTP_OK)
			goto fail;
	} else if (rc != SZTP_OK) {
		goto fail;
	}
	atomic_store(&s->cursor, c);
	s->stored_cursor = c;
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		rc = sztp_err_set(e, SZTP_E_INTERNAL, "syslog: cannot start a thread");
		goto fail;
	}
	pthread_setname_np(s->thread, "sztpd-syslog"); /* top -H, perf: which thread costs what */
	log_info("syslog %s: events after id %lld, facility %s", s->target, (long long)c,
		 cfg->syslog_facility);
	*out = s;
	return SZTP_OK;
fail:
	reg_close(s->reg);
	if (s->cred)
		gnutls_certificate_free_credentials(s->cred);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return rc;
}

void syslog_sink_stop(struct syslog_sink *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->stopping, 1);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	reg_close(s->reg);
	if (s->cred)
		gnutls_certificate_free_credentials(s->cred);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void syslog_sink_stats(struct syslog_sink *s, uint64_t *sent, uint64_t *failed, int64_t *cursor)
{
	if (sent)
		*sent = s ? atomic_load(&s->sent) : 0;
	if (failed)
		*failed = s ? atomic_load(&s->failed) : 0;
	/* a standby instance's cursor is old: the registry's is the one */
	if (cursor)
		*cursor = s && atomic_load(&s->active) ? atomic_load(&s->cursor) : -1;
}
