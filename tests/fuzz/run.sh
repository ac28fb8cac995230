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
known=0
for f in tests/fuzz/corpus/"$name"/*; do
	[ -f "$f" ] || continue
	case ${f##*/} in
	crash-* | timeout-* | leak-* | oom-*) # a known bug's reproducer: must not fail any more
		if ! "$bin" -timeout="$tmo" "$f" >"$out/known-${f##*/}.log" 2>&1; then
			echo "FAIL $name: known reproducer $f still fails (log $out/known-${f##*/}.log)" >&2
			known=$((known + 1))
		fi ;;
	*) cp "$f" "$work"/ ;;
	esac
done
set -- -max_total_time="$secs" -timeout="$tmo" -rss_limit_mb=2048 -max_len=16384 \
	-print_final_stats=1 -artifact_prefix="$out/artifacts/"
[ -n "$dict" ] && set -- "$@" -dict="$dict"
# extra libFuzzer flags, e.g. FUZZ_ARGS="-fork=2 -ignore_crashes=1" to
# collect several distinct crashes in one run (word splitting intended)
# shellcheck disable=SC2086
set -- "$@" ${FUZZ_ARGS:-}
"$bin" "$@" "$work" >"$out/log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log")
cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$out/log" | tail -n 1)
if [ "$rc" -ne 0 ]; then
	echo "FAIL $name: exit $rc after ${runs:-?} runs (log $out/log)" >&2
	grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|ALARM|.*Test unit written|.*broken promise|result )' "$out/log" | head -n 20 >&2
	ls -l "$out/artifacts" >&2
	exit 1
fi
[ "$known" -eq 0 ] || exit 1
echo "ok   $name: ${runs:-?} runs in ${secs}s, ${cov:-no coverage line}, $(ls "$work" | wc -l) corpus entries"
