"""The images of the example chart (examples/chart), pushed to a real registry.

=========================  ===============================================================
image                      platforms
=========================  ===============================================================
shop/web:1.0               linux/amd64, linux/arm64 (an OCI index)
shop/migrate:1.0           linux/amd64 only, a single image (the init container nobody
                           rebuilt)
shop/metrics-proxy:0.9     linux/amd64, linux/arm64 (shares its base layer with web)
shop/log-agent:2.1         linux/amd64, linux/arm64, windows/amd64 10.0.20348 and
                           10.0.17763 (a Docker manifest list)
shop/report:1.0            linux/amd64, linux/arm64
shop/ledger-win:2022       windows/amd64 10.0.20348 only
=========================  ===============================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.registry import Pushed, Registry

LINUX = [
    {"os": "linux", "architecture": "amd64"},
    {"os": "linux", "architecture": "arm64", "variant": "v8"},
]
WIN_2022 = {"os": "windows", "architecture": "amd64", "os.version": "10.0.20348.2849"}
WIN_2019 = {"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.6054"}
BASE = b"shop base layer " * 4096  # 64 KiB, shared by web and metrics-proxy


@dataclass
class Shop:
    registry: Registry
    images: dict[str, list[Pushed]] = field(default_factory=dict)

    def ref(self, name: str) -> str:
        return f"{self.registry.host}/{name}"


def _index(
    shop: Shop, name: str, platforms: list[dict[str, Any]], size: int, docker: bool = False
) -> None:
    repo, tag = name.split(":")
    entries = []
    pushed = []
    for i, platform in enumerate(platforms):
        own = f"{name} {platform} ".encode() * (size // 40 + i + 1)
        layers = [BASE, own] if repo in ("shop/web", "shop/metrics-proxy") else [own]
        image = shop.registry.push_image(repo, platform, layers, docker=docker)
        entries.append(image.descriptor(platform=platform))
        pushed.append(image)
    shop.registry.push_index(repo, tag, entries, docker=docker)
    shop.images[name] = pushed


def push_shop(registry: Registry) -> Shop:
    shop = Shop(registry)
    _index(shop, "shop/web:1.0", LINUX, 200_000)
    _index(shop, "shop/metrics-proxy:0.9", LINUX, 30_000)
    _index(shop, "shop/log-agent:2.1", [*LINUX, WIN_2022, WIN_2019], 50_000, docker=True)
    _index(shop, "shop/report:1.0", LINUX, 20_000)
    _index(shop, "shop/ledger-win:2022", [WIN_2022], 300_000)
    migrate = registry.push_image("shop/migrate", LINUX[0], [b"migrate " * 10_000], tag="1.0")
    shop.images["shop/migrate:1.0"] = [migrate]
    return shop
