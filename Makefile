# sztp - RFC 8572 bootstrap server, admin CLI, PKI tool.
#
#   make              build everything into $(BUILD) (default build/)
#   make test         unit + end-to-end tests (prints "N passed, N failed")
#   make system       the system test: the whole SZTP network in network
#                     namespaces (root; tests/system, docs/deployment.md)
#   make asan         the same tests built with ASan/UBSan into build-asan/
#   make tsan         the same tests built with ThreadSanitizer into build-tsan/
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make lint         clang-format check, third-party includes by their owners
#   make fuzz         libFuzzer run of every parser (needs clang, see tests/fuzz)
#
# Settings are per build directory, so switching flavours never needs a
# distclean.  Warnings are errors.

BUILD   ?= build
PREFIX  ?= /usr/local
CC      ?= cc
PKGS    := gnutls libmicrohttpd jansson sqlite3 libpq libyang libtasn1 nettle hogweed
SAN     ?=

WARN    := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
           $(WARN) $(CFLAGS) $(SAN) \
           -DSZTP_YANG_DIR='"$(PREFIX)/share/sztp/yang"' \
           -Ilib -Idb -Iadmin -Ievents -I$(BUILD)/gen $(shell pkg-config --cflags $(PKGS) libcurl)
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -lpthread
LDFLAGS += $(SAN)

GEN        := $(BUILD)/gen
LIB_SRC    := $(wildcard lib/*.c) $(wildcard db/*.c)
LIB_OBJ    := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(GEN)/cms_asn1_tab.o $(GEN)/migrations.o
LIB        := $(BUILD)/libsztp.a
# events/ (issue 12): the outbox's consumers, webhooks and syslog, run by sztpd
SZTPD_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard server/*.c) $(wildcard events/*.c))
SRV_LIB    := $(BUILD)/libsztpd.a
ADMIN_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard admin/*.c))
ADMIN_LIB  := $(BUILD)/libsztpadmin.a
CTL_OBJ    := $(patsubst %.c,$(BUILD)/%.o,$(wildcard cli/*.c))
PKI_OBJ    := $(patsubst %.c,$(BUILD)/%.o,$(wildcard certs/*.c))
AGENT_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard agent/*.c))
CURL_LIBS  := $(shell pkg-config --libs libcurl)
# the agent's DNS source (agent/dns.c): glibc's stub resolver, res_nquery
RESOLV_LIBS := -lresolv
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
PROGS      := $(BUILD)/sztpd $(BUILD)/sztpctl $(BUILD)/sztp-pki $(if $(AGENT_OBJ),$(BUILD)/sztp-agent)

.PHONY: all test unit e2e asan install lint clean fuzz system
all: $(PROGS) $(UNIT_BIN)

$(BUILD)/%.o: %.c $(wildcard lib/*.h db/*.h admin/*.h server/*.h events/*.h cli/*.h certs/*.h agent/*.h) | $(GEN)/cms_asn1_tab.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(GEN)/cms_asn1_tab.c: lib/cms.asn
	@mkdir -p $(GEN)
	asn1Parser -o $@ -n cms_asn1_tab $<

$(GEN)/migrations.c: $(sort $(wildcard db/migrations/*.sql db/migrations/pg/*.sql)) scripts/embed-migrations.sh
	@mkdir -p $(GEN)
	sh scripts/embed-migrations.sh $(sort $(wildcard db/migrations/*.sql)) -- \
		$(sort $(wildcard db/migrations/pg/*.sql)) > $@.tmp && mv $@.tmp $@

$(GEN)/%.o: $(GEN)/%.c
	$(CC) $(filter-out -Wmissing-prototypes,$(ALL_CFLAGS)) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# server modules minus main(), so unit tests can link them
$(SRV_LIB): $(filter-out $(BUILD)/server/main.o,$(SZTPD_OBJ))
	@rm -f $@
	ar rcs $@ $^

# the admin API (admin/): served by sztpd, called in-process by sztpctl
$(ADMIN_LIB): $(ADMIN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/sztpd: $(BUILD)/server/main.o $(SRV_LIB) $(ADMIN_LIB) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CURL_LIBS)
# sztpctl reads sztpd's config through sztpd's own table (server/config.c)
$(BUILD)/sztpctl: $(CTL_OBJ) $(BUILD)/server/config.o $(ADMIN_LIB) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CURL_LIBS)
$(BUILD)/sztp-pki: $(PKI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/sztp-agent: $(AGENT_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CURL_LIBS) $(RESOLV_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB) $(SRV_LIB) $(ADMIN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -Iserver $(LDFLAGS) -o $@ $< $(SRV_LIB) $(ADMIN_LIB) $(LIB) $(LDLIBS) $(CURL_LIBS)
# includes sztpctl's command table
$(BUILD)/tests/test_ctl_usage: cli/sztpctl.c cli/ctl.h

test: all
	BUILD=$(BUILD) sh tests/run.sh

unit: all
	BUILD=$(BUILD) sh tests/run.sh unit

e2e: all
	BUILD=$(BUILD) sh tests/run.sh e2e

# DHCP (Kea, dnsmasq, relay, dhclient, udhcpc), BIND, nginx, rsyslog and
# two sztpd with real devices, in network namespaces: needs root
system: all
	BUILD=$(BUILD) sh tests/system/run.sh

asan:
	$(MAKE) BUILD=build-asan SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" CFLAGS="-O1 -g" test

# sztpd's threads (workers, journal, suspended requests): any race report fails
tsan:
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$(CURDIR)/tests/tsan.supp $(TSAN_OPTIONS)" \
	$(MAKE) BUILD=build-tsan SAN="-fsanitize=thread" CFLAGS="-O1 -g" test

# share/sztp/hooks: the device's DHCP glue (docs/deployment.md), the
# dhclient exit hook and option definitions, the busybox udhcpc script
install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)$(PREFIX)/share/sztp/yang $(DESTDIR)$(PREFIX)/share/sztp/examples \
	  $(DESTDIR)$(PREFIX)/share/sztp/hooks
	install -m 0755 $(BUILD)/sztpd $(DESTDIR)$(PREFIX)/sbin/sztpd
	install -m 0755 $(filter-out $(BUILD)/sztpd,$(PROGS)) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 yang/*.yang $(DESTDIR)$(PREFIX)/share/sztp/yang/
	install -m 0644 conf/sztpd.conf conf/sztpd.service $(DESTDIR)$(PREFIX)/share/sztp/examples/
	install -m 0644 agent/hooks/dhclient-exit-hook agent/hooks/dhclient-sztp.conf \
	  $(DESTDIR)$(PREFIX)/share/sztp/hooks/
	install -m 0755 agent/hooks/udhcpc.script $(DESTDIR)$(PREFIX)/share/sztp/hooks/
	$(if $(wildcard docs/openapi.json),install -m 0644 docs/openapi.json $(DESTDIR)$(PREFIX)/share/sztp/openapi.json)

# Benchmark (issue 4): bench/*.c tools, then bench/run.sh prints the figures
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS) $(CURL_LIBS)

.PHONY: bench tsan
bench: all $(BENCH_BINS)
	BUILD=$(BUILD) bash bench/run.sh

# libFuzzer harnesses for every parser (clang); FUZZ_SECONDS per target
fuzz:
	$(MAKE) -f tests/fuzz/fuzz.mk FUZZ_SECONDS=$(or $(FUZZ_SECONDS),30)

lint:
	clang-format --dry-run --Werror $(wildcard lib/*.[ch] db/*.[ch] server/*.[ch] events/*.[ch] cli/*.[ch] certs/*.[ch] agent/*.[ch])
	sh scripts/check-includes.sh

clean:
	rm -rf build build-asan build-tsan
