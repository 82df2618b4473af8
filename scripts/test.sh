#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine with the .NET 10 SDK: installs what the tests need
# (idempotent), builds once in Release, runs each test project, and ends with "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# A throwaway PostgreSQL for the integration tests (each test makes its own database in it), stopped at exit.
pg_root=$(mktemp -d /tmp/actsearch-pg.XXXXXX)
export PGTEST_DIR=$pg_root/data PGTEST_PORT=${PGTEST_PORT:-55432}
eval "$(bash scripts/pg-test-server.sh start)"
trap 'bash scripts/pg-test-server.sh stop || true; rm -rf "$pg_root"' EXIT

dotnet build ActSearch.sln -c Release -warnaserror --nologo -v quiet
log=$(mktemp)
status=0
dotnet test ActSearch.sln -c Release --no-build --nologo 2>&1 | tee "$log" || status=$?

# One closing line that any CI can read, summed over the test assemblies.
awk '/^(Passed|Failed)!/ {
       for (i = 1; i <= NF; i++) {
         if ($i == "Failed:") f += $(i + 1) + 0
         if ($i == "Passed:") p += $(i + 1) + 0
       }
     }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit $status
