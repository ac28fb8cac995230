# tests/system/services.sh - the services of the reference SZTP network
# (docs/deployment.md, /work/notes/net.md s5), each a real program started
# inside a given network namespace and bound to its address of the table:
#
#   ns.sztp.test         10.143.0.3   fd00:143::3    BIND named, port 53
#   bootstrap.sztp.test  10.143.0.10  fd00:143::10   sztpd #1 (signed redirect), 443
#   onboard.sztp.test    10.143.0.11  fd00:143::11   sztpd #2 (signed onboarding), 8443
#   files.sztp.test      10.143.0.20  fd00:143::20   nginx HTTPS file server, 443
#   syslog.sztp.test     10.143.0.30  fd00:143::30   rsyslog, UDP 514
#
# Sourced (bash) by the system tests after tests/e2e/lib.sh; needs TMP, BIN
# and TOP set.  The caller creates the namespace with these addresses on
# its interface.  Call the svc_* functions directly, not inside $(...): a
# subshell would lose the PIDs they record.  svc_stop stops exactly the
# processes started here (the caller's EXIT trap calls it).
#
#   svc_pki                       $TMP/pki: devices SN-SYS-1..8 with vouchers, the
#                                 three server certificates (SVC_* variables below)
#   svc_content                   $TMP/www: image-2.0.img, its tampered copy; config
#   svc_sztpd_pair NS             both registries, both sztpd (each on its IPv4 and
#                                 its IPv6 address: two processes, one registry)
#   svc_dns_zone [OUT]            the s4.2 records (sztpctl dns on sztpd #1's
#                                 registry) as a zone fragment; prints its path
#   svc_named NS [FRAGMENT]...    BIND, authoritative for sztp.test
#   svc_nginx NS                  nginx, https://files.sztp.test/ = $TMP/www
#   svc_rsyslog NS                rsyslogd, UDP 514 -> svc_syslog_file
#   svc_syslog_file [IP]          all messages (or those from IP), one per line:
#                                 "FROMHOST-IP HOSTNAME APP[PROCID] MSGID SD MSG"
#   svc_agent_conf SERIAL ROOT OUT [LINE]...
#                                 a device's sztp-agent configuration
#   svc_exec NS CMD...            CMD in NS, resolving names through ns.sztp.test
#   svc_ctl1 / svc_ctl2 ARGS...   sztpctl on sztpd #1's / #2's registry
#   svc_progress SERIAL           sztpctl --json progress SERIAL on sztpd #2
#   svc_start_all NS [FRAGMENT]... all of the above, in that order
#   svc_stop                      stop everything started here
#
# Each svc_* returns non-zero with the reason on stderr when its service
# does not come up; callers stop there (loudly).

SVC_ZONE=sztp.test
SVC_NS4=10.143.0.3 SVC_NS6=fd00:143::3
SVC_BS4=10.143.0.10 SVC_BS6=fd00:143::10 SVC_BS_PORT=443
SVC_OB4=10.143.0.11 SVC_OB6=fd00:143::11 SVC_OB_PORT=8443
SVC_FILES4=10.143.0.20 SVC_FILES6=fd00:143::20
SVC_SYSLOG4=10.143.0.30 SVC_SYSLOG6=fd00:143::30
SVC_BS_URL=https://bootstrap.sztp.test
SVC_OB_URL=https://onboard.sztp.test:8443
SVC_IMAGE_URL=https://files.sztp.test/image-2.0.img
SVC_IMAGE_BAD_URL=https://files.sztp.test/image-2.0-tampered.img
SVC_SERIALS="SN-SYS-1 SN-SYS-2 SN-SYS-3 SN-SYS-4 SN-SYS-5 SN-SYS-6 SN-SYS-7 SN-SYS-8"
SVC_BAD_SERIAL=SN-SYS-3 # sztpd #2 gives it the tampered image
SVC_PIDS=()

svc_err() {
	echo "services.sh: $*" >&2
	return 1
}

# svc_bg NAME LOG COMMAND...: start in the background, record the PID.
svc_bg() {
	local name=$1 log=$2
	shift 2
	"$@" >"$log" 2>&1 &
	SVC_LAST_PID=$!
	SVC_PIDS+=("$SVC_LAST_PID")
	echo "$SVC_LAST_PID $name" >>"$TMP/services.pids"
}

# svc_alive PID LOG WHAT: fails (with the log) when PID has exited.
svc_alive() {
	kill -0 "$1" 2>/dev/null && return 0
	sed 's/^/    | /' "$2" | tail -n 30 >&2
	svc_err "$3 exited"
}

# svc_have_addrs NS ADDR...: the caller gave NS these addresses; waits
# (up to 5 s) until no IPv6 address there is tentative (bind() would fail).
svc_have_addrs() {
	local ns=$1 a i
	shift
	for a in "$@"; do
		ip -n "$ns" -o addr show 2>/dev/null | grep -qE "inet6? $a/" ||
			svc_err "namespace $ns has no address $a" || return 1
	done
	for i in $(seq 1 50); do
		[ -z "$(ip -n "$ns" -6 -o addr show tentative 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	svc_err "namespace $ns: IPv6 addresses still tentative (DAD) after 5 s"
}

# svc_wait WHAT COMMAND...: retry COMMAND for up to 20 s (a loaded 2-core
# machine starts four sztpd, named and nginx at once).
svc_wait() {
	local what=$1 i
	shift
	for i in $(seq 1 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	svc_err "$what did not answer within 20 s"
}

# svc_exec NS CMD...: CMD inside NS with its own mount namespace in which
# /etc/resolv.conf names ns.sztp.test (search sztp.test), so getaddrinfo()
# of the device's programs resolves the table's names through BIND.
svc_exec() {
	local ns=$1
	shift
	[ -f "$TMP/resolv.conf" ] ||
		printf 'nameserver %s\nsearch %s\noptions timeout:2 attempts:2\n' "$SVC_NS4" "$SVC_ZONE" \
			>"$TMP/resolv.conf"
	ip netns exec "$ns" unshare -m --propagation private \
		sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$TMP/resolv.conf" "$@"
}

svc_ctl1() { SZTP_MASA_CA=$SVC_MASA_CA "$BIN/sztpctl" -d "$SVC_DB1" --yang-dir "$TOP/yang" "$@"; }
svc_ctl2() { SZTP_MASA_CA=$SVC_MASA_CA "$BIN/sztpctl" -d "$SVC_DB2" --yang-dir "$TOP/yang" "$@"; }

# ---- PKI -----------------------------------------------------------------
# SVC_PKI          sztp-pki init layout (docs/pki-tool.md): devices/SN/{idevid.key,
#                  chain.pem,voucher.vcj}, owner/ (signer, CA = vouchers' pinned cert)
# SVC_MASA_CA      manufacturer root: IDevID CA (sztpd client-ca), voucher anchor
# SVC_BS_CERT/KEY/CA     bootstrap.sztp.test (chain issued by the owner CA)
# SVC_OB_CERT/KEY/CA     onboard.sztp.test (its own CA: the redirect's trust anchor)
# SVC_FILES_CERT/KEY/CA  files.sztp.test (a third CA)
svc_pki() {
	local s args=()
	SVC_PKI=$TMP/pki
	for s in $SVC_SERIALS; do args+=(--serial "$s"); done
	"$BIN/sztp-pki" init --out "$SVC_PKI" "${args[@]}" \
		--server-san "DNS:bootstrap.sztp.test,IP:$SVC_BS4,IP:$SVC_BS6" >"$TMP/pki.log" 2>&1 &&
		"$BIN/sztp-pki" ca --out "$SVC_PKI/onboard-ca" --name "Onboard Server CA" >>"$TMP/pki.log" 2>&1 &&
		"$BIN/sztp-pki" leaf --ca "$SVC_PKI/onboard-ca" --out "$SVC_PKI/onboard" --serial onboard-server \
			--server --san "DNS:onboard.sztp.test,IP:$SVC_OB4,IP:$SVC_OB6" >>"$TMP/pki.log" 2>&1 &&
		"$BIN/sztp-pki" ca --out "$SVC_PKI/files-ca" --name "Files Server CA" >>"$TMP/pki.log" 2>&1 &&
		"$BIN/sztp-pki" leaf --ca "$SVC_PKI/files-ca" --out "$SVC_PKI/files" --serial files-server \
			--server --san "DNS:files.sztp.test,IP:$SVC_FILES4,IP:$SVC_FILES6" >>"$TMP/pki.log" 2>&1 ||
		{ cat "$TMP/pki.log" >&2; svc_err "sztp-pki failed"; return 1; }
	SVC_MASA_CA=$SVC_PKI/manufacturer/root.pem
	SVC_BS_CERT=$SVC_PKI/server/chain.pem SVC_BS_KEY=$SVC_PKI/server/key.pem
	SVC_BS_CA=$SVC_PKI/owner/ca.pem
	SVC_OB_CERT=$SVC_PKI/onboard-chain.pem SVC_OB_KEY=$SVC_PKI/onboard.key
	SVC_OB_CA=$SVC_PKI/onboard-ca/ca.pem
	SVC_FILES_CERT=$SVC_PKI/files-chain.pem SVC_FILES_KEY=$SVC_PKI/files.key
	SVC_FILES_CA=$SVC_PKI/files-ca/ca.pem
	export SVC_PKI SVC_MASA_CA SVC_BS_CERT SVC_BS_KEY SVC_BS_CA SVC_OB_CERT SVC_OB_KEY SVC_OB_CA \
		SVC_FILES_CERT SVC_FILES_KEY SVC_FILES_CA
}

# ---- content -----------------------------------------------------------------
# SVC_WWW (nginx's root), SVC_IMAGE (+ SVC_IMAGE_SHA256, hex), SVC_IMAGE_BAD
# (one byte changed), SVC_CONFIG (what sztpd #2 conveys).
svc_content() {
	SVC_WWW=$TMP/www
	SVC_IMAGE=$SVC_WWW/image-2.0.img
	SVC_IMAGE_BAD=$SVC_WWW/image-2.0-tampered.img
	SVC_CONFIG=$TMP/content/config.txt
	mkdir -p "$SVC_WWW" "$TMP/content" || return 1
	head -c 300000 /dev/urandom >"$SVC_IMAGE" || return 1
	cp "$SVC_IMAGE" "$SVC_IMAGE_BAD"
	# the byte plus one: a fixed 'X' would equal it once in 256 runs
	b=$(od -An -tu1 -j 1000 -N 1 "$SVC_IMAGE" | tr -d ' ')
	printf "\\$(printf '%03o' $(((b + 1) % 256)))" |
		dd of="$SVC_IMAGE_BAD" bs=1 seek=1000 conv=notrunc 2>/dev/null
	cmp -s "$SVC_IMAGE" "$SVC_IMAGE_BAD" && { svc_err "tampered image equals the image"; return 1; }
	printf 'hostname sztp-sys-device\nlogging host syslog.sztp.test\nntp server 10.143.0.3\n' \
		>"$SVC_CONFIG"
	SVC_IMAGE_SHA256=$(sha256sum "$SVC_IMAGE" | cut -d' ' -f1)
	export SVC_WWW SVC_IMAGE SVC_IMAGE_BAD SVC_CONFIG SVC_IMAGE_SHA256
}

# ---- the two sztpd -------------------------------------------------------------
# svc_sztpd_conf ADDR PORT CERT KEY DB: one sztpd configuration.
svc_sztpd_conf() {
	cat <<CONF
listen-address = $1
port = $2
tls-cert = $3
tls-key = $4
client-ca = $SVC_MASA_CA
database = $5
yang-dir = $TOP/yang
threads = 2
log-level = info
allow-root = yes
CONF
}

# svc_sztpd_start NS NAME ADDR PORT CONF: one sztpd process, waited for.
svc_sztpd_start() {
	local ns=$1 name=$2 addr=$3 port=$4 conf=$5 host
	host=$addr
	case "$addr" in *:*) host="[$addr]" ;; esac
	"$BIN/sztpd" -n -c "$conf" >"$TMP/$name.check" 2>&1 ||
		{ cat "$TMP/$name.check" >&2; svc_err "sztpd -n -c $conf refused its configuration"; return 1; }
	svc_bg "$name" "$TMP/$name.log" ip netns exec "$ns" "$BIN/sztpd" -c "$conf"
	svc_wait "$name (https://$host:$port)" \
		ip netns exec "$ns" curl -sk -o /dev/null "https://$host:$port/.well-known/host-meta" ||
		{ svc_alive "$SVC_LAST_PID" "$TMP/$name.log" "$name"; return 1; }
}

# svc_sztpd_pair NS: sztpd #1 (bootstrap.sztp.test:443): every SN-SYS-* gets
# a signed redirect to onboard.sztp.test:8443 with sztpd #2's trust anchor;
# sztpd #2 (onboard.sztp.test:8443): signed onboarding, image-2.0.img from
# files.sztp.test with its sha-256, SVC_CONFIG, verbose reporting;
# SN-SYS-3 gets the tampered image's URI (its hash then does not match).
# SVC_DB1, SVC_DB2: the registries; SVC_SZTPD_LOGS: the four logs.
svc_sztpd_pair() {
	local ns=$1 s d p
	[ -n "${SVC_PKI:-}" ] && [ -n "${SVC_IMAGE:-}" ] ||
		{ svc_err "svc_sztpd_pair: run svc_pki and svc_content first"; return 1; }
	svc_have_addrs "$ns" "$SVC_BS4" "$SVC_BS6" "$SVC_OB4" "$SVC_OB6" || return 1
	mkdir -p "$TMP/sztpd1" "$TMP/sztpd2"
	SVC_DB1=$TMP/sztpd1/sztp.db SVC_DB2=$TMP/sztpd2/sztp.db
	export SVC_DB1 SVC_DB2
	{
		svc_ctl1 init &&
			svc_ctl1 owner set --chain "$SVC_PKI/owner/chain.pem" --key "$SVC_PKI/owner/signer.key" &&
			svc_ctl1 profile redirect to-onboard --server "onboard.sztp.test:$SVC_OB_PORT,$SVC_OB_CA" \
				--sign always &&
			svc_ctl2 init &&
			svc_ctl2 owner set --chain "$SVC_PKI/owner/chain.pem" --key "$SVC_PKI/owner/signer.key" &&
			svc_ctl2 profile onboarding onboard --image-name demo-os --image-version 2.0 \
				--image-file "$SVC_IMAGE" --image-uri "$SVC_IMAGE_URL" \
				--config "$SVC_CONFIG" --config-handling replace --reporting verbose --sign always &&
			svc_ctl2 profile onboarding onboard-tampered --image-name demo-os --image-version 2.0 \
				--image-file "$SVC_IMAGE" --image-uri "$SVC_IMAGE_BAD_URL" \
				--config "$SVC_CONFIG" --config-handling replace --reporting verbose --sign always
	} >"$TMP/sztpd-registries.log" 2>&1 ||
		{ cat "$TMP/sztpd-registries.log" >&2; svc_err "sztpctl could not fill the registries"; return 1; }
	for s in $SVC_SERIALS; do
		d=$SVC_PKI/devices/$s
		p=onboard
		[ "$s" = "$SVC_BAD_SERIAL" ] && p=onboard-tampered
		{
			svc_ctl1 device add "$s" --profile to-onboard --voucher "$d/voucher.vcj" &&
				svc_ctl2 device add "$s" --profile "$p" --voucher "$d/voucher.vcj"
		} >>"$TMP/sztpd-registries.log" 2>&1 ||
			{ cat "$TMP/sztpd-registries.log" >&2; svc_err "sztpctl could not enrol $s"; return 1; }
	done
	svc_sztpd_conf "$SVC_BS4" "$SVC_BS_PORT" "$SVC_BS_CERT" "$SVC_BS_KEY" "$SVC_DB1" >"$TMP/sztpd1/v4.conf"
	svc_sztpd_conf "$SVC_BS6" "$SVC_BS_PORT" "$SVC_BS_CERT" "$SVC_BS_KEY" "$SVC_DB1" >"$TMP/sztpd1/v6.conf"
	svc_sztpd_conf "$SVC_OB4" "$SVC_OB_PORT" "$SVC_OB_CERT" "$SVC_OB_KEY" "$SVC_DB2" >"$TMP/sztpd2/v4.conf"
	svc_sztpd_conf "$SVC_OB6" "$SVC_OB_PORT" "$SVC_OB_CERT" "$SVC_OB_KEY" "$SVC_DB2" >"$TMP/sztpd2/v6.conf"
	svc_sztpd_start "$ns" sztpd1/v4 "$SVC_BS4" "$SVC_BS_PORT" "$TMP/sztpd1/v4.conf" &&
		svc_sztpd_start "$ns" sztpd1/v6 "$SVC_BS6" "$SVC_BS_PORT" "$TMP/sztpd1/v6.conf" &&
		svc_sztpd_start "$ns" sztpd2/v4 "$SVC_OB4" "$SVC_OB_PORT" "$TMP/sztpd2/v4.conf" &&
		svc_sztpd_start "$ns" sztpd2/v6 "$SVC_OB6" "$SVC_OB_PORT" "$TMP/sztpd2/v6.conf" || return 1
	SVC_SZTPD_LOGS="$TMP/sztpd1/v4.log $TMP/sztpd1/v6.log $TMP/sztpd2/v4.log $TMP/sztpd2/v6.log"
}

svc_progress() { svc_ctl2 --json progress "$1" --limit 1000; }

# ---- DNS ---------------------------------------------------------------------------
# svc_dns_zone [OUT]: `sztpctl dns sztp.test --server https://bootstrap.sztp.test`
# on sztpd #1's registry (SRV _sztp._tcp.sztp.test, TXT <serial>._sztp.sztp.test
# with each device's signed redirect, owner certificate and voucher) into OUT
# (default $TMP/dns/sztp-records.zone).  Prints the path; SVC_DNS_ZONE names it.
svc_dns_zone() {
	local out=${1:-$TMP/dns/sztp-records.zone}
	[ -n "${SVC_DB1:-}" ] || { svc_err "svc_dns_zone: run svc_sztpd_pair first"; return 1; }
	mkdir -p "$(dirname "$out")"
	svc_ctl1 dns "$SVC_ZONE" --server "$SVC_BS_URL" >"$out" 2>"$out.err" ||
		{ cat "$out.err" >&2; svc_err "sztpctl dns failed"; return 1; }
	SVC_DNS_ZONE=$out
	echo "$out"
}

# svc_named NS [FRAGMENT]...: BIND named in the foreground (-g), its own
# named.conf, zone and working directory in $TMP/named, on 10.143.0.3 and
# fd00:143::3 port 53 (UDP and TCP), authoritative for sztp.test: SOA, NS,
# A/AAAA of the table, then each FRAGMENT file as it is.  The zone is
# checked with named-checkzone first.  SVC_NAMED_LOG: its log.
svc_named() {
	local ns=$1 f n
	shift
	svc_have_addrs "$ns" "$SVC_NS4" "$SVC_NS6" || return 1
	n=$TMP/named
	mkdir -p "$n"
	{
		echo "\$TTL 60"
		echo "$SVC_ZONE. 60 IN SOA ns.$SVC_ZONE. hostmaster.$SVC_ZONE. 1 3600 600 86400 60"
		echo "$SVC_ZONE. 60 IN NS ns.$SVC_ZONE."
		printf '%s. 60 IN A %s\n%s. 60 IN AAAA %s\n' \
			"ns.$SVC_ZONE" "$SVC_NS4" "ns.$SVC_ZONE" "$SVC_NS6" \
			"bootstrap.$SVC_ZONE" "$SVC_BS4" "bootstrap.$SVC_ZONE" "$SVC_BS6" \
			"onboard.$SVC_ZONE" "$SVC_OB4" "onboard.$SVC_ZONE" "$SVC_OB6" \
			"files.$SVC_ZONE" "$SVC_FILES4" "files.$SVC_ZONE" "$SVC_FILES6" \
			"syslog.$SVC_ZONE" "$SVC_SYSLOG4" "syslog.$SVC_ZONE" "$SVC_SYSLOG6"
		for f in "$@"; do
			echo "; ---- $f"
			cat "$f" || return 1
		done
	} >"$n/$SVC_ZONE.zone" || { svc_err "svc_named: cannot read a fragment"; return 1; }
	named-checkzone "$SVC_ZONE" "$n/$SVC_ZONE.zone" >"$n/checkzone.log" 2>&1 ||
		{ cat "$n/checkzone.log" >&2; svc_err "named-checkzone refused $n/$SVC_ZONE.zone"; return 1; }
	cat >"$n/named.conf" <<CONF
options {
	directory "$n";
	pid-file "$n/named.pid";
	session-keyfile "$n/session.key";
	managed-keys-directory "$n";
	listen-on port 53 { $SVC_NS4; };
	listen-on-v6 port 53 { $SVC_NS6; };
	recursion no;
	allow-query { any; };
	dnssec-validation no;
	notify no;
};
controls { };
zone "$SVC_ZONE" {
	type primary;
	file "$n/$SVC_ZONE.zone";
};
CONF
	named-checkconf "$n/named.conf" >"$n/checkconf.log" 2>&1 ||
		{ cat "$n/checkconf.log" >&2; svc_err "named-checkconf refused $n/named.conf"; return 1; }
	SVC_NAMED_LOG=$n/named.log
	svc_bg named "$SVC_NAMED_LOG" ip netns exec "$ns" named -g -c "$n/named.conf"
	svc_wait "named (udp $SVC_NS4)" \
		ip netns exec "$ns" dig +short +time=1 +tries=1 "@$SVC_NS4" "ns.$SVC_ZONE" A &&
		svc_wait "named (tcp [$SVC_NS6])" \
			ip netns exec "$ns" dig +tcp +short +time=1 +tries=1 "@$SVC_NS6" "ns.$SVC_ZONE" AAAA ||
		{ svc_alive "$SVC_LAST_PID" "$SVC_NAMED_LOG" named; return 1; }
	grep -q "zone $SVC_ZONE/IN: loaded serial" "$SVC_NAMED_LOG" ||
		{ cat "$SVC_NAMED_LOG" >&2; svc_err "named did not load $SVC_ZONE"; return 1; }
}

# ---- nginx: the HTTPS deployment file server ---------------------------------------------
# svc_nginx NS: https://files.sztp.test/ (10.143.0.20 and fd00:143::20, 443)
# serves $SVC_WWW; SVC_NGINX_LOG: its access log (client address, request, status).
svc_nginx() {
	local ns=$1 d=$TMP/nginx
	[ -n "${SVC_FILES_CERT:-}" ] && [ -n "${SVC_WWW:-}" ] ||
		{ svc_err "svc_nginx: run svc_pki and svc_content first"; return 1; }
	svc_have_addrs "$ns" "$SVC_FILES4" "$SVC_FILES6" || return 1
	mkdir -p "$d"
	SVC_NGINX_LOG=$d/access.log
	cat >"$d/nginx.conf" <<NGX
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 128; }
http {
  log_format sztp '\$remote_addr [\$time_iso8601] "\$request" \$status \$body_bytes_sent';
  access_log $SVC_NGINX_LOG sztp;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  types { application/octet-stream img; text/plain txt; }
  default_type application/octet-stream;
  server {
    listen $SVC_FILES4:443 ssl;
    listen [$SVC_FILES6]:443 ssl;
    server_name files.$SVC_ZONE;
    ssl_certificate $SVC_FILES_CERT;
    ssl_certificate_key $SVC_FILES_KEY;
    root $SVC_WWW;
  }
}
NGX
	ip netns exec "$ns" /usr/sbin/nginx -t -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/check.log" 2>&1 ||
		{ cat "$d/check.log" >&2; svc_err "nginx -t refused $d/nginx.conf"; return 1; }
	svc_bg nginx "$d/stdout.log" ip netns exec "$ns" /usr/sbin/nginx -p "$d" -c "$d/nginx.conf" \
		-e "$d/error.log" -g 'daemon off;'
	svc_wait "nginx (https://$SVC_FILES4)" \
		ip netns exec "$ns" curl -sk -o /dev/null "https://$SVC_FILES4/" &&
		svc_wait "nginx (https://[$SVC_FILES6])" \
			ip netns exec "$ns" curl -sk -o /dev/null "https://[$SVC_FILES6]/" ||
		{ svc_alive "$SVC_LAST_PID" "$d/error.log" nginx; return 1; }
}

# ---- rsyslog -------------------------------------------------------------------------------
# svc_rsyslog NS: rsyslogd -n, its own work directory, imudp on
# 10.143.0.30:514 and [fd00:143::30]:514.  What it receives goes to
# svc_syslog_file (parsed, one line per message), $TMP/syslog/raw.log (as
# received) and $TMP/syslog/by-ip/<sender>.log.
svc_rsyslog() {
	local ns=$1 d=$TMP/syslog
	svc_have_addrs "$ns" "$SVC_SYSLOG4" "$SVC_SYSLOG6" || return 1
	mkdir -p "$d/work" "$d/by-ip"
	: >"$d/messages.log"
	: >"$d/raw.log"
	cat >"$d/rsyslog.conf" <<RSYS
global(workDirectory="$d/work")
module(load="imudp")
input(type="imudp" address="$SVC_SYSLOG4" port="514")
input(type="imudp" address="$SVC_SYSLOG6" port="514")
template(name="sztp" type="string"
  string="%fromhost-ip% %hostname% %app-name%[%procid%] %msgid% %structured-data% %msg%\n")
template(name="raw" type="string" string="%rawmsg%\n")
template(name="byip" type="string" string="$d/by-ip/%fromhost-ip%.log")
*.* action(type="omfile" file="$d/messages.log" template="sztp")
*.* action(type="omfile" file="$d/raw.log" template="raw")
*.* action(type="omfile" dynaFile="byip" template="sztp")
RSYS
	/usr/sbin/rsyslogd -N1 -f "$d/rsyslog.conf" >"$d/check.log" 2>&1 ||
		{ cat "$d/check.log" >&2; svc_err "rsyslogd -N1 refused $d/rsyslog.conf"; return 1; }
	svc_bg rsyslogd "$d/rsyslogd.log" ip netns exec "$ns" /usr/sbin/rsyslogd -n -f "$d/rsyslog.conf" \
		-i "$d/rsyslogd.pid"
	svc_wait "rsyslogd (udp $SVC_SYSLOG4:514)" svc_udp_bound "$ns" "$SVC_SYSLOG4" &&
		svc_wait "rsyslogd (udp [$SVC_SYSLOG6]:514)" svc_udp_bound "$ns" "[$SVC_SYSLOG6]" ||
		{ svc_alive "$SVC_LAST_PID" "$d/rsyslogd.log" rsyslogd; return 1; }
}

svc_udp_bound() { [ -n "$(ip netns exec "$1" ss -Hlun "src $2:514")" ]; }

svc_syslog_file() {
	if [ $# -gt 0 ]; then
		echo "$TMP/syslog/by-ip/$1.log"
	else
		echo "$TMP/syslog/messages.log"
	fi
}

# ---- the device's agent configuration --------------------------------------------------------
# svc_agent_conf SERIAL ROOT OUT [LINE]...: IDevID key and chain, the
# manufacturer root as voucher anchor, no server anchors (the device trusts
# no bootstrap server until a signed redirect names one), dns = yes,
# syslog-server = 10.143.0.30:514, device-root ROOT, log-level info,
# running demo-os 1.0.  A LINE "key = value" replaces the default for that
# key (e.g. "dns = no") or adds one.
svc_agent_conf() {
	local sn=$1 root=$2 out=$3 l k keys=() d=$SVC_PKI/devices/$1
	shift 3
	[ -f "$d/idevid.key" ] || { svc_err "svc_agent_conf: no device $sn in $SVC_PKI"; return 1; }
	for l in "$@"; do keys+=("$(echo "${l%%=*}" | tr -d ' \t')"); done
	{
		for l in "idevid-key = $d/idevid.key" "idevid-chain = $d/chain.pem" \
			"voucher-trust-anchors = $SVC_MASA_CA" "dns = yes" \
			"syslog-server = $SVC_SYSLOG4:514" "device-root = $root" "log-level = info" \
			"os-name = demo-os" "os-version = 1.0" "hw-model = sim-1" "http-timeout = 10" \
			"yang-dir = $TOP/yang"; do
			k=$(echo "${l%%=*}" | tr -d ' \t')
			case " ${keys[*]} " in *" $k "*) continue ;; esac
			echo "$l"
		done
		for l in "$@"; do echo "$l"; done
	} >"$out"
}

# ---- everything -------------------------------------------------------------------------------
# svc_start_all NS [FRAGMENT]...: svc_pki, svc_content, svc_sztpd_pair,
# svc_rsyslog, svc_nginx, then svc_named with svc_dns_zone's fragment and
# the FRAGMENTs given (e.g. records a failure variant adds).
svc_start_all() {
	local ns=$1
	shift
	svc_pki && svc_content && svc_sztpd_pair "$ns" && svc_rsyslog "$ns" && svc_nginx "$ns" &&
		svc_dns_zone >/dev/null && svc_named "$ns" "$SVC_DNS_ZONE" "$@"
}

# ---- stop -----------------------------------------------------------------------------------
# svc_stop: SIGTERM to every process started here, SIGKILL after 5 s.
svc_stop() {
	local p i alive
	[ ${#SVC_PIDS[@]} -eq 0 ] && return 0
	for p in "${SVC_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for i in $(seq 1 50); do
		alive=0
		for p in "${SVC_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for p in "${SVC_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	SVC_PIDS=()
	return 0
}
