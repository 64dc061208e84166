#!/usr/bin/env bash
# Measures how long `inkan serve` takes from exec to its first answered HTTPS request
# (OIDC discovery), on a new data directory (first start: CA, RSA key, bootstrap) and on an
# existing one, next to a baseline measured the same way in the same run:
# `python3 -m http.server` to its first answered request.
# Usage: scripts/bench-startup.sh [runs]   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --release -p inkan --locked >/dev/null 2>&1
bin=target/release/inkan
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=18900

now_ms() { date +%s%3N; }

wait_https() { # url, ca
  until curl -s -o /dev/null --cacert "$2" "$1"; do sleep 0.002; done
}

measure_inkan() { # data-dir
  local dir=$1 start end pid tenant
  start=$(now_ms)
  "$bin" serve --data-dir "$dir" --port $port --identity-port 0 --listen 127.0.0.1 >/dev/null 2>&1 &
  pid=$!
  until [ -f "$dir/server.json" ]; do sleep 0.002; done
  tenant=$(sed -n 's/.*"tenantId": "\([^"]*\)".*/\1/p' "$dir/server.json")
  wait_https "https://localhost:$port/$tenant/v2.0/.well-known/openid-configuration" "$dir/ca.pem"
  end=$(now_ms)
  kill -TERM $pid; wait $pid || true
  echo $((end - start))
}

measure_baseline() {
  local start end pid
  start=$(now_ms)
  python3 -m http.server $port --bind 127.0.0.1 --directory "$work" >/dev/null 2>&1 &
  pid=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.002; done
  end=$(now_ms)
  kill $pid; wait $pid 2>/dev/null || true
  echo $((end - start))
}

stats() { sort -n | awk '{a[NR]=$1} END {printf "median %d ms, min %d ms, max %d ms (n=%d)\n", a[int((NR+1)/2)], a[1], a[NR], NR}'; }

first=(); warm=(); base=()
for i in $(seq "$runs"); do
  dir="$work/data-$i"
  first+=("$(measure_inkan "$dir")")
  warm+=("$(measure_inkan "$dir")")
  base+=("$(measure_baseline)")
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "inkan serve, new data directory:      $(printf '%s\n' "${first[@]}" | stats)"
echo "inkan serve, existing data directory: $(printf '%s\n' "${warm[@]}" | stats)"
echo "baseline python3 -m http.server:      $(printf '%s\n' "${base[@]}" | stats)"
