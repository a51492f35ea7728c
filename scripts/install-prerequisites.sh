#!/usr/bin/env bash
# Installs what Cloudtalk needs on this machine and nothing more.
#   --for run   : where Docker answers, the AppHost uses containers and nothing is installed;
#                 otherwise the local PostgreSQL, Redis and RabbitMQ servers are installed.
#   --for tests : the tests always run the backing servers locally (no containers), so they are installed, and wrk
#                 (the load generator: a test runs the benchmark harness briefly to keep it working).
# Debian/Ubuntu packages, without recommends; as root or through sudo.
set -euo pipefail

purpose=run
[[ "${1:-}" == "--for" ]] && purpose="${2:-run}"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required: https://dotnet.microsoft.com/download" >&2
  exit 1
fi

if [[ "$purpose" == run ]] && command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then
  echo "Docker answers: the AppHost runs PostgreSQL, RabbitMQ and Redis as containers; nothing to install."
  exit 0
fi

missing=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql-15)
[[ -x /usr/bin/redis-server ]] || missing+=(redis-server)
[[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || missing+=(rabbitmq-server)
[[ -x /usr/bin/setpriv ]] || missing+=(util-linux)
if [[ "$purpose" == tests ]] && ! command -v wrk >/dev/null 2>&1; then
  missing+=(wrk)
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing: ${missing[*]}. Install them with your package manager, or run with Docker (containers)." >&2
  exit 1
fi

sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
  sudo=(sudo)
fi

echo "Installing ${missing[*]} (local backing servers, without recommends)..."
"${sudo[@]}" apt-get update -qq
# Debian's maintainer scripts try to start the servers; with no init system that is a no-op, and the AppHost
# runs its own instances anyway.
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Installed ${missing[*]}."
