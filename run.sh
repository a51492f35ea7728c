#!/usr/bin/env bash
# Runs the whole system: the Aspire AppHost, its dashboard, PostgreSQL, RabbitMQ, Redis, the Api and Rating.
# Arguments go to the AppHost, e.g. ./run.sh --backing local. Stop with Ctrl+C (or SIGTERM).
set -euo pipefail
cd "$(dirname "$0")"

scripts/install-prerequisites.sh --for run

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Release builds: this is the system people measure and demo, not the one they step through.
exec dotnet run --project Cloudtalk.AppHost -c Release --launch-profile http -- "$@"
