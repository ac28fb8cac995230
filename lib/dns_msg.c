/*
 * dns_msg.c - parsers of a DNS response message (RFC 1035 s4.1) for the
 * agent's DNS source (RFC 8572 s4.2): the TXT record set of
 * `<serial>._sztp.<domain>` (key=value pairs per RFC 1464, one pair per
 * RR whose character-strings are concatenated, RFC 4408 s3.1.3) and the
 * SRV record set of `_sztp._tcp.<domain>` (RFC 2782), and the escaping
 * of a serial number into one label (RFC 1035 s5.1).
 *
 * Written by hand rather than on libresolv's ns_parserr so that every
 * byte the agent takes from an untrusted DNS answer goes through code
 * the unit tests and the fuzz harness reach, with one rule set: lengths
 * checked against the message, names at most 255 bytes, compression
 * pointers strictly backwards (below where the current name, or the
 * last pointer's target, began), hence no loops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_msg.h"

#define HDR	    12
#define NAME_MAX_W  255 /* wire bytes of a name, root label included */
#define RR_FIXED    10	/* type, class, ttl, rdlength */
#define RR_MIN	    11	/* a 1-byte name + RR_FIXED */
#define CLASS_IN    1
#define RCODE_NXDOM 3

struct rr {
	size_t owner; /* offset of the owner name */
	uint16_t type, class;
	size_t rdata;
	uint16_t rdlen;
};

struct msg {
	const uint8_t *m;
	size_t len;
	uint8_t qname[NAME_MAX_W];
	size_t qlen;
	struct rr *rr; /* answer section */
	size_t n_rr;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* The name at *off into wire (uncompressed, <= 255 bytes); *off moves
 * past the name as it sits at *off (past its first pointer). */
static sztp_rc name_read(const uint8_t *m, size_t len, size_t *off, uint8_t *wire, size_t *wlen,
			 struct sztp_err *e)
{
	size_t p = *off, limit = *off, w = 0, end = 0, ptr;
	int jumped = 0;
	uint8_t c;

	for (;;) {
		if (p >= len)
			return sztp_err_set(e, SZTP_E_MALFORMED, "DNS name runs past the message");
		c = m[p];
		if ((c & 0xc0) == 0xc0) {
			if (p + 1 >= len)
				return sztp_err_set(e, SZTP_E_MALFORMED,
						    "DNS compression pointer cut off");
			ptr = (size_t)(c & 0x3f) << 8 | m[p + 1];
			if (ptr >= limit) /* strictly backwards: no loop possible */
				return sztp_err_set(e, SZTP_E_MALFORMED,
						    "DNS compression pointer to offset %zu does "
						    "not point backwards",
						    ptr);
			if (!jumped)
				end = p + 2;
			jumped = 1;
			limit = p = ptr;
			continue;
		}
		if (c & 0xc0)
			return sztp_err_set(e, SZTP_E_MALFORMED, "DNS label type 0x%02x unknown",
					    c & 0xc0);
		if (c == 0)
			break;
		if (c > len - p - 1)
			return sztp_err_set(e, SZTP_E_MALFORMED, "DNS label runs past the message");
		if (w + 1 + c + 1 > NAME_MAX_W)
			return sztp_err_set(e, SZTP_E_MALFORMED, "DNS name longer than 255 bytes");
		memcpy(wire + w, m + p, 1 + (size_t)c);
		w += 1 + (size_t)c;
		p += 1 + (size_t)c;
	}
	wire[w++] = 0;
	*wlen = w;
	*off = jumped ? end : p + 1;
	return SZTP_OK;
}

/* Wire names compare without regard to ASCII case (RFC 4343); length
 * bytes are < 64, below any letter, so one loop does both. */
static int name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i;
	uint8_t x, y;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++) {
		x = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
		y = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];
		if (x != y)
			return 0;
	}
	return 1;
}

static sztp_rc header(struct msg *g, unsigned qtype, size_t *off, struct sztp_err *e)
{
	const uint8_t *m = g->m;
	unsigned rcode;
	sztp_rc rc;

	if (g->len < HDR)
		return sztp_err_set(e, SZTP_E_MALFORMED, "DNS message shorter than its header");
	if (!(m[2] & 0x80) || (m[2] >> 3 & 0xf) != 0)
		return sztp_err_set(e, SZTP_E_MALFORMED, "not a DNS response to a standard query");
	if (m[2] & 0x02) /* TC: some records are missing */
		return sztp_err_set(e, SZTP_E_TOO_BIG, "DNS response truncated (TC)");
	rcode = m[3] & 0xf;
	if (rcode == RCODE_NXDOM)
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "NXDOMAIN");
	if (rcode)
		return sztp_err_set(e, SZTP_E_UNAVAILABLE, "DNS server answered rcode %u", rcode);
	if (get16(m + 4) != 1)
		return sztp_err_set(e, SZTP_E_MALFORMED, "DNS response with %u questions",
				    get16(m + 4));
	*off = HDR;
	if ((rc = name_read(m, g->len, off, g->qname, &g->qlen, e)) != SZTP_OK)
		return rc;
	if (g->len - *off < 4)
		return sztp_err_set(e, SZTP_E_MALFORMED, "DNS question cut off");
	if (get16(m + *off) != qtype || get16(m + *off + 2) != CLASS_IN)
		return sztp_err_set(e, SZTP_E_MALFORMED,
				    "DNS response to another question (type %u class %u)",
				    get16(m + *off), get16(m + *off + 2));
	*off += 4;
	return SZTP_OK;
}

/* Header, question and answer section of msg; g->rr allocated. */
static sztp_rc msg_open(struct msg *g, const uint8_t *msg, size_t len, unsigned qtype,
			struct sztp_err *e)
{
	uint8_t w[NAME_MAX_W];
	size_t off, wl, an, i;
	sztp_rc rc;

	memset(g, 0, sizeof(*g));
	g->m = msg;
	g->len = len;
	if ((rc = header(g, qtype, &off, e)) != SZTP_OK)
		return rc;
	an = get16(msg + 6);
	if (an > (len - off) / RR_MIN)
		return sztp_err_set(e, SZTP_E_MALFORMED, "DNS answer count %zu exceeds the message",
				    an);
	if (!an)
		return sztp_err_set(e, SZTP_E_NOT_FOUND, "no records in the answer");
	if (!(g->rr = calloc(an, sizeof(*g->rr))))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	for (i = 0; i < an; i++) {
		g->rr[i].owner = off;
		if ((rc = name_read(msg, len, &off, w, &wl, e)) != SZTP_OK)
			return rc;
		if (len - off < RR_FIXED)
			return sztp_err_set(e, SZTP_E_MALFORMED, "DNS record %zu cut off", i + 1);
		g->rr[i].type = get16(msg + off);
		g->rr[i].class = get16(msg + off + 2);
		g->rr[i].rdlen = get16(msg + off + 8);
		off += RR_FIXED;
		g->rr[i].rdata = off;
		if (g->rr[i].rdlen > len - off)
			return sztp_err_set(e, SZTP_E_MALFORMED,
					    "DNS record %zu's data runs past the message", i + 1);
		off += g->rr[i].rdlen;
		g->n_rr++;
	}
	return SZTP_OK;
}

static void msg_close(struct msg *g)
{
	free(g->rr);
	g->rr = NULL;
}

/* A name inside an RR's data that must end exactly at the data's end. */
static sztp_rc rdata_name(const struct msg *g, const struct rr *r, size_t at, uint8_t *w,
			  size_t *wl, struct sztp_err *e)
{
	size_t off = at;
	sztp_rc rc;

	if ((rc = name_read(g->m, r->rdata + r->rdlen, &off, w, wl, e)) != SZTP_OK)
		return rc;
	if (off != r->rdata + r->rdlen)
		return sztp_err_set(e, SZTP_E_MALFORMED, "DNS record data longer than its name");
	return SZTP_OK;
}

/* The name whose records answer the question: the question's, or the
 * end of the CNAME chain the answer section holds for it. */
static sztp_rc answer_name(const struct msg *g, uint8_t *cur, size_t *clen, struct sztp_err *e)
{
	uint8_t w[NAME_MAX_W];
	size_t i, wl, off, hops;
	int moved;
	sztp_rc rc;

	memcpy(cur, g->qname, g->qlen);
	*clen = g->qlen;
	for (hops = 0;; hops++) {
		moved = 0;
		for (i = 0; i < g->n_rr && !moved; i++) {
			off = g->rr[i].owner;
			if (g->rr[i].type != DNS_T_CNAME || g->rr[i].class != CLASS_IN ||
			    name_read(g->m, g->len, &off, w, &wl, NULL) ||
			    !name_eq(w, wl, cur, *clen))
				continue;
			if (hops == DNS_CNAME_MAX)
				return sztp_err_set(e, SZTP_E_MALFORMED,
						    "DNS CNAME chain longer than %d",
						    DNS_CNAME_MAX);
			if ((rc = rdata_name(g, &g->rr[i], g->rr[i].rdata, cur, clen, e)) !=
			    SZTP_OK)
				return rc;
			moved = 1;
		}
		if (!moved)
			return SZTP_OK;
	}
}

/* Does RR i belong to the answer (owner name, class IN, type)? */
static int rr_is(const struct msg *g, size_t i, unsigned type, const uint8_t *name, size_t nlen)
{
	uint8_t w[NAME_MAX_W];
	size_t off = g->rr[i].owner, wl;

	return g->rr[i].type == type && g->rr[i].class == CLASS_IN &&
	       !name_read(g->m, g->len, &off, w, &wl, NULL) && name_eq(w, wl, name, nlen);
}

/* ---- TXT ---------------------------------------------------------------- */

void dns_sztp_txt_free(struct dns_sztp_txt *t)
{
	if (!t)
		return;
	sztp_bytes_free(&t->ci);
	sztp_bytes_free(&t->oc);
	sztp_bytes_free(&t->ov);
	memset(t, 0, sizeof(*t));
}

/* The character-strings of one TXT RR, concatenated, into v. */
static sztp_rc txt_join(const struct msg *g, const struct rr *r, sztp_bytes *v, struct sztp_err *e)
{
	const uint8_t *p = g->m + r->rdata, *end = p + r->rdlen;
	size_t n = 0;

	if (!r->rdlen)
		return sztp_err_set(e, SZTP_E_MALFORMED, "TXT record without a string");
	if (!(v->data = malloc(r->rdlen)))
		return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
	while (p < end) {
		if (*p > end - p - 1) {
			sztp_bytes_free(v);
			return sztp_err_set(e, SZTP_E_MALFORMED, "TXT string runs past its record");
		}
		memcpy(v->data + n, p + 1, *p);
		n += *p;
		p += 1 + *p;
	}
	v->len = n;
	return SZTP_OK;
}

/* One key=value RR into t. */
static sztp_rc txt_pair(struct dns_sztp_txt *t, const sztp_bytes *v, struct sztp_err *e)
{
	static const struct {
		const char *k;
		unsigned bit;
		size_t off;
	} keys[] = {{"ci", DNS_KEY_CI, offsetof(struct dns_sztp_txt, ci)},
		    {"oc", DNS_KEY_OC, offsetof(struct dns_sztp_txt, oc)},
		    {"ov", DNS_KEY_OV, offsetof(struct dns_sztp_txt, ov)}};
	const uint8_t *eq = v->len ? memchr(v->data, '=', v->len) : NULL;
	size_t klen, i;
	sztp_bytes *dst;

	klen = eq ? (size_t)(eq - v->data) : 0;
	for (i = 0; eq && klen == 2 && i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((v->data[0] | 0x20) != keys[i].k[0] || (v->data[1] | 0x20) != keys[i].k[1])
			continue;
		if (t->keys & keys[i].bit)
			return sztp_err_set(e, SZTP_E_INVALID_VALUE,
					    "key '%s' given twice in the TXT records", keys[i].k);
		dst = (sztp_bytes *)((char *)t + keys[i].off);
		if (sztp_bytes_dup(dst, eq + 1, v->len - klen - 1))
			return sztp_err_set(e, SZTP_E_NOMEM, "out of memory");
		t->keys |= keys[i].bit;
		return SZTP_OK;
	}
	t->n_ignored++; /* another key, or no '=' at all */
	return SZTP_OK;
}

sztp_rc dns_sztp_txt_parse(const uint8_t *msg, size_t len, struct dns_sztp_txt *out,
			   struct sztp_err *e)
{
	struct msg g;
	uint8_t name[NAME_MAX_W];
	size_t nlen, i;
	sztp_bytes v = {0};
	sztp_rc rc = SZTP_E_MALFORMED;

	memset(out, 0, sizeof(*out));
	if ((rc = msg_open(&g, msg, len, DNS_T_TXT, e)) != SZTP_OK ||
	    (rc = answer_name(&g, name, &nlen, e)) != SZTP_OK)
		goto out;
	for (i = 0; i < g.n_rr; i++) {
		if (!rr_is(&g, i, DNS_T_TXT, name, nlen))
			continue;
		if ((rc = txt_join(&g, &g.rr[i], &v, e)) != SZTP_OK)
			goto out;
		rc = txt_pair(out, &v, e);
		sztp_bytes_free(&v);
		if (rc != SZTP_OK)
			goto out;
		out->n_rr++;
	}
	rc = out->n_rr ? SZTP_OK : sztp_err_set(e, SZTP_E_NOT_FOUND, "no TXT records");
out:
	msg_close(&g);
	if (rc != SZTP_OK)
		dns_sztp_txt_free(out);
	return rc;
}

/* ---- SRV ---------------------------------------------------------------- */

/* A target as a host name without the trailing dot; 0 when it is "."
 * or has a byte a host name cannot hold. */
static int host_text(const uint8_t *w, char *out)
{
	size_t i = 0, o = 0, l, k;
	uint8_t c;

	if (!w[0])
		return 0;
	while ((l = w[i]) != 0) {
		for (k = 1; k <= l; k++) {
			c = w[i + k];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return 0;
			out[o++] = (char)c;
		}
		i += 1 + l;
		if (w[i])
			out[o++] = '.';
	}
	out[o] = '\0'; /* o <= 253: a 255-byte wire name is 253 characters */
	return 1;
}

/* Before: priority ascending, then weight descending. */
static int srv_before(const struct dns_srv *a, const struct dns_srv *b)
{
	return a->priority < b->priority || (a->priority == b->priority && a->weight > b->weight);
}

/* Insert s into the sorted out[0..*n), keeping at most max. */
static void srv_insert(struct dns_srv *out, size_t max, size_t *n, const struct dns_srv *s)
{
	size_t at = *n;

	while (at > 0 && srv_before(s, &out[at - 1]))
		at--;
	if (at >= max)
		return;
	if (*n < max)
		(*n)++;
	memmove(&out[at + 1], &out[at], (*n - 1 - at) * sizeof(*out));
	out[at] = *s;
}

sztp_rc dns_srv_parse(const uint8_t *msg, size_t len, struct dns_srv *out, size_t max, size_t *n,
		      size_t *skipped, struct sztp_err *e)
{
	struct msg g;
	struct dns_srv s;
	uint8_t name[NAME_MAX_W], w[NAME_MAX_W];
	size_t nlen, wl, i, found = 0;
	const uint8_t *d;
	sztp_rc rc = SZTP_E_MALFORMED;

	*n = *skipped = 0;
	if ((rc = msg_open(&g, msg, len, DNS_T_SRV, e)) != SZTP_OK ||
	    (rc = answer_name(&g, name, &nlen, e)) != SZTP_OK)
		goto out;
	for (i = 0; i < g.n_rr; i++) {
		if (!rr_is(&g, i, DNS_T_SRV, name, nlen))
			continue;
		if (g.rr[i].rdlen < 7) {
			rc = sztp_err_set(e, SZTP_E_MALFORMED, "SRV record shorter than 7 bytes");
			goto out;
		}
		if ((rc = rdata_name(&g, &g.rr[i], g.rr[i].rdata + 6, w, &wl, e)) != SZTP_OK)
			goto out;
		found++;
		d = msg + g.rr[i].rdata;
		memset(&s, 0, sizeof(s));
		s.priority = get16(d);
		s.weight = get16(d + 2);
		s.port = get16(d + 4);
		if (!s.port || !host_text(w, s.target)) {
			(*skipped)++;
			continue;
		}
		srv_insert(out, max, n, &s);
	}
	rc = found ? SZTP_OK : sztp_err_set(e, SZTP_E_NOT_FOUND, "no SRV records");
out:
	msg_close(&g);
	if (rc != SZTP_OK)
		*n = *skipped = 0;
	return rc;
}

/* ---- the serial as a label ------------------------------------------------ */

sztp_rc dns_label_escape(const char *label, char *out, size_t outlen, struct sztp_err *e)
{
	size_t len = strlen(label), i, o = 0;
	unsigned char c;
	sztp_rc rc = SZTP_E_INVALID_VALUE;

	if (outlen)
		out[0] = '\0';
	if (!len || len > DNS_LABEL_MAX) {
		sztp_err_set(e, rc, "a DNS label is 1 to %d bytes, '%.80s' is %zu", DNS_LABEL_MAX,
			     label, len);
		goto out;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)label[i];
		if (outlen < 5 || outlen - o < 5) { /* room for \DDD and the NUL */
			rc = sztp_err_set(e, SZTP_E_TOO_BIG, "DNS label output buffer too small");
			goto out;
		}
		if (c < '!' || c > '~')
			o += (size_t)snprintf(out + o, outlen - o, "\\%03u", c);
		else if (strchr(".\\\"();@$", c))
			o += (size_t)snprintf(out + o, outlen - o, "\\%c", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	rc = SZTP_OK;
out:
	if (rc != SZTP_OK && outlen)
		out[0] = '\0';
	return rc;
}
