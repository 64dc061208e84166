"""`inkan access check` and `inkan role list` explain decisions in words."""
from conftest import ROOT


def test_access_check_explains_grants_and_refusals(inkan):
    inkan.cli("apply", str(ROOT / "examples" / "vm-two-identities.yaml"))
    sub = inkan.env["AZURE_SUBSCRIPTION_ID"]
    secret = f"/subscriptions/{sub}/resourceGroups/ops/providers/Microsoft.KeyVault/vaults/ops-kv/secrets/db-pass"
    action = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
    allowed = inkan.cli("access", "check", "--principal", "ops/app-id", "--action", action, "--scope", secret).stdout
    assert allowed.startswith("allowed\n"), allowed
    assert "'Key Vault Secrets User' at" in allowed and "/vaults/ops-kv" in allowed, allowed
    denied = inkan.cli("access", "check", "--principal", "ops/monitoring-id", "--action", action, "--scope", secret).stdout
    assert denied.startswith("denied\n"), denied
    assert "no role assignment applies at this scope" in denied, denied
    assert 'inkan role assignment create --role "Key Vault Secrets User"' in denied, denied
    listed = inkan.cli("role", "list", "--assignee", "ops/app-id").stdout
    assert "Key Vault Secrets User" in listed and "ops-kv" in listed, listed
