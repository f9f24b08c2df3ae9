#!/bin/sh
# Run every libFuzzer target in a fuzz build for a bounded time each.
# New interesting inputs go to build/fuzz-corpus/<name> (a scratch copy of
# fuzz/<name>); a crash leaves crash-* in the current directory and fails.
# Usage: scripts/fuzz.sh FUZZ_BUILD_DIR SECONDS
set -eu
dir=$1
secs=$2
status=0
for bin in "$dir"/fuzz/*_fuzz; do
	name=$(basename "$bin" _fuzz)
	work=build/fuzz-corpus/$name
	mkdir -p "$work"
	cp -n fuzz/"$name"/* "$work"/ 2>/dev/null || true
	echo "==> fuzz $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="build/fuzz-$name-" "$work" 2>build/fuzz-$name.log; then
		echo "fuzz $name: FAILED; see build/fuzz-$name.log and build/fuzz-$name-*" >&2
		tail -30 build/fuzz-$name.log >&2
		status=1
	else
		grep -E 'stat::number_of_executed_units|cov:' build/fuzz-$name.log | tail -2
	fi
done
exit $status
