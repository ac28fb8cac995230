/*
 * fuzz_pki_cert_serial.c - lib/pki.c: the device serial number taken from
 * a client certificate's subject serialNumber (OID 2.5.4.5), decoded from
 * its DER string to UTF-8 (RFC 8572 s5.3, IEEE 802.1AR).  Input: a DER
 * certificate as a device would send it.  Promises checked: a serial is
 * returned exactly on success, it fits the buffer and passes the one
 * serial rule (pki_serial_check: no control character, valid UTF-8), and
 * a failure says why.
 */
#include "fuzz.h"
#include "pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sztp_bytes cert = {(uint8_t *)data, size};
	char serial[PKI_SERIAL_MAX];
	struct sztp_err e = {0};
	sztp_rc rc;

	memset(serial, 'x', sizeof(serial));
	rc = pki_cert_serial_number(&cert, serial, sizeof(serial), &e);
	fuzz_err_ok(&e, rc);
	if (rc == SZTP_OK) {
		FUZZ_CHECK(memchr(serial, '\0', sizeof(serial)) != NULL);
		FUZZ_CHECK(pki_serial_check(serial, NULL) == SZTP_OK);
	} else {
		FUZZ_CHECK(serial[0] == '\0');
	}
	return 0;
}
