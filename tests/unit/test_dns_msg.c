/*
 * test_dns_msg.c - the DNS response parsers of the agent's DNS source
 * (RFC 8572 s4.2) over hand-built messages: multi-string TXT RRs joined
 * (RFC 4408 s3.1.3), several RRs, keys ci/oc/ov binary and compared
 * without case, duplicates refused, unknown keys ignored, CNAME chains,
 * records of other names, classes and types left out; SRV ordering
 * (priority, then weight descending), "." and odd targets skipped, the
 * max kept; rcodes, TC, truncated, oversized, compression loops and
 * forward pointers, hostile counts and lengths; label escaping.
 */
#include "dns_msg.h"
#include "unit.h"

/* ---- a tiny message builder ---------------------------------------------- */
struct b {
	uint8_t m[70000];
	size_t n;
};

static void u8(struct b *b, unsigned v)
{
	b->m[b->n++] = (uint8_t)v;
}

static void u16(struct b *b, unsigned v)
{
	u8(b, v >> 8);
	u8(b, v & 0xff);
}

/* "a.b.c" as uncompressed labels and the root label */
static void name(struct b *b, const char *dotted)
{
	const char *p = dotted, *dot;
	size_t l;

	while (*p) {
		dot = strchr(p, '.');
		l = dot ? (size_t)(dot - p) : strlen(p);
		u8(b, (unsigned)l);
		memcpy(b->m + b->n, p, l);
		b->n += l;
		p += l + (dot ? 1 : 0);
	}
	u8(b, 0);
}

/* header (response, RD RA, rcode) and one question */
static void start(struct b *b, unsigned rcode, unsigned an, const char *q, unsigned qtype)
{
	b->n = 0;
	u16(b, 0x1234);
	u16(b, 0x8180 | rcode);
	u16(b, 1);
	u16(b, an);
	u16(b, 0);
	u16(b, 0);
	name(b, q);
	u16(b, qtype);
	u16(b, 1);
}

/* an RR header with the owner as a pointer to the question (offset 12) */
static void rr_q(struct b *b, unsigned type, unsigned rdlen)
{
	u16(b, 0xc00c);
	u16(b, type);
	u16(b, 1);
	u16(b, 0);
	u16(b, 300);
	u16(b, rdlen);
}

/* one TXT RR at the question's name from strings of given lengths */
static void txt(struct b *b, const char *const *s, size_t ns)
{
	size_t i, len = 0;

	for (i = 0; i < ns; i++)
		len += 1 + strlen(s[i]);
	rr_q(b, DNS_T_TXT, (unsigned)len);
	for (i = 0; i < ns; i++) {
		u8(b, (unsigned)strlen(s[i]));
		memcpy(b->m + b->n, s[i], strlen(s[i]));
		b->n += strlen(s[i]);
	}
}

static void txt1(struct b *b, const char *s)
{
	txt(b, &s, 1);
}

static void srv(struct b *b, unsigned prio, unsigned w, unsigned port, const char *target)
{
	struct b t;

	t.n = 0;
	name(&t, target);
	rr_q(b, DNS_T_SRV, (unsigned)(6 + t.n));
	u16(b, prio);
	u16(b, w);
	u16(b, port);
	memcpy(b->m + b->n, t.m, t.n);
	b->n += t.n;
}

static struct b B;
#define Q "SN-1._sztp.example.com"

/* ---- TXT ------------------------------------------------------------------ */
static void test_txt_basic(void)
{
	static const char *const ci[] = {"ci=\x30\x82", "\x01\xffrest", "-of-ci"};
	struct dns_sztp_txt t;
	struct sztp_err e;

	start(&B, 0, 4, Q, DNS_T_TXT);
	txt(&B, ci, 3); /* one key=value over three strings */
	txt1(&B, "OC=owner");
	txt1(&B, "ov=");	    /* present, empty */
	txt1(&B, "vendor=ignored"); /* unknown key */
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_OK);
	CHECK(t.n_rr == 4 && t.n_ignored == 1);
	CHECK(t.keys == (DNS_KEY_CI | DNS_KEY_OC | DNS_KEY_OV));
	CHECK(t.ci.len == 14 && !memcmp(t.ci.data, "\x30\x82\x01\xffrest-of-ci", 14));
	CHECK(t.oc.len == 5 && !memcmp(t.oc.data, "owner", 5));
	CHECK(t.ov.len == 0);
	dns_sztp_txt_free(&t);
	CHECK(t.ci.data == NULL && t.keys == 0);
	dns_sztp_txt_free(NULL);

	/* binary value with '=' and NUL bytes inside: only the first '=' splits */
	start(&B, 0, 2, Q, DNS_T_TXT);
	rr_q(&B, DNS_T_TXT, 8);
	u8(&B, 7);
	memcpy(B.m + B.n, "ci=\0=\0x", 7);
	B.n += 7;
	txt1(&B, "no equals sign");
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_OK);
	CHECK(t.keys == DNS_KEY_CI && t.ci.len == 4 && !memcmp(t.ci.data, "\0=\0x", 4));
	CHECK(t.n_ignored == 1 && t.n_rr == 2);
	dns_sztp_txt_free(&t);

	/* a 255-byte string and an empty string in one RR */
	{
		char big[256];
		const char *s[3] = {big, "", "z"};

		memset(big, 'a', 255);
		big[255] = '\0';
		memcpy(big, "ci=", 3);
		start(&B, 0, 1, Q, DNS_T_TXT);
		txt(&B, s, 3);
		CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_OK);
		CHECK(t.ci.len == 253 && t.ci.data[251] == 'a' && t.ci.data[252] == 'z');
		dns_sztp_txt_free(&t);
	}
}

static void test_txt_refused(void)
{
	struct dns_sztp_txt t;
	struct sztp_err e;

	/* duplicate key, also in another case */
	start(&B, 0, 3, Q, DNS_T_TXT);
	txt1(&B, "ci=one");
	txt1(&B, "oc=x");
	txt1(&B, "CI=two");
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_INVALID_VALUE);
	CHECK(strstr(e.msg, "'ci' given twice") != NULL);
	CHECK(t.keys == 0 && t.ci.data == NULL && t.oc.data == NULL && t.n_rr == 0);

	/* unknown keys only: parsed, nothing kept */
	start(&B, 0, 2, Q, DNS_T_TXT);
	txt1(&B, "cix=1");
	txt1(&B, "c=1");
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_OK);
	CHECK(t.keys == 0 && t.n_ignored == 2);
	dns_sztp_txt_free(&t);

	/* NXDOMAIN, SERVFAIL, no answers, TC */
	start(&B, 3, 0, Q, DNS_T_TXT);
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_NOT_FOUND);
	CHECK(!strcmp(e.msg, "NXDOMAIN"));
	start(&B, 2, 0, Q, DNS_T_TXT);
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_UNAVAILABLE);
	start(&B, 0, 0, Q, DNS_T_TXT);
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_NOT_FOUND);
	start(&B, 0, 1, Q, DNS_T_TXT);
	txt1(&B, "ci=x");
	B.m[2] |= 0x02;
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_TOO_BIG);

	/* a query (QR 0), an answer to an SRV question, two questions */
	start(&B, 0, 1, Q, DNS_T_TXT);
	txt1(&B, "ci=x");
	B.m[2] &= 0x7f;
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_MALFORMED);
	start(&B, 0, 1, Q, DNS_T_SRV);
	txt1(&B, "ci=x");
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_MALFORMED);
	start(&B, 0, 1, Q, DNS_T_TXT);
	txt1(&B, "ci=x");
	B.m[5] = 2;
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_MALFORMED);

	/* TXT RRs of another name, class or type only: not found */
	start(&B, 0, 2, Q, DNS_T_TXT);
	name(&B, "other.example.com");
	u16(&B, DNS_T_TXT);
	u16(&B, 1);
	u16(&B, 0);
	u16(&B, 0);
	u16(&B, 5);
	u8(&B, 4);
	memcpy(B.m + B.n, "ci=x", 4);
	B.n += 4;
	rr_q(&B, DNS_T_TXT, 5);
	B.m[B.n - 7] = 3; /* class CH */
	u8(&B, 4);
	memcpy(B.m + B.n, "ci=y", 4);
	B.n += 4;
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_NOT_FOUND);
}

static void test_cname(void)
{
	struct dns_sztp_txt t;
	struct sztp_err e;
	size_t at;

	/* question -> CNAME real.example.net -> TXT there; a TXT at the
	 * question's name itself is not the answer */
	start(&B, 0, 3, Q, DNS_T_TXT);
	txt1(&B, "ci=wrong");
	rr_q(&B, DNS_T_CNAME, 18);
	at = B.n;
	name(&B, "real.example.net");
	CHECK(B.n - at == 18);
	u16(&B, 0xc000 | (unsigned)at); /* owner: pointer to the target */
	u16(&B, DNS_T_TXT);
	u16(&B, 1);
	u16(&B, 0);
	u16(&B, 0);
	u16(&B, 7);
	u8(&B, 6);
	memcpy(B.m + B.n, "ci=abc", 6);
	B.n += 6;
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_OK);
	CHECK(t.ci.len == 3 && !memcmp(t.ci.data, "abc", 3));
	dns_sztp_txt_free(&t);

	/* a CNAME to itself: a loop, refused */
	start(&B, 0, 1, Q, DNS_T_TXT);
	rr_q(&B, DNS_T_CNAME, 2);
	u16(&B, 0xc00c);
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "CNAME chain") != NULL);
}

/* ---- hostile messages ---------------------------------------------------- */
static void test_hostile(void)
{
	struct dns_sztp_txt t;
	struct dns_srv s[4];
	struct sztp_err e;
	size_t n, sk, i, len;

	CHECK_RC(dns_sztp_txt_parse(B.m, 0, &t, &e), SZTP_E_MALFORMED);
	CHECK_RC(dns_sztp_txt_parse(B.m, 11, &t, &e), SZTP_E_MALFORMED);

	/* every truncation of a good message fails cleanly */
	start(&B, 0, 2, Q, DNS_T_TXT);
	txt1(&B, "ci=0123456789");
	txt1(&B, "oc=x");
	len = B.n;
	for (i = 0; i < len; i++)
		CHECK(dns_sztp_txt_parse(B.m, i, &t, &e) != SZTP_OK && t.keys == 0);
	CHECK_RC(dns_sztp_txt_parse(B.m, len, &t, &e), SZTP_OK);
	dns_sztp_txt_free(&t);

	/* a string length past the RR's end */
	start(&B, 0, 1, Q, DNS_T_TXT);
	rr_q(&B, DNS_T_TXT, 5);
	u8(&B, 9);
	memcpy(B.m + B.n, "ci=x", 4);
	B.n += 4;
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_MALFORMED);
	/* rdlength past the message; empty TXT data */
	start(&B, 0, 1, Q, DNS_T_TXT);
	rr_q(&B, DNS_T_TXT, 60000);
	u8(&B, 4);
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_MALFORMED);
	start(&B, 0, 1, Q, DNS_T_TXT);
	rr_q(&B, DNS_T_TXT, 0);
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_MALFORMED);

	/* larger than any DNS message (65535): still parsed within its length */
	{
		char big[256];
		size_t k;

		memset(big, 'v', 255);
		big[255] = '\0';
		memcpy(big, "xx=", 3);
		start(&B, 0, 251, Q, DNS_T_TXT);
		for (k = 0; k < 250; k++)
			txt1(&B, big);
		txt1(&B, "ov=last");
		CHECK(B.n > 65535);
		CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_OK);
		CHECK(t.n_rr == 251 && t.n_ignored == 250 && t.keys == DNS_KEY_OV);
		CHECK(t.ov.len == 4 && !memcmp(t.ov.data, "last", 4));
		dns_sztp_txt_free(&t);
	}

	/* an answer count the message cannot hold */
	start(&B, 0, 65535, Q, DNS_T_TXT);
	txt1(&B, "ci=x");
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "answer count") != NULL);

	/* compression: a pointer to itself, a forward pointer, a two-pointer
	 * loop, a pointer past the end, a cut-off pointer, label type 0x40
	 * (each as an answer's owner, followed by room for the RR) */
	start(&B, 0, 1, Q, DNS_T_TXT);
	len = B.n;
	memset(B.m + len, 0, 16);
	u16(&B, 0xc000 | (unsigned)len);
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n + 12, &t, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "backwards") != NULL);
	B.n = len;
	u16(&B, 0xc000 | (unsigned)(len + 2));
	u16(&B, 0xc000 | (unsigned)len);
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n + 12, &t, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "backwards") != NULL);
	B.n = len;
	u16(&B, 0xc000 | 0x3fff);
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n + 12, &t, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "backwards") != NULL);
	B.n = len;
	memset(B.m + len, 0, 16);
	u8(&B, 0x41);
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n + 12, &t, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "label type") != NULL);
	B.n = len;
	u8(&B, 0xc0);
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_MALFORMED);
	/* a loop through two names: the question "a" ends in a pointer to
	 * the answer's owner (offset 20), which points back to the question */
	start(&B, 0, 1, "a", DNS_T_TXT);
	B.n = 12 + 2;
	u16(&B, 0xc000 | 20);
	u16(&B, DNS_T_TXT);
	u16(&B, 1);
	u16(&B, 0xc00c);
	memset(B.m + B.n, 0, 16);
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n + 12, &t, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "backwards") != NULL);
	/* the question's name as a pointer into the header (offset 4 < 12 is
	 * backwards but reads the counts as labels: must end cleanly) */
	B.n = 0;
	u16(&B, 0);
	u16(&B, 0x8180);
	u16(&B, 1);
	u16(&B, 1);
	u16(&B, 0);
	u16(&B, 0);
	u16(&B, 0xc002);
	u16(&B, DNS_T_TXT);
	u16(&B, 1);
	CHECK(dns_sztp_txt_parse(B.m, B.n, &t, &e) != SZTP_OK);

	/* an owner name over 255 bytes */
	start(&B, 0, 1, Q, DNS_T_TXT);
	len = B.n;
	for (i = 0; i < 4; i++) { /* 4 x 63-byte labels = 256 bytes with lengths */
		u8(&B, 63);
		memset(B.m + B.n, 'x', 63);
		B.n += 63;
	}
	u8(&B, 0);
	u16(&B, DNS_T_TXT);
	u16(&B, 1);
	u16(&B, 0);
	u16(&B, 0);
	u16(&B, 5);
	u8(&B, 4);
	memcpy(B.m + B.n, "ci=x", 4);
	B.n += 4;
	CHECK_RC(dns_sztp_txt_parse(B.m, B.n, &t, &e), SZTP_E_MALFORMED);
	CHECK(strstr(e.msg, "255") != NULL);

	/* SRV parser on the same hostile inputs */
	start(&B, 0, 1, Q, DNS_T_SRV);
	len = B.n;
	u16(&B, 0xc000 | (unsigned)len);
	CHECK_RC(dns_srv_parse(B.m, B.n, s, 4, &n, &sk, &e), SZTP_E_MALFORMED);
	CHECK(n == 0 && sk == 0);
}

/* ---- SRV ------------------------------------------------------------------ */
static void test_srv(void)
{
	struct dns_srv s[8];
	struct sztp_err e;
	size_t n, sk;

	start(&B, 0, 7, "_sztp._tcp.example.com", DNS_T_SRV);
	srv(&B, 20, 0, 443, "c.example.com");
	srv(&B, 10, 5, 8443, "b.example.com");
	srv(&B, 10, 50, 443, "a.example.com.");
	srv(&B, 10, 5, 443, "b2.example.com");
	srv(&B, 5, 0, 443, ""); /* "." : no service here */
	srv(&B, 5, 0, 0, "zero-port.example.com");
	srv(&B, 5, 0, 443, "bad\\ label.example.com"); /* not a host name */
	CHECK_RC(dns_srv_parse(B.m, B.n, s, 8, &n, &sk, &e), SZTP_OK);
	CHECK(n == 4 && sk == 3);
	CHECK(n == 4 && !strcmp(s[0].target, "a.example.com") && s[0].weight == 50);
	CHECK(n == 4 && !strcmp(s[1].target, "b.example.com") && s[1].port == 8443);
	CHECK(n == 4 && !strcmp(s[2].target, "b2.example.com")); /* equal: message order */
	CHECK(n == 4 && !strcmp(s[3].target, "c.example.com") && s[3].priority == 20);

	/* max 2: the best two in order */
	CHECK_RC(dns_srv_parse(B.m, B.n, s, 2, &n, &sk, &e), SZTP_OK);
	CHECK(n == 2 && !strcmp(s[0].target, "a.example.com") &&
	      !strcmp(s[1].target, "b.example.com"));

	/* target with trailing garbage in the RR; a short RR; only "." */
	start(&B, 0, 1, "_sztp._tcp.example.com", DNS_T_SRV);
	rr_q(&B, DNS_T_SRV, 10);
	u16(&B, 0);
	u16(&B, 0);
	u16(&B, 443);
	u8(&B, 0);
	u8(&B, 1);
	u8(&B, 2);
	u8(&B, 3);
	CHECK_RC(dns_srv_parse(B.m, B.n, s, 8, &n, &sk, &e), SZTP_E_MALFORMED);
	start(&B, 0, 1, "_sztp._tcp.example.com", DNS_T_SRV);
	rr_q(&B, DNS_T_SRV, 6);
	u16(&B, 0);
	u16(&B, 0);
	u16(&B, 443);
	CHECK_RC(dns_srv_parse(B.m, B.n, s, 8, &n, &sk, &e), SZTP_E_MALFORMED);
	start(&B, 0, 1, "_sztp._tcp.example.com", DNS_T_SRV);
	srv(&B, 0, 0, 443, "");
	CHECK_RC(dns_srv_parse(B.m, B.n, s, 8, &n, &sk, &e), SZTP_OK);
	CHECK(n == 0 && sk == 1);
	/* a compressed target (pointer to the question's tail) */
	start(&B, 0, 1, "_sztp._tcp.example.com", DNS_T_SRV);
	rr_q(&B, DNS_T_SRV, 6 + 5 + 2);
	u16(&B, 1);
	u16(&B, 1);
	u16(&B, 443);
	u8(&B, 4);
	memcpy(B.m + B.n, "sztp", 4);
	B.n += 4;
	u16(&B, 0xc000 | (12 + 6 + 5)); /* "example.com" in the question */
	CHECK_RC(dns_srv_parse(B.m, B.n, s, 8, &n, &sk, &e), SZTP_OK);
	CHECK(n == 1 && !strcmp(s[0].target, "sztp.example.com"));
	/* NXDOMAIN */
	start(&B, 3, 0, "_sztp._tcp.example.com", DNS_T_SRV);
	CHECK_RC(dns_srv_parse(B.m, B.n, s, 8, &n, &sk, &e), SZTP_E_NOT_FOUND);
}

/* ---- labels ---------------------------------------------------------------- */
static void test_label(void)
{
	char out[DNS_LABEL_TXT], small[8], l64[65];
	struct sztp_err e;

	CHECK_RC(dns_label_escape("SN-0001", out, sizeof(out), &e), SZTP_OK);
	CHECK(!strcmp(out, "SN-0001"));
	CHECK_RC(dns_label_escape("a.b\\c", out, sizeof(out), &e), SZTP_OK);
	CHECK(!strcmp(out, "a\\.b\\\\c"));
	CHECK_RC(dns_label_escape("sp ace\t\x7f\xc3\xa9", out, sizeof(out), &e), SZTP_OK);
	CHECK(!strcmp(out, "sp\\032ace\\009\\127\\195\\169"));
	CHECK_RC(dns_label_escape("q\"(x);@$", out, sizeof(out), &e), SZTP_OK);
	CHECK(!strcmp(out, "q\\\"\\(x\\)\\;\\@\\$"));
	memset(l64, 'a', 64);
	l64[64] = '\0';
	CHECK_RC(dns_label_escape(l64, out, sizeof(out), &e), SZTP_E_INVALID_VALUE);
	CHECK(out[0] == '\0');
	l64[63] = '\0';
	CHECK_RC(dns_label_escape(l64, out, sizeof(out), &e), SZTP_OK);
	CHECK(strlen(out) == 63);
	memset(l64, '.', 63); /* the worst case fits DNS_LABEL_TXT */
	CHECK_RC(dns_label_escape(l64, out, sizeof(out), &e), SZTP_OK);
	CHECK(strlen(out) == 126);
	memset(l64, 1, 63);
	CHECK_RC(dns_label_escape(l64, out, sizeof(out), &e), SZTP_OK);
	CHECK(strlen(out) == 252);
	CHECK_RC(dns_label_escape("", out, sizeof(out), &e), SZTP_E_INVALID_VALUE);
	CHECK_RC(dns_label_escape("long-serial", small, sizeof(small), &e), SZTP_E_TOO_BIG);
	CHECK(small[0] == '\0');
	CHECK_RC(dns_label_escape("x", small, 0, &e), SZTP_E_TOO_BIG);
}

int main(void)
{
	test_txt_basic();
	test_txt_refused();
	test_cname();
	test_hostile();
	test_srv();
	test_label();
	return unit_report("test_dns_msg");
}
