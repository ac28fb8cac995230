#!/bin/bash
# End-to-end (issue 13): a profile's leniency, proven by a replay of the
# open-source Go device agent's (OPI sztp-agent's) wire behaviour with
# curl: POST application/yang-data+json with no Accept header, HTTP Basic
# (serial:password) and its client certificate together, body
# {"hw-model","os-name","os-version","nonce":""}.
#  - on a profile with `--lenient empty-nonce,omit-os-fields`: 200, the
#    conveyed information without boot-image os-name/os-version (its JSON
#    decoder refuses unknown members), the leniencies named in the audit
#    line, the bootstrap.served event and sztpd_lenient_applied_total;
#  - on a strict profile: 400 with today's exact YANG error;
#  - a strict client (16-byte nonce) on the lenient profiles gets what the
#    strict profile serves, byte for byte (but the os fields under
#    omit-os-fields), and nothing is logged as lenient;
#  - omit-os-fields on signed data (openssl cms -verify), and `sztpctl
#    dns` publishing the very document sztpd serves;
#  - XML <nonce/>; the list changed on a running sztpd (strict again, then
#    lenient: the prepared artifacts follow); unknown and no-profile
#    devices answered exactly as before; its report-progress forms.
. "$(dirname "$0")/lib.sh"
e2e_init t_lenient

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }
"$BIN/sztp-pki" init --out "$PKI" --serial SN-OPI --serial SN-STRICT --serial SN-NONCE \
	--serial SN-NP --serial SN-DNS >/dev/null || { echo "sztp-pki init failed"; echo "t_lenient: 0 passed, 1 failed"; exit 1; }
"$BIN/sztp-pki" device --pki "$PKI" --serial SN-NOBODY --no-voucher >/dev/null # never enrolled
check "sztpctl init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
printf 'demo boot image\n' >"$TMP/image.img"
printf 'hostname demo\n' >"$TMP/config.txt"
# the same conveyed information three times; the agent verifies no CMS
# signature and parses a bare ContentInfo only: --sign never
onb() {
	CTL profile onboarding "$1" --image-name demo-os --image-version 2.0 \
		--image-file "$TMP/image.img" --image-uri https://files.example.net/image.img \
		--config "$TMP/config.txt" --config-handling merge --sign never "${@:2}"
}
check "profile opi (both leniencies)" onb opi --lenient omit-os-fields,empty-nonce
check_contains "sztpctl says what it tolerates" "$TMP/.check.out" "lenient: empty-nonce,omit-os-fields"
check "profile strict" onb strict
check "profile nonce (empty-nonce only)" onb nonce --lenient empty-nonce
CTL profile show opi >/dev/null 2>"$TMP/show.err"
check_contains "profile show prints the list" "$TMP/show.err" "lenient empty-nonce,omit-os-fields"
CTL profile show strict >/dev/null 2>"$TMP/show2.err"
check_contains "and a strict profile says so" "$TMP/show2.err" "lenient none (strict)"
CTL profile onboarding bad --config "$TMP/config.txt" --config-handling merge --lenient empty-nonce,bogus >"$TMP/bad.out" 2>&1
check_eq "an unknown leniency is refused" "$?" 1
check_contains "naming it" "$TMP/bad.out" "leniency 'bogus' is unknown"
check_eq "the refused profile was not stored" "$(db_q "select count(*) from profiles where name='bad'")" 0
check "enrol SN-OPI" CTL device add SN-OPI --profile opi --password pw-opi
check "enrol SN-STRICT" CTL device add SN-STRICT --profile strict --password pw-strict
check "enrol SN-NONCE" CTL device add SN-NONCE --profile nonce --password pw-nonce
check "enrol SN-NP (no profile)" CTL device add SN-NP --password pw-np
# signed data (a voucher, the owner's key) on an omit-os-fields profile
check "profile signed-omit" CTL profile onboarding signed-omit --image-name demo-os \
	--image-version 2.0 --image-file "$TMP/image.img" --image-uri https://files.example.net/image.img \
	--lenient omit-os-fields
check "enrol SN-DNS" CTL device add SN-DNS --profile signed-omit --voucher "$PKI/devices/SN-DNS/voucher.vcj"

PORT=$(free_port)
sztpd_conf "threads = 2" "password-cost = 1000" "log-level = info" >"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID
BASE=https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server
GBD=$BASE:get-bootstrapping-data
RP=$BASE:report-progress
OPI='{"ietf-sztp-bootstrap-server:input":{"hw-model":"Example-DPU","os-name":"Debian GNU/Linux","os-version":"12 (bookworm)","nonce":""}}'
N16=QUFBQUFBQUFBQUFBQUFBQQ==
STRICT_IN='{"ietf-sztp-bootstrap-server:input":{"hw-model":"Example-DPU","os-name":"Debian GNU/Linux","os-version":"12 (bookworm)","nonce":"'$N16'"}}'
YERR='{"ietf-restconf:errors":{"error":[{"error-type":"protocol","error-tag":"invalid-value","error-message":"get-bootstrapping-data input: /ietf-sztp-bootstrap-server:get-bootstrapping-data/nonce: Unsatisfied length - string \"\" length is not allowed."}]}}'

# opi SERIAL PASSWORD OUT BODY: the agent's request (Basic + certificate,
# Content-Type only, curl's default Accept removed); the status, the media
# type in OUT.type, curl's request head in OUT.head.
opi() {
	curl -sv -o "$3" -w '%{http_code} %{content_type}' --cacert "$PKI/owner/ca.pem" \
		--cert "$PKI/devices/$1/chain.pem" --key "$PKI/devices/$1/idevid.key" -u "$1:$2" \
		-H 'Content-Type: application/yang-data+json' -H 'Accept:' -d "$4" "$GBD" \
		2>"$3.head" >"$3.st"
	cut -d' ' -f2 "$3.st" >"$3.type"
	cut -d' ' -f1 "$3.st"
}
# ci OUT: the conveyed information of an answer (JSON output), as the
# document inside its bare ContentInfo (checked to be one, .43)
ci() {
	python3 - "$1" <<'PY'
import base64, json, sys
out = json.load(open(sys.argv[1]))["ietf-sztp-bootstrap-server:output"]
der = base64.b64decode(out["conveyed-information"])
def tlv(b, i):
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, b[i:i + n], i + n
tag, seq, _ = tlv(der, 0)
assert tag == 0x30
tag, oid, j = tlv(seq, 0)
assert tag == 0x06 and oid == bytes.fromhex("2a864886f70d01091001 2b".replace(" ", "")), oid.hex()
tag, ctx, _ = tlv(seq, j)
assert tag == 0xa0
tag, doc, _ = tlv(ctx, 0)
assert tag == 0x04
sys.stdout.write(doc.decode())
PY
}

# ---- the agent's request on the lenient profile -------------------------------------------
check_eq "OPI replay on the lenient profile: 200" "$(opi SN-OPI pw-opi "$TMP/o1" "$OPI")" 200
check_eq "the answer is JSON though no Accept was sent" "$(cat "$TMP/o1.type")" application/yang-data+json
check_not_contains "curl sent no Accept header" "$TMP/o1.head" "> Accept"
check_contains "curl sent Basic credentials" "$TMP/o1.head" "> Authorization: Basic"
check_eq "the output holds conveyed-information only (what the agent's decoder allows)" \
	"$(jq -c '.["ietf-sztp-bootstrap-server:output"] | keys' "$TMP/o1")" '["conveyed-information"]'
ci "$TMP/o1" >"$TMP/o1.ci"
check "a bare ContentInfo .43 holding JSON" jq -e . "$TMP/o1.ci"
check_eq "boot-image without os-name and os-version" \
	"$(jq -c '.["ietf-sztp-conveyed-info:onboarding-information"]["boot-image"] | keys' "$TMP/o1.ci")" \
	'["download-uri","image-verification"]'
check "still valid conveyed information" "$BIN/sztpctl" validate conveyed-information "$TMP/o1.ci"
check_eventually "audit line names both leniencies" 1 \
	grep -c 'serial=SN-OPI .*endpoint=get-bootstrapping-data .*status=200 .*lenient=empty-nonce,omit-os-fields' "$TMP/sztpd.log"
check_eventually "bootstrap.served event data carries them" \
	'{"status":200,"outcome":"unsigned","profile":"opi","kind":"onboarding-information","signed":false,"lenient":["empty-nonce","omit-os-fields"]}' \
	db_q "select data from events where type='bootstrap.served' and serial='SN-OPI'"

# ---- the same on a strict profile: today's exact error -------------------------------------
check_eq "OPI replay on the strict profile: 400" "$(opi SN-STRICT pw-strict "$TMP/s1" "$OPI")" 400
check_eq "with the exact YANG error" "$(cat "$TMP/s1")" "$YERR"
check_eq "no leniency logged for the strict profile" "$(grep 'serial=SN-STRICT ' "$TMP/sztpd.log" | grep -c 'lenient=')" 0
check_eventually "its event is a refusal" 1 \
	db_q "select count(*) from events where type='bootstrap.refused' and serial='SN-STRICT' and data like '%Unsatisfied length%'"
# any other bad nonce stays refused on the lenient profile
BAD15='{"ietf-sztp-bootstrap-server:input":{"nonce":"QUFBQUFBQUFBQUFBQUFB"}}'
check_eq "a 15-byte nonce on the lenient profile: 400" "$(opi SN-OPI pw-opi "$TMP/b15" "$BAD15")" 400
check_contains "with its YANG error" "$TMP/b15" "get-bootstrapping-data/nonce: Unsatisfied length"
check_eq "\"nonce\":null on the lenient profile: 400" \
	"$(opi SN-OPI pw-opi "$TMP/bnull" '{"ietf-sztp-bootstrap-server:input":{"nonce":null}}')" 400

# ---- strict clients on lenient profiles: the strict answer ----------------------------------
check_eq "strict client, strict profile: 200" "$(opi SN-STRICT pw-strict "$TMP/c1" "$STRICT_IN")" 200
check_eq "strict client, empty-nonce profile: 200" "$(opi SN-NONCE pw-nonce "$TMP/c2" "$STRICT_IN")" 200
check "byte for byte the strict profile's answer" cmp "$TMP/c1" "$TMP/c2"
check_eq "strict client, opi profile: 200" "$(opi SN-OPI pw-opi "$TMP/c3" "$STRICT_IN")" 200
ci "$TMP/c1" >"$TMP/c1.ci"
ci "$TMP/c3" >"$TMP/c3.ci"
check_eq "the same document but the os fields (omit-os-fields)" \
	"$(jq -c 'del(.["ietf-sztp-conveyed-info:onboarding-information"]["boot-image"]["os-name","os-version"])' "$TMP/c1.ci")" \
	"$(jq -c . "$TMP/c3.ci")"
check_contains "the strict profile serves os-name" "$TMP/c1.ci" '"os-name":"demo-os","os-version":"2.0"'
check_eventually "the opi profile's strict-client answer names omit-os-fields only" 1 \
	grep -c 'serial=SN-OPI .*status=200 .*lenient=omit-os-fields$' "$TMP/sztpd.log"
check_eq "the empty-nonce profile's strict-client answer names nothing" \
	"$(grep 'serial=SN-NONCE ' "$TMP/sztpd.log" | grep -c 'lenient=')" 0
check_eventually "nor does its event" 1 \
	db_q "select count(*) from events where type='bootstrap.served' and serial='SN-NONCE' and data not like '%lenient%'"
# the empty nonce on the empty-nonce profile: applied, and os fields kept
check_eq "OPI replay on the empty-nonce profile: 200" "$(opi SN-NONCE pw-nonce "$TMP/n1" "$OPI")" 200
check "its answer is the strict profile's (os fields kept)" cmp "$TMP/c1" "$TMP/n1"
check_eventually "audit: lenient=empty-nonce" 1 \
	grep -c 'serial=SN-NONCE .*status=200 .*lenient=empty-nonce$' "$TMP/sztpd.log"

# ---- XML: <nonce/> ----------------------------------------------------------------------------
XIN='<input xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"><hw-model>Example-DPU</hw-model><nonce/></input>'
xml() {
	curl -s -o "$3" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" -u "$1:$2" \
		-H 'Content-Type: application/yang-data+xml' -d "$XIN" "$GBD"
}
check_eq "XML <nonce/> on the lenient profile: 200" "$(xml SN-OPI pw-opi "$TMP/x1")" 200
sed -n 's:.*<conveyed-information>\([^<]*\)</conveyed-information>.*:\1:p' "$TMP/x1" | base64 -d >"$TMP/x1.der"
openssl asn1parse -inform DER -in "$TMP/x1.der" >"$TMP/x1.asn"
check_contains "a ContentInfo .42 (XML)" "$TMP/x1.asn" "OBJECT            :1.2.840.113549.1.9.16.1.42"
check_contains "holding onboarding information" "$TMP/x1.der" "<download-uri>https://files.example.net/image.img</download-uri>"
check_not_contains "without os-name" "$TMP/x1.der" "os-name"
check_not_contains "without os-version" "$TMP/x1.der" "os-version"
check_eq "XML <nonce/> on the strict profile: 400" "$(xml SN-STRICT pw-strict "$TMP/x2")" 400
check_contains "with the YANG error" "$TMP/x2" "get-bootstrapping-data/nonce: Unsatisfied length"

# ---- signed, and what `sztpctl dns` publishes: the same document ----------------------------
curl -s -o "$TMP/d1" --cacert "$PKI/owner/ca.pem" --cert "$PKI/devices/SN-DNS/chain.pem" \
	--key "$PKI/devices/SN-DNS/idevid.key" -H 'Content-Type: application/yang-data+json' \
	-d '{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null]}}' "$GBD"
check_eq "signed answer on the omit-os-fields profile carries the owner certificate" \
	"$(jq -c '.["ietf-sztp-bootstrap-server:output"] | keys' "$TMP/d1")" \
	'["conveyed-information","owner-certificate","ownership-voucher"]'
jq -r '.["ietf-sztp-bootstrap-server:output"]["conveyed-information"]' "$TMP/d1" | base64 -d >"$TMP/d1.der"
check "its signed conveyed information verifies (openssl cms)" openssl cms -verify -inform DER \
	-in "$TMP/d1.der" -binary -certfile "$PKI/owner/chain.pem" -CAfile "$PKI/owner/ca.pem" -purpose any -out "$TMP/d1.json"
check_eq "signed: boot-image without os-name and os-version" \
	"$(jq -c '.["ietf-sztp-conveyed-info:onboarding-information"]["boot-image"] | keys' "$TMP/d1.json")" \
	'["download-uri","image-verification"]'
check "sztpctl dns" sh -c "'$BIN/sztpctl' -d '$DB' dns sztp.test --server https://b.sztp.test --json >'$TMP/dns.json' 2>/dev/null"
jq -r '.records[] | select(.serial == "SN-DNS" and .key == "ci") | .data' "$TMP/dns.json" | base64 -d >"$TMP/dns-ci.der"
check "DNS: its ci verifies (openssl cms)" openssl cms -verify -inform DER -in "$TMP/dns-ci.der" \
	-binary -certfile "$PKI/owner/chain.pem" -CAfile "$PKI/owner/ca.pem" -purpose any -out "$TMP/dns-ci.json"
check "DNS publishes the document sztpd serves" cmp "$TMP/d1.json" "$TMP/dns-ci.json"

# ---- the list changed on a running sztpd -----------------------------------------------------
check "opi made strict (--strict)" onb opi --strict
check_eq "the agent's request is refused at once" "$(opi SN-OPI pw-opi "$TMP/t1" "$OPI")" 400
check_eq "with the strict error" "$(cat "$TMP/t1")" "$YERR"
check_eq "a strict client gets os-name again" "$(opi SN-OPI pw-opi "$TMP/t2" "$STRICT_IN")" 200
check "the strict profile's answer" cmp "$TMP/c1" "$TMP/t2"
check "opi lenient again" onb opi --lenient empty-nonce,omit-os-fields
check_eq "the agent is served again" "$(opi SN-OPI pw-opi "$TMP/t3" "$OPI")" 200
check "the same answer as the first" cmp "$TMP/o1" "$TMP/t3"
check "a profile re-defined without --lenient keeps its list" onb opi
check_eq "so the agent is still served" "$(opi SN-OPI pw-opi "$TMP/t4" "$OPI")" 200

# ---- unknown and no-profile devices: today's answers ---------------------------------------
check_eq "unknown serial with the agent's body: 401" "$(opi SN-NOBODY pw "$TMP/u1" "$OPI")" 401
check_contains "the one authentication error" "$TMP/u1" '"error-tag":"access-denied","error-message":"authentication failed"'
check_eq "no-profile device with the agent's body: 400" "$(opi SN-NP pw-np "$TMP/np1" "$OPI")" 400
check_eq "the strict YANG error first, as before" "$(cat "$TMP/np1")" "$YERR"
check_eq "no-profile device with a good body: 404" "$(opi SN-NP pw-np "$TMP/np2" "$STRICT_IN")" 404
check_contains "no bootstrapping data" "$TMP/np2" "no bootstrapping data is configured for this device"

# ---- metric -----------------------------------------------------------------------------------
APORT=$(free_port)
while [ "$APORT" = "$PORT" ]; do APORT=$(free_port); done
check "a read token" ctl_token "$DB" scraper read "$TMP/token"
# /metrics lives on the admin listener: a second sztpd on the same registry is not
# what operators run, so ask this one after a restart with admin-port set
check "sztpd stops cleanly" stop_clean "$SZTPD"
sztpd_conf "threads = 2" "password-cost = 1000" "admin-port = $APORT" >"$TMP/sztpd2.conf"
start_sztpd "$TMP/sztpd2.conf" "$TMP/sztpd2.log"
SZTPD=$E2E_LAST_PID
check_eq "after the restart, the agent again: 200" "$(opi SN-OPI pw-opi "$TMP/m1" "$OPI")" 200
check_eq "and a strict client on opi: 200" "$(opi SN-OPI pw-opi "$TMP/m2" "$STRICT_IN")" 200
check_eq "and a strict client on nonce: 200" "$(opi SN-NONCE pw-nonce "$TMP/m3" "$STRICT_IN")" 200
curl -sk -H "Authorization: Bearer $(cat "$TMP/token")" -o "$TMP/metrics" "https://127.0.0.1:$APORT/metrics"
check_contains "sztpd_lenient_applied_total{lenient=\"empty-nonce\"}" "$TMP/metrics" 'sztpd_lenient_applied_total{lenient="empty-nonce"} 1'
check_contains "sztpd_lenient_applied_total{lenient=\"omit-os-fields\"}" "$TMP/metrics" 'sztpd_lenient_applied_total{lenient="omit-os-fields"} 2'

# ---- report-progress as the agent sends it (no leniency needed: see docs) --------------------
rp() {
	curl -s -o "$TMP/rp.out" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
		--cert "$PKI/devices/SN-OPI/chain.pem" --key "$PKI/devices/SN-OPI/idevid.key" \
		-u SN-OPI:pw-opi -H 'Content-Type: application/yang-data+json' -H 'Accept:' -d "$1" "$RP"
}
check_eq "report-progress (progress-type, message): 204" \
	"$(rp '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated","message":"message sent via JSON"}}')" 204
check_eq "bootstrap-complete with its ssh-host-keys and trust-anchor-certs: 204" \
	"$(rp '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-complete","message":"message sent via JSON","ssh-host-keys":{"ssh-host-key":[{"algorithm":"ssh-rsa","key-data":"bXlzc2hwYXNz"}]},"trust-anchor-certs":{"trust-anchor-cert":["bXlzc2hwYXNz"]}}}')" 204
check_not_contains "no password in the log" "$TMP/sztpd.log" "pw-opi"
check "sztpd stops cleanly (2)" stop_clean "$SZTPD"
e2e_finish
