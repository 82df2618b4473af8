#!/usr/bin/env bash
# Installs the machine packages ActSearch's tests and default run need, only where missing.
# Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail

need=()
# (Later parts add: PostgreSQL server binaries, Chromium for the browser tests.)
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet not found)" >&2; exit 1; }

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
