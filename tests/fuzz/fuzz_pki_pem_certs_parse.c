/*
 * fuzz_pki_pem_certs_parse.c - lib/pki.c PEM certificate list parser;
 * every certificate it returns then goes through the DER accessors
 * (serialNumber, validity, subject, AKI) that sztpd and sztpctl use on
 * client and voucher certificates.
 */
#include "fuzz.h"
#include "pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sztp_bytes *certs = NULL, aki = {0};
	size_t n = 0, i;
	struct sztp_err e = {0};
	char buf[PKI_SERIAL_MAX];
	time_t nb, na;
	sztp_rc rc;

	rc = pki_pem_certs_parse((const char *)data, size, &certs, &n, &e);
	fuzz_err_ok(&e, rc);
	if (rc != SZTP_OK)
		return 0;
	FUZZ_CHECK(n == 0 || certs != NULL);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(certs[i].data && certs[i].len > 0 && certs[i].len <= size);
		if (pki_cert_serial_number(&certs[i], buf, sizeof(buf), NULL) == SZTP_OK)
			FUZZ_CHECK(memchr(buf, '\0', sizeof(buf)) != NULL);
		(void)pki_cert_validity(&certs[i], &nb, &na, NULL);
		if (pki_cert_subject(&certs[i], buf, 16, NULL) == SZTP_OK)
			FUZZ_CHECK(memchr(buf, '\0', 16) != NULL);
		(void)pki_cert_aki(&certs[i], &aki, NULL);
		sztp_bytes_free(&aki);
		FUZZ_CHECK(pki_cert_equal(&certs[i], &certs[i]) == 1);
	}
	pki_certs_free(certs, n);
	return 0;
}
