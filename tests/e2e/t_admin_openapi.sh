#!/bin/bash
# t_admin_openapi.sh - docs/openapi.json is the admin API, both ways:
#  (a) every (method, path) of admin/admin.c's routing table is in the
#      document with its scope and body kind, and nothing else is (the
#      table is read from the source by openapi_check.py's small parser,
#      which is shown to notice a row added or removed);
#  (b) a running sztpd's admin listener answers every documented route
#      with something other than the router's "no such route" 404 or its
#      405, an undocumented path with 404, and an undocumented method on a
#      documented path with 405 whose Allow lists exactly the document's
#      methods; every body it sends is valid against the document;
#  (c) GET /api/v1 serves the document itself, byte for byte;
#  and the document passes @redocly/cli's recommended ruleset with no
#  warning (installed from the npm registry into a cache outside the
#  tree; no npm, no registry: this fails, it does not skip).
# Prints "t_admin_openapi: N passed, N failed" last.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/admin_lib.sh"
e2e_init t_admin_openapi

DOC=$TOP/docs/openapi.json
CHK=$TOP/tests/e2e/openapi_check.py
REDOCLY_VERSION=1.34.20

# ---- the validator itself ---------------------------------------------------
python3 "$CHK" selftest "$DOC" >"$TMP/self.out" 2>&1
check_eq "openapi_check selftest" "$?" 0
check_contains "the selftest ran its cases" "$TMP/self.out" " 0 failed"
grep -q 'selftest FAIL' "$TMP/self.out" && sed 's/^/    | /' "$TMP/self.out" >&2

# ---- (a) the table and the document, both ways --------------------------------
python3 "$CHK" routes "$TOP/admin/admin.c" "$DOC" >"$TMP/routes.out" 2>&1
check_eq "admin.c's table and the document agree" "$?" 0
sed 's/^/    | /' "$TMP/routes.out" | grep -v ' 0 differences' >&2
NROUTES=$(grep -c '^[[:space:]]*{"[A-Z]*", "' "$TOP/admin/admin.c")
check_eq "the parser read every row of the table" \
	"$(sed -n 's/^\([0-9]*\) routes in the table.*/\1/p' "$TMP/routes.out")" "$NROUTES"
check_eq "the document has as many operations" \
	"$(python3 "$CHK" operations "$DOC" | wc -l)" "$NROUTES"

# the comparison notices each kind of drift: a copy of the tree's admin.c
# and admin.h with one row removed, one added; a document with one more
cp "$TOP/admin/admin.h" "$TMP/admin.h"
grep -v '{"DELETE", "/tokens/{name}"' "$TOP/admin/admin.c" >"$TMP/admin.c"
python3 "$CHK" routes "$TMP/admin.c" "$DOC" >"$TMP/drift1.out" 2>&1
check_eq "a route missing from the table is noticed" "$?" 1
check_contains "... and named" "$TMP/drift1.out" \
	"in the document, not in admin.c's table: DELETE /api/v1/tokens/{name}"
sed 's|^\(.*\){"GET", "/log", \(.*\)$|&\n    {"PUT", "/log", ADMIN_SCOPE_WRITE, ADMIN_BODY_JSON, admin_log_list},|' \
	"$TOP/admin/admin.c" >"$TMP/admin.c"
python3 "$CHK" routes "$TMP/admin.c" "$DOC" >"$TMP/drift2.out" 2>&1
check_eq "a route missing from the document is noticed" "$?" 1
check_contains "... and named" "$TMP/drift2.out" \
	"in admin.c's table, not in the document: PUT /api/v1/log"
sed 's|{"GET", "/audit", ADMIN_SCOPE_READ|{"GET", "/audit", ADMIN_SCOPE_WRITE|' \
	"$TOP/admin/admin.c" >"$TMP/admin.c"
python3 "$CHK" routes "$TMP/admin.c" "$DOC" >"$TMP/drift3.out" 2>&1
check_eq "a scope that differs is noticed" "$?" 1
check_contains "... and named" "$TMP/drift3.out" "GET /api/v1/audit: x-sztp-scope 'read'"
sed 's|{"GET", "/audit", ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_audit_list}|{"GET", "/audit" ADMIN_SCOPE_READ, ADMIN_BODY_NONE, admin_audit_list}|' \
	"$TOP/admin/admin.c" >"$TMP/admin.c"
python3 "$CHK" routes "$TMP/admin.c" "$DOC" >"$TMP/drift4.out" 2>&1
check_eq "a row the parser cannot read stops it" "$?" 1
check_contains "... saying so" "$TMP/drift4.out" "parse as {METHOD, PATTERN, SCOPE, BODY, HANDLER}"
python3 - "$DOC" "$TMP/extra.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["paths"]["/api/v1/things"] = {"get": d["paths"]["/api/v1/owners"]["get"]}
d["components"]["schemas"]["Owner"]["properties"]["name"]["multipleOf"] = 2
json.dump(d, open(sys.argv[2], "w"))
PY
python3 "$CHK" routes "$TOP/admin/admin.c" "$TMP/extra.json" >"$TMP/drift5.out" 2>&1
check_eq "a path only in the document is noticed" "$?" 1
check_contains "... and named" "$TMP/drift5.out" \
	"in the document, not in admin.c's table: GET /api/v1/things"
check_contains "a keyword the validator does not check is refused" "$TMP/drift5.out" \
	"keywords the validator does not check: multipleOf"

# ---- the linter ------------------------------------------------------------------
# @redocly/cli $REDOCLY_VERSION from the npm registry, installed once into a
# cache outside the tree (node 18 of Debian 12 and later run this version)
CACHE=${SZTP_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sztp}
RDIR=$CACHE/redocly-cli-$REDOCLY_VERSION
REDOCLY=$RDIR/node_modules/.bin/redocly
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
if [ ! -x "$REDOCLY" ]; then
	if ! command -v npm >/dev/null; then
		fail "npm is not installed (scripts/deps.sh installs nodejs and npm): the OpenAPI document is NOT linted"
	else
		mkdir -p "$CACHE" && rm -rf "$RDIR.tmp.$$"
		if timeout 300 npm install --prefix "$RDIR.tmp.$$" --no-audit --no-fund \
			--loglevel=error "@redocly/cli@$REDOCLY_VERSION" >"$TMP/npm.out" 2>&1 &&
			[ -x "$RDIR.tmp.$$/node_modules/.bin/redocly" ]; then
			rm -rf "$RDIR" && mv "$RDIR.tmp.$$" "$RDIR"
		else
			rm -rf "$RDIR.tmp.$$"
			fail "npm install @redocly/cli@$REDOCLY_VERSION failed (is the npm registry reachable?): the OpenAPI document is NOT linted"
			sed 's/^/    | /' "$TMP/npm.out" | tail -20 >&2
		fi
	fi
fi
if [ -x "$REDOCLY" ]; then
	check_eq "redocly is the pinned version" "$("$REDOCLY" --version 2>/dev/null)" "$REDOCLY_VERSION"
	(cd "$TMP" && "$REDOCLY" lint --config "$TOP/tests/e2e/redocly.yaml" "$DOC") >"$TMP/lint.out" 2>&1
	check_eq "redocly lint passes" "$?" 0
	check_contains "redocly lint: valid" "$TMP/lint.out" "Your API description is valid"
	check_not_contains "redocly lint: no warning" "$TMP/lint.out" "warning"
	grep -qi 'warning\|error' "$TMP/lint.out" && sed 's/^/    | /' "$TMP/lint.out" | head -60 >&2
	# the linter can fail: an operation without summary, a path parameter
	# the operation does not declare
	python3 - "$DOC" "$TMP/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
del d["paths"]["/api/v1/owners"]["get"]["summary"]
d["paths"]["/api/v1/owners/{name}"]["get"]["parameters"] = []
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
	(cd "$TMP" && "$REDOCLY" lint --config "$TOP/tests/e2e/redocly.yaml" "$TMP/bad.json") >"$TMP/lintbad.out" 2>&1
	check_eq "redocly lint fails a broken copy" "$?" 1
	check_contains "... naming the missing summary" "$TMP/lintbad.out" "operation-summary"
	check_contains "... and the undeclared path parameter" "$TMP/lintbad.out" "path-parameters-defined"
fi

# ---- (b), (c): a running sztpd ------------------------------------------------------
admin_sztpd || { e2e_finish; exit; }
python3 "$TOP/tests/e2e/admin_client.py" routes --base "$ABASE" --cacert "$CA" \
	--token-file "$TOKEN_FILE" --doc "$DOC" >"$TMP/live.out" 2>&1
check_eq "the running server and the document agree" "$?" 0
grep -E '^FAIL|Traceback|Error' "$TMP/live.out"
admin_counts "$TMP/live.out"

# ---- docs/nms-integration.md: its examples run as written ----------------------------
# The "sh test" blocks run one by one in document order (bash -e, in one
# working directory), then the "python test" blocks as one program; then
# the registry must hold what they did.
"$BIN/sztp-pki" device --pki "$PKI" --serial FOC2231X0AB >/dev/null 2>&1
W=$TMP/nms
mkdir -p "$W/blocks"
cp "$PKI/devices/FOC2231X0AB/voucher.vcj" "$W/FOC2231X0AB.vcj"
python3 "$TOP/tests/e2e/admin_client.py" doc-blocks "$TOP/docs/nms-integration.md" \
	"$W/blocks" >"$TMP/blocks.out"
check_eq "nms-integration.md: the examples found" "$(cat "$TMP/blocks.out")" \
	"sh 7 python 5 ini-keys 5"
while read -r key; do
	check "nms-integration.md's configuration key $key is sztpd's" \
		grep -q "{\"$key\"," "$TOP/server/config.c"
done <"$W/blocks/conf-keys"
export SZTP_API=$ABASE SZTP_TOKEN SZTP_CACERT=$CA SZTP_DB=$DB
SZTP_TOKEN=$(cat "$TOKEN_FILE")
for b in "$W"/blocks/[0-9]*.sh; do
	(cd "$W" && PATH=$BIN:$PATH bash -euo pipefail "$b") >"$b.out" 2>&1
	rc=$?
	check_eq "nms-integration.md: sh example $(basename "$b" .sh) runs" "$rc" 0
	[ "$rc" -eq 0 ] || sed 's/^/    | /' "$b.out" | tail -15 >&2
done
(cd "$W" && python3 blocks/program.py) >"$W/py.out" 2>&1
rc=$?
check_eq "nms-integration.md: the Python program runs" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/    | /' "$W/py.out" | tail -15 >&2
check_contains "the token example made token netbox" "$W/blocks/01.sh.out" "netbox"
check_contains "the Location of the enrolled device" "$W/blocks/04.sh.out" \
	"/api/v1/devices/FOC2231X0AB"
check_contains "the voucher example attached it" "$W/blocks/05.sh.out" '"serial-number":"FOC2231X0AB"'
check_contains "the bulk example enrolled 3" "$W/blocks/06.sh.out" '"created":3'
check_contains "the error example's 409" "$W/blocks/07.sh.out" "409: "
check_contains "Python lists the rack" "$W/py.out" \
	"3 devices in rack 12: ['FOC2231X1AA', 'FOC2231X1AB', 'FOC2231X1AC']"
check_contains "Python: no new reports on the second poll" "$W/py.out" "0 new reports"
check_contains "Python changed the profile with If-Match" "$W/py.out" "leaf-switch reports minimal"
check_contains "Python shows a field problem" "$W/py.out" \
	"400 urn:sztp:problem:invalid-field /serial - "
check_contains "Python shows a parameter problem" "$W/py.out" \
	"400 urn:sztp:problem:invalid-parameter limit - "
curl -sS --cacert "$CA" -H "Authorization: Bearer $SZTP_TOKEN" \
	"$ABASE/api/v1/profiles/leaf-switch" >"$TMP/leaf.json"
check_eq "the registry: leaf-switch reports minimal" "$(jq -r .reporting "$TMP/leaf.json")" minimal
curl -sS --cacert "$CA" -H "Authorization: Bearer $SZTP_TOKEN" \
	"$ABASE/api/v1/devices/FOC2231X0AB" >"$TMP/foc.json"
check_eq "the registry: FOC2231X0AB has its voucher and profile" \
	"$(jq -r '"\(.voucher) \(.profile)"' "$TMP/foc.json")" "true leaf-switch"

check "sztpd still runs" kill -0 "$SZTPD"
check "sztpd stops cleanly" stop_clean "$SZTPD"
e2e_finish
