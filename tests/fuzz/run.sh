#!/bin/sh
# A bounded libFuzzer run of one target:
#   tests/fuzz/run.sh OUT NAME SECONDS SEED...
# runs OUT/libfuzzer/NAME for SECONDS on a working corpus OUT/corpus/NAME,
# started from the SEED files and directories (copied: the committed corpus
# is never written to), and prints the executions reached. On a crash, a
# leak, a hang or running out of memory it fails, leaving the input in OUT/
# and printing the command that reproduces it. The full log is OUT/NAME.log.
set -eu
out=$1 name=$2 seconds=$3
shift 3
bin=$out/libfuzzer/$name
corpus=$out/corpus/$name
log=$out/$name.log
dict=tests/fuzz/$name.dict

mkdir -p "$corpus"
for seed in "$@"; do
	if [ -d "$seed" ]; then
		cp -- "$seed"/* "$corpus"/
	else
		cp -- "$seed" "$corpus"/
	fi
done
set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -close_fd_mask=3 -artifact_prefix="$out/$name-"
[ -f "$dict" ] && set -- "$@" -dict="$dict"

status=0
"$bin" "$@" "$corpus" >"$log" 2>&1 || status=$?

# libFuzzer's last status line ("#N DONE cov: C ft: F corp: U/S ...") and
# its final stats ("stat::number_of_executed_units: N").
stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
execs=$(stat number_of_executed_units)
rate=$(stat average_exec_per_sec)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
units=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)

if [ "$status" -eq 0 ]; then
	echo "fuzz $name: ${execs:-?} executions in ${seconds} s (${rate:-?}/s)," \
		"coverage ${cov:-?} edges, ${ft:-?} features, corpus ${units:-?} inputs"
	exit 0
fi
artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
grep -E '^(==[0-9]+==|SUMMARY|.*invariant broken|.*runtime error)' "$log" | head -n 20 >&2 || true
echo "fuzz $name: FAILED after ${execs:-?} executions (exit status $status); log: $log" >&2
if [ -n "$artifact" ]; then
	echo "fuzz $name: the input is $artifact; reproduce with" >&2
	echo "    $bin $artifact" >&2
fi
exit 1
