/*
 * files.c - everything the agent writes goes below the device root (so a
 * simulated device never touches the host): path building that refuses
 * escapes, recursive mkdir, and atomic whole-file commits (write a
 * temporary file, fsync, rename) used for the configuration commit
 * (RFC 8572 s5.6: "committed atomically") and the image record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

sztp_rc mkdir_p(const char *dir, struct sztp_err *e)
{
	char buf[1024];
	size_t i, n = strlen(dir);

	if (n >= sizeof(buf))
		return sztp_err_set(e, SZTP_E_IO, "path too long: %s", dir);
	memcpy(buf, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return sztp_err_set(e, SZTP_E_IO, "cannot create %s: %s", buf,
					    strerror(errno));
		buf[i] = i == n ? '\0' : '/';
	}
	return SZTP_OK;
}

sztp_rc dev_path(const struct agent_dev *d, const char *rel, char *out, size_t len,
		 struct sztp_err *e)
{
	char *slash;
	int n;

	if (rel[0] == '/' || strstr(rel, ".."))
		return sztp_err_set(e, SZTP_E_INVALID_VALUE,
				    "path '%s' would leave the device root", rel);
	n = snprintf(out, len, "%s/%s", d->root, rel);
	if (n < 0 || (size_t)n >= len)
		return sztp_err_set(e, SZTP_E_IO, "path too long under %s", d->root);
	slash = strrchr(out, '/');
	*slash = '\0';
	if (mkdir_p(out, e))
		return e ? e->rc : SZTP_E_IO;
	*slash = '/';
	return SZTP_OK;
}

sztp_rc file_write_atomic(const char *path, const void *data, size_t len, int mode,
			  struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_IO;
	char tmp[1100];
	int fd = -1;

	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)gettid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		sztp_err_set(e, rc, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((len && write(fd, data, len) != (ssize_t)len) || fsync(fd)) {
		sztp_err_set(e, rc, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		sztp_err_set(e, rc, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		sztp_err_set(e, rc, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	rc = SZTP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	return rc;
}
