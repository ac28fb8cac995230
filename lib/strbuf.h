/*
 * strbuf.h - a growing NUL-terminated text buffer.  Out of memory sticks:
 * once an append fails every later one is a no-op and strbuf_take gives
 * NULL, so a writer appends freely and checks once at the end.
 * No third-party library.
 *
 *   struct strbuf b = {0};
 *   strbuf_printf(&b, "%d items", n);
 *   strbuf_puts(&b, "\n");
 *   char *text = strbuf_take(&b);   (NULL: out of memory)
 */
#ifndef SZTP_STRBUF_H
#define SZTP_STRBUF_H

#include <stddef.h>

/* Zero-initialised is empty.  p is NULL or NUL-terminated at len; a
 * writer may edit p[0..len) in place. */
struct strbuf {
	char *p;
	size_t len, cap;
	int oom;
};

/* Append n bytes of s (which need not be NUL-terminated). */
void strbuf_add(struct strbuf *b, const void *s, size_t n);
/* Append the string s. */
void strbuf_puts(struct strbuf *b, const char *s);
/* Append printf(fmt, ...), however long. */
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text ("" when nothing was appended), the caller's to free; NULL when
 * out of memory.  Either way b is left empty (zeroed). */
char *strbuf_take(struct strbuf *b);
/* Empty b for reuse, keeping its memory; out of memory stays. */
void strbuf_reset(struct strbuf *b);
/* Free the text and leave b empty (zeroed). */
void strbuf_free(struct strbuf *b);

#endif
