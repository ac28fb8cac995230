/*
 * out.c - writing the sztp-pki output tree.  Private keys are created
 * with mode 0600 in 0700 directories from the first byte on (the mode is
 * given to open(2) and enforced with fchmod against a umask or an older
 * file), because sztpd refuses group/world-readable keys (lib/pki.h
 * pki_key_file_check).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out.h"

sztp_rc out_path_fmt(struct out_path *p, struct sztp_err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p->s, sizeof(p->s), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(p->s))
		return sztp_err_set(e, SZTP_E_TOO_BIG, "path too long (%d bytes)", n);
	return SZTP_OK;
}

int out_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

sztp_rc out_mkdir(const char *dir, mode_t mode, struct sztp_err *e)
{
	struct stat st;

	if (mkdir(dir, mode) < 0 && errno != EEXIST)
		return sztp_err_set(e, SZTP_E_IO, "cannot create directory %s: %s", dir,
				    strerror(errno));
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return sztp_err_set(e, SZTP_E_IO, "%s exists and is not a directory", dir);
	if (chmod(dir, mode) < 0)
		return sztp_err_set(e, SZTP_E_IO, "chmod %s: %s", dir, strerror(errno));
	return SZTP_OK;
}

static int dir_is_empty(DIR *d)
{
	struct dirent *de;

	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			return 0;
	}
	return 1;
}

sztp_rc out_prepare_top(const char *dir, int force, struct sztp_err *e)
{
	struct stat st;
	DIR *d;
	int empty;

	if (lstat(dir, &st) < 0) {
		if (errno != ENOENT)
			return sztp_err_set(e, SZTP_E_IO, "%s: %s", dir, strerror(errno));
		return out_mkdir(dir, OUT_MODE_DIR, e);
	}
	if (!S_ISDIR(st.st_mode))
		return sztp_err_set(e, SZTP_E_EXISTS, "%s exists and is not a directory", dir);
	d = opendir(dir);
	if (!d)
		return sztp_err_set(e, SZTP_E_IO, "%s: %s", dir, strerror(errno));
	empty = dir_is_empty(d);
	closedir(d);
	if (!empty && !force)
		return sztp_err_set(e, SZTP_E_EXISTS,
				    "%s exists and is not empty (use --force to overwrite)", dir);
	return SZTP_OK;
}

sztp_rc out_write(const char *path, const void *data, size_t len, mode_t mode, struct sztp_err *e)
{
	const uint8_t *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0)
		return sztp_err_set(e, SZTP_E_IO, "cannot write %s: %s", path, strerror(errno));
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return SZTP_OK;
fail:
	sztp_err_set(e, SZTP_E_IO, "writing %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return SZTP_E_IO;
}

sztp_rc out_write_pems(const char *path, const char *const *pems, size_t n, struct sztp_err *e)
{
	size_t total = 0, i, o = 0;
	char *buf;
	sztp_rc rc;

	for (i = 0; i < n; i++)
		total += strlen(pems[i]);
	buf = malloc(total + 1);
	if (!buf)
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		size_t l = strlen(pems[i]);
		memcpy(buf + o, pems[i], l);
		o += l;
	}
	rc = out_write(path, buf, total, OUT_MODE_PUBLIC, e);
	free(buf);
	return rc;
}
