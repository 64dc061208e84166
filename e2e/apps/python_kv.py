"""An unmodified application: reads or writes a Key Vault secret with DefaultAzureCredential.

Usage: python_kv.py get|set VAULT_URL NAME [VALUE]; prints one JSON line.
"""
import json
import sys

from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient

mode, vault_url, name = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    client = SecretClient(vault_url, DefaultAzureCredential())
    secret = client.set_secret(name, sys.argv[4]) if mode == "set" else client.get_secret(name)
    print(json.dumps({"ok": True, "value": secret.value, "version": secret.properties.version}))
except Exception as error:  # the message is what the user sees
    odata = getattr(error, "error", None)
    code = getattr(odata, "code", None)
    inner = (getattr(odata, "innererror", None) or {}).get("code")
    status = getattr(error, "status_code", None)
    print(json.dumps({"ok": False, "type": type(error).__name__, "code": code, "inner": inner, "status": status,
                      "message": str(error)}))
