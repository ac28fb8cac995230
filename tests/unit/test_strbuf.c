/* Unit tests for strbuf.c: growth, printf of long strings, sticky out of
 * memory (a size that overflows stands in for a failed realloc), take,
 * reset and free. */
#include <stdint.h>

#include "unit.h"
#include "strbuf.h"

static void test_growth(void)
{
	struct strbuf b = {0};
	char want[5000];
	size_t i;
	char *s;

	strbuf_add(&b, "", 0);
	CHECK(!b.oom && b.len == 0 && b.p && b.p[0] == '\0');
	for (i = 0; i < sizeof(want) - 1; i++) {
		want[i] = (char)('a' + i % 26);
		strbuf_add(&b, &want[i], 1);
		CHECK(b.len == i + 1 && b.cap > b.len && b.p[b.len] == '\0');
	}
	want[i] = '\0';
	CHECK(!b.oom && !strcmp(b.p, want));
	strbuf_puts(&b, "");
	strbuf_puts(&b, "xyz");
	CHECK(b.len == sizeof(want) + 2 && !strcmp(b.p + sizeof(want) - 1, "xyz"));
	strbuf_add(&b, "ab\0cd", 5); /* bytes, not a string */
	CHECK(b.len == sizeof(want) + 7 && !memcmp(b.p + b.len - 5, "ab\0cd", 6));
	s = strbuf_take(&b);
	CHECK(s && !strncmp(s, want, sizeof(want) - 1));
	CHECK(!b.p && !b.len && !b.cap && !b.oom);
	free(s);
}

static void test_printf(void)
{
	struct strbuf b = {0};
	char big[10000];
	char *s;

	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_printf(&b, "%d-%s", 42, "x");
	CHECK(b.len == 4 && !strcmp(b.p, "42-x"));
	/* longer than what is left, then longer than the first capacity */
	strbuf_printf(&b, "[%s]", big);
	CHECK(!b.oom && b.len == 4 + 2 + strlen(big));
	CHECK(b.p[4] == '[' && b.p[5] == 'q' && b.p[b.len - 1] == ']' && b.p[b.len] == '\0');
	strbuf_printf(&b, "%s", "");
	CHECK(b.len == 4 + 2 + strlen(big));
	strbuf_printf(&b, "%.3s|%5d", "abcdef", 7);
	CHECK(!strcmp(b.p + b.len - 9, "abc|    7"));
	s = strbuf_take(&b);
	CHECK(s && strlen(s) == 4 + 2 + strlen(big) + 9 && !strncmp(s, "42-x[qqq", 8));
	free(s);
}

static void test_oom(void)
{
	struct strbuf b = {0};

	strbuf_puts(&b, "kept");
	strbuf_add(&b, "x", SIZE_MAX); /* len + n + 1 overflows: out of memory */
	CHECK(b.oom);
	CHECK(b.len == 4 && !strcmp(b.p, "kept")); /* the text so far is intact */
	strbuf_puts(&b, "more");		   /* sticks: no-ops from now on */
	strbuf_printf(&b, "%d", 1);
	strbuf_add(&b, "y", 1);
	CHECK(b.oom && b.len == 4);
	CHECK(strbuf_take(&b) == NULL);
	CHECK(!b.p && !b.len && !b.cap && !b.oom); /* emptied: usable again */
	strbuf_puts(&b, "again");
	CHECK(!b.oom && !strcmp(b.p, "again"));
	strbuf_free(&b);
	CHECK(!b.p && !b.len && !b.cap && !b.oom);
}

static void test_take_free(void)
{
	struct strbuf b = {0};
	char *s = strbuf_take(&b); /* nothing appended: "" */

	CHECK(s && s[0] == '\0');
	free(s);
	strbuf_free(&b); /* empty: fine */
	strbuf_free(&b);
	CHECK(!b.p);
	strbuf_puts(&b, "abc");
	s = strbuf_take(&b);
	CHECK(s && !strcmp(s, "abc") && !b.p);
	free(s);
	strbuf_puts(&b, "reused");
	strbuf_reset(&b); /* empty, the memory kept */
	CHECK(b.len == 0 && b.cap >= 7 && b.p && b.p[0] == '\0');
	strbuf_puts(&b, "xy");
	CHECK(!strcmp(b.p, "xy"));
	strbuf_printf(&b, "%s", "dropped");
	strbuf_free(&b);
	CHECK(!b.p && !b.len && !b.cap && !b.oom);
}

int main(void)
{
	test_growth();
	test_printf();
	test_oom();
	test_take_free();
	return unit_report("test_strbuf");
}
