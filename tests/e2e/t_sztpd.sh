#!/bin/bash
# End-to-end: the real sztpd, driven by the real curl, every CMS artifact
# checked with OpenSSL (an independent CMS implementation).  Covers signed
# and unsigned onboarding, signed redirect, JSON and XML, HTTP Basic,
# report-progress, and each rejection with its exact status and error
# body, checking after each that the server keeps serving.
. "$(dirname "$0")/lib.sh"
e2e_init t_sztpd

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }

# ---- PKI, registry ------------------------------------------------------
"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 --serial SN-2 --serial SN-3 --serial SN-4 >/dev/null ||
	{ echo "sztp-pki init failed"; exit 1; }
"$BIN/sztp-pki" device --pki "$PKI" --serial SN-UNKNOWN --no-voucher >/dev/null
"$BIN/sztp-pki" device --pki "$PKI" --serial SN-EXP --no-voucher \
	--not-before 2020-01-01T00:00:00Z --not-after 2020-01-02T00:00:00Z >/dev/null
"$BIN/sztp-pki" device --pki "$PKI" --serial SN-NOATTR --no-serial-attr --no-voucher >/dev/null
"$BIN/sztp-pki" ca --out "$TMP/evil" --name "Evil CA" >/dev/null
"$BIN/sztp-pki" leaf --ca "$TMP/evil" --out "$TMP/evil/dev" --serial SN-1 --client >/dev/null

printf 'demo boot image\n' >"$TMP/image.img"
printf 'hostname demo\n' >"$TMP/config.txt"
printf '#!/bin/sh\necho pre\n' >"$TMP/pre.sh"
PORT=$(free_port)
check "sztpctl init" CTL init
check "owner set" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"
check "profile onboarding" CTL profile onboarding onb --image-name demo-os --image-version 2.0 \
	--image-file "$TMP/image.img" --image-uri https://files.example.net/image.img \
	--config "$TMP/config.txt" --config-handling merge --pre-script "$TMP/pre.sh" \
	--reporting verbose
check "profile redirect" CTL profile redirect redir --server "localhost:$PORT,$PKI/owner/ca.pem"
check "profile never-sign" CTL profile onboarding nosign --config "$TMP/config.txt" \
	--config-handling replace --sign never
check "enrol SN-1" CTL device add SN-1 --profile onb --voucher "$PKI/devices/SN-1/voucher.vcj"
check "enrol SN-2" CTL device add SN-2 --profile redir --voucher "$PKI/devices/SN-2/voucher.vcj"
check "enrol SN-3" CTL device add SN-3
check "enrol SN-PW" CTL device add SN-PW --profile onb --password 'pw-Secret-1'
check "enrol SN-NS" CTL device add SN-NS --profile nosign --password 'pw-ns'
check "enrol SN-EXP" CTL device add SN-EXP --profile onb
# an expired voucher, planted behind sztpctl's back (sztpctl refuses it)
check "enrol SN-4" CTL device add SN-4 --profile onb
"$BIN/sztp-pki" voucher --pki "$PKI" --serial SN-4 --out "$TMP/expired.vcj" \
	--created-on 2020-01-01T00:00:00Z --expires-on 2020-06-01T00:00:00Z >/dev/null
check "plant expired voucher" db_q "update devices set voucher=$(db_blob "$TMP/expired.vcj") where serial='SN-4'"

cat >"$TMP/sztpd.conf" <<CONF
listen-address = ::
port = $PORT
tls-cert = $PKI/server/chain.pem
tls-key = $PKI/server/key.pem
client-ca = $PKI/manufacturer/root.pem
database = $DB
yang-dir = $TOP/yang
threads = 2
max-body = 65536
log-level = info
allow-root = yes
CONF

# ---- sztpd -n ---------------------------------------------------------------
check "sztpd -n accepts a good config" "$BIN/sztpd" -n -c "$TMP/sztpd.conf"
# a check creates nothing: a registry that does not exist yet stays absent
sed "s|^database = .*|database = $TMP/not-yet.db|" "$TMP/sztpd.conf" >"$TMP/new.conf"
check "sztpd -n with a registry not created yet" "$BIN/sztpd" -n -c "$TMP/new.conf"
check_contains "sztpd -n says it will create it" "$TMP/.check.out" "not-yet.db does not exist yet"
check "sztpd -n created no file" test ! -e "$TMP/not-yet.db"
sed "s|^database = .*|database = $TMP/no-such-dir/x.db|" "$TMP/sztpd.conf" >"$TMP/nodir.conf"
"$BIN/sztpd" -n -c "$TMP/nodir.conf" >"$TMP/nodir.out" 2>&1
check_eq "sztpd -n: registry in a missing directory fails" "$?" 1
check_contains "the message names the directory" "$TMP/nodir.out" "directory $TMP/no-such-dir does not exist"
sed 's/^threads = 2/threads = 2\nthreds = 4/' "$TMP/sztpd.conf" >"$TMP/bad.conf"
"$BIN/sztpd" -n -c "$TMP/bad.conf" >"$TMP/bad.out" 2>&1
check_eq "sztpd -n rejects unknown key" "$?" 1
check_contains "error names file and line" "$TMP/bad.out" "bad.conf:9: unknown key 'threds'"
cp "$TMP/sztpd.conf" "$TMP/perm.conf"
cp "$PKI/server/key.pem" "$TMP/loose.key" && chmod 644 "$TMP/loose.key"
sed -i "s|^tls-key = .*|tls-key = $TMP/loose.key|" "$TMP/perm.conf"
"$BIN/sztpd" -n -c "$TMP/perm.conf" >"$TMP/perm.out" 2>&1
check_eq "sztpd -n refuses a world-readable key" "$?" 1
check_contains "key permission message" "$TMP/perm.out" "loose.key"

# threads = 0: one worker per core this process may use (its CPU affinity).
# taskset is util-linux, essential on Debian: without it this fails, it
# does not skip.  Pinned to the first CPU we may use (not always CPU 0).
if ! command -v taskset >/dev/null; then
	fail "threads = 0 under taskset: taskset missing (util-linux); not tested"
else
	CPU=$(taskset -pc $$ | sed 's/.*: *//; s/[^0-9].*//')
	P0=$(free_port)
	sed "s/^threads = 2/threads = 0/; s/^port = .*/port = $P0/" "$TMP/sztpd.conf" >"$TMP/t0.conf"
	e2e_bg "$TMP/t0.log" taskset -c "$CPU" "$BIN/sztpd" -c "$TMP/t0.conf"
	T0PID=$E2E_LAST_PID
	wait_https "$P0"
	check_contains "threads = 0 under taskset -c $CPU: one worker" "$TMP/t0.log" ", 1 threads"
	check "that sztpd stops with status 0" stop_clean "$T0PID"
fi

e2e_bg "$TMP/sztpd.log" "$BIN/sztpd" -c "$TMP/sztpd.conf"
SZTPD=$E2E_LAST_PID
wait_https "$PORT" || { cat "$TMP/sztpd.log"; echo "sztpd did not start"; exit 1; }

BASE=https://localhost:$PORT
GBD=$BASE/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data
RP=$BASE/restconf/operations/ietf-sztp-bootstrap-server:report-progress
JSON='Content-Type: application/yang-data+json'
XMLT='Content-Type: application/yang-data+xml'
DEV() { echo "--cert $PKI/devices/$1/chain.pem --key $PKI/devices/$1/idevid.key"; }
SDP='{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null]}}'

# rpc OUT CURL-ARGS...: sets STATUS; body in OUT, headers in OUT.h
rpc() {
	local out=$1
	shift
	STATUS=$(curl -s -o "$out" -D "$out.h" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" "$@")
}
alive() {
	rpc "$TMP/alive" "$BASE/.well-known/host-meta"
	[ "$STATUS" = 200 ] && kill -0 "$SZTPD"
}
# expect_error NAME STATUS TAG MESSAGE-FRAGMENT CURL-ARGS...
expect_error() {
	local name=$1 st=$2 tag=$3 msg=$4
	shift 4
	rpc "$TMP/err" "$@"
	check_eq "$name: status" "$STATUS" "$st"
	check_eq "$name: error-tag" "$(jq -r '."ietf-restconf:errors".error[0]."error-tag"' "$TMP/err" 2>/dev/null)" "$tag"
	check_contains "$name: message" "$TMP/err" "$msg"
	check_contains "$name: yang-data+json" "$TMP/err.h" "application/yang-data+json"
	check "$name: server still serving" alive
}

# ---- discovery --------------------------------------------------------------
rpc "$TMP/hm" "$BASE/.well-known/host-meta"
check_eq "host-meta status" "$STATUS" 200
check_contains "host-meta restconf link" "$TMP/hm" "<Link rel='restconf' href='/restconf'/>"
rpc "$TMP/root" -H 'Accept: application/yang-data+json' "$BASE/restconf"
check_eq "root status" "$STATUS" 200
check_eq "root yang-library-version" "$(jq -r '."ietf-restconf:restconf"."yang-library-version"' "$TMP/root")" 2016-06-21
rpc "$TMP/ylv" -H 'Accept: application/yang-data+xml' "$BASE/restconf/yang-library-version"
check_contains "yang-library-version xml" "$TMP/ylv" "<yang-library-version xmlns=\"urn:ietf:params:xml:ns:yang:ietf-restconf\">2016-06-21"

# ---- signed onboarding (TLS 1.3) ---------------------------------------------
rpc "$TMP/s1" $(DEV SN-1) -H "$JSON" -d "$SDP" --tlsv1.3 "$GBD"
check_eq "signed onboarding: status" "$STATUS" 200
check_contains "signed onboarding: yang-data+json" "$TMP/s1.h" "application/yang-data+json"
check_contains "Cache-Control no-cache" "$TMP/s1.h" "Cache-Control: no-cache"
O='."ietf-sztp-bootstrap-server:output"'
check_eq "reporting-level verbose" "$(jq -r "$O.\"reporting-level\"" "$TMP/s1")" verbose
for a in conveyed-information owner-certificate ownership-voucher; do
	jq -r "$O.\"$a\"" "$TMP/s1" | base64 -d >"$TMP/$a.der"
	check "$a is base64 DER" test -s "$TMP/$a.der"
done
# voucher exactly as supplied, verified against the manufacturer root
check "voucher is the enrolled file" cmp "$TMP/ownership-voucher.der" "$PKI/devices/SN-1/voucher.vcj"
check "openssl: voucher verifies against manufacturer root" \
	openssl cms -verify -inform DER -in "$TMP/ownership-voucher.der" -binary \
	-CAfile "$PKI/manufacturer/root.pem" -purpose any -out "$TMP/voucher.json"
check_eq "voucher serial" "$(jq -r '."ietf-voucher:voucher"."serial-number"' "$TMP/voucher.json")" SN-1
jq -r '."ietf-voucher:voucher"."pinned-domain-cert"' "$TMP/voucher.json" | base64 -d |
	openssl x509 -inform DER -out "$TMP/pinned.pem"
# owner certificate chain verifies against the pinned-domain-cert
openssl pkcs7 -inform DER -in "$TMP/owner-certificate.der" -print_certs -out "$TMP/oc.pem"
check "openssl: owner-certificate is certs-only CMS" test -s "$TMP/oc.pem"
openssl x509 -in "$TMP/oc.pem" -out "$TMP/oc-leaf.pem"
check "openssl: owner certificate chains to pinned-domain-cert" \
	openssl verify -CAfile "$TMP/pinned.pem" -untrusted "$TMP/oc.pem" "$TMP/oc-leaf.pem"
# conveyed information signed by the owner
check "openssl: conveyed information verifies against owner cert" \
	openssl cms -verify -inform DER -in "$TMP/conveyed-information.der" -binary \
	-certfile "$TMP/oc.pem" -CAfile "$TMP/pinned.pem" -purpose any -out "$TMP/ci.json"
openssl cms -cmsout -print -inform DER -in "$TMP/conveyed-information.der" >"$TMP/ci.print"
check_contains "ci: eContentType .43" "$TMP/ci.print" "eContentType: undefined (1.2.840.113549.1.9.16.1.43)"
check_contains "ci: SignedData v3" "$TMP/ci.print" "version: 3"
check_contains "ci: content-type attribute" "$TMP/ci.print" "contentType"
check_contains "ci: signing-time attribute" "$TMP/ci.print" "signingTime"
check_contains "ci: message-digest attribute" "$TMP/ci.print" "messageDigest"
openssl cms -cmsout -print -inform DER -in "$TMP/ownership-voucher.der" >"$TMP/ov.print"
check_contains "voucher: eContentType .40" "$TMP/ov.print" "eContentType: undefined (1.2.840.113549.1.9.16.1.40)"
check_eq "ci: onboarding os-name" "$(jq -r '."ietf-sztp-conveyed-info:onboarding-information"."boot-image"."os-name"' "$TMP/ci.json")" demo-os
want_hash=$(sha256sum "$TMP/image.img" | cut -c1-64 | sed 's/../&:/g; s/:$//')
check_eq "ci: image hash is colon hex-string" \
	"$(jq -r '."ietf-sztp-conveyed-info:onboarding-information"."boot-image"."image-verification"[0]."hash-value"' "$TMP/ci.json")" "$want_hash"
check_eq "ci: configuration is the file" \
	"$(jq -r '."ietf-sztp-conveyed-info:onboarding-information".configuration' "$TMP/ci.json" | base64 -d)" "hostname demo"
check "ci JSON validates against ietf-sztp-conveyed-info" \
	"$BIN/sztpctl" validate conveyed-information "$TMP/ci.json"
check "openssl rejects ci against another anchor" \
	sh -c "! openssl cms -verify -inform DER -in '$TMP/conveyed-information.der' -binary -certfile '$TMP/oc.pem' -CAfile '$PKI/manufacturer/root.pem' -purpose any -out /dev/null"

# ---- same device, TLS 1.2, no signed-data-preferred: unsigned ContentInfo ---
rpc "$TMP/u1" $(DEV SN-1) -H "$JSON" -d '{"ietf-sztp-bootstrap-server:input":{"hw-model":"m1","os-name":"x","os-version":"1"}}' --tlsv1.2 --tls-max 1.2 "$GBD"
check_eq "unsigned onboarding (TLS 1.2): status" "$STATUS" 200
check_eq "unsigned: no owner-certificate" "$(jq -r "$O | has(\"owner-certificate\")" "$TMP/u1")" false
jq -r "$O.\"conveyed-information\"" "$TMP/u1" | base64 -d >"$TMP/u1.der"
openssl asn1parse -inform DER -in "$TMP/u1.der" >"$TMP/u1.asn"
check_contains "unsigned: ContentInfo with OID .43" "$TMP/u1.asn" "OBJECT            :1.2.840.113549.1.9.16.1.43"
check_contains "unsigned: OCTET STRING content" "$TMP/u1.asn" "OCTET STRING"
check "openssl cms parses the ContentInfo" openssl cms -cmsout -print -inform DER -in "$TMP/u1.der"

# ---- XML ----------------------------------------------------------------------
rpc "$TMP/x1" $(DEV SN-1) -H "$XMLT" -H 'Accept: application/yang-data+xml' \
	-d '<input xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"><signed-data-preferred/></input>' "$GBD"
check_eq "xml signed: status" "$STATUS" 200
check_contains "xml: output element" "$TMP/x1" '<output xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server">'
sed -n 's:.*<conveyed-information>\([^<]*\)</conveyed-information>.*:\1:p' "$TMP/x1" | base64 -d >"$TMP/x1.der"
openssl cms -cmsout -print -inform DER -in "$TMP/x1.der" >"$TMP/x1.print"
check_contains "xml: eContentType .42" "$TMP/x1.print" "eContentType: undefined (1.2.840.113549.1.9.16.1.42)"
check "openssl: xml conveyed information verifies" \
	openssl cms -verify -inform DER -in "$TMP/x1.der" -binary -certfile "$TMP/oc.pem" \
	-CAfile "$TMP/pinned.pem" -purpose any -out "$TMP/x1.xml"
check_contains "xml: onboarding-information document" "$TMP/x1.xml" "<onboarding-information xmlns=\"urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info\">"

# ---- signed redirect with a trust anchor ----------------------------------
rpc "$TMP/r1" $(DEV SN-2) -H "$JSON" -d "$SDP" "$GBD"
check_eq "signed redirect: status" "$STATUS" 200
jq -r "$O.\"conveyed-information\"" "$TMP/r1" | base64 -d >"$TMP/r1.der"
check "openssl: redirect verifies" openssl cms -verify -inform DER -in "$TMP/r1.der" -binary \
	-certfile "$TMP/oc.pem" -CAfile "$TMP/pinned.pem" -purpose any -out "$TMP/r1.json"
R='."ietf-sztp-conveyed-info:redirect-information"."bootstrap-server"[0]'
check_eq "redirect address" "$(jq -r "$R.address" "$TMP/r1.json")" localhost
check_eq "redirect port" "$(jq -r "$R.port" "$TMP/r1.json")" "$PORT"
jq -r "$R.\"trust-anchor\"" "$TMP/r1.json" | base64 -d >"$TMP/ta.der"
openssl pkcs7 -inform DER -in "$TMP/ta.der" -print_certs -out "$TMP/ta.pem"
check "redirect trust anchor is the owner CA" cmp <(openssl x509 -in "$TMP/ta.pem" -outform DER) <(openssl x509 -in "$PKI/owner/ca.pem" -outform DER)
check "redirect JSON validates" "$BIN/sztpctl" validate conveyed-information "$TMP/r1.json"

# ---- HTTP Basic ---------------------------------------------------------------
rpc "$TMP/b1" -u 'SN-PW:pw-Secret-1' -H "$JSON" -d '{"ietf-sztp-bootstrap-server:input":{}}' "$GBD"
check_eq "basic auth: unsigned onboarding" "$STATUS" 200
expect_error "basic, signed requested, no voucher" 404 data-missing "no ownership voucher" \
	-u 'SN-PW:pw-Secret-1' -H "$JSON" -d "$SDP" "$GBD"
expect_error "profile never signs, signed requested" 404 data-missing "never signs" \
	-u 'SN-NS:pw-ns' -H "$JSON" -d "$SDP" "$GBD"
expect_error "expired voucher is never served" 404 data-missing "voucher cannot be used (expired" \
	$(DEV SN-4) -H "$JSON" -d "$SDP" "$GBD"
check "attach a valid voucher to SN-4" CTL voucher attach SN-4 "$PKI/devices/SN-4/voucher.vcj"
rpc "$TMP/v4" $(DEV SN-4) -H "$JSON" -d "$SDP" "$GBD"
check_eq "a newly attached voucher is served at once" "$STATUS" 200
check "served voucher is the new one" cmp <(jq -r "$O.\"ownership-voucher\"" "$TMP/v4" | base64 -d) "$PKI/devices/SN-4/voucher.vcj"
# sztpctl stored the voucher's window; sztpd trusts it instead of parsing
want_exp=$(date -u -d "$(jq -r '."ietf-voucher:voucher"."expires-on"' "$TMP/voucher.json")" +%s)
check_eq "stored voucher_expires is the voucher's expires-on" \
	"$(db_q "select voucher_expires from devices where serial='SN-1'")" "$want_exp"
check "mark SN-4's stored window as past" db_q "update devices set voucher_expires=1000 where serial='SN-4'"
expect_error "sztpd uses the stored voucher window" 404 data-missing "voucher cannot be used (expired" \
	$(DEV SN-4) -H "$JSON" -d "$SDP" "$GBD"
check "restore SN-4's voucher" CTL voucher attach SN-4 "$PKI/devices/SN-4/voucher.vcj"
expect_error "no profile" 404 data-missing "no bootstrapping data is configured" \
	$(DEV SN-3) -H "$JSON" -d "$SDP" "$GBD"

# ---- report-progress ----------------------------------------------------------
rpc "$TMP/p1" $(DEV SN-1) -H "$JSON" -d '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated","message":"starting"}}' "$RP"
check_eq "report-progress: 204" "$STATUS" 204
check_eq "report-progress: empty body" "$(wc -c <"$TMP/p1")" 0
TA=$(base64 -w0 "$TMP/owner-certificate.der")
rpc "$TMP/p2" $(DEV SN-1) -H "$JSON" -d "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":\"bootstrap-complete\",\"ssh-host-keys\":{\"ssh-host-key\":[{\"algorithm\":\"ssh-ed25519\",\"key-data\":\"AAAAC3NzaC1lZDI1NTE5AAAAIB1Ll/Dr4jV0j8r2/qrJaDCTFcCVAM0Dkwl3eCpHFRSD\"}]},\"trust-anchor-certs\":{\"trust-anchor-cert\":[\"$TA\"]}}}" "$RP"
check_eq "report-progress complete with keys: 204" "$STATUS" 204
rpc "$TMP/p3" $(DEV SN-1) -H "$XMLT" -d '<input xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"><progress-type>informational</progress-type></input>' "$RP"
check_eq "report-progress xml: 204" "$STATUS" 204
CTL progress SN-1 >"$TMP/prog.txt" 2>&1
check_contains "progress stored: initiated" "$TMP/prog.txt" "bootstrap-initiated"
check_contains "progress stored: message" "$TMP/prog.txt" "starting"
check_contains "progress stored: complete" "$TMP/prog.txt" "bootstrap-complete"
check_eq "stored ssh key" "$(db_q "select count(*) from progress where serial='SN-1' and ssh_host_keys like '%ssh-ed25519%'")" 1
CTL device show SN-1 >"$TMP/show.txt" 2>&1
check_contains "device state is the last progress type" "$TMP/show.txt" "informational"

# ---- authentication failures ------------------------------------------------
# Every failure gets the one 401 body (RFC 8572 s9.6: no existence
# oracle, nothing to learn about the chain); the precise reason goes to
# sztpd's log only.
expect_error "unknown serial (Basic)" 401 access-denied "authentication failed" \
	-u 'SN-NOBODY:pw-Secret-1' -H "$JSON" -d "$SDP" "$GBD"
cp "$TMP/err" "$TMP/err-401"
# expect_401 NAME LOGGED-REASON CURL-ARGS...
expect_401() {
	local name=$1 why=$2 before
	shift 2
	before=$(grep -c -F -- "$why" "$TMP/sztpd.log")
	expect_error "$name" 401 access-denied "authentication failed" "$@"
	check "$name: the same body as every 401" cmp "$TMP/err" "$TMP/err-401"
	check_contains "$name: WWW-Authenticate" "$TMP/err.h" "WWW-Authenticate: Basic"
	check "$name: the reason is logged" \
		test "$(grep -c -F -- "$why" "$TMP/sztpd.log")" -gt "$before"
}
expect_401 "no client certificate" "no client certificate or HTTP credentials" \
	-H "$JSON" -d "$SDP" "$GBD"
expect_401 "certificate from another CA" "client certificate rejected" \
	--cert "$TMP/evil/dev.pem" --key "$TMP/evil/dev.key" -H "$JSON" -d "$SDP" "$GBD"
expect_401 "expired IDevID" "expired" $(DEV SN-EXP) -H "$JSON" -d "$SDP" "$GBD"
expect_401 "IDevID without serialNumber" "no serialNumber" \
	$(DEV SN-NOATTR) -H "$JSON" -d "$SDP" "$GBD"
expect_401 "leaf without its intermediate" "issuer" \
	--cert "$PKI/devices/SN-1/idevid.pem" --key "$PKI/devices/SN-1/idevid.key" -H "$JSON" -d "$SDP" "$GBD"
expect_401 "cert and Basic name different serials" "different serial numbers" \
	$(DEV SN-1) -u 'SN-PW:pw-Secret-1' -H "$JSON" -d "$SDP" "$GBD"
expect_401 "wrong password" "wrong or unset password" \
	-u 'SN-PW:wrong' -H "$JSON" -d "$SDP" "$GBD"
expect_401 "valid IDevID, serial not enrolled" "serial SN-UNKNOWN: serial is not enrolled" \
	$(DEV SN-UNKNOWN) -H "$JSON" -d "$SDP" "$GBD"
expect_401 "report-progress unauthenticated" "no client certificate" \
	-H "$JSON" -d '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated"}}' "$RP"
expect_401 "report-progress: wrong password" "wrong or unset password" \
	-u 'SN-PW:wrong' -H "$JSON" -d '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated"}}' "$RP"
expect_401 "report-progress: unknown serial (Basic)" "serial SN-NOBODY: serial is not enrolled" \
	-u 'SN-NOBODY:pw-Secret-1' -H "$JSON" -d '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated"}}' "$RP"
expect_401 "report-progress: valid IDevID, serial not enrolled" "serial SN-UNKNOWN: serial is not enrolled" \
	$(DEV SN-UNKNOWN) -H "$JSON" -d '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated"}}' "$RP"
rpc "$TMP/rp-pw" -u 'SN-PW:pw-Secret-1' -H "$JSON" -d '{"ietf-sztp-bootstrap-server:input":{"progress-type":"informational","message":"by-password"}}' "$RP"
check_eq "report-progress with the right password: 204" "$STATUS" 204
check_eq "report-progress with the right password: stored" \
	"$(db_q "select count(*) from progress where serial='SN-PW' and message='by-password'")" 1

# ---- malformed input ------------------------------------------------------------
expect_error "malformed JSON" 400 malformed-message "" $(DEV SN-1) -H "$JSON" -d '{"ietf-sztp-bootstrap-server:input":{' "$GBD"
printf '<input xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server"><os-name>\xc3\x28</os-name></input>' >"$TMP/bad-utf8.xml"
expect_error "XML that is not UTF-8 (400, not 500)" 400 malformed-message "UTF-8" $(DEV SN-1) -H "$XMLT" -H "Accept: application/yang-data+json" \
	--data-binary @"$TMP/bad-utf8.xml" "$GBD"
expect_error "missing input wrapper" 400 malformed-message "ietf-sztp-bootstrap-server:input" \
	$(DEV SN-1) -H "$JSON" -d '{"signed-data-preferred":[null]}' "$GBD"
expect_error "unknown leaf" 400 unknown-element "colour" $(DEV SN-1) -H "$JSON" \
	-d '{"ietf-sztp-bootstrap-server:input":{"colour":"blue"}}' "$GBD"
expect_error "nonce of 15 bytes" 400 invalid-value "nonce" $(DEV SN-1) -H "$JSON" \
	-d "{\"ietf-sztp-bootstrap-server:input\":{\"nonce\":\"$(head -c 15 /dev/zero | base64)\"}}" "$GBD"
rpc "$TMP/n16" $(DEV SN-1) -H "$JSON" -d "{\"ietf-sztp-bootstrap-server:input\":{\"nonce\":\"$(head -c 16 /dev/zero | base64)\"}}" "$GBD"
check_eq "nonce of 16 bytes accepted" "$STATUS" 200
head -c 70000 /dev/zero | tr '\0' ' ' >"$TMP/big.json"
expect_error "oversized body, sent whole" 413 too-big "larger than the 65536 bytes" $(DEV SN-1) -H "$JSON" \
	-H 'Expect:' --data-binary @"$TMP/big.json" "$GBD"
expect_error "oversized body, Expect: 100-continue" 413 too-big "larger than the 65536 bytes" \
	$(DEV SN-1) -H "$JSON" -H 'Expect: 100-continue' --data-binary @"$TMP/big.json" "$GBD"
expect_error "oversized chunked body" 413 too-big "larger than the 65536 bytes" $(DEV SN-1) -H "$JSON" \
	-H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big.json" "$GBD"
expect_error "wrong method" 405 operation-not-supported "POST" $(DEV SN-1) "$GBD"
check_contains "405 has Allow: POST" "$TMP/err.h" "Allow: POST"
expect_error "unsupported Content-Type" 415 invalid-value "Content-Type" $(DEV SN-1) \
	-H 'Content-Type: text/plain' -d "$SDP" "$GBD"
expect_error "unacceptable Accept" 406 invalid-value "Accept" $(DEV SN-1) -H "$JSON" \
	-H 'Accept: text/html' -d "$SDP" "$GBD"
expect_error "unknown RPC" 404 invalid-value "unknown operation" $(DEV SN-1) -H "$JSON" -d "$SDP" \
	"$BASE/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-datum"
expect_error "report-progress: when violation" 400 invalid-value "ssh-host-keys" $(DEV SN-1) -H "$JSON" \
	-d '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated","ssh-host-keys":{"ssh-host-key":[{"algorithm":"ssh-ed25519","key-data":"AAAA"}]}}}' "$RP"
expect_error "report-progress: bad type" 400 invalid-value "progress-type" $(DEV SN-1) -H "$JSON" \
	-d '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-finished"}}' "$RP"
expect_error "report-progress: empty body" 400 missing-element "progress-type" $(DEV SN-1) -H "$JSON" -X POST "$RP"

# ---- a server-side failure: detail in the log, not in the reply -----------------
cp "$PKI/owner/signer.key" "$TMP/owner2.key" && chmod 600 "$TMP/owner2.key"
check "owner set with a second key file" CTL owner set --chain "$PKI/owner/chain.pem" --key "$TMP/owner2.key"
chmod 644 "$TMP/owner2.key"
expect_error "owner key readable by others: 500" 500 operation-failed "could not prepare the data" \
	$(DEV SN-1) -H "$JSON" -d "$SDP" "$GBD"
check_not_contains "500 reply does not name the key file" "$TMP/err" "owner2.key"
check_contains "the log names the key file" "$TMP/sztpd.log" "owner2.key has mode 0644"
check "restore the owner identity" CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key"

# ---- after all that -------------------------------------------------------------
rpc "$TMP/s2" $(DEV SN-1) -H "$JSON" -d "$SDP" "$GBD"
check_eq "still bootstraps after the errors" "$STATUS" 200
check_contains "audit line" "$TMP/sztpd.log" "audit serial=SN-1 "
check_contains "audit line of report-progress names the type" "$TMP/sztpd.log" \
	"endpoint=report-progress result=bootstrap-complete status=204"
check_contains "audit has status and duration" "$TMP/sztpd.log" "status=200 duration_us="
check_not_contains "no private key in the log" "$TMP/sztpd.log" "PRIVATE KEY"
check_not_contains "no password in the log" "$TMP/sztpd.log" "pw-Secret-1"
CTL log SN-1 >"$TMP/blog.txt" 2>&1
check_contains "bootstrapping log records requests" "$TMP/blog.txt" "get-bootstrapping-data"
check_eq "stored progress reports are not duplicated in the log" \
	"$(db_q "select count(*) from bootstrap_log where endpoint='report-progress' and status=204")" 0
check_eventually "failed report-progress calls are in the log" 7 \
	db_q "select count(*) from bootstrap_log where endpoint='report-progress' and status<>204"
# ---- retention ---------------------------------------------------------------
# rows 60 days old: older than prune's 30 days, younger than sztpd's own
# log-retention-days (90), which would otherwise race prune for them
old=$(($(date +%s) - 60 * 86400))
db_q "insert into bootstrap_log(serial,time,peer,endpoint,result,status,duration_us) values('SN-1',$old,'192.0.2.1','get-bootstrapping-data','signed',200,1)" \
	"insert into progress(serial,time,peer,type) values('SN-1',$old,'192.0.2.1','bootstrap-initiated')"
recent_log=$(db_q "select count(*) from bootstrap_log where time > $old")
recent_prog=$(db_q "select count(*) from progress where time > $old")
check_fails "prune without --older-than fails" CTL prune
check "prune --older-than 30" CTL prune --older-than 30
check_contains "prune reports what it removed" "$TMP/.check.out" "pruned 1 log rows and 1 progress reports"
check_eq "old log row gone, recent kept" "$(db_q "select count(*) from bootstrap_log")" "$recent_log"
check_eq "old progress row gone, recent kept" "$(db_q "select count(*) from progress")" "$recent_prog"
# ---- stopping while reports wait for their commit ------------------------------
# A 204 means the report is stored: each request is set aside until the
# journal commits it, and a stop answers (and stores) every one of them first.
before=$(db_q "select count(*) from progress where message like 'burst-%'")
for i in $(seq 1 40); do
	curl -s -o /dev/null -w '%{http_code}\n' --cacert "$PKI/owner/ca.pem" $(DEV SN-1) -H "$JSON" \
		-d "{\"ietf-sztp-bootstrap-server:input\":{\"progress-type\":\"informational\",\"message\":\"burst-$i\"}}" \
		"$RP" >"$TMP/burst.$i" 2>/dev/null &
	BURST+=($!)
done
sleep 0.2
check "sztpd stops on SIGTERM with status 0" stop_clean "$SZTPD"
wait "${BURST[@]}"
answered=0 lost=0
for i in $(seq 1 40); do
	grep -q '^204$' "$TMP/burst.$i" || continue
	answered=$((answered + 1))
	[ "$(db_q "select count(*) from progress where message = 'burst-$i'")" = 1 ] || lost=$((lost + 1))
done
echo "burst: answered $answered, stored $(($(db_q "select count(*) from progress where message like 'burst-%'") - before))" >&2
check "some burst reports were answered before the stop" test "$answered" -gt 0
check_eq "every 204 of the burst is a stored report" "$lost" 0
check "the stop answered the reports it stored" test "$answered" -ge \
	"$(($(db_q "select count(*) from progress where message like 'burst-%'") - before - 5))"
check_not_contains "no MHD panic on stop" "$TMP/sztpd.log" "suspended connections"
e2e_finish
