# shellcheck shell=bash
# The case loop the tiny-guest and init suites share. Source it, add cases
# with `add DESCRIPTION FUNCTION ARG...` (arguments without spaces), set
# `skip` to a reason to skip them all (or ""), then `cases_run`.
#
# Each case runs in a directory of its own, $D = $TMP/N (made first); the
# script's case_setup hook runs there before it, if defined. A case appends
# the reasons it failed to the array `why`, or sets `skipwhy`. For a failed
# case the script's case_evidence hook prints what shows why ('#'-prefixed).
# Prints "ok N - ..." / "not ok N - ..." per case, then "N passed,
# N failed[, N skipped]"; returns 1 if a case failed.

DESC=()
CMD=()
add() {
	DESC+=("$1")
	shift
	CMD+=("$*")
}

# cases_one I: runs case I; prints its line; sets `outcome` (pass|fail|skip)
cases_one() {
	local i=$1 n=$(($1 + 1)) cmd w
	D=$TMP/$n
	mkdir -p "$D"
	why=()
	skipwhy=""
	! declare -F case_setup >/dev/null || case_setup
	read -r -a cmd <<<"${CMD[i]}"
	"${cmd[@]}"
	if [ -n "$skipwhy" ]; then
		echo "ok $n - ${DESC[i]} # SKIP $skipwhy"
		outcome=skip
	elif [ ${#why[@]} -eq 0 ]; then
		echo "ok $n - ${DESC[i]}"
		outcome=pass
	else
		echo "not ok $n - ${DESC[i]}"
		for w in "${why[@]}"; do
			printf '%s\n' "$w" | sed 's/^/#   /'
		done
		! declare -F case_evidence >/dev/null || case_evidence
		outcome=fail
	fi
}

cases_run() {
	local i passed=0 failed=0 skipped=0 outcome
	for i in "${!DESC[@]}"; do
		if [ -n "$skip" ]; then
			echo "ok $((i + 1)) - ${DESC[i]} # SKIP $skip"
			outcome=skip
		else
			cases_one "$i"
		fi
		case $outcome in
		pass) passed=$((passed + 1)) ;;
		fail) failed=$((failed + 1)) ;;
		skip) skipped=$((skipped + 1)) ;;
		esac
	done
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" -eq 0 ]
}
