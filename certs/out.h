/*
 * out.h - the output tree of sztp-pki: directories with explicit modes
 * (0700 where keys live), files written with their mode set at creation
 * (0600 keys, 0644 certificates and vouchers), bounded path building.
 */
#ifndef SZTP_CERTS_OUT_H
#define SZTP_CERTS_OUT_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "result.h"

#define OUT_MODE_KEY	0600
#define OUT_MODE_PUBLIC 0644
#define OUT_MODE_KEYDIR 0700
#define OUT_MODE_DIR	0755

struct out_path {
	char s[PATH_MAX];
};

/* Format a path; SZTP_E_TOO_BIG when it does not fit. */
sztp_rc out_path_fmt(struct out_path *p, struct sztp_err *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Create dir with mode (an existing directory gets its mode set). */
sztp_rc out_mkdir(const char *dir, mode_t mode, struct sztp_err *e);
/* The top --out directory: created when missing; an existing non-empty
 * directory is refused with SZTP_E_EXISTS unless force. */
sztp_rc out_prepare_top(const char *dir, int force, struct sztp_err *e);
/* 1 when path exists (any type). */
int out_exists(const char *path);

/* Write a whole file (created or truncated, symlinks refused) with mode. */
sztp_rc out_write(const char *path, const void *data, size_t len, mode_t mode, struct sztp_err *e);
/* Write the concatenation of NUL-terminated strings (PEM chains). */
sztp_rc out_write_pems(const char *path, const char *const *pems, size_t n, struct sztp_err *e);

#endif
