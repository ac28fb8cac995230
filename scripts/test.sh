#!/bin/sh
# One command for all the tests on a fresh Debian 12 machine (as root):
# installs the dependencies, builds, and runs `make test`.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -j"$(nproc)" all
make test
