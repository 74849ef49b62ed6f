"""The least a client can do to answer "which manifest does this host pull?": 3 round trips.

    python benchmarks/minimal_client.py HOST:PORT REPO TAG OS/ARCH[/VARIANT]

Standard library only, plain HTTP, no auth, no cache, no checks: connect, GET
the index, pick the first entry whose os/architecture/variant equal the
host's, GET that manifest, print its digest and layer sizes. The yardstick of
``benchmarks/scale.py`` for pull-planner's cold one-host start-up and round
trips.
"""

from __future__ import annotations

import http.client
import json
import sys

ACCEPT_INDEX = (
    "application/vnd.oci.image.index.v1+json,"
    " application/vnd.docker.distribution.manifest.list.v2+json"
)
ACCEPT_MANIFEST = (
    "application/vnd.oci.image.manifest.v1+json,"
    " application/vnd.docker.distribution.manifest.v2+json"
)


def main(registry: str, repo: str, tag: str, platform: str) -> int:
    os_name, arch, *rest = platform.split("/")
    variant = rest[0] if rest else ""
    connection = http.client.HTTPConnection(registry, timeout=30)
    connection.request("GET", f"/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT_INDEX})
    index = json.loads(connection.getresponse().read())
    for entry in index["manifests"]:
        p = entry.get("platform", {})
        if (p.get("os"), p.get("architecture"), p.get("variant", "")) == (os_name, arch, variant):
            break
    else:
        return 1
    digest = entry["digest"]
    connection.request("GET", f"/v2/{repo}/manifests/{digest}", headers={"Accept": ACCEPT_MANIFEST})
    manifest = json.loads(connection.getresponse().read())
    print(digest, sum(layer["size"] for layer in manifest["layers"]))
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
