# tests/system/dhcp.sh - the DHCP side of the system test: servers (Kea
# DHCPv4/DHCPv6, dnsmasq) configured around `sztpctl dhcp --json`, `dhcpd
# -t` on its generated snippet, isc-dhcp-relay in the router namespace,
# and the device's clients (ISC dhclient with the real dhclient-script and
# our exit hook, busybox udhcpc with our udhcpc.script).  Sourced after
# tests/e2e/lib.sh and net.sh; needs TMP BIN TOP.  Every file (configs,
# leases, pid files, locks) lives under $TMP; every process runs inside a
# namespace of this run (net_down stops them).
set -u

DHCP_HOOKS=${DHCP_HOOKS:-$TOP/agent/hooks}
DHCP_ZONE=sztp.test

# dhcp_json OUT URI...: `sztpctl dhcp --json URI...` into OUT (the
# machine contract: dhcpv4/dhcpv6 values, kea4/kea6 option-data entries,
# dhcpd/dhcpd6/dnsmasq configuration text).
dhcp_json() {
	local out=$1
	shift
	"$BIN/sztpctl" dhcp --json "$@" >"$out" 2>"$out.err" || { cat "$out.err" >&2; return 1; }
	jq -e '.kea4 and .kea6 and .dnsmasq and .dhcpd and .dhcpd6' "$out" >/dev/null
}

# dhcp_kea_opt 4|6 HEX: a Kea option-data member for a raw value (for the
# malformed variants, which sztpctl rightly refuses to make).
dhcp_kea_opt() {
	local code=143 space=dhcp4
	[ "$1" = 6 ] && code=136 space=dhcp6
	jq -cn --argjson c "$code" --arg s "$space" --arg h "$2" \
		'{code: $c, space: $s, "csv-format": false, data: $h}'
}

# dhcp_wait_log FILE TEXT [SECONDS]: until TEXT shows in FILE.
dhcp_wait_log() {
	local i n=$((${3:-10} * 10))
	for i in $(seq 1 "$n"); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "'$2' not in $1 after ${3:-10} s:" >&2
	tail -n 20 "$1" >&2 2>/dev/null
	return 1
}

# dhcp_bg NS LOG COMMAND...: run COMMAND in namespace NS in the background
# (PID in E2E_LAST_PID, stopped at exit).
dhcp_bg() {
	local ns=$1 log=$2
	shift 2
	e2e_bg "$log" ip netns exec "$ns" "$@"
}

# kea4_start NS DIR OPTION-DATA-JSON: Kea DHCPv4 on the services bridge
# with the device segment (relayed, giaddr 10.144.0.1) and the services
# segment (direct) subnets; OPTION-DATA-JSON is "" or one option-data
# object (the "kea4" member of sztpctl dhcp --json) given to every client.
kea4_start() {
	local ns=$1 d=$2 opt=${3:-}
	mkdir -p "$d"
	jq -n --arg d "$d" --argjson opt "${opt:-null}" '{Dhcp4: {
		"interfaces-config": {interfaces: ["br0"]},
		"lease-database": {type: "memfile", persist: true, name: ($d + "/leases4.csv"),
			"lfc-interval": 0},
		"valid-lifetime": 600, "renew-timer": 300, "rebind-timer": 500,
		"option-data": ([{name: "domain-name-servers", data: "10.143.0.3"},
			{name: "domain-name", data: "sztp.test"}] + (if $opt then [$opt] else [] end)),
		subnet4: [
			{id: 1, subnet: "10.144.0.0/24", pools: [{pool: "10.144.0.100 - 10.144.0.199"}],
			 "option-data": [{name: "routers", data: "10.144.0.1"}]},
			{id: 2, subnet: "10.143.0.0/24", interface: "br0",
			 pools: [{pool: "10.143.0.100 - 10.143.0.199"}],
			 "option-data": [{name: "routers", data: "10.143.0.254"}]}],
		loggers: [{name: "kea-dhcp4", severity: "DEBUG", debuglevel: 15,
			"output_options": [{output: ($d + "/kea4.log")}]}]}}' >"$d/kea4.json" || return 1
	ip netns exec "$ns" kea-dhcp4 -t "$d/kea4.json" >"$d/kea4-t.out" 2>&1 || { cat "$d/kea4-t.out" >&2; return 1; }
	dhcp_bg "$ns" "$d/kea4.out" env KEA_LOCKFILE_DIR="$d" KEA_PIDFILE_DIR="$d" \
		kea-dhcp4 -c "$d/kea4.json"
	KEA4_PID=$E2E_LAST_PID
	dhcp_wait_log "$d/kea4.log" DHCP4_STARTED 20
}

# kea6_start NS DIR OPTION-DATA-JSON: Kea DHCPv6 on the services bridge,
# fd00:143::/64 for direct clients, fd00:144::/64 for relayed ones (the
# relay sends to fd00:143::2: "br0/ADDRESS" makes Kea listen on it).
kea6_start() {
	local ns=$1 d=$2 opt=${3:-}
	mkdir -p "$d"
	jq -n --arg d "$d" --argjson opt "${opt:-null}" '{Dhcp6: {
		"interfaces-config": {interfaces: ["br0/fd00:143::2"]},
		"lease-database": {type: "memfile", persist: true, name: ($d + "/leases6.csv"),
			"lfc-interval": 0},
		"server-id": {type: "LL", persist: false},
		"preferred-lifetime": 300, "valid-lifetime": 600, "renew-timer": 150,
		"rebind-timer": 250,
		"option-data": ([{name: "dns-servers", data: "fd00:143::3"},
			{name: "domain-search", data: "sztp.test"}] + (if $opt then [$opt] else [] end)),
		subnet6: [
			{id: 1, subnet: "fd00:144::/64", pools: [{pool: "fd00:144::100 - fd00:144::1ff"}]},
			{id: 2, subnet: "fd00:143::/64", interface: "br0",
			 pools: [{pool: "fd00:143::100 - fd00:143::1ff"}]}],
		loggers: [{name: "kea-dhcp6", severity: "DEBUG", debuglevel: 15,
			"output_options": [{output: ($d + "/kea6.log")}]}]}}' >"$d/kea6.json" || return 1
	ip netns exec "$ns" kea-dhcp6 -t "$d/kea6.json" >"$d/kea6-t.out" 2>&1 || { cat "$d/kea6-t.out" >&2; return 1; }
	dhcp_bg "$ns" "$d/kea6.out" env KEA_LOCKFILE_DIR="$d" KEA_PIDFILE_DIR="$d" \
		kea-dhcp6 -c "$d/kea6.json"
	KEA6_PID=$E2E_LAST_PID
	dhcp_wait_log "$d/kea6.log" DHCP6_STARTED 20
}

# dnsmasq_start NS DIR LINES-FILE: dnsmasq as the DHCP server (v4 and v6)
# of the services segment, no DNS (--port=0); LINES-FILE holds the
# "dnsmasq" member of sztpctl dhcp --json (or nothing).
dnsmasq_start() {
	local ns=$1 d=$2 lines=$3
	mkdir -p "$d"
	{
		echo "interface=br0"
		echo "bind-interfaces"
		echo "dhcp-range=10.143.0.100,10.143.0.199,255.255.255.0,10m"
		echo "dhcp-range=fd00:143::100,fd00:143::1ff,64,10m"
		echo "dhcp-option=option:router,10.143.0.254"
		echo "dhcp-option=option:dns-server,10.143.0.3"
		echo "dhcp-option=option:domain-name,$DHCP_ZONE"
		echo "dhcp-option=option6:dns-server,[fd00:143::3]"
		echo "dhcp-option=option6:domain-search,$DHCP_ZONE"
		echo "dhcp-authoritative"
		echo "log-dhcp"
		cat "$lines"
	} >"$d/dnsmasq.conf"
	dnsmasq --test --conf-file="$d/dnsmasq.conf" >"$d/dnsmasq-t.out" 2>&1 ||
		{ cat "$d/dnsmasq-t.out" >&2; return 1; }
	dhcp_bg "$ns" "$d/dnsmasq.log" dnsmasq -d -k --port=0 --user=root --group=root \
		--conf-file="$d/dnsmasq.conf" --pid-file="$d/dnsmasq.pid" \
		--dhcp-leasefile="$d/dnsmasq.leases" --log-facility=-
	DNSMASQ_PID=$E2E_LAST_PID
	dhcp_wait_log "$d/dnsmasq.log" "DHCP, IP range" 20
}

# dhcpd_check DIR JSON: ISC dhcpd -t accepts the generated "dhcpd" and
# "dhcpd6" snippets in a config of the reference network.
dhcpd_check() {
	local d=$1 j=$2
	mkdir -p "$d"
	{
		jq -r .dhcpd "$j"
		echo 'subnet 10.144.0.0 netmask 255.255.255.0 {'
		echo '  range 10.144.0.100 10.144.0.199; option routers 10.144.0.1;'
		echo '}'
	} >"$d/dhcpd.conf"
	{
		jq -r .dhcpd6 "$j"
		echo 'subnet6 fd00:144::/64 { range6 fd00:144::100 fd00:144::1ff; }'
	} >"$d/dhcpd6.conf"
	dhcpd -t -4 -cf "$d/dhcpd.conf" >"$d/dhcpd-t.out" 2>&1 || { cat "$d/dhcpd-t.out"; return 1; }
	dhcpd -t -6 -cf "$d/dhcpd6.conf" >"$d/dhcpd6-t.out" 2>&1 || { cat "$d/dhcpd6-t.out"; return 1; }
}

# relay4_start DIR: isc-dhcp-relay in the router namespace, clients on the
# device segment (brdev), the server 10.143.0.2 behind the services leg (rs).
relay4_start() {
	local d=$1
	mkdir -p "$d"
	dhcp_bg "$NET_RTR" "$d/dhcrelay4.log" dhcrelay -d -4 -id brdev -iu rs \
		-pf "$d/dhcrelay4.pid" 10.143.0.2
	RELAY4_PID=$E2E_LAST_PID
	dhcp_wait_log "$d/dhcrelay4.log" "Listening on" 20
}

# relay6_start DIR: the DHCPv6 relay (-l lower = device segment, -u upper
# = the server's address on the services leg).
relay6_start() {
	local d=$1
	mkdir -p "$d"
	dhcp_bg "$NET_RTR" "$d/dhcrelay6.log" dhcrelay -d -6 -l brdev -u fd00:143::2%rs \
		-pf "$d/dhcrelay6.pid"
	RELAY6_PID=$E2E_LAST_PID
	dhcp_wait_log "$d/dhcrelay6.log" "Sending on" 20
}

# dev_prepare DIR: the device's own /etc/dhcp (dhclient.conf with
# dhclient-sztp.conf, the exit hook as dhclient-exit-hooks.d/sztp), its
# resolv.conf, run dir and the upper layer over /etc.
dev_prepare() {
	local d=$1
	mkdir -p "$d/etc-dhcp/dhclient-exit-hooks.d" "$d/etc-dhcp/dhclient-enter-hooks.d" \
		"$d/etc-up" "$d/etc-work" "$d/run"
	{
		echo 'request subnet-mask, broadcast-address, routers, domain-name,'
		echo '	domain-name-servers, domain-search, dhcp6.name-servers, dhcp6.domain-search;'
		cat "$DHCP_HOOKS/dhclient-sztp.conf"
	} >"$d/etc-dhcp/dhclient.conf"
	cp "$DHCP_HOOKS/dhclient-exit-hook" "$d/etc-dhcp/dhclient-exit-hooks.d/sztp"
	: >"$d/resolv.conf"
	: >"$d/nolog"
}

# The device's mount set-up, run by sh inside the device's namespaces:
# /etc is an overlay (writes land in DIR/etc-up), /etc/dhcp is
# DIR/etc-dhcp and /etc/resolv.conf is DIR/resolv.conf, so the real
# /sbin/dhclient-script runs the installed hook and nothing of the host
# changes (a host without overlayfs still gets the two bind mounts).
DEV_MOUNTS='
	d=$1; shift
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$d/etc-up,workdir=$d/etc-work" /etc ||
		echo "dev_bg: no overlay over /etc; only /etc/dhcp and /etc/resolv.conf are private" >&2
	if [ -L /etc/resolv.conf ] && grep -q " /etc overlay" /proc/mounts; then
		rm -f /etc/resolv.conf && : >/etc/resolv.conf
	fi
	mount --bind "$d/etc-dhcp" /etc/dhcp || exit 125
	mount --bind "$d/resolv.conf" /etc/resolv.conf || exit 125
	if [ -e /dev/log ]; then mount --bind "$d/nolog" /dev/log 2>/dev/null; fi
	exec "$@"'

# dev_bg NS DIR LOG COMMAND...: COMMAND in the background inside device
# NS (its network namespace, a private mount namespace with DEV_MOUNTS);
# every program execs the next, so E2E_LAST_PID is COMMAND's own PID.
dev_bg() {
	local ns=$1 d=$2 log=$3
	shift 3
	e2e_bg "$log" ip netns exec "$ns" unshare -m --propagation private \
		sh -c "$DEV_MOUNTS" dev-exec "$d" "$@"
}

# DEV_ENV: more NAME=VALUE settings for the hook's environment (an array).
DEV_ENV=()

# dhclient_start NS DIR 4|6 AGENT-CONF: ISC dhclient (foreground) on eth0
# of device NS with /sbin/dhclient-script; the hook's settings through -e.
dhclient_start() {
	local ns=$1 d=$2 v=$3 conf=$4 e extra=()
	dev_prepare "$d"
	for e in "${DEV_ENV[@]}"; do extra+=(-e "$e"); done
	dev_bg "$ns" "$d" "$d/dhclient$v.log" dhclient -d -v "-$v" \
		-pf "$d/dhclient$v.pid" -lf "$d/dhclient$v.leases" -sf /sbin/dhclient-script \
		-cf /etc/dhcp/dhclient.conf -e "SZTP_AGENT=${SZTP_AGENT:-$BIN/sztp-agent}" \
		-e "SZTP_AGENT_CONF=$conf" -e "SZTP_RUN_DIR=$d/run" \
		-e "SZTP_YANG_DIR=${SZTP_YANG_DIR:-$TOP/yang}" "${extra[@]}" eth0
	DHCLIENT_PID=$E2E_LAST_PID
}

# udhcpc_start NS DIR AGENT-CONF: busybox udhcpc (foreground) asking for
# option 143, with agent/hooks/udhcpc.script.
udhcpc_start() {
	local ns=$1 d=$2 conf=$3
	dev_prepare "$d"
	cp "$DHCP_HOOKS/udhcpc.script" "$d/udhcpc.script"
	dev_bg "$ns" "$d" "$d/udhcpc.log" env SZTP_AGENT="${SZTP_AGENT:-$BIN/sztp-agent}" \
		SZTP_AGENT_CONF="$conf" SZTP_RUN_DIR="$d/run" \
		SZTP_YANG_DIR="${SZTP_YANG_DIR:-$TOP/yang}" "${DEV_ENV[@]}" \
		busybox udhcpc -f -i eth0 -O 143 -s "$d/udhcpc.script" \
		-p "$d/udhcpc.pid" -t 10 -T 1
	UDHCPC_PID=$E2E_LAST_PID
}

# dev_wait_result DIR [SECONDS]: until the agent wrote DIR/run/result.json
# and no agent holds the lock any more.
dev_wait_result() {
	local d=$1 i n=$((${2:-60} * 10))
	for i in $(seq 1 "$n"); do
		if [ -s "$d/run/result.json" ] && flock -n "$d/run/agent.lock" true; then
			return 0
		fi
		sleep 0.1
	done
	echo "no result in $d/run after ${2:-60} s; agent.log:" >&2
	tail -n 30 "$d/run/agent.log" >&2 2>/dev/null
	return 1
}

# ---- the device end to end (used by every t_*.sh with services) ----------

# sys_preflight [PROGRAM]...: net_preflight with what every scenario uses.
sys_preflight() {
	net_preflight kea-dhcp4 kea-dhcp6 dnsmasq dhcpd dhcrelay dhclient busybox jq curl \
		named named-checkzone dig /usr/sbin/nginx /usr/sbin/rsyslogd sha256sum ss \
		"$BIN/sztpd" "$BIN/sztpctl" "$BIN/sztp-agent" "$BIN/sztp-pki" "$@"
}

# sys_services [FRAGMENT]...: every service of the reference network
# (services.sh) in $NET_SVC; a loud end of the test when one does not come up.
sys_services() {
	if svc_start_all "$NET_SVC" "$@"; then
		pass
	else
		fail "the services of the reference network did not come up"
		e2e_finish
		exit 1
	fi
}

# sys_device_conf SERIAL DIR [LINE]...: DIR/agent.conf for the device
# (svc_agent_conf, device root DIR/root).
sys_device_conf() {
	local sn=$1 d=$2
	shift 2
	mkdir -p "$d"
	svc_agent_conf "$sn" "$d/root" "$d/agent.conf" "$@" ||
		net_fail "no agent configuration for $sn"
}

# dev_addr NS 4|6: the device's (first global) address on eth0, or nothing.
dev_addr() {
	ip -n "$1" "-$2" -o addr show dev eth0 scope global 2>/dev/null |
		awk '{ sub(/\/.*/, "", $4); print $4; exit }'
}

# dev_progress_types SERIAL: the types of SERIAL's progress reports on
# sztpd #2, oldest first, one a line.
dev_progress_types() {
	svc_progress "$1" | jq -r '[.. | objects | select(has("type")) | .]
		| sort_by(.id // .time // 0) | .[].type'
}

# sys_onboarded_checks SERIAL DIR IP: what the operator and the device show
# after a complete bootstrap: the new image and configuration in the
# device root, every progress report and bootstrap-complete on sztpd #2,
# the image fetched by the device from nginx, the device's messages in
# rsyslog's file.
sys_onboarded_checks() {
	local sn=$1 d=$2 ip=$3 want got
	check "$sn: the image in the device root is the server's" \
		cmp "$SVC_IMAGE" "$d/root/boot/images/demo-os-2.0.img"
	check_contains "$sn: the device runs the new image" "$d/root/boot/running" '"os-version"'
	check_contains "$sn: ... version 2.0" "$d/root/boot/running" '2.0'
	check "$sn: the configuration applied" cmp "$SVC_CONFIG" "$d/root/etc/config"
	dev_progress_types "$sn" >"$d/progress.types"
	# first boot up to the image, then the new image's run to the end
	want="bootstrap-initiated parsing-initiated parsing-complete boot-image-initiated"
	want="$want boot-image-installed-rebooting bootstrap-initiated parsing-initiated"
	want="$want parsing-complete config-initiated config-complete bootstrap-complete"
	got=$(tr '\n' ' ' <"$d/progress.types")
	check_eq "$sn: every progress report on sztpd #2, in order" "${got% }" "$want"
	svc_ctl2 device show "$sn" >"$d/device-show.txt" 2>&1
	check_contains "$sn: sztpctl device show says bootstrap-complete" "$d/device-show.txt" \
		bootstrap-complete
	check_contains "$sn: nginx served the image to the device" "$SVC_NGINX_LOG" \
		"$ip [" 
	check "$sn: ... with 200" grep -q "^$ip .*GET /image-2.0.img HTTP/1.1\" 200" "$SVC_NGINX_LOG"
	check "$sn: rsyslog holds the device's messages" test -s "$(svc_syslog_file "$ip")"
	check_contains "$sn: ... from sztp-agent, up to bootstrap complete" \
		"$(svc_syslog_file "$ip")" "bootstrap complete"
}
