/*
 * sztp-load.c - load generator for the sztpd benchmark (issue 4).  Each
 * simulated device is a fresh libcurl easy handle with its own IDevID
 * (client certificate and key from an sztp-pki tree), so every device makes
 * a new mutual-TLS connection with a full handshake: no TLS session cache,
 * and a device's connection is closed after its last call.  A device POSTs
 * get-bootstrapping-data (RFC 8572 s7.1, asking for signed data) and then K
 * report-progress calls (RFC 8572 s7.2) on the same connection, as a real
 * device that keeps its connection alive would.  Runs on libcurl's multi
 * interface in one thread, C devices in flight at a time, and prints
 * requests/s, devices/s, latency percentiles and failures by cause (text,
 * and JSON with --json).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>

#define GBD_PATH "/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data"
#define RP_PATH "/restconf/operations/ietf-sztp-bootstrap-server:report-progress"
#define GBD_BODY "{\"ietf-sztp-bootstrap-server:input\":{\"signed-data-preferred\":[null]}}"
#define MAX_CAUSES 32

struct opts {
	const char *url_base, *pki, *serials_file, *json, *cacert, *resolve;
	long devices, total, concurrency, reports;
	double duration;
	int no_verify, verbose;
};

struct device {
	CURL *h;
	long idx, step; /* step 0 = get-bootstrapping-data, 1..K = report-progress */
	double t0;
	char cert[4096], key[4096];
	char err[CURL_ERROR_SIZE];
	struct curl_slist *hdrs;
};

struct cause {
	char name[96];
	long n;
};

struct stats {
	double *req_lat, *dev_lat; /* seconds */
	long n_req, cap_req, n_dev, cap_dev;
	long ok_req, fail_req, fail_dev, started;
	unsigned long long gbd_bytes, gbd_n, bytes_in;
	struct cause causes[MAX_CAUSES];
	int n_causes;
};

static char tls_desc[256] = "-";
static struct opts O = {.devices = 0, .concurrency = 50, .reports = 3};
static char **serials;
static long n_serials;
static struct stats S;
static const char *progress_types[] = {"bootstrap-initiated", "boot-image-installed-rebooting",
				       "config-complete", "informational", "bootstrap-complete"};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("sztp-load: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void push(double **a, long *n, long *cap, double v)
{
	if (*n == *cap) {
		long nc = *cap ? *cap * 2 : 4096;
		double *na = realloc(*a, (size_t)nc * sizeof(double));
		if (!na)
			die("out of memory");
		*a = na;
		*cap = nc;
	}
	(*a)[(*n)++] = v;
}

static void add_cause(const char *name)
{
	int i;

	for (i = 0; i < S.n_causes; i++)
		if (strcmp(S.causes[i].name, name) == 0) {
			S.causes[i].n++;
			return;
		}
	if (S.n_causes == MAX_CAUSES)
		i = MAX_CAUSES - 1; /* lump the rest into the last slot */
	else
		snprintf(S.causes[S.n_causes++].name, sizeof(S.causes[0].name), "%s", name);
	S.causes[i].n++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void add_serial(const char *s)
{
	static long cap;

	if (n_serials == cap) {
		long nc = cap ? cap * 2 : 1024;
		char **ns = realloc(serials, (size_t)nc * sizeof(char *));
		if (!ns)
			die("out of memory");
		serials = ns;
		cap = nc;
	}
	if (!(serials[n_serials++] = strdup(s)))
		die("out of memory");
}

/* The first N device directories (sorted by name), or the serials file. */
static void load_serials(void)
{
	char path[4096];

	if (O.serials_file) {
		FILE *f = fopen(O.serials_file, "r");
		char line[512];
		if (!f)
			die("%s: %s", O.serials_file, strerror(errno));
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0])
				add_serial(line);
		}
		fclose(f);
	} else {
		DIR *d;
		struct dirent *de;
		snprintf(path, sizeof(path), "%s/devices", O.pki);
		if (!(d = opendir(path)))
			die("%s: %s", path, strerror(errno));
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				add_serial(de->d_name);
		closedir(d);
		qsort(serials, (size_t)n_serials, sizeof(char *), cmp_str);
	}
	if (O.devices > 0 && O.devices < n_serials)
		n_serials = O.devices;
	if (n_serials == 0)
		die("no devices found");
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
	struct device *d = ud;

	(void)p;
	if (d->step == 0 && tls_desc[0] == '-') { /* what was negotiated, while connected */
		const struct curl_tlssessioninfo *ti = NULL;
		if (curl_easy_getinfo(d->h, CURLINFO_TLS_SSL_PTR, &ti) == CURLE_OK && ti &&
		    ti->backend == CURLSSLBACKEND_GNUTLS && ti->internals) {
			char *desc = gnutls_session_get_desc(ti->internals);
			if (desc) {
				snprintf(tls_desc, sizeof(tls_desc), "%s", desc);
				gnutls_free(desc);
			}
		}
	}
	if (d->step == 0)
		S.gbd_bytes += sz * n;
	S.bytes_in += sz * n;
	return sz * n;
}

static char rp_bodies[5][160];

static void set_request(struct device *d)
{
	char url[1024];

	if (d->step == 0) {
		snprintf(url, sizeof(url), "%s%s", O.url_base, GBD_PATH);
		curl_easy_setopt(d->h, CURLOPT_POSTFIELDS, GBD_BODY);
	} else {
		int t = d->step == O.reports ? 4 : (int)((d->step - 1) % 4);
		snprintf(url, sizeof(url), "%s%s", O.url_base, RP_PATH);
		curl_easy_setopt(d->h, CURLOPT_POSTFIELDS, rp_bodies[t]);
	}
	curl_easy_setopt(d->h, CURLOPT_URL, url);
	/* a new connection for the device's first call, kept for its follow-ups,
	 * closed after its last call */
	curl_easy_setopt(d->h, CURLOPT_FRESH_CONNECT, d->step == 0 ? 1L : 0L);
	curl_easy_setopt(d->h, CURLOPT_FORBID_REUSE, d->step == O.reports ? 1L : 0L);
}

static struct device *device_new(long idx, struct curl_slist *resolve)
{
	struct device *d = calloc(1, sizeof(*d));
	const char *sn = serials[idx % n_serials];

	if (!d || !(d->h = curl_easy_init()))
		die("out of memory");
	d->idx = idx;
	d->t0 = now_s();
	snprintf(d->cert, sizeof(d->cert), "%s/devices/%s/chain.pem", O.pki, sn);
	snprintf(d->key, sizeof(d->key), "%s/devices/%s/idevid.key", O.pki, sn);
	d->hdrs = curl_slist_append(NULL, "Content-Type: application/yang-data+json");
	d->hdrs = curl_slist_append(d->hdrs, "Accept: application/yang-data+json");
	d->hdrs = curl_slist_append(d->hdrs, "Expect:");
	curl_easy_setopt(d->h, CURLOPT_HTTPHEADER, d->hdrs);
	curl_easy_setopt(d->h, CURLOPT_SSLCERT, d->cert);
	curl_easy_setopt(d->h, CURLOPT_SSLKEY, d->key);
	curl_easy_setopt(d->h, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(d->h, CURLOPT_CAINFO, O.cacert);
	curl_easy_setopt(d->h, CURLOPT_CAPATH, NULL); /* not the system store: parsing it costs ~40 ms per connection */
	curl_easy_setopt(d->h, CURLOPT_SSL_VERIFYPEER, O.no_verify ? 0L : 1L);
	curl_easy_setopt(d->h, CURLOPT_SSL_VERIFYHOST, O.no_verify ? 0L : 2L);
	curl_easy_setopt(d->h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(d->h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(d->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(d->h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(d->h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(d->h, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(d->h, CURLOPT_PRIVATE, d);
	curl_easy_setopt(d->h, CURLOPT_ERRORBUFFER, d->err);
	if (resolve)
		curl_easy_setopt(d->h, CURLOPT_RESOLVE, resolve);
	set_request(d);
	return d;
}

static void device_free(struct device *d)
{
	curl_easy_cleanup(d->h);
	curl_slist_free_all(d->hdrs);
	free(d);
}

static double pct(double *a, long n, double p)
{
	long i;

	if (n == 0)
		return 0;
	i = (long)(p * (double)(n - 1) + 0.5);
	return a[i];
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static double cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void report(double elapsed)
{
	double rps, dps;
	FILE *f;
	int i;

	qsort(S.req_lat, (size_t)S.n_req, sizeof(double), cmp_dbl);
	qsort(S.dev_lat, (size_t)S.n_dev, sizeof(double), cmp_dbl);
	rps = elapsed > 0 ? (double)S.ok_req / elapsed : 0;
	dps = elapsed > 0 ? (double)S.n_dev / elapsed : 0;
	printf("devices %ld ok, %ld failed; requests %ld ok, %ld failed; %.2f s\n", S.n_dev,
	       S.fail_dev, S.ok_req, S.fail_req, elapsed);
	printf("requests/s %.1f  devices/s %.1f\n", rps, dps);
	printf("request latency ms p50 %.2f p95 %.2f p99 %.2f\n", pct(S.req_lat, S.n_req, .5) * 1e3,
	       pct(S.req_lat, S.n_req, .95) * 1e3, pct(S.req_lat, S.n_req, .99) * 1e3);
	printf("device latency ms  p50 %.2f p95 %.2f p99 %.2f\n", pct(S.dev_lat, S.n_dev, .5) * 1e3,
	       pct(S.dev_lat, S.n_dev, .95) * 1e3, pct(S.dev_lat, S.n_dev, .99) * 1e3);
	printf("tls %s\n", tls_desc);
	printf("load generator CPU s %.2f\n", cpu_s());
	printf("get-bootstrapping-data body bytes (mean) %.0f\n",
	       S.gbd_n ? (double)S.gbd_bytes / (double)S.gbd_n : 0.0);
	for (i = 0; i < S.n_causes; i++)
		printf("failure %s: %ld\n", S.causes[i].name, S.causes[i].n);
	if (!O.json)
		return;
	if (!(f = fopen(O.json, "w")))
		die("%s: %s", O.json, strerror(errno));
	fprintf(f,
		"{\"devices_ok\":%ld,\"devices_failed\":%ld,\"requests_ok\":%ld,"
		"\"requests_failed\":%ld,\"elapsed_s\":%.4f,\"req_per_s\":%.2f,\"dev_per_s\":%.2f,"
		"\"concurrency\":%ld,\"reports\":%ld,\"client_cpu_s\":%.3f,\"tls\":",
		S.n_dev, S.fail_dev, S.ok_req, S.fail_req, elapsed, rps, dps, O.concurrency,
		O.reports, cpu_s());
	json_str(f, tls_desc);
	fputc(',', f);
	fprintf(f,
		"\"req_p50_ms\":%.3f,\"req_p95_ms\":%.3f,\"req_p99_ms\":%.3f,"
		"\"dev_p50_ms\":%.3f,\"dev_p95_ms\":%.3f,\"dev_p99_ms\":%.3f,\"gbd_bytes\":%.0f,"
		"\"failures\":{",
		pct(S.req_lat, S.n_req, .5) * 1e3, pct(S.req_lat, S.n_req, .95) * 1e3,
		pct(S.req_lat, S.n_req, .99) * 1e3, pct(S.dev_lat, S.n_dev, .5) * 1e3,
		pct(S.dev_lat, S.n_dev, .95) * 1e3, pct(S.dev_lat, S.n_dev, .99) * 1e3,
		S.gbd_n ? (double)S.gbd_bytes / (double)S.gbd_n : 0.0);
	for (i = 0; i < S.n_causes; i++) {
		if (i)
			fputc(',', f);
		json_str(f, S.causes[i].name);
		fprintf(f, ":%ld", S.causes[i].n);
	}
	fprintf(f, "}}\n");
	fclose(f);
}

static void usage(void)
{
	fputs("usage: sztp-load --url-base https://HOST:PORT --pki DIR [--devices N | --serials-file F]\n"
	      "       [--total M] [--duration S] [--concurrency C] [--reports K] [--cacert F]\n"
	      "       [--resolve HOST:PORT:ADDR] [--no-verify] [--json FILE] [-v]\n"
	      "  --devices N      use the first N device directories of DIR/devices (default all)\n"
	      "  --total M        bootstrap M devices (default N); identities cycle when M > N\n"
	      "  --duration S     stop starting devices after S seconds\n"
	      "  --concurrency C  devices in flight (default 50)\n"
	      "  --reports K      report-progress calls per device (default 3)\n"
	      "  --cacert F       server trust anchor (default DIR/owner/ca.pem)\n",
	      stderr);
	exit(2);
}

static void parse(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0 && (v || (usage(), 0)) && ++i)
		if (ARG("--url-base"))
			O.url_base = v;
		else if (ARG("--pki"))
			O.pki = v;
		else if (ARG("--serials-file"))
			O.serials_file = v;
		else if (ARG("--devices"))
			O.devices = atol(v);
		else if (ARG("--total"))
			O.total = atol(v);
		else if (ARG("--duration"))
			O.duration = atof(v);
		else if (ARG("--concurrency"))
			O.concurrency = atol(v);
		else if (ARG("--reports"))
			O.reports = atol(v);
		else if (ARG("--cacert"))
			O.cacert = v;
		else if (ARG("--resolve"))
			O.resolve = v;
		else if (ARG("--json"))
			O.json = v;
		else if (strcmp(a, "--no-verify") == 0)
			O.no_verify = 1;
		else if (strcmp(a, "-v") == 0)
			O.verbose = 1;
		else
			usage();
#undef ARG
	}
	if (!O.url_base || !O.pki || O.concurrency < 1 || O.reports < 0 || O.devices < 0)
		usage();
}

static void raise_nofile(long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < (rlim_t)want) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)want)
		fprintf(stderr, "sztp-load: warning: RLIMIT_NOFILE %lu < %ld\n",
			(unsigned long)rl.rlim_cur, want);
}

int main(int argc, char **argv)
{
	CURLM *m;
	struct curl_slist *resolve = NULL;
	char cabuf[4096], cause[96];
	long next = 0, running = 0, i;
	double t_start, t_end;
	int still;

	parse(argc, argv);
	if (!O.cacert) {
		snprintf(cabuf, sizeof(cabuf), "%s/owner/ca.pem", O.pki);
		O.cacert = cabuf;
	}
	load_serials();
	if (O.total <= 0)
		O.total = n_serials;
	raise_nofile(O.concurrency * 2 + 64);
	for (i = 0; i < 5; i++)
		snprintf(rp_bodies[i], sizeof(rp_bodies[i]),
			 "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":\"%s\"}}",
			 progress_types[i]);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("curl_global_init failed");
	if (O.resolve)
		resolve = curl_slist_append(NULL, O.resolve);
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, O.concurrency * 2);
	t_start = now_s();
	for (;;) {
		CURLMsg *msg;
		int left;
		int stop = O.duration > 0 && now_s() - t_start >= O.duration;

		while (!stop && running < O.concurrency && next < O.total) {
			struct device *d = device_new(next++, resolve);
			S.started++;
			curl_multi_add_handle(m, d->h);
			running++;
		}
		if (running == 0)
			break;
		curl_multi_perform(m, &still);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct device *d;
			long code = 0;
			curl_off_t tt = 0;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&d);
			curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &code);
			curl_easy_getinfo(d->h, CURLINFO_TOTAL_TIME_T, &tt);
			curl_multi_remove_handle(m, d->h);
			if (msg->data.result != CURLE_OK) {
				snprintf(cause, sizeof(cause), "curl %d (%s)", msg->data.result,
					 curl_easy_strerror(msg->data.result));
				if (O.verbose)
					fprintf(stderr, "%s: %s\n", serials[d->idx % n_serials], d->err);
			} else if (code < 200 || code > 299) {
				snprintf(cause, sizeof(cause), "http %ld on %s", code,
					 d->step ? "report-progress" : "get-bootstrapping-data");
			} else {
				cause[0] = '\0';
			}
			if (cause[0]) {
				add_cause(cause);
				S.fail_req++;
				S.fail_dev++;
				device_free(d);
				running--;
				continue;
			}
			S.ok_req++;
			if (d->step == 0)
				S.gbd_n++;
			push(&S.req_lat, &S.n_req, &S.cap_req, (double)tt / 1e6);
			if (d->step < O.reports) {
				d->step++;
				set_request(d);
				curl_multi_add_handle(m, d->h);
				continue;
			}
			push(&S.dev_lat, &S.n_dev, &S.cap_dev, now_s() - d->t0);
			device_free(d);
			running--;
		}
		if (running > 0)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	t_end = now_s();
	report(t_end - t_start);
	curl_multi_cleanup(m);
	curl_slist_free_all(resolve);
	for (i = 0; i < n_serials; i++)
		free(serials[i]);
	free(serials);
	free(S.req_lat);
	free(S.dev_lat);
	curl_global_cleanup();
	return S.fail_req ? 1 : 0;
}
