/*
 * test_syslog.c - events/syslog_sink: the RFC 5424 formatter (PRI,
 * header, SD-PARAM escaping, data members, truncation at a UTF-8
 * boundary), RFC 6587 octet counting, syslog-target parsing and the
 * syslog-* key checks; then the sender against collectors of this test:
 * a UDP socket (one datagram per event, in order, cursor stored), a TCP
 * listener that drops the connection (nothing lost after the reconnect),
 * events older than syslog-max-age skipped and counted, the cursor kept
 * across a restart.  rsyslog over UDP, TCP and TLS: tests/e2e/t_syslog.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "fixture.h"
#include "registry.h"
#include "syslog_sink.h"
#include "unit.h"

/* 2026-11-30T21:50:00Z */
#define T0 1796075400

static int utf8_valid(const char *s, size_t len)
{
	size_t i = 0, n, k;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		n = c < 0x80		 ? 1
		    : (c & 0xE0) == 0xC0 ? 2
		    : (c & 0xF0) == 0xE0 ? 3
		    : (c & 0xF8) == 0xF0 ? 4
					 : 0;
		if (!n || i + n > len)
			return 0;
		for (k = 1; k < n; k++)
			if (((unsigned char)s[i + k] & 0xC0) != 0x80)
				return 0;
		i += n;
	}
	return 1;
}

static struct reg_event mkev(int64_t id, const char *type, const char *serial, const char *peer,
			     const char *data)
{
	struct reg_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.id = id;
	ev.time = T0;
	snprintf(ev.type, sizeof(ev.type), "%s", type);
	snprintf(ev.serial, sizeof(ev.serial), "%s", serial);
	snprintf(ev.peer, sizeof(ev.peer), "%s", peer);
	ev.data = (char *)data;
	return ev;
}

/* format with local0, host h1, pid 77 */
static char *fmt(const struct reg_event *ev, size_t max, size_t *len)
{
	struct sztp_err e = {0};
	char *out = NULL;
	size_t l = 0;

	if (syslog_format(ev, 16, "h1", 77, max, &out, &l, &e) != SZTP_OK)
		fprintf(stderr, "syslog_format: %s\n", e.msg);
	if (len)
		*len = l;
	return out;
}

static void test_severity(void)
{
	CHECK(syslog_severity(EV_BOOTSTRAP_SERVED) == 5);
	CHECK(syslog_severity(EV_BOOTSTRAP_REFUSED) == 4);
	CHECK(syslog_severity(EV_PROGRESS) == 6);
	CHECK(syslog_severity(EV_DEVICE_COMPLETED) == 5);
	CHECK(syslog_severity(EV_DEVICE_FAILED) == 4);
	CHECK(syslog_severity(EV_DEVICE_ENROLLED) == 5);
	CHECK(syslog_severity(EV_VOUCHER_ATTACHED) == 5);
	CHECK(syslog_severity(EV_PROFILE_DELETED) == 5);
}

static void test_escape(void)
{
	char out[64];

	CHECK(syslog_sd_escape("a\"b\\c]d[e", out, sizeof(out)) == 12);
	CHECK(!strcmp(out, "a\\\"b\\\\c\\]d[e"));
	CHECK(syslog_sd_escape("", out, sizeof(out)) == 0 && !strcmp(out, ""));
	/* cut before what does not fit: never half an escape */
	CHECK(syslog_sd_escape("ab\"", out, 4) == 2 && !strcmp(out, "ab"));
	CHECK(syslog_sd_escape("ab\"", out, 5) == 4 && !strcmp(out, "ab\\\""));
	/* ... nor half a UTF-8 character (é = C3 A9, € = E2 82 AC) */
	CHECK(syslog_sd_escape("a\xc3\xa9", out, 3) == 1 && !strcmp(out, "a"));
	CHECK(syslog_sd_escape("a\xc3\xa9", out, 4) == 3 && !strcmp(out, "a\xc3\xa9"));
	CHECK(syslog_sd_escape("\xe2\x82\xac]", out, 5) == 3 && !strcmp(out, "\xe2\x82\xac"));
	CHECK(syslog_sd_escape("x", out, 1) == 0 && !strcmp(out, ""));
}

static void test_cut(void)
{
	const char *s = "a\xc3\xa9\xf0\x9f\x98\x80z"; /* a é 😀 z: 1+2+4+1 */

	CHECK(syslog_utf8_cut(s, 8, 100) == 8);
	CHECK(syslog_utf8_cut(s, 8, 8) == 8);
	CHECK(syslog_utf8_cut(s, 8, 7) == 7);
	CHECK(syslog_utf8_cut(s, 8, 6) == 3); /* inside 😀 */
	CHECK(syslog_utf8_cut(s, 8, 4) == 3);
	CHECK(syslog_utf8_cut(s, 8, 3) == 3);
	CHECK(syslog_utf8_cut(s, 8, 2) == 1); /* inside é */
	CHECK(syslog_utf8_cut(s, 8, 0) == 0);
}

static void test_format(void)
{
	struct reg_event ev;
	struct sztp_err e = {0};
	char *m, *out = NULL, big[8000];
	size_t len = 0, i;

	ev = mkev(42, EV_BOOTSTRAP_SERVED, "SN1", "192.0.2.7",
		  "{\"status\":200,\"outcome\":\"signed\",\"profile\":\"p1\",\"kind\":"
		  "\"onboarding-information\",\"signed\":true}");
	m = fmt(&ev, SYSLOG_TCP_MAX, &len);
	CHECK(m && !strcmp(m, "<133>1 2026-11-30T21:50:00Z h1 sztpd 77 bootstrap.served "
			      "[sztp@32473 id=\"42\" type=\"bootstrap.served\" serial=\"SN1\" "
			      "peer=\"192.0.2.7\" status=\"200\" outcome=\"signed\" profile=\"p1\" "
			      "kind=\"onboarding-information\" signed=\"true\"] device SN1 was "
			      "served onboarding-information (profile p1), signed"));
	CHECK(m && len == strlen(m));
	free(m);

	/* refused: warning; '"' '\' ']' escaped in SD-PARAMs (serial too), MSG as is */
	ev = mkev(43, EV_BOOTSTRAP_REFUSED, "S\"N]\\2", "2001:db8::7",
		  "{\"status\":404,\"outcome\":\"not-enrolled\",\"reason\":\"no [such] "
		  "\\\"device\\\"\"}");
	m = fmt(&ev, SYSLOG_TCP_MAX, NULL);
	CHECK(m && !strncmp(m, "<132>1 2026-11-30T21:50:00Z h1 sztpd 77 bootstrap.refused [", 59));
	CHECK(m && strstr(m, " serial=\"S\\\"N\\]\\\\2\" peer=\"2001:db8::7\" status=\"404\""));
	CHECK(m && strstr(m, " reason=\"no [such\\] \\\"device\\\"\"] "));
	CHECK(m && strstr(m, "] device S\"N]\\2 was refused bootstrapping data (404): no [such] "
			     "\"device\""));
	free(m);

	/* a long piece of the MSG is cut at 511 bytes on a character boundary:
	 * ": " and 508 bytes of reason, then "\xc3\xa9" across bytes 510-511 */
	{
		char data[1024];
		const char *p;
		size_t k, o;

		o = (size_t)snprintf(data, sizeof(data), "{\"status\":401,\"reason\":\"");
		for (k = 0; k < 508; k++)
			data[o++] = 'r';
		snprintf(data + o, sizeof(data) - o, "\xc3\xa9tail\"}");
		ev = mkev(46, EV_BOOTSTRAP_REFUSED, "", "", data);
		m = fmt(&ev, SYSLOG_TCP_MAX, NULL);
		p = m ? strstr(m, "] a device was refused bootstrapping data (401): ") : NULL;
		CHECK(p != NULL);
		if (p) {
			p += strlen("] a device was refused bootstrapping data (401)");
			CHECK(strlen(p) == 510); /* ": " and the 508 bytes, not half a character */
			CHECK(!strchr(p, '\xc3'));
		}
		free(m);
	}

	/* progress: info; a control character becomes a space (SD value and MSG);
	 * a large array is left out, a small one kept; null left out; members
	 * named like the fixed params are not repeated */
	ev = mkev(44, EV_PROGRESS, "SN3", "",
		  "{\"progress-type\":\"bootstrap-initiated\",\"message\":\"a\\nb\",\"n\":null,"
		  "\"serial\":\"x\",\"small\":[1,2],\"trust-anchor-certs\":[\""
		  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		  "AAAAAAAAA"
		  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		  "AAAAAAAAA"
		  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		  "AAAAAAAAA"
		  "\"],\"x y=z\":1.5}");
	m = fmt(&ev, SYSLOG_TCP_MAX, NULL);
	CHECK(m && !strncmp(m, "<134>1 ", 7));
	CHECK(m &&
	      strstr(m,
		     " peer=\"\" progress-type=\"bootstrap-initiated\" message=\"a b\" "
		     "small=\"[1,2\\]\" x_y_z=\"1.5\"] device SN3 reported bootstrap-initiated"));
	CHECK(m && !strstr(m, "trust-anchor-certs") && !strstr(m, " n=") && !strstr(m, "\"x\""));
	free(m);

	/* terminal outcomes and an admin change with its actor */
	ev = mkev(45, EV_DEVICE_FAILED, "SN4", "", "{\"progress-type\":\"bootstrap-error\"}");
	m = fmt(&ev, SYSLOG_TCP_MAX, NULL);
	CHECK(m && !strncmp(m, "<132>1 ", 7) &&
	      strstr(m, "] device SN4 failed bootstrapping: "
			"bootstrap-error"));
	free(m);
	ev = mkev(46, EV_DEVICE_COMPLETED, "SN4", "", "{}");
	m = fmt(&ev, SYSLOG_TCP_MAX, NULL);
	CHECK(m && !strncmp(m, "<133>1 ", 7) && strstr(m, "] device SN4 completed bootstrapping"));
	free(m);
	ev = mkev(47, EV_DEVICE_ENROLLED, "SN5", "10.0.0.1",
		  "{\"actor\":\"token:nms\",\"action\":\"device.create\",\"revision\":null}");
	m = fmt(&ev, SYSLOG_TCP_MAX, NULL);
	CHECK(m && strstr(m, " actor=\"token:nms\" action=\"device.create\"] device SN5 "
			     "enrolled by token:nms"));
	free(m);
	/* no serial, no data, data that is not an object: the fixed params alone */
	ev = mkev(48, EV_PROFILE_CHANGED, "", "", NULL);
	m = fmt(&ev, SYSLOG_TCP_MAX, NULL);
	CHECK(m && strstr(m, " serial=\"\" peer=\"\"] profile  changed"));
	free(m);
	ev = mkev(49, EV_PROGRESS, "SN6", "", "[1]");
	m = fmt(&ev, SYSLOG_TCP_MAX, NULL);
	CHECK(m && strstr(m, " peer=\"\"] device SN6 reported progress"));
	free(m);

	/* a long string value is cut at SYSLOG_VALUE_MAX bytes, not inside é */
	memset(big, 0, sizeof(big));
	strcpy(big, "{\"message\":\"x");
	for (i = 0; i < 300; i++)
		strcat(big, "\xc3\xa9");
	strcat(big, "\"}");
	ev = mkev(50, EV_PROGRESS, "SN7", "", big);
	m = fmt(&ev, SYSLOG_TCP_MAX, NULL);
	{
		const char *v = m ? strstr(m, "message=\"") : NULL;
		const char *q = v ? strchr(v + 9, '"') : NULL;
		CHECK(q && q - (v + 9) == 255); /* x + 127 é */
		CHECK(v && utf8_valid(v + 9, (size_t)(q - (v + 9))));
	}
	free(m);

	/* UDP: the whole message at most 2048 bytes, cut at a UTF-8 boundary */
	strcpy(big, "{");
	for (i = 0; i < 12; i++) {
		char member[512];
		size_t k;
		snprintf(member, sizeof(member), "%s\"m%zu\":\"a", i ? "," : "", i);
		for (k = 0; k < 120; k++)
			strcat(member, "\xe2\x82\xac");
		strcat(member, "\"");
		strcat(big, member);
	}
	strcat(big, "}");
	ev = mkev(51, EV_PROGRESS, "SN8", "", big);
	m = fmt(&ev, SYSLOG_UDP_MAX, &len);
	CHECK(m && len <= SYSLOG_UDP_MAX && len > SYSLOG_UDP_MAX - 4 && strlen(m) == len);
	CHECK(m && utf8_valid(m, len));
	free(m);
	m = fmt(&ev, SYSLOG_TCP_MAX, &len);
	CHECK(m && len > SYSLOG_UDP_MAX && len <= SYSLOG_TCP_MAX && utf8_valid(m, len));
	CHECK(m && strstr(m, "] device SN8 reported progress"));
	free(m);

	/* facility and hostname */
	ev = mkev(52, EV_PROGRESS, "SN9", "", "{}");
	CHECK_RC(syslog_format(&ev, 0, "a b", 1, 2048, &out, &len, &e), SZTP_OK);
	CHECK(out && !strncmp(out, "<6>1 2026-11-30T21:50:00Z - sztpd 1 progress.reported [", 55));
	free(out);
	CHECK_RC(syslog_format(&ev, 23, NULL, 1, 2048, &out, &len, &e), SZTP_OK);
	CHECK(out && !strncmp(out, "<190>1 2026-11-30T21:50:00Z - sztpd", 35));
	free(out);
	CHECK_RC(syslog_format(&ev, 24, "h", 1, 2048, &out, &len, &e), SZTP_E_INVALID_VALUE);
	CHECK(out == NULL && len == 0);
}

static void test_frame(void)
{
	struct sztp_err e = {0};
	char *out = NULL;
	size_t len = 0;

	CHECK_RC(syslog_frame("<1>1 \xc3\xa9", 7, &out, &len, &e), SZTP_OK);
	CHECK(out && len == 9 && !memcmp(out, "7 <1>1 \xc3\xa9", 9));
	free(out);
	CHECK_RC(syslog_frame("", 0, &out, &len, &e), SZTP_OK);
	CHECK(out && len == 2 && !strcmp(out, "0 "));
	free(out);
}

static void test_target(void)
{
	struct config_syslog_target t;

	CHECK(config_syslog_target_parse("udp://collector.example:514", &t) == NULL);
	CHECK(t.proto == CONFIG_SYSLOG_UDP && !strcmp(t.host, "collector.example") &&
	      !strcmp(t.port, "514"));
	CHECK(config_syslog_target_parse("tcp://192.0.2.1:1514", &t) == NULL);
	CHECK(t.proto == CONFIG_SYSLOG_TCP && !strcmp(t.host, "192.0.2.1"));
	CHECK(config_syslog_target_parse("tls://[2001:db8::1]:6514", &t) == NULL);
	CHECK(t.proto == CONFIG_SYSLOG_TLS && !strcmp(t.host, "2001:db8::1") &&
	      !strcmp(t.port, "6514"));
	CHECK(config_syslog_target_parse("tls://[::1]:00065535", &t) != NULL);
	CHECK(config_syslog_target_parse("tls://h:65535", &t) == NULL && !strcmp(t.port, "65535"));
	CHECK(config_syslog_target_parse("http://h:514", &t) != NULL && t.proto == 0);
	CHECK(config_syslog_target_parse("UDP://h:514", &t) != NULL);
	CHECK(config_syslog_target_parse("udp://h", &t) != NULL);
	CHECK(config_syslog_target_parse("udp://h:", &t) != NULL);
	CHECK(config_syslog_target_parse("udp://h:0", &t) != NULL);
	CHECK(config_syslog_target_parse("udp://h:65536", &t) != NULL);
	CHECK(config_syslog_target_parse("udp://h:51x", &t) != NULL);
	CHECK(config_syslog_target_parse("udp://:514", &t) != NULL);
	CHECK(config_syslog_target_parse("udp://::1:514", &t) != NULL);
	CHECK(config_syslog_target_parse("udp://[::1:514", &t) != NULL);
	CHECK(config_syslog_target_parse("udp://[zz]:514", &t) != NULL);
	CHECK(config_syslog_target_parse("udp://[192.0.2.1]:514", &t) != NULL);
	CHECK(config_syslog_target_parse("tcp://h:514/x", &t) != NULL);
	CHECK(config_syslog_target_parse("tcp://a b:514", &t) != NULL);
	CHECK(config_syslog_target_parse("tcp://u@h:514", &t) != NULL);
	CHECK(config_syslog_target_parse(NULL, &t) != NULL);
	CHECK(config_syslog_facility_code("kern") == 0);
	CHECK(config_syslog_facility_code("daemon") == 3);
	CHECK(config_syslog_facility_code("ftp") == 11);
	CHECK(config_syslog_facility_code("local0") == 16);
	CHECK(config_syslog_facility_code("local7") == 23);
	CHECK(config_syslog_facility_code("local8") == -1);
	CHECK(config_syslog_facility_code(NULL) == -1);
}

static char dir[] = "/tmp/test_syslog.XXXXXX";

/* a config file in dir with the required keys and lines; loaded into c */
static sztp_rc load(struct config *c, struct sztp_err *e, const char *lines)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/sztpd.conf", dir);
	f = fopen(p, "w");
	if (!f)
		return SZTP_E_IO;
	fprintf(f, "tls-cert = %s\ntls-key = %s\nclient-ca = %s\ndatabase = %s/sztp.db\n%s",
		P("srv.pem"), P("srv.key"), P("root.pem"), dir, lines);
	fclose(f);
	return config_load(p, c, e);
}

static void test_config(void)
{
	struct config c;
	struct sztp_err e = {0};
	char lines[1024];

	CHECK_RC(load(&c, &e, ""), SZTP_OK);
	CHECK(c.syslog_target == NULL && !strcmp(c.syslog_facility, "local0") &&
	      c.syslog_max_age == 86400);
	CHECK_RC(syslog_sink_check(&c, &e), SZTP_OK); /* nothing configured */
	config_free(&c);
	CHECK_RC(load(&c, &e,
		      "syslog-target = udp://h:514\nsyslog-facility = daemon\n"
		      "syslog-max-age = 60\n"),
		 SZTP_OK);
	CHECK(!strcmp(c.syslog_target, "udp://h:514") && !strcmp(c.syslog_facility, "daemon") &&
	      c.syslog_max_age == 60);
	CHECK_RC(syslog_sink_check(&c, &e), SZTP_OK);
	config_free(&c);
	CHECK_RC(load(&c, &e, "syslog-target = udp://h\n"), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "sztpd.conf:5:") && strstr(e.msg, "'udp://h'"));
	CHECK_RC(load(&c, &e, "syslog-facility = local9\n"), SZTP_E_INVALID_VALUE);
	/* key combinations */
	CHECK_RC(load(&c, &e, "syslog-target = tls://localhost:6514\n"), SZTP_OK);
	CHECK_RC(syslog_sink_check(&c, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "needs syslog-ca") != NULL);
	config_free(&c);
	snprintf(lines, sizeof(lines), "syslog-target = udp://h:514\nsyslog-ca = %s\n",
		 P("root.pem"));
	CHECK_RC(load(&c, &e, lines), SZTP_OK);
	CHECK_RC(syslog_sink_check(&c, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "tls:// syslog-target only") != NULL);
	config_free(&c);
	snprintf(lines, sizeof(lines), "syslog-target = tls://h:6514\nsyslog-ca = %s\n",
		 P("root.pem"));
	CHECK_RC(load(&c, &e, lines), SZTP_OK);
	CHECK_RC(syslog_sink_check(&c, &e), SZTP_OK);
	config_free(&c);
	snprintf(lines, sizeof(lines), "syslog-target = tls://h:6514\nsyslog-ca = %s\n",
		 P("ec.key"));
	CHECK_RC(load(&c, &e, lines), SZTP_OK);
	CHECK_RC(syslog_sink_check(&c, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "syslog-ca") != NULL);
	config_free(&c);
	snprintf(lines, sizeof(lines),
		 "syslog-target = tls://h:6514\nsyslog-ca = %s\nsyslog-cert = %s\n", P("root.pem"),
		 P("idevid.pem"));
	CHECK_RC(load(&c, &e, lines), SZTP_OK);
	CHECK_RC(syslog_sink_check(&c, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "go together") != NULL);
	config_free(&c);
	snprintf(
	    lines, sizeof(lines),
	    "syslog-target = tls://h:6514\nsyslog-ca = %s\nsyslog-cert = %s\nsyslog-key = %s\n",
	    P("root.pem"), P("idevid.pem"), P("idevid.key"));
	CHECK_RC(load(&c, &e, lines), SZTP_OK);
	CHECK_RC(syslog_sink_check(&c, &e), SZTP_OK);
	config_free(&c);
	/* a key of another certificate; a key others may read */
	snprintf(
	    lines, sizeof(lines),
	    "syslog-target = tls://h:6514\nsyslog-ca = %s\nsyslog-cert = %s\nsyslog-key = %s\n",
	    P("root.pem"), P("idevid.pem"), P("ec.key"));
	CHECK_RC(load(&c, &e, lines), SZTP_OK);
	CHECK_RC(syslog_sink_check(&c, &e), SZTP_E_INVALID_VALUE);
	config_free(&c);
	chmod(P("idevid.key"), 0644);
	snprintf(
	    lines, sizeof(lines),
	    "syslog-target = tls://h:6514\nsyslog-ca = %s\nsyslog-cert = %s\nsyslog-key = %s\n",
	    P("root.pem"), P("idevid.pem"), P("idevid.key"));
	CHECK_RC(load(&c, &e, lines), SZTP_OK);
	CHECK_RC(syslog_sink_check(&c, &e), SZTP_E_PERM);
	CHECK(strstr(e.msg, "syslog-key") && strstr(e.msg, "0644"));
	config_free(&c);
	chmod(P("idevid.key"), 0600);
}

/* ---- the sender against collectors of this test ------------------------------ */

static int udp_collector_on(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int udp_collector(int *port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static int tcp_collector(int *port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)*port);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* one datagram within ms, NUL-terminated; its length or -1 */
static ssize_t recv_within(int fd, char *buf, size_t cap, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -1;
	n = recv(fd, buf, cap - 1, 0);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* one octet-counted frame from a stream within ms: the message in buf */
static ssize_t frame_within(int fd, char *buf, size_t cap, int ms)
{
	size_t len = 0, got = 0;
	char one[2], c;

	for (;;) {
		if (recv_within(fd, one, sizeof(one), ms) != 1) /* reads at most 1 */
			return -1;
		c = one[0];
		if (c == ' ')
			break;
		if (c < '0' || c > '9' || len > 100000)
			return -1;
		len = len * 10 + (size_t)(c - '0');
	}
	if (len >= cap)
		return -1;
	while (got < len) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;
		if (poll(&p, 1, ms) != 1 || (n = recv(fd, buf + got, len - got, 0)) <= 0)
			return -1;
		got += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

static int accept_within(int lfd, int ms)
{
	struct pollfd p = {lfd, POLLIN, 0};

	if (poll(&p, 1, ms) != 1)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

static void add_event(struct reg *r, const char *serial, int64_t time_, int64_t *id)
{
	struct reg_event ev;
	struct sztp_err e = {0};

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.type, sizeof(ev.type), "%s", EV_PROGRESS);
	snprintf(ev.serial, sizeof(ev.serial), "%s", serial);
	snprintf(ev.peer, sizeof(ev.peer), "127.0.0.1");
	ev.time = time_;
	ev.data = "{\"progress-type\":\"informational\"}";
	CHECK_RC(reg_event_add(r, &ev, id, &e), SZTP_OK);
}

static int64_t stored_cursor(struct reg *r)
{
	struct sztp_err e = {0};
	int64_t c = -1;

	if (reg_event_cursor_get(r, "syslog", &c, &e) != SZTP_OK)
		return -1;
	return c;
}

static int wait_cursor(struct reg *r, int64_t want, int ms)
{
	for (; ms > 0; ms -= 20) {
		if (stored_cursor(r) == want)
			return 1;
		usleep(20000);
	}
	return 0;
}

static void test_udp(struct reg *r, struct config *c)
{
	struct syslog_sink *s = NULL;
	struct sztp_err e = {0};
	char target[64], buf[4096], want[64];
	int port = 0, fd = udp_collector(&port), i;
	int64_t old, ids[3], cur = 0;
	uint64_t sent = 0, failed = 0;

	CHECK(fd >= 0);
	snprintf(target, sizeof(target), "udp://127.0.0.1:%d", port);
	free(c->syslog_target);
	c->syslog_target = strdup(target);
	add_event(r, "BEFORE", 0, &old); /* before the first start: not sent */
	CHECK_RC(syslog_sink_start(c, &s, &e), SZTP_OK);
	CHECK(s != NULL && stored_cursor(r) == old);
	for (i = 0; i < 3; i++) {
		char sn[16];
		snprintf(sn, sizeof(sn), "U%d", i);
		add_event(r, sn, 0, &ids[i]);
	}
	for (i = 0; i < 3; i++) {
		CHECK(recv_within(fd, buf, sizeof(buf), 3000) > 0);
		snprintf(want, sizeof(want), "id=\"%lld\"", (long long)ids[i]);
		CHECK(strstr(buf, want) != NULL); /* in order */
		snprintf(want, sizeof(want), "serial=\"U%d\"", i);
		CHECK(strstr(buf, want) != NULL);
		CHECK(!strncmp(buf, "<134>1 ", 7)); /* local0.info, no framing */
	}
	CHECK(wait_cursor(r, ids[2], 3000));
	syslog_sink_stats(s, &sent, &failed, &cur);
	CHECK(sent == 3 && failed == 0 && cur == ids[2]);
	syslog_sink_stop(s);
	/* while stopped, then an old event: skipped and counted, the next sent */
	c->syslog_max_age = 60;
	add_event(r, "OLD", (int64_t)time(NULL) - 3600, &old);
	add_event(r, "NEW", 0, &ids[0]);
	CHECK_RC(syslog_sink_start(c, &s, &e), SZTP_OK);
	CHECK(recv_within(fd, buf, sizeof(buf), 3000) > 0);
	CHECK(strstr(buf, "serial=\"NEW\"") != NULL);
	CHECK(wait_cursor(r, ids[0], 3000));
	syslog_sink_stats(s, &sent, &failed, &cur);
	CHECK(sent == 1 && failed == 1 && cur == ids[0]);
	CHECK(recv_within(fd, buf, sizeof(buf), 200) < 0); /* nothing else */
	/* nobody listens for a while (ICMP port unreachable): UDP loses those,
	 * the sender goes on; a collector back on the port gets what follows */
	close(fd);
	for (i = 0; i < 3; i++)
		add_event(r, "LOST", 0, &ids[0]);
	CHECK(wait_cursor(r, ids[0], 3000));
	fd = udp_collector_on(port);
	CHECK(fd >= 0);
	add_event(r, "BACK", 0, &ids[1]);
	CHECK(recv_within(fd, buf, sizeof(buf), 3000) > 0);
	snprintf(want, sizeof(want), "id=\"%lld\" type", (long long)ids[1]);
	CHECK(strstr(buf, want) && strstr(buf, "serial=\"BACK\""));
	CHECK(wait_cursor(r, ids[1], 3000));
	syslog_sink_stats(s, &sent, &failed, &cur);
	CHECK(sent == 5 && failed == 1 && cur == ids[1]);
	syslog_sink_stop(s);
	syslog_sink_stats(NULL, &sent, &failed, &cur);
	CHECK(sent == 0 && failed == 0 && cur == -1);
	close(fd);
}

static void test_tcp(struct reg *r, struct config *c)
{
	struct syslog_sink *s = NULL;
	struct sztp_err e = {0};
	char target[64], buf[16384], want[64];
	int port = 0, lfd = tcp_collector(&port), cfd, i;
	int64_t ids[6];

	CHECK(lfd >= 0);
	snprintf(target, sizeof(target), "tcp://127.0.0.1:%d", port);
	free(c->syslog_target);
	c->syslog_target = strdup(target);
	c->syslog_max_age = 86400;
	CHECK_RC(syslog_sink_start(c, &s, &e), SZTP_OK);
	add_event(r, "T0", 0, &ids[0]);
	add_event(r, "T1", 0, &ids[1]);
	cfd = accept_within(lfd, 3000);
	CHECK(cfd >= 0);
	for (i = 0; i < 2; i++) {
		CHECK(frame_within(cfd, buf, sizeof(buf), 3000) > 0);
		snprintf(want, sizeof(want), "id=\"%lld\"", (long long)ids[i]);
		CHECK(!strncmp(buf, "<134>1 ", 7) && strstr(buf, want));
	}
	CHECK(wait_cursor(r, ids[1], 3000));
	/* the collector goes away: nothing is lost, everything comes after the reconnect */
	close(cfd);
	close(lfd);
	add_event(r, "T2", 0, &ids[2]);
	usleep(300000);
	add_event(r, "T3", 0, &ids[3]);
	usleep(300000);
	CHECK(stored_cursor(r) == ids[1]);
	lfd = tcp_collector(&port);
	CHECK(lfd >= 0);
	add_event(r, "T4", 0, &ids[4]);
	cfd = accept_within(lfd, 15000);
	CHECK(cfd >= 0);
	for (i = 2; i < 5; i++) {
		CHECK(frame_within(cfd, buf, sizeof(buf), 3000) > 0);
		snprintf(want, sizeof(want), "id=\"%lld\"", (long long)ids[i]);
		CHECK(strstr(buf, want) != NULL);
	}
	CHECK(wait_cursor(r, ids[4], 3000));
	/* a stop stores the cursor; a start goes on from it */
	syslog_sink_stop(s);
	close(cfd);
	add_event(r, "T5", 0, &ids[5]);
	CHECK_RC(syslog_sink_start(c, &s, &e), SZTP_OK);
	cfd = accept_within(lfd, 3000);
	CHECK(cfd >= 0 && frame_within(cfd, buf, sizeof(buf), 3000) > 0);
	snprintf(want, sizeof(want), "id=\"%lld\"", (long long)ids[5]);
	CHECK(strstr(buf, want) != NULL);
	syslog_sink_stop(s);
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	/* unset: the cursor is dropped */
	free(c->syslog_target);
	c->syslog_target = NULL;
	CHECK_RC(syslog_sink_start(c, &s, &e), SZTP_OK);
	CHECK(s == NULL && stored_cursor(r) == -1);
}

int main(void)
{
	struct config c;
	struct reg *r = NULL;
	struct sztp_err e = {0};
	char db[128];

	test_severity();
	test_escape();
	test_cut();
	test_format();
	test_frame();
	test_target();
	if (fixture_setup("syslog") != 0 || !mkdtemp(dir)) {
		CHECK(!"fixture");
		return unit_report("test_syslog");
	}
	test_config();
	snprintf(db, sizeof(db), "%s/sztp.db", dir);
	CHECK_RC(reg_create(db, &r, &e), SZTP_OK);
	CHECK_RC(load(&c, &e, ""), SZTP_OK);
	if (r) {
		test_udp(r, &c);
		test_tcp(r, &c);
		reg_close(r);
	}
	config_free(&c);
	fixture_teardown();
	snprintf(db, sizeof(db), "rm -rf '%s'", dir);
	if (system(db) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return unit_report("test_syslog");
}
