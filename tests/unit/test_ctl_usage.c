/* Unit test of sztpctl's command table (cli/sztpctl.c, included here with
 * its main renamed and the handlers stubbed): every option a command
 * accepts appears in its usage line and every option its usage line shows
 * is accepted, so `sztpctl help` cannot drift from the parser; and --json
 * is accepted by every command. */
#include "unit.h"

int sztpctl_main(int argc, char **argv);
#define main sztpctl_main
#include "../../cli/sztpctl.c"
#undef main

#define STUB(f)                                                                                    \
	sztp_rc f(struct ctl *c, struct sztp_err *e)                                               \
	{                                                                                          \
		return SZTP_OK;                                                                    \
	}
STUB(cmd_validate_conveyed)
STUB(cmd_validate_voucher)
STUB(cmd_migrate)
STUB(cmd_device_add)
STUB(cmd_device_list)
STUB(cmd_device_show)
STUB(cmd_device_remove)
STUB(cmd_device_set)
STUB(cmd_device_import)
STUB(cmd_voucher_attach)
STUB(cmd_voucher_show)
STUB(cmd_voucher_detach)
STUB(cmd_owner_set)
STUB(cmd_owner_show)
STUB(cmd_owner_list)
STUB(cmd_profile_onboarding)
STUB(cmd_profile_redirect)
STUB(cmd_profile_list)
STUB(cmd_profile_show)
STUB(cmd_profile_remove)
STUB(cmd_progress)
STUB(cmd_log)
STUB(cmd_prune)
STUB(cmd_expiring)
STUB(cmd_device_timeline)
STUB(cmd_token_create)
STUB(cmd_token_list)
STUB(cmd_token_revoke)
STUB(cmd_webhook_add)
STUB(cmd_webhook_list)
STUB(cmd_webhook_show)
STUB(cmd_webhook_set)
STUB(cmd_webhook_remove)
STUB(cmd_events)
STUB(cmd_events_dead_letters)
STUB(cmd_events_replay)
STUB(cmd_audit)
STUB(cmd_dns)
STUB(cmd_dhcp)
/* ctl_call.c is not linked here */
void ctl_admin_close(struct ctl *c)
{
}
sztp_rc ctl_print_json(json_t *j, struct sztp_err *e)
{
	return SZTP_OK;
}
unsigned ctl_json_printed(void)
{
	return 0;
}

static int opt_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
}

/* "--name" occurs in usage as a whole option name. */
static int usage_shows(const char *usage, const char *name, size_t len)
{
	const char *p = usage;

	while ((p = strstr(p, "--")) != NULL) {
		p += 2;
		if (strncmp(p, name, len) == 0 && !opt_char(p[len]))
			return 1;
	}
	return 0;
}

static void check_command(const struct cmd *k)
{
	const char *p = k->opts, *u = k->usage;
	int has_value;

	while (*p) { /* accepted -> shown */
		size_t l = strcspn(p, " "), base = (l && p[l - 1] == '=') ? l - 1 : l;
		if (!usage_shows(k->usage, p, base))
			fprintf(stderr, "'%s' accepts --%.*s; its usage line does not show it\n",
				k->name, (int)base, p);
		CHECK(usage_shows(k->usage, p, base));
		p += l;
		p += strspn(p, " ");
	}
	while ((u = strstr(u, "--")) != NULL) { /* shown -> accepted */
		size_t l = 0;
		u += 2;
		while (opt_char(u[l]))
			l++;
		if (!opt_lookup(k->opts, u, l, &has_value))
			fprintf(stderr,
				"'%s' shows --%.*s in its usage line; it does not accept it\n",
				k->name, (int)l, u);
		CHECK(opt_lookup(k->opts, u, l, &has_value));
		u += l;
	}
}

static const struct cmd *find(const char *name)
{
	size_t i;

	for (i = 0; i < N_CMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* parse_args on a copy of words; returns its result, c filled. */
static sztp_rc parse(struct ctl *c, const char *name, int global_json, int argc, char **argv)
{
	struct sztp_err e = {SZTP_OK, ""};

	memset(c, 0, sizeof(*c));
	c->json = global_json;
	return parse_args(c, find(name), argc, argv, &e);
}

int main(void)
{
	static struct ctl c;
	char json[] = "--json", serial[] = "SN-1";
	char *with_json[] = {serial, json}, *only_json[] = {json};
	size_t i;
	int used;

	for (i = 0; i < N_CMDS; i++)
		check_command(&cmds[i]);
	CHECK(find("device add") && usage_shows(find("device add")->usage, "masa-ca", 7));
	CHECK(find("owner set") && usage_shows(find("owner set")->usage, "force", 5));

	/* --json: every command prints JSON, with the option before or after it */
	CHECK_RC(parse(&c, "device show", 0, 2, with_json), SZTP_OK);
	CHECK(c.json == 1 && c.npos == 1);
	CHECK_RC(parse(&c, "log", 1, 0, NULL), SZTP_OK); /* global --json */
	CHECK(c.json == 1);
	CHECK_RC(parse(&c, "device remove", 0, 2, with_json), SZTP_OK);
	CHECK(c.json == 1 && c.npos == 1 && c.nopts == 0);
	CHECK_RC(parse(&c, "prune", 0, 1, only_json), SZTP_OK);
	CHECK(c.json == 1);
	{
		char jv[] = "--json=yes";
		char *bad_json[] = {jv};
		CHECK_RC(parse(&c, "prune", 0, 1, bad_json), SZTP_E_INVALID_VALUE);
	}

	/* help of a group and of a command */
	{
		char w0[] = "device", w1[] = "add", w2[] = "frob", h[] = "--help";
		char *group[] = {w0, h}, *cmd[] = {w0, w1, h}, *bad[] = {w0, w2};
		CHECK(wants_help(2, group) && count_words(2, group) == 1);
		CHECK(print_commands(NULL, 1, group, 0) == 7); /* with device timeline */
		CHECK(cmd_find(3, cmd, &used) == find("device add") && used == 2);
		CHECK(wants_help(1, cmd + 2));
		CHECK(print_commands(NULL, 2, bad, 0) == 0);
		CHECK(!wants_help(2, bad));
	}
	return unit_report("test_ctl_usage");
}
