#!/bin/sh
# run.sh NAME BINARY SECONDS TIMEOUT [DICT] - one libFuzzer run of a target
# on a temporary copy of its seed corpus (tests/fuzz/corpus/NAME; nothing
# is written back into the repo).  Output goes to build-fuzz/runs/NAME/log,
# reproducers to build-fuzz/runs/NAME/artifacts/.  Exits non-zero on a
# crash, sanitizer report, leak or timeout.
set -u
name=$1 bin=$2 secs=$3 tmo=$4 dict=${5:-}
out=build-fuzz/runs/$name
rm -rf "$out"
mkdir -p "$out/artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/sztp-fuzz-$name.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
if [ -d "tests/fuzz/corpus/$name" ]; then
	cp tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
fi
set -- -max_total_time="$secs" -timeout="$tmo" -rss_limit_mb=2048 -max_len=16384 \
	-print_final_stats=1 -artifact_prefix="$out/artifacts/"
[ -n "$dict" ] && set -- "$@" -dict="$dict"
"$bin" "$@" "$work" >"$out/log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log")
cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$out/log" | tail -n 1)
if [ "$rc" -ne 0 ]; then
	echo "FAIL $name: exit $rc after ${runs:-?} runs (log $out/log)" >&2
	grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|ALARM|.*Test unit written)' "$out/log" | head -n 20 >&2
	ls -l "$out/artifacts" >&2
	exit 1
fi
echo "ok   $name: ${runs:-?} runs in ${secs}s, ${cov:-no coverage line}, $(ls "$work" | wc -l) corpus entries"
