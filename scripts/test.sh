#!/usr/bin/env bash
# What `npm test` runs: bring the real test environment up (engine, registries, stand-in images),
# then build, type-check, lint, check the formatting and run vitest against it. Extra arguments go to vitest
# (`npm test -- test/env` runs one folder). Every step runs even when an earlier one failed, so one
# run reports everything; the exit status is non-zero when any step failed.
# With CI=true, a test that vitest skipped (skip/todo/only elsewhere) fails the run too.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

step() { printf '\n== %s\n' "$*" >&2; }

step "scripts/test-env up"
if ! exports=$(scripts/test-env up); then
  echo "test.sh: the test environment did not come up (see the messages above); nothing else was run" >&2
  exit 1
fi
eval "$exports"

failed=()
run_step() { # label command...
  step "$1"
  shift
  "$@" || failed+=("$*")
}

run_step "build" npm run --silent build
run_step "typecheck" npm run --silent typecheck
run_step "lint" npm run --silent lint
run_step "format" npm run --silent format:check

report=""
if [[ "${CI:-}" == true ]]; then
  report=$(mktemp -t cogts-vitest-XXXXXX.json)
  run_step "vitest" npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@"
  step "no skipped tests (CI=true)"
  if [[ -s "$report" ]]; then
    # shellcheck disable=SC2016 # JavaScript, not shell
    node -e '
      const report = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
      const notRun = report.testResults.flatMap((file) =>
        file.assertionResults
          .filter((test) => test.status !== "passed" && test.status !== "failed")
          .map((test) => `${file.name}: ${test.fullName} (${test.status})`));
      if (notRun.length > 0) {
        console.error(`${notRun.length} test(s) did not run, which CI does not allow:\n  ${notRun.join("\n  ")}`);
        process.exit(1);
      }
      console.error(`all ${report.numTotalTests} tests ran`);
    ' "$report" || failed+=("skipped tests")
  else
    echo "vitest wrote no report to $report" >&2
    failed+=("vitest report")
  fi
  rm -f "$report"
else
  run_step "vitest" npx vitest run "$@"
fi

if ((${#failed[@]} > 0)); then
  printf '\ntest.sh: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
printf '\ntest.sh: all steps passed\n' >&2
