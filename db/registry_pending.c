/* registry_pending.c - TEMPORARY: reg_audit_add until the registry slice
 * of issue 10 lands (then this file is deleted). */
#include "registry.h"

sztp_rc reg_audit_add(struct reg *r, const struct reg_audit *a, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_UNSUPPORTED, "audit not implemented yet");
}
