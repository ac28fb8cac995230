#!/bin/bash
# t_lint.sh - the include check of `make lint` (scripts/check-includes.sh
# with scripts/include-owners) can fail: on throwaway trees it passes
# owners' includes, exempts bench/ and tests/, and rejects each kind of
# misplaced include naming the file, the line and the library; on a copy
# of this tree with one include planted it names that file.
# Prints "t_lint: N passed, N failed" last.
. "$(dirname "$0")/lib.sh"
e2e_init t_lint

CHECK=$TOP/scripts/check-includes.sh
OWNERS=$TOP/scripts/include-owners

# mini TREE: a product tree whose includes all sit with their owners
mini() {
	local t=$1
	mkdir -p "$t"/{scripts,lib,server,cli,certs,agent/sub,db,bench,tests/unit}
	cp "$OWNERS" "$t/scripts/"
	printf '#include <gnutls/gnutls.h>\n#include <nettle/sha2.h>\n' >"$t/lib/crypto.c"
	printf '#include <gnutls/x509.h>\n' >"$t/lib/pki_mint.c"
	printf '#include <gnutls/abstract.h>\n' >"$t/lib/pki_internal.h"
	printf '#include <libtasn1.h>\n#include <gnutls/pkcs7.h>\n' >"$t/lib/cms.c"
	printf '#include <libyang/libyang.h>\n#include <jansson.h>\n' >"$t/lib/yang.c"
	printf '#include "pki.h"\n#include <stdio.h>\n' >"$t/lib/util.c"
	printf '#include <microhttpd.h>\n' >"$t/server/http.c"
	printf '#include <jansson.h>\n' >"$t/server/restconf.c"
	printf '#include <jansson.h>\n' >"$t/cli/ctl.h"
	printf '#include <jansson.h>\n' >"$t/certs/vouch.c"
	printf '#include <curl/curl.h>\n' >"$t/agent/restconf_client.c"
	printf '#include <jansson.h>\n' >"$t/agent/sub/deep.c"
	printf '#include <sqlite3.h>\n' >"$t/db/registry_sqlite.c"
	# not product code
	printf '#include <gnutls/gnutls.h>\n#include <microhttpd.h>\n' >"$t/bench/ceiling.c"
	printf '#include <gnutls/x509.h>\n#include <sqlite3.h>\n' >"$t/tests/unit/test_x.c"
}

# run TREE: the check's exit status in $TMP/rc, its output in $TMP/out
run() {
	sh "$CHECK" "$1" >"$TMP/out" 2>&1
	echo $? >"$TMP/rc"
}

# every library has its one rule
for l in gnutls nettle libtasn1 libyang sqlite3 microhttpd curl jansson; do
	check_eq "include-owners has one rule for $l" \
		"$(grep -cE "^$l[[:space:]]" "$OWNERS")" 1
done
check "make lint runs the include check" \
	grep -qE '^[[:space:]]+sh scripts/check-includes.sh' "$TOP/Makefile"

mini "$TMP/ok"
run "$TMP/ok"
check_eq "owners' includes pass" "$(cat "$TMP/rc")" 0
check_contains "a passing run says so" "$TMP/out" "every include by its owners"

# bad NAME FILE LINE-TEXT WANT: a fresh mini tree with LINE-TEXT appended
# to FILE fails (exit 1) with WANT in its output
bad() {
	local t=$TMP/$1
	mini "$t"
	mkdir -p "$(dirname "$t/$2")"
	printf '%s\n' "$3" >>"$t/$2"
	run "$t"
	check_eq "$1: exit status" "$(cat "$TMP/rc")" 1
	check_contains "$1: names file, line and library" "$TMP/out" "$4"
}
bad nettle-in-util lib/util.c '#include <nettle/sha2.h>' \
	'lib/util.c:3: <nettle/sha2.h>: nettle may be included only by lib/crypto.c'
bad gnutls-in-server server/identity.c '#include <gnutls/crypto.h>' \
	'server/identity.c:1: <gnutls/crypto.h>: gnutls may be included only by lib/pki*.c'
bad gnutls-in-pki-header lib/pki.h '#include <gnutls/x509.h>' 'lib/pki.h:1: <gnutls/x509.h>: gnutls'
bad glob-is-anchored lib/cryptox.c '#include <gnutls/gnutls.h>' 'lib/cryptox.c:1: <gnutls/gnutls.h>'
bad jansson-in-yang-header lib/yang.h '#include <jansson.h>' 'lib/yang.h:1: <jansson.h>: jansson'
bad jansson-in-server server/progress.c '#include <jansson.h>' 'server/progress.c:1: <jansson.h>'
bad quoted-spaced db/other.c '#  include "sqlite3.h"' \
	'db/other.c:1: <sqlite3.h>: sqlite3 may be included only by db/registry_sqlite*.c db/registry_sqlite_internal.h'
bad mhd-in-cli cli/ctl_device.c '#include <microhttpd.h>' 'cli/ctl_device.c:1: <microhttpd.h>'
bad curl-in-certs certs/main.c '#include <curl/curl.h>' 'certs/main.c:1: <curl/curl.h>: curl'
bad libyang-in-cms lib/cms.c '#include <libyang/libyang.h>' 'lib/cms.c:3: <libyang/libyang.h>'
bad count lib/log.c "$(printf '#include <libtasn1.h>\n#include <gnutls/gnutls.h>')" \
	'2 include(s) outside their owners'

# no owners file: an error, not a pass
mini "$TMP/noowners"
rm "$TMP/noowners/scripts/include-owners"
run "$TMP/noowners"
check_eq "missing owners file: exit status 2" "$(cat "$TMP/rc")" 2
# an owners file without rules: an error, not a pass
mini "$TMP/norules"
printf '# nothing\n' >"$TMP/norules/scripts/include-owners"
run "$TMP/norules"
check_eq "owners file without rules: exit status 2" "$(cat "$TMP/rc")" 2

# a copy of this tree with one include planted where it does not belong
mkdir -p "$TMP/real/scripts"
cp -r "$TOP"/{lib,server,cli,certs,agent,db} "$TMP/real/"
cp "$OWNERS" "$TMP/real/scripts/"
printf '#include <libyang/libyang.h>\n' >>"$TMP/real/lib/log.c"
run "$TMP/real"
check_eq "this tree plus a planted include: exit status" "$(cat "$TMP/rc")" 1
check_contains "this tree plus a planted include: named" "$TMP/out" \
	"lib/log.c:$(wc -l <"$TMP/real/lib/log.c"): <libyang/libyang.h>: libyang may be included only by lib/yang.c"

e2e_finish
