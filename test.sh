#!/usr/bin/env bash
# Builds and runs every test against real PostgreSQL, Redis and RabbitMQ (started by the AppHost under test),
# then prints one line "N passed, N failed" (", N skipped" when any) counted from the test results.
set -euo pipefail
cd "$(dirname "$0")"

results="$(pwd)/TestResults"
rm -rf "$results"

# The closing line is printed on every way out: a failed install or build, a failed test run, a signal (CI's
# timeout). It is counted from the test results: the <Counters> of every .trx file, summed (no interpreter needed).
print_summary() {
  local code=$? summary
  trap - EXIT
  summary=$(cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk '
    function count(name) { return match($0, name "=\"[0-9]+\"") ? substr($0, RSTART + length(name) + 2, RLENGTH - length(name) - 3) + 0 : 0 }
    { passed += count("passed"); failed += count("failed") + count("error") + count("timeout") + count("aborted")
      skipped += count("notExecuted") + count("inconclusive") + count("notRunnable") }
    END { line = (passed + 0) " passed, " (failed + 0) " failed"; if (skipped > 0) line = line ", " skipped " skipped"; print line }' || true)
  summary=${summary:-"0 passed, 0 failed"}

  if [[ -f "$results/fault-injection.md" ]]; then
    echo
    echo "Fault injection (Cloudtalk.Tests/Faults):"
    cat "$results/fault-injection.md"
  fi

  # CI shows only the end of the output: name each failed test there, with the first lines of its message.
  if [[ "$summary" != *" 0 failed"* ]]; then
    echo
    echo "Failed tests:"
    cat "$results"/*.trx 2>/dev/null | awk '
      /<UnitTestResult / && /outcome="(Failed|Error|Timeout|Aborted)"/ {
        match($0, /testName="[^"]*"/); print "- " substr($0, RSTART + 10, RLENGTH - 11); failed = 1; lines = 0 }
      failed && /<Message>/ { inMessage = 1; sub(/.*<Message>/, "") }
      inMessage { done = sub(/<\/Message>.*/, ""); if (lines++ < 6) print "    " $0; if (done) { inMessage = 0; failed = 0 } }' |
      sed -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e "s/&apos;/'/g" -e 's/&amp;/\&/g' || true
  fi

  echo
  echo "$summary"
  if [[ "$summary" == "0 passed, 0 failed"* ]]; then
    echo "No test ran." >&2
    code=1
  fi
  exit "$code"
}
trap print_summary EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/install-prerequisites.sh --for tests

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Build servers and reused MSBuild nodes would outlive this script and hold its output open.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false

status=0
if dotnet build Cloudtalk.sln -nodeReuse:false -v quiet -nologo; then
  dotnet test Cloudtalk.sln --no-build --results-directory "$results" \
    --logger "trx;LogFilePrefix=results" --logger "console;verbosity=normal" "$@" || status=$?
else
  status=1
fi
exit "$status"
