#!/usr/bin/env bash
# Cached IMDS token throughput and latency over loopback, next to a minimal HTTP server
# (nginx returning a fixed JSON body of the same size) measured the same way in the same run.
# Needs wrk and nginx (apt-get install wrk nginx-light); builds the release binary.
# Usage: scripts/bench-imds.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-common.sh

start_inkan 18791 --port 0
imds=$("$bin" env --as vm-demo/win-vm --data-dir "$work/data" | sed -n "s/^export AZURE_POD_IDENTITY_AUTHORITY_HOST='\(.*\)'$/\1/p")
url="$imds/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net"
body=$(curl -s -H Metadata:true "$url")
echo "$body" | grep -q access_token || { echo "no token: $body" >&2; exit 1; }
start_nginx 18792 "$body"

echo "$(machine); body ${#body} bytes"
bench_run "inkan IMDS token (cached)" "$url" -H "Metadata: true"
bench_run "baseline: nginx, same JSON body" "http://127.0.0.1:18792/token.json"
