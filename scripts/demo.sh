#!/bin/sh
# One command from a fresh Debian 12 machine (as root) to a running
# bootstrap server: installs the dependencies, builds, mints a demo PKI,
# creates the embedded SQLite registry with one enrolled demo device and
# starts sztpd on port 8443 (the admin API on 127.0.0.1:9443 with a demo
# token), printing the curl command that bootstraps the demo device.  State goes to ./demo (or $SZTP_DEMO_DIR); run again to
# start over.  Stop the server with Ctrl-C.  (tests/e2e/t_demo.sh runs it
# with SZTP_BUILD set: then the binaries there are used as they are.)
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
DEMO=${SZTP_DEMO_DIR:-$TOP/demo}
PORT=${SZTP_DEMO_PORT:-8443}
ADMIN_PORT=${SZTP_DEMO_ADMIN_PORT:-9443}
SN=SN-DEMO-0001

if [ -n "${SZTP_BUILD:-}" ]; then
	B=$SZTP_BUILD
else
	sh scripts/deps.sh
	make -j"$(nproc)" all >/dev/null
	B=$TOP/build
fi
rm -rf "$DEMO"
mkdir -p "$DEMO/files"
"$B/sztp-pki" init --out "$DEMO/pki" --serial "$SN"

# What the demo device gets: a boot image, a configuration and a script.
printf 'demo operating system image 2.0\n' >"$DEMO/files/demo-os-2.0.img"
printf 'hostname demo-switch\ninterface eth0\n  description uplink\n' >"$DEMO/files/startup.cfg"
printf '#!/bin/sh\necho post-configuration done\n' >"$DEMO/files/post.sh"

export SZTP_DB="$DEMO/sztp.db" SZTP_MASA_CA="$DEMO/pki/manufacturer/root.pem" SZTP_YANG_DIR="$TOP/yang"
CTL="$B/sztpctl"
"$CTL" init
"$CTL" owner set --chain "$DEMO/pki/owner/chain.pem" --key "$DEMO/pki/owner/signer.key"
"$CTL" profile onboarding demo --image-name demo-os --image-version 2.0 \
	--image-file "$DEMO/files/demo-os-2.0.img" \
	--image-uri "https://localhost:8444/demo-os-2.0.img" \
	--config "$DEMO/files/startup.cfg" --config-handling merge \
	--post-script "$DEMO/files/post.sh" --reporting verbose
"$CTL" device add "$SN" --profile demo --voucher "$DEMO/pki/devices/$SN/voucher.vcj"

cat >"$DEMO/sztpd.conf" <<CONF
# demo configuration written by scripts/demo.sh; see conf/sztpd.conf
listen-address = ::
port = $PORT
tls-cert = pki/server/chain.pem
tls-key = pki/server/key.pem
client-ca = pki/manufacturer/root.pem
database = sztp.db
yang-dir = $TOP/yang
# the demo runs as whoever starts it (production: user = sztp)
allow-root = yes
# the admin API for an NMS (docs/nms-integration.md), on this machine only
admin-port = $ADMIN_PORT
admin-listen-address = 127.0.0.1
masa-ca = pki/manufacturer/root.pem
admin-openapi = $TOP/docs/openapi.json
CONF
# a write token for the admin API: shown once, only its hash is stored
(umask 077 && "$CTL" token create demo-nms --scope write | grep -o 'sztp_[A-Za-z0-9_-]*' >"$DEMO/nms.token")
"$B/sztpd" -n -c "$DEMO/sztpd.conf"

# The demo device as sztp-agent runs it: no server trust anchor, so it
# asks for signed data and checks voucher, owner certificate and
# signature; it already runs demo-os 2.0, so the image step is skipped.
cat >"$DEMO/agent.conf" <<CONF
idevid-key = pki/devices/$SN/idevid.key
idevid-chain = pki/devices/$SN/chain.pem
voucher-trust-anchors = pki/manufacturer/root.pem
well-known-server = https://localhost:$PORT
device-root = device
os-name = demo-os
os-version = 2.0
yang-dir = $TOP/yang
CONF
# The same device configured with the server's trust anchor (as a device
# whose image lists its bootstrap servers would be): it trusts the server,
# so it asks for no signature and sends progress reports (RFC 8572 s5.3,
# s7.3: reports go to trusted servers only).
sed 's|^device-root = device$|device-root = device-trusted|' "$DEMO/agent.conf" >"$DEMO/agent-trusted.conf"
echo "server-trust-anchors = pki/owner/ca.pem" >>"$DEMO/agent-trusted.conf"

cat <<MSG

Demo device $SN is enrolled.  Bootstrap it (from another terminal):

  curl --cacert $DEMO/pki/owner/ca.pem \\
       --cert $DEMO/pki/devices/$SN/chain.pem --key $DEMO/pki/devices/$SN/idevid.key \\
       -H 'Content-Type: application/yang-data+json' \\
       -d '{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null]}}' \\
       https://localhost:$PORT/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data

Or let the device agent do the whole RFC 8572 flow:

  $B/sztp-agent -c $DEMO/agent.conf          # untrusted server: verifies the
                                             # signed data, sends no reports
  $B/sztp-agent -c $DEMO/agent-trusted.conf  # trusted server: reports progress

(the device's files go below $DEMO/device and $DEMO/device-trusted).
See the progress reports and the bootstrapping log:
  SZTP_DB=$DEMO/sztp.db $CTL progress $SN
  SZTP_DB=$DEMO/sztp.db $CTL log

The admin API (an NMS's view; the token is in $DEMO/nms.token):

  curl --cacert $DEMO/pki/owner/ca.pem -H "Authorization: Bearer \$(cat $DEMO/nms.token)" \\
       https://localhost:$ADMIN_PORT/api/v1/devices

or sztpctl through it, from any machine that can reach the port:

  $CTL --server https://localhost:$ADMIN_PORT --cacert $DEMO/pki/owner/ca.pem \\
       --token-file $DEMO/nms.token device list

Starting sztpd on port $PORT (Ctrl-C stops it)...
MSG
exec "$B/sztpd" -c "$DEMO/sztpd.conf"
