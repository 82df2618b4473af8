#!/usr/bin/env bash
# Issue 18's robustness table against a real `actsearch serve` (embedded PostgreSQL, a fresh ACTSEARCH_HOME), run from a
# folder outside the repository with a copy of the Release build: database outages mid-job (the embedded server stopped
# with `pg_ctl stop -m immediate`, started again after each of OUTAGES seconds, default "20"), a population of 100,000 under a budget of 4, the job
# list while a huge job runs, 100 event streams and the database's connections, cancel and stop with a 100,000-candidate
# generation, malformed input's status codes, the UI's headers, the embedded application role, and first use (`run`, then `activations` and `jobs`
# without a server). Build first (dotnet build ActSearch.sln -c Release); takes about two minutes plus the outages; prints
# what it saw.
set -uo pipefail
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/src/ActSearch.Cli/bin/Release/net10.0}
work=$(mktemp -d /tmp/i18.XXXX); cd "$work"
cp -r "$BIN" app
export ACTSEARCH_HOME=$work/home ACTSEARCH_API_TOKENS=secret ACTSEARCH_URLS=http://127.0.0.1:5599 ACTSEARCH_SLOTS=2
B=http://127.0.0.1:5599; T="Authorization: Bearer secret"
# Starts serve (its log in $1) and waits until it listens; a server that cannot start stops the check with its message.
start_serve() {
  ./app/actsearch serve > "$1" 2>&1 &
  srv=$!
  for i in $(seq 120); do grep -q "listening on" "$1" && break; kill -0 $srv 2>/dev/null || break; sleep 1; done
  if ! grep -q "listening on" "$1"; then echo "serve did not start:"; head -c 600 "$1"; echo; exit 1; fi
}
# Waits for a serve that was sent SIGTERM to exit (60 s allowed), and says how long it took.
serve_stopped() {
  t0=$(date +%s); for i in $(seq 60); do kill -0 $srv 2>/dev/null || break; sleep 1; done
  echo "serve stopped after $(( $(date +%s) - t0 )) s (of 60 allowed)"; kill -9 $srv 2>/dev/null
}
trap 'kill -TERM $srv 2>/dev/null; wait $srv 2>/dev/null' EXIT # an interrupted check leaves no server behind
start_serve serve.log
echo "== serve up"
sock=$ACTSEARCH_HOME/postgres
q() { psql -h "$sock" -U actsearch -d actsearch -Atc "$1" 2>&1; }
api() { curl -s -w '\n%{http_code}' "$B/api/jobs/$1" | python3 -c '
import json,sys
body, code = sys.stdin.read().rsplit("\n", 1)
j = json.loads(body) if body.strip() else {}
print(j["state"], "scored", j["scored"], "in flight", j["inFlight"]) if code == "200" else print(code, j.get("title"), "-", j.get("detail"))'; }
pgctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | tail -1)
# pg_ctl as the embedded server runs it (src/ActSearch.Storage/Embedded/Launcher.cs): as root, inside a user namespace
# that maps root to 'nobody' when the data directory is root's, else as the service user that owns it.
pgc() {
  if [[ $(id -u) != 0 ]]; then "$pgctl" "$@"
  elif [[ $(stat -c %U "$sock") == root ]]; then unshare --user --map-user=65534 --map-group=65534 -- "$pgctl" "$@"
  else runuser -u "$(stat -c %U "$sock")" -- "$pgctl" "$@"; fi
}
small=$(cat <<'Y'
name: outage
kind: activation
seed: 3
tasks: [regression]
genome: {representation: tree, unary: [neg, exp, tanh, sigmoid], binary: [add, sub, mul, div], constants: [0.5, 1, 2], max_nodes: 9, max_depth: 4}
evolution: {strategy: regularized, population: 32, tournament: 3, offspring_per_generation: 8}
objectives: [loss@regression, complexity]
budget: {evaluations: 400}
Y
)
for outage in ${OUTAGES:-20}; do
  echo "== row 1: a database outage of $outage s mid-job (budget 400)"
  oid=$(curl -s -H "$T" -H 'Content-Type: application/yaml' --data-binary "$small" "$B/api/jobs?name=outage-$outage" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  for i in $(seq 120); do n=$(q "select count(*) from outcomes where job_id = '$oid'"); [[ $n =~ ^[0-9]+$ && $n -ge 60 ]] && break; sleep 0.5; done
  echo "before: api $(api "$oid"); stored $(q "select status from jobs where id = '$oid'"), $(q "select count(*) from outcomes where job_id = '$oid'") outcomes"
  pgc stop -D "$sock" -m immediate > /dev/null && echo "database stopped (immediate)"
  sleep 3
  curl -s -w " <- /readyz %{http_code}\n" "$B/readyz" | tr -d '\n' | cut -c1-300; echo
  echo "during: api $(api "$oid")"
  sleep $((outage - 3))
  pgc start -D "$sock" -w -l "$sock/server.log" > /dev/null && echo "database started again after $outage s"
  for i in $(seq 600); do [[ $(q "select status from jobs where id = '$oid'") =~ ^(finished|failed|cancelled)$ ]] && break; sleep 1; done
  echo "after: $i s to the end; api $(api "$oid"); stored $(q "select status from jobs where id = '$oid'")"
  echo "candidates $(q "select count(*) from candidates where job_id = '$oid'"), outcomes $(q "select count(*) from outcomes where job_id = '$oid'"), candidates with other than one outcome: $(q "select count(*) from candidates c where job_id = '$oid' and (select count(*) from outcomes o where o.job_id = c.job_id and o.candidate_id = c.id) <> 1")"
done
# The issue's reproduction: row 1's space with a population of 100,000.
space=$(sed -e 's/^name: outage/name: big-pop/; s/^seed: 3/seed: 7/; s/population: 32/population: 100000/; s/offspring_per_generation: 8/offspring_per_generation: 4/' <<< "$small")
echo "== row 2: population 100000, budget 4"
id=$(curl -s -H "$T" -H 'Content-Type: application/yaml' --data-binary "$space" "$B/api/jobs?budget=4&name=huge" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for k in 1 2 3; do curl -s -o /dev/null -w "GET /api/jobs: %{http_code} in %{time_total}s\n" "$B/api/jobs"; done
sleep 3
curl -s "$B/api/jobs/$id" | python3 -c 'import json,sys; j=json.load(sys.stdin); print("job:", j["state"], "scored", j["scored"], "cancelled", j["cancelled"])'
echo "== row 3: 100 event streams"
long=$(curl -s -H "$T" -H 'Content-Type: application/yaml' --data-binary "$space" "$B/api/jobs?budget=100000&name=long" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
pids=()
for k in $(seq 100); do curl -s -N "$B/api/jobs/$long/events" > /dev/null & pids+=($!); done
sleep 10
echo "server connections with 100 streams open: $(q "select count(*) from pg_stat_activity where backend_type = 'client backend'")"
curl -s -o /dev/null -w "GET /api/jobs with 100 streams and the long job: %{http_code} in %{time_total}s\n" "$B/api/jobs"
kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
sleep 2
echo "psql right after the streams closed: $(q 'select 1')"
# A deploy's SIGTERM 2 s into the cancel (the cancel of ~90,000 queued candidates writes for several seconds), then serve
# started again: a cancel that answered 200 must end the job cancelled, not resume its search.
curl -s -o /dev/null -w "cancel long job (serve stopped 2 s into it): %{http_code} in %{time_total}s\n" -X POST -H "$T" "$B/api/jobs/$long/cancel" &
cpid=$!
sleep 2
echo "long job 2 s into the cancel: stored $(q "select status || ', cancel requested: ' || (details::json->>'cancelRequestedAtTicks' is not null) from jobs where id = '$long'")"
kill -TERM $srv; wait $cpid; serve_stopped
start_serve serve2.log
for i in $(seq 120); do [[ $(q "select status from jobs where id = '$long'") =~ ^(finished|failed|cancelled)$ ]] && break; sleep 1; done
echo "long job after serve started again: api $(api "$long"), stored $(q "select status from jobs where id = '$long'"), outcomes $(q "select count(*) from outcomes where job_id = '$long'") of $(q "select count(*) from candidates where job_id = '$long'") candidates"
echo "== row 4: status codes for malformed input"
code() { curl -s -o "$work/body" -w "%{http_code}" "$@"; echo " $(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j.get("detail") or j.get("title"))' "$work/body" 2>/dev/null | cut -c1-110)"; }
echo "lone surrogate in JSON: $(code -H "$T" -H 'Content-Type: application/json' --data-binary '{"space": "\ud800"}' "$B/api/jobs")"
echo "NUL in ?name=: $(code -H "$T" -H 'Content-Type: application/yaml' --data-binary "$small" "$B/api/jobs?name=a%00b")"
echo "NUL in the catalog's q: $(code "$B/api/activations?q=x%00")"
echo "budget=2147483647: $(code -H "$T" -H 'Content-Type: application/yaml' --data-binary "$small" "$B/api/jobs?budget=2147483647")"
echo "unknown envelope field: $(code -H "$T" -H 'Content-Type: application/json' --data-binary '{"space": "name: x", "colour": 1}' "$B/api/jobs")"
echo "state=running,paused: $(code "$B/api/jobs?state=running,paused")"
rm -f "$work/body"
echo "== row 5: headers, role"
curl -s -D - -o /dev/null "$B/" | grep -iE "content-security|x-frame|referrer" | tr -d '\r'
echo "app role superuser? $(psql -h "$sock" -U actsearch_app -d actsearch -Atc "select rolsuper from pg_roles where rolname = current_user")"
echo "pg_read_file as the app role: $(psql -h "$sock" -U actsearch_app -d actsearch -Atc "select pg_read_file('PG_VERSION')" 2>&1 | head -1)"
kill -TERM $srv; serve_stopped
echo "== row 6: first use from another folder"
./app/actsearch run swish-core-unit --budget 6 > run.out 2> run.err; echo "run exit $?"
sed -n 3p run.out; tail -4 run.out; echo "last byte of the output: $(tail -c 1 run.out | od -An -c)"
mkdir nodata; ACTSEARCH_DATA=$work/nodata ./app/actsearch run swish-core-unit --budget 40 > nodata.out 2>&1; echo "run with an empty ACTSEARCH_DATA: exit $?"
grep -E "^(failed|error)|x " nodata.out | head -3 | cut -c1-200
./app/actsearch activations 2>&1 | head -3
./app/actsearch jobs 2>&1 | head -3
rm -rf "$work"
