"""The foundation, end to end, through the official Python SDKs (and @azure/identity for Node)."""
import json
import os
import subprocess
import uuid

import jwt
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity import ClientSecretCredential
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource import ResourceManagementClient

from conftest import INKAN, ROOT

ARM_SCOPE = "https://management.azure.com/.default"


def credential(inkan, secret=None):
    env = inkan.env
    return ClientSecretCredential(
        env["AZURE_TENANT_ID"],
        env["AZURE_CLIENT_ID"],
        secret or env["AZURE_CLIENT_SECRET"],
        authority=env["AZURE_AUTHORITY_HOST"],
        disable_instance_discovery=True,
    )


def mgmt_kwargs(inkan):
    return {"base_url": inkan.url, "credential_scopes": [ARM_SCOPE]}


def test_client_secret_credential_gets_a_token_that_verifies_against_the_published_jwks(inkan):
    token = credential(inkan).get_token(ARM_SCOPE)
    tenant = inkan.env["AZURE_TENANT_ID"]
    discovery = requests.get(f"{inkan.url}/{tenant}/v2.0/.well-known/openid-configuration", timeout=10).json()
    jwks_client = jwt.PyJWKClient(discovery["jwks_uri"])
    signing_key = jwks_client.get_signing_key_from_jwt(token.token)
    claims = jwt.decode(
        token.token,
        signing_key.key,
        algorithms=["RS256"],
        audience="https://management.azure.com",  # exactly the requested resource
        issuer=f"{inkan.url}/{tenant}/",
    )
    assert claims["tid"] == tenant
    assert claims["appid"] == inkan.env["AZURE_CLIENT_ID"]
    assert claims["oid"] != claims["appid"]
    assert token.expires_on > claims["iat"]


def test_a_user_assigned_identity_is_created_through_the_arm_sdks(inkan):
    cred = credential(inkan)
    sub = inkan.env["AZURE_SUBSCRIPTION_ID"]
    resources = ResourceManagementClient(cred, sub, **mgmt_kwargs(inkan))
    group = resources.resource_groups.create_or_update("e2e-python", {"location": "japaneast"})
    assert group.name == "e2e-python" and group.location == "japaneast"

    msi = ManagedServiceIdentityClient(cred, sub, **mgmt_kwargs(inkan))
    created = msi.user_assigned_identities.create_or_update("e2e-python", "py-id", {"location": "japaneast"})
    assert uuid.UUID(created.client_id) and uuid.UUID(created.principal_id)
    assert created.tenant_id == inkan.env["AZURE_TENANT_ID"]
    fetched = msi.user_assigned_identities.get("e2e-python", "py-id")
    assert (fetched.client_id, fetched.principal_id) == (created.client_id, created.principal_id)
    names = [i.name for i in msi.user_assigned_identities.list_by_resource_group("e2e-python")]
    assert names == ["py-id"]
    # The CLI sees the same identity over the same public API.
    shown = inkan.cli("identity", "show", "-g", "e2e-python", "-n", "py-id", "--query", "clientId").stdout.strip()
    assert shown == created.client_id


def test_arm_errors_reach_the_sdk_with_azure_codes(inkan):
    sub = inkan.env["AZURE_SUBSCRIPTION_ID"]
    msi = ManagedServiceIdentityClient(credential(inkan), sub, **mgmt_kwargs(inkan))
    with pytest.raises(HttpResponseError) as missing:
        msi.user_assigned_identities.get("no-such-group", "x-id")
    assert missing.value.status_code == 404
    assert missing.value.error.code == "ResourceGroupNotFound"


def test_a_wrong_secret_is_refused_with_the_entra_error(inkan):
    with pytest.raises(ClientAuthenticationError) as refused:
        credential(inkan, secret="not-the-secret").get_token(ARM_SCOPE)
    assert "AADSTS7000215" in str(refused.value)
    assert "client secret value, not the client secret ID" in str(refused.value)


def test_every_example_applies_twice_and_the_second_apply_reports_no_change(inkan):
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        # Other tests share this server and may have applied an example already: the first
        # apply creates what is missing, the second must change nothing.
        first = inkan.cli("apply", str(example))
        assert " created, 0 updated, " in first.stdout, first.stdout
        second = inkan.cli("apply", str(example))
        assert "0 created, 0 updated" in second.stdout, second.stdout


def test_env_output_is_valid_bash(inkan):
    script = f'eval "$({INKAN} env --admin --data-dir {inkan.data_dir})" && echo "$AZURE_CLIENT_ID $REQUESTS_CA_BUNDLE"'
    out = subprocess.run(["bash", "-c", script], check=True, capture_output=True, text=True).stdout.strip()
    assert out == f'{inkan.env["AZURE_CLIENT_ID"]} {inkan.data_dir}/ca-bundle.pem'


def test_serve_applies_a_world_file_before_it_reports_ready(tmp_path):
    data_dir = tmp_path / "world-data"
    world = ROOT / "examples" / "vm-two-identities.yaml"
    process = subprocess.Popen(
        [str(INKAN), "serve", "--data-dir", str(data_dir), "--port", "0", "--identity-port", "0", "--listen", "127.0.0.1", "--world", str(world)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        banner = [process.stdout.readline() for _ in range(9)]
        assert banner[0].startswith("inkan ") and " ready in " in banner[0], banner
        world_line = next(line for line in banner if line.strip().startswith("world"))
        assert "6 created, 0 updated, 0 unchanged" in world_line, world_line
        listed = subprocess.run(
            [str(INKAN), "list", "-o", "json", "--data-dir", str(data_dir)], check=True, capture_output=True, text=True,
        ).stdout
        assert "batch-vm" in listed and "ops-kv" in listed
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0


def run_node(inkan, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    env.update(inkan.env)
    out = subprocess.run(
        ["node", str(ROOT / "e2e" / "node" / "client-secret.mjs"), *args],
        check=True, capture_output=True, text=True, env=env, timeout=60,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_node_client_secret_credential_gets_a_token_arm_accepts(inkan):
    result = run_node(inkan)
    assert result["ok"], result
    assert 3500 <= result["expiresInSeconds"] <= 3600
    assert result["armStatus"] == 200
    assert result["subscriptions"] == [inkan.env["AZURE_SUBSCRIPTION_ID"]]


def test_node_reports_the_entra_error_for_a_wrong_secret(inkan):
    result = run_node(inkan, "wrong-secret")
    assert not result["ok"]
    # msal-node shortens the description; the AADSTS code is what reaches the user.
    assert result["name"] == "AuthenticationRequiredError", result
    assert "invalid_client" in result["message"] and "AADSTS7000215" in result["message"], result


def test_the_cli_creates_shows_lists_and_deletes_identities_and_vaults(inkan):
    """`inkan identity` and `inkan vault`, the per-type commands, against the running server."""
    def cli_json(*args):
        return json.loads(inkan.cli(*args, "-o", "json").stdout)

    created = cli_json("identity", "create", "-g", "cli-demo", "-n", "cli-id")
    assert created["name"] == "cli-id" and len(created["clientId"]) == 36, created
    shown = cli_json("identity", "show", "-g", "cli-demo", "-n", "cli-id")
    assert shown["principalId"] == created["principalId"], shown
    listed = cli_json("identity", "list", "-g", "cli-demo")
    assert [i["name"] for i in listed] == ["cli-id"], listed
    vault = cli_json("vault", "create", "-g", "cli-demo", "-n", "cli-kv", "--enable-rbac-authorization", "false")
    assert vault["vaultUri"].startswith("https://cli-kv.vault.") and vault["enableRbacAuthorization"] is False, vault
    assert cli_json("vault", "show", "-g", "cli-demo", "-n", "cli-kv")["name"] == "cli-kv"
    assert [v["name"] for v in cli_json("vault", "list", "-g", "cli-demo")] == ["cli-kv"]
    deleted = inkan.cli("identity", "delete", "-g", "cli-demo", "-n", "cli-id")
    assert "deleted identity cli-demo/cli-id" in deleted.stdout
    gone = inkan.cli("identity", "show", "-g", "cli-demo", "-n", "cli-id", check=False)
    assert gone.returncode != 0 and "ResourceNotFound" in gone.stderr + gone.stdout, gone
