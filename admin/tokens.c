/*
 * tokens.c - admin API: tokens (STUB: being written; every route answers 501).
 */
#include "admin_internal.h"

void admin_tokens_list(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}

void admin_tokens_create(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}

void admin_token_revoke(struct admin_call *c)
{
	admin_problem(c, 501, "not-implemented", NULL, "not implemented yet");
}

sztp_rc admin_auth_bearer(struct admin_ctx *ctx, const char *authorization,
			  struct admin_actor *actor, struct sztp_err *e)
{
	return sztp_err_set(e, SZTP_E_AUTH, "bearer tokens not implemented yet");
}
