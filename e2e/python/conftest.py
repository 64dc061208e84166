"""Fixtures: a real `inkan serve` process on a free port with its own data directory.

A server that fails to start fails the suite (no skips). Every SDK is used unmodified; the
only configuration is what a user would set: the CA bundle and the authority/endpoint URLs
printed by `inkan env --admin`.
"""
import contextlib
import json
import os
import shlex
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INKAN = Path(os.environ.get("INKAN_BIN") or ROOT / os.environ.get("CARGO_TARGET_DIR", "target") / "debug" / "inkan")


class Inkan:
    def __init__(self, data_dir: Path, process: subprocess.Popen, info: dict):
        self.data_dir = data_dir
        self.process = process
        self.info = info
        self.url = info["url"]
        self.env = self._env()

    def _env(self) -> dict:
        out = subprocess.run(
            [str(INKAN), "env", "--admin", "--data-dir", str(self.data_dir)],
            check=True, capture_output=True, text=True,
        ).stdout
        env = {}
        for line in out.splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export "):].partition("=")
                env[key] = shlex.split(value)[0]
        return env

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(INKAN), *args, "--data-dir", str(self.data_dir)],
            check=check, capture_output=True, text=True,
        )


def keyvault_world(server: Inkan) -> dict:
    """examples/vm-keyvault.yaml applied on `server`, with its administrator Key Vault Secrets
    Officer on rbac-kv (idempotent); skips when vault hosts do not resolve (scripts/test.sh adds
    them in a private namespace; `inkan hosts` prints the lines)."""
    try:
        socket.gethostbyname("rbac-kv.vault.localhost")
    except OSError:
        pytest.skip("vault hosts do not resolve; scripts/test.sh adds them in a private namespace (`inkan hosts` prints the lines)")
    server.cli("apply", str(ROOT / "examples" / "vm-keyvault.yaml"))
    sub = server.env["AZURE_SUBSCRIPTION_ID"]
    vault_id = f"/subscriptions/{sub}/resourceGroups/vm-demo/providers/Microsoft.KeyVault/vaults/rbac-kv"
    object_id = json.loads((server.data_dir / "admin.json").read_text())["objectId"]
    made = server.cli("role", "assignment", "create", "--role", "Key Vault Secrets Officer", "--assignee", object_id,
                      "--scope", vault_id, check=False)
    assert made.returncode == 0 or "RoleAssignmentExists" in made.stdout + made.stderr, made
    return {"sub": sub, "vault_id": vault_id, "url": f"https://rbac-kv.vault.localhost:{server.info['port']}"}


@contextlib.contextmanager
def running_inkan(data_dir: Path, *extra: str):
    """`inkan serve` on a new data directory with free ports, `extra` flags; stopped (and
    checked to exit cleanly) when the block ends. A server that does not start fails the test."""
    assert INKAN.exists(), f"{INKAN} is missing: build it with `cargo build -p inkan` first"
    log_path = data_dir.parent / f"{data_dir.name}-serve.log"
    log = open(log_path, "w")
    process = subprocess.Popen(
        [str(INKAN), "serve", "--data-dir", str(data_dir), "--port", "0", "--identity-port", "0", "--listen", "127.0.0.1", *extra],
        stdout=log, stderr=subprocess.STDOUT,
    )
    info_file = data_dir / "server.json"
    deadline = time.monotonic() + 30
    while not info_file.exists():
        if process.poll() is not None:
            log.close()
            pytest.fail(f"inkan serve exited with {process.returncode}: {log_path.read_text()}")
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            log.close()
            pytest.fail("inkan serve did not become ready within 30 s")
        time.sleep(0.05)
    try:
        yield Inkan(data_dir, process, json.loads(info_file.read_text()))
    finally:
        process.terminate()
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        log.close()
    # Outside `finally`: a failing test's own error is not hidden by this one.
    assert code == 0, f"inkan serve must exit cleanly on SIGTERM (exit {code}): {log_path.read_text()[-2000:]}"


@pytest.fixture(scope="session")
def inkan(tmp_path_factory) -> Inkan:
    with running_inkan(tmp_path_factory.mktemp("inkan-data")) as server:
        # Trust inkan's CA the way a user would: through the SDKs' own variables.
        for key in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
            os.environ[key] = server.env[key]
        yield server
