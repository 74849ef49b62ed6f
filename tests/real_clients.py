"""Real container clients on the selection tables: which entry does each one pull?

Every row of ``tests/data/selection/*.yaml`` is pushed to a real registry
(:mod:`tests.registry`, on 127.0.0.1) as one index whose entry N is an image labelled
``entry=N``, with its platform in its config and one real tar.gz layer, so that every client
can finish a pull. Then each client Debian 12 ships pulls the row for the row's host:

==========  ============================  ===================================================
client      Debian 12 package             how the pick is read
==========  ============================  ===================================================
skopeo      skopeo 1.9.3                  ``skopeo inspect --override-os/-arch/-variant``: the
                                          ``Labels`` of the image it chose
podman      podman 4.3.1                  ``podman pull --platform os/arch[/variant]`` prints
                                          the image ID; ``podman image inspect`` its labels
containerd  containerd 1.6.20 (``ctr``)   ``ctr images pull --platform P --snapshotter native``:
                                          the unpacker labels the config it unpacked with
                                          ``containerd.io/gc.ref.snapshot.native=<chain ID>``;
                                          ``ctr content get`` reads that config (when ctr's
                                          fetch missed the entry its unpack wants: see
                                          :class:`Containerd`)
docker      docker.io 20.10.24 (dockerd)  ``docker pull --platform P``, then ``docker image
                                          inspect``: ``.Config.Labels``
==========  ============================  ===================================================

A driver's :meth:`pull` returns a :class:`Pull` (the position pulled, or None when the client
says that no entry matches the platform) or raises :class:`ClientError` with the client's own
words. :class:`Lab` pushes the rows, starts each daemon once, runs one client over every row
on a thread pool, and adds which entries' manifests the registry served (its access log).

The platform given is what a user types: ``os/arch[/variant]``. No client's command line
takes a host's os.version or os.features, so a Windows host's build and a host's os.features
are not passed (:func:`unexpressed` says what was left out).

Nothing here contacts anything but 127.0.0.1: fully qualified references to the loopback
registry only, proxy variables removed, private registries.conf (no mirrors, no search
registries), an empty daemon.json for dockerd and no ctr hosts directory.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from planner import Platform
from tests.registry import Registry, sha256
from tests.test_selection_tables import ROWS, _entry, _host

CLIENTS = ("skopeo", "podman", "containerd", "docker")
PACKAGES = {
    "skopeo": "skopeo",
    "podman": "podman",
    "containerd": "containerd",
    "docker": "docker.io",
}
BINARIES = {
    "skopeo": ("skopeo",),
    "podman": ("podman",),
    "containerd": ("containerd", "ctr"),
    "docker": ("dockerd", "docker", "containerd"),
}
"""The commands each client needs (dockerd uses the session's containerd, as Debian's unit does)."""

WORKERS = 4
"""Pulls in flight at once: the clients mostly wait on the registry and their daemons."""
COMMAND_TIMEOUT = 60.0
START_TIMEOUT = 30.0

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


# ---------------------------------------------------------------------------------- rows


def tar_gz_layer(text: str) -> tuple[bytes, str]:
    """A real layer holding one file ``entry`` with ``text``: (tar.gz bytes, diff ID)."""
    data = text.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("entry")
        info.size = len(data)
        info.mode = 0o644
        info.mtime = 0
        tar.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    return gzip.compress(raw, mtime=0), sha256(raw)


@dataclass(frozen=True)
class PushedRow:
    """One selection-table row as pushed: reference ``host/rows/<id>:t`` and its entries."""

    row_id: str
    repo: str
    reference: str
    host: Platform
    manifests: tuple[str, ...]
    """The image manifest digest of entry N."""

    def position_of(self, digest: str) -> int | None:
        return self.manifests.index(digest) if digest in self.manifests else None

    def name_digests(self, text: str) -> str:
        """``text`` with each entry's manifest digest followed by ``(entry N)``."""

        def named(match: re.Match[str]) -> str:
            position = self.position_of(match[0])
            return match[0] if position is None else f"{match[0]} (entry {position})"

        return _DIGEST.sub(named, text)


def push_row(registry: Registry, row_id: str, row: dict[str, Any]) -> PushedRow:
    """Push one row: entry N is an image labelled ``entry=N`` with its own real layer.

    The config carries the entry's platform as written; an entry without a platform (or with
    an empty one) is an image for the row's host that only the index does not describe, so its
    config has the host's platform (containerd reads the config of such an entry: with an
    empty os and architecture there it rejects the entry). An entry with a ``mediaType`` is
    pushed as an image manifest and listed in the index with the row's media type, as an
    index that lists an artifact does (the registry checks only that the child exists); its
    bytes are pushed as a blob as well, so that a client that fetches a child of an unknown
    type from /blobs/ finds it. A client that takes such an entry gets an image: its pull
    completes where a real artifact would fail after the choice.
    """
    repo = "rows/" + row_id.replace(":", "-").lower()
    docker = row.get("index") == "docker"
    entries = []
    manifests = []
    host = _host(row)
    for position, spec in enumerate(row["entries"]):
        fields = _entry(spec)
        layer, diff_id = tar_gz_layer(f"{row_id} entry {position}\n")
        image = registry.push_image(
            repo,
            fields.get("platform") or host.to_oci(),
            [layer],
            docker=docker,
            labels={"entry": str(position)},
            diff_ids=[diff_id],
        )
        if "mediaType" in fields:
            # served by its declared (non-manifest) type too: a client fetches it as a blob
            registry.push_blob(repo, image.data)
        entries.append(image.descriptor(**fields))
        manifests.append(image.digest)
    registry.push_index(repo, "t", entries, docker=docker)
    return PushedRow(row_id, repo, f"{registry.host}/{repo}:t", host, tuple(manifests))


# ------------------------------------------------------------------------------ drivers


@dataclass(frozen=True)
class Pull:
    """What a client pulled: the entry's position, or None for "no entry matches"."""

    position: int | None
    notes: tuple[str, ...] = ()
    """What else the client said (warnings) or did on the way."""


class ClientError(RuntimeError):
    """A client failed for a reason other than "no entry matches the platform"."""

    def __init__(self, client: str, command: list[str], said: str) -> None:
        self.client = client
        self.command = command
        self.said = said
        super().__init__(f"{client}: `{_shell(command)}` failed: {said}")


class DaemonDied(ClientError):
    """The client's daemon exited during the pull (it has been restarted)."""


class Driver(Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def pull(self, reference: str, host: Platform) -> Pull: ...


def platform_argument(host: Platform) -> str:
    """``os/arch[/variant]``, as a user types it for every client."""
    return host.format()


def unexpressed(host: Platform) -> list[str]:
    """What of ``host`` no client's command line can say."""
    lost = []
    if host.os_version:
        lost.append(f"os.version {host.os_version}")
    if host.os_features:
        lost.append(f"os.features {list(host.os_features)}")
    return lost


def _shell(command: list[str]) -> str:
    return " ".join(command)


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(extra)
    return env


def _run(
    command: list[str], env: dict[str, str] | None = None, timeout: float = COMMAND_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


_LOG_TIME = re.compile(r'^time="[^"]*" ')
_LOG_CHATTER = re.compile(r"^level=(?:debug|info|warning|error) ")


def _said(done: subprocess.CompletedProcess[str]) -> str:
    """The client's error, one line: its last stderr (or stdout) lines, without timestamps,
    and without its log chatter (logrus warnings, a canceled context) when it said more."""
    text = done.stderr.strip() or done.stdout.strip()
    lines = [_LOG_TIME.sub("", line.strip()) for line in text.splitlines() if line.strip()]
    plain = [line for line in lines if not _LOG_CHATTER.match(line)]
    lines = plain or lines
    return " | ".join(lines[-3:]) if lines else f"exit status {done.returncode}, no output"


def _label(labels: Any, command: list[str], client: str) -> int:
    if not isinstance(labels, dict) or "entry" not in labels:
        raise ClientError(client, command, f"the pulled image has no entry label: {labels!r}")
    return int(labels["entry"])


def _wait_for(
    ready: Any, process: subprocess.Popen[bytes], log: Path, what: str, timeout: float
) -> None:
    """Poll ``ready()`` until it is true; fail at once if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.returncode}): {_tail(log)}")
        if ready():
            return
        time.sleep(0.02)
    raise RuntimeError(f"{what} was not ready in {timeout:.0f} s: {_tail(log)}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _unix_socket_accepts(path: Path) -> bool:
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


def _terminate(process: subprocess.Popen[bytes] | None, grace: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def unmount_under(path: Path) -> None:
    """Unmount what a daemon left mounted below ``path`` (dockerd bind-mounts its data root)."""
    prefix = str(path.resolve())
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return
    points = [line.split()[1] for line in mounts if len(line.split()) > 1]
    for point in sorted(points, key=len, reverse=True):
        point = point.replace("\\040", " ")
        if point == prefix or point.startswith(prefix + "/"):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)


class _ContainersConfig:
    """Private containers-* configuration for skopeo and podman (nothing from /etc)."""

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.registries = workdir / "registries.conf"
        self.registries.write_text("unqualified-search-registries = []\n")
        self.policy = workdir / "policy.json"
        self.policy.write_text('{"default": [{"type": "insecureAcceptAnything"}]}\n')


class Skopeo:
    """skopeo 1.9.3 (containers/image 5.23.1): ``skopeo inspect`` with ``--override-*``.

    The host goes in raw, as a skopeo user types it (podman normalizes it first; skopeo
    does not).
    """

    name = "skopeo"

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("skopeo") or "skopeo"
        self.config = _ContainersConfig(workdir)
        self.env = _environment(CONTAINERS_REGISTRIES_CONF=str(self.config.registries))

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def pull(self, reference: str, host: Platform) -> Pull:
        command = [
            self.binary,
            "inspect",
            "--tls-verify=false",
            "--no-tags",
            "--override-os",
            host.os,
            "--override-arch",
            host.architecture,
        ]
        if host.variant:
            command += ["--override-variant", host.variant]
        command.append(f"docker://{reference}")
        done = _run(command, self.env)
        if done.returncode != 0:
            if "no image found in" in done.stderr:
                return Pull(None, (_said(done),))
            raise ClientError(self.name, command, _said(done))
        return Pull(_label(json.loads(done.stdout).get("Labels"), command, self.name))


class Podman:
    """podman 4.3.1 (containers/common 0.50.1, containers/image 5.23.1) on vfs storage.

    ``podman pull --platform os/arch[/variant]``: podman splits the value once, into the
    os and "arch[/variant]", and libimage's NormalizePlatform turns that into os, arch and
    variant with containerd's tables before containers/image chooses.
    """

    name = "podman"

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("podman") or "podman"
        self.config = _ContainersConfig(workdir)
        for sub in ("root", "run", "tmp", "net", "cni", "vartmp"):
            (workdir / sub).mkdir(parents=True, exist_ok=True)
        (workdir / "storage.conf").write_text(
            f'[storage]\ndriver = "vfs"\nrunroot = "{workdir / "run"}"\n'
            f'graphroot = "{workdir / "root"}"\n'
        )
        # netavark would keep its state in /run/containers/networks; the CNI backend keeps it
        # in tmp_dir. Nothing is run, so no network is ever set up.
        (workdir / "containers.conf").write_text(
            f'[engine]\ntmp_dir = "{workdir / "tmp"}"\nevents_logger = "none"\n'
            f'cgroup_manager = "cgroupfs"\nvolume_path = "{workdir / "volumes"}"\n'
            f'[network]\nnetwork_backend = "cni"\ncni_plugin_dirs = ["{workdir / "cni"}"]\n'
            f'network_config_dir = "{workdir / "net"}"\n'
        )
        self.env = _environment(
            CONTAINERS_CONF=str(workdir / "containers.conf"),
            CONTAINERS_STORAGE_CONF=str(workdir / "storage.conf"),
            CONTAINERS_REGISTRIES_CONF=str(self.config.registries),
            TMPDIR=str(workdir / "vartmp"),
        )
        self.base = [
            self.binary,
            "--root",
            str(workdir / "root"),
            "--runroot",
            str(workdir / "run"),
            "--storage-driver",
            "vfs",
        ]

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def pull(self, reference: str, host: Platform) -> Pull:
        command = [
            *self.base,
            "pull",
            "--quiet",
            "--tls-verify=false",
            "--signature-policy",
            str(self.config.policy),
            "--platform",
            platform_argument(host),
            reference,
        ]
        done = _run(command, self.env)
        if done.returncode != 0:
            if "no image found in" in done.stderr:
                return Pull(None, (_said(done),))
            raise ClientError(self.name, command, _said(done))
        notes = tuple(
            _LOG_TIME.sub("", line.strip())
            for line in done.stderr.splitlines()
            if "warn" in line.lower()
        )
        if not done.stdout.split():
            raise ClientError(self.name, command, f"no image ID printed: {_said(done)}")
        image_id = done.stdout.split()[-1]
        inspect = [*self.base, "image", "inspect", "--format", "{{json .Labels}}", image_id]
        looked = _run(inspect, self.env)
        if looked.returncode != 0:
            raise ClientError(self.name, inspect, _said(looked))
        return Pull(_label(json.loads(looked.stdout), inspect, self.name), notes)


_CTR_NAMESPACE = re.compile(r"[^A-Za-z0-9]+")


class Containerd:
    """containerd 1.6.20 with its own root, state and sockets; pulls with ``ctr``.

    Each row is pulled into its own namespace. ``ctr images pull`` fetches the entries that
    ``platforms.Any(P)`` matches (an exact, normalized match) and then unpacks the one that
    ``platforms.Only(P)`` ranks first (the platform vector: amd64/v3 -> v2, v1, 386; arm64 ->
    arm/v8 ... v5). When that entry was not fetched, ctr fails with "content digest ...: not
    found"; the driver notes it, fetches the whole index (``ctr content fetch
    --all-platforms``) and pulls again, so the pick is still the unpacker's, which is the one
    containerd's Go client Pull (CRI, nerdctl) fetches and unpacks.
    """

    name = "containerd"
    snapshotter = "native"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.binary = shutil.which("containerd") or "containerd"
        self.ctr_binary = shutil.which("ctr") or "ctr"
        self.socket = workdir / "containerd.sock"
        self.log = workdir / "containerd.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.env = _environment()

    def start(self) -> None:
        if self._process is not None:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "config.toml"
        disabled = [
            "io.containerd.grpc.v1.cri",  # not needed, and it would look for CNI and pull pause
            "io.containerd.snapshotter.v1.aufs",
            "io.containerd.snapshotter.v1.btrfs",
            "io.containerd.snapshotter.v1.devmapper",
            "io.containerd.snapshotter.v1.zfs",
        ]
        config.write_text(
            "version = 2\n"
            f'root = "{self.workdir / "root"}"\n'
            f'state = "{self.workdir / "state"}"\n'
            f"disabled_plugins = {json.dumps(disabled)}\n"
            f'[grpc]\n  address = "{self.socket}"\n'
            f'[ttrpc]\n  address = "{self.socket}.ttrpc"\n'
            '[debug]\n  address = ""\n  level = "warn"\n'
            '[metrics]\n  address = ""\n'
            f'[plugins."io.containerd.internal.v1.opt"]\n  path = "{self.workdir / "opt"}"\n'
        )
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                [self.binary, "--config", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        _wait_for(
            lambda: _unix_socket_accepts(self.socket),
            self._process,
            self.log,
            "containerd",
            START_TIMEOUT,
        )

    def stop(self) -> None:
        _terminate(self._process)
        self._process = None
        unmount_under(self.workdir)

    def ctr(self, namespace: str, *args: str) -> tuple[list[str], subprocess.CompletedProcess[str]]:
        command = [self.ctr_binary, "--address", str(self.socket), "--namespace", namespace, *args]
        return command, _run(command, self.env)

    @staticmethod
    def namespace(reference: str) -> str:
        repo = reference.split("/", 1)[1].rsplit(":", 1)[0]
        name = _CTR_NAMESPACE.sub("-", repo).strip("-")
        if len(name) > 76:  # containerd's identifier limit
            name = name[:59] + "-" + sha256(repo.encode())[7:23]
        return name

    def pull(self, reference: str, host: Platform) -> Pull:
        namespace = self.namespace(reference)
        pull = [
            "images",
            "pull",
            "--plain-http",
            "--platform",
            platform_argument(host),
            "--snapshotter",
            self.snapshotter,
            "--print-chainid",
            reference,
        ]
        command, done = self.ctr(namespace, *pull)
        notes: list[str] = []
        if done.returncode != 0:
            said = _said(done)
            if "no match for platform in manifest" in said:
                return Pull(None, (said,))
            missing = re.search(r"content digest (sha256:[0-9a-f]{64}): not found", said)
            content = self._content(namespace)
            children = {
                digest
                for _blob, labels in content
                for digest in re.findall(
                    r"containerd\.io/gc\.ref\.content\.m\.\d+=(sha256:[0-9a-f]{64})", labels
                )
            }
            if missing is None or missing[1] not in children:  # not an entry of the index
                raise ClientError(self.name, command, said)
            fetched = [
                d for d, labels in content if "containerd.io/gc.ref.content.config=" in labels
            ]
            notes.append(
                f"`ctr images pull` alone fails ({said}): its fetch (platforms.Any, exact"
                f" match) took {fetched or 'no image manifest'}, and its unpack"
                f" (platforms.Only) wants {missing[1]}; pick after `ctr content fetch"
                " --all-platforms`"
            )
            fetch_command, fetch = self.ctr(
                namespace, "content", "fetch", "--plain-http", "--all-platforms", reference
            )
            if fetch.returncode != 0:
                raise ClientError(self.name, fetch_command, _said(fetch))
            command, done = self.ctr(namespace, *pull)
            if done.returncode != 0:
                raise ClientError(self.name, command, _said(done))
        chain = re.search(r"image chain ID: (sha256:[0-9a-f]{64})", done.stdout)
        if chain is None:
            raise ClientError(self.name, command, f"no chain ID in: {done.stdout[-500:]!r}")
        config = self._unpacked_config(namespace, chain[1])
        return Pull(
            _label(config.get("config", {}).get("Labels"), command, self.name), tuple(notes)
        )

    def _content(self, namespace: str) -> list[tuple[str, str]]:
        """(digest, labels) of each blob in the namespace's content store."""
        command, done = self.ctr(namespace, "content", "ls")
        if done.returncode != 0:
            raise ClientError(self.name, command, _said(done))
        out = []
        for line in done.stdout.splitlines()[1:]:
            fields = line.split("\t")
            if fields and _DIGEST.fullmatch(fields[0]):
                out.append((fields[0], fields[-1]))
        return out

    def _unpacked_config(self, namespace: str, chain_id: str) -> dict[str, Any]:
        label = f"containerd.io/gc.ref.snapshot.{self.snapshotter}={chain_id}"
        configs = [digest for digest, labels in self._content(namespace) if label in labels]
        if len(configs) != 1:
            raise ClientError(
                self.name, ["ctr", "content", "ls"], f"{len(configs)} blobs labelled {label}"
            )
        command, done = self.ctr(namespace, "content", "get", configs[0])
        if done.returncode != 0:
            raise ClientError(self.name, command, _said(done))
        config: dict[str, Any] = json.loads(done.stdout)
        return config


_CONNECTION_LOST = re.compile(
    r"Cannot connect to the Docker daemon|error during connect|EOF$", re.M
)


def debian_docker_cli() -> str:
    """The docker.io package's client (/usr/bin/docker), not another one earlier on PATH."""
    packaged = Path("/usr/bin/docker")
    return str(packaged) if packaged.exists() else shutil.which("docker") or "docker"


class Docker:
    """dockerd 20.10.24 (Debian docker.io) on vfs, using the session's containerd.

    Debian's unit runs ``dockerd --containerd=/run/containerd/containerd.sock``; here the
    socket is the :class:`Containerd` daemon's. 127.0.0.0/8 registries are insecure by
    default, so plain HTTP works (dockerd tries HTTPS first). If dockerd dies during a pull it
    is restarted and the pull raises :class:`DaemonDied` with the daemon's panic.
    """

    name = "docker"

    def __init__(self, workdir: Path, containerd: Containerd) -> None:
        self.workdir = workdir
        self.containerd = containerd
        self.binary = shutil.which("dockerd") or "dockerd"
        self.cli = debian_docker_cli()
        self.socket = workdir / "docker.sock"
        self.log = workdir / "dockerd.log"
        self.env = _environment(DOCKER_CONFIG=str(workdir / "cli"))
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._created_run_docker = False
        self._generation = 0
        self.crashes: list[str] = []
        """The panic (or last log lines) of each time dockerd exited during a pull."""

    def start(self) -> None:
        with self._lock:
            if self._process is None:
                self._start()

    def _start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.containerd.start()
        # dockerd 20.10 keeps plugin sockets in /run/docker/plugins whatever --exec-root says
        self._created_run_docker = self._created_run_docker or not Path("/run/docker").exists()
        daemon_json = self.workdir / "daemon.json"
        daemon_json.write_text(json.dumps({"deprecated-key-path": str(self.workdir / "key.json")}))
        command = [
            self.binary,
            "--config-file",
            str(daemon_json),
            "--containerd",
            str(self.containerd.socket),
            "--storage-driver",
            "vfs",
            "--iptables=false",
            "--ip-masq=false",
            "--bridge=none",
            "--data-root",
            str(self.workdir / "data"),
            "--exec-root",
            str(self.workdir / "exec"),
            "-H",
            f"unix://{self.socket}",
            "--pidfile",
            str(self.workdir / "dockerd.pid"),
            "--log-level",
            "warn",
        ]
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=self.env
            )
        _wait_for(self._pings, self._process, self.log, "dockerd", START_TIMEOUT)
        self._generation += 1

    def _pings(self) -> bool:
        if not self.socket.exists():
            return False
        transport = httpx.HTTPTransport(uds=str(self.socket))
        try:
            with httpx.Client(transport=transport, timeout=1) as client:
                return client.get("http://docker/_ping").status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        with self._lock:
            _terminate(self._process)
            self._process = None
            unmount_under(self.workdir)
            if self._created_run_docker:
                for leftover in (Path("/run/docker/plugins"), Path("/run/docker")):
                    with suppress(OSError):
                        leftover.rmdir()  # only if empty: nothing of anyone else's

    def _exited(self) -> bool:
        process = self._process
        if process is None or process.poll() is not None:
            return True
        if self._pings():
            return False
        try:  # a panicking daemon closes its connections a moment before it exits
            process.wait(10)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _recover(self, generation: int) -> str | None:
        """Why the daemon a pull started on is gone (restarting it), or None if it is not."""
        with self._lock:
            if self._generation != generation:
                return f"dockerd was restarted during the pull (it had exited: {self.crashes[-1]})"
            if not self._exited():
                return None
            text = self.log.read_text(errors="replace")
            start = text.rfind("panic:")
            said = " | ".join(text[start:].splitlines()[:6]) if start >= 0 else _tail(self.log)
            self.crashes.append(said)
            unmount_under(self.workdir)
            self._start()
            return f"dockerd exited: {said}"

    def docker(self, *args: str) -> tuple[list[str], subprocess.CompletedProcess[str]]:
        command = [self.cli, "-H", f"unix://{self.socket}", *args]
        return command, _run(command, self.env)

    def pull(self, reference: str, host: Platform) -> Pull:
        generation = self._generation
        command, done = self.docker("pull", "--platform", platform_argument(host), reference)
        if done.returncode != 0:
            self._raise_if_daemon_lost(generation, command, done)
            if "no matching manifest for" in done.stderr:
                return Pull(None, (_said(done),))
            raise ClientError(self.name, command, _said(done))
        notes = tuple(
            line.strip() for line in (done.stdout + done.stderr).splitlines() if "WARN" in line
        )
        inspect, looked = self.docker(
            "image", "inspect", "--format", "{{json .Config.Labels}}", reference
        )
        if looked.returncode != 0:
            self._raise_if_daemon_lost(generation, inspect, looked)
            raise ClientError(self.name, inspect, _said(looked))
        return Pull(_label(json.loads(looked.stdout), inspect, self.name), notes)

    def _raise_if_daemon_lost(
        self, generation: int, command: list[str], done: subprocess.CompletedProcess[str]
    ) -> None:
        """Raise :class:`DaemonDied` if the daemon this pull began on went away."""
        crash = self._recover(generation)
        if crash is None and _CONNECTION_LOST.search(done.stderr):
            crash = f"lost the daemon: {_said(done)}"
        if crash is not None:
            raise DaemonDied(self.name, command, crash)


def client_version(client: str) -> str:
    """The client's own ``--version`` line(s), for the record."""
    commands = {
        "skopeo": [["skopeo", "--version"]],
        "podman": [["podman", "--version"]],
        "containerd": [["containerd", "--version"], ["ctr", "--version"]],
        "docker": [["dockerd", "--version"], [debian_docker_cli(), "--version"]],
    }[client]
    out = []
    for command in commands:
        try:
            out.append(_run(command, timeout=20).stdout.strip())
        except (OSError, subprocess.TimeoutExpired) as error:
            out.append(f"{command[0]}: {error}")
    return "; ".join(out)


# ---------------------------------------------------------------------------------- lab


@dataclass(frozen=True)
class Outcome:
    """One (client, row): the entry pulled, or None, or the client's error."""

    client: str
    row_id: str
    platform: str
    """The platform argument given."""
    position: int | None
    error: str | None = None
    notes: tuple[str, ...] = ()
    fetched: tuple[int, ...] = ()
    """Entries whose image manifest the registry served to the client (its access log)."""

    def text(self) -> str:
        if self.error is not None:
            return f"error: {self.error}"
        return "None (no matching platform)" if self.position is None else str(self.position)


class Lab:
    """A registry with every row pushed, and the drivers, started once, over it.

    Everything lives in ``workdir`` (short: Unix socket paths are limited to 107 bytes);
    :meth:`close` stops the daemons and removes it.
    """

    def __init__(self, workdir: Path, rows: list[tuple[str, dict[str, Any]]] = ROWS) -> None:
        self.workdir = workdir
        self._drivers: dict[str, Driver] = {}
        self._results: dict[str, dict[str, Outcome]] = {}
        self._lock = threading.Lock()
        self.seconds: dict[str, float] = {}
        """How long each step took: "push", then each client's run over all rows."""
        self.registry = Registry(_fresh(workdir / "registry"))
        try:
            self.registry.start()
            started = time.monotonic()
            self.rows = {row_id: push_row(self.registry, row_id, row) for row_id, row in rows}
            self.seconds["push"] = time.monotonic() - started
        except BaseException:
            self.close()
            raise

    def driver(self, client: str) -> Driver:
        if client not in self._drivers:
            driver: Driver
            if client == "skopeo":
                driver = Skopeo(self.workdir / "skopeo")
            elif client == "podman":
                driver = Podman(self.workdir / "podman")
            elif client == "containerd":
                driver = self._containerd()
            elif client == "docker":
                driver = Docker(self.workdir / "docker", self._containerd())
            else:
                raise ValueError(f"unknown client {client!r}")
            self._drivers[client] = driver  # first, so that close() stops what start() began
            driver.start()
        return self._drivers[client]

    def _containerd(self) -> Containerd:
        existing = self._drivers.get("containerd")
        if isinstance(existing, Containerd):
            return existing
        containerd = Containerd(self.workdir / "containerd")
        self._drivers["containerd"] = containerd
        containerd.start()
        return containerd

    def results(self, client: str) -> dict[str, Outcome]:
        """Every row pulled by ``client`` (once per lab)."""
        with self._lock:
            if client not in self._results:
                self._results[client] = self._run(client)
            return self._results[client]

    def _run(self, client: str) -> dict[str, Outcome]:
        started = time.monotonic()
        driver = self.driver(client)
        mark = self.registry.mark()
        restarts = _restarts(driver)
        pool = ThreadPoolExecutor(WORKERS)
        try:
            futures = {
                row_id: pool.submit(self._attempt, driver, pushed)
                for row_id, pushed in self.rows.items()
            }
            attempts = {row_id: future.result() for row_id, future in futures.items()}
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # on an interrupt, start no more
        # A daemon that died took the pulls in flight with it: pull every row that failed again,
        # one at a time, so that a row that kills the daemon on its own is the one that says so.
        if _restarts(driver) != restarts:
            for row_id, attempt in attempts.items():
                if isinstance(attempt, ClientError):
                    attempts[row_id] = self._attempt(driver, self.rows[row_id])
        served = self._manifests_served(self.registry.since(mark))
        outcomes = {}
        for row_id, attempt in attempts.items():
            pushed = self.rows[row_id]
            fetched = tuple(
                sorted(
                    {
                        p
                        for d in served.get(pushed.repo, [])
                        if (p := pushed.position_of(d)) is not None
                    }
                )
            )
            notes = [f"not expressible on the command line: {x}" for x in unexpressed(pushed.host)]
            if isinstance(attempt, ClientError):
                outcomes[row_id] = Outcome(
                    client,
                    row_id,
                    platform_argument(pushed.host),
                    None,
                    error=pushed.name_digests(attempt.said),
                    notes=tuple(notes),
                    fetched=fetched,
                )
            else:
                notes += [pushed.name_digests(n) for n in attempt.notes]
                outcomes[row_id] = Outcome(
                    client,
                    row_id,
                    platform_argument(pushed.host),
                    attempt.position,
                    notes=tuple(notes),
                    fetched=fetched,
                )
        self.seconds[client] = time.monotonic() - started
        return outcomes

    @staticmethod
    def _attempt(driver: Driver, pushed: PushedRow) -> Pull | ClientError:
        try:
            return driver.pull(pushed.reference, pushed.host)
        except ClientError as error:
            return error
        except subprocess.TimeoutExpired as error:
            command = [str(a) for a in error.cmd]
            return ClientError(driver.name, command, f"timed out after {error.timeout} s")
        except (ValueError, KeyError, IndexError, OSError) as error:  # unreadable output
            return ClientError(driver.name, [driver.name], f"harness: {error!r}")

    @staticmethod
    def _manifests_served(requests: list[dict[str, Any]]) -> dict[str, list[str]]:
        """repo -> manifest digests answered with 200 to a GET, from the access log."""
        out: dict[str, list[str]] = {}
        for request in requests:
            match = re.fullmatch(r"/v2/(.+)/manifests/(sha256:[0-9a-f]{64})", request["path"])
            if match and request["method"] == "GET" and request["status"] == 200:
                out.setdefault(match[1], []).append(match[2])
        return out

    def close(self) -> None:
        # dockerd before the containerd it uses
        for client in ("docker", "podman", "skopeo", "containerd"):
            driver = self._drivers.pop(client, None)
            if driver is not None:
                with suppress(Exception):
                    driver.stop()
        if hasattr(self, "registry"):
            self.registry.stop()
        unmount_under(self.workdir)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _restarts(driver: Driver) -> int:
    return len(driver.crashes) if isinstance(driver, Docker) else 0


def _fresh(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def lab_directory() -> Path:
    """A short private directory for a :class:`Lab`."""
    return Path(tempfile.mkdtemp(prefix="pp-real-"))
