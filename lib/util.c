/*
 * util.c - base64 (RFC 4648 s4, strict: YANG `binary` is canonical
 * base64, RFC 7950 s9.8), yang:hex-string formatting, streamed SHA-256 of
 * files (crypto.h), capped file reads, constant-time comparison and
 * yang:date-and-time (RFC 3339) conversion.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>

#include "crypto.h"
#include "util.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

sztp_rc b64_encode(const uint8_t *in, size_t len, char **out, struct sztp_err *e)
{
	size_t olen = 4 * ((len + 2) / 3), i, o = 0;
	char *s = malloc(olen + 1);

	if (!s)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory encoding base64");
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		s[o++] = b64_alphabet[v >> 18];
		s[o++] = b64_alphabet[(v >> 12) & 63];
		s[o++] = b64_alphabet[(v >> 6) & 63];
		s[o++] = b64_alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		s[o++] = b64_alphabet[v >> 18];
		s[o++] = b64_alphabet[(v >> 12) & 63];
		s[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		s[o++] = '=';
	}
	s[o] = '\0';
	*out = s;
	return SZTP_OK;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

sztp_rc b64_decode(const char *in, size_t len, sztp_bytes *out, struct sztp_err *e)
{
	size_t pad = 0, i, o = 0;
	uint8_t *d;

	out->data = NULL;
	out->len = 0;
	if (len % 4)
		return sztp_err_set(e, SZTP_E_MALFORMED, "base64 length %zu is not a multiple of 4",
				    len);
	if (len && in[len - 1] == '=')
		pad++;
	if (len > 1 && in[len - 2] == '=')
		pad++;
	d = malloc(len / 4 * 3 + 1);
	if (!d)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory decoding base64");
	for (i = 0; i < len; i += 4) {
		int v[4], k;
		int last = i + 4 == len;
		for (k = 0; k < 4; k++) {
			if (last && k >= 4 - (int)pad) {
				v[k] = 0;
				continue;
			}
			v[k] = b64_value(in[i + k]);
			if (v[k] < 0) {
				free(d);
				return sztp_err_set(e, SZTP_E_MALFORMED,
						    "invalid base64 character at offset %zu",
						    i + k);
			}
		}
		uint32_t w =
		    (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | v[3];
		d[o++] = w >> 16;
		if (!last || pad < 2)
			d[o++] = (w >> 8) & 0xff;
		if (!last || pad < 1)
			d[o++] = w & 0xff;
		/* non-canonical trailing bits (RFC 4648 s3.5) */
		if (last && ((pad == 1 && (v[2] & 3)) || (pad == 2 && (v[1] & 15)))) {
			free(d);
			return sztp_err_set(e, SZTP_E_MALFORMED,
					    "non-canonical base64 padding bits");
		}
	}
	out->data = d;
	out->len = o;
	return SZTP_OK;
}

void hex_colon(const uint8_t *in, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		*out++ = hx[in[i] >> 4];
		*out++ = hx[in[i] & 15];
		*out++ = i + 1 < len ? ':' : '\0';
	}
	if (!len)
		*out = '\0';
}

sztp_rc sha256_file(const char *path, uint8_t digest[32], struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_IO;
	struct crypto_sha256 ctx;
	uint8_t buf[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	memset(digest, 0, CRYPTO_SHA256_LEN);
	if (!f)
		return sztp_err_set(e, rc, "%s: %s", path, strerror(errno));
	crypto_sha256_init(&ctx);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		crypto_sha256_update(&ctx, buf, n);
	if (ferror(f)) {
		crypto_wipe(&ctx, sizeof(ctx));
		sztp_err_set(e, rc, "%s: read error", path);
		goto out;
	}
	crypto_sha256_final(&ctx, digest);
	rc = SZTP_OK;
out:
	fclose(f);
	return rc;
}

sztp_rc file_read(const char *path, size_t max, sztp_bytes *out, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_IO;
	struct stat st;
	FILE *f;
	uint8_t *d = NULL;
	size_t n;

	out->data = NULL;
	out->len = 0;
	f = fopen(path, "rb");
	if (!f)
		return sztp_err_set(e, SZTP_E_IO, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		sztp_err_set(e, SZTP_E_IO, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		rc = sztp_err_set(e, SZTP_E_TOO_BIG, "%s: %lld bytes, more than the %zu allowed",
				  path, (long long)st.st_size, max);
		goto out;
	}
	d = malloc((size_t)st.st_size + 1);
	if (!d) {
		rc = sztp_err_set(e, SZTP_E_NOMEM, "out of memory reading %s", path);
		goto out;
	}
	n = fread(d, 1, (size_t)st.st_size, f);
	if (n != (size_t)st.st_size) {
		sztp_err_set(e, SZTP_E_IO, "%s: short read", path);
		goto out;
	}
	d[n] = '\0';
	out->data = d;
	out->len = n;
	d = NULL;
	rc = SZTP_OK;
out:
	free(d);
	fclose(f);
	return rc;
}

int ct_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= x[i] ^ y[i];
	return acc == 0;
}

void time_rfc3339(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t time_parse_rfc3339(const char *s)
{
	struct tm tm;
	const char *p;
	int off = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm;
#define D(c) ((c) >= '0' && (c) <= '9')
		/* exactly "+HH:MM": every byte checked before moving past it */
		if (!D(p[1]) || !D(p[2]) || p[3] != ':' || !D(p[4]) || !D(p[5]))
			return -1;
#undef D
		hh = (p[1] - '0') * 10 + (p[2] - '0');
		mm = (p[4] - '0') * 10 + (p[5] - '0');
		if (hh > 23 || mm > 59)
			return -1;
		off = (hh * 60 + mm) * 60 * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	t = timegm(&tm);
	return t - off;
}

#ifndef SZTP_YANG_DIR
#define SZTP_YANG_DIR "/usr/local/share/sztp/yang"
#endif

static char yang_dir[PATH_MAX];
static pthread_once_t yang_dir_once = PTHREAD_ONCE_INIT;

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void yang_dir_find(void)
{
	char exe[PATH_MAX], cand[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	snprintf(yang_dir, sizeof(yang_dir), "%s", SZTP_YANG_DIR);
	if (n <= 0)
		return;
	exe[n] = '\0';
	dirname(exe);
	snprintf(cand, sizeof(cand), "%s/../share/sztp/yang", exe);
	if (!is_dir(cand)) {
		/* build/sztpd or build/tests/test_x in a source tree */
		snprintf(cand, sizeof(cand), "%s/../yang", exe);
		if (!is_dir(cand))
			snprintf(cand, sizeof(cand), "%s/../../yang", exe);
	}
	if (is_dir(cand) && realpath(cand, exe))
		snprintf(yang_dir, sizeof(yang_dir), "%s", exe);
}

const char *sztp_yang_dir_default(void)
{
	pthread_once(&yang_dir_once, yang_dir_find);
	return yang_dir;
}
