/* Unit tests for server/http.c's checks of the request target and the Host
 * field, without the network (t_http_strict.sh drives them over TLS). */
#include "http.h"
#include "unit.h"

int main(void)
{
	char out[64];
	const char *q, *msg;

	CHECK(http_target("/restconf", out, sizeof(out), &q, &msg) == 0);
	CHECK(!strcmp(out, "/restconf") && q == NULL && msg == NULL);
	CHECK(http_target("/restconf/operations/m%3Aop?x=1&y", out, sizeof(out), &q, &msg) == 0);
	CHECK(!strcmp(out, "/restconf/operations/m:op") && q && !strcmp(q, "x=1&y"));
	CHECK(http_target("/a?", out, sizeof(out), &q, &msg) == 0 && q && !*q);
	CHECK(http_target("/a%2fb%20c", out, sizeof(out), &q, &msg) == 0 && !strcmp(out, "/a/b c"));
	/* a decoded NUL or control character: refused, not cut */
	CHECK(http_target("/op%00junk", out, sizeof(out), &q, &msg) == -1);
	CHECK(msg && strstr(msg, "NUL") && out[0] == '\0');
	CHECK(http_target("/op%0d%0a", out, sizeof(out), &q, &msg) == -1);
	CHECK(http_target("/op%7F", out, sizeof(out), &q, &msg) == -1);
	CHECK(http_target("/op%e2%82%ac", out, sizeof(out), &q, &msg) == 0); /* UTF-8 is fine */
	/* malformed escapes, in the path or the query */
	CHECK(http_target("/op%zz", out, sizeof(out), &q, &msg) == -1 && strstr(msg, "%-escape"));
	CHECK(http_target("/op%4", out, sizeof(out), &q, &msg) == -1);
	CHECK(http_target("/op%", out, sizeof(out), &q, &msg) == -1);
	CHECK(http_target("/op?a=%g1", out, sizeof(out), &q, &msg) == -1);
	/* characters a target must not hold unencoded */
	CHECK(http_target("/a b", out, sizeof(out), &q, &msg) == -1 && strstr(msg, "%-encoded"));
	CHECK(http_target("/a\"b", out, sizeof(out), &q, &msg) == -1);
	CHECK(http_target("/a#frag", out, sizeof(out), &q, &msg) == -1);
	CHECK(http_target("/a\x80", out, sizeof(out), &q, &msg) == -1);
	CHECK(http_target("/a{b}", out, sizeof(out), &q, &msg) == -1);
	/* too long for the buffer: refused, never cut */
	CHECK(http_target("/0123456789", out, 8, &q, &msg) == -1 && strstr(msg, "too long"));
	CHECK(http_target("/012345", out, 8, &q, &msg) == 0 && !strcmp(out, "/012345"));

	CHECK(http_host_valid("localhost", 9));
	CHECK(http_host_valid("sztp.example.net:8443", 21));
	CHECK(http_host_valid("192.0.2.1", 9));
	CHECK(http_host_valid("[2001:db8::1]:443", 17));
	CHECK(http_host_valid("[::1]", 5));
	CHECK(http_host_valid("a:", 2)); /* RFC 3986: port = *DIGIT */
	CHECK(!http_host_valid("", 0));
	CHECK(!http_host_valid(":443", 4));
	CHECK(!http_host_valid("a b", 3));
	CHECK(!http_host_valid("a/b", 3));
	CHECK(!http_host_valid("user@a", 6));
	CHECK(!http_host_valid("a:44x", 5));
	CHECK(!http_host_valid("[::1", 4));
	CHECK(!http_host_valid("[]", 2));
	CHECK(!http_host_valid("[::1]x", 6));
	CHECK(!http_host_valid("a\tb", 3));
	return unit_report("test_http");
}
