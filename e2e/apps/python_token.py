"""An unmodified application: gets a Key Vault token the way the field reports' code does.

Usage: python_token.py MODE [ARG]; prints one JSON line (ok, token | type, message).
"""
import json
import sys

from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

MODES = {
    "dac": lambda arg: DefaultAzureCredential(),
    "dac-mi-client-id": lambda arg: DefaultAzureCredential(managed_identity_client_id=arg),
    "mi": lambda arg: ManagedIdentityCredential(),
    "mi-client-id": lambda arg: ManagedIdentityCredential(client_id=arg),
    "mi-object-id": lambda arg: ManagedIdentityCredential(identity_config={"object_id": arg}),
    "mi-resource-id": lambda arg: ManagedIdentityCredential(identity_config={"resource_id": arg}),
}

mode, arg = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
try:
    token = MODES[mode](arg).get_token("https://vault.azure.net/.default")
    print(json.dumps({"ok": True, "token": token.token, "expires_on": token.expires_on}))
except Exception as error:  # the message is what the user sees
    print(json.dumps({"ok": False, "type": type(error).__name__, "message": str(error)}))
