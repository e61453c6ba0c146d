#!/usr/bin/env bash
# Runs every test: unit, integration (real gRPC socket, real SQLite file) and end-to-end
# (the daemon as its own process). Installs and starts what the tests need first.
set -euo pipefail
cd "$(dirname "$0")"
dotnet test MtaStsReporting.sln "$@"
