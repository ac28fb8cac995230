/*
 * main.c - sztp-agent's command line: run one device through RFC 8572
 * s5 from its config file (exit 0 bootstrapped, 1 usage/config error,
 * 2 not bootstrapped, 3 boot image installed and rebooting), check a
 * config (-n), decode a DHCP option as a hook script sees it
 * (dhcp-parse), or run a fleet of simulated devices (fleet).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "dhcp_option.h"
#include "log.h"
#include "util.h"
#include "yang.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sztp-agent -c CONFIG [-n] [--dhcp-option FILE [--dhcp-version 4|6]] [--url "
		"URL]...\n"
		"           [--result FILE]\n"
		"           bootstrap one device (exit 0 done, 2 not bootstrapped, 3 rebooting)\n"
		"       sztp-agent dhcp-parse [--v4-options|--v6-options] FILE\n"
		"           print the URIs of an SZTP redirect option (hex or raw bytes)\n"
		"       sztp-agent fleet -c BASE.conf --pki DIR [--prefix SN-] [--count N]\n"
		"           [--concurrency N] [--work-dir DIR] [--json FILE]\n"
		"           [--attempts N] [--acked FILE]\n"
		"           bootstrap many simulated devices in one process\n");
}

static int dhcp_parse_main(int argc, char **argv)
{
	const char *mode = "value", *file = NULL;
	sztp_bytes f = {0};
	struct dhcp_uris u = {0};
	struct sztp_err e = {0};
	uint8_t *v = NULL, *cat = NULL;
	const uint8_t *val;
	size_t vlen = 0, n = 0, i;
	int rc = 1;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--v4-options") || !strcmp(argv[i], "--v6-options"))
			mode = argv[i] + 2;
		else
			file = argv[i];
	}
	if (!file) {
		usage(stderr);
		return 1;
	}
	if (file_read(file, 65536, &f, &e) || !(v = malloc(f.len + 1)) || !(cat = malloc(65536)))
		goto out;
	if (dhcp_value_decode(f.data, f.len, v, &vlen, &e))
		goto out;
	val = v;
	n = vlen;
	if (!strcmp(mode, "v4-options")) {
		if (dhcp_v4_collect(v, vlen, DHCP_V4_SZTP_REDIRECT, cat, 65536, &n, &e))
			goto out;
		val = cat;
	} else if (!strcmp(mode, "v6-options")) {
		if (dhcp_v6_find(v, vlen, DHCP_V6_SZTP_REDIRECT, &val, &n, &e))
			goto out;
	}
	if (dhcp_uri_list_parse(val, n, &u, &e))
		goto out;
	for (i = 0; i < u.n; i++)
		printf("%s\n", u.uri[i]);
	if (u.n_invalid)
		fprintf(stderr, "sztp-agent: %zu invalid entries ignored\n", u.n_invalid);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "sztp-agent: %s\n", e.msg[0] ? e.msg : "out of memory");
	dhcp_uris_free(&u);
	sztp_bytes_free(&f);
	free(v);
	free(cat);
	return rc;
}

static int run_main(int argc, char **argv)
{
	struct agent_config c;
	struct agent_dev d;
	struct sztp_yang *y = NULL;
	struct pki_trust *masa = NULL;
	struct sztp_err e = {0};
	const char *conf = NULL, *result = NULL, *dhcp = NULL, *dhcp_version = NULL;
	char rpath[1200];
	int i, check = 0, code = 1, have_dev = 0, have_conf = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			conf = argv[++i];
		else if (!strcmp(argv[i], "-n"))
			check = 1;
		else if (!strcmp(argv[i], "--result") && i + 1 < argc)
			result = argv[++i];
		else if (!strcmp(argv[i], "--dhcp-option") && i + 1 < argc)
			dhcp = argv[++i];
		else if (!strcmp(argv[i], "--dhcp-version") && i + 1 < argc &&
			 (!strcmp(argv[i + 1], "4") || !strcmp(argv[i + 1], "6")))
			dhcp_version = argv[++i];
		else if (!strcmp(argv[i], "--url") && i + 1 < argc)
			i++; /* handled after the config is loaded */
		else {
			usage(stderr);
			return 1;
		}
	}
	if (!conf) {
		usage(stderr);
		return 1;
	}
	if (agent_config_load(conf, 0, &c, &e))
		goto out;
	have_conf = 1;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--url") && c.n_urls < AGENT_MAX_LIST &&
		    (c.urls[c.n_urls] = strdup(argv[i + 1])) != NULL)
			c.n_urls++;
	if (dhcp) {
		free(c.dhcp_option);
		c.dhcp_option = strdup(dhcp);
	}
	if (dhcp_version)
		c.dhcp_version = dhcp_version[0] - '0';
	log_init("sztp-agent", (enum log_level)c.log_level, 0);
	if (pki_trust_load(c.voucher_trust, &masa, &e) ||
	    yang_open(*c.yang_dir ? c.yang_dir : sztp_yang_dir_default(), &y, &e))
		goto out;
	if (agent_dev_init(&d, &c, y, masa, &e))
		goto out;
	have_dev = 1;
	if (check) {
		printf("%s: configuration OK (serial number %s)\n", conf, d.serial);
		code = 0;
		goto out;
	}
	if (bsclient_global_init(&e))
		goto out;
	code = agent_run(&d);
	bsclient_global_cleanup();
	if (!result && !*c.result_file &&
	    dev_path(&d, "var/lib/sztp/result.json", rpath, sizeof(rpath), &e) == SZTP_OK)
		result = rpath;
	else if (!result)
		result = c.result_file;
	if (result && agent_write_result(&d, code, result, &e))
		fprintf(stderr, "sztp-agent: %s\n", e.msg);
	e.msg[0] = '\0';
out:
	if (code == 1 && e.msg[0])
		fprintf(stderr, "sztp-agent: %s\n", e.msg);
	if (have_dev)
		agent_dev_free(&d);
	yang_close(y);
	pki_trust_free(masa);
	if (have_conf)
		agent_config_free(&c);
	return code;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "fleet"))
		return fleet_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "dhcp-parse"))
		return dhcp_parse_main(argc - 1, argv + 1);
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	return run_main(argc, argv);
}
