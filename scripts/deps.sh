#!/bin/sh
# Installs everything sztp needs to build, run and test on Debian 12
# (run as root).  Each package and why: docs/dependencies.md.
set -eu
PKGS="build-essential pkg-config
 libmicrohttpd-dev libgnutls28-dev nettle-dev libtasn1-6-dev libtasn1-bin
 libjansson-dev libsqlite3-dev libpq-dev libyang2-dev libyang2-tools libcurl4-gnutls-dev
 curl openssl sqlite3 jq iproute2 procps ca-certificates nginx-light rsyslog rsyslog-gnutls python3 bind9
 bind9-utils bind9-dnsutils
 clang-14 libclang-rt-14-dev
 kea-dhcp4-server kea-dhcp6-server isc-dhcp-server isc-dhcp-client dnsmasq-base busybox
 isc-dhcp-relay util-linux mount prometheus
 postgresql-15 postgresql-client-15 haproxy"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# nodejs, npm: the OpenAPI linter (@redocly/cli from the npm registry) of
# tests/e2e/t_admin_openapi.sh; a Node.js already installed with its npm does
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# The servers' maintainer scripts (Kea, dhcpd, named...) start their
	# services (Kea's postinst fails when the start fails, as in a container
	# without an init); the tests run their own instances, so nothing is
	# started: a policy-rc.d saying "forbidden" (101), only while apt runs,
	# unless the machine has one already (Debian's container images do)
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\n# scripts/deps.sh: no services started while it installs\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
	[ -n "$policy" ] && rm -f "$policy"
	trap - EXIT
fi
