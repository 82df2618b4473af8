#!/usr/bin/env bash
# actsearch-healthcheck [PATH | URL]: exits 0 when an HTTP GET answers 200, 1 otherwise (no answer, another status).
#   PATH (default /healthz) is asked of this container's own server: the first address of ACTSEARCH_URLS, where a
#   wildcard host (+, *, 0.0.0.0, [::]) means 127.0.0.1. A full http:// URL is asked as it is (the batch Jobs wait
#   for http://actsearch-coordinator:5080/readyz with it).
# Plain bash (/dev/tcp), because the .NET and CUDA base images have neither curl nor wget. Callers bound the time
# (Docker's HEALTHCHECK --timeout, `timeout 5 actsearch-healthcheck ...`).
set -uo pipefail

target=${1:-/healthz}
if [[ $target == http://* ]]; then
  url=$target
else
  urls=${ACTSEARCH_URLS:-}
  [[ -n $urls ]] || { echo "actsearch-healthcheck: ACTSEARCH_URLS is not set; pass a URL" >&2; exit 1; }
  base=${urls%%;*}
  url=${base%/}$target
fi
[[ $url == http://* ]] || { echo "actsearch-healthcheck: only http:// URLs are supported: $url" >&2; exit 1; }

rest=${url#http://}
hostport=${rest%%/*}
path=/
[[ $rest == */* ]] && path=/${rest#*/}
if [[ $hostport == *:* && $hostport != *']' ]]; then
  host=${hostport%:*}
  port=${hostport##*:}
else
  host=$hostport
  port=80
fi
case $host in
  '+' | '*' | 0.0.0.0 | '[::]' | '') host=127.0.0.1 ;;
esac
host=${host#[}
host=${host%]}
authority=$host:$port
[[ $host == *:* ]] && authority=[$host]:$port

{ exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || { echo "actsearch-healthcheck: nothing answers at $host:$port" >&2; exit 1; }
printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$authority" >&3
read -r -t 10 _ status _ <&3 || { echo "actsearch-healthcheck: no answer from $url" >&2; exit 1; }
[[ $status == 200 ]] || { echo "actsearch-healthcheck: $url answered $status" >&2; exit 1; }
