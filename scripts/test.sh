#!/usr/bin/env bash
# Runs every inkan test on a fresh machine: formatting, lints, the Rust unit and integration
# tests (real servers on loopback), and the end-to-end suite with the official Azure SDKs.
# Installs what it needs: Python SDK packages into .venv-e2e (from PyPI), Node SDK packages
# into e2e/node/node_modules (npm), the Azure CLI into .venv-az (PyPI), the Rust SDK crates
# for e2e/rust (crates.io).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (unit, property, integration)"
cargo test --workspace --locked

step "build the inkan binary for the end-to-end suite"
cargo build -p inkan --locked

step "build the Rust SDK application for the end-to-end suite (e2e/rust)"
cargo build --manifest-path e2e/rust/Cargo.toml --locked --target-dir "${CARGO_TARGET_DIR:-$PWD/target}"

step "Python SDKs (.venv-e2e)"
if [ ! -x .venv-e2e/bin/python ]; then
  python3 -m venv .venv-e2e
fi
.venv-e2e/bin/pip install --quiet --disable-pip-version-check -r e2e/python/requirements.txt

step "Azure CLI (.venv-az, its own venv: it pins older SDK packages)"
if [ ! -x .venv-az/bin/python ]; then
  python3 -m venv .venv-az
fi
.venv-az/bin/pip install --quiet --disable-pip-version-check azure-cli==2.91.0

step "Node SDKs (e2e/node/node_modules)"
(cd e2e/node && npm install --no-audit --no-fund --silent)

step "end-to-end: official Azure SDKs against a running inkan"
# A clean environment for the SDKs: no Azure variables from the caller's shell, and a guard
# that refuses any connection that is not loopback.
for var in $(env | grep -oE '^(AZURE_[A-Z_]*|IDENTITY_[A-Z_]*|MSI_[A-Z_]*|IMDS_[A-Z_]*|ARM_CLOUD_METADATA_URL)=' | tr -d '='); do
  unset "$var"
done
export PYTHONPATH="$PWD/e2e/guard"
pytest=(.venv-e2e/bin/python -m pytest -q e2e/python)
# Where possible, run in a private network namespace with only loopback, so a missing
# redirect fails fast instead of leaving the machine.
# Vault hosts (<vault>.vault.localhost) resolve through a private copy of /etc/hosts that
# names the examples' vaults.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null \
   && unshare -n -m true 2>/dev/null; then
  hosts=$(mktemp)
  cat /etc/hosts > "$hosts"
  echo "127.0.0.1 ops-kv.vault.localhost shop-kv.vault.localhost orders-kv.vault.localhost rbac-kv.vault.localhost policy-kv.vault.localhost" >> "$hosts"
  HOSTS_FILE=$hosts unshare -n -m -- bash -c 'mount --bind "$HOSTS_FILE" /etc/hosts && ip link set lo up && exec "$@"' bash "${pytest[@]}"
  rm -f "$hosts"
else
  "${pytest[@]}"
fi
