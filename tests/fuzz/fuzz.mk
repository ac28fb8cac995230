# tests/fuzz/fuzz.mk - libFuzzer harnesses for every parser of the project.
#
#   make fuzz [FUZZ_SECONDS=N]            build and run every target N s (30)
#   make -f tests/fuzz/fuzz.mk build      build only (build-fuzz/fuzz_*)
#   make -f tests/fuzz/fuzz.mk run-NAME   run one target
#
# Everything is compiled with clang (-fsanitize=fuzzer,address,undefined
# -g -O1) from the sources into build-fuzz/; build/ is never touched.  Each
# run works on a temporary copy of tests/fuzz/corpus/NAME (new inputs never
# land in the repo); crashes, leaks and timeouts (-timeout) fail the run and
# leave their reproducer in build-fuzz/runs/NAME/artifacts/.  See
# docs/fuzzing.md.

FUZZ_SECONDS ?= 30
FUZZ_TIMEOUT ?= 10
export FUZZ_ARGS
B   := build-fuzz
GEN := $(B)/gen

FUZZ_CC ?= $(firstword $(shell command -v clang-14 clang 2>/dev/null))
ifeq ($(strip $(FUZZ_CC)),)
$(error make fuzz needs clang with libFuzzer: apt-get install -y clang-14 libclang-rt-14-dev)
endif

PKGS   := gnutls libmicrohttpd jansson sqlite3 libpq libyang libtasn1 nettle hogweed
SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# project sources: instrumented for coverage, no libFuzzer main
CFLAGS_SRC := -std=c11 -D_GNU_SOURCE -g -O1 $(SAN) -fsanitize=fuzzer-no-link \
	-Wall -Wextra -Wno-unused-parameter \
	-DSZTP_YANG_DIR='"$(CURDIR)/yang"' \
	-Ilib -Idb -Iadmin -Iserver -Ievents -I$(GEN) $(shell pkg-config --cflags $(PKGS))
# harnesses: ours, so warnings are errors
CFLAGS_FUZZ := $(CFLAGS_SRC) -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-DFUZZ_TOP='"$(CURDIR)"' -Itests/fuzz
LDFLAGS_FUZZ := -fsanitize=fuzzer,address,undefined
LDLIBS := $(shell pkg-config --libs $(PKGS)) -lpthread

LIB_SRC := $(wildcard lib/*.c) $(wildcard db/*.c)
LIB_OBJ := $(patsubst %.c,$(B)/%.o,$(LIB_SRC)) $(GEN)/cms_asn1_tab.o $(GEN)/migrations.o
# server modules with a parser; restconf's RPC handlers are stubbed by the harness
SRV_OBJ := $(B)/server/config.o $(B)/server/restconf.o $(B)/server/discovery.o \
           $(B)/server/http_parse.o
# the admin API whole (fuzz_admin_handle)
SRV_OBJ += $(patsubst %.c,$(B)/%.o,$(wildcard admin/*.c))
# the RFC 5424 formatter (fuzz_event)
SRV_OBJ += $(B)/events/syslog_sink.o $(B)/events/lease_keeper.o
HDRS    := $(wildcard lib/*.h db/*.h admin/*.h server/*.h events/*.h tests/fuzz/*.h)

TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
BINS    := $(addprefix $(B)/fuzz_,$(TARGETS))

# dictionaries (shared where the input language is the same)
DICT_cms_signed_parse       := tests/fuzz/dict/der.dict
DICT_cms_certs_only_parse   := tests/fuzz/dict/der.dict
DICT_cms_content_info_parse := tests/fuzz/dict/der.dict
DICT_cms_outer_type         := tests/fuzz/dict/der.dict
DICT_voucher_parse          := tests/fuzz/dict/voucher.dict
DICT_pki_pem_certs_parse    := tests/fuzz/dict/pem.dict
DICT_yang_rpc_input         := tests/fuzz/dict/yang.dict
DICT_yang_conveyed_validate := tests/fuzz/dict/yang.dict
DICT_yang_voucher_validate  := tests/fuzz/dict/voucher.dict
DICT_time_parse_rfc3339     := tests/fuzz/dict/time.dict
DICT_config_load            := tests/fuzz/dict/config.dict
DICT_restconf_handle        := tests/fuzz/dict/restconf.dict
DICT_http_head              := tests/fuzz/dict/restconf.dict
DICT_admin_handle           := tests/fuzz/dict/admin.dict

.PHONY: fuzz build check-clang $(addprefix run-,$(TARGETS))
.SECONDARY:

fuzz: $(addprefix run-,$(TARGETS))
	@echo "fuzz: $(words $(TARGETS)) targets ran $(FUZZ_SECONDS) s each without a crash, leak or timeout"

build: $(BINS)

$(B)/.clang-ok:
	@mkdir -p $(B)
	@printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
		> $(B)/clang-check.c
	@$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $(B)/clang-check $(B)/clang-check.c 2>/dev/null || \
		{ echo "make fuzz: $(FUZZ_CC) cannot link libFuzzer/ASan: apt-get install -y clang-14 libclang-rt-14-dev" >&2; exit 1; }
	@touch $@

$(B)/%.o: %.c $(HDRS) | $(B)/.clang-ok $(GEN)/cms_asn1_tab.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_SRC) -c -o $@ $<

$(B)/tests/fuzz/%.o: tests/fuzz/%.c $(HDRS) | $(B)/.clang-ok $(GEN)/cms_asn1_tab.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_FUZZ) -fsanitize=fuzzer -c -o $@ $<

$(GEN)/cms_asn1_tab.c: lib/cms.asn
	@mkdir -p $(GEN)
	asn1Parser -o $@ -n cms_asn1_tab $<

$(GEN)/migrations.c: $(sort $(wildcard db/migrations/*.sql db/migrations/pg/*.sql)) \
		scripts/embed-migrations.sh
	@mkdir -p $(GEN)
	sh scripts/embed-migrations.sh $(sort $(wildcard db/migrations/*.sql)) -- \
		$(sort $(wildcard db/migrations/pg/*.sql)) > $@.tmp && mv $@.tmp $@

$(GEN)/%.o: $(GEN)/%.c | $(B)/.clang-ok
	$(FUZZ_CC) $(CFLAGS_SRC) -Wno-missing-prototypes -c -o $@ $<

$(B)/libsztp.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libsrv.a: $(SRV_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(B)/libsrv.a $(B)/libsztp.a
	$(FUZZ_CC) $(LDFLAGS_FUZZ) -o $@ $^ $(LDLIBS)

$(addprefix run-,$(TARGETS)): run-%: $(B)/fuzz_%
	@sh tests/fuzz/run.sh $* $(B)/fuzz_$* $(FUZZ_SECONDS) $(FUZZ_TIMEOUT) $(DICT_$*)
