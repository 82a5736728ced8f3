"""DialNexa's official OpenAPI, narrowed to the operations this service implements (those our
own document has too) and with the statuses of the seed's overlay added, for schemathesis.

    official.py OUR_DOCUMENT_URL OFFICIAL_JSON OVERLAY_JSON OUT_JSON
"""

import json
import sys
import urllib.request

METHODS = {"get", "put", "post", "patch", "delete"}


def main(ours_url, official_path, overlay_path, out_path):
    with urllib.request.urlopen(ours_url) as r:
        ours = json.load(r)
    with open(official_path) as f:
        official = json.load(f)
    with open(overlay_path) as f:
        overlay = json.load(f)
    implemented = {
        (path, method)
        for path, ops in ours["paths"].items()
        for method in ops
        if method in METHODS
    }
    kept, skipped = [], []
    for path in list(official["paths"]):
        ops = official["paths"][path]
        for method in [m for m in ops if m in METHODS]:
            if (path, method) in implemented:
                kept.append(f"{method.upper()} {path}")
            else:
                skipped.append(f"{method.upper()} {path}")
                del ops[method]
        if not any(m in METHODS for m in ops):
            del official["paths"][path]
    for path, ops in overlay["paths"].items():
        for method, op in ops.items():
            target = official["paths"].get(path, {}).get(method)
            if target is None:
                continue
            for status, response in op["responses"].items():
                if status in target["responses"]:
                    sys.exit(f"overlay: {method.upper()} {path} {status} is in the document already")
                target["responses"][status] = response
    print(f"official document: {len(kept)} operations checked: {', '.join(kept)}")
    print(f"not implemented here, skipped: {', '.join(skipped) or 'none'}")
    with open(out_path, "w") as f:
        json.dump(official, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
