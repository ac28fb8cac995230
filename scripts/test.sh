#!/bin/sh
# One command for all the tests on a fresh Debian 12 machine (as root):
# installs the dependencies, builds, runs a short libFuzzer smoke run of
# every parser (`make fuzz`, FUZZ_SECONDS each, 3 by default; 0 skips it),
# `make test`, the system test (`make system`: the whole SZTP network in
# network namespaces, needs root), then the same tests under ASan/UBSan
# (`make asan`).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -j"$(nproc)" all
if [ "${FUZZ_SECONDS:-3}" != 0 ]; then
	make -j"$(nproc)" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-3}"
fi
make test
make system
make asan
