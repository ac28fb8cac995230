/*
 * strbuf.c - the growing text buffer of strbuf.h: capacity doubles from
 * STRBUF_MIN, a size that would overflow is out of memory like a failed
 * realloc, and out of memory sticks.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define STRBUF_MIN 256

/* Room for n more bytes and the NUL: 0, or -1 (b->oom set). */
static int reserve(struct strbuf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return -1;
	if (n > SIZE_MAX - 1 - b->len)
		goto oom;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : STRBUF_MIN;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (!(p = realloc(b->p, cap)))
		goto oom;
	b->p = p;
	b->cap = cap;
	return 0;
oom:
	b->oom = 1;
	return -1;
}

void strbuf_add(struct strbuf *b, const void *s, size_t n)
{
	if (reserve(b, n) != 0)
		return;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void strbuf_puts(struct strbuf *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		goto out;
	}
	if (b->p && (size_t)n < b->cap - b->len) {
		b->len += (size_t)n;
		goto out;
	}
	if (reserve(b, (size_t)n) != 0)
		goto out;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
out:
	if (b->p && b->len < b->cap)
		b->p[b->len] = '\0'; /* a failed attempt may have written past len */
}

char *strbuf_take(struct strbuf *b)
{
	char *s = b->oom ? NULL : b->p;

	if (b->oom)
		free(b->p);
	else if (!s)
		s = calloc(1, 1);
	memset(b, 0, sizeof(*b));
	return s;
}

void strbuf_reset(struct strbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void strbuf_free(struct strbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
