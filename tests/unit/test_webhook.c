/* Unit tests for events/webhook.c and crypto_hmac_sha256: HMAC-SHA256
 * against RFC 4231's vectors and GnuTLS's own HMAC, the signature
 * header's exact form, the backoff's bounds (exponential, capped, jitter
 * in [0.5, 1.5) of the base, no overflow), and the worker on a real
 * registry: a refused connection is a recorded failed attempt with its
 * backoff, and webhooks_stop abandons an attempt hanging on a silent
 * receiver at once, without recording it.  (Deliveries to a real
 * receiver: tests/e2e/t_webhook.sh.) */
#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "config.h"
#include "crypto.h"
#include "registry.h"
#include "webhook.h"

static void unhex(const char *s, uint8_t *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned v = 0;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static int mac_is(const uint8_t *mac, const char *want_hex)
{
	uint8_t w[CRYPTO_SHA256_LEN];

	unhex(want_hex, w, sizeof(w));
	return !memcmp(mac, w, sizeof(w));
}

/* RFC 4231 s4.2, s4.3, s4.7 (a key longer than the block) */
static void test_hmac_rfc4231(void)
{
	uint8_t key[131], mac[CRYPTO_SHA256_LEN];
	const char *m7 = "This is a test using a larger than block-size key and a larger than "
			 "block-size data. The key needs to be hashed before being used by the "
			 "HMAC algorithm.";

	memset(key, 0x0b, 20);
	crypto_hmac_sha256(key, 20, "Hi There", 8, mac);
	CHECK(mac_is(mac, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
	crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	CHECK(mac_is(mac, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
	memset(key, 0xaa, sizeof(key));
	crypto_hmac_sha256(key, sizeof(key), m7, strlen(m7), mac);
	CHECK(mac_is(mac, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"));
	/* an empty key and message are valid too */
	crypto_hmac_sha256("", 0, "", 0, mac);
	CHECK(mac_is(mac, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"));
}

/* The header value: "sha256=" + lowercase hex of HMAC(secret, ts "." body),
 * checked against GnuTLS's HMAC (another implementation than nettle's). */
static void test_signature(void)
{
	const char *secret = "0123456789abcdef-webhook-secret";
	const char *body = "{\"events\":[{\"id\":1,\"type\":\"progress.reported\"}]}";
	char sig[WEBHOOK_SIGNATURE_LEN], want[WEBHOOK_SIGNATURE_LEN], msg[256];
	uint8_t mac[CRYPTO_SHA256_LEN];
	struct sztp_err e = {0};
	size_t i;

	CHECK_RC(webhook_signature(secret, "1764539400", body, strlen(body), sig, &e), SZTP_OK);
	snprintf(msg, sizeof(msg), "1764539400.%s", body);
	CHECK(gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, strlen(secret), msg, strlen(msg), mac) ==
	      0);
	memcpy(want, "sha256=", 7);
	for (i = 0; i < sizeof(mac); i++)
		snprintf(want + 7 + 2 * i, 3, "%02x", mac[i]);
	CHECK(!strcmp(sig, want));
	CHECK(strlen(sig) == WEBHOOK_SIGNATURE_LEN - 1);
	/* the timestamp is signed: another one, another signature */
	CHECK_RC(webhook_signature(secret, "1764539401", body, strlen(body), want, &e), SZTP_OK);
	CHECK(strcmp(sig, want) != 0);
	/* and so is every byte of the body */
	CHECK_RC(webhook_signature(secret, "1764539400", body, strlen(body) - 1, want, &e),
		 SZTP_OK);
	CHECK(strcmp(sig, want) != 0);
	/* an empty body: HMAC over "TS." */
	CHECK_RC(webhook_signature(secret, "7", "", 0, sig, &e), SZTP_OK);
	CHECK(gnutls_hmac_fast(GNUTLS_MAC_SHA256, secret, strlen(secret), "7.", 2, mac) == 0);
	for (i = 0; i < sizeof(mac); i++)
		snprintf(want + 7 + 2 * i, 3, "%02x", mac[i]);
	CHECK(!strcmp(sig, want));
}

static void test_backoff(void)
{
	int a, k, bad = 0;
	const double us[] = {0.0, 0.25, 0.5, 0.75, 0.999999};

	/* exact points: 1 s * 2^(a-1) times 0.5 + u */
	CHECK(webhook_backoff_ms(1, 300, 0.0) == 500);
	CHECK(webhook_backoff_ms(1, 300, 0.5) == 1000);
	CHECK(webhook_backoff_ms(2, 300, 0.5) == 2000);
	CHECK(webhook_backoff_ms(3, 300, 0.5) == 4000);
	CHECK(webhook_backoff_ms(9, 300, 0.5) == 256000);
	/* capped at webhook-backoff-max, jitter still applied */
	CHECK(webhook_backoff_ms(10, 300, 0.5) == 300000);
	CHECK(webhook_backoff_ms(10, 300, 0.0) == 150000);
	CHECK(webhook_backoff_ms(10, 300, 0.999999) < 450000);
	CHECK(webhook_backoff_ms(10, 300, 0.999999) >= 449999);
	CHECK(webhook_backoff_ms(3, 1, 0.5) == 1000);
	/* no overflow however many attempts */
	CHECK(webhook_backoff_ms(64, 300, 0.5) == 300000);
	CHECK(webhook_backoff_ms(1000000, 86400, 0.5) == 86400000);
	CHECK(webhook_backoff_ms(2147483647, 86400, 0.0) == 43200000);
	/* out-of-range arguments are clamped */
	CHECK(webhook_backoff_ms(0, 300, 0.5) == 1000);
	CHECK(webhook_backoff_ms(-5, 300, 0.5) == 1000);
	CHECK(webhook_backoff_ms(1, 300, -1.0) == 500);
	CHECK(webhook_backoff_ms(1, 300, 7.0) < 1500);
	/* the bounds everywhere: [0.5, 1.5) of min(max, 2^(a-1) s), and
	 * growing with the attempts for one u */
	for (a = 1; a <= 40; a++)
		for (k = 0; k < 5; k++) {
			int64_t base =
			    a <= 20 && (1000LL << (a - 1)) < 300000 ? 1000LL << (a - 1) : 300000;
			int64_t d = webhook_backoff_ms(a, 300, us[k]);
			if (d < base / 2 || d >= base + base / 2 ||
			    (a > 1 && d < webhook_backoff_ms(a - 1, 300, us[k])))
				bad++;
		}
	CHECK(bad == 0);
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A loopback TCP socket: listening (connections complete, nobody
 * answers) or closed again (connections refused).  Its port in *port. */
static int tcp_socket(int listening, int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0 || (listening && listen(fd, 8) != 0)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	if (!listening) {
		close(fd);
		fd = -2;
	}
	return fd;
}

static void hook_add(struct reg *r, const char *name, int port)
{
	struct reg_webhook w;
	char url[64];

	memset(&w, 0, sizeof(w));
	snprintf(w.name, sizeof(w.name), "%s", name);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/events", port);
	w.url = url;
	w.types = "";
	w.secret = "0123456789abcdef0123";
	w.enabled = 1;
	CHECK_RC(reg_webhook_add(r, &w, NULL), SZTP_OK);
}

static void test_worker(void)
{
	char dir[] = "/tmp/sztp-test_webhook-XXXXXX", path[128];
	struct reg_event ev = {0};
	struct reg_webhook w;
	struct webhooks *hooks = NULL;
	struct config cfg;
	struct reg *r = NULL;
	int silent, closed_port = 0, silent_port = 0, i, conn = -1;
	int64_t t0, t1;

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/reg.db", dir);
	CHECK_RC(reg_open(path, &r, NULL), SZTP_OK);
	silent = tcp_socket(1, &silent_port);
	CHECK(silent >= 0 && tcp_socket(0, &closed_port) == -2);
	if (!r || silent < 0)
		goto out;
	/* "a-refused" is tried first (by name), then "b-silent" hangs */
	hook_add(r, "a-refused", closed_port);
	hook_add(r, "b-silent", silent_port);
	config_defaults(&cfg);
	free(cfg.database);
	cfg.database = strdup(path);
	cfg.webhook_timeout = 60;
	cfg.webhook_backoff_max = 1;
	t0 = ms_now();
	CHECK_RC(webhooks_start(&cfg, &hooks, NULL), SZTP_OK);
	snprintf(ev.type, sizeof(ev.type), "progress.reported");
	snprintf(ev.serial, sizeof(ev.serial), "SN-1");
	ev.data = "{\"progress-type\":\"informational\"}";
	CHECK_RC(reg_event_add(r, &ev, NULL, NULL), SZTP_OK);
	memset(&w, 0, sizeof(w));
	for (i = 0; i < 100; i++) {
		if (reg_webhook_get(r, "a-refused", &w, NULL) == SZTP_OK && w.attempts >= 1)
			break;
		reg_webhook_clear(&w);
		usleep(50 * 1000);
	}
	CHECK(w.attempts == 1 && w.failed == 1 && w.delivered == 0 && w.cursor == 0);
	CHECK(w.last_status == 0 && w.last_error && strstr(w.last_error, "onnect"));
	/* the next attempt: 1 s (the first backoff) times [0.5, 1.5) */
	t1 = ms_now();
	CHECK(w.next_attempt_ms >= t0 + 500 && w.next_attempt_ms < t1 + 1500);
	reg_webhook_clear(&w);
	/* the worker is in b-silent's attempt now: connected, waiting */
	for (i = 0, conn = -1; i < 100 && conn < 0; i++) {
		usleep(20 * 1000);
		conn = accept4(silent, NULL, NULL, SOCK_NONBLOCK);
	}
	CHECK(conn >= 0);
	usleep(100 * 1000);
	t1 = ms_now();
	webhooks_stop(hooks);
	t1 = ms_now() - t1;
	CHECK(t1 < 3000); /* not webhook-timeout */
	if (t1 >= 3000)
		fprintf(stderr, "webhooks_stop took %lld ms\n", (long long)t1);
	CHECK_RC(reg_webhook_get(r, "b-silent", &w, NULL), SZTP_OK);
	CHECK(w.attempts == 0 && w.failed == 0 && w.cursor == 0); /* abandoned, not recorded */
	reg_webhook_clear(&w);
	config_free(&cfg);
out:
	if (conn >= 0)
		close(conn);
	if (silent >= 0)
		close(silent);
	reg_close(r);
	{
		char cmd[160];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK(system(cmd) == 0);
	}
}

int main(void)
{
	test_hmac_rfc4231();
	test_signature();
	test_backoff();
	test_worker();
	return unit_report("test_webhook");
}
