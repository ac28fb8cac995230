#!/bin/bash
# make install PREFIX=DIR puts the programs, YANG modules and example
# config under DIR, and they run from there (no source tree needed).
. "$(dirname "$0")/lib.sh"
e2e_init t_install

P=$TMP/prefix
check "make install" make -C "$TOP" -s BUILD="${SZTP_BUILD:-build}" install PREFIX="$P"
for f in sbin/sztpd bin/sztpctl bin/sztp-pki share/sztp/examples/sztpd.conf share/sztp/examples/sztpd.service \
	share/sztp/yang/ietf-sztp-bootstrap-server@2019-04-30.yang \
	share/sztp/yang/ietf-sztp-conveyed-info@2019-04-30.yang \
	share/sztp/yang/ietf-voucher@2018-05-09.yang share/sztp/yang/ietf-restconf@2017-01-26.yang; do
	check "installed $f" test -s "$P/$f"
done
for f in dhclient-exit-hook dhclient-sztp.conf udhcpc.script; do
	check "installed hook $f" cmp "$TOP/agent/hooks/$f" "$P/share/sztp/hooks/$f"
done
check "installed udhcpc.script is executable" test -x "$P/share/sztp/hooks/udhcpc.script"
check "installed dhclient-exit-hook is POSIX sh" sh -n "$P/share/sztp/hooks/dhclient-exit-hook"
check "installed udhcpc.script is POSIX sh" sh -n "$P/share/sztp/hooks/udhcpc.script"
check "licence header kept in installed YANG" grep -q "Simplified BSD License" \
	"$P/share/sztp/yang/ietf-sztp-bootstrap-server@2019-04-30.yang"

# run from the install, in a directory outside the source tree
cd "$TMP"
check "installed sztp-pki mints a PKI" "$P/bin/sztp-pki" init --out "$TMP/pki" --serial SN-I
DB=$(e2e_db i) || exit 1
# the config names the SQLite file relative to itself (i.db), a URI as it is
dbconf=i.db
e2e_pg && dbconf=$DB
export SZTP_DB=$DB SZTP_MASA_CA=$TMP/pki/manufacturer/root.pem
unset SZTP_YANG_DIR
check "installed sztpctl init" "$P/bin/sztpctl" init
check "installed sztpctl enrols with its own YANG modules" \
	"$P/bin/sztpctl" profile onboarding p1 --config "$TMP/pki/owner/ca.pem" --config-handling replace
check "installed sztpctl device add" "$P/bin/sztpctl" device add SN-I --profile p1
PORT=$(free_port)
sed -e "s|^port = .*|port = $PORT|" -e "s|^tls-cert = .*|tls-cert = pki/server/chain.pem|" \
	-e "s|^tls-key = .*|tls-key = pki/server/key.pem|" -e "s|^client-ca = .*|client-ca = pki/manufacturer/root.pem|" \
	-e "s|^database = .*|database = $dbconf|" -e "s|^user = .*|allow-root = yes|" \
	"$P/share/sztp/examples/sztpd.conf" >"$TMP/sztpd.conf"
check "installed sztpd -n with the example config" "$P/sbin/sztpd" -n -c "$TMP/sztpd.conf"
e2e_bg "$TMP/sztpd.log" "$P/sbin/sztpd" -c "$TMP/sztpd.conf"
check "installed sztpd serves" wait_https "$PORT"
code=$(curl -s -o "$TMP/out" -w '%{http_code}' --cacert "$TMP/pki/owner/ca.pem" \
	--cert "$TMP/pki/devices/SN-I/chain.pem" --key "$TMP/pki/devices/SN-I/idevid.key" \
	-H 'Content-Type: application/yang-data+json' -d '{"ietf-sztp-bootstrap-server:input":{}}' \
	"https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data")
check_eq "installed sztpd bootstraps a device" "$code" 200
e2e_finish
