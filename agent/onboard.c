/*
 * onboard.c - onboarding information processing, RFC 8572 s5.6, in its
 * strict order: boot image (skipped when os-name/os-version already
 * match; downloaded only from the download-uri list, verified by its
 * sha-256, installed into the device root and recorded as the image for
 * the next start-up, then boot-image-installed-rebooting), pre-
 * configuration script, configuration (merge or replace, committed
 * atomically), post-configuration script, bootstrap-complete.  Scripts
 * run with a timeout, cwd = device root, output captured in
 * var/log/sztp/.  On any error: the matching *-error report, the
 * configuration rolled back, and back to the enclosing loop.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "util.h"

#define CI_ONB	   "ietf-sztp-conveyed-info:onboarding-information"
#define CONFIG_MAX (16u << 20)

extern char **environ;

struct onb {
	struct agent_dev *d;
	struct progress *p;
	struct sztp_err e;
	json_t *o; /* onboarding-information, borrowed from root */
	sztp_bytes old_config;
	int had_config, config_done;
};

/* Report `type` (ignoring the result: a failed *-error report changes nothing). */
static void report(struct onb *s, const char *type, const char *msg)
{
	struct sztp_err e2;

	if (progress_send(s->p, type, msg, &e2))
		agent_log(s->d, LOG_LVL_WARN, "progress", "%s not delivered: %s", type, e2.msg);
}

static sztp_rc b64_leaf(json_t *o, const char *k, sztp_bytes *out, struct sztp_err *e)
{
	const char *v = json_string_value(json_object_get(o, k));

	if (!v)
		return SZTP_E_NOT_FOUND;
	if (b64_decode(v, strlen(v), out, e))
		return sztp_err_set(e, SZTP_E_MALFORMED, "%s is not base64", k);
	return SZTP_OK;
}

/* ---- boot image ----------------------------------------------------------- */

static sztp_rc hex_colon_parse(const char *s, uint8_t *out, size_t len)
{
	size_t i;
	unsigned v;

	for (i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) ||
		    sscanf(s, "%2x", &v) != 1)
			return SZTP_E_MALFORMED;
		out[i] = (uint8_t)v;
		s += 2;
		if (i + 1 < len && *s++ != ':')
			return SZTP_E_MALFORMED;
	}
	return *s ? SZTP_E_MALFORMED : SZTP_OK;
}

static sztp_rc image_sha256(json_t *bi, uint8_t want[32], struct sztp_err *e)
{
	json_t *iv = json_object_get(bi, "image-verification"), *x;
	const char *alg, *val;
	size_t i;

	json_array_foreach(iv, i, x)
	{
		alg = json_string_value(json_object_get(x, "hash-algorithm"));
		val = json_string_value(json_object_get(x, "hash-value"));
		if (!alg || !val)
			continue;
		if (strcmp(alg, "sha-256") && strcmp(alg, "ietf-sztp-conveyed-info:sha-256"))
			continue;
		if (hex_colon_parse(val, want, 32))
			return sztp_err_set(e, SZTP_E_MALFORMED,
					    "sha-256 hash-value is not 32 octets");
		return SZTP_OK;
	}
	/* RFC 8572 s5.6: the image MUST be verified; we know no vendor signature */
	return sztp_err_set(e, SZTP_E_VERIFY, "boot image has no sha-256 image-verification");
}

static void safe_name(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] =
		    (isalnum((unsigned char)in[i]) || in[i] == '.' || in[i] == '-') ? in[i] : '_';
	out[i] = '\0';
}

/* Download from each download-uri in order until one verifies. */
static sztp_rc image_fetch(struct onb *s, json_t *bi, const uint8_t want[32], char *tmp,
			   size_t tlen)
{
	json_t *uris = json_object_get(bi, "download-uri"), *u;
	uint8_t got[32];
	char rel[64];
	size_t i;
	sztp_rc rc = SZTP_E_NOT_FOUND;

	snprintf(rel, sizeof(rel), "var/lib/sztp/image.partial.%u", s->d->tmp_seq++);
	if (dev_path(s->d, rel, tmp, tlen, &s->e))
		return s->e.rc;
	sztp_err_set(&s->e, rc, "boot image has no download-uri");
	json_array_foreach(uris, i, u)
	{
		const char *url = json_string_value(u);

		if (!url)
			continue;
		agent_log(s->d, LOG_LVL_INFO, "boot-image", "downloading %s", url);
		if ((rc = http_download(s->d, url, tmp, &s->e)) == SZTP_OK &&
		    (rc = sha256_file(tmp, got, &s->e)) == SZTP_OK) {
			if (ct_equal(got, want, 32))
				return SZTP_OK;
			rc = sztp_err_set(&s->e, SZTP_E_VERIFY,
					  "image from %s does not match its sha-256", url);
		}
		agent_log(s->d, LOG_LVL_WARN, "boot-image", "%s", s->e.msg);
		unlink(tmp);
	}
	unlink(tmp);
	return rc ? rc : SZTP_E_NOT_FOUND;
}

/* Install: move into boot/images/ and record it for the next start-up. */
static sztp_rc image_install(struct onb *s, const char *tmp, const char *name, const char *version)
{
	char n1[100], n2[100], rel[300], dst[1200], rec[1200], *txt = NULL;
	json_t *j;
	sztp_rc rc = SZTP_E_IO;

	safe_name(name, n1, sizeof(n1));
	safe_name(version, n2, sizeof(n2));
	snprintf(rel, sizeof(rel), "boot/images/%s-%s.img", n1, n2);
	if (dev_path(s->d, rel, dst, sizeof(dst), &s->e) ||
	    dev_path(s->d, "boot/next-image", rec, sizeof(rec), &s->e))
		return s->e.rc;
	if (rename(tmp, dst))
		return sztp_err_set(&s->e, rc, "cannot install %s: %s", dst, strerror(errno));
	j = json_pack("{s:s,s:s,s:s}", "os-name", name, "os-version", version, "file", rel);
	txt = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (txt)
		rc = file_write_atomic(rec, txt, strlen(txt), 0644, &s->e);
	free(txt);
	return rc;
}

/* RFC 8572 s5.6 step 3. OUT_FAIL with the report sent, OUT_DONE = go on. */
static enum agent_out boot_image(struct onb *s)
{
	json_t *bi = json_object_get(s->o, "boot-image");
	const char *name, *version;
	uint8_t want[32];
	char tmp[1200];

	if (!bi)
		return OUT_DONE;
	name = json_string_value(json_object_get(bi, "os-name"));
	version = json_string_value(json_object_get(bi, "os-version"));
	if (name && version && !strcmp(name, s->d->os_name) && !strcmp(version, s->d->os_version)) {
		agent_log(s->d, LOG_LVL_INFO, "boot-image", "already running %s %s, skipped", name,
			  version);
		return OUT_DONE;
	}
	report(s, "boot-image-initiated", NULL);
	if (image_sha256(bi, want, &s->e) || image_fetch(s, bi, want, tmp, sizeof(tmp)) ||
	    image_install(s, tmp, name ? name : "image", version ? version : "unknown")) {
		agent_log(s->d, LOG_LVL_ERR, "boot-image", "%s", s->e.msg);
		report(s, "boot-image-error", s->e.msg);
		return OUT_FAIL;
	}
	agent_log(s->d, LOG_LVL_INFO, "boot-image", "installed %s %s, rebooting", name, version);
	/* MUST try to send it before rebooting */
	report(s, "boot-image-installed-rebooting", NULL);
	return OUT_REBOOT;
}

/* ---- scripts ---------------------------------------------------------------- */

static sztp_rc script_run(struct onb *s, const char *kind, const sztp_bytes *code)
{
	char rel[96], path[1200], logp[1200], env0[1200], env1[300];
	char *argv[] = {path, NULL}, *envp[] = {env0, env1, "PATH=/usr/bin:/bin", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	struct timespec ts = {0, 10 * 1000 * 1000};
	double deadline = agent_now_ms() + 1000.0 * (double)s->d->cfg->script_timeout;
	int lfd, st = 0, r, tries;
	pid_t pid;
	sztp_rc rc = SZTP_E_IO;

	snprintf(rel, sizeof(rel), "var/lib/sztp/%s-configuration-script", kind);
	if (dev_path(s->d, rel, path, sizeof(path), &s->e) ||
	    file_write_atomic(path, code->data, code->len, 0700, &s->e))
		return s->e.rc;
	snprintf(rel, sizeof(rel), "var/log/sztp/%s-configuration-script.log", kind);
	if (dev_path(s->d, rel, logp, sizeof(logp), &s->e))
		return s->e.rc;
	lfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (lfd < 0)
		return sztp_err_set(&s->e, rc, "cannot create %s: %s", logp, strerror(errno));
	snprintf(env0, sizeof(env0), "SZTP_DEVICE_ROOT=%s", s->d->root);
	snprintf(env1, sizeof(env1), "SZTP_SERIAL_NUMBER=%s", s->d->serial);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, lfd, 1);
	posix_spawn_file_actions_adddup2(&fa, lfd, 2);
	posix_spawn_file_actions_addchdir_np(&fa, s->d->root);
	posix_spawnattr_init(&at);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	/* another thread's spawn may briefly hold a copy of a write fd of a
	 * script file (fleet mode): retry "text file busy" */
	for (tries = 0;
	     (r = posix_spawn(&pid, path, &fa, &at, argv, envp)) == ETXTBSY && tries < 100; tries++)
		nanosleep(&ts, NULL);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(lfd);
	if (r)
		return sztp_err_set(&s->e, rc, "cannot run the %s-configuration script: %s", kind,
				    strerror(r));
	while ((r = waitpid(pid, &st, WNOHANG)) == 0) {
		if (agent_now_ms() > deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			return sztp_err_set(&s->e, rc,
					    "%s-configuration script timed out after %lds", kind,
					    s->d->cfg->script_timeout);
		}
		nanosleep(&ts, NULL);
	}
	if (r < 0)
		return sztp_err_set(&s->e, rc, "waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return sztp_err_set(&s->e, rc,
				    "%s-configuration script failed (%s %d), output in %s", kind,
				    WIFEXITED(st) ? "exit status" : "signal",
				    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), rel);
	return SZTP_OK;
}

/* s5.6 steps 4 and 6. */
static enum agent_out script_step(struct onb *s, const char *leaf, const char *kind)
{
	sztp_bytes code = {0};
	char t[40];
	sztp_rc rc = b64_leaf(s->o, leaf, &code, &s->e);

	if (rc == SZTP_E_NOT_FOUND)
		return OUT_DONE;
	snprintf(t, sizeof(t), "%s-script-initiated", kind);
	report(s, t, NULL);
	if (rc == SZTP_OK)
		rc = script_run(s, kind, &code);
	sztp_bytes_free(&code);
	if (rc) {
		agent_log(s->d, LOG_LVL_ERR, leaf, "%s", s->e.msg);
		snprintf(t, sizeof(t), "%s-script-error", kind);
		report(s, t, s->e.msg);
		return OUT_FAIL;
	}
	agent_log(s->d, LOG_LVL_INFO, leaf, "ran successfully");
	snprintf(t, sizeof(t), "%s-script-complete", kind);
	report(s, t, NULL);
	return OUT_DONE;
}

/* ---- configuration ---------------------------------------------------------- */

/* Merge: keep current lines whose first word the new config does not set. */
static sztp_rc config_merge(const sztp_bytes *cur, const sztp_bytes *add, sztp_bytes *out)
{
	size_t cap = cur->len + add->len + 2, n = 0;
	const char *p = (const char *)cur->data, *end = p + cur->len, *nl;
	uint8_t *buf = malloc(cap);

	if (!buf)
		return SZTP_E_NOMEM;
	for (; p && p < end; p = nl + 1) {
		size_t ll, wl;
		const char *q = (const char *)add->data, *qend = q + add->len, *qnl;
		int dup = 0;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		ll = (size_t)(nl - p);
		wl = strcspn(p, " \t\n");
		if (wl > ll)
			wl = ll;
		for (; wl && q < qend; q = qnl + 1) {
			qnl = memchr(q, '\n', (size_t)(qend - q));
			if (!qnl)
				qnl = qend;
			if ((size_t)(qnl - q) >= wl && !memcmp(q, p, wl) &&
			    ((size_t)(qnl - q) == wl || q[wl] == ' ' || q[wl] == '\t'))
				dup = 1;
		}
		if (!dup && ll) {
			memcpy(buf + n, p, ll);
			n += ll;
			buf[n++] = '\n';
		}
	}
	memcpy(buf + n, add->data, add->len);
	n += add->len;
	out->data = buf;
	out->len = n;
	return SZTP_OK;
}

static enum agent_out config_step(struct onb *s)
{
	const char *how = json_string_value(json_object_get(s->o, "configuration-handling"));
	sztp_bytes cfg = {0}, merged = {0};
	char path[1200];
	sztp_rc rc = b64_leaf(s->o, "configuration", &cfg, &s->e);
	enum agent_out out = OUT_FAIL;

	if (rc == SZTP_E_NOT_FOUND)
		return OUT_DONE;
	report(s, "config-initiated", NULL);
	if (rc || (rc = dev_path(s->d, "etc/config", path, sizeof(path), &s->e)))
		goto out;
	s->had_config = file_read(path, CONFIG_MAX, &s->old_config, NULL) == SZTP_OK;
	if (how && !strcmp(how, "merge") && s->had_config) {
		if ((rc = config_merge(&s->old_config, &cfg, &merged)) != SZTP_OK) {
			sztp_err_set(&s->e, rc, "out of memory");
			goto out;
		}
	} else {
		merged = cfg;
		cfg.data = NULL;
		cfg.len = 0;
	}
	/* RFC 8572 s5.6 step 5: committed atomically */
	if ((rc = file_write_atomic(path, merged.data, merged.len, 0600, &s->e)) != SZTP_OK)
		goto out;
	s->config_done = 1;
	agent_log(s->d, LOG_LVL_INFO, "configuration", "committed (%s, %zu bytes)",
		  how ? how : "replace", merged.len);
	report(s, "config-complete", NULL);
	out = OUT_DONE;
out:
	if (out != OUT_DONE) {
		agent_log(s->d, LOG_LVL_ERR, "configuration", "%s", s->e.msg);
		report(s, "config-error", s->e.msg);
	}
	sztp_bytes_free(&cfg);
	sztp_bytes_free(&merged);
	return out;
}

/* Leave nothing active: restore the configuration as it was. */
static void config_rollback(struct onb *s)
{
	char path[1200];
	struct sztp_err e2;

	if (!s->config_done || dev_path(s->d, "etc/config", path, sizeof(path), &e2))
		return;
	if (s->had_config)
		file_write_atomic(path, s->old_config.data, s->old_config.len, 0600, &e2);
	else
		unlink(path);
	agent_log(s->d, LOG_LVL_WARN, "configuration", "rolled back");
}

enum agent_out onboard(struct agent_dev *d, struct progress *p, const char *json)
{
	struct onb s = {.d = d, .p = p};
	json_t *root = NULL;
	json_error_t je;
	double t0 = agent_now_ms();
	enum agent_out out = OUT_FAIL, r;

	/* step 1: anything but 204 is an error */
	if (progress_send(p, "bootstrap-initiated", NULL, &s.e)) {
		agent_log(d, LOG_LVL_ERR, "onboarding", "%s", s.e.msg);
		report(&s, "bootstrap-error", s.e.msg);
		goto out;
	}
	report(&s, "parsing-initiated", NULL);
	root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	s.o = json_object_get(root, CI_ONB);
	if (!json_is_object(s.o)) { /* step 2 */
		report(&s, "parsing-error", "onboarding-information is not a JSON object");
		goto out;
	}
	report(&s, "parsing-complete", NULL);
	if ((r = boot_image(&s)) != OUT_DONE) {
		out = r;
		goto out;
	}
	if (script_step(&s, "pre-configuration-script", "pre") != OUT_DONE)
		goto out;
	if (config_step(&s) != OUT_DONE)
		goto out;
	if (script_step(&s, "post-configuration-script", "post") != OUT_DONE) {
		config_rollback(&s);
		goto out;
	}
	if (progress_send(p, "bootstrap-complete", NULL, &s.e)) { /* step 8 */
		agent_log(d, LOG_LVL_ERR, "onboarding", "%s", s.e.msg);
		report(&s, "bootstrap-error", s.e.msg);
		config_rollback(&s);
		goto out;
	}
	agent_log(d, LOG_LVL_INFO, "onboarding", "bootstrap complete");
	out = OUT_DONE;
out:
	if (out == OUT_FAIL)
		snprintf(d->error, sizeof(d->error), "%s", s.e.msg);
	sztp_bytes_free(&s.old_config);
	json_decref(root);
	d->ms[PH_ONBOARD] += agent_now_ms() - t0;
	return out;
}
