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

# Debian's PyTorch and SymPy: the export tests run the exported code with /usr/bin/python3.
for pkg in python3-torch python3-sympy; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done

# Debian's full Fashion-MNIST (/usr/share/datasets/fashion-mnist): fidelity rungs with `data: full` train on it, and a test
# regenerates the committed subset from it.
dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || need+=(dataset-fashion-mnist)

# Debian's Chromium: the web UI's browser tests (tests/ActSearch.Web.Tests) drive /usr/bin/chromium with Playwright.
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# kubectl (with its built-in kustomize): tests/ActSearch.Deploy.Tests renders k8s/ offline. The kubectl package is
# not in every apt source (Debian's own is kubernetes-client 1.20, too old for kustomize components), so a failed
# install only warns here and those tests fail with the same advice.
if ! command -v kubectl >/dev/null; then
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq kubectl >/dev/null; } \
    || echo "setup: could not install kubectl; the Kubernetes manifest tests need it on PATH" >&2
fi
