"""An unmodified application: the whole secret lifecycle with DefaultAzureCredential.

Usage: python_kv_lifecycle.py VAULT_URL PREFIX; prints one JSON line of observations.
"""
import json
import sys

from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient

vault_url, prefix = sys.argv[1], sys.argv[2]
client = SecretClient(vault_url, DefaultAzureCredential())
seen = {}
try:
    name = f"{prefix}-pw"
    first = client.set_secret(name, "v1", content_type="text/plain", tags={"team": "a"})
    second = client.set_secret(name, "v2")
    seen["get"] = client.get_secret(name).value
    seen["get_version"] = client.get_secret(name, first.properties.version).value
    seen["listed"] = name in [p.name for p in client.list_properties_of_secrets()]
    seen["versions"] = sorted(p.version for p in client.list_properties_of_secret_versions(name)) == sorted(
        [first.properties.version, second.properties.version])
    updated = client.update_secret_properties(name, second.properties.version, enabled=True, tags={"team": "b"})
    seen["updated_tags"] = updated.tags
    deleted = client.begin_delete_secret(name).result()
    seen["recovery_id"] = deleted.recovery_id
    seen["listed_deleted"] = name in [d.name for d in client.list_deleted_secrets()]
    client.begin_recover_deleted_secret(name).result()
    seen["recovered"] = client.get_secret(name).value
    backup = client.backup_secret(name)
    client.begin_delete_secret(name).wait()
    client.purge_deleted_secret(name)
    restored = client.restore_secret_backup(backup)
    seen["restored"] = client.get_secret(restored.name).value
    print(json.dumps({"ok": True, **seen}))
except Exception as error:  # the message is what the user sees
    print(json.dumps({"ok": False, "type": type(error).__name__, "message": str(error), **seen}))
