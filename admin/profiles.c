/*
 * profiles.c - admin API: profiles (STUB: being written; every route answers 501).
 */
#include "admin_internal.h"

void admin_profiles_list(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}

void admin_profile_get(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}

void admin_profile_put(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}

void admin_profile_delete(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}
