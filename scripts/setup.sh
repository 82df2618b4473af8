#!/usr/bin/env bash
# Installs the machine packages ActSearch's tests and default run need, only where missing.
# Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet not found)" >&2; exit 1; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()

# PostgreSQL server binaries (initdb, pg_ctl, postgres): the storage tests, and `actsearch run` without
# ACTSEARCH_DB, start a private server from them. Only the binaries are needed: the package must not
# create or start a cluster of its own.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  $sudo mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/actsearch.conf >/dev/null
  need+=(postgresql)
fi

if [ ${#need[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
