"""Managed identity end to end: unmodified apps (Python azure-identity, Node @azure/identity)
run as VMs and App Service sites through `inkan exec --as`, the field reports' scenarios."""
import json
import os
import subprocess

import jwt
import pytest
import requests

from conftest import INKAN, ROOT

PY_APP = [str(ROOT / ".venv-e2e" / "bin" / "python"), str(ROOT / "e2e" / "apps" / "python_token.py")]
NODE_APP = ["node", str(ROOT / "e2e" / "node" / "mi-token.mjs")]


@pytest.fixture(scope="module")
def world(inkan):
    for example in ("app-service-slot.yaml", "vm-two-identities.yaml", "vm-keyvault.yaml"):
        inkan.cli("apply", str(ROOT / "examples" / example))
    sub = inkan.env["AZURE_SUBSCRIPTION_ID"]

    def show(*args):
        return json.loads(inkan.cli(*args, "-o", "json").stdout)

    return {
        "shop": show("identity", "show", "-g", "web", "-n", "shop-id"),
        "app": show("identity", "show", "-g", "ops", "-n", "app-id"),
        "monitoring": show("identity", "show", "-g", "ops", "-n", "monitoring-id"),
        "vm_id": f"/subscriptions/{sub}/resourceGroups/vm-demo/providers/Microsoft.Compute/virtualMachines/win-vm",
    }


def run_as(inkan, target, app, *args, env=()):
    command = [str(INKAN), "exec", "--as", target, "--data-dir", str(inkan.data_dir)]
    for pair in env:
        command += ["-e", pair]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_"))}
    out = subprocess.run(command + ["--", *app, *args], check=True, capture_output=True, text=True, env=clean, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize("app", [PY_APP, NODE_APP], ids=["python", "node"])
def test_app_service_with_only_a_user_assigned_identity_needs_azure_client_id(inkan, world, app):
    failed = run_as(inkan, "web/shop-web", app, "dac")
    assert not failed["ok"]
    assert "Unable to load the proper Managed Identity" in failed["message"], failed
    assert "AZURE_CLIENT_ID" in failed["message"], failed
    client_id = world["shop"]["clientId"]
    with_env = run_as(inkan, "web/shop-web", app, "dac", env=[f"AZURE_CLIENT_ID={client_id}"])
    assert with_env["ok"], with_env
    assert claims(with_env["token"])["appid"] == client_id
    with_option = run_as(inkan, "web/shop-web", app, "dac-mi-client-id", client_id)
    assert with_option["ok"], with_option
    assert claims(with_option["token"])["xms_mirid"] == world["shop"]["id"]


@pytest.mark.parametrize("app", [PY_APP, NODE_APP], ids=["python", "node"])
def test_a_vm_with_two_user_assigned_identities_needs_a_selector(inkan, world, app):
    failed = run_as(inkan, "ops/batch-vm", app, "mi")
    assert not failed["ok"]
    assert "Multiple user assigned identities exist" in failed["message"], failed
    assert world["app"]["clientId"] in failed["message"], "the refusal lists the attached identities"
    for mode, value, who in (
        ("mi-client-id", world["app"]["clientId"], "app"),
        ("mi-object-id", world["monitoring"]["principalId"], "monitoring"),
        ("mi-resource-id", world["app"]["id"], "app"),
    ):
        result = run_as(inkan, "ops/batch-vm", app, mode, value)
        assert result["ok"], (mode, result)
        got = claims(result["token"])
        assert (got["oid"], got["appid"]) == (world[who]["principalId"], world[who]["clientId"]), mode
    stranger = run_as(inkan, "ops/batch-vm", app, "mi-client-id", world["shop"]["clientId"])
    assert not stranger["ok"] and "Identity not found" in stranger["message"], stranger


def test_the_same_with_curl(inkan, world):
    script = (
        'curl -s -w "\\n%{http_code}" -H Metadata:true '
        '"$AZURE_POD_IDENTITY_AUTHORITY_HOST/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net$SELECTOR"'
    )
    def curl(selector):
        command = [str(INKAN), "exec", "--as", "ops/batch-vm", "--data-dir", str(inkan.data_dir), "-e", f"SELECTOR={selector}", "--", "sh", "-c", script]
        body, status = subprocess.run(command, check=True, capture_output=True, text=True).stdout.rsplit("\n", 1)
        return int(status), json.loads(body)
    status, refused = curl("")
    assert status == 400 and refused["error"] == "invalid_request"
    status, ok = curl(f"&client_id={world['app']['clientId']}")
    assert status == 200
    assert all(isinstance(v, str) for v in ok.values()), "IMDS writes every value as a string"
    assert {"access_token", "client_id", "expires_in", "expires_on", "ext_expires_in", "not_before", "resource", "token_type"} <= ok.keys()
    assert ok["resource"] == "https://vault.azure.net" and ok["client_id"] == world["app"]["clientId"]


def test_a_system_assigned_token_verifies_with_the_right_claims(inkan, world):
    result = run_as(inkan, "vm-demo/win-vm", PY_APP, "mi")
    assert result["ok"], result
    tenant = inkan.env["AZURE_TENANT_ID"]
    jwks = jwt.PyJWKClient(f"{inkan.url}/{tenant}/discovery/v2.0/keys")
    key = jwks.get_signing_key_from_jwt(result["token"]).key
    got = jwt.decode(result["token"], key, algorithms=["RS256"], audience="https://vault.azure.net", issuer=f"{inkan.url}/{tenant}/")
    vm = json.loads(inkan.cli("list", "-g", "vm-demo", "-o", "json").stdout)
    assert any(r["id"] == world["vm_id"] for r in vm)
    admin_token = requests.post(
        f"{inkan.url}/{tenant}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": inkan.env["AZURE_CLIENT_ID"],
              "client_secret": inkan.env["AZURE_CLIENT_SECRET"], "scope": "https://management.azure.com/.default"},
        timeout=10,
    ).json()["access_token"]
    vm_body = requests.get(f"{inkan.url}{world['vm_id']}?api-version=2024-07-01", headers={"authorization": f"Bearer {admin_token}"}, timeout=10).json()
    assert got["oid"] == vm_body["identity"]["principalId"]
    assert got["xms_mirid"] == world["vm_id"]
    assert got["appidacr"] == "2" and got["idtyp"] == "app"
    assert got["exp"] - got["iat"] == 86399


def test_a_slot_never_gets_the_sites_identity_or_the_reverse(inkan, world):
    env_site = {k: v for k, v in (line.split("=", 1) for line in _exports(inkan, "web/shop-web"))}
    env_slot = {k: v for k, v in (line.split("=", 1) for line in _exports(inkan, "web/shop-web/staging"))}
    assert env_site["IDENTITY_HEADER"] != env_slot["IDENTITY_HEADER"]
    slot = run_as(inkan, "web/shop-web/staging", PY_APP, "mi")
    assert slot["ok"], slot
    slot_oid = claims(slot["token"])["oid"]
    assert slot_oid != world["shop"]["principalId"]
    endpoint = env_site["IDENTITY_ENDPOINT"]
    def ask(header, **selector):
        return requests.get(endpoint, params={"api-version": "2019-08-01", "resource": "https://vault.azure.net", **selector},
                            headers={"X-IDENTITY-HEADER": header}, timeout=10)
    assert ask(env_site["IDENTITY_HEADER"], principal_id=slot_oid).status_code == 400
    assert ask(env_slot["IDENTITY_HEADER"], client_id=world["shop"]["clientId"]).status_code == 400
    assert ask("0" * 64).status_code == 401
    ok = ask(env_slot["IDENTITY_HEADER"])
    assert ok.status_code == 200 and claims(ok.json()["access_token"])["oid"] == slot_oid
    assert isinstance(ok.json()["expires_on"], str) and ok.json()["expires_on"].isdigit()


def _exports(inkan, target):
    out = inkan.cli("env", "--as", target).stdout
    return [line[len("export "):].replace("'", "") for line in out.splitlines() if line.startswith("export ")]


@pytest.fixture(scope="module")
def agent(inkan, world, tmp_path_factory):
    """`inkan agent` as a separate process, enrolled for the VM ops/batch-vm."""
    if os.geteuid() != 0:
        pytest.skip("the Arc key directory /var/opt/azcmagent/tokens and a local group need root")
    group = "inkan-e2e-himds"
    if subprocess.run(["getent", "group", group], capture_output=True).returncode != 0:
        subprocess.run(["groupadd", group], check=True)
    gid = int(subprocess.run(["getent", "group", group], check=True, capture_output=True, text=True).stdout.split(":")[2])
    enrollment = tmp_path_factory.mktemp("agent") / "host.json"
    inkan.cli("agent", "enroll", "--as", "ops/batch-vm", "--out", str(enrollment))
    assert oct(enrollment.stat().st_mode & 0o777) == "0o600"
    assert inkan.env["AZURE_CLIENT_SECRET"] not in enrollment.read_text(), "never the administrator's secret"
    process = subprocess.Popen(
        [str(INKAN), "agent", "run", "--enrollment", str(enrollment), "--listen", "127.0.0.1:0", "--key-group", group],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines = [process.stdout.readline() for _ in range(3)]
    endpoint = lines[1].split()[-1]
    assert endpoint.startswith("http://127.0.0.1:") and endpoint.endswith("/metadata/identity/oauth2/token"), lines
    yield {"endpoint": endpoint, "imds": endpoint.rsplit("/metadata", 1)[0], "gid": gid}
    process.terminate()
    assert process.wait(timeout=30) == 0


def run_on_host(agent, *args, groups):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_", "IMDS_"))}
    env.update({"IDENTITY_ENDPOINT": agent["endpoint"], "IMDS_ENDPOINT": agent["imds"], "HOME": "/tmp"})
    out = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", groups, *PY_APP, *args],
        check=True, capture_output=True, text=True, env=env, timeout=120,
    ).stdout
    return json.loads(out.strip().splitlines()[0])


def test_the_host_agent_serves_a_token_through_the_arc_challenge(agent, world):
    allowed = run_on_host(agent, "mi-client-id", world["app"]["clientId"], groups=f"--groups={agent['gid']}")
    assert allowed["ok"], allowed
    got = claims(allowed["token"])
    assert (got["appid"], got["xms_mirid"]) == (world["app"]["clientId"], world["app"]["id"])
    by_object = run_on_host(agent, "mi-object-id", world["monitoring"]["principalId"], groups=f"--groups={agent['gid']}")
    assert by_object["ok"] and claims(by_object["token"])["oid"] == world["monitoring"]["principalId"], by_object


def test_a_process_outside_the_key_group_is_refused(agent, world):
    refused = run_on_host(agent, "mi-client-id", world["app"]["clientId"], groups="--clear-groups")
    assert not refused["ok"]
    assert "Permission denied" in refused["message"] and "/var/opt/azcmagent/tokens/" in refused["message"], refused


def test_the_agent_refuses_a_guessed_key_and_keeps_imds_rules(agent, world):
    import requests as http
    url = agent["endpoint"]
    params = {"api-version": "2020-06-01", "resource": "https://vault.azure.net"}
    challenge = http.get(url, params=params, headers={"Metadata": "true"}, timeout=10)
    assert challenge.status_code == 401 and challenge.headers["WWW-Authenticate"].startswith("Basic realm=/var/opt/azcmagent/tokens/")
    guessed = http.get(url, params=params, headers={"Metadata": "true", "Authorization": "Basic " + "0" * 64}, timeout=10)
    assert guessed.status_code == 401
    key = open(challenge.headers["WWW-Authenticate"].split("=", 1)[1]).read()
    ambiguous = http.get(url, params=params, headers={"Metadata": "true", "Authorization": f"Basic {key}"}, timeout=10)
    assert ambiguous.status_code == 400 and "Multiple user assigned identities exist" in ambiguous.json()["error_description"]
    reused = http.get(url, params=params, headers={"Metadata": "true", "Authorization": f"Basic {key}"}, timeout=10)
    assert reused.status_code == 401, "a key is redeemable once"
