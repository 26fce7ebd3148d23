#!/usr/bin/env bash
# Runs Lockout's tests against real Redis, PostgreSQL and a Kafka-protocol broker (librdkafka's mock cluster,
# which ships with Confluent.Kafka). Installs the Debian packages the tests need when apt-get is available
# (redis-server, postgresql, and wrk for the benchmark's smoke).
# Extra arguments go to `dotnet test` (for example: --filter-class "Lockout.Tests.Pipeline.*").
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  missing+=(postgresql)
fi
# The benchmark's smoke test drives load with wrk where it is installed (and its own generator otherwise).
command -v wrk >/dev/null 2>&1 || missing+=(wrk)

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "Installing ${missing[*]} ..."
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "The tests need ${missing[*]}: install them with your package manager (Debian: apt-get install redis-server postgresql)." >&2
    exit 1
  fi
fi

exec dotnet test --solution Lockout.sln "$@"
