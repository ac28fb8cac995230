/* Unit tests for lib/passwd.c: the cost travels in the hash, a hash of
 * the old 4096-iteration format (made here by Python's hashlib, an
 * independent PBKDF2) still verifies, a verification always does at least
 * the minimum work (an unknown user, a broken hash, a cheap old hash),
 * and generated passwords look as documented. */
#include <ctype.h>

#include "passwd.h"
#include "unit.h"

/* hashlib.pbkdf2_hmac('sha256', b'old-secret', b'old-format-salt!', 4096) */
#define OLD_HASH                                                                                   \
	"$pbkdf2-sha256$4096$b2xkLWZvcm1hdC1zYWx0IQ==$"                                            \
	"HgBOE0q5N5Kk0U9QxgXTEBwK2bXZxm1J9K218NecZRA="
/* hashlib.pbkdf2_hmac('sha256', b'pw', b'saltsaltsaltsalt', 1000) */
#define KNOWN_1000                                                                                 \
	"$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$T7epWfxBHiKQQGlNJ3+9CM17dQuKVeWu++"          \
	"anuIAf6vg="

static void cost_in_hash(void)
{
	char h[PASSWD_HASH_MAX];
	struct sztp_err e = {0};

	CHECK_RC(passwd_hash_cost("s3cret", 1000, h, &e), SZTP_OK);
	CHECK(strncmp(h, "$pbkdf2-sha256$1000$", 20) == 0);
	CHECK(passwd_cost(h) == 1000);
	CHECK(passwd_verify("s3cret", h) == 1);
	CHECK(passwd_verify("s3cret!", h) == 0);
	CHECK(passwd_verify_cost("s3cret", h, 2000) == 1);
	/* the default cost, as documented */
	CHECK(PASSWD_COST_DEFAULT == 600000);
	CHECK_RC(passwd_hash("x", h, NULL), SZTP_OK);
	CHECK(passwd_cost(h) == PASSWD_COST_DEFAULT);
	/* out of bounds: refused, nothing written */
	CHECK_RC(passwd_hash_cost("s3cret", 999, h, &e), SZTP_E_INVALID_VALUE);
	CHECK(h[0] == '\0' && strstr(e.msg, "999") != NULL);
	CHECK_RC(passwd_hash_cost("s3cret", PASSWD_COST_MAX + 1, h, NULL), SZTP_E_INVALID_VALUE);
}

static void old_format(void)
{
	CHECK(passwd_cost(OLD_HASH) == 4096);
	CHECK(passwd_verify("old-secret", OLD_HASH) == 1);
	CHECK(passwd_verify("old-secreT", OLD_HASH) == 0);
	/* held to a higher minimum it still verifies */
	CHECK(passwd_verify_cost("old-secret", OLD_HASH, 20000) == 1);
	CHECK(passwd_verify("pw", KNOWN_1000) == 1);
}

/* Work done, in derivations and iterations' worth of time: the same for
 * a right password, a wrong one, an unknown user and a broken hash. */
static void minimum_work(void)
{
	unsigned long d0;

	d0 = passwd_derivations();
	CHECK(passwd_verify_cost("pw", KNOWN_1000, 1000) == 1);
	CHECK(passwd_derivations() - d0 == 1); /* at its own cost: no padding */
	d0 = passwd_derivations();
	CHECK(passwd_verify_cost("pw", KNOWN_1000, 5000) == 1);
	CHECK(passwd_derivations() - d0 == 2); /* real + the rest on the dummy */
	d0 = passwd_derivations();
	CHECK(passwd_verify_cost("pw", NULL, 5000) == 0); /* unknown user */
	CHECK(passwd_derivations() - d0 == 1);
	d0 = passwd_derivations();
	CHECK(passwd_verify_cost("pw", "$pbkdf2-sha256$x$y$z", 5000) == 0); /* broken */
	CHECK(passwd_verify_cost("pw", "plain", 5000) == 0);
	CHECK(passwd_verify_cost("pw", "$pbkdf2-sha256$0$c2FsdA==$AAAA", 5000) == 0);
	CHECK(passwd_derivations() - d0 == 3);
	CHECK(passwd_cost("plain") == 0 && passwd_cost(NULL) == 0);
}

static void generate(void)
{
	char a[PASSWD_GEN_MAX], b[PASSWD_GEN_MAX];
	size_t i;
	int alnum = 1;

	CHECK_RC(passwd_generate(a, sizeof(a), PASSWD_GEN_LEN, NULL), SZTP_OK);
	CHECK_RC(passwd_generate(b, sizeof(b), PASSWD_GEN_LEN, NULL), SZTP_OK);
	CHECK(strlen(a) == PASSWD_GEN_LEN && strlen(b) == PASSWD_GEN_LEN);
	CHECK(strcmp(a, b) != 0);
	for (i = 0; a[i]; i++)
		alnum &= isalnum((unsigned char)a[i]) != 0;
	CHECK(alnum);
	CHECK_RC(passwd_generate(a, sizeof(a), 15, NULL), SZTP_E_INVALID_VALUE);
	CHECK_RC(passwd_generate(a, 10, PASSWD_GEN_LEN, NULL), SZTP_E_INVALID_VALUE);
}

int main(void)
{
	cost_in_hash();
	old_format();
	minimum_work();
	generate();
	return unit_report("test_passwd");
}
