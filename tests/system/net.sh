# tests/system/net.sh - the reference network of the system test
# (/work/notes/net.md s5, docs/deployment.md), made of network namespaces,
# veth pairs and bridges that only this run creates and removes.  Sourced
# by the t_*.sh after tests/e2e/lib.sh (needs TMP).
#
#   services namespace $NET_SVC: bridge br0 = the services segment, holding
#     every service address (10.143.0.0/24, fd00:143::/64) of the table;
#   router namespace $NET_RTR: "rs" on the services segment (10.143.0.254,
#     fd00:143::fe), bridge "brdev" = the device segment (10.144.0.1,
#     fd00:144::1), forwarding on; the relay runs here;
#   device namespaces (net_device NAME routed|direct): "eth0" on the device
#     segment behind the router, or directly on the services segment.
#
# Every interface is created inside the namespaces (the host's own network
# sees none of it).  Names carry this run's id, so runs can overlap.  IPv6
# duplicate address detection is off in every namespace, so addresses are
# usable at once.  net_down (called by the t_*.sh trap) kills what runs in
# the namespaces and deletes them.
set -u

NET_ID=${NET_ID:-sztp$$r$RANDOM}
NET_SVC=${NET_ID}svc
NET_RTR=${NET_ID}rtr
NET_NSES=()
NET_NDEV=0

# The services' addresses (net.md s5 table); the first one, the DHCP
# server's, is added first so that it is br0's primary (source) address.
NET_SVC_V4="10.143.0.2 10.143.0.3 10.143.0.10 10.143.0.11 10.143.0.20 10.143.0.30"
NET_SVC_V6="fd00:143::2 fd00:143::3 fd00:143::10 fd00:143::11 fd00:143::20 fd00:143::30"

# net_fail MESSAGE: loud failure of the set-up (never a silent skip).
net_fail() {
	echo "SYSTEM TEST SET-UP FAILED: $*" >&2
	if [ -n "${E2E_NAME:-}" ]; then
		fail "set-up: $*"
		e2e_finish
	fi
	exit 1
}

# net_ns_new NAME: a namespace with lo up and DAD off, remembered for net_down.
net_ns_new() {
	ip netns add "$1" || net_fail "ip netns add $1"
	NET_NSES+=("$1")
	ip -n "$1" link set dev lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.dad_transmits=0 \
		net.ipv6.conf.default.dad_transmits=0 >/dev/null ||
		net_fail "sysctl in $1"
}

# net_veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both up.
net_veth() {
	ip -n "$1" link add name "$2" type veth peer name "$4" netns "$3" ||
		net_fail "veth $1/$2 - $3/$4"
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0" >/dev/null
	ip netns exec "$3" sysctl -qw "net.ipv6.conf.$4.accept_dad=0" >/dev/null
	ip -n "$1" link set dev "$2" up && ip -n "$3" link set dev "$4" up
}

# net_bridge NS NAME: a bridge (no STP, no forwarding delay), up.
net_bridge() {
	ip -n "$1" link add name "$2" type bridge forward_delay 0 stp_state 0 ||
		net_fail "bridge $2 in $1"
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.accept_dad=0" >/dev/null
	ip -n "$1" link set dev "$2" up
}

# net_up: the services segment and the router.
net_up() {
	local a
	net_ns_new "$NET_SVC"
	net_ns_new "$NET_RTR"
	net_bridge "$NET_SVC" br0
	for a in $NET_SVC_V4; do
		ip -n "$NET_SVC" addr add "$a/24" dev br0 || net_fail "address $a"
	done
	for a in $NET_SVC_V6; do
		ip -n "$NET_SVC" addr add "$a/64" dev br0 nodad || net_fail "address $a"
	done
	# router: one leg on the services bridge, the device segment its own bridge
	net_veth "$NET_RTR" rs "$NET_SVC" p-rtr
	ip -n "$NET_SVC" link set dev p-rtr master br0
	ip -n "$NET_RTR" addr add 10.143.0.254/24 dev rs
	ip -n "$NET_RTR" addr add fd00:143::fe/64 dev rs nodad
	net_bridge "$NET_RTR" brdev
	ip -n "$NET_RTR" addr add 10.144.0.1/24 dev brdev
	ip -n "$NET_RTR" addr add fd00:144::1/64 dev brdev nodad
	ip netns exec "$NET_RTR" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 >/dev/null || net_fail "forwarding in the router"
	ip -n "$NET_SVC" route add 10.144.0.0/24 via 10.143.0.254 || net_fail "v4 route"
	ip -n "$NET_SVC" -6 route add fd00:144::/64 via fd00:143::fe || net_fail "v6 route"
}

# net_device NAME routed|direct: a device namespace ${NET_ID}NAME, its
# name in NS, with "eth0" on the device segment (behind the router) or on
# the services segment (not in a $(...): the namespace must be remembered
# for net_down).  No IPv4 address: DHCP gives it.
# IPv6: the on-link prefix and default route a router advertisement would
# give (there is no radvd), the address comes from DHCPv6 (a /128).
net_device() {
	local ns=${NET_ID}$1 mode=$2 port
	NET_NDEV=$((NET_NDEV + 1))
	port=p-dev$NET_NDEV
	net_ns_new "$ns"
	if [ "$mode" = routed ]; then
		net_veth "$ns" eth0 "$NET_RTR" "$port"
		ip -n "$NET_RTR" link set dev "$port" master brdev
		ip -n "$ns" -6 route add fd00:144::/64 dev eth0
		ip -n "$ns" -6 route add default via fd00:144::1 dev eth0
	else
		net_veth "$ns" eth0 "$NET_SVC" "$port"
		ip -n "$NET_SVC" link set dev "$port" master br0
		ip -n "$ns" -6 route add fd00:143::/64 dev eth0
		ip -n "$ns" -6 route add default via fd00:143::fe dev eth0
	fi
	NS=$ns
}

# net_ns_kill NS: stop every process in the namespace (all of them were
# started by this run: the namespace is this run's), TERM then KILL.
net_ns_kill() {
	local pids i
	pids=$(ip netns pids "$1" 2>/dev/null)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null
	for i in 1 2 3 4 5 6 7 8 9 10; do
		pids=$(ip netns pids "$1" 2>/dev/null)
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	# shellcheck disable=SC2086
	kill -9 $pids 2>/dev/null
	sleep 0.1
}

# net_down: everything net_up and net_device made, processes first.
net_down() {
	local ns
	for ns in "${NET_NSES[@]}"; do
		net_ns_kill "$ns"
	done
	for ns in "${NET_NSES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	NET_NSES=()
}

# net_preflight PROGRAM...: root, network namespaces, veth, bridge, private
# mount namespaces and every program named; exits loudly when one is missing.
net_preflight() {
	local p t=sztpchk$$ missing=""
	[ "$(id -u)" -eq 0 ] || net_fail "the system test needs root (network namespaces)"
	for p in ip unshare mount setsid flock sysctl "$@"; do
		command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] || net_fail "programs missing:$missing (sh scripts/deps.sh installs them)"
	ip netns add "$t" 2>/dev/null || net_fail "ip netns add does not work (no CAP_SYS_ADMIN or no netns support)"
	if ! ip -n "$t" link add name ca type veth peer name cb 2>/dev/null; then
		ip netns del "$t"
		net_fail "the kernel cannot make veth pairs (CONFIG_VETH)"
	fi
	if ! ip -n "$t" link add name cbr type bridge 2>/dev/null; then
		ip netns del "$t"
		net_fail "the kernel cannot make bridges (CONFIG_BRIDGE)"
	fi
	if ! ip netns exec "$t" unshare -m --propagation private sh -c \
		"mount --bind '$TMP' '$TMP'" 2>/dev/null; then
		ip netns del "$t"
		net_fail "unshare -m with a private bind mount does not work"
	fi
	ip netns del "$t"
	# AppArmor profiles of Debian's packages confine kea-dhcp4/6, dhclient,
	# dhcpd and named to their /etc, /var/lib and /run paths; the test keeps
	# its files in $TMP, so enforced profiles would make them fail oddly
	p=/sys/kernel/security/apparmor/profiles
	if [ -r "$p" ] && grep -E '(^|/)(kea-dhcp[46]|dhclient|dhcpd|named) \(enforce\)$' "$p" >"$TMP/.apparmor" 2>/dev/null; then
		net_fail "AppArmor enforces profiles the system test's programs run under:" \
			"$(tr '\n' ' ' <"$TMP/.apparmor")(their files live in \$TMP): run it where they are" \
			"not loaded or in complain mode (aa-complain)"
	fi
}
