#!/bin/sh
# One command for all the tests on a fresh Debian 12 machine (as root):
# installs the dependencies, builds, runs `make test`, then the same tests
# under ASan/UBSan (`make asan`).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -j"$(nproc)" all
make test
make asan
