// ClientSecretCredential from @azure/identity (unmodified, through msal-node) against inkan,
// then an ARM call with the token. Prints one JSON line for the Python harness to check.
import { ClientSecretCredential } from "@azure/identity";

const { AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST } = process.env;
const secret = process.argv[2] === "wrong-secret" ? "not-the-secret" : AZURE_CLIENT_SECRET;
const credential = new ClientSecretCredential(AZURE_TENANT_ID, AZURE_CLIENT_ID, secret, {
  authorityHost: AZURE_AUTHORITY_HOST,
  disableInstanceDiscovery: true,
});
try {
  const token = await credential.getToken("https://management.azure.com/.default");
  const response = await fetch(`${AZURE_AUTHORITY_HOST}/subscriptions?api-version=2022-12-01`, {
    headers: { authorization: `Bearer ${token.token}` },
  });
  const body = await response.json();
  console.log(JSON.stringify({
    ok: true,
    expiresInSeconds: Math.round((token.expiresOnTimestamp - Date.now()) / 1000),
    armStatus: response.status,
    subscriptions: body.value.map((s) => s.subscriptionId),
  }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, name: error.name, message: error.message }));
}
