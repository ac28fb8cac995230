#!/bin/bash
# End-to-end: HTTP strictness of sztpd's listener, over TLS with raw bytes
# (python3 ssl) and curl.  Two parts:
#  - what sztpd refuses itself, with a RESTCONF error body: a target with
#    %00 or control characters, bad %-escapes or unencoded characters; an
#    HTTP/1.1 request without Host, several Hosts, a malformed Host;
#    Content-Length fields that disagree, Transfer-Encoding with
#    Content-Length or other than chunked (those close the connection);
#    header names with spaces, control characters in values; query
#    parameters on operations and RESTCONF resources (RFC 8040 s4.8);
#  - what libmicrohttpd answers (or does) itself, pinned exactly as Debian
#    12's 0.9.75 does it (docs/http.md), so that a library upgrade shows
#    here what changed.
. "$(dirname "$0")/lib.sh"
e2e_init t_http_strict

PKI=$TMP/pki
DB=$(e2e_db sztp)
export SZTP_DB=$DB SZTP_MASA_CA=$PKI/manufacturer/root.pem SZTP_YANG_DIR=$TOP/yang
CTL() { "$BIN/sztpctl" -d "$DB" "$@"; }

"$BIN/sztp-pki" init --out "$PKI" --serial SN-1 >/dev/null || { echo "sztp-pki init failed"; exit 1; }
printf 'hostname demo\n' >"$TMP/config.txt"
check "sztpctl init" CTL init
CTL owner set --chain "$PKI/owner/chain.pem" --key "$PKI/owner/signer.key" >/dev/null
CTL profile onboarding onb --config "$TMP/config.txt" --config-handling merge >/dev/null
check "enrol SN-1" CTL device add SN-1 --profile onb --voucher "$PKI/devices/SN-1/voucher.vcj"

PORT=$(free_port)
sztpd_conf "threads = 2" >"$TMP/sztpd.conf"
start_sztpd "$TMP/sztpd.conf" "$TMP/sztpd.log"
SZTPD=$E2E_LAST_PID

# raw.py FILE: send FILE's bytes over TLS as device SN-1, print what comes
# back, then <EOF> (the server closed), <OPEN> (quiet for 1 s, still open)
# or <RESET>.
cat >"$TMP/raw.py" <<'PY'
import socket, ssl, sys
port, pki, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=pki + '/owner/ca.pem')
ctx.check_hostname = False
ctx.load_cert_chain(pki + '/devices/SN-1/chain.pem', pki + '/devices/SN-1/idevid.key')
s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', port), timeout=5),
                    server_hostname='localhost')
s.sendall(open(path, 'rb').read())
out, end = b'', '<OPEN>'
s.settimeout(3)
try:
    while True:
        b = s.recv(65536)
        if not b:
            end = '<EOF>'
            break
        out += b
        s.settimeout(1)
except (socket.timeout, TimeoutError):
    pass
except (ssl.SSLError, OSError):
    end = '<EOF>' if out else '<RESET>'
sys.stdout.write(out.decode('latin-1').replace('\r\n', '\n') + '\n' + end + '\n')
PY

# send NAME FORMAT [ARGS]: the bytes of printf FORMAT, answer in $TMP/NAME
send() {
	local name=$1
	shift
	# shellcheck disable=SC2059
	printf "$@" >"$TMP/$name.req"
	python3 "$TMP/raw.py" "$PORT" "$PKI" "$TMP/$name.req" >"$TMP/$name" 2>&1
}
status() { head -n 1 "$TMP/$1" | cut -d' ' -f2; }
tag() { sed -n 's/.*"error-tag":"\([^"]*\)".*/\1/p' "$TMP/$1" | head -n 1; }
# ours NAME STATUS TAG TEXT: a RESTCONF error from sztpd
ours() {
	check_eq "$1: status" "$(status "$1")" "$2"
	check_eq "$1: error-tag" "$(tag "$1")" "$3"
	check_contains "$1: message" "$TMP/$1" "$4"
	check_contains "$1: RESTCONF media type" "$TMP/$1" "Content-Type: application/yang-data+json"
}
# mhd NAME STATUS-LINE TEXT: an answer of libmicrohttpd's own (HTML)
mhd() {
	check_eq "$1 (libmicrohttpd): status line" "$(head -n 1 "$TMP/$1")" "$2"
	check_contains "$1 (libmicrohttpd): body" "$TMP/$1" "$3"
	check_not_contains "$1 (libmicrohttpd): not RESTCONF" "$TMP/$1" "yang-data"
	check_contains "$1 (libmicrohttpd): closes" "$TMP/$1" "<EOF>"
}
closes() { check_contains "$1: Connection: close" "$TMP/$1" "Connection: close"; }

GBD=/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data
IN='{"ietf-sztp-bootstrap-server:input":{}}'
CT='Content-Type: application/yang-data+json'
# post TARGET [MORE-FIELDS]: a get-bootstrapping-data request
post() { printf 'POST %s HTTP/1.1\r\nHost: localhost\r\n%s\r\nContent-Length: %d\r\n%b\r\n%s' \
	"$1" "$CT" "${#IN}" "${2:-}" "$IN"; }

# ---- the baseline: a well-formed request, kept alive -----------------------------
send ok '%s' "$(post "$GBD")"
check_eq "well-formed: 200" "$(status ok)" 200
check_not_contains "well-formed: kept alive" "$TMP/ok" "Connection: close"
check_contains "well-formed: the connection stays open" "$TMP/ok" "<OPEN>"

# ---- the request target ------------------------------------------------------------
send nul '%s' "$(post "$GBD%00junk" 'Connection: close\r\n')"
ours nul 400 malformed-message "NUL or control character"
send lf '%s' "$(post "$GBD%0a" 'Connection: close\r\n')"
ours lf 400 malformed-message "NUL or control character"
send badpct '%s' "$(post "$GBD%zz" 'Connection: close\r\n')"
ours badpct 400 malformed-message "malformed %-escape"
send cutpct '%s' "$(post "$GBD%4" 'Connection: close\r\n')"
ours cutpct 400 malformed-message "malformed %-escape"
send space 'GET /rest conf HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
ours space 400 malformed-message "must be %-encoded"
send encoded '%s' "$(post /restconf/operations/ietf-sztp-bootstrap-server%3Aget-bootstrapping-data 'Connection: close\r\n')"
check_eq "an encoded ':' names the same operation" "$(status encoded)" 200
# curl sends the target as given
st=$(curl -s -o "$TMP/curl-nul" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
	--cert "$PKI/devices/SN-1/chain.pem" --key "$PKI/devices/SN-1/idevid.key" \
	-H "$CT" -d "$IN" "https://localhost:$PORT$GBD%00junk")
check_eq "curl: get-bootstrapping-data%00junk is refused" "$st" 400
check_contains "curl: ...and says why" "$TMP/curl-nul" "NUL or control character"
check_not_contains "curl: ...without conveyed information" "$TMP/curl-nul" "conveyed-information"

# ---- Host (RFC 9112 s3.2) ---------------------------------------------------------
send nohost 'GET /restconf HTTP/1.1\r\nConnection: close\r\n\r\n'
ours nohost 400 malformed-message "needs a Host header field"
st=$(curl -s -o "$TMP/curl-nohost" -w '%{http_code}' --cacert "$PKI/owner/ca.pem" \
	-H 'Host:' "https://localhost:$PORT/restconf")
check_eq "curl without Host: 400" "$st" 400
send host10 'GET /restconf HTTP/1.0\r\n\r\n'
check_eq "HTTP/1.0 needs no Host" "$(status host10)" 200
send twohosts 'GET /restconf HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n'
ours twohosts 400 malformed-message "more than one Host"
send badhost 'GET /restconf HTTP/1.1\r\nHost: a/b@c\r\nConnection: close\r\n\r\n'
ours badhost 400 malformed-message "Host header field is malformed"
send emptyhost 'GET /restconf HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n'
ours emptyhost 400 malformed-message "Host header field is malformed"
send v6host 'GET /restconf HTTP/1.1\r\nHost: [::1]:8443\r\nConnection: close\r\n\r\n'
check_eq "Host [::1]:8443 is fine" "$(status v6host)" 200

# ---- framing: the connection closes after the answer -------------------------------
send twocl 'POST %s HTTP/1.1\r\nHost: a\r\n%s\r\nContent-Length: %d\r\nContent-Length: 5\r\n\r\n%s' \
	"$GBD" "$CT" "${#IN}" "$IN"
ours twocl 400 malformed-message "Content-Length header fields disagree"
closes twocl
check_contains "two Content-Lengths: closed" "$TMP/twocl" "<EOF>"
send samecl 'GET /restconf HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
check_eq "the same Content-Length twice is one (RFC 9110 s8.6)" "$(status samecl)" 200
send tecl 'POST %s HTTP/1.1\r\nHost: a\r\n%s\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n' "$GBD" "$CT"
ours tecl 400 malformed-message "both Transfer-Encoding and Content-Length"
closes tecl
send tegzip 'POST %s HTTP/1.1\r\nHost: a\r\n%s\r\nTransfer-Encoding: gzip\r\n\r\nhello' "$GBD" "$CT"
ours tegzip 400 malformed-message "the only transfer coding accepted is chunked"
closes tegzip
send chunked 'POST %s HTTP/1.1\r\nHost: a\r\n%s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n%x\r\n%s\r\n0\r\n\r\n' \
	"$GBD" "$CT" "${#IN}" "$IN"
check_eq "a chunked body is fine" "$(status chunked)" 200

# ---- fields ---------------------------------------------------------------------------
send spacename 'GET /restconf HTTP/1.1\r\nHost: a\r\nX-A : b\r\nConnection: close\r\n\r\n'
ours spacename 400 malformed-message "header field name is malformed"
send ctlvalue 'GET /restconf HTTP/1.1\r\nHost: a\r\nX-A: a\001b\r\nConnection: close\r\n\r\n'
ours ctlvalue 400 malformed-message "header field value has a control character"
send crvalue 'GET /restconf HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\nConnection: close\r\n\r\n'
ours crvalue 400 malformed-message "header field value has a control character"

# ---- query parameters (RFC 8040 s4.8) -------------------------------------------------
send qop '%s' "$(post "$GBD?foo=1" 'Connection: close\r\n')"
ours qop 400 invalid-value "query parameter 'foo' is not supported here"
send qdepth '%s' "$(post "$GBD?depth=1" 'Connection: close\r\n')"
ours qdepth 400 invalid-value "query parameter 'depth'"
send qres 'GET /restconf/yang-library-version?fields=x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
ours qres 400 invalid-value "query parameter 'fields'"
send qempty '%s' "$(post "$GBD?" 'Connection: close\r\n')"
check_eq "an empty query is no parameter" "$(status qempty)" 200
send qhostmeta 'GET /.well-known/host-meta?rel=restconf HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
check_eq "host-meta is not RESTCONF: its query is ignored" "$(status qhostmeta)" 200

# ---- what libmicrohttpd 0.9.75 answers itself (docs/http.md) ---------------------------
LONG=$(head -c 40000 /dev/zero | tr '\0' a)
send long_uri "GET /$LONG HTTP/1.1\r\nHost: a\r\n\r\n"
mhd long_uri "HTTP/1.1 414 URI Too Long" "<title>Request too big</title>"
send long_head "GET /restconf HTTP/1.1\r\nHost: a\r\nX-Big: $LONG\r\n\r\n"
mhd long_head "HTTP/1.1 431 Request Header Fields Too Large" "<title>Request too big</title>"
send http2 'GET /restconf HTTP/2.0\r\nHost: a\r\n\r\n'
mhd http2 "HTTP/1.1 505 HTTP Version Not Supported" "Requested HTTP version is not supported"
send http09 'GET /restconf\r\n\r\n'
mhd http09 "HTTP/1.1 400 Bad Request" "<title>Request malformed</title>"
send nocolon 'GET /restconf HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n'
mhd nocolon "HTTP/1.1 400 Bad Request" "syntactically incorrect"
send clabc 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n' "$GBD"
mhd clabc "HTTP/1.1 400 Bad Request" "wrong value for <b>Content-Length</b>"
check_eq "Content-Length abc (libmicrohttpd): its head is sent twice" \
	"$(grep -c '^HTTP/1.1 400 Bad Request' "$TMP/clabc")" 2
send clhuge 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n' "$GBD"
mhd clhuge "HTTP/1.1 413 Content Too Large" "too large value for <b>Content-Length</b>"
check_eq "Content-Length too large (libmicrohttpd): its head is sent twice" \
	"$(grep -c '^HTTP/1.1 413 Content Too Large' "$TMP/clhuge")" 2
send cllist 'POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello' "$GBD"
mhd cllist "HTTP/1.1 400 Bad Request" "wrong value for <b>Content-Length</b>"
check_eq "Content-Length list (libmicrohttpd): its head is sent twice" \
	"$(grep -c '^HTTP/1.1 400 Bad Request' "$TMP/cllist")" 2
send badchunk 'POST %s HTTP/1.1\r\nHost: a\r\n%s\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n' "$GBD" "$CT"
mhd badchunk "HTTP/1.1 400 Bad Request" "chunked encoding was syntactically incorrect"
send garbage 'GARBAGE\r\n\r\n'
check_eq "a line that is no request line (libmicrohttpd): no answer" "$(head -n 1 "$TMP/garbage")" ""
check_contains "a line that is no request line (libmicrohttpd): closed" "$TMP/garbage" "<EOF>"
send emptyname 'GET /restconf HTTP/1.1\r\nHost: a\r\n: x\r\nConnection: close\r\n\r\n'
check_eq "an empty field name (libmicrohttpd) ends the head: the request is served" \
	"$(head -n 1 "$TMP/emptyname")" "HTTP/1.1 200 OK"
check_eq "...and the rest is read as a next request" \
	"$(grep -c '^HTTP/1.1 400 Bad Request' "$TMP/emptyname")" 1
send nulvalue 'GET /restconf HTTP/1.1\r\nHost: a\r\nX-A: a\000b\r\nConnection: close\r\n\r\n'
check_eq "a NUL in a field value (libmicrohttpd): the value ends there" "$(status nulvalue)" 200
send nultarget 'GET /restconf\000x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
check_eq "a NUL in the target (libmicrohttpd): the target ends there" "$(status nultarget)" 200
send barelf 'GET /restconf HTTP/1.1\nHost: a\nConnection: close\n\n'
check_eq "bare LF line ends (libmicrohttpd): accepted" "$(status barelf)" 200
send fold 'GET /restconf HTTP/1.1\r\nHost: a\r\nX-F: a\r\n b\r\nConnection: close\r\n\r\n'
check_eq "obs-fold (libmicrohttpd): joined, accepted" "$(status fold)" 200
send twosp 'GET  /restconf HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
check_eq "two spaces after the method (libmicrohttpd): accepted" "$(status twosp)" 200
send http12 'GET /restconf HTTP/1.2\r\nHost: a\r\nConnection: close\r\n\r\n'
check_eq "HTTP/1.2 (libmicrohttpd): taken as 1.1" "$(status http12)" 200
send lower 'get /restconf HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
ours lower 405 operation-not-supported "read with GET"

check "sztpd still runs" kill -0 "$SZTPD"
check "sztpd stops on SIGTERM with status 0" stop_clean "$SZTPD"
e2e_finish
