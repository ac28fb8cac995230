/*
 * fleet.c - `sztp-agent fleet`: N simulated devices in one process, each
 * with its own IDevID (from sztp-pki's DIR/devices/SN/) and its own
 * device root, run by a fixed number of worker threads (the concurrency
 * limit).  Every device does the whole RFC 8572 s5 flow on its own new
 * TLS connections.  Prints devices/s, per-phase latency percentiles
 * (p50/p95/p99) and failures grouped by cause, optionally as JSON.
 *
 * --attempts N (issue 14: servers going away mid-run): a device whose run
 * fails starts over, as RFC 8572 s5.1 devices do after a pause, from a
 * fresh device root (DIR/SERIAL.N), at most N runs; what the servers
 * acknowledged is summed over its runs.  --acked FILE: one line per
 * device, "SERIAL DATA REFUSED REPORTS ERRORS COMPLETE RUNS", for a test
 * to compare with what the registry holds.
 */
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "log.h"
#include "util.h"
#include "yang.h"

struct fleet_dev {
	char serial[PKI_SERIAL_MAX];
	double ms[PH__COUNT];
	unsigned acked[5]; /* agent_dev's acked_data .. acked_complete */
	int code;
	unsigned runs;
	char error[SZTP_ERR_MSG_MAX];
};

struct fleet {
	const struct agent_config *base;
	const char *pki, *work;
	struct sztp_yang *y;
	struct pki_trust *masa;
	struct fleet_dev *devs;
	size_t n;
	unsigned attempts; /* runs per device at most (>= 1) */
	size_t next;
	pthread_mutex_t mu;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void run_one(struct fleet *f, struct fleet_dev *fd, size_t idx)
{
	struct agent_config c = *f->base; /* shallow: strings belong to base */
	char key[1200], chain[1200], root[1200];
	struct agent_dev d;
	struct sztp_err e = {0};
	int i;

	snprintf(key, sizeof(key), "%s/devices/%s/idevid.key", f->pki, fd->serial);
	snprintf(chain, sizeof(chain), "%s/devices/%s/chain.pem", f->pki, fd->serial);
	if (fd->runs)
		snprintf(root, sizeof(root), "%s/%s.%u", f->work, fd->serial, fd->runs);
	else
		snprintf(root, sizeof(root), "%s/%s", f->work, fd->serial);
	fd->runs++;
	c.idevid_key = key;
	c.idevid_chain = chain;
	c.idevid_cert = "";
	c.device_root = root;
	c.serial = "";
	/* spread devices over the bootstrap servers; the others stay as
	 * fallbacks in order (every device still walks the whole list) */
	for (i = 0; i < (int)f->base->n_well_known; i++)
		c.well_known[i] = f->base->well_known[(i + idx) % f->base->n_well_known];
	for (i = 0; i < (int)f->base->n_urls; i++)
		c.urls[i] = f->base->urls[(i + idx) % f->base->n_urls];
	if (agent_dev_init(&d, &c, f->y, f->masa, &e)) {
		fd->code = 1;
		snprintf(fd->error, sizeof(fd->error), "%s", e.msg);
		return;
	}
	d.quiet = 1;
	fd->code = agent_run(&d);
	for (i = 0; i < PH__COUNT; i++)
		fd->ms[i] = d.ms[i];
	fd->acked[0] += d.acked_data;
	fd->acked[1] += d.refused_data;
	fd->acked[2] += d.acked_reports;
	fd->acked[3] += d.acked_errors;
	fd->acked[4] += d.acked_complete;
	if (fd->code)
		snprintf(fd->error, sizeof(fd->error), "%s", d.error);
	if (dev_path(&d, "var/lib/sztp/result.json", root, sizeof(root), &e) == SZTP_OK)
		agent_write_result(&d, fd->code, root, &e);
	agent_dev_free(&d);
}

static void *worker(void *arg)
{
	struct fleet *f = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&f->mu);
		i = f->next++;
		pthread_mutex_unlock(&f->mu);
		if (i >= f->n)
			return NULL;
		run_one(f, &f->devs[i], i);
		/* failed: again after a pause (250 ms more each time, at most 1 s) */
		while (f->devs[i].code && f->devs[i].runs < f->attempts) {
			long ms = 250L * (long)(f->devs[i].runs < 4 ? f->devs[i].runs : 4);
			struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
			nanosleep(&t, NULL);
			run_one(f, &f->devs[i], i);
		}
	}
}

/* Serial numbers under PKI/devices with the prefix, sorted, at most max. */
static size_t list_devices(const char *pki, const char *prefix, size_t max, struct fleet_dev **out)
{
	char dir[1200], **names = NULL, **nn;
	struct dirent *de;
	size_t n = 0, cap = 0, i, total;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/devices", pki);
	if (!(dp = opendir(dir)))
		return 0;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' || strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			if (!(nn = realloc(names, cap * sizeof(*names))))
				break;
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(dp);
	if ((total = n) != 0)
		qsort(names, n, sizeof(*names), cmp_str);
	if (n > max)
		n = max;
	*out = calloc(n ? n : 1, sizeof(**out));
	for (i = 0; *out && i < n; i++)
		snprintf((*out)[i].serial, sizeof((*out)[i].serial), "%s", names[i]);
	for (i = 0; i < total; i++)
		free(names[i]);
	free(names);
	return *out ? n : 0;
}

static double pct(const double *sorted, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

/* Group failures by cause: the message with this device's serial number
 * replaced by "<serial>". */
static void cause_of(const char *why, const char *serial, char *out, size_t len)
{
	size_t sl = strlen(serial), n = 0;

	while (*why && n + 9 < len) {
		if (sl && !strncmp(why, serial, sl)) {
			memcpy(out + n, "<serial>", 8);
			n += 8;
			why += sl;
		} else {
			out[n++] = *why++;
		}
	}
	out[n] = '\0';
}

/* Summary to stdout and, when json_path, to a JSON file. */
static int report(struct fleet *f, double wall_ms, size_t conc, const char *json_path)
{
	double *v = calloc(f->n ? f->n : 1, sizeof(double));
	json_t *j = json_object(), *ph = json_object(), *fails = json_object();
	size_t ok = 0, i, k, m;
	const char *it_key;
	json_t *it_val;
	int p;

	for (i = 0; i < f->n; i++)
		ok += f->devs[i].code == 0;
	printf("fleet: %zu devices, %zu bootstrapped, %zu failed, concurrency %zu\n", f->n, ok,
	       f->n - ok, conc);
	printf("fleet: %.1f s wall, %.1f devices/s\n", wall_ms / 1000.0,
	       wall_ms > 0 ? (double)f->n * 1000.0 / wall_ms : 0.0);
	printf("%-10s %10s %10s %10s %10s  (ms, bootstrapped devices)\n", "phase", "p50", "p95",
	       "p99", "max");
	for (p = 0; p < PH__COUNT; p++) {
		for (i = 0, m = 0; i < f->n; i++)
			if (f->devs[i].code == 0)
				v[m++] = f->devs[i].ms[p];
		qsort(v, m, sizeof(double), cmp_dbl);
		printf("%-10s %10.2f %10.2f %10.2f %10.2f\n", agent_phase_names[p], pct(v, m, 50),
		       pct(v, m, 95), pct(v, m, 99), m ? v[m - 1] : 0.0);
		json_object_set_new(ph, agent_phase_names[p],
				    json_pack("{s:f,s:f,s:f,s:f}", "p50", pct(v, m, 50), "p95",
					      pct(v, m, 95), "p99", pct(v, m, 99), "max",
					      m ? v[m - 1] : 0.0));
	}
	for (i = 0; i < f->n; i++) {
		const char *why = f->devs[i].error[0] ? f->devs[i].error : "unknown";
		char cause[SZTP_ERR_MSG_MAX];

		if (f->devs[i].code == 0)
			continue;
		cause_of(why, f->devs[i].serial, cause, sizeof(cause));
		k = (size_t)json_integer_value(json_object_get(fails, cause));
		json_object_set_new(fails, cause, json_integer((json_int_t)k + 1));
	}
	json_object_foreach(fails, it_key, it_val)
	    printf("failures: %lld x %s\n", (long long)json_integer_value(it_val), it_key);
	json_object_set_new(j, "devices", json_integer((json_int_t)f->n));
	json_object_set_new(j, "bootstrapped", json_integer((json_int_t)ok));
	json_object_set_new(j, "failed", json_integer((json_int_t)(f->n - ok)));
	json_object_set_new(j, "concurrency", json_integer((json_int_t)conc));
	json_object_set_new(j, "wall-seconds", json_real(wall_ms / 1000.0));
	json_object_set_new(j, "devices-per-second",
			    json_real(wall_ms > 0 ? (double)f->n * 1000.0 / wall_ms : 0.0));
	json_object_set_new(j, "latency-ms", ph);
	{
		/* what the servers acknowledged, summed over the devices */
		static const char *const names[5] = {"bootstrapping-data", "refused", "reports",
						     "error-reports", "complete-reports"};
		json_t *ack = json_object();
		size_t a;
		for (a = 0; a < 5; a++) {
			json_int_t sum = 0;
			for (i = 0; i < f->n; i++)
				sum += f->devs[i].acked[a];
			json_object_set_new(ack, names[a], json_integer(sum));
		}
		json_object_set_new(j, "acknowledged", ack);
	}
	json_object_set_new(j, "failures", fails);
	{
		json_int_t runs = 0;
		for (i = 0; i < f->n; i++)
			runs += f->devs[i].runs;
		json_object_set_new(j, "runs", json_integer(runs));
	}
	if (json_path && json_dump_file(j, json_path, JSON_INDENT(2)))
		fprintf(stderr, "sztp-agent fleet: cannot write %s\n", json_path);
	json_decref(j);
	free(v);
	return ok == f->n ? 0 : 2;
}

int fleet_main(int argc, char **argv)
{
	struct agent_config c;
	struct fleet f = {0};
	struct sztp_err e = {0};
	const char *conf = NULL, *prefix = "", *json_path = NULL, *work = "fleet", *acked = NULL;
	char masa_path[1200], workabs[4096];
	size_t count = (size_t)-1, conc = 16, i, started = 0;
	pthread_t *th = NULL;
	int code = 1, have_conf = 0;
	double t0;

	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i], *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;

		if (!v)
			goto usage;
		if (!strcmp(a, "-c"))
			conf = v;
		else if (!strcmp(a, "--pki"))
			f.pki = v;
		else if (!strcmp(a, "--prefix"))
			prefix = v;
		else if (!strcmp(a, "--count"))
			count = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--concurrency"))
			conc = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--work-dir"))
			work = v;
		else if (!strcmp(a, "--json"))
			json_path = v;
		else if (!strcmp(a, "--attempts"))
			f.attempts = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--acked"))
			acked = v;
		else
			goto usage;
		i++;
	}
	if (!f.attempts)
		f.attempts = 1;
	if (!conf || !f.pki || conc < 1 || conc > 1024 || count == 0 || f.attempts > 100)
		goto usage;
	if (agent_config_load(conf, 1, &c, &e))
		goto out;
	have_conf = 1;
	log_init("sztp-agent", LOG_LVL_ERR, 0);
	snprintf(masa_path, sizeof(masa_path), "%s/manufacturer/root.pem", f.pki);
	if (pki_trust_load(c.voucher_trust ? c.voucher_trust : masa_path, &f.masa, &e) ||
	    yang_open(*c.yang_dir ? c.yang_dir : sztp_yang_dir_default(), &f.y, &e) ||
	    mkdir_p(work, &e) || bsclient_global_init(&e))
		goto out;
	if (!realpath(work, workabs)) {
		sztp_err_set(&e, SZTP_E_IO, "%s: cannot resolve", work);
		goto out;
	}
	f.work = workabs;
	f.base = &c;
	if (!(f.n = list_devices(f.pki, prefix, count, &f.devs))) {
		sztp_err_set(&e, SZTP_E_NOT_FOUND, "no devices with prefix '%s' under %s/devices",
			     prefix, f.pki);
		goto out;
	}
	if (conc > f.n)
		conc = f.n;
	pthread_mutex_init(&f.mu, NULL);
	th = calloc(conc, sizeof(*th));
	t0 = agent_now_ms();
	for (i = 0; th && i < conc; i++)
		if (pthread_create(&th[i], NULL, worker, &f) == 0)
			started++;
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (!started) {
		sztp_err_set(&e, SZTP_E_INTERNAL, "cannot start worker threads");
		goto out;
	}
	code = report(&f, agent_now_ms() - t0, started, json_path);
	if (acked) {
		FILE *fp = fopen(acked, "w");
		for (i = 0; fp && i < f.n; i++)
			fprintf(fp, "%s %u %u %u %u %u %u\n", f.devs[i].serial, f.devs[i].acked[0],
				f.devs[i].acked[1], f.devs[i].acked[2], f.devs[i].acked[3],
				f.devs[i].acked[4], f.devs[i].runs);
		if (!fp || fclose(fp) != 0) {
			fprintf(stderr, "sztp-agent fleet: cannot write %s\n", acked);
			code = 1;
		}
	}
	pthread_mutex_destroy(&f.mu);
	bsclient_global_cleanup();
out:
	if (code == 1 && e.msg[0])
		fprintf(stderr, "sztp-agent fleet: %s\n", e.msg);
	free(th);
	free(f.devs);
	yang_close(f.y);
	pki_trust_free(f.masa);
	if (have_conf)
		agent_config_free(&c);
	return code;
usage:
	fprintf(stderr,
		"usage: sztp-agent fleet -c BASE.conf --pki DIR [--prefix SN-] [--count N]\n"
		"           [--concurrency N] [--work-dir DIR] [--json FILE]\n"
		"           [--attempts N] [--acked FILE]\n");
	return 1;
}
