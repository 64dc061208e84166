// An unmodified application: the secret lifecycle with @azure/keyvault-secrets and
// DefaultAzureCredential. Usage: node kv-lifecycle.mjs VAULT_URL PREFIX; prints one JSON line
// of observations, in the same shape as e2e/apps/python_kv_lifecycle.py.
import { DefaultAzureCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";

const [vaultUrl, prefix] = process.argv.slice(2);
const client = new SecretClient(vaultUrl, new DefaultAzureCredential());
const seen = {};
const names = async (iterator) => {
  const out = [];
  for await (const item of iterator) out.push(item);
  return out;
};
try {
  const name = `${prefix}-pw`;
  const first = await client.setSecret(name, "v1", { contentType: "text/plain", tags: { team: "a" } });
  const second = await client.setSecret(name, "v2");
  seen.get = (await client.getSecret(name)).value;
  seen.get_version = (await client.getSecret(name, { version: first.properties.version })).value;
  seen.listed = (await names(client.listPropertiesOfSecrets())).some((p) => p.name === name);
  const versions = (await names(client.listPropertiesOfSecretVersions(name))).map((p) => p.version).sort();
  seen.versions = JSON.stringify(versions) === JSON.stringify([first.properties.version, second.properties.version].sort());
  const updated = await client.updateSecretProperties(name, second.properties.version, { enabled: true, tags: { team: "b" } });
  seen.updated_tags = updated.tags;
  const deleted = await (await client.beginDeleteSecret(name)).pollUntilDone();
  seen.recovery_id = deleted.recoveryId;
  seen.listed_deleted = (await names(client.listDeletedSecrets())).some((d) => d.name === name);
  await (await client.beginRecoverDeletedSecret(name)).pollUntilDone();
  seen.recovered = (await client.getSecret(name)).value;
  const backup = await client.backupSecret(name);
  await (await client.beginDeleteSecret(name)).pollUntilDone();
  await client.purgeDeletedSecret(name);
  const restored = await client.restoreSecretBackup(backup);
  seen.restored = (await client.getSecret(restored.name)).value;
  console.log(JSON.stringify({ ok: true, ...seen }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, type: error.name, message: error.message, ...seen }));
}
