# shellcheck shell=bash disable=SC2034 # The CHECK_* results are read by the sourcing scripts.
# Check helpers for the end-to-end scripts. Source this file, call `check` and its
# variants for each expectation, and end the script with `check_summary`, which
# prints "N passed, N failed" and returns non-zero if any check failed.
#
# A failing check does not stop the script: the later checks still run and report,
# so one run shows every broken expectation.

CHECK_PASSED=0
CHECK_FAILED=0
CHECK_FAILED_NAMES=()

# Output of the last command that a check ran, for follow-up checks on its text.
CHECK_OUTPUT=

# 1 if the last check passed, 0 if it failed.
CHECK_LAST_PASSED=0

check_report_pass() {
	CHECK_PASSED=$((CHECK_PASSED + 1))
	CHECK_LAST_PASSED=1
	printf 'PASS: %s\n' "$1"
}

# Record a failure. DESCRIPTION names the check. DETAIL states what was expected and
# what was seen, and is printed indented under the FAIL line.
check_report_fail() {
	local description=$1 detail=$2

	CHECK_FAILED=$((CHECK_FAILED + 1))
	CHECK_LAST_PASSED=0
	CHECK_FAILED_NAMES+=("$description")
	printf 'FAIL: %s\n' "$description"
	printf '%s\n' "$detail" | sed 's/^/    /'
}

# check DESCRIPTION CMD...: pass if CMD exits 0. On failure, shows the command, its
# exit status and its output (stdout and stderr together).
check() {
	local description=$1 status=0
	shift

	CHECK_OUTPUT=$("$@" 2>&1) || status=$?

	if [[ $status -eq 0 ]]; then
		check_report_pass "$description"
	else
		check_report_fail "$description" "expected exit status 0 from: $(printf '%q ' "$@")
seen: exit status $status, output:
${CHECK_OUTPUT:-(no output)}"
	fi
}

# check_fails DESCRIPTION CMD...: pass if CMD exits non-zero.
check_fails() {
	local description=$1 status=0
	shift

	CHECK_OUTPUT=$("$@" 2>&1) || status=$?

	if [[ $status -ne 0 ]]; then
		check_report_pass "$description"
	else
		check_report_fail "$description" "expected a non-zero exit status from: $(printf '%q ' "$@")
seen: exit status 0, output:
${CHECK_OUTPUT:-(no output)}"
	fi
}

# check_output DESCRIPTION EXPECTED CMD...: pass if CMD exits 0 and its stdout, with
# trailing newlines removed, equals EXPECTED.
check_output() {
	local description=$1 expected=$2 status=0
	shift 2

	CHECK_OUTPUT=$("$@" 2>&1) || status=$?

	if [[ $status -eq 0 && $CHECK_OUTPUT == "$expected" ]]; then
		check_report_pass "$description"
	else
		check_report_fail "$description" "expected output '$expected' and exit status 0 from: $(printf '%q ' "$@")
seen: exit status $status, output:
${CHECK_OUTPUT:-(no output)}"
	fi
}

# check_contains DESCRIPTION PATTERN CMD...: pass if CMD exits 0 and its output
# matches the extended regular expression PATTERN on some line.
check_contains() {
	local description=$1 pattern=$2 status=0
	shift 2

	CHECK_OUTPUT=$("$@" 2>&1) || status=$?

	if [[ $status -eq 0 ]] && grep -Eq -- "$pattern" <<<"$CHECK_OUTPUT"; then
		check_report_pass "$description"
	else
		check_report_fail "$description" "expected a line matching /$pattern/ and exit status 0 from: $(printf '%q ' "$@")
seen: exit status $status, output:
${CHECK_OUTPUT:-(no output)}"
	fi
}

# check_eventually TIMEOUT_SECONDS DESCRIPTION CMD...: pass as soon as CMD exits 0,
# retrying every half second; fail with the last output once TIMEOUT_SECONDS pass.
check_eventually() {
	local timeout=$1 description=$2 status deadline
	shift 2

	deadline=$((SECONDS + timeout))
	while :; do
		status=0
		CHECK_OUTPUT=$("$@" 2>&1) || status=$?
		if [[ $status -eq 0 ]]; then
			check_report_pass "$description"
			return 0
		fi
		if ((SECONDS >= deadline)); then
			break
		fi
		sleep 0.5
	done

	check_report_fail "$description" "expected exit status 0 within $timeout s from: $(printf '%q ' "$@")
seen: exit status $status after $timeout s, last output:
${CHECK_OUTPUT:-(no output)}"
}

# Print the summary line and return 1 if any check failed. A script with no checks
# fails too, because it tested nothing.
check_summary() {
	local name

	printf '\n%d passed, %d failed\n' "$CHECK_PASSED" "$CHECK_FAILED"

	if [[ $CHECK_FAILED -gt 0 ]]; then
		printf 'failed checks:\n'
		for name in "${CHECK_FAILED_NAMES[@]}"; do
			printf '  %s\n' "$name"
		done
		return 1
	fi

	if [[ $CHECK_PASSED -eq 0 ]]; then
		printf 'error: no checks ran\n'
		return 1
	fi
}

# check_fails_with DESCRIPTION PATTERN CMD...: pass if CMD exits non-zero and its output
# matches the extended regular expression PATTERN on some line.
check_fails_with() {
	local description=$1 pattern=$2 status=0
	shift 2

	CHECK_OUTPUT=$("$@" 2>&1) || status=$?

	if [[ $status -ne 0 ]] && grep -Eq -- "$pattern" <<<"$CHECK_OUTPUT"; then
		check_report_pass "$description"
	else
		check_report_fail "$description" "expected a non-zero exit status and a line matching /$pattern/ from: $(printf '%q ' "$@")
seen: exit status $status, output:
${CHECK_OUTPUT:-(no output)}"
	fi
}
