#!/usr/bin/env bash
# Cached IMDS token throughput and latency over loopback, next to a minimal HTTP server
# (nginx returning a fixed JSON body of the same size) measured the same way in the same run.
# Needs wrk and nginx (apt-get install wrk nginx-light); builds the release binary.
# Usage: scripts/bench-imds.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx: apt-get install -y wrk nginx-light" >&2; exit 1; }
cargo build --release -p inkan --locked >/dev/null 2>&1
bin=$PWD/target/release/inkan
work=$(mktemp -d)
cleanup() { [ -n "${inkan_pid:-}" ] && kill "$inkan_pid" 2>/dev/null; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$bin" serve --data-dir "$work/data" --port 0 --identity-port 18791 --listen 127.0.0.1 \
  --world examples/vm-keyvault.yaml --log warn > "$work/serve.log" 2>&1 &
inkan_pid=$!
until grep -q "ready in" "$work/serve.log" 2>/dev/null; do sleep 0.05; done
imds=$("$bin" env --as vm-demo/win-vm --data-dir "$work/data" | sed -n "s/^export AZURE_POD_IDENTITY_AUTHORITY_HOST='\(.*\)'$/\1/p")
url="$imds/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net"
body=$(curl -s -H Metadata:true "$url")
echo "$body" | grep -q access_token || { echo "no token: $body" >&2; exit 1; }

mkdir -p "$work/nginx"
chmod 755 "$work" "$work/nginx"  # nginx workers run unprivileged
printf '%s' "$body" > "$work/nginx/token.json"
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:18792;
    location / { default_type application/json; root $work/nginx; try_files /token.json =404; }
  }
}
CONF
nginx -c "$work/nginx.conf"
until curl -s -o /dev/null http://127.0.0.1:18792/; do sleep 0.05; done

run() { # name url
  local out
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -H "Metadata: true" "$2")
  if echo "$out" | grep -q "Non-2xx"; then echo "$1: errors: $out" >&2; exit 1; fi
  printf '%-34s %10s req/s   p50 %8s   p99 %8s\n' "$1" \
    "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(echo "$out" | awk '$1 == "50%" {print $2}')" \
    "$(echo "$out" | awk '$1 == "99%" {print $2}')"
}
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); wrk -t2 -c$conns -d${secs}s; body ${#body} bytes"
run "inkan IMDS token (cached)" "$url"
run "baseline: nginx, same JSON body" "http://127.0.0.1:18792/token.json"
