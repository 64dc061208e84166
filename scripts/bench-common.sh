# Shared by the scripts/bench-*.sh benchmarks (sourced, not run): arguments, the release
# build, a scratch directory cleaned up on exit, nginx as the baseline server, and one wrk run
# printed as a line. Callers set `set -euo pipefail` and `cd` to the repository first.
secs=${1:-10}
conns=${2:-32}
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx: apt-get install -y wrk nginx-light" >&2; exit 1; }
cargo build --release -p inkan --locked >/dev/null 2>&1
bin=$PWD/target/release/inkan
work=$(mktemp -d)
chmod 755 "$work"  # nginx workers run unprivileged and read their files from here
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# start_inkan IDENTITY_PORT [serve args...]: inkan serve with examples/vm-keyvault.yaml.
start_inkan() {
  local identity_port=$1
  shift
  "$bin" serve --data-dir "$work/data" --identity-port "$identity_port" --listen 127.0.0.1 \
    --world examples/vm-keyvault.yaml --log warn "$@" > "$work/serve.log" 2>&1 &
  pids+=($!)
  until grep -q "ready in" "$work/serve.log" 2>/dev/null; do sleep 0.05; done
}

# start_nginx PORT BODY [tls]: nginx (2 workers, no access log) answering every path with BODY.
start_nginx() {
  local port=$1 body=$2 tls=${3:-} listen scheme=http
  mkdir -p "$work/nginx"
  chmod 755 "$work/nginx"
  printf '%s' "$body" > "$work/nginx/body.json"
  listen="listen 127.0.0.1:$port;"
  if [ -n "$tls" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/nginx.key" -out "$work/nginx.crt" -days 1 -subj "/CN=localhost" 2>/dev/null
    listen="listen 127.0.0.1:$port ssl; ssl_certificate $work/nginx.crt; ssl_certificate_key $work/nginx.key;"
    scheme=https
  fi
  cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    $listen
    location / { default_type application/json; root $work/nginx; try_files /body.json =404; }
  }
}
CONF
  nginx -c "$work/nginx.conf"
  until curl -sk -o /dev/null "$scheme://127.0.0.1:$port/"; do sleep 0.05; done
}

# bench_run NAME URL [wrk args...]: one wrk run; any non-2xx answer fails the benchmark.
bench_run() {
  local name=$1 url=$2 out
  shift 2
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$url")
  if echo "$out" | grep -q "Non-2xx"; then echo "$name: errors: $out" >&2; exit 1; fi
  printf '%-40s %10s req/s   p50 %8s   p99 %8s\n' "$name" \
    "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(echo "$out" | awk '$1 == "50%" {print $2}')" \
    "$(echo "$out" | awk '$1 == "99%" {print $2}')"
}

machine() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); wrk -t2 -c$conns -d${secs}s"
}
