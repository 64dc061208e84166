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


def test_access_policy_vaults_answer_through_the_same_check(inkan):
    inkan.cli("apply", str(ROOT / "examples" / "vm-keyvault.yaml"))
    inkan.cli("apply", str(ROOT / "examples" / "vm-two-identities.yaml"))
    sub = inkan.env["AZURE_SUBSCRIPTION_ID"]
    secret = f"/subscriptions/{sub}/resourceGroups/vm-demo/providers/Microsoft.KeyVault/vaults/policy-kv/secrets/s1"
    vm = f"/subscriptions/{sub}/resourceGroups/vm-demo/providers/Microsoft.Compute/virtualMachines/win-vm"

    def check(principal, action):
        return inkan.cli("access", "check", "--principal", principal, "--action", f"Microsoft.KeyVault/vaults/secrets/{action}", "--scope", secret).stdout

    allowed = check(vm, "getSecret/action")
    assert allowed.startswith("allowed\n") and "access policy #0 of vault 'policy-kv'" in allowed, allowed
    lacking = check(vm, "setSecret/action")
    assert lacking.startswith("denied\n") and "lack the permission 'set'" in lacking, lacking
    stranger = check("ops/app-id", "getSecret/action")
    assert "Caller was not found on any access policy in this key vault" in stranger, stranger
