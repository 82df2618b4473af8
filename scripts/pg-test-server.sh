#!/usr/bin/env bash
# A throwaway PostgreSQL for the storage tests, on loopback TCP with a password (so sign-in failures are real).
#   eval "$(bash scripts/pg-test-server.sh start)"    # starts it, prints: export ACTSEARCH_TEST_DB=...
#   dotnet test tests/ActSearch.Storage.Tests           # the tests use it instead of starting their own
#   bash scripts/pg-test-server.sh stop
# Without ACTSEARCH_TEST_DB the tests start an embedded server of their own the same way; this script is for
# pointing several test runs at one server, or looking at test data with psql.
# Env: PGTEST_DIR (default /tmp/actsearch-pg-test), PGTEST_PORT (default 55432).
set -euo pipefail
dir=${PGTEST_DIR:-/tmp/actsearch-pg-test}
port=${PGTEST_PORT:-55432}
password=actsearch-test

bin=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn) "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
  if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then bin=$d; break; fi
done
[ -n "$bin" ] || { echo "pg-test-server: no PostgreSQL server binaries; run: sudo apt-get install postgresql" >&2; exit 1; }

# PostgreSQL refuses to run as root: as root, run it in a user namespace (files stay root's), else as 'postgres'.
run=()
if [ "$(id -u)" -eq 0 ]; then
  if unshare --user --map-user=65534 --map-group=65534 true 2>/dev/null; then
    run=(unshare --user --map-user=65534 --map-group=65534 --)
  else
    user=postgres; id -u $user >/dev/null 2>&1 || user=nobody
    run=(runuser -u "$user" --)
  fi
fi

case "${1:-start}" in
  start)
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"; chmod 700 "$dir"
      pw=$(mktemp); echo "$password" >"$pw"; chmod 644 "$pw"
      [ "${run[0]:-}" = runuser ] && chown -R "${run[2]}:" "$dir" "$pw"
      "${run[@]}" "$bin/initdb" -D "$dir" -U actsearch --pwfile "$pw" --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C --no-sync --no-instructions >/dev/null
      rm -f "$pw"
      printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = ''\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n" \
        "$port" >>"$dir/postgresql.conf"
    fi
    "${run[@]}" "$bin/pg_ctl" start -D "$dir" -w -l "$dir/server.log" >/dev/null
    echo "export ACTSEARCH_TEST_DB='Host=127.0.0.1;Port=$port;Username=actsearch;Password=$password;Database=postgres'"
    ;;
  stop)
    "${run[@]}" "$bin/pg_ctl" stop -D "$dir" -m fast -w >/dev/null
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
