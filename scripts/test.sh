#!/usr/bin/env bash
# Quick start, second command, and what CI runs: install, make sure PostgreSQL and
# Redis run, then lint, typecheck and the tests, ending on one summary line
# "Tests: N passed, M failed[, K skipped]" read from vitest's JSON report.
# Extra arguments go to vitest (e.g. scripts/test.sh packages/core).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

REPORT=.test-results/vitest.json
# Turbo would otherwise try to send telemetry, and our machines have no network for it.
export TURBO_TELEMETRY_DISABLED=1

require_node

step "Dependencies"
install_dependencies

step "Checking PostgreSQL and Redis"
ensure_services

step "Test peers (Kannel, an SMPP SMSC, Chromium)"
ensure_test_peers

# Lint and typecheck failures do not stop the run: the tests still tell what works.
failed=()
step "Lint"
run_pnpm lint || failed+=(lint)
step "Typecheck"
run_pnpm typecheck || failed+=(typecheck)

# The browser tests drive the built console (a few seconds; it also checks the
# first load's size budget).
step "Console build"
(build_console) || failed+=("console build")

# No "--" before the flags: pnpm would pass it on and vitest would then ignore them.
step "Tests"
rm -f "$REPORT"
tests_failed=0
run_pnpm test --reporter=default --reporter=json --outputFile.json="$REPORT" "$@" || tests_failed=1

# Counts come from the report rather than vitest's exit code, so the line is true
# even when vitest fails for another reason (exit 2: no readable report).
summary_rc=0
summary="$(node -e '
  const fs = require("fs");
  let r;
  try {
    r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  } catch {
    process.exit(2);
  }
  const skipped = r.numPendingTests + r.numTodoTests;
  let line = `Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`;
  if (skipped > 0) line += `, ${skipped} skipped`;
  process.stdout.write(line + "\n");
  process.exit(r.success && r.numFailedTests === 0 ? 0 : 1);' "$REPORT")" || summary_rc=$?
if ((summary_rc == 2)); then
  failed+=("tests (no readable report at $REPORT: vitest did not finish)")
elif ((tests_failed || summary_rc)); then
  failed+=(tests)
fi

echo
if ((${#failed[@]} > 0)); then
  printf 'FAILED: %s\n' "${failed[@]}"
fi
# The last line, for people and CI alike.
[[ -n "$summary" ]] && echo "$summary"
((${#failed[@]} == 0))
