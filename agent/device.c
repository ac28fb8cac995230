/*
 * device.c - one device: its initial state loaded from the config (RFC
 * 8572 s5.1: IDevID, key, serial number from the certificate's subject
 * serialNumber unless configured), the boot sequence of s5.2 (every
 * source once; a boot image install "reboots": the image recorded for
 * the next start-up becomes the running one and SZTP starts again), and
 * the JSON result file.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "util.h"

#define MAX_REBOOTS 3

const char *const agent_phase_names[PH__COUNT] = {"discovery", "request", "verify",
						  "onboard",   "report",  "total"};

double agent_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The boot loader's part: the image recorded for the next start-up
 * becomes the running one (boot/running). */
static void boot_promote(struct agent_dev *d)
{
	char next[1200], run[1200];
	json_t *j = NULL;
	sztp_bytes b = {0};
	const char *n, *v;
	struct sztp_err e;

	if (dev_path(d, "boot/next-image", next, sizeof(next), &e) ||
	    dev_path(d, "boot/running", run, sizeof(run), &e))
		return;
	if (file_read(next, 65536, &b, NULL) == SZTP_OK) {
		if (rename(next, run))
			agent_log(d, LOG_LVL_WARN, "boot", "cannot promote %s", next);
		sztp_bytes_free(&b);
	}
	if (file_read(run, 65536, &b, NULL) != SZTP_OK)
		return;
	j = json_loadb((const char *)b.data, b.len, 0, NULL);
	n = json_string_value(json_object_get(j, "os-name"));
	v = json_string_value(json_object_get(j, "os-version"));
	if (n && v) {
		snprintf(d->os_name, sizeof(d->os_name), "%s", n);
		snprintf(d->os_version, sizeof(d->os_version), "%s", v);
	}
	json_decref(j);
	sztp_bytes_free(&b);
}

/* The HTTP Basic password: the first line of password-file (mode 0600 or
 * stricter, as a key), without its line end; printable characters only.
 * The user is the serial number, which RFC 7617 forbids to hold ':'. */
static sztp_rc password_load(struct agent_dev *d, const char *path, struct sztp_err *e)
{
	sztp_bytes f = {0};
	size_t n, i;
	sztp_rc rc;

	if ((rc = pki_key_file_check(path, e)) != SZTP_OK)
		return sztp_err_set(e, rc, "password-file: %s", e->msg);
	if ((rc = file_read(path, 4096, &f, e)) != SZTP_OK)
		return rc;
	rc = SZTP_E_INVALID_VALUE;
	n = f.data ? strcspn((const char *)f.data, "\r\n") : 0;
	if (n == 0 || n >= sizeof(d->password)) {
		sztp_err_set(e, rc, "password-file %s: the first line must hold 1..%zu characters",
			     path, sizeof(d->password) - 1);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (f.data[i] < 0x20 || f.data[i] == 0x7f) {
			sztp_err_set(e, rc, "password-file %s: control character in the password",
				     path);
			goto out;
		}
	if (strchr(d->serial, ':')) {
		sztp_err_set(e, rc,
			     "password-file: serial number \"%s\" holds ':', which an HTTP Basic "
			     "user cannot (RFC 7617)",
			     d->serial);
		goto out;
	}
	memcpy(d->password, f.data, n);
	d->password[n] = '\0';
	rc = SZTP_OK;
out:
	if (f.data)
		explicit_bzero(f.data, f.len);
	sztp_bytes_free(&f);
	return rc;
}

sztp_rc agent_dev_init(struct agent_dev *d, const struct agent_config *c, struct sztp_yang *y,
		       struct pki_trust *masa, struct sztp_err *e)
{
	const char *certf = *c->idevid_cert ? c->idevid_cert : c->idevid_chain;
	sztp_bytes *certs = NULL;
	char real[PATH_MAX];
	size_t n = 0;
	sztp_rc rc;

	memset(d, 0, sizeof(*d));
	d->cfg = c;
	d->y = y;
	d->masa = masa;
	d->syslog_fd = -1;
	snprintf(d->serial, sizeof(d->serial), "%s", *c->serial ? c->serial : "?");
	snprintf(d->status, sizeof(d->status), "failed");
	if ((rc = pki_key_file_check(c->idevid_key, e)) != SZTP_OK)
		return rc;
	if ((rc = pki_pem_certs_read(certf, &certs, &n, e)) != SZTP_OK)
		return rc;
	if (n == 0) {
		rc = sztp_err_set(e, SZTP_E_INVALID_VALUE, "%s holds no certificate", certf);
		goto out;
	}
	if ((rc = sztp_bytes_dup(&d->idevid, certs[0].data, certs[0].len)) != SZTP_OK)
		goto out;
	if (!*c->serial &&
	    (rc = pki_cert_serial_number(&d->idevid, d->serial, sizeof(d->serial), e)) != SZTP_OK)
		goto out;
	if (*c->password_file && (rc = password_load(d, c->password_file, e)) != SZTP_OK)
		goto out;
	if ((rc = mkdir_p(c->device_root, e)) != SZTP_OK)
		goto out;
	if (!realpath(c->device_root, real) || strlen(real) >= sizeof(d->root) - 200) {
		rc = sztp_err_set(e, SZTP_E_IO, "device root %s: %m", c->device_root);
		goto out;
	}
	memcpy(d->root, real, strlen(real) + 1); /* length checked above */
	snprintf(d->os_name, sizeof(d->os_name), "%s", c->os_name);
	snprintf(d->os_version, sizeof(d->os_version), "%s", c->os_version);
	boot_promote(d);
	if (*c->syslog_server && (rc = agent_syslog_open(d, c->syslog_server, e)) != SZTP_OK)
		goto out;
	rc = SZTP_OK;
out:
	pki_certs_free(certs, n);
	return rc;
}

void agent_dev_free(struct agent_dev *d)
{
	if (!d)
		return;
	sztp_bytes_free(&d->idevid);
	explicit_bzero(d->password, sizeof(d->password));
	if (d->syslog_fd >= 0)
		close(d->syslog_fd);
	d->syslog_fd = -1;
}

int agent_run(struct agent_dev *d)
{
	double t0 = agent_now_ms();
	enum agent_out out;
	int code;

	agent_log(d, LOG_LVL_INFO, "bootstrap", "starting (running %s %s)",
		  *d->os_name ? d->os_name : "-", *d->os_version ? d->os_version : "-");
	for (;;) {
		d->error[0] = '\0';
		out = sources_run(d);
		if (out != OUT_REBOOT)
			break;
		d->reboots++;
		if (d->cfg->reboot_exit || d->reboots > MAX_REBOOTS)
			break;
		boot_promote(d); /* simulated reboot into the new image */
		agent_log(d, LOG_LVL_INFO, "boot", "rebooted into %s %s", d->os_name,
			  d->os_version);
	}
	switch (out) {
	case OUT_DONE:
		snprintf(d->status, sizeof(d->status), "bootstrap-complete");
		code = 0;
		break;
	case OUT_REBOOT:
		snprintf(d->status, sizeof(d->status), "rebooting");
		code = 3;
		break;
	default:
		snprintf(d->status, sizeof(d->status), "failed");
		if (!d->error[0])
			snprintf(d->error, sizeof(d->error),
				 "no bootstrapping source yielded data");
		agent_log(d, LOG_LVL_ERR, "bootstrap", "not bootstrapped: %s", d->error);
		code = 2;
	}
	d->ms[PH_TOTAL] = agent_now_ms() - t0;
	return code;
}

sztp_rc agent_write_result(const struct agent_dev *d, int code, const char *path,
			   struct sztp_err *e)
{
	json_t *j, *t;
	char *txt;
	sztp_rc rc = SZTP_E_NOMEM;
	int i;

	t = json_object();
	for (i = 0; i < PH__COUNT; i++)
		json_object_set_new(t, agent_phase_names[i], json_real(d->ms[i]));
	j = json_pack("{s:s,s:s,s:i,s:s,s:s,s:b,s:i,s:s,s:s,s:o}", "serial-number", d->serial,
		      "status", d->status, "exit-code", code, "source", d->source, "server",
		      d->server, "trusted", d->trusted, "reboots", d->reboots, "os-name",
		      d->os_name, "os-version", d->os_version, "timings-ms", t);
	if (j && d->error[0] && code != 0)
		json_object_set_new(j, "error", json_string(d->error));
	txt = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	json_decref(j);
	if (!txt)
		return sztp_err_set(e, rc, "out of memory");
	rc = file_write_atomic(path, txt, strlen(txt), 0644, e);
	free(txt);
	return rc;
}
