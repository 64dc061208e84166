// An unmodified application: gets a Key Vault token with @azure/identity.
// Usage: node mi-token.mjs MODE [ARG]; prints one JSON line.
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";

const [mode, arg] = process.argv.slice(2);
const modes = {
  dac: () => new DefaultAzureCredential(),
  "dac-mi-client-id": () => new DefaultAzureCredential({ managedIdentityClientId: arg }),
  mi: () => new ManagedIdentityCredential(),
  "mi-client-id": () => new ManagedIdentityCredential({ clientId: arg }),
  "mi-object-id": () => new ManagedIdentityCredential({ objectId: arg }),
  "mi-resource-id": () => new ManagedIdentityCredential({ resourceId: arg }),
};
try {
  const token = await modes[mode]().getToken("https://vault.azure.net/.default");
  console.log(JSON.stringify({ ok: true, token: token.token, expiresOnTimestamp: token.expiresOnTimestamp }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, type: error.name, message: error.message }));
}
