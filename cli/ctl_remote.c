/*
 * ctl_remote.c - sztpctl --server: the admin API over HTTPS with libcurl
 * (STUB: being written).
 */
#include "ctl.h"

sztp_rc ctl_remote(struct ctl *c, const char *method, const char *path, const char *query,
		   const char *ctype, const void *body, size_t len, struct ctl_resp *r,
		   struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "--server is not implemented yet");
}
