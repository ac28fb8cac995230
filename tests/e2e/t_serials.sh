#!/bin/bash
# End-to-end: device serial numbers holding the RFC 4514 special
# characters (+ , ; " \ < > = #, leading and trailing spaces).  sztp-pki
# mints the IDevIDs (serialNumber as PrintableString where the alphabet
# allows, else UTF8String), sztpctl enrols each with its voucher, and the
# real sztpd authenticates each with the real curl: the serial is the
# attribute's value, not its escaped DN rendering ("SN\+1").  A device
# enrolled under the escaped form, or not at all, still gets 401.
. "$(dirname "$0")/lib.sh"
e2e_init t_serials

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }

SERIALS=('SN+1' 'SN,2' 'SN;3' 'SN"4' 'SN\5' 'SN<6>' '#SN7' ' SN8' 'SN9 ' 'SN=10' '# +,;"\<>= x ')
args=()
for s in "${SERIALS[@]}"; do args+=(--serial "$s"); done
"$BIN/sztp-pki" init --out "$PKI" "${args[@]}" --serial 'SN+11' >/dev/null ||
	{ echo "sztp-pki init failed"; exit 1; }

# the IDevIDs carry the specials in their subject (OpenSSL renders them escaped)
check_eq "SN+1: PrintableString serialNumber, escaped in the DN" \
	"$(openssl x509 -in "$PKI/devices/SN+1/idevid.pem" -noout -subject -nameopt RFC2253)" \
	'subject=serialNumber=SN\+1,CN=SN\+1,O=Demo Manufacturer'
openssl asn1parse -in "$PKI/devices/SN;3/idevid.pem" >"$TMP/sn3.asn"
check_contains "SN;3: serialNumber is a UTF8String" "$TMP/sn3.asn" "UTF8STRING        :SN;3"

printf 'hostname demo\n' >"$TMP/config.txt"
check "sztpctl init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile" CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge
for s in "${SERIALS[@]}"; do
	check "enrol '$s'" CTL device add "$s" --profile onb --voucher "$PKI/devices/$s/voucher.vcj"
done
# the escaped form is another serial: SN+11 is enrolled only as 'SN\+11'
check "enrol the escaped form 'SN\\+11'" CTL device add 'SN\+11' --profile onb
check_eq "device list holds every serial exactly" \
	"$(CTL --json device list | jq -r '.[].serial' | sort)" \
	"$(printf '%s\n' "${SERIALS[@]}" 'SN\+11' | sort)"
# a password for a serial with ':' is refused (RFC 7617 user-id)
CTL device add 'SN:1' --password pw >"$TMP/colon.out" 2>&1
check_eq "password for a serial with ':' refused" "$?" 1
check_contains "...saying why" "$TMP/colon.out" "RFC 7617"
check "serial with a control character refused" sh -c "! '$BIN/sztpctl' -d '$DB' device add \"\$(printf 'SN\\t1')\""
check "a password for 'SN;3'" CTL device set 'SN;3' --password 'pw-semi'

PORT=$(free_port)
cat >"$TMP/sztpd.conf" <<CONF
port = $PORT
tls-cert = $PKI/server/chain.pem
tls-key = $PKI/server/key.pem
client-ca = $PKI/manufacturer/root.pem
allow-root = yes
database = $DB
yang-dir = $TOP/yang
threads = 2
CONF
e2e_bg "$TMP/sztpd.log" "$BIN/sztpd" -c "$TMP/sztpd.conf"
SZTPD=$E2E_LAST_PID
wait_https "$PORT" || { cat "$TMP/sztpd.log"; echo "sztpd did not start"; exit 1; }
GBD=https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data

# curl's --cert reads ':' and '\' in a path as its own syntax: plain copies
mkdir -p "$TMP/c"
i=0
for s in "${SERIALS[@]}" 'SN+11'; do
	i=$((i + 1))
	cp "$PKI/devices/$s/chain.pem" "$TMP/c/$i.pem"
	cp "$PKI/devices/$s/idevid.key" "$TMP/c/$i.key"
done
gbd() { # OUT CURL-ARGS...: the status
	local out=$1
	shift
	curl -s -o "$out" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" -X POST "$@" "$GBD"
}
i=0
for s in "${SERIALS[@]}"; do
	i=$((i + 1))
	check_eq "'$s' authenticates with its IDevID" \
		"$(gbd "$TMP/r$i" --cert "$TMP/c/$i.pem" --key "$TMP/c/$i.key")" 200
	check "'$s' gets its conveyed information" \
		jq -e '."ietf-sztp-bootstrap-server:output"."conveyed-information"' "$TMP/r$i"
done
i=$((i + 1))
check_eq "IDevID 'SN+11' with only 'SN\\+11' enrolled: 401" \
	"$(gbd "$TMP/wrong" --cert "$TMP/c/$i.pem" --key "$TMP/c/$i.key")" 401
check_contains "the log names the unescaped serial" "$TMP/sztpd.log" "serial SN+11: serial is not enrolled"
# HTTP Basic with the same serial: alone, and with the certificate
check_eq "HTTP Basic 'SN;3'" "$(gbd "$TMP/b1" -u 'SN;3:pw-semi')" 200
check_eq "certificate + Basic naming the same 'SN;3'" \
	"$(gbd "$TMP/b2" --cert "$TMP/c/3.pem" --key "$TMP/c/3.key" -u 'SN;3:pw-semi')" 200
check_eq "certificate 'SN;3' + Basic 'SN\\;3': 401" \
	"$(gbd "$TMP/b3" --cert "$TMP/c/3.pem" --key "$TMP/c/3.key" -u 'SN\;3:pw-semi')" 401
check_eq "wrong password for 'SN;3': 401" "$(gbd "$TMP/b4" -u 'SN;3:nope')" 401
check "sztpd stops on SIGTERM with status 0" stop_clean "$SZTPD"
e2e_finish
