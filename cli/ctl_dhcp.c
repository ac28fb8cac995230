/*
 * ctl_dhcp.c - `sztpctl dhcp URI...`: the SZTP redirect DHCP options of
 * RFC 8572 s8 for the operator's DHCP servers.  DHCPv4 option 143 and
 * DHCPv6 option 136 carry the same value, a list of 2-byte length + URI
 * entries (lib/dhcp_option.c checks each URI as the agent does and builds
 * it); a DHCPv4 value over 255 bytes goes as several options (RFC 3396).
 * Prints the values in hex and configuration ready to paste for Kea
 * (DHCPv4 and DHCPv6), ISC dhcpd (-4 and -6) and dnsmasq, with what each
 * of those servers does with a value too long for it (found by running
 * them: docs/operator-guide.md); --json is the machine contract.  Needs no
 * registry and no config.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "dhcp_option.h"

_Static_assert(CTL_MAX_POS >= DHCP_URI_MAX, "sztpctl dhcp takes DHCP_URI_MAX URIs");

/* dnsmasq 2.90 reads a configuration line of at most this many characters
 * (a longer one is cut and its rest read as a line of its own) */
#define DNSMASQ_LINE_MAX 1024

struct dhcp_conf {
	sztp_bytes list; /* the option value, same for 143 and 136 */
	sztp_bytes v4;	 /* option 143 as it goes in the options field */
	size_t instances;
	char *hex, *v4hex, *colon; /* "001b68...", "8f3d001b...", "00:1b:68:..." */
	char *dhcpd, *dhcpd6, *dnsmasq;
	json_t *kea4, *kea6, *notes;
};

static void conf_free(struct dhcp_conf *d)
{
	sztp_bytes_free(&d->list);
	sztp_bytes_free(&d->v4);
	free(d->hex);
	free(d->v4hex);
	free(d->colon);
	free(d->dhcpd);
	free(d->dhcpd6);
	free(d->dnsmasq);
	json_decref(d->kea4);
	json_decref(d->kea6);
	json_decref(d->notes);
	memset(d, 0, sizeof(*d));
}

/* b as hex, with sep (0: none) between octets; NULL when out of memory. */
static char *hex_of(const sztp_bytes *b, char sep)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(b->len * 3 + 1), *p = s;
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < b->len; i++) {
		if (sep && i)
			*p++ = sep;
		*p++ = digits[b->data[i] >> 4];
		*p++ = digits[b->data[i] & 15];
	}
	*p = '\0';
	return s;
}

static int note(struct dhcp_conf *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note(struct dhcp_conf *d, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	n = json_array_append_new(d->notes, json_string(s));
	free(s);
	return n;
}

static json_t *kea_entry(unsigned code, const char *space, const char *hex)
{
	return json_pack("{s:i, s:s, s:b, s:s}", "code", (int)code, "space", space, "csv-format", 0,
			 "data", hex);
}

/* Everything printed, built before anything is printed: a refused URI
 * leaves stdout empty. */
static sztp_rc conf_build(struct ctl *c, struct dhcp_conf *d, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	size_t v6line;
	int n;

	rc = dhcp_uri_list_encode((const char *const *)c->pos, (size_t)c->npos, &d->list, e);
	if (rc != SZTP_OK)
		goto out;
	rc = dhcp_v4_option_encode(DHCP_V4_SZTP_REDIRECT, d->list.data, d->list.len, &d->v4, e);
	if (rc != SZTP_OK)
		goto out;
	rc = SZTP_E_NOMEM;
	d->instances = (d->list.len + 254) / 255;
	if (!(d->hex = hex_of(&d->list, 0)) || !(d->v4hex = hex_of(&d->v4, 0)) ||
	    !(d->colon = hex_of(&d->list, ':')) || !(d->notes = json_array()) ||
	    !(d->kea4 = kea_entry(DHCP_V4_SZTP_REDIRECT, "dhcp4", d->hex)) ||
	    !(d->kea6 = kea_entry(DHCP_V6_SZTP_REDIRECT, "dhcp6", d->hex)))
		goto out;
	/* dhcpd: a string option given as colon-separated octets; it splits a
	 * long one itself (RFC 3396) */
	if (asprintf(&d->dhcpd,
		     "option sztp-redirect code %u = string;\noption sztp-redirect %s;\n",
		     DHCP_V4_SZTP_REDIRECT, d->colon) < 0) {
		d->dhcpd = NULL;
		goto out;
	}
	if (asprintf(&d->dhcpd6,
		     "option dhcp6.sztp-redirect code %u = string;\n"
		     "option dhcp6.sztp-redirect %s;\n",
		     DHCP_V6_SZTP_REDIRECT, d->colon) < 0) {
		d->dhcpd6 = NULL;
		goto out;
	}
	/* dnsmasq: colon-separated octets; a line it cannot take is a comment
	 * saying why */
	v6line = strlen("dhcp-option=option6:136,") + strlen(d->colon);
	if (d->list.len <= 255 && v6line <= DNSMASQ_LINE_MAX)
		n = asprintf(&d->dnsmasq, "dhcp-option=%u,%s\ndhcp-option=option6:%u,%s\n",
			     DHCP_V4_SZTP_REDIRECT, d->colon, DHCP_V6_SZTP_REDIRECT, d->colon);
	else if (v6line <= DNSMASQ_LINE_MAX)
		n = asprintf(&d->dnsmasq,
			     "# dhcp-option=%u left out: dnsmasq refuses a DHCPv4 option over 255 "
			     "bytes, this one is %zu\ndhcp-option=option6:%u,%s\n",
			     DHCP_V4_SZTP_REDIRECT, d->list.len, DHCP_V6_SZTP_REDIRECT, d->colon);
	else
		n = asprintf(&d->dnsmasq,
			     "# dhcp-option=%u left out: dnsmasq refuses a DHCPv4 option over 255 "
			     "bytes, this one is %zu\n# dhcp-option=option6:%u left out: the line "
			     "would be %zu characters, dnsmasq reads at most %d\n",
			     DHCP_V4_SZTP_REDIRECT, d->list.len, DHCP_V6_SZTP_REDIRECT, v6line,
			     DNSMASQ_LINE_MAX);
	if (n < 0) {
		d->dnsmasq = NULL;
		goto out;
	}
	if (note(d,
		 "Kea 2.2, ISC dhcpd 4.4 and dnsmasq 2.90 send option %u/%u only to clients "
		 "that ask for it (DHCPv4 parameter request list, DHCPv6 option request "
		 "option), as RFC 8572 devices do; to send it to every client add "
		 "\"always-send\": true to the Kea entry, or use dhcp-option-force in dnsmasq",
		 DHCP_V4_SZTP_REDIRECT, DHCP_V6_SZTP_REDIRECT) != 0)
		goto out;
	if (d->list.len > 255 &&
	    (note(d,
		  "option %u is %zu bytes: DHCPv4 carries it as %zu options of at most 255 bytes "
		  "(RFC 3396) and the DHCP client must join them (RFC 8572 s8.1): dhclient does, "
		  "busybox 1.35 udhcpc does not (it hands only the first piece to its script)",
		  DHCP_V4_SZTP_REDIRECT, d->list.len, d->instances) != 0 ||
	     note(d, "Kea 2.2.0 sends it split (RFC 3396), in a reply that may exceed 576 bytes "
		     "(it does not use the sname/file fields): dhclient took such a reply, "
		     "busybox 1.35 udhcpc ignored it and got no lease") != 0 ||
	     note(d, "ISC dhcpd 4.4.3 splits it and keeps the reply within 576 bytes by moving "
		     "pieces into the sname/file fields (option overload, RFC 2132 s9.3): "
		     "dhclient joins them") != 0 ||
	     note(d,
		  "dnsmasq 2.90 refuses a DHCPv4 option over 255 bytes (\"dhcp-option too "
		  "long\"): its option %u line is left out; use Kea or dhcpd, or fewer or "
		  "shorter URIs",
		  DHCP_V4_SZTP_REDIRECT) != 0))
		goto out;
	if (v6line > DNSMASQ_LINE_MAX &&
	    note(d,
		 "dnsmasq 2.90 reads configuration lines of at most %d characters: its option "
		 "%u line (%zu) is left out; dnsmasq takes up to %d bytes of URI list",
		 DNSMASQ_LINE_MAX, DHCP_V6_SZTP_REDIRECT, v6line,
		 (DNSMASQ_LINE_MAX - (int)strlen("dhcp-option=option6:136,") + 1) / 3) != 0)
		goto out;
	rc = SZTP_OK;
out:
	if (rc == SZTP_E_NOMEM)
		sztp_err_set(e, rc, "out of memory");
	return rc;
}

static sztp_rc print_json(struct ctl *c, struct dhcp_conf *d, struct sztp_err *e)
{
	sztp_rc rc = SZTP_E_NOMEM;
	json_t *o = NULL, *uris = json_array();
	int i;

	if (!uris)
		goto out;
	for (i = 0; i < c->npos; i++)
		if (json_array_append_new(uris, json_string(c->pos[i])) != 0)
			goto out;
	o = json_pack("{s:O, s:{s:i, s:I, s:s, s:I, s:s}, s:{s:i, s:I, s:s}, s:O, s:O, s:s, s:s, "
		      "s:s, s:O}",
		      "uris", uris, "dhcpv4", "code", DHCP_V4_SZTP_REDIRECT, "length",
		      (json_int_t)d->list.len, "hex", d->hex, "instances", (json_int_t)d->instances,
		      "encoded", d->v4hex, "dhcpv6", "code", DHCP_V6_SZTP_REDIRECT, "length",
		      (json_int_t)d->list.len, "hex", d->hex, "kea4", d->kea4, "kea6", d->kea6,
		      "dhcpd", d->dhcpd, "dhcpd6", d->dhcpd6, "dnsmasq", d->dnsmasq, "notes",
		      d->notes);
	if (!o)
		goto out;
	rc = ctl_print_json(o, e);
out:
	json_decref(o);
	json_decref(uris);
	if (rc == SZTP_E_NOMEM)
		sztp_err_set(e, rc, "out of memory");
	return rc;
}

static sztp_rc print_text(struct ctl *c, struct dhcp_conf *d, struct sztp_err *e)
{
	char *k4 = json_dumps(d->kea4, JSON_PRESERVE_ORDER);
	char *k6 = json_dumps(d->kea6, JSON_PRESERVE_ORDER);
	size_t i;
	int j;

	if (!k4 || !k6) {
		free(k4);
		free(k6);
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	}
	printf("SZTP redirect option (RFC 8572 s8), %d URI%s:\n", c->npos, c->npos > 1 ? "s" : "");
	for (j = 0; j < c->npos; j++)
		printf("  %s\n", c->pos[j]);
	printf("\nDHCPv4 option %u, %zu bytes", DHCP_V4_SZTP_REDIRECT, d->list.len);
	if (d->instances > 1)
		printf(", sent as %zu options of at most 255 bytes (RFC 3396)", d->instances);
	printf(":\n  %s\n", d->hex);
	printf("options field (code, length, data%s):\n  %s\n",
	       d->instances > 1 ? "; each piece" : "", d->v4hex);
	printf("DHCPv6 option %u, %zu bytes:\n  %s\n", DHCP_V6_SZTP_REDIRECT, d->list.len, d->hex);
	printf("\n# Kea DHCPv4 (kea-dhcp4.conf): an entry of \"option-data\" in \"Dhcp4\", a "
	       "subnet4 or a client class\n%s\n",
	       k4);
	printf("\n# Kea DHCPv6 (kea-dhcp6.conf): an entry of \"option-data\" in \"Dhcp6\", a "
	       "subnet6 or a client class\n%s\n",
	       k6);
	printf("\n# ISC dhcpd (dhcpd.conf), global scope\n%s", d->dhcpd);
	printf("\n# ISC dhcpd -6 (dhcpd6.conf), global scope\n%s", d->dhcpd6);
	printf("\n# dnsmasq (dnsmasq.conf)\n%s", d->dnsmasq);
	printf("\nNotes:\n");
	for (i = 0; i < json_array_size(d->notes); i++)
		printf("- %s\n", json_string_value(json_array_get(d->notes, i)));
	free(k4);
	free(k6);
	return SZTP_OK;
}

sztp_rc cmd_dhcp(struct ctl *c, struct sztp_err *e)
{
	struct dhcp_conf d;
	sztp_rc rc = SZTP_E_INTERNAL;

	memset(&d, 0, sizeof(d));
	rc = conf_build(c, &d, e);
	if (rc == SZTP_OK)
		rc = c->json ? print_json(c, &d, e) : print_text(c, &d, e);
	conf_free(&d);
	return rc;
}
