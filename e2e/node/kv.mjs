// An unmodified application: reads or writes a Key Vault secret with @azure/keyvault-secrets
// and DefaultAzureCredential. Usage: node kv.mjs get|set VAULT_URL NAME [VALUE]; prints one
// JSON line, in the same shape as e2e/apps/python_kv.py.
import { DefaultAzureCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";

const [mode, vaultUrl, name, value] = process.argv.slice(2);
try {
  const client = new SecretClient(vaultUrl, new DefaultAzureCredential());
  const secret = mode === "set" ? await client.setSecret(name, value) : await client.getSecret(name);
  console.log(JSON.stringify({ ok: true, value: secret.value, version: secret.properties.version }));
} catch (error) {
  // What the user sees: the SDK's message, the service's code, inner code and status.
  const inner = error.details?.error?.innerError?.code ?? null;
  console.log(JSON.stringify({ ok: false, type: error.name, code: error.code, inner, status: error.statusCode, message: error.message }));
}
