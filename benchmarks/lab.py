"""The benchmarks' shared lab: the pull-planner command, the test images, a delaying
TCP proxy, request counting and the skopeo command line (benchmarks/run.py,
scale.py and inventory.py use them)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import sysconfig
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.fleetgen import LINUX
from tests.registry import Registry

PLANNER = str(Path(sysconfig.get_path("scripts")) / "pull-planner")
IMAGES = [f"app{i}" for i in range(1, 6)]
WINDOWS = ["10.0.17763.6054", "10.0.20348.2849"]

# --------------------------------------------------------------------------- latency


class DelayProxy:
    """A TCP proxy that adds a round-trip time, in a thread of its own."""

    def __init__(self, target_port: int, rtt: float) -> None:
        self.target_port = target_port
        self.rtt = rtt
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            self.ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(self.rtt)  # the TCP handshake
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        """Deliver each chunk RTT/2 after it arrived, in order, without serializing delays."""
        queue: deque[tuple[float, bytes]] = deque()
        arrived = asyncio.Event()
        done = False

        async def deliver() -> None:
            while True:
                while not queue:
                    if done:
                        return
                    arrived.clear()
                    await arrived.wait()
                release, data = queue.popleft()
                wait = release - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data:
                    sink.write(data)
                    await sink.drain()
                else:
                    sink.close()
                    return

        delivery = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await source.read(65536)
                queue.append((self.loop.time() + self.rtt / 2, data))
                arrived.set()
                if not data:
                    break
        except (ConnectionError, OSError):
            queue.append((self.loop.time(), b""))
            arrived.set()
        done = True
        arrived.set()
        with contextlib.suppress(ConnectionError, OSError):
            await delivery

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


def measure_delay(port: int) -> tuple[float, float]:
    """(fresh connection GET /v2/, keep-alive GET /v2/) in seconds."""
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        start = time.perf_counter()
        client.get("/v2/")
        fresh = time.perf_counter() - start
        start = time.perf_counter()
        client.get("/v2/")
        again = time.perf_counter() - start
    return fresh, again


def push_content(registry: Registry) -> dict[str, str]:
    """Push the images; returns each tag's index digest."""
    digests = {}
    for name in IMAGES:
        entries = []
        for arch, variant in LINUX:
            p = {"os": "linux", "architecture": arch, **({"variant": variant} if variant else {})}
            layers = [
                f"{name} base {arch}".encode() * 200,
                f"{name} app {arch}{variant}".encode() * 50,
            ]
            entries.append(registry.push_image(name, p, layers).descriptor(platform=p))
        for version in WINDOWS:
            p = {"os": "windows", "architecture": "amd64", "os.version": version}
            entries.append(
                registry.push_image(name, p, [f"{name} win {version}".encode() * 100]).descriptor(
                    platform=p
                )
            )
        for i in range(2):
            attestation = registry.push_image(name, None, [f"{name} sbom {i}".encode()])
            entries.append(
                attestation.descriptor(
                    platform={"os": "unknown", "architecture": "unknown"},
                    annotations={
                        "vnd.docker.reference.type": "attestation-manifest",
                        "vnd.docker.reference.digest": entries[i]["digest"],
                    },
                )
            )
        digests[name] = registry.push_index(name, "1.0", entries).digest
    return digests


def count(requests: list[dict[str, Any]]) -> dict[str, int]:
    out = {"total": len(requests), "manifest GET": 0, "manifest HEAD": 0, "blob": 0, "other": 0}
    for r in requests:
        if "/manifests/" in r["path"]:
            out[f"manifest {r['method']}"] = out.get(f"manifest {r['method']}", 0) + 1
        elif "/blobs/" in r["path"]:
            out["blob"] += 1
        else:
            out["other"] += 1
    return out


def skopeo_command(reference: str, host: str) -> list[str]:
    os_name, _, rest = host.partition("/")
    os_name = os_name.split("(")[0]
    arch, _, variant = rest.partition("/")
    command = [
        "skopeo",
        "inspect",
        "--tls-verify=false",
        "--no-tags",
        "--override-os",
        os_name,
        "--override-arch",
        arch,
    ]
    if variant:
        command += ["--override-variant", variant]
    return [*command, f"docker://{reference}"]
