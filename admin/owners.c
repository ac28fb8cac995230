/*
 * owners.c - admin API: owners (STUB: being written; every route answers 501).
 */
#include "admin_internal.h"

void admin_owners_list(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}

void admin_owner_get(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}

void admin_owner_put(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}
