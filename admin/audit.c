/*
 * audit.c - admin API: audit (STUB: being written; every route answers 501).
 */
#include "admin_internal.h"

void admin_audit_list(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}
