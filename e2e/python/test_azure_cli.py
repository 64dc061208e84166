"""The Azure CLI (`az`, its own venv .venv-az) against inkan, configured only by what `inkan env`
exports: ARM_CLOUD_METADATA_URL makes inkan az's cloud (no `az cloud register`), instance
discovery is off, the CA bundle comes from REQUESTS_CA_BUNDLE. Each identity has its own
AZURE_CONFIG_DIR, as on separate machines."""
import json
import os
import subprocess

import pytest

from conftest import INKAN, ROOT, keyvault_world

AZ = ROOT / ".venv-az" / "bin" / "az"
QUIET = ["-e", "AZURE_CORE_COLLECT_TELEMETRY=false", "-e", "AZURE_CORE_SURVEY_MESSAGE=false"]


def _clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_", "ARM_"))}


@pytest.fixture(scope="module")
def az_world(inkan, tmp_path_factory):
    assert AZ.exists(), f"{AZ} is missing: scripts/test.sh installs azure-cli into .venv-az"
    sub = keyvault_world(inkan)["sub"]
    world = {"configs": tmp_path_factory.mktemp("az-config"), "sub": sub}
    env = inkan.env
    az_as_admin(inkan, world, "login", "--service-principal", "-u", env["AZURE_CLIENT_ID"], "-p",
                env["AZURE_CLIENT_SECRET"], "--tenant", env["AZURE_TENANT_ID"])
    return world


def az_as_admin(inkan, az_world, *args, check=True):
    """`az ARGS` in the administrator's shell (`eval "$(inkan env --admin)"`)."""
    env = {**_clean_env(), **inkan.env, "AZURE_CONFIG_DIR": str(az_world["configs"] / "admin"),
           "AZURE_CORE_COLLECT_TELEMETRY": "false", "AZURE_CORE_SURVEY_MESSAGE": "false"}
    out = subprocess.run([str(AZ), *args, "-o", "json"], capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0 or not check, f"az {' '.join(args)}: {out.stderr}"
    return out


def az_as(inkan, az_world, target, *args, check=True):
    """`az ARGS` as a workload (`inkan exec --as TARGET`), with its own az configuration."""
    config = az_world["configs"] / target.replace("/", "-")
    out = subprocess.run([str(INKAN), "exec", "--as", target, "--data-dir", str(inkan.data_dir),
                          "-e", f"AZURE_CONFIG_DIR={config}", *QUIET, "--", str(AZ), *args, "-o", "json"],
                         capture_output=True, text=True, env=_clean_env(), timeout=180)
    assert out.returncode == 0 or not check, f"az {' '.join(args)} as {target}: {out.stderr}"
    return out


def test_az_signed_in_as_a_service_principal_manages_secrets(inkan, az_world):
    env = inkan.env
    account = json.loads(az_as_admin(inkan, az_world, "account", "show").stdout)
    assert account["id"] == az_world["sub"] and account["tenantId"] == env["AZURE_TENANT_ID"], account
    # Found by name alone: az lists /resources with `resourceType eq ... and name eq ...`.
    vault = json.loads(az_as_admin(inkan, az_world, "keyvault", "show", "-n", "rbac-kv").stdout)
    assert vault["properties"]["vaultUri"].startswith("https://rbac-kv.vault.localhost:"), vault
    az_as_admin(inkan, az_world, "keyvault", "secret", "set", "--vault-name", "rbac-kv", "-n", "az-secret", "--value", "from-az")
    shown = json.loads(az_as_admin(inkan, az_world, "keyvault", "secret", "show", "--vault-name", "rbac-kv", "-n", "az-secret").stdout)
    assert shown["value"] == "from-az", shown
    listed = json.loads(az_as_admin(inkan, az_world, "keyvault", "secret", "list", "--vault-name", "rbac-kv").stdout)
    assert any(s["name"] == "az-secret" for s in listed), listed
    # What deployment scripts run first.
    az_as_admin(inkan, az_world, "provider", "register", "--namespace", "Microsoft.KeyVault", "--wait")
    provider = json.loads(az_as_admin(inkan, az_world, "provider", "show", "-n", "Microsoft.KeyVault").stdout)
    assert provider["registrationState"] == "Registered", provider


def test_az_as_a_vm_signs_in_with_its_managed_identity_and_reads_but_may_not_write(inkan, az_world):
    az_as_admin(inkan, az_world, "keyvault", "secret", "set", "--vault-name", "rbac-kv", "-n", "vm-reads", "--value", "for-the-vm")
    az_as(inkan, az_world, "vm-demo/win-vm", "login", "--identity", "--allow-no-subscriptions")
    token = json.loads(az_as(inkan, az_world, "vm-demo/win-vm", "account", "get-access-token", "--resource",
                             "https://vault.azure.net").stdout)
    assert token["accessToken"].count(".") == 2 and token["tenant"] == inkan.env["AZURE_TENANT_ID"], token
    read = json.loads(az_as(inkan, az_world, "vm-demo/win-vm", "keyvault", "secret", "show", "--vault-name", "rbac-kv",
                            "-n", "vm-reads").stdout)
    assert read["value"] == "for-the-vm", read
    refused = az_as(inkan, az_world, "vm-demo/win-vm", "keyvault", "secret", "set", "--vault-name", "rbac-kv", "-n",
                    "vm-reads", "--value", "nope", check=False)
    assert refused.returncode != 0, refused.stdout
    assert "ForbiddenByRbac" in refused.stderr and "Key Vault Secrets Officer" in refused.stderr, refused.stderr


def test_az_role_assignments_resolve_principals_through_inkans_graph(inkan, az_world):
    """`--assignee` by application id (servicePrincipals filter) and by object id (getByIds);
    a VM given Reader on its group then sees the subscription at `az login --identity`."""
    sub = az_world["sub"]
    vault_id = f"/subscriptions/{sub}/resourceGroups/vm-demo/providers/Microsoft.KeyVault/vaults/rbac-kv"
    az_as_admin(inkan, az_world, "role", "assignment", "create", "--role", "Key Vault Reader",
                "--assignee", inkan.env["AZURE_CLIENT_ID"], "--scope", vault_id)
    listed = json.loads(az_as_admin(inkan, az_world, "role", "assignment", "list", "--scope", vault_id).stdout)
    admin_oid = json.loads((inkan.data_dir / "admin.json").read_text())["objectId"]
    mine = [a for a in listed if a["principalId"] == admin_oid and a["roleDefinitionName"] == "Key Vault Reader"]
    assert mine and mine[0]["principalType"] == "ServicePrincipal", listed
    assert mine[0]["principalName"] == inkan.env["AZURE_CLIENT_ID"], "az filled the name from inkan's Graph"
    vm = json.loads(az_as_admin(inkan, az_world, "vm", "show", "-g", "vm-demo", "-n", "win-vm").stdout)
    vm_oid = vm["identity"]["principalId"]
    az_as_admin(inkan, az_world, "role", "assignment", "create", "--role", "Reader", "--assignee", vm_oid,
                "--scope", f"/subscriptions/{sub}/resourceGroups/vm-demo")
    fresh = {**az_world, "configs": az_world["configs"] / "reader"}
    az_as(inkan, fresh, "vm-demo/win-vm", "login", "--identity")
    account = json.loads(az_as(inkan, fresh, "vm-demo/win-vm", "account", "show").stdout)
    assert account["id"] == sub, account
    # Leave the shared server's world as the other modules expect it.
    az_as_admin(inkan, az_world, "role", "assignment", "delete", "--assignee", vm_oid, "--role", "Reader",
                "--scope", f"/subscriptions/{sub}/resourceGroups/vm-demo")
