"""Key Vault throttling (`inkan serve --kv-throttle`) as an application meets it: past 4,000
requests in a vault's ten-second window the vault answers 429 with Retry-After, azure-core's
retry policy waits that long, and the application's call succeeds without a line of retry code."""
import subprocess
import time

import pytest
from azure.identity import ClientSecretCredential
from azure.keyvault.secrets import SecretClient

from conftest import keyvault_world, running_inkan


@pytest.fixture(scope="module")
def throttled(tmp_path_factory):
    with running_inkan(tmp_path_factory.mktemp("inkan-throttled"), "--kv-throttle") as server:
        keyvault_world(server)
        yield server


def test_the_sdk_waits_out_a_429_and_the_call_succeeds(throttled, tmp_path):
    env = throttled.env
    bundle = env["REQUESTS_CA_BUNDLE"]  # this server's CA, not the session server's
    url = f"https://rbac-kv.vault.localhost:{throttled.info['port']}"
    credential = ClientSecretCredential(env["AZURE_TENANT_ID"], env["AZURE_CLIENT_ID"], env["AZURE_CLIENT_SECRET"],
                                        authority=env["AZURE_AUTHORITY_HOST"], disable_instance_discovery=True,
                                        connection_verify=bundle)
    client = SecretClient(url, credential, connection_verify=bundle)
    client.set_secret("paced", "steady")
    window = _spend_window(url, bundle, tmp_path)
    seen = []
    started = time.monotonic()
    secret = client.get_secret("paced", raw_response_hook=lambda r: seen.append(
        (r.http_response.status_code, r.http_response.headers.get("Retry-After"))))
    waited = time.monotonic() - started
    assert secret.value == "steady"
    assert seen[0][0] == 429 and 1 <= int(seen[0][1]) <= window, seen
    assert seen[-1][0] == 200, seen
    assert waited >= int(seen[0][1]) - 1, f"the SDK honoured Retry-After ({seen[0][1]} s) before retrying: waited {waited:.1f} s"


def _spend_window(url, bundle, tmp_path):
    """Sends bursts of requests (every request counts, 401s included) until the vault answers
    429 with at least 3 s left in its window, so the SDK's next call surely meets the limit
    however slowly the bursts ran; returns the seconds left."""
    burst = tmp_path / "burst.curl"
    burst.write_text(f'url = "{url}/secrets/paced?api-version=7.6"\noutput = "/dev/null"\n' * 1_000)
    for _ in range(12):
        subprocess.run(["curl", "-s", "--cacert", bundle, "--parallel", "--parallel-max", "8", "-K", str(burst)],
                       capture_output=True, timeout=120, check=True)
        probe = subprocess.run(["curl", "-s", "-o", "/dev/null", "--cacert", bundle, "-D", "-", "-w", "%{http_code}",
                                f"{url}/secrets/paced?api-version=7.6"], capture_output=True, text=True, timeout=30).stdout
        if not probe.endswith("429"):
            continue
        left = int(next(line.split(":", 1)[1] for line in probe.splitlines() if line.lower().startswith("retry-after:")))
        if left >= 3:
            return left
        time.sleep(left)
    pytest.fail("the bursts never spent the vault's window: is --kv-throttle on?")
