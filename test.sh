#!/usr/bin/env bash
# Builds and runs every test against real PostgreSQL, Redis and RabbitMQ (started by the AppHost under test),
# then prints one line "N passed, N failed" (", N skipped" when any) counted from the test results.
set -euo pipefail
cd "$(dirname "$0")"

scripts/install-prerequisites.sh --for tests

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Build servers and reused MSBuild nodes would outlive this script and hold its output open.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false

results="$(pwd)/TestResults"
rm -rf "$results"

dotnet build Cloudtalk.sln -nodeReuse:false -v quiet -nologo
status=0
dotnet test Cloudtalk.sln --no-build --results-directory "$results" \
  --logger "trx;LogFilePrefix=results" --logger "console;verbosity=normal" "$@" || status=$?

summary=$(python3 - "$results" <<'PY' 2>/dev/null || true
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    for result in ET.parse(path).getroot().iterfind(".//t:UnitTestResult", ns):
        outcome = result.get("outcome")
        if outcome == "Passed":
            passed += 1
        elif outcome in ("Failed", "Error", "Timeout", "Aborted"):
            failed += 1
        else:
            skipped += 1
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
PY
)

if [[ -z "$summary" ]]; then
  # No python3: count from the trx counters with grep.
  summary=$(grep -ho '<Counters [^>]*>' "$results"/*.trx 2>/dev/null | head -1 |
    sed -E 's/.* passed="([0-9]+)" failed="([0-9]+)".*/\1 passed, \2 failed/' || true)
fi
summary=${summary:-"0 passed, 0 failed"}

if [[ -f "$results/fault-injection.md" ]]; then
  echo
  echo "Fault injection (Cloudtalk.Tests/Faults):"
  cat "$results/fault-injection.md"
fi

echo
echo "$summary"

if [[ "$summary" == "0 passed, 0 failed"* ]]; then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"
