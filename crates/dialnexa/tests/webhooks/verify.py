"""Verifies deliveries captured by the webhook tests with the reference `standardwebhooks`
library. Reads JSON lines {"secret", "headers", "body"} from stdin; prints one line per
delivery, "ok" or "bad: <why>", and exits non-zero when any is bad.

A secret written as whsec_<base64> is given to the library as it is (it decodes it); any other
secret is its UTF-8 bytes, which the library takes as bytes.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook

bad = 0
for line in sys.stdin:
    if not line.strip():
        continue
    d = json.loads(line)
    secret = d["secret"]
    hook = Webhook(secret if secret.startswith("whsec_") else secret.encode())
    try:
        hook.verify(d["body"], d["headers"])
        print("ok")
    except Exception as e:  # noqa: BLE001 - report any refusal
        bad += 1
        print(f"bad: {type(e).__name__}: {e}")
sys.exit(1 if bad else 0)
