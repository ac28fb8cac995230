/*
 * vouchers.c - admin API: vouchers (STUB: being written; every route answers 501).
 */
#include "admin_internal.h"

void admin_voucher_put(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}

void admin_voucher_get(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}

void admin_voucher_delete(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}
